package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/httpx"
	"github.com/linli/linli/internal/policy"
	"github.com/linli/linli/internal/requests"
)

// metricsRoutes registers the requests' figures; routes() calls it.
func (a *API) metricsRoutes() {
	a.Router.Handle("GET /api/v1/metrics/requests", policy.RequestsMetrics, a.requestMetrics)
}

// requestMetrics answers the figures of the requests taken in [from, to)
// (RFC 3339 with offset; default: the twelve months up to now), counted
// from their timelines by the definitions in requests.Metrics: of one
// community (community_id), or of every community of a street
// (street_id; a street supervisor who names neither gets their street).
func (a *API) requestMetrics(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	q := r.URL.Query()
	var from, to time.Time // zero: the service's defaults
	var street int64
	var v apperr.Validation
	var err error
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
	if s := q.Get("street_id"); s != "" {
		if street, err = strconv.ParseInt(s, 10, 64); err != nil || street <= 0 {
			v.Add("street_id", "error.street_id", nil)
		} else if q.Get("community_id") != "" {
			v.Add("street_id", "request.metrics.one_scope", nil)
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	if street == 0 && q.Get("community_id") == "" && len(p.Communities()) == 0 {
		street = requests.SupervisedStreet(p)
	}
	if street != 0 {
		m, err := a.Requests.StreetMetrics(r.Context(), p, street, from, to)
		if err != nil {
			return err
		}
		httpx.WriteJSON(w, http.StatusOK, m)
		return nil
	}
	cid, err := community(r, p)
	if err != nil {
		return err
	}
	m, err := a.Requests.Metrics(r.Context(), p, cid, from, to)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, m)
	return nil
}
