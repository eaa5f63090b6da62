package web

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/httpx"
	"github.com/linli/linli/internal/i18n"
	"github.com/linli/linli/internal/photos"
	"github.com/linli/linli/internal/policy"
	"github.com/linli/linli/internal/registry"
	"github.com/linli/linli/internal/requests"
	"github.com/linli/linli/internal/volunteers"
)

// The pages of residents' requests (诉求, issue 6 items 8 and 11): the
// intake form for a phone call, the worker's queue, a partner's inbox, a
// resident's own requests, the request page with its timeline as the
// spine and a form for each step the actor may take now, and the
// building view. The service narrows every row to the actor's reach and
// every step to its side; the pages only offer what it would allow.

func (w *Web) requestRoutes() {
	r := w.Router
	r.Handle("GET /requests", policy.RequestsRead, w.requestQueue)
	r.Handle("GET /requests/new", policy.RequestsIntake, w.requestForm)
	r.Handle("POST /requests", policy.RequestsIntake, w.submitRequest)
	r.Handle("GET /requests/buildings", policy.RequestsManage, w.requestBuildings)
	r.Handle("GET /requests/metrics", policy.RequestsMetrics, w.requestMetrics)
	r.Handle("GET /requests/{id}", policy.RequestsRead, w.requestPage)
	r.Handle("POST /requests/{id}/reveal", policy.RequestsReveal, w.revealRequester)
	for _, st := range requests.StepRoutes {
		r.Handle("POST /requests/{id}/"+st.Path, st.Policy, w.requestStep(st.Action))
	}
	w.requestPhotoRoutes() // request_photos.go
}

// stepPath is the form address of action a.
func stepPath(a requests.Action) string { return requests.StepPath(a) }

// reqMode is how /requests looks to the actor: the worker's queue (the
// office and grid workers), a handler's inbox (a partner's staff, a
// team's leader, a volunteer), or a resident's own requests.
func reqMode(p *accounts.Principal, cid int64) string {
	has := func(roles ...accounts.Role) bool {
		return p.System || slices.ContainsFunc(p.Grants, func(g accounts.Grant) bool {
			return g.CommunityID == cid && slices.Contains(roles, g.Role)
		})
	}
	switch {
	case has(accounts.Admin, accounts.Worker, accounts.Grid):
		return "staff"
	case has(accounts.Partner, accounts.Leader, accounts.Volunteer):
		return "handler"
	}
	return "resident"
}

// myGrids are the grids the actor works as a grid worker in cid.
func myGrids(p *accounts.Principal, cid int64) []int64 {
	var out []int64
	for _, g := range p.Grants {
		if g.CommunityID == cid && g.Role == accounts.Grid && g.GridID != 0 {
			out = append(out, g.GridID)
		}
	}
	return out
}

var (
	openStatuses  = []requests.Status{requests.Submitted, requests.Accepted, requests.Dispatched, requests.Returned, requests.InProgress, requests.ExtensionRequested, requests.ResultSubmitted, requests.AwaitingCallback}
	finalStatuses = []requests.Status{requests.Closed, requests.Rejected, requests.Merged}
)

type reqTab struct {
	Key, Label, Href string
}

// reqRow is a request as a list row shows it.
type reqRow struct {
	*requests.Request
	Category string // in the reader's language
	Building string // the place at building level
	Age      string
	Sign     bool // the handler may sign or return it from the inbox
}

type queueData struct {
	Mode       string
	Tab        string
	Tabs       []reqTab
	Status     string
	CategoryID int64
	BuildingID int64
	Building   string
	Statuses   []requests.Status
	Categories []catOption
	Items      []reqRow
	Total      int
	Pager      pager
	CanIntake  bool
	CanBuild   bool // the building view is the actor's
}

// catOption is a category as a select shows it, children under parents.
type catOption struct {
	ID   int64
	Name string
}

func catName(lang string, zh, en string) string {
	if lang == "en" && en != "" {
		return en
	}
	return zh
}

