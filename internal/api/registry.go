package api

import (
	"net/http"
	"strconv"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/httpx"
	"github.com/linli/linli/internal/registry"
)

// queryID reads an optional positive integer query parameter.
func queryID(r *http.Request, name string) (int64, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, apperr.New(apperr.Malformed, "error.malformed").Field(name, "error.number", nil)
	}
	return n, nil
}

// gridParam turns ?grid=N (the grid's number, as people say 第3网格) into
// the grid's id in the community; an unknown number matches nothing.
func (a *API) gridParam(r *http.Request, cid int64) (int64, error) {
	n, err := queryID(r, "grid")
	if err != nil || n == 0 {
		return 0, err
	}
	gs, err := a.Tenancy.Grids(r.Context(), cid)
	if err != nil {
		return 0, err
	}
	for _, g := range gs {
		if int64(g.Number) == n {
			return g.ID, nil
		}
	}
	return -1, nil
}

func (a *API) listResidents(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	page, err := httpx.ParsePage(r)
	if err != nil {
		return err
	}
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	f := registry.Filter{CommunityID: cid, Query: r.URL.Query().Get("q"), Tag: r.URL.Query().Get("tag"),
		IncludeMovedOut: r.URL.Query().Get("moved_out") == "1", Limit: page.PerPage, Offset: page.Offset()}
	if f.GridID, err = a.gridParam(r, cid); err != nil {
		return err
	}
	if f.BuildingID, err = queryID(r, "building"); err != nil {
		return err
	}
	if f.HouseholdID, err = queryID(r, "household"); err != nil {
		return err
	}
	items, total, err := a.Registry.List(r.Context(), p, f)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, httpx.NewList(items, total, page))
	return nil
}

func (a *API) getResident(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	res, err := a.Registry.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, res)
	return nil
}

type residentRequest struct {
	registry.Input
	// Keep lists sensitive fields to leave as they are when sent empty.
	Keep []string `json:"keep"`
}

func (a *API) createResident(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	var in registry.Input
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	res, err := a.Registry.Create(r.Context(), p, cid, in)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, res)
	return nil
}

func (a *API) updateResident(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in residentRequest
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	res, err := a.Registry.Update(r.Context(), p, id, in.Input, in.Keep)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, res)
	return nil
}

type reasonRequest struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

func (a *API) moveOut(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in reasonRequest
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	if err := a.Registry.MoveOut(r.Context(), p, id, in.Reason); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) revealResident(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in reasonRequest
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	v, err := a.Registry.Reveal(r.Context(), p, id, in.Field, in.Reason)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"field": in.Field, "value": v})
	return nil
}

func (a *API) listHouseholds(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	page, err := httpx.ParsePage(r)
	if err != nil {
		return err
	}
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	f := registry.HouseholdFilter{CommunityID: cid, Query: r.URL.Query().Get("q"), Limit: page.PerPage, Offset: page.Offset()}
	if f.GridID, err = a.gridParam(r, cid); err != nil {
		return err
	}
	if f.BuildingID, err = queryID(r, "building"); err != nil {
		return err
	}
	items, total, err := a.Registry.Households(r.Context(), p, f)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, httpx.NewList(items, total, page))
	return nil
}

func (a *API) revealHousehold(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in reasonRequest
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	if in.Field != "phone" {
		return apperr.New(apperr.Invalid, "error.invalid").Field("field", "registry.field.invalid", nil)
	}
	v, err := a.Registry.RevealHouseholdPhone(r.Context(), p, id, in.Reason)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"field": "phone", "value": v})
	return nil
}

func (a *API) listBuildings(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	bs, err := a.Registry.Buildings(r.Context(), p, cid)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, httpx.NewList(bs, len(bs), httpx.Page{Page: 1, PerPage: max(1, len(bs))}))
	return nil
}

func (a *API) registryStats(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := queryID(r, "community_id")
	if err != nil {
		return err
	}
	if cid == 0 {
		if cid, err = community(r, p); err != nil {
			return err
		}
	}
	st, err := a.Registry.Stats(r.Context(), p, cid, a.Tenancy.StreetOf)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, st)
	return nil
}

func (a *API) listTags(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	tags, err := a.Registry.TagList(r.Context(), p, cid)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, httpx.NewList(tags, len(tags), httpx.Page{Page: 1, PerPage: max(1, len(tags))}))
	return nil
}

func (a *API) addTag(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	var in struct {
		Name      string `json:"name"`
		Sensitive bool   `json:"sensitive"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	t, err := a.Registry.AddTag(r.Context(), p, cid, in.Name, in.Sensitive)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, t)
	return nil
}

func (a *API) removeTag(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := a.Registry.RemoveTag(r.Context(), p, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) createHousehold(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	var in struct {
		BuildingID int64  `json:"building_id"`
		Unit       string `json:"unit"`
		Room       string `json:"room"`
		Phone      string `json:"phone"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	h, err := a.Registry.CreateHousehold(r.Context(), p, cid, in.BuildingID, in.Unit, in.Room, in.Phone)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, h)
	return nil
}
