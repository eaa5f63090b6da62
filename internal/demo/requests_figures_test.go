package demo_test

import (
	"testing"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/requests"
	"github.com/linli/linli/internal/testkit/server"
)

// checkFigures: the demo's year reads like a real community's, not a
// wall of 100%: the 三率 and the reopen rate lie in plausible ranges (a
// satisfaction rate of 85-92%, some 基本满意, a few 不满意, a few closed
// unsolved); each not-solved answer reopened came back within the
// seven days and went round a second time; a few still await their
// callback. checkYearOfRequests calls it on both databases.
func checkFigures(t *testing.T, s *server.Server) {
	t.Helper()
	ctx := t.Context()
	var cid int64
	if err := s.DB.QueryRow(ctx, `SELECT id FROM communities WHERE code = 'jsl'`).Scan(&cid); err != nil {
		t.Fatal(err)
	}
	m, err := s.Requests.Metrics(ctx, accounts.Console("test"), cid, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	o := m.Overall
	between := func(what string, v *float64, lo, hi float64) {
		t.Helper()
		if v == nil || *v < lo || *v > hi {
			t.Errorf("%s %v, want within [%.3f, %.3f] (callbacks %d: %d 满意, %d 基本满意, %d 不满意, %d resolved; %d closed, %d reopened)",
				what, deref(v), lo, hi, o.Callbacks, o.Satisfied, o.BasicSatisfied, o.Unsatisfied, o.Resolved, o.Closed, o.Reopened)
		}
	}
	c := float64(o.Callbacks)
	between("satisfaction rate", o.SatisfactionRate, 0.85, 0.92)
	between("share 满意", ptr(float64(o.Satisfied)/c), 0.72, 0.90)
	between("share 基本满意", ptr(float64(o.BasicSatisfied)/c), 0.05, 0.25)
	between("share 不满意", ptr(float64(o.Unsatisfied)/c), 0.01, 0.08)
	between("resolution rate", o.ResolutionRate, 0.90, 0.99)
	between("reopen rate", o.ReopenRate, 0.01, 0.08)
	between("response rate", o.ResponseRate, 0.90, 0.995)
	if o.Callbacks < 800 {
		t.Errorf("only %d callbacks", o.Callbacks)
	}

	// Every reopen follows a not-solved callback by at most seven days
	// and is followed by a second result and callback, or still open.
	rows, err := s.DB.Query(ctx, `SELECT q.id, q.status, e.action, e.at, e.resolved FROM requests q
		JOIN request_events e ON e.request_id = q.id WHERE q.community_id = ? AND q.reopen_count > 0 ORDER BY q.id, e.seq`, cid)
	if err != nil {
		t.Fatal(err)
	}
	type round struct {
		status                string
		lastCallback          time.Time
		lastSolved            bool
		reopens, afterReopens int
	}
	rs := map[int64]*round{}
	for rows.Next() {
		var id int64
		var st, action string
		var at time.Time
		var resolved *bool
		if err := rows.Scan(&id, &st, &action, &at, &resolved); err != nil {
			t.Fatal(err)
		}
		r := rs[id]
		if r == nil {
			r = &round{status: st}
			rs[id] = r
		}
		switch requests.Action(action) {
		case requests.ActCallback:
			r.lastCallback, r.lastSolved = at, resolved != nil && *resolved
			if r.reopens > 0 {
				r.afterReopens++
			}
		case requests.ActReopen:
			r.reopens++
			if r.lastSolved || at.Sub(r.lastCallback) > requests.ReopenWindowDays*24*time.Hour {
				t.Errorf("request %d reopened %s after a callback that said solved %v at %s", id, at, r.lastSolved, r.lastCallback)
			}
		}
	}
	rows.Close()
	secondRounds := 0
	for id, r := range rs {
		if r.afterReopens > 0 {
			secondRounds++
		} else if r.status == string(requests.Closed) {
			t.Errorf("request %d reopened and closed without a second callback", id)
		}
	}
	if secondRounds < 10 {
		t.Errorf("%d reopened requests went round a second time", secondRounds)
	}
	var unsolved, waiting int
	s.DB.QueryRow(ctx, `SELECT count(*) FROM requests WHERE community_id = ? AND status = 'closed' AND resolved = ? AND reopen_count = 0`, cid, false).Scan(&unsolved)
	s.DB.QueryRow(ctx, `SELECT count(*) FROM requests WHERE community_id = ? AND status = 'awaiting_callback'`, cid).Scan(&waiting)
	if unsolved < 5 || waiting < 1 || waiting > 10 {
		t.Errorf("%d closed unsolved without a reopen, %d awaiting their callback", unsolved, waiting)
	}
}

func ptr(v float64) *float64 { return &v }

func deref(v *float64) any {
	if v == nil {
		return nil
	}
	return *v
}