func (w *Web) categoryOptions(r *http.Request, p *accounts.Principal, cid int64) ([]catOption, error) {
	cats, err := w.Requests.Categories(r.Context(), p, cid)
	if err != nil {
		return nil, err
	}
	lang := httpx.Lang(r, p)
	parent := map[int64]string{}
	var out []catOption
	for _, c := range cats {
		if c.Retired {
			continue
		}
		name := catName(lang, c.NameZH, c.NameEN)
		parent[c.ID] = name
		if c.ParentID != 0 {
			name = parent[c.ParentID] + " › " + name
		}
		out = append(out, catOption{ID: c.ID, Name: name})
	}
	return out, nil
}

// buildingLevel cuts a household's place to its building (平安小区1号楼):
// lists do not spell out flats.
func buildingLevel(place, address string) string {
	if place == "" {
		return address
	}
	if i := strings.Index(place, "号楼"); i > 0 {
		return place[:i+len("号楼")]
	}
	return place
}

// age says how long ago t was, roughly: 5 分钟, 3 小时, 12 天.
func age(lang string, now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Hour:
		return i18n.T(lang, "reqpage.age.minutes", map[string]any{"n": max(0, int(d.Minutes()))})
	case d < 48*time.Hour:
		return i18n.T(lang, "reqpage.age.hours", map[string]any{"n": int(d.Hours())})
	}
	return i18n.T(lang, "reqpage.age.days", map[string]any{"n": int(d.Hours() / 24)})
}

// requestQueue is /requests: the worker's queue, a handler's inbox or a
// resident's own requests, by the actor's role.
func (w *Web) requestQueue(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	if streetOnly(p) {
		// The street has no queue: its view of requests is their figures.
		http.Redirect(rw, r, "/requests/metrics", http.StatusSeeOther)
		return nil
	}
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
	lang := httpx.Lang(r, p)
	d := queueData{Mode: reqMode(p, cid), Tab: q.Get("tab"), Status: q.Get("status"), Statuses: requests.Statuses,
		CanIntake: policy.PermitsIn(p, policy.RequestsIntake, cid, nil)}
	d.CanBuild = d.Mode == "staff"
	f := requests.Filter{CommunityID: cid, Limit: page.PerPage, Offset: page.Offset()}
	grids := myGrids(p, cid)
	tabs := []string{"open", "closed"}
	switch d.Mode {
	case "staff":
		// Overdue is the service's filter (a due that counts has passed),
		// not this page's.
		tabs = []string{"open", "overdue", "mine"}
		if len(grids) > 0 {
			tabs = append(tabs, "grid")
		}
		tabs = append(tabs, "callback", "closed")
	case "handler":
		tabs = []string{"open", "overdue", "sign", "closed"}
	case "resident":
		tabs = []string{"all"}
	}
	if !slices.Contains(tabs, d.Tab) {
		d.Tab = tabs[0]
	}
	for _, t := range tabs {
		d.Tabs = append(d.Tabs, reqTab{Key: t, Label: i18n.T(lang, "reqpage.tab."+t, nil), Href: "/requests?tab=" + t})
	}
	switch d.Tab {
	case "open":
		f.Status = openStatuses
	case "overdue":
		f.Status, f.Overdue = openStatuses, true
	case "mine":
		f.Status, f.Handler = openStatuses, &requests.Handler{Kind: requests.HandlerAccount, ID: p.AccountID}
	case "grid":
		f.Status, f.GridID = openStatuses, grids[0]
	case "callback":
		f.Status = []requests.Status{requests.AwaitingCallback}
	case "sign":
		f.Status = []requests.Status{requests.Dispatched}
	case "closed":
		f.Status = finalStatuses
	}
	if d.Status != "" {
		if !slices.Contains(requests.Statuses, requests.Status(d.Status)) {
			return apperr.New(apperr.Invalid, "error.invalid").Field("status", "request.status.unknown", map[string]any{"status": d.Status})
		}
		f.Status = []requests.Status{requests.Status(d.Status)}
	}
	d.CategoryID, _ = strconv.ParseInt(q.Get("category"), 10, 64)
	f.CategoryID = d.CategoryID
	d.BuildingID, _ = strconv.ParseInt(q.Get("building"), 10, 64)
	f.BuildingID = d.BuildingID
	if d.Categories, err = w.categoryOptions(r, p, cid); err != nil {
		return err
	}
	res, err := w.Requests.List(r.Context(), p, f)
	if err != nil {
		return err
	}
	now := w.Clock.Now()
	for _, it := range res.Items {
		row := reqRow{Request: it, Category: catName(lang, it.CategoryNameZH, it.CategoryNameEN),
			Building: buildingLevel(it.Place, it.Address), Age: age(lang, now, it.CreatedAt)}
		row.Sign = d.Mode == "handler" && slices.Contains(it.Actions, requests.ActSign)
		if d.BuildingID != 0 && d.Building == "" {
			d.Building = row.Building
		}
		d.Items = append(d.Items, row)
	}
	d.Total = res.Total
	d.Pager = pageLinks("/requests", q, []string{"tab", "status", "category", "building"}, page, len(d.Items), d.Total)
	title := "reqpage.queue"
	switch d.Mode {
	case "handler":
		title = "reqpage.inbox"
	case "resident":
		title = "reqpage.mine"
	}
	return w.render(rw, http.StatusOK, "requests", w.view(rw, r, p, "requests", title, d))
}

