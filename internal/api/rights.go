package api

import (
	"net/http"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/httpx"
)

func (a *API) myData(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	acc, err := a.Accounts.FindAccount(r.Context(), p.AccountID)
	if err != nil {
		return err
	}
	d, err := a.Registry.MyData(r.Context(), p, acc)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, d)
	return nil
}

func (a *API) requestErasure(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	var in struct {
		Reason string `json:"reason"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	req, err := a.Registry.RequestErasure(r.Context(), p, in.Reason)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, req)
	return nil
}

func (a *API) listErasures(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	rs, err := a.Registry.ErasureRequests(r.Context(), p, cid)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, httpx.NewList(rs, len(rs), httpx.Page{Page: 1, PerPage: max(1, len(rs))}))
	return nil
}

func (a *API) decideErasure(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		CarryOut bool   `json:"carry_out"`
		Note     string `json:"note"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	if err := a.Registry.DecideErasure(r.Context(), p, id, in.CarryOut, in.Note); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) linkAccount(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		AccountID int64 `json:"account_id"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	if err := a.Registry.LinkResidentAccount(r.Context(), p, id, in.AccountID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
