package api

import (
	"net/http"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/httpx"
	"github.com/linli/linli/internal/volunteers"
)

func (a *API) listVolunteers(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	page, err := httpx.ParsePage(r)
	if err != nil {
		return err
	}
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := volunteers.Filter{CommunityID: cid, Query: q.Get("q"), Skill: q.Get("skill"), Category: q.Get("category"),
		Limit: page.PerPage, Offset: page.Offset()}
	if f.TeamID, err = queryID(r, "team"); err != nil {
		return err
	}
	if f.GridID, err = a.gridParam(r, cid); err != nil {
		return err
	}
	items, total, err := a.Volunteers.List(r.Context(), p, f)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, httpx.NewList(items, total, page))
	return nil
}

func (a *API) getVolunteer(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	v, err := a.Volunteers.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, v)
	return nil
}

func (a *API) registerVolunteer(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	var in volunteers.Input
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	v, err := a.Volunteers.Register(r.Context(), p, cid, in)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, v)
	return nil
}

func (a *API) updateVolunteer(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in volunteers.Input
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	if in.ResidentID != 0 || in.Person != nil || in.Guardian != nil {
		// Who a volunteer is does not change here: the registry holds it.
		return apperr.New(apperr.Invalid, "error.invalid").Field("resident_id", "volunteer.person.fixed", nil)
	}
	v, err := a.Volunteers.Update(r.Context(), p, id, in)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, v)
	return nil
}

func (a *API) revealVolunteer(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in reasonRequest
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	v, err := a.Volunteers.Reveal(r.Context(), p, id, in.Field, in.Reason)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"field": in.Field, "value": v})
	return nil
}

type consentRequest struct {
	Kind     string                    `json:"kind"`
	Guardian *volunteers.GuardianInput `json:"guardian"`
}

func (a *API) addConsent(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in consentRequest
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	v, err := a.Volunteers.AddConsent(r.Context(), p, id, in.Kind, in.Guardian)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, v)
	return nil
}

func (a *API) withdrawConsent(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	cid, err := pathID(r, "consent")
	if err != nil {
		return err
	}
	v, err := a.Volunteers.WithdrawConsent(r.Context(), p, id, cid)
	if err != nil {
		return err
	}
	if v == nil {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	httpx.WriteJSON(w, http.StatusOK, v)
	return nil
}

func (a *API) myVolunteer(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	v, err := a.Volunteers.Mine(r.Context(), p, cid)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, v)
	return nil
}

func (a *API) ageRules(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	rules, err := a.Volunteers.AgeRules(r.Context(), cid)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, rules)
	return nil
}

func (a *API) setAgeRules(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	var in volunteers.AgeRules
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	if err := a.Volunteers.SetAgeRules(r.Context(), p, cid, in); err != nil {
		return err
	}
	return a.ageRules(w, r, p)
}

func (a *API) listSkills(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	if _, err := a.Volunteers.Teams(r.Context(), p, cid); err != nil {
		return err // not a member of that community
	}
	skills, err := a.Volunteers.Skills(r.Context(), cid)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"skills": skills, "categories": volunteers.Categories})
	return nil
}

func (a *API) addSkill(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	var in struct {
		Name string `json:"name"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	if err := a.Volunteers.AddSkill(r.Context(), p, cid, in.Name); err != nil {
		return err
	}
	w.WriteHeader(http.StatusCreated)
	return nil
}

func (a *API) listTeams(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	teams, err := a.Volunteers.Teams(r.Context(), p, cid)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, httpx.NewList(teams, len(teams), httpx.Page{Page: 1, PerPage: max(1, len(teams))}))
	return nil
}

func (a *API) getTeam(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	t, err := a.Volunteers.Team(r.Context(), p, id)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, t)
	return nil
}

func (a *API) createTeam(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	var in volunteers.TeamInput
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	t, err := a.Volunteers.CreateTeam(r.Context(), p, cid, in)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, t)
	return nil
}

func (a *API) updateTeam(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in volunteers.TeamInput
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	t, err := a.Volunteers.UpdateTeam(r.Context(), p, id, in)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, t)
	return nil
}

func (a *API) joinTeam(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		VolunteerID int64  `json:"volunteer_id"`
		Role        string `json:"role"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	if in.VolunteerID <= 0 {
		return apperr.New(apperr.Invalid, "error.invalid").Field("volunteer_id", "volunteer.id.required", nil)
	}
	tr, err := a.Volunteers.Join(r.Context(), p, id, in.VolunteerID, in.Role)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, tr)
	return nil
}

func (a *API) leaveTeam(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	vid, err := pathID(r, "volunteer")
	if err != nil {
		return err
	}
	if err := a.Volunteers.Leave(r.Context(), p, id, vid); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) listOrganisations(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	orgs, err := a.Volunteers.Organisations(r.Context(), p, cid)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, httpx.NewList(orgs, len(orgs), httpx.Page{Page: 1, PerPage: max(1, len(orgs))}))
	return nil
}

func (a *API) getOrganisation(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	o, err := a.Volunteers.Organisation(r.Context(), p, id)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, o)
	return nil
}

func (a *API) createOrganisation(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	var in volunteers.OrgInput
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	o, err := a.Volunteers.CreateOrganisation(r.Context(), p, cid, in)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, o)
	return nil
}

func (a *API) updateOrganisation(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in volunteers.OrgInput
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	o, err := a.Volunteers.UpdateOrganisation(r.Context(), p, id, in)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, o)
	return nil
}

func (a *API) addCommitment(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		Year int    `json:"year"`
		Text string `json:"text"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	o, err := a.Volunteers.AddCommitment(r.Context(), p, id, in.Year, in.Text)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, o)
	return nil
}