// Href is the queue's address for tab, keeping the filters.
func (d queueData) Href(tab string) string {
	v := url.Values{"tab": {tab}}
	if d.CategoryID != 0 {
		v.Set("category", strconv.FormatInt(d.CategoryID, 10))
	}
	if d.BuildingID != 0 {
		v.Set("building", strconv.FormatInt(d.BuildingID, 10))
	}
	return "/requests?" + v.Encode()
}

// intakeData is the intake form: the office's and grid workers' full one
// for a phone call, or a resident's short one.
type intakeData struct {
	Resident   bool // the resident's own form
	Home       string
	Form       url.Values
	Errors     map[string]string
	Summary    []string
	Channels   []requests.Channel
	Kinds      []requests.Kind
	Urgencies  []requests.Urgency
	Categories []catOption
	Buildings  []registry.Building
	Query      string
	Found      []registry.Resident
	Searched   bool
	Chosen     *registry.Resident
	// The photo's limits, shown by the file input.
	PhotoMB, PhotoLimit int
}

// Has reports whether the form's field holds v (for selects).
func (d intakeData) Has(field, v string) bool { return d.Form.Get(field) == v }

// requestForm is /requests/new. ?q= finds a resident by name or phone
// (the caller); ?resident= picks one.
func (w *Web) requestForm(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	form := url.Values{"channel": {string(requests.ChannelPhone)}, "kind": {string(requests.KindHelp)},
		"urgency": {string(requests.UrgencyGeneral)}, "place": {"home"}}
	if id := r.URL.Query().Get("resident"); id != "" {
		form.Set("resident_id", id)
	}
	return w.renderIntake(rw, r, p, http.StatusOK, form, nil)
}

