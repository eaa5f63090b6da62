package api

import (
	"net/http"
	"strconv"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/httpx"
	"github.com/linli/linli/internal/policy"
)

// matchingRoutes registers the volunteer suggestions for a request;
// routes() calls it.
func (a *API) matchingRoutes() {
	a.Router.Handle("GET /api/v1/requests/{id}/suggestions", policy.RequestsManage, a.requestSuggestions)
}

// requestSuggestions answers the best volunteers for a request, each
// with the reasons for it, for whoever may dispatch the request.
func (a *API) requestSuggestions(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	limit := 0
	if s := r.URL.Query().Get("limit"); s != "" {
		if limit, err = strconv.Atoi(s); err != nil || limit < 1 {
			return apperr.New(apperr.Invalid, "error.invalid").Field("limit", "match.limit", map[string]any{"max": 50})
		}
	}
	out, err := a.Matching.Suggest(r.Context(), p, id, limit)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, httpx.NewList(out, len(out), httpx.Page{Page: 1, PerPage: max(1, len(out))}))
	return nil
}
