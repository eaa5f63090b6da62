package web

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/httpx"
	"github.com/linli/linli/internal/i18n"
	"github.com/linli/linli/internal/tenancy"
	"github.com/linli/linli/internal/volunteers"
)

// homeCommunity is the community a page works in: the actor's first.
func homeCommunity(p *accounts.Principal) (int64, error) {
	if cs := p.Communities(); len(cs) > 0 {
		return cs[0], nil
	}
	return 0, apperr.NotFoundErr()
}

func pathInt(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, apperr.NotFoundErr()
	}
	return id, nil
}

// isOffice: admin or worker of cid (the console too).
func isOffice(p *accounts.Principal, cid int64) bool {
	return p.System || slices.ContainsFunc(p.Grants, func(g accounts.Grant) bool {
		return g.CommunityID == cid && (g.Role == accounts.Admin || g.Role == accounts.Worker)
	})
}

// leadsTeam: the actor holds the leader role for team.
func leadsTeam(p *accounts.Principal, team int64) bool {
	return slices.ContainsFunc(p.Grants, func(g accounts.Grant) bool { return g.Role == accounts.Leader && g.TeamID == team })
}

type teamsData struct {
	Teams      []volunteers.Team
	Categories []string
	CanCreate  bool
	Errors     []string
	In         volunteers.TeamInput
}

func (w *Web) teams(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	return w.renderTeams(rw, r, p, http.StatusOK, nil, volunteers.TeamInput{})
}

func (w *Web) renderTeams(rw http.ResponseWriter, r *http.Request, p *accounts.Principal, status int, errs []string, in volunteers.TeamInput) error {
	cid, err := homeCommunity(p)
	if err != nil {
		return err
	}
	d := teamsData{Categories: volunteers.Categories, CanCreate: isOffice(p, cid), Errors: errs, In: in}
	if d.Teams, err = w.Volunteers.Teams(r.Context(), p, cid); err != nil {
		return err
	}
	return w.render(rw, status, "teams", w.view(rw, r, p, "volunteers", "team.title", d))
}

func optionalInt(s string) *int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return nil
	}
	return &n
}

func teamFromForm(r *http.Request) volunteers.TeamInput {
	in := volunteers.TeamInput{Name: r.PostForm.Get("name"), Category: r.PostForm.Get("category"), FoundedOn: r.PostForm.Get("founded_on"),
		Description: r.PostForm.Get("description"), Meets: r.PostForm.Get("meets"),
		MinAge: optionalInt(r.PostForm.Get("min_age")), MaxAge: optionalInt(r.PostForm.Get("max_age"))}
	for _, s := range r.PostForm["organisations"] {
		if id, err := strconv.ParseInt(s, 10, 64); err == nil {
			in.Organisations = append(in.Organisations, id)
		}
	}
	return in
}

func (w *Web) createTeam(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	cid, err := homeCommunity(p)
	if err != nil {
		return err
	}
	in := teamFromForm(r)
	t, err := w.Volunteers.CreateTeam(r.Context(), p, cid, in)
	if e := apperr.From(err); err != nil && (e.Code == apperr.Invalid || e.Code == apperr.Conflict) {
		return w.renderTeams(rw, r, p, e.Code.Status(), fieldMessages(httpx.Lang(r, p), e), in)
	} else if err != nil {
		return err
	}
	redirect(rw, r, fmt.Sprintf("/teams/%d", t.ID), "flash.saved")
	return nil
}

type teamData struct {
	Team       *volunteers.Team
	Members    []volunteers.Volunteer
	Total      int
	CanManage  bool
	Family     []volunteers.FamilyMember // the actor's children, to sign up
	Mine       *volunteers.Volunteer     // the actor's own profile, to join
	Errors     []string
	Categories []string
}

func (w *Web) team(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	return w.renderTeam(rw, r, p, http.StatusOK, nil)
}

func (w *Web) renderTeam(rw http.ResponseWriter, r *http.Request, p *accounts.Principal, status int, errs []string) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	t, err := w.Volunteers.Team(r.Context(), p, id)
	if err != nil {
		return err
	}
	cid, err := w.Volunteers.TeamCommunity(r.Context(), id)
	if err != nil {
		return err
	}
	d := teamData{Team: t, Errors: errs, Categories: volunteers.Categories, CanManage: isOffice(p, cid) || leadsTeam(p, id)}
	// Members as far as the actor sees them: all for the office and the
	// team's leaders, themselves (and their children) for others.
	if d.Members, d.Total, err = w.Volunteers.List(r.Context(), p, volunteers.Filter{CommunityID: cid, TeamID: id, Limit: 500}); err != nil && !apperr.Is(err, apperr.NotFound) {
		return err
	}
	if mine, err := w.Volunteers.Mine(r.Context(), p, cid); err == nil {
		d.Mine = mine
	}
	if d.Family, _, err = w.Volunteers.Family(r.Context(), p, cid); err != nil {
		return err
	}
	return w.render(rw, status, "team", w.view(rw, r, p, "volunteers", "team.title", d))
}