func (w *Web) renderIntake(rw http.ResponseWriter, r *http.Request, p *accounts.Principal, status int, form url.Values, e *apperr.Error) error {
	cid, err := homeCommunity(p)
	if err != nil {
		return err
	}
	lang := httpx.Lang(r, p)
	d := intakeData{Resident: reqMode(p, cid) != "staff", Form: form, Errors: map[string]string{},
		Channels: []requests.Channel{requests.ChannelPhone, requests.ChannelWalkIn, requests.ChannelDoorVisit, requests.ChannelGridPatrol, requests.ChannelMeeting, requests.ChannelWeb},
		Kinds:    requests.Kinds, Urgencies: requests.Urgencies, PhotoMB: photos.MaxBytes >> 20, PhotoLimit: requests.MaxPhotos}
	if e != nil {
		for field, fe := range e.Fields {
			d.Errors[field] = i18n.T(lang, fe.Key, fe.Args)
			d.Summary = append(d.Summary, i18n.T(lang, "reqpage.field."+field, nil)+"："+d.Errors[field])
		}
		slices.Sort(d.Summary)
		if len(d.Summary) == 0 {
			d.Summary = []string{i18n.T(lang, e.Key, e.Args)}
		}
	}
	if d.Categories, err = w.categoryOptions(r, p, cid); err != nil {
		return err
	}
	if d.Resident {
		if !policy.PermitsIn(p, policy.RequestsIntake, cid, nil) {
			return apperr.ForbiddenErr()
		}
		rid, err := w.Registry.ResidentOfAccount(r.Context(), cid, p.AccountID)
		if err != nil {
			return err
		}
		if rid != 0 {
			// Their own address, shown to themself.
			me, ok, err := w.Registry.Person(r.Context(), cid, rid)
			if err != nil {
				return err
			}
			if ok {
				d.Home = me.Address
			}
		}
		return w.render(rw, status, "request_form", w.view(rw, r, p, "requests", "reqpage.new_mine", d))
	}
	if d.Buildings, err = w.Registry.Buildings(r.Context(), p, cid); err != nil {
		return err
	}
	if d.Query = strings.TrimSpace(r.URL.Query().Get("q")); d.Query != "" && r.Method == http.MethodGet {
		d.Searched = true
		if d.Found, _, err = w.Registry.List(r.Context(), p, registry.Filter{CommunityID: cid, Query: d.Query, Limit: 10}); err != nil {
			return err
		}
	}
	if id, _ := strconv.ParseInt(form.Get("resident_id"), 10, 64); id != 0 {
		// Opening the caller's record to register for them is an audited
		// read, as every opened record is.
		if res, err := w.Registry.Get(r.Context(), p, id); err == nil && res.CommunityID == cid {
			d.Chosen = res
		} else if err != nil && !apperr.Is(err, apperr.NotFound) {
			return err
		} else {
			form.Del("resident_id")
			d.Errors["resident_id"] = i18n.T(lang, "request.resident.unknown", nil)
		}
	}
	return w.render(rw, status, "request_form", w.view(rw, r, p, "requests", "reqpage.new", d))
}

// submitRequest registers the form's request; bad input shows the form
// again with what was typed and a message at each field.
func (w *Web) submitRequest(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	f, photo, err := readPhotoForm(r) // request_photos.go
	if err != nil {
		if e, shown := formShown(r, err); shown {
			return w.renderIntake(rw, r, p, e.Code.Status(), f, e)
		}
		return err
	}
	cid, err := homeCommunity(p)
	if err != nil {
		return err
	}
	id := func(k string) int64 { n, _ := strconv.ParseInt(strings.TrimSpace(f.Get(k)), 10, 64); return n }
	in := requests.Input{Channel: requests.Channel(f.Get("channel")), Kind: requests.Kind(f.Get("kind")),
		CategoryID: id("category_id"), Description: f.Get("description"), Urgency: requests.Urgency(f.Get("urgency")),
		Photos: onePhoto(photo)}
	bad := apperr.New(apperr.Invalid, "error.invalid")
	if reqMode(p, cid) != "staff" {
		// A resident's own: the channel is the web, the kind 求助 unless
		// said; the place their home, or an address they type.
		in.Channel = requests.ChannelWeb
		if in.Kind == "" {
			in.Kind = requests.KindHelp
		}
		if f.Get("place") == "home" {
			rid, err := w.Registry.ResidentOfAccount(r.Context(), cid, p.AccountID)
			if err != nil {
				return err
			}
			if rid == 0 {
				bad.Field("address", "reqpage.no_home", nil)
			} else if person, ok, err := w.Registry.Person(r.Context(), cid, rid); err != nil {
				return err
			} else if ok {
				in.HouseholdID = person.HouseholdID
			}
		} else {
			in.Address = f.Get("address")
		}
	} else {
		in.ResidentID, in.ContactName, in.ContactPhone = id("resident_id"), f.Get("contact_name"), f.Get("contact_phone")
		in.BuildingID, in.Address = id("building_id"), f.Get("address")
		unit, room := strings.TrimSpace(f.Get("unit")), strings.TrimSpace(f.Get("room"))
		switch {
		case (unit != "" || room != "") && in.BuildingID == 0:
			bad.Field("building_id", "reqpage.building_first", nil)
		case unit != "" && room != "":
			hid, err := w.householdOf(r, p, cid, in.BuildingID, unit, room)
			if err != nil {
				return err
			}
			if hid == 0 {
				bad.Field("room", "request.place.unknown", nil)
			}
			in.HouseholdID = hid
		case unit != "" || room != "":
			bad.Field("room", "reqpage.unit_and_room", nil)
		}
	}
	if len(bad.Fields) > 0 {
		return w.renderIntake(rw, r, p, http.StatusUnprocessableEntity, f, bad)
	}
	req, err := w.Requests.Submit(r.Context(), p, cid, in)
	if err != nil {
		e, shown := formShown(r, err, apperr.Invalid)
		if !shown {
			return err
		}
		return w.renderIntake(rw, r, p, e.Code.Status(), f, e)
	}
	redirect(rw, r, fmt.Sprintf("/requests/%d", req.ID), "reqpage.flash.submitted")
	return nil
}

