package requests_test

import (
	"context"
	"testing"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/testkit/server"
)

// TestMetricsEqualARecountFromTheEvents counts the demo's year of
// requests with Metrics and again here, in plain SQL over the events by
// the published definitions; the two must agree, overall and per
// category.
func TestMetricsEqualARecountFromTheEvents(t *testing.T) {
	for _, pg := range []bool{false, true} {
		t.Run(map[bool]string{false: "sqlite", true: "postgres"}[pg], func(t *testing.T) {
			now := time.Date(2026, 12, 1, 10, 0, 0, 0, clock.Shanghai)
			s := server.Start(t, server.Options{Postgres: pg, Registry: true, Now: now})
			ctx := context.Background()
			admin, err := s.Accounts.FindByUsername(ctx, "admin")
			if err != nil {
				t.Fatal(err)
			}
			p := &accounts.Principal{AccountID: admin.ID, Username: admin.Username, Grants: admin.Grants}
			cid := admin.Grants[0].CommunityID
			from, to := now.AddDate(-1, 0, 0), now.Add(time.Hour)
			m, err := s.Requests.Metrics(ctx, p, cid, from, to)
			if err != nil {
				t.Fatal(err)
			}
			var want struct{ requests, merged, callbacks, resolved, satisfied, basic, closed, reopened, due, onTime int }
			q := func(dst *int, query string) {
				t.Helper()
				if err := s.DB.QueryRow(ctx, query, cid, from.UTC(), to.UTC()).Scan(dst); err != nil {
					t.Fatalf("%s: %v", query, err)
				}
			}
			const in = ` FROM requests q WHERE q.community_id = ? AND q.created_at >= ? AND q.created_at < ?`
			const notMerged = ` AND NOT EXISTS (SELECT 1 FROM request_events m WHERE m.request_id = q.id AND m.action = 'merge')`
			const lastCallback = ` JOIN request_events e ON e.request_id = q.id AND e.action = 'callback' AND e.seq =
				(SELECT max(seq) FROM request_events x WHERE x.request_id = q.id AND x.action = 'callback')`
			q(&want.requests, `SELECT count(*)`+in)
			q(&want.merged, `SELECT count(*)`+in+` AND EXISTS (SELECT 1 FROM request_events m WHERE m.request_id = q.id AND m.action = 'merge')`)
			q(&want.callbacks, `SELECT count(*) FROM requests q`+lastCallback+` WHERE q.community_id = ? AND q.created_at >= ? AND q.created_at < ?`+notMerged)
			q(&want.resolved, `SELECT count(*) FROM requests q`+lastCallback+` WHERE q.community_id = ? AND q.created_at >= ? AND q.created_at < ?`+notMerged+` AND e.resolved`)
			q(&want.satisfied, `SELECT count(*) FROM requests q`+lastCallback+` WHERE q.community_id = ? AND q.created_at >= ? AND q.created_at < ?`+notMerged+` AND e.satisfaction = 'satisfied'`)
			q(&want.basic, `SELECT count(*) FROM requests q`+lastCallback+` WHERE q.community_id = ? AND q.created_at >= ? AND q.created_at < ?`+notMerged+` AND e.satisfaction = 'basic_satisfied'`)
			q(&want.closed, `SELECT count(*)`+in+notMerged+` AND EXISTS (SELECT 1 FROM request_events c WHERE c.request_id = q.id AND c.action = 'callback')`)
			q(&want.reopened, `SELECT count(*)`+in+notMerged+` AND EXISTS (SELECT 1 FROM request_events c WHERE c.request_id = q.id AND c.action = 'callback')
				AND EXISTS (SELECT 1 FROM request_events r WHERE r.request_id = q.id AND r.action = 'reopen')`)
			const firstAnswer = ` FROM request_events e WHERE e.request_id = q.id AND e.action IN ('accept', 'reject')
				AND e.seq = (SELECT min(x.seq) FROM request_events x WHERE x.request_id = q.id AND x.action IN ('accept', 'reject'))`
			q(&want.onTime, `SELECT count(*)`+in+notMerged+` AND EXISTS (SELECT 1`+firstAnswer+` AND (q.dispatch_due IS NULL OR e.at <= q.dispatch_due))`)
			var answered, late int
			q(&answered, `SELECT count(*)`+in+notMerged+` AND EXISTS (SELECT 1`+firstAnswer+`)`)
			if err := s.DB.QueryRow(ctx, `SELECT count(*)`+in+notMerged+` AND NOT EXISTS (SELECT 1`+firstAnswer+`) AND q.dispatch_due < ?`,
				cid, from.UTC(), to.UTC(), s.Clock.Now().UTC()).Scan(&late); err != nil {
				t.Fatal(err)
			}
			want.due = answered + late
			o := m.Overall
			got := [][2]int{{o.Requests, want.requests}, {o.Merged, want.merged}, {o.Callbacks, want.callbacks}, {o.Resolved, want.resolved},
				{o.Satisfied, want.satisfied}, {o.BasicSatisfied, want.basic}, {o.Closed, want.closed}, {o.Reopened, want.reopened},
				{o.DueForResponse, want.due}, {o.RespondedOnTime, want.onTime}}
			for i, g := range got {
				if g[0] != g[1] {
					t.Errorf("count %d: Metrics %d, recount %d", i, g[0], g[1])
				}
			}
			if o.Requests < 900 || o.Callbacks < 800 || o.ResolutionRate == nil || *o.ResolutionRate <= 0.5 || o.MedianHoursToClose == nil ||
				o.ResponseRate == nil || late == 0 || o.RespondedOnTime == 0 {
				t.Errorf("the demo's year: %+v", o)
			}
			sum := 0
			for _, g := range m.ByCategory {
				sum += g.Rates.Requests
				if g.Name == "" {
					t.Errorf("category %d without a name", g.ID)
				}
			}
			if sum != o.Requests {
				t.Errorf("categories add up to %d, overall %d", sum, o.Requests)
			}
		})
	}
}
