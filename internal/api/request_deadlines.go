package api

import (
	"net/http"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/httpx"
	"github.com/linli/linli/internal/policy"
	"github.com/linli/linli/internal/requests"
)

// Routing rules, time limits and similar requests (issue 6 step two).
// The office edits the routing table and the limits under the same
// action as the category tree: they are the community's request
// settings.
func (a *API) requestDeadlineRoutes() {
	r := a.Router
	r.Handle("GET /api/v1/request-routes", policy.RequestsRead, a.getRequestRoutes)
	r.Handle("PUT /api/v1/request-routes", policy.RequestCategories, a.putRequestRoutes)
	r.Handle("GET /api/v1/request-deadlines", policy.RequestsRead, a.getRequestDeadlines)
	r.Handle("PUT /api/v1/request-deadlines", policy.RequestCategories, a.putRequestDeadlines)
	r.Handle("GET /api/v1/requests/similar", policy.RequestsManage, a.similarRequests) // offers merges
}

func (a *API) getRequestRoutes(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	out, err := a.Requests.Routing(r.Context(), p, cid)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) putRequestRoutes(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	var in requests.Routing
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	out, err := a.Requests.SetRouting(r.Context(), p, cid, in)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) getRequestDeadlines(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	out, err := a.Requests.Deadlines(r.Context(), p, cid)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, httpx.NewList(out, len(out), httpx.Page{Page: 1, PerPage: max(1, len(out))}))
	return nil
}

// putRequestDeadlines takes {"deadlines": [{urgency, dispatch, sign,
// feedback}, ...]}: the classes given are replaced.
func (a *API) putRequestDeadlines(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	var in struct {
		Deadlines []requests.Deadlines `json:"deadlines"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	out, err := a.Requests.SetDeadlines(r.Context(), p, cid, in.Deadlines)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, httpx.NewList(out, len(out), httpx.Page{Page: 1, PerPage: max(1, len(out))}))
	return nil
}

// similarRequests: ?building=ID&category=ID, both required.
func (a *API) similarRequests(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	building, err := queryID(r, "building")
	if err != nil {
		return err
	}
	category, err := queryID(r, "category")
	if err != nil {
		return err
	}
	out, err := a.Requests.SimilarTo(r.Context(), p, cid, building, category)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, httpx.NewList(out, len(out), httpx.Page{Page: 1, PerPage: max(1, len(out))}))
	return nil
}
