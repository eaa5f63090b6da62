package api

import (
	"net/http"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/audit"
	"github.com/linli/linli/internal/httpx"
	"github.com/linli/linli/internal/policy"
)

type webhookRequest struct {
	URL    string   `json:"url"`
	Events []string `json:"events"`
}

func (a *API) listWebhooks(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	hs, err := a.Notify.ListWebhooks(r.Context(), p, cid)
	if err != nil {
		return err
	}
	page := httpx.Page{Page: 1, PerPage: max(len(hs), 1)}
	httpx.WriteJSON(w, http.StatusOK, httpx.NewList(hs, len(hs), page))
	return nil
}

func (a *API) addWebhook(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	var in webhookRequest
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	h, secret, err := a.Notify.AddWebhook(r.Context(), p, cid, in.URL, in.Events)
	if err != nil {
		return err
	}
	// The signing secret is shown once, here, and never again.
	httpx.WriteJSON(w, http.StatusCreated, map[string]any{"webhook": h, "secret": secret})
	return nil
}

func (a *API) removeWebhook(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := a.Notify.RemoveWebhook(r.Context(), p, cid, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// listAudit shows the audit log of one community to its admin.
func (a *API) listAudit(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	page, err := httpx.ParsePage(r)
	if err != nil {
		return err
	}
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	if !policy.PermitsIn(p, policy.AuditRead, cid, a.Tenancy.StreetOf) {
		return apperr.NotFoundErr()
	}
	q := r.URL.Query()
	f := audit.Filter{CommunityIDs: []int64{cid}, Action: q.Get("action"), Limit: page.PerPage, Offset: page.Offset()}
	for name, dst := range map[string]*time.Time{"since": &f.Since, "until": &f.Until} {
		if s := q.Get(name); s != "" {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				return apperr.New(apperr.Malformed, "error.malformed").Field(name, "error.datetime", nil)
			}
			*dst = t
		}
	}
	items, total, err := audit.List(r.Context(), a.DB, f)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, httpx.NewList(items, total, page))
	return nil
}
