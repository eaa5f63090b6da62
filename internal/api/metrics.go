package api

import (
	"net/http"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/httpx"
	"github.com/linli/linli/internal/policy"
)

// metricsRoutes registers the requests' figures; routes() calls it.
func (a *API) metricsRoutes() {
	a.Router.Handle("GET /api/v1/metrics/requests", policy.RequestsMetrics, a.requestMetrics)
}

// requestMetrics answers the figures of the requests taken in [from, to)
// (RFC 3339 with offset; default: the twelve months up to now), counted
// from their timelines by the definitions in requests.Metrics.
func (a *API) requestMetrics(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	var from, to time.Time // zero: the service's defaults
	var v apperr.Validation
	if s := q.Get("from"); s != "" {
		if from, err = time.Parse(time.RFC3339, s); err != nil {
			v.Add("from", "activity.time.rfc3339", nil)
		}
	}
	if s := q.Get("to"); s != "" {
		if to, err = time.Parse(time.RFC3339, s); err != nil {
			v.Add("to", "activity.time.rfc3339", nil)
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	m, err := a.Requests.Metrics(r.Context(), p, cid, from, to)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, m)
	return nil
}