// householdOf finds the flat unit-room of building b (0 if none).
func (w *Web) householdOf(r *http.Request, p *accounts.Principal, cid, b int64, unit, room string) (int64, error) {
	hs, _, err := w.Registry.Households(r.Context(), p, registry.HouseholdFilter{CommunityID: cid, BuildingID: b,
		Query: unit + "单元" + room, Limit: 20})
	if err != nil {
		return 0, err
	}
	for _, h := range hs {
		if h.Unit == unit && h.Room == room {
			return h.ID, nil
		}
	}
	return 0, nil
}

// eventView is one step of the timeline as the page shows it.
type eventView struct {
	requests.Event
	Handler string // "供热公司 (合作单位)"
}

// requestData is the request page.
type requestData struct {
	R           *requests.Request
	Category    string
	Events      []eventView
	Forms       []requests.Action // the steps offered, in the machine's order
	Paths       map[requests.Action]string
	Targets     []requests.Handler
	VQuery      string
	Volunteers  []volunteers.Volunteer
	Suggestions []suggestionView
	ErrAction   requests.Action
	Errors      map[string]string
	Message     string
	Form        url.Values
	CanReveal   bool
	Revealed    string
	ReopenUntil string
	Satisfs     []requests.Satisfaction
	// Photos: the page offers the add-photo form while the request is
	// open (request_photos.go); the limits are shown by each file input.
	CanAddPhoto         bool
	PhotoMB, PhotoLimit int
}

// suggestionView is a suggested volunteer with the reasons in words.
type suggestionView struct {
	ID           int64
	Name, Number string
	Score        float64
	Reasons      []string
}

// Err is the message for field of the step form a, if that form failed.
func (d requestData) Err(a requests.Action, field string) string {
	if d.ErrAction != a {
		return ""
	}
	return d.Errors[field]
}

// Val is what was typed into field of the failed step form a.
func (d requestData) Val(a requests.Action, field string) string {
	if d.ErrAction != a || d.Form == nil {
		return ""
	}
	return d.Form.Get(field)
}

func (w *Web) requestPage(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	return w.renderRequest(rw, r, p, http.StatusOK, &requestData{})
}