// InTeam reports whether a profile is a current member of the page's team.
func (d teamData) InTeam(v *volunteers.Volunteer) bool {
	return v != nil && slices.ContainsFunc(v.Teams, func(t volunteers.TeamRole) bool { return t.TeamID == d.Team.ID })
}

// joinTeam adds a member: by volunteer number (the office, a leader), or
// the actor themselves or their child (volunteer_id of their own).
func (w *Web) joinTeam(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	vid, _ := strconv.ParseInt(r.PostForm.Get("volunteer_id"), 10, 64)
	if number := strings.TrimSpace(r.PostForm.Get("number")); number != "" {
		cid, err := w.Volunteers.TeamCommunity(r.Context(), id)
		if err != nil {
			return err
		}
		found, err := w.Volunteers.IDByNumber(r.Context(), p, cid, number)
		if apperr.Is(err, apperr.NotFound) {
			return w.renderTeam(rw, r, p, http.StatusUnprocessableEntity, []string{i18n.T(httpx.Lang(r, p), "team.number.unknown", nil)})
		}
		if err != nil {
			return err
		}
		vid = found
	}
	if _, err := w.Volunteers.Join(r.Context(), p, id, vid, r.PostForm.Get("role")); err != nil {
		e := apperr.From(err)
		if e.Code == apperr.Invalid || e.Code == apperr.Conflict {
			return w.renderTeam(rw, r, p, e.Code.Status(), fieldMessages(httpx.Lang(r, p), e))
		}
		return err
	}
	redirect(rw, r, fmt.Sprintf("/teams/%d", id), "flash.saved")
	return nil
}

func (w *Web) leaveTeam(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	vid, err := pathInt(r, "volunteer")
	if err != nil {
		return err
	}
	if err := w.Volunteers.Leave(r.Context(), p, id, vid); err != nil {
		return err
	}
	redirect(rw, r, fmt.Sprintf("/teams/%d", id), "flash.saved")
	return nil
}

type volunteersData struct {
	Query, Skill, Category string
	TeamID                 int64
	Teams                  []volunteers.Team
	Skills, Categories     []string
	Items                  []volunteers.Volunteer
	Total                  int
	Pager                  pager
}

func (w *Web) volunteerList(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := homeCommunity(p)
	if err != nil {
		return err
	}
	page, err := httpx.ParsePage(r)
	if err != nil {
		return err
	}
	page.PerPage = 30
	q := r.URL.Query()
	d := volunteersData{Query: q.Get("q"), Skill: q.Get("skill"), Category: q.Get("category"), Categories: volunteers.Categories}
	d.TeamID, _ = strconv.ParseInt(q.Get("team"), 10, 64)
	if d.Category != "" && !slices.Contains(volunteers.Categories, d.Category) {
		d.Category = ""
	}
	if d.Teams, err = w.Volunteers.Teams(r.Context(), p, cid); err != nil {
		return err
	}
	if d.Skills, err = w.Volunteers.Skills(r.Context(), cid); err != nil {
		return err
	}
	f := volunteers.Filter{CommunityID: cid, Query: d.Query, TeamID: d.TeamID, Skill: d.Skill, Category: d.Category, Limit: page.PerPage, Offset: page.Offset()}
	if d.Items, d.Total, err = w.Volunteers.List(r.Context(), p, f); err != nil {
		return err
	}
	d.Pager = pageLinks("/volunteers", q, []string{"q", "team", "skill", "category"}, page, len(d.Items), d.Total)
	return w.render(rw, http.StatusOK, "volunteers", w.view(rw, r, p, "volunteers", "volunteer.list", d))
}

type volunteerData struct {
	V         *volunteers.Volunteer
	CanReveal bool
	CanEdit   bool
	Revealed  *revealed
	Errors    []string
}

func (w *Web) volunteer(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	return w.renderVolunteer(rw, r, p, http.StatusOK, nil, nil)
}

