// Package api is the JSON front door under /api/v1. It calls the same
// domain services as the web pages. Clients sign in with POST /login and
// then send "Authorization: Bearer <token>"; session cookies are not
// accepted here at all, so cross-site requests from a browser carry no
// authority and the API needs no CSRF tokens.
package api

import (
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/activities"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/calendar"
	"github.com/linli/linli/internal/certs"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/feeds"
	"github.com/linli/linli/internal/hours"
	"github.com/linli/linli/internal/httpx"
	"github.com/linli/linli/internal/matching"
	"github.com/linli/linli/internal/notify"
	"github.com/linli/linli/internal/open311"
	"github.com/linli/linli/internal/points"
	"github.com/linli/linli/internal/registry"
	"github.com/linli/linli/internal/requests"
	"github.com/linli/linli/internal/stories"
	"github.com/linli/linli/internal/tenancy"
	"github.com/linli/linli/internal/volunteers"
)

// Deps are the services the API uses.
type Deps struct {
	Log         *slog.Logger
	DB          *db.DB // for the audit log, which has no service of its own
	Accounts    *accounts.Service
	Tenancy     *tenancy.Store
	Notify      *notify.Service
	Calendar    *calendar.Service
	Registry    *registry.Service
	Volunteers  *volunteers.Service
	Hours       *hours.Service
	Certs       *certs.Service
	Points      *points.Service
	Activities  *activities.Service
	Feeds       *feeds.Service
	Stories     *stories.Service
	Requests    *requests.Service
	Open311Keys *open311.Keys
	Matching    *matching.Service
	PublicURL   string // LINLI_PUBLIC_URL: base of absolute links; empty: the request's host
}

// API serves /api/v1.
type API struct {
	Deps
	Router *httpx.Router
}

// New builds the API and registers its routes on mux.
func New(mux *http.ServeMux, d Deps) *API {
	a := &API{Deps: d}
	a.Router = &httpx.Router{Mux: mux, Authenticate: a.authenticate, Fail: a.fail}
	a.routes()
	return a
}

func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

func (a *API) authenticate(r *http.Request) (*accounts.Principal, error) {
	tok := bearer(r)
	if tok == "" {
		return nil, nil
	}
	return a.Accounts.Authenticate(r.Context(), tok, accounts.KindAPI)
}

func (a *API) fail(w http.ResponseWriter, r *http.Request, p *accounts.Principal, err error) {
	status, body := httpx.Describe(a.Log, r, httpx.Lang(r, p), err)
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="linli"`)
	}
	httpx.WriteJSON(w, status, body)
}

// pathID reads a positive integer path value, or NotFound (an id that is
// not a number names nothing).
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, apperr.NotFoundErr()
	}
	return id, nil
}

// community picks the community a request is about: community_id from the
// query, else the actor's first community. Whether the actor may act there
// is the service's decision.
func community(r *http.Request, p *accounts.Principal) (int64, error) {
	if s := r.URL.Query().Get("community_id"); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return 0, apperr.New(apperr.Malformed, "error.malformed").Field("community_id", "error.community_id", nil)
		}
		return id, nil
	}
	if cs := p.Communities(); len(cs) > 0 {
		return cs[0], nil
	}
	return 0, apperr.NotFoundErr()
}