func (w *Web) renderRequest(rw http.ResponseWriter, r *http.Request, p *accounts.Principal, status int, d *requestData) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	if d.R, err = w.Requests.Get(r.Context(), p, id); err != nil {
		return err
	}
	lang := httpx.Lang(r, p)
	cid := d.R.CommunityID
	d.Category = catName(lang, d.R.CategoryNameZH, d.R.CategoryNameEN)
	d.Paths = map[requests.Action]string{}
	d.Satisfs = requests.Satisfactions
	now := w.Clock.Now()
	for _, a := range d.R.Actions {
		if a == requests.ActReopen {
			// Past the window the service refuses: no button for it.
			if d.R.ClosedAt == nil || now.Sub(*d.R.ClosedAt) > requests.ReopenWindowDays*24*time.Hour {
				continue
			}
			d.ReopenUntil = d.R.ClosedAt.Add(requests.ReopenWindowDays * 24 * time.Hour).In(clock.Shanghai).Format("2006-01-02 15:04")
		}
		if st := stepPath(a); st != "" && policy.PermitsIn(p, stepPolicy(a), cid, nil) {
			d.Forms = append(d.Forms, a)
			d.Paths[a] = st
		}
	}
	names := map[requests.Handler]string{}
	if slices.Contains(d.Forms, requests.ActDispatch) {
		if d.Targets, err = w.Requests.DispatchTargets(r.Context(), p, cid); err != nil {
			return err
		}
		for _, t := range d.Targets {
			names[requests.Handler{Kind: t.Kind, ID: t.ID}] = t.Name
		}
		// The best volunteers for it, each with why (issue 6 item 4).
		if w.Matching != nil {
			sg, err := w.Matching.Suggest(r.Context(), p, d.R.ID, 5)
			if err != nil && !apperr.Is(err, apperr.Forbidden) && !apperr.Is(err, apperr.NotFound) {
				return err
			}
			for _, g := range sg {
				v := suggestionView{ID: g.VolunteerID, Name: g.Name, Number: g.Number, Score: g.Score}
				for _, why := range g.Reasons {
					v.Reasons = append(v.Reasons, i18n.T(lang, why.Key, why.Args))
				}
				d.Suggestions = append(d.Suggestions, v)
			}
		}
		if d.VQuery = strings.TrimSpace(r.URL.Query().Get("vq")); d.VQuery != "" {
			vs, _, err := w.Volunteers.List(r.Context(), p, volunteers.Filter{CommunityID: cid, Query: d.VQuery, Limit: 20})
			if err != nil && !apperr.Is(err, apperr.Forbidden) && !apperr.Is(err, apperr.NotFound) {
				return err
			}
			d.Volunteers = vs
		}
	}
	if h := d.R.Handler; h != nil {
		names[requests.Handler{Kind: h.Kind, ID: h.ID}] = h.Name
	}
	events, err := w.Requests.Timeline(r.Context(), p, id)
	if err != nil {
		return err
	}
	for _, e := range events {
		ev := eventView{Event: e}
		if e.Handler != nil {
			ev.Handler = i18n.T(lang, "request.handler_kind."+string(e.Handler.Kind), nil)
			n := e.Handler.Name // the service names it, a volunteer masked as the reader must see it
			if n == "" {
				n = names[requests.Handler{Kind: e.Handler.Kind, ID: e.Handler.ID}]
			}
			if n != "" {
				ev.Handler = n + "（" + ev.Handler + "）"
			}
		}
		d.Events = append(d.Events, ev)
	}
	// The phone is revealed to the office and the handler (the service
	// checks); a resident never needs to reveal their own.
	d.CanReveal = reqMode(p, cid) != "resident" && policy.PermitsIn(p, policy.RequestsReveal, cid, nil) && d.R.RequesterPhone != ""
	d.CanAddPhoto = d.R.Status.Open() && policy.PermitsIn(p, policy.RequestsPhotos, cid, nil)
	d.PhotoMB, d.PhotoLimit = photos.MaxBytes>>20, requests.MaxPhotos
	return w.render(rw, status, "request", w.view(rw, r, p, "requests", "reqpage.detail", d))
}

func stepPolicy(a requests.Action) policy.Action {
	for _, st := range requests.StepRoutes {
		if st.Action == a {
			return st.Policy
		}
	}
	return ""
}