func (w *Web) renderVolunteer(rw http.ResponseWriter, r *http.Request, p *accounts.Principal, status int, rev *revealed, errs []string) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	v, err := w.Volunteers.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	cid, _ := homeCommunity(p)
	d := volunteerData{V: v, Revealed: rev, Errors: errs, CanEdit: v.Consents != nil,
		CanReveal: len(v.Masked) > 0 && (isOffice(p, cid) || slices.ContainsFunc(v.Teams, func(t volunteers.TeamRole) bool { return leadsTeam(p, t.TeamID) }))}
	return w.render(rw, status, "volunteer", w.view(rw, r, p, "volunteers", "volunteer.profile", d))
}

func (w *Web) revealVolunteer(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	v, err := w.Volunteers.Reveal(r.Context(), p, id, "phone", r.PostForm.Get("reason"))
	if err != nil {
		e := apperr.From(err)
		if e.Code != apperr.Invalid {
			return err
		}
		return w.renderVolunteer(rw, r, p, e.Code.Status(), nil, fieldMessages(httpx.Lang(r, p), e))
	}
	return w.renderVolunteer(rw, r, p, http.StatusOK, &revealed{Field: "phone", Value: v}, nil)
}

func (w *Web) withdrawConsent(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	consent, err := pathInt(r, "consent")
	if err != nil {
		return err
	}
	after, err := w.Volunteers.WithdrawConsent(r.Context(), p, id, consent)
	if err != nil {
		return err
	}
	if after == nil {
		redirect(rw, r, "/me/volunteer", "flash.saved")
		return nil
	}
	redirect(rw, r, fmt.Sprintf("/volunteers/%d", id), "flash.saved")
	return nil
}

// volunteerForm registers a volunteer: a resident chosen by the office,
// the actor themselves, or the actor's child.
type volunteerForm struct {
	ResidentID int64
	Name       string
	Age        int
	Minor      bool
	Office     bool // a worker entering it: who consented is asked
	Guardians  []volunteers.FamilyMember
	Skills     []string
	Categories []string
	Days       []string
	Parts      []string
	Grids      []tenancy.Grid
	In         volunteers.Input
	Errors     []string
	Back       string
}

// Has reports whether a value is ticked in one of the form's lists.
func (f volunteerForm) Has(list string, v any) bool {
	switch list {
	case "skills":
		return slices.Contains(f.In.Skills, fmt.Sprint(v))
	case "categories":
		return slices.Contains(f.In.Categories, fmt.Sprint(v))
	case "availability":
		return slices.Contains(f.In.Availability, fmt.Sprint(v))
	case "grids":
		n, _ := v.(int)
		return slices.Contains(f.In.Grids, n)
	}
	return false
}

func (w *Web) volunteerFormData(r *http.Request, p *accounts.Principal, cid, rid int64, f *volunteerForm) error {
	var err error
	if f.Skills, err = w.Volunteers.Skills(r.Context(), cid); err != nil {
		return err
	}
	if f.Grids, err = w.Tenancy.Grids(r.Context(), cid); err != nil {
		return err
	}
	f.Categories, f.Days, f.Parts = volunteers.Categories, volunteers.Days, volunteers.Parts
	f.ResidentID, f.Office = rid, isOffice(p, cid)
	if f.Office {
		res, err := w.Registry.Get(r.Context(), p, rid)
		if err != nil {
			return err
		}
		f.Name, f.Age = res.Name, -1
		if res.Age != nil {
			f.Age = *res.Age
		}
		rules, err := w.Volunteers.AgeRules(r.Context(), cid)
		if err != nil {
			return err
		}
		// A child's birth date (and so its age) is sealed in the registry
		// record: a child is a minor whatever the rules.
		f.Minor = res.Child || f.Age >= 0 && f.Age < rules.ConsentUnder
		if f.Minor {
			if f.Guardians, err = w.Volunteers.Adults(r.Context(), p, cid, rid); err != nil {
				return err
			}
		}
		f.Back = fmt.Sprintf("/residents/%d", rid)
		return nil
	}
	// A resident: themselves, or a child of their household.
	family, me, err := w.Volunteers.Family(r.Context(), p, cid)
	if err != nil {
		return err
	}
	f.Back = "/me/volunteer"
	if rid == me {
		f.Name = p.DisplayName
		return nil
	}
	for _, c := range family {
		if c.ResidentID == rid {
			f.Name, f.Age, f.Minor = c.Name, c.Age, true
			f.Guardians = []volunteers.FamilyMember{{ResidentID: me, Name: p.DisplayName}}
			return nil
		}
	}
	return apperr.NotFoundErr()
}

