package requests_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/requests"
	"github.com/linli/linli/internal/testkit/dbtest"
)

// TestEscalationExactlyOnceUnderLoad: the hourly job run many times, by
// eight runners at once, tells each level about each late request exactly
// once; a due that arises anew (a return and a second dispatch) is
// escalated again when it passes, and the old one never more.
func TestEscalationExactlyOnceUnderLoad(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		worker := w.A.Worker.Principal()
		a := w.submitIn(t, w.b1, "safety", requests.UrgencyEmergency) // grid 1: its grid worker
		b := w.submitIn(t, w.b2, "safety", requests.UrgencyEmergency) // grid 2 has none: the workers
		hammer := func() int {
			t.Helper()
			const runners, rounds = 8, 3
			var wg sync.WaitGroup
			made := make([]int, runners)
			errs := make([]error, runners)
			for i := range runners {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range rounds {
						n, err := w.s.Escalate(ctx)
						made[i] += n
						if err != nil {
							errs[i] = err
							return
						}
					}
				}()
			}
			wg.Wait()
			total := 0
			for i := range runners {
				if errs[i] != nil {
					t.Fatalf("runner %d: %v", i, errs[i])
				}
				total += made[i]
			}
			return total
		}
		told := func(acct, req int64) int {
			t.Helper()
			var n int
			err := d.QueryRow(ctx, `SELECT count(*) FROM notifications WHERE account_id = ? AND kind = 'request.escalated' AND link = ?`,
				acct, fmt.Sprintf("/requests/%d", req)).Scan(&n)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		type want struct {
			grid, worker, admin, street int
		}
		check := func(step string, req int64, wt want) {
			t.Helper()
			got := want{told(w.A.Grid.Account.ID, req), told(w.A.Worker.Account.ID, req),
				told(w.A.Admin.Account.ID, req), told(w.Supervisor.Account.ID, req)}
			if got != wt {
				t.Errorf("%s, request %d: told %+v, want %+v", step, req, got, wt)
			}
		}
		step := func(name string, advance time.Duration, wantMade int) {
			t.Helper()
			w.Clock.Advance(advance)
			if n := hammer(); n != wantMade {
				t.Fatalf("%s: made %d escalations, want %d", name, n, wantMade)
			}
		}
		step("before the due", 0, 0)
		step("level 1", 61*time.Minute, 2)
		check("level 1", a.ID, want{grid: 1})
		check("level 1", b.ID, want{worker: 1})
		step("level 2", time.Hour, 2)
		step("level 3", time.Hour, 2)
		step("later", 5*time.Hour, 0)
		check("level 3", a.ID, want{grid: 1, admin: 1, street: 1})
		check("level 3", b.ID, want{worker: 1, admin: 1, street: 1})

		// Dispatched, a's dispatch due no longer counts; its sign-for hour
		// passes unsigned (level 1), the team returns it and it is sent
		// again: a new sign-for due, escalated afresh when it passes,
		// together with the feedback due (two hours from acceptance).
		w.do(t, worker, a.ID, requests.Step{Action: requests.ActAccept})
		team := &requests.Handler{Kind: requests.HandlerTeam, ID: w.A.TeamID}
		w.do(t, worker, a.ID, requests.Step{Action: requests.ActDispatch, Handler: team})
		step("dispatched", 0, 0)
		step("sign-for late", 61*time.Minute, 1)
		check("sign-for late", a.ID, want{grid: 2, admin: 1, street: 1})
		w.do(t, w.A.Leader.Principal(), a.ID, requests.Step{Action: requests.ActReturn, Reason: "人手不够"})
		w.do(t, worker, a.ID, requests.Step{Action: requests.ActDispatch, Handler: team})
		step("sent again", 0, 0)
		step("half an hour on", 30*time.Minute, 0)
		step("new sign-for due and feedback due late", 31*time.Minute, 2)
		step("and again", 0, 0)
		check("second round", a.ID, want{grid: 4, admin: 1, street: 1})
		check("second round", b.ID, want{worker: 1, admin: 1, street: 1})
		var signs, dues int
		if err := d.QueryRow(ctx, `SELECT count(*), count(DISTINCT due_at) FROM request_escalations WHERE request_id = ? AND deadline = 'sign'`,
			a.ID).Scan(&signs, &dues); err != nil {
			t.Fatal(err)
		}
		if signs != 2 || dues != 2 {
			t.Errorf("sign-for escalations: %d rows over %d dues, want 2 over 2", signs, dues)
		}
	})
}
