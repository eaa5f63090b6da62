package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/httpx"
	"github.com/linli/linli/internal/i18n"
	"github.com/linli/linli/internal/requests"
)

// streetOnly: p supervises a street and holds no grant in a community,
// so the requests' pages show it the street's view, not a community's.
func streetOnly(p *accounts.Principal) bool {
	return p != nil && !p.System && len(p.Communities()) == 0 && requests.SupervisedStreet(p) != 0
}

// streetRow is one line of the street's table: a community (ID set) or
// the street as a whole (ID 0).
type streetRow struct {
	ID  int64
	Row metricsRow
}

type streetMetricsData struct {
	From, To    string
	Communities []streetRow
	Street      streetRow
	Escalated   []requests.Escalated // the street's work list
}

// streetRequestMetrics is /requests/metrics for a street supervisor: each
// community's figures and the street's, counts only; with community_id,
// that community's figures by category, handler (no one named) and grid.
func (w *Web) streetRequestMetrics(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	ctx := r.Context()
	street := requests.SupervisedStreet(p)
	if s := r.URL.Query().Get("community_id"); s != "" {
		cid, err := strconv.ParseInt(s, 10, 64)
		if err != nil || cid <= 0 {
			return apperr.NotFoundErr()
		}
		c, err := w.Tenancy.Community(ctx, cid)
		if err != nil {
			return err
		}
		if c.StreetID != street {
			return apperr.NotFoundErr() // not of the street: no such community for it
		}
		m, err := w.Requests.Metrics(ctx, p, cid, time.Time{}, time.Time{})
		if err != nil {
			return err
		}
		return w.renderMetrics(rw, r, p, m, c.Name)
	}
	m, err := w.Requests.StreetMetrics(ctx, p, street, time.Time{}, time.Time{})
	if err != nil {
		return err
	}
	lang := httpx.Lang(r, p)
	d := streetMetricsData{From: m.From.In(clock.Shanghai).Format("2006-01-02"), To: m.To.In(clock.Shanghai).Format("2006-01-02")}
	for _, c := range m.Communities {
		d.Communities = append(d.Communities, streetRow{ID: c.CommunityID, Row: rowOf(c.Name, c.Rates)})
	}
	st, err := w.Tenancy.Street(ctx, street)
	if err != nil {
		return err
	}
	d.Street = streetRow{Row: rowOf(i18n.T(lang, "reqpage.metrics.street_total", map[string]any{"street": st.Name}), m.Overall)}
	if d.Escalated, err = w.Requests.StreetEscalations(ctx, p, street, lang); err != nil {
		return err
	}
	return w.render(rw, http.StatusOK, "request_metrics_street", w.view(rw, r, p, "requests", "reqpage.metrics", d))
}
