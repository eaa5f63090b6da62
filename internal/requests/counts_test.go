package requests_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/requests"
	"github.com/linli/linli/internal/testkit/dbtest"
)

// TestListTotalsEqualRecount holds List's totals (read from the
// trigger-kept request_counts for whole statuses, counted otherwise) and
// its pages (ids first, then rows) to a plain count(*) and a plain
// ordered query, after transitions, hand-written updates that move a
// request's status or community, and a delete.
func TestListTotalsEqualRecount(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		worker := w.A.Worker.Principal()
		var ids []int64
		for i := range 7 {
			ids = append(ids, w.submit(t, fmt.Sprintf("第%d件：水管漏水", i+1)).ID)
			w.Clock.Advance(time.Minute)
		}
		w.do(t, worker, ids[0], requests.Step{Action: requests.ActAccept})
		w.do(t, worker, ids[1], requests.Step{Action: requests.ActAccept})
		w.do(t, worker, ids[1], requests.Step{Action: requests.ActDispatch, Handler: &requests.Handler{Kind: requests.HandlerOrganisation, ID: w.A.OrgID}})
		w.do(t, worker, ids[2], requests.Step{Action: requests.ActReject, Reason: "不属于社区受理范围"})

		check := func(when string) {
			t.Helper()
			for _, sts := range [][]requests.Status{nil, {requests.Submitted}, {requests.Accepted, requests.Dispatched},
				{requests.Closed, requests.Rejected, requests.Merged}, {requests.InProgress}} {
				cond, args := "community_id = ?", []any{w.A.ID}
				if len(sts) > 0 {
					cond += " AND status IN (" + strings.TrimSuffix(strings.Repeat("?,", len(sts)), ",") + ")"
					for _, st := range sts {
						args = append(args, string(st))
					}
				}
				var want int
				if err := d.QueryRow(ctx, `SELECT count(*) FROM requests WHERE `+cond, args...).Scan(&want); err != nil {
					t.Fatal(err)
				}
				for _, f := range []requests.Filter{{Status: sts}, {Status: sts, GridID: w.A.GridID}} {
					f.CommunityID, f.Limit, f.Offset = w.A.ID, 2, 1
					page, err := w.s.List(ctx, worker, f)
					if err != nil {
						t.Fatalf("%s: list %v: %v", when, sts, err)
					}
					// Every request here is in b1, of grid 1: both filters match the same rows.
					if page.Total != want {
						t.Errorf("%s: %v (grid %d): total %d, recount %d", when, sts, f.GridID, page.Total, want)
					}
					rs, err := d.Query(ctx, `SELECT id FROM requests WHERE `+cond+` ORDER BY created_at DESC, id DESC LIMIT 2 OFFSET 1`, args...)
					if err != nil {
						t.Fatal(err)
					}
					var wantIDs, got []int64
					for rs.Next() {
						var id int64
						if err := rs.Scan(&id); err != nil {
							t.Fatal(err)
						}
						wantIDs = append(wantIDs, id)
					}
					rs.Close()
					for _, it := range page.Items {
						got = append(got, it.ID)
					}
					if !slices.Equal(got, wantIDs) {
						t.Errorf("%s: %v (grid %d): page %v, plain query %v", when, sts, f.GridID, got, wantIDs)
					}
				}
			}
		}
		check("after transitions")
		// Writes the service does not make move the counts too.
		if _, err := d.Exec(ctx, `UPDATE requests SET status = 'in_progress' WHERE id = ?`, ids[3]); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Exec(ctx, `UPDATE requests SET description = 'x' WHERE id = ?`, ids[4]); err != nil {
			t.Fatal(err)
		}
		check("after an update of status")
		if _, err := d.Exec(ctx, `UPDATE requests SET community_id = ? WHERE id = ?`, w.B.ID, ids[5]); err != nil {
			t.Fatal(err)
		}
		var inB int
		if err := d.QueryRow(ctx, `SELECT n FROM request_counts WHERE community_id = ? AND status = 'submitted'`, w.B.ID).Scan(&inB); err != nil || inB != 1 {
			t.Errorf("B's submitted count: %d %v", inB, err)
		}
		check("after a move to another community")
		// One statement moving several requests at once (the PostgreSQL
		// triggers add up a statement's rows).
		if _, err := d.Exec(ctx, `UPDATE requests SET status = 'closed' WHERE community_id = ? AND status IN ('submitted', 'in_progress')`, w.A.ID); err != nil {
			t.Fatal(err)
		}
		check("after a many-row update")
		if _, err := d.Exec(ctx, `DELETE FROM request_events WHERE request_id = ?`, ids[6]); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Exec(ctx, `DELETE FROM requests WHERE id = ?`, ids[6]); err != nil {
			t.Fatal(err)
		}
		check("after a delete")
		// A page past the end is empty, its total still whole.
		page, err := w.s.List(ctx, worker, requests.Filter{CommunityID: w.A.ID, Offset: 50})
		if err != nil || len(page.Items) != 0 || page.Total != 5 {
			t.Errorf("past the end: %+v %v", page, err)
		}
	})
}