func (w *Web) newVolunteer(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := homeCommunity(p)
	if err != nil {
		return err
	}
	rid, err := strconv.ParseInt(r.URL.Query().Get("resident"), 10, 64)
	if err != nil || rid <= 0 {
		return apperr.NotFoundErr()
	}
	f := volunteerForm{In: volunteers.Input{Consent: volunteers.ConsentInput{}}}
	if err := w.volunteerFormData(r, p, cid, rid, &f); err != nil {
		return err
	}
	return w.render(rw, http.StatusOK, "volunteer_form", w.view(rw, r, p, "volunteers", "volunteer.register", f))
}

func (w *Web) registerVolunteer(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	cid, err := homeCommunity(p)
	if err != nil {
		return err
	}
	rid, _ := strconv.ParseInt(r.PostForm.Get("resident_id"), 10, 64)
	in := volunteers.Input{ResidentID: rid, Skills: r.PostForm["skills"], SkillsOther: r.PostForm.Get("skills_other"),
		Categories: r.PostForm["categories"], Availability: r.PostForm["availability"],
		Consent: volunteers.ConsentInput{General: r.PostForm.Get("consent_general") == "1", Publicity: r.PostForm.Get("consent_publicity") == "1",
			GivenBy: r.PostForm.Get("given_by")}}
	for _, s := range r.PostForm["grids"] {
		if n, err := strconv.Atoi(s); err == nil {
			in.Grids = append(in.Grids, n)
		}
	}
	if g, _ := strconv.ParseInt(r.PostForm.Get("guardian_id"), 10, 64); g != 0 {
		in.Guardian = &volunteers.GuardianInput{ResidentID: g, Relation: r.PostForm.Get("relation"), Scope: r.PostForm.Get("scope")}
	}
	v, err := w.Volunteers.Register(r.Context(), p, cid, in)
	if err != nil {
		e := apperr.From(err)
		if e.Code != apperr.Invalid && e.Code != apperr.Conflict {
			return err
		}
		f := volunteerForm{In: in, Errors: fieldMessages(httpx.Lang(r, p), e)}
		if err := w.volunteerFormData(r, p, cid, rid, &f); err != nil {
			return err
		}
		return w.render(rw, e.Code.Status(), "volunteer_form", w.view(rw, r, p, "volunteers", "volunteer.register", f))
	}
	if isOffice(p, cid) {
		redirect(rw, r, fmt.Sprintf("/volunteers/%d", v.ID), "flash.saved")
	} else {
		redirect(rw, r, "/me/volunteer", "flash.saved")
	}
	return nil
}

type myVolunteerData struct {
	Mine     *volunteers.Volunteer
	Me       int64 // the actor's resident id, 0 if none
	Family   []volunteers.FamilyMember
	Children []*volunteers.Volunteer
}

func (w *Web) myVolunteer(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := homeCommunity(p)
	if err != nil {
		return err
	}
	var d myVolunteerData
	if d.Mine, err = w.Volunteers.Mine(r.Context(), p, cid); err != nil && !apperr.Is(err, apperr.NotFound) {
		return err
	}
	if d.Family, d.Me, err = w.Volunteers.Family(r.Context(), p, cid); err != nil {
		return err
	}
	for _, c := range d.Family {
		if c.VolunteerID == 0 {
			continue
		}
		if v, err := w.Volunteers.Get(r.Context(), p, c.VolunteerID); err == nil {
			d.Children = append(d.Children, v)
		}
	}
	return w.render(rw, http.StatusOK, "myvolunteer", w.view(rw, r, p, "volunteers", "volunteer.mine", d))
}

type orgsData struct {
	Orgs      []volunteers.Organisation
	CanManage bool
	Year      int
	Errors    []string
}

func (w *Web) organisations(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	return w.renderOrgs(rw, r, p, http.StatusOK, nil)
}

func (w *Web) renderOrgs(rw http.ResponseWriter, r *http.Request, p *accounts.Principal, status int, errs []string) error {
	cid, err := homeCommunity(p)
	if err != nil {
		return err
	}
	d := orgsData{CanManage: isOffice(p, cid), Year: w.Clock.Now().Year(), Errors: errs}
	if d.Orgs, err = w.Volunteers.Organisations(r.Context(), p, cid); err != nil {
		return err
	}
	return w.render(rw, status, "organisations", w.view(rw, r, p, "volunteers", "org.title", d))
}

func (w *Web) addCommitment(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	year, _ := strconv.Atoi(r.PostForm.Get("year"))
	if _, err := w.Volunteers.AddCommitment(r.Context(), p, id, year, r.PostForm.Get("text")); err != nil {
		e := apperr.From(err)
		if e.Code != apperr.Invalid {
			return err
		}
		return w.renderOrgs(rw, r, p, e.Code.Status(), fieldMessages(httpx.Lang(r, p), e))
	}
	redirect(rw, r, "/organisations", "flash.saved")
	return nil
}
