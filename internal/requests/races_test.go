package requests_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/requests"
	"github.com/linli/linli/internal/testkit/dbtest"
)

// TestRacingTransitions: many goroutines take conflicting steps on the
// same request at once (accept against reject; sign against return).
// Exactly one wins each time; every loser gets a Conflict and the
// timeline holds exactly one event for the round. Intake racing gives
// every request its own number.
func TestRacingTransitions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		worker, admin, leader := w.A.Worker.Principal(), w.A.Admin.Principal(), w.A.Leader.Principal()
		const n = 16
		race := func(id int64, steps func(i int) requests.Step, actor func(i int) bool) (wins int, won requests.Action) {
			t.Helper()
			var wg sync.WaitGroup
			errs := make([]error, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					p := worker
					if actor(i) {
						p = admin
					}
					if a := steps(i).Action; a == requests.ActSign || a == requests.ActReturn {
						p = leader // the team's steps
					}
					_, errs[i] = w.s.Do(ctx, p, id, steps(i))
				}()
			}
			wg.Wait()
			for i, err := range errs {
				switch {
				case err == nil:
					wins++
					won = steps(i).Action
				case apperr.Is(err, apperr.Conflict):
				default:
					t.Fatalf("step %d: %v", i, err)
				}
			}
			return wins, won
		}
		for round := range 3 {
			r := w.submit(t, fmt.Sprintf("第%d轮", round))
			wins, won := race(r.ID, func(i int) requests.Step {
				if i%2 == 0 {
					return requests.Step{Action: requests.ActAccept}
				}
				return requests.Step{Action: requests.ActReject, Reason: "重复"}
			}, func(i int) bool { return i%3 == 0 })
			got, err := w.s.Get(ctx, worker, r.ID)
			if err != nil || wins != 1 {
				t.Fatalf("round %d: %d winners (%v)", round, wins, err)
			}
			tl, _ := w.s.Timeline(ctx, worker, r.ID)
			if len(tl) != 2 || tl[1].Action != won || string(got.Status) != string(tl[1].To) {
				t.Fatalf("round %d: winner %s, status %s, timeline %+v", round, won, got.Status, tl)
			}
			if won != requests.ActAccept {
				continue
			}
			w.do(t, worker, r.ID, requests.Step{Action: requests.ActDispatch, Handler: &requests.Handler{Kind: requests.HandlerTeam, ID: w.A.TeamID}})
			wins, won = race(r.ID, func(i int) requests.Step {
				if i%2 == 0 {
					return requests.Step{Action: requests.ActSign}
				}
				return requests.Step{Action: requests.ActReturn, Reason: "人手不足"}
			}, func(int) bool { return false })
			tl, _ = w.s.Timeline(ctx, worker, r.ID)
			if wins != 1 || len(tl) != 4 || tl[3].Action != won {
				t.Fatalf("round %d sign/return: %d winners, timeline %d", round, wins, len(tl))
			}
		}
		// Concurrent intake: distinct, consecutive numbers.
		var wg sync.WaitGroup
		numbers := make([]string, n)
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := w.s.Submit(ctx, worker, w.A.ID, requests.Input{Channel: requests.ChannelPhone, Kind: requests.KindConsult,
					CategoryID: w.cats["other"], Address: "社区服务站", Description: "咨询办事流程", ContactName: "钱先生", ContactPhone: "13900004444"})
				errs[i] = err
				if err == nil {
					numbers[i] = r.Number
				}
			}()
		}
		wg.Wait()
		seen := map[string]bool{}
		for i, num := range numbers {
			if errs[i] != nil || seen[num] {
				t.Fatalf("intake %d: %q %v", i, num, errs[i])
			}
			seen[num] = true
		}
		for k := 4; k < 4+n; k++ {
			if !seen[fmt.Sprintf("2025-%06d", k)] {
				t.Fatalf("number 2025-%06d missing from %v", k, numbers)
			}
		}
	})
}
