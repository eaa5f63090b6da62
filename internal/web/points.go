package web

import (
	"net/http"
	"strconv"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/httpx"
	"github.com/linli/linli/internal/points"
)

type pointsData struct {
	Sum    *points.Summary
	Items  []points.Item
	Rules  points.Rules
	Errors []string
}

// CanAfford reports whether the balance covers one of an item.
func (d pointsData) CanAfford(it points.Item) bool {
	return d.Sum != nil && d.Sum.Balance >= it.Cost && it.Stock > 0
}

// myPoints: a volunteer's balance, the shop, their redemptions.
func (w *Web) myPoints(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	return w.renderPoints(rw, r, p, http.StatusOK, nil)
}

func (w *Web) renderPoints(rw http.ResponseWriter, r *http.Request, p *accounts.Principal, status int, errs []string) error {
	cid, err := homeCommunity(p)
	if err != nil {
		return err
	}
	d := pointsData{Errors: errs}
	if d.Sum, err = w.Points.SummaryOf(r.Context(), p, cid, 0); apperr.Is(err, apperr.NotFound) {
		redirect(rw, r, "/me/volunteer", "")
		return nil
	} else if err != nil {
		return err
	}
	if d.Items, err = w.Points.Items(r.Context(), p, cid); err != nil {
		return err
	}
	if d.Rules, err = w.Points.RulesOf(r.Context(), w.DB, cid); err != nil {
		return err
	}
	return w.render(rw, status, "mypoints", w.view(rw, r, p, "volunteers", "points.mine", d))
}

func (w *Web) redeem(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	cid, err := homeCommunity(p)
	if err != nil {
		return err
	}
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	q, _ := strconv.Atoi(r.PostForm.Get("quantity"))
	if _, err := w.Points.Redeem(r.Context(), p, cid, 0, id, max(q, 1)); err != nil {
		e := apperr.From(err)
		if e.Code != apperr.Invalid && e.Code != apperr.Conflict {
			return err
		}
		return w.renderPoints(rw, r, p, e.Code.Status(), fieldMessages(httpx.Lang(r, p), e))
	}
	redirect(rw, r, "/me/points", "flash.redeemed")
	return nil
}

type shopData struct {
	Items  []points.Item
	Recent []points.Redemption
	Errors []string
}

// shop is the office's side of the points shop: the shelf and the counter.
func (w *Web) shop(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	return w.renderShop(rw, r, p, http.StatusOK, nil)
}

func (w *Web) renderShop(rw http.ResponseWriter, r *http.Request, p *accounts.Principal, status int, errs []string) error {
	cid, err := homeCommunity(p)
	if err != nil {
		return err
	}
	d := shopData{Errors: errs}
	if d.Items, err = w.Points.Items(r.Context(), p, cid); err != nil {
		return err
	}
	if d.Recent, err = w.Points.Recent(r.Context(), p, cid); err != nil {
		return err
	}
	return w.render(rw, status, "shop", w.view(rw, r, p, "volunteers", "points.shop", d))
}

func (w *Web) saveItem(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	cid, err := homeCommunity(p)
	if err != nil {
		return err
	}
	f := r.PostForm
	it := points.Item{Name: f.Get("name"), Description: f.Get("description"), Active: f.Get("active") == "1"}
	it.ID, _ = strconv.ParseInt(f.Get("id"), 10, 64)
	it.Cost, _ = strconv.Atoi(f.Get("cost"))
	it.Stock, _ = strconv.Atoi(f.Get("stock"))
	if _, err := w.Points.SaveItem(r.Context(), p, cid, it); err != nil {
		e := apperr.From(err)
		if e.Code != apperr.Invalid && e.Code != apperr.Conflict {
			return err
		}
		return w.renderShop(rw, r, p, e.Code.Status(), fieldMessages(httpx.Lang(r, p), e))
	}
	redirect(rw, r, "/shop", "flash.saved")
	return nil
}

func (w *Web) returnItem(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	if _, err := w.Points.Return(r.Context(), p, id); err != nil {
		if apperr.Is(err, apperr.Conflict) {
			return w.renderShop(rw, r, p, http.StatusConflict, fieldMessages(httpx.Lang(r, p), apperr.From(err)))
		}
		return err
	}
	redirect(rw, r, "/shop", "flash.saved")
	return nil
}
