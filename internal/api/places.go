package api

import (
	"net/http"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/activities"
	"github.com/linli/linli/internal/httpx"
)

// The community's places: everyone in it lists them (to choose one for an
// activity); the office adds, renames, resizes and retires them.

func (a *API) listPlaces(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	places, err := a.Activities.ListPlaces(r.Context(), p, cid)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, httpx.NewList(places, len(places), httpx.Page{Page: 1, PerPage: max(1, len(places))}))
	return nil
}

func (a *API) createPlace(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	var in struct {
		Name     string `json:"name"`
		Capacity int    `json:"capacity"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	pl, err := a.Activities.CreatePlace(r.Context(), p, cid, in.Name, in.Capacity)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, pl)
	return nil
}

func (a *API) updatePlace(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	var c activities.PlaceChange
	if err := httpx.DecodeJSON(r, &c); err != nil {
		return err
	}
	pl, err := a.Activities.UpdatePlace(r.Context(), p, cid, id, c)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, pl)
	return nil
}
