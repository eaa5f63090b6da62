package api

import (
	"net/http"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/httpx"
)

func (a *API) listNotifications(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	page, err := httpx.ParsePage(r)
	if err != nil {
		return err
	}
	unread := r.URL.Query().Get("unread") == "1" || r.URL.Query().Get("unread") == "true"
	items, total, err := a.Notify.List(r.Context(), p, unread, page.PerPage, page.Offset())
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, httpx.NewList(items, total, page))
	return nil
}

func (a *API) markRead(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := a.Notify.MarkRead(r.Context(), p, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) markAllRead(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	n, err := a.Notify.MarkAllRead(r.Context(), p)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]int64{"marked": n})
	return nil
}
