package api

import (
	"net/http"
	"strings"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/httpx"
	"github.com/linli/linli/internal/policy"
	"github.com/linli/linli/internal/requests"
)

// Residents' requests (诉求/工单). Each step of the life cycle is its own
// endpoint; the route's policy action is coarse (who may take steps of
// that kind at all) and the service narrows it to the request: its
// reach and the side the step belongs to (requests.Machine).

// requestRoutes registers the requests' routes; routes() calls it.
func (a *API) requestRoutes() {
	r := a.Router
	r.Handle("GET /api/v1/request-categories", policy.RequestsRead, a.requestCategories)
	r.Handle("POST /api/v1/request-categories", policy.RequestCategories, a.addRequestCategory)
	r.Handle("PATCH /api/v1/request-categories/{id}", policy.RequestCategories, a.updateRequestCategory)
	r.Handle("GET /api/v1/requests", policy.RequestsRead, a.listRequests)
	r.Handle("POST /api/v1/requests", policy.RequestsIntake, a.submitRequest)
	r.Handle("GET /api/v1/requests/{id}", policy.RequestsRead, a.getRequest)
	r.Handle("GET /api/v1/requests/{id}/timeline", policy.RequestsRead, a.requestTimeline)
	r.Handle("POST /api/v1/requests/{id}/reveal", policy.RequestsReveal, a.revealRequester)
	r.Handle("POST /api/v1/requests/{id}/links", policy.RequestsManage, a.linkRequest)
	a.requestDeadlineRoutes() // request_deadlines.go
	a.requestPhotoRoutes()    // request_photos.go
	for _, st := range requests.StepRoutes {
		r.Handle("POST /api/v1/requests/{id}/"+st.Path, st.Policy, a.requestStep(st.Action))
	}
}

func (a *API) requestCategories(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	cats, err := a.Requests.Categories(r.Context(), p, cid)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, httpx.NewList(cats, len(cats), httpx.Page{Page: 1, PerPage: max(1, len(cats))}))
	return nil
}

func (a *API) addRequestCategory(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	var in requests.CategoryInput
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	c, err := a.Requests.AddCategory(r.Context(), p, cid, in)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, c)
	return nil
}

func (a *API) updateRequestCategory(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	var ch requests.CategoryChange
	if err := httpx.DecodeJSON(r, &ch); err != nil {
		return err
	}
	c, err := a.Requests.UpdateCategory(r.Context(), p, cid, id, ch)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, c)
	return nil
}

// listRequests: ?status=submitted,accepted &category=ID &grid=ID
// &handler_kind=team &handler_id=ID, paged.
func (a *API) listRequests(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	pg, err := httpx.ParsePage(r)
	if err != nil {
		return err
	}
	f := requests.Filter{CommunityID: cid, Limit: pg.PerPage, Offset: pg.Offset()}
	q := r.URL.Query()
	for _, s := range q["status"] {
		for _, st := range strings.Split(s, ",") {
			if st = strings.TrimSpace(st); st != "" {
				f.Status = append(f.Status, requests.Status(st))
			}
		}
	}
	if f.CategoryID, err = queryID(r, "category"); err != nil {
		return err
	}
	if f.GridID, err = queryID(r, "grid"); err != nil {
		return err
	}
	switch q.Get("overdue") {
	case "", "false":
	case "true":
		f.Overdue = true
	default:
		return apperr.New(apperr.Malformed, "error.malformed").Field("overdue", "request.overdue.invalid", nil)
	}
	if k := q.Get("handler_kind"); k != "" {
		f.Handler = &requests.Handler{Kind: requests.HandlerKind(k)}
		if f.Handler.ID, err = queryID(r, "handler_id"); err != nil {
			return err
		}
	} else if q.Get("handler_id") != "" {
		return apperr.New(apperr.Malformed, "error.malformed").Field("handler_kind", "request.handler.invalid", nil)
	}
	page, err := a.Requests.List(r.Context(), p, f)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, httpx.NewList(page.Items, page.Total, pg))
	return nil
}

func (a *API) submitRequest(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	var in requests.Input
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	req, err := a.Requests.Submit(r.Context(), p, cid, in)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, req)
	return nil
}

func (a *API) getRequest(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	req, err := a.Requests.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, req)
	return nil
}

func (a *API) requestTimeline(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	events, err := a.Requests.Timeline(r.Context(), p, id)
	if err != nil {
		return err
	}
	withPhotoURLs(id, events)
	httpx.WriteJSON(w, http.StatusOK, httpx.NewList(events, len(events), httpx.Page{Page: 1, PerPage: max(1, len(events))}))
	return nil
}

func (a *API) revealRequester(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		Reason string `json:"reason"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	phone, err := a.Requests.RevealPhone(r.Context(), p, id, in.Reason)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"field": "requester_phone", "value": phone})
	return nil
}

func (a *API) linkRequest(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		LinkedID int64 `json:"linked_id"`
	}
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	req, err := a.Requests.Link(r.Context(), p, id, in.LinkedID)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, req)
	return nil
}

// requestStep serves one transition endpoint: the body (optional for
// steps that need nothing) is a requests.Step.
func (a *API) requestStep(action requests.Action) func(http.ResponseWriter, *http.Request, *accounts.Principal) error {
	return func(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		var st requests.Step
		if err := decodeStep(w, r, &st); err != nil {
			return err
		}
		st.Action = action
		req, err := a.Requests.Do(r.Context(), p, id, st)
		if err != nil {
			return err
		}
		httpx.WriteJSON(w, http.StatusOK, req)
		return nil
	}
}
