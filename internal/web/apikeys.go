package web

import (
	"net/http"
	"net/url"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/httpx"
	"github.com/linli/linli/internal/open311"
)

// The admin's Open311 API keys: the list (prefixes only), a form to
// create one, whose key is shown on the answer page once, and a button
// to revoke each.

type apiKeysData struct {
	Keys     []open311.Key
	Created  *open311.NewKey // just created: the only time its key is shown
	Endpoint string
	Form     url.Values
	Errors   []string
}

func (w *Web) apiKeysPage(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	return w.renderAPIKeys(rw, r, p, http.StatusOK, apiKeysData{Form: url.Values{}})
}

func (w *Web) renderAPIKeys(rw http.ResponseWriter, r *http.Request, p *accounts.Principal, status int, d apiKeysData) error {
	cid, err := homeCommunity(p)
	if err != nil {
		return err
	}
	if d.Keys, err = w.Open311Keys.List(r.Context(), p, cid); err != nil {
		return err
	}
	d.Endpoint = httpx.BaseURL(r, w.PublicURL) + "/open311/v2/discovery.xml"
	// The key is on this page only: keep it out of caches and history.
	rw.Header().Set("Cache-Control", "no-store")
	return w.render(rw, status, "apikeys", w.view(rw, r, p, "apikeys", "apikey.title", d))
}

func (w *Web) createAPIKey(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	cid, err := homeCommunity(p)
	if err != nil {
		return err
	}
	k, err := w.Open311Keys.Create(r.Context(), p, cid, r.PostForm.Get("name"))
	if e := apperr.From(err); err != nil && e.Code == apperr.Invalid {
		return w.renderAPIKeys(rw, r, p, e.Code.Status(), apiKeysData{Form: r.PostForm, Errors: fieldMessages(httpx.Lang(r, p), e)})
	}
	if err != nil {
		return err
	}
	// Shown, not redirected: after a redirect the key would be gone.
	return w.renderAPIKeys(rw, r, p, http.StatusCreated, apiKeysData{Created: k, Form: url.Values{}})
}

func (w *Web) revokeAPIKey(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathInt(r, "id")
	if err != nil {
		return err
	}
	if _, err := w.Open311Keys.Revoke(r.Context(), p, id); err != nil {
		return err
	}
	redirect(rw, r, "/apikeys", "flash.saved")
	return nil
}
