package api

import (
	"net/http"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/httpx"
	"github.com/linli/linli/internal/policy"
)

// Open311 API keys: an admin creates one per client (a city hotline, a
// test), sees it once, and revokes it; the list shows prefixes only.

// open311Routes registers the key routes; routes() calls it.
func (a *API) open311Routes() {
	r := a.Router
	r.Handle("GET /api/v1/open311/keys", policy.Open311Keys, a.listOpen311Keys)
	r.Handle("POST /api/v1/open311/keys", policy.Open311Keys, a.createOpen311Key)
	r.Handle("POST /api/v1/open311/keys/{id}/revoke", policy.Open311Keys, a.revokeOpen311Key)
}

func (a *API) listOpen311Keys(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	keys, err := a.Open311Keys.List(r.Context(), p, cid)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, httpx.NewList(keys, len(keys), httpx.Page{Page: 1, PerPage: max(1, len(keys))}))
	return nil
}

func (a *API) createOpen311Key(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
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
	k, err := a.Open311Keys.Create(r.Context(), p, cid, in.Name)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, k)
	return nil
}

func (a *API) revokeOpen311Key(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	k, err := a.Open311Keys.Revoke(r.Context(), p, id)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, k)
	return nil
}
