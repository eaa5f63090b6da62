package api

import (
	"net/http"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/httpx"
	"github.com/linli/linli/internal/points"
)

func (a *API) myPoints(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	vid, err := queryID(r, "volunteer_id")
	if err != nil {
		return err
	}
	s, err := a.Points.SummaryOf(r.Context(), p, cid, vid)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, s)
	return nil
}

func (a *API) pointRules(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	if _, err := a.Points.Items(r.Context(), p, cid); err != nil {
		return err // not a member of that community
	}
	rules, err := a.Points.RulesOf(r.Context(), a.DB, cid)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, rules)
	return nil
}

func (a *API) setPointRules(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	var in points.Rules
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	if err := a.Points.SetRules(r.Context(), p, cid, in); err != nil {
		return err
	}
	return a.pointRules(w, r, p)
}

func (a *API) shopItems(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	items, err := a.Points.Items(r.Context(), p, cid)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, httpx.NewList(items, len(items), httpx.Page{Page: 1, PerPage: max(1, len(items))}))
	return nil
}

func (a *API) addShopItem(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	var in points.Item
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	in.ID = 0
	it, err := a.Points.SaveItem(r.Context(), p, cid, in)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, it)
	return nil
}

func (a *API) updateShopItem(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	var in points.Item
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	in.ID = id
	it, err := a.Points.SaveItem(r.Context(), p, cid, in)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, it)
	return nil
}

func (a *API) redeem(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	in := struct {
		Quantity    int   `json:"quantity"`
		VolunteerID int64 `json:"volunteer_id"`
	}{Quantity: 1}
	if err := httpx.DecodeOptionalJSON(r, &in); err != nil {
		return err
	}
	red, err := a.Points.Redeem(r.Context(), p, cid, in.VolunteerID, id, in.Quantity)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, red)
	return nil
}

func (a *API) returnRedemption(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	red, err := a.Points.Return(r.Context(), p, id)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, red)
	return nil
}