// requestStep takes one step from its form; a refusal shows the page
// again with the message at the form and what was typed.
func (w *Web) requestStep(action requests.Action) func(http.ResponseWriter, *http.Request, *accounts.Principal) error {
	return func(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
		id, err := pathInt(r, "id")
		if err != nil {
			return err
		}
		f, photo, err := readPhotoForm(r) // request_photos.go
		if err != nil {
			if e, shown := formShown(r, err); shown {
				return w.renderRequest(rw, r, p, e.Code.Status(), stepFailed(r, p, action, f, e))
			}
			return err
		}
		st := requests.Step{Action: action, Note: f.Get("note"), Reason: f.Get("reason"), Photos: onePhoto(photo)}
		bad := apperr.New(apperr.Invalid, "error.invalid")
		switch action {
		case requests.ActDispatch:
			// "rule": no handler named, the community's routing decides.
			if v := f.Get("handler"); v != "rule" {
				kind, hid, _ := strings.Cut(v, ":")
				n, _ := strconv.ParseInt(hid, 10, 64)
				st.Handler = &requests.Handler{Kind: requests.HandlerKind(kind), ID: n}
			}
		case requests.ActMerge:
			if number := strings.TrimSpace(f.Get("into")); number != "" {
				// An unknown number stays 0, which the service refuses
				// at the field; another community's is not found here.
				cid, err := homeCommunity(p)
				if err != nil {
					return err
				}
				into, err := w.Requests.FindNumber(r.Context(), p, cid, number)
				if err != nil && !apperr.Is(err, apperr.NotFound) {
					return err
				}
				st.Into = into
			}
		case requests.ActExtension:
			if s := strings.TrimSpace(f.Get("until")); s != "" {
				t, err := time.ParseInLocation("2006-01-02T15:04", s, clock.Shanghai)
				if err != nil {
					bad.Field("until", "reqpage.until.bad", nil)
				}
				st.Until = &t
			}
		case requests.ActCallback:
			switch f.Get("resolved") {
			case "yes":
				st.Resolved = new(bool)
				*st.Resolved = true
			case "no":
				st.Resolved = new(bool)
			}
			st.Satisfaction = requests.Satisfaction(f.Get("satisfaction"))
		}
		if len(bad.Fields) > 0 {
			err = bad
		} else {
			_, err = w.Requests.Do(r.Context(), p, id, st)
		}
		if err != nil {
			e, shown := formShown(r, err, apperr.Invalid, apperr.Conflict)
			if !shown {
				return err
			}
			return w.renderRequest(rw, r, p, e.Code.Status(), stepFailed(r, p, action, f, e))
		}
		redirect(rw, r, fmt.Sprintf("/requests/%d#timeline", id), "reqpage.flash."+string(action))
		return nil
	}
}

// revealRequester shows the requester's phone once, in this response,
// after the service has recorded who asked and why.
func (w *Web) revealRequester(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	phone, err := w.Requests.RevealPhone(r.Context(), p, id, r.PostForm.Get("reason"))
	if err != nil {
		e := apperr.From(err)
		if e.Code != apperr.Invalid {
			return err
		}
		d := &requestData{ErrAction: "reveal", Form: r.PostForm, Errors: map[string]string{}}
		for field, fe := range e.Fields {
			d.Errors[field] = i18n.T(httpx.Lang(r, p), fe.Key, fe.Args)
		}
		return w.renderRequest(rw, r, p, e.Code.Status(), d)
	}
	return w.renderRequest(rw, r, p, http.StatusOK, &requestData{Revealed: phone})
}

type reqBuilding struct {
	registry.Building
	Open int
}

type reqEstate struct {
	Name      string
	Buildings []reqBuilding
	Open      int
}

type reqBuildingsData struct {
	Estates []reqEstate
	Total   int
}

// requestBuildings is the map-free building view: each building of the
// actor's reach with its open requests, linking to the queue.
func (w *Web) requestBuildings(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := registryCommunity(p)
	if err != nil {
		return err
	}
	bs, err := w.Registry.Buildings(r.Context(), p, cid)
	if err != nil {
		return err
	}
	open, err := w.Requests.OpenByBuilding(r.Context(), p, cid)
	if err != nil {
		return err
	}
	var d reqBuildingsData
	for _, b := range bs {
		if n := len(d.Estates); n == 0 || d.Estates[n-1].Name != b.Estate {
			d.Estates = append(d.Estates, reqEstate{Name: b.Estate})
		}
		e := &d.Estates[len(d.Estates)-1]
		e.Buildings = append(e.Buildings, reqBuilding{Building: b, Open: open[b.ID]})
		e.Open += open[b.ID]
		d.Total += open[b.ID]
	}
	return w.render(rw, http.StatusOK, "request_buildings", w.view(rw, r, p, "requests", "reqpage.buildings", d))
}

