package api

import (
	"net/http"
	"strings"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/httpx"
)

// listFeeds: the caller's calendar feeds, the community's first, then
// their teams', then their own, each with an absolute URL to subscribe to.
func (a *API) listFeeds(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	items, err := a.Feeds.List(r.Context(), p, cid, httpx.BaseURL(r, a.PublicURL))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, httpx.NewList(items, len(items), httpx.Page{Page: 1, PerPage: max(1, len(items))}))
	return nil
}

// rotateFeeds gives all the caller's feeds new tokens and lists them.
func (a *API) rotateFeeds(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	items, err := a.Feeds.Rotate(r.Context(), p, cid, httpx.BaseURL(r, a.PublicURL))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, httpx.NewList(items, len(items), httpx.Page{Page: 1, PerPage: max(1, len(items))}))
	return nil
}

// feed serves /feeds/{token}.ics to a calendar app, which signs in with
// nothing but the token in the URL.
func (a *API) feed(w http.ResponseWriter, r *http.Request, _ *accounts.Principal) error {
	token, ok := strings.CutSuffix(r.PathValue("file"), ".ics")
	if !ok {
		return apperr.NotFoundErr()
	}
	body, err := a.Feeds.Calendar(r.Context(), token, httpx.BaseURL(r, a.PublicURL))
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/calendar; charset=utf-8")
	h.Set("Cache-Control", "private, no-cache") // the secret URL is the key; keep copies out of shared caches
	h.Set("X-Robots-Tag", "noindex")
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(body)
	return err
}

// rotateFeed gives one of the caller's feeds, by id, a new token and
// answers it; the caller's other feeds keep theirs.
func (a *API) rotateFeed(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	f, err := a.Feeds.RotateOne(r.Context(), p, id, httpx.BaseURL(r, a.PublicURL))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, f)
	return nil
}