// metricsRow is one line of the figures' tables, its rates as percents.
type metricsRow struct {
	Name                                       string
	R                                          requests.Rates
	Response, Resolution, Satisfaction, Reopen string
	Median                                     string
}

type metricsData struct {
	From, To                    string
	Community                   string // the street's view: whose figures
	Overall                     metricsRow
	OverallRows                 []metricsRow // the one row, for the table's template
	Categories, Handlers, Grids []metricsRow
}

func pct(v *float64) string {
	if v == nil {
		return "—"
	}
	return strconv.FormatFloat(*v*100, 'f', 1, 64) + "%"
}

func rowOf(name string, r requests.Rates) metricsRow {
	m := metricsRow{Name: name, R: r, Response: pct(r.ResponseRate), Resolution: pct(r.ResolutionRate),
		Satisfaction: pct(r.SatisfactionRate), Reopen: pct(r.ReopenRate), Median: "—"}
	if r.MedianHoursToClose != nil {
		m.Median = strconv.FormatFloat(*r.MedianHoursToClose, 'f', 1, 64)
	}
	return m
}

// requestMetrics is /requests/metrics: the twelve months' figures, from
// the timelines, with their definitions on the page. A street supervisor
// gets its street's communities (requests_street.go).
func (w *Web) requestMetrics(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	if streetOnly(p) {
		return w.streetRequestMetrics(rw, r, p)
	}
	cid, err := homeCommunity(p)
	if err != nil {
		return err
	}
	m, err := w.Requests.Metrics(r.Context(), p, cid, time.Time{}, time.Time{})
	if err != nil {
		return err
	}
	return w.renderMetrics(rw, r, p, m, "")
}

// renderMetrics draws one community's figures; community names it when
// the reader oversees several.
func (w *Web) renderMetrics(rw http.ResponseWriter, r *http.Request, p *accounts.Principal, m *requests.Metrics, community string) error {
	lang := httpx.Lang(r, p)
	d := metricsData{From: m.From.In(clock.Shanghai).Format("2006-01-02"), To: m.To.In(clock.Shanghai).Format("2006-01-02"),
		Overall: rowOf(i18n.T(lang, "reqpage.metrics.overall", nil), m.Overall), Community: community}
	d.OverallRows = []metricsRow{d.Overall}
	for _, g := range m.ByCategory {
		d.Categories = append(d.Categories, rowOf(g.Name, g.Rates))
	}
	for _, g := range m.ByHandler {
		kind := i18n.T(lang, "request.handler_kind."+g.Kind, nil)
		if g.ID == 0 && g.Name == "" {
			// The street's view: every volunteer (or worker) in one row.
			d.Handlers = append(d.Handlers, rowOf(i18n.T(lang, "reqpage.metrics.all_of_kind", map[string]any{"kind": kind}), g.Rates))
			continue
		}
		d.Handlers = append(d.Handlers, rowOf(g.Name+"（"+kind+"）", g.Rates))
	}
	for _, g := range m.ByGrid {
		d.Grids = append(d.Grids, rowOf(g.Name, g.Rates))
	}
	return w.render(rw, http.StatusOK, "request_metrics", w.view(rw, r, p, "requests", "reqpage.metrics", d))
}

// requestFuncs are the request page's template helpers: which step forms
// ask for a reason or a note (the machine's table says), and the main
// step of each status, drawn as the primary button.
var requestFuncs = template.FuncMap{
	"needsReason": func(a requests.Action) bool { return requests.Machine[a].Reason },
	"needsNote": func(a requests.Action) bool {
		return requests.Machine[a].Note || a == requests.ActVerify || a == requests.ActAccept
	},
	"isMain": func(a requests.Action) bool {
		return slices.Contains([]requests.Action{requests.ActAccept, requests.ActDispatch, requests.ActSign, requests.ActResult,
			requests.ActVerify, requests.ActCallback}, a)
	},
	"deref_bool": func(b *bool) bool { return b != nil && *b },
	"takesPhoto": takesPhoto, // request_photos.go
}
