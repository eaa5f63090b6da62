package activities_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/linli/linli/internal/activities"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/testkit/dbtest"
	"github.com/linli/linli/internal/testkit/fixture"
)

// Sign-ups that queue on PostgreSQL go in one statement together. A batch
// hands the places left to its first rows, leaves the rest (no place, a
// refusal) for SignUp to go on with, writes each sign-up with its audit
// entry as the one-row statement does, and fails as a whole, writing
// nothing, when one row cannot be written; run by the batcher, everyone
// is then signed up alone.
func TestSignUpBatch(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		if d.Dialect() != db.Postgres {
			t.Skip("batched sign-ups are PostgreSQL's")
		}
		w := setup(t, d)
		ctx := context.Background()
		first := func(title string, capacity int) int64 {
			id := w.series(t, activities.Input{Title: title, OpenTo: "volunteers", Capacity: capacity, Start: "2025-03-15T09:00", End: "2025-03-15T10:30"})
			var occ int64
			if err := d.QueryRow(ctx, `SELECT id FROM occurrences WHERE activity_id = ? ORDER BY starts_at LIMIT 1`, id).Scan(&occ); err != nil {
				t.Fatal(err)
			}
			return occ
		}
		small, big, skipped := first("三个名额", 3), first("十个名额", 10), first("已取消", 10)
		if err := w.a.SkipDate(ctx, w.office, skipped); err != nil {
			t.Fatal(err)
		}
		v := w.volunteers(t, 12)
		// The volunteer's own record, for a sign-up of oneself.
		var own int64
		if err := d.QueryRow(ctx, `UPDATE volunteers SET account_id = ? WHERE id = ? RETURNING id`, w.A.Volunteer.Account.ID, v[9]).Scan(&own); err != nil {
			t.Fatal(err)
		}
		me := w.A.Volunteer.Principal()
		me.ClientAddr, me.RequestID = "203.0.113.9", "req-own"
		office := w.A.Worker.Principal()
		office.ClientAddr, office.RequestID = "203.0.113.7", "req-office"

		out, err := activities.Batch(ctx, w.a, []activities.Job{
			{Actor: office, Occ: small, Vid: v[0]},
			{Actor: office, Occ: small, Vid: v[1]},
			{Actor: office, Occ: big, Vid: v[0]}, // another date of the same person
			{Actor: office, Occ: small, Vid: v[2]},
			{Actor: office, Occ: small, Vid: v[3]}, // no place left
			{Actor: office, Occ: small, Vid: v[4]}, // no place left
			{Actor: me, Occ: big},                  // oneself
			{Actor: office, Occ: skipped, Vid: v[5]},
			{Actor: w.B.Worker.Principal(), Occ: small, Vid: v[6]}, // another community's office
			{Actor: me, Occ: big, Vid: v[7]},                       // not oneself, not a ward
			{Actor: office, Occ: big, Vid: v[10], Decided: true, Accompanied: true},
			{Actor: office, Occ: skipped, Vid: v[11], Decided: true},
		})
		if err != nil {
			t.Fatal(err)
		}
		signed := map[int]int64{0: v[0], 1: v[1], 2: v[0], 3: v[2], 6: own, 10: v[10]}
		for i, o := range out {
			switch want, ok := signed[i]; {
			case ok:
				if o.Err != nil || o.Signup == nil || o.Signup.VolunteerID != want || o.Signup.Status != activities.Signed || o.Signup.ID == 0 {
					t.Errorf("job %d: %+v (%v), want volunteer %d signed", i, o.Signup, o.Err, want)
				}
			case i == 4 || i == 5:
				if o.Err != nil || o.Signup != nil || !o.Admitted {
					t.Errorf("job %d: %+v, want admitted without a place", i, o)
				}
			case i == 8:
				if !apperr.Is(o.Err, apperr.NotFound) {
					t.Errorf("another community's office: %+v, want not found", o)
				}
			default:
				if o.Err != nil || o.Signup != nil || o.Admitted {
					t.Errorf("job %d: %+v, want refused, nothing written", i, o)
				}
			}
		}
		// Go's decision is kept: the child comes with a guardian.
		if s := out[10].Signup; s == nil || !s.Accompanied {
			t.Errorf("the decided sign-up lost its guardian: %+v", s)
		}
		var accompanied bool
		d.QueryRow(ctx, `SELECT accompanied FROM signups WHERE volunteer_id = ?`, v[10]).Scan(&accompanied)
		if !accompanied {
			t.Error("the decided sign-up is stored without its guardian")
		}
		var n, places int
		d.QueryRow(ctx, `SELECT count(*) FROM signups`).Scan(&n)
		d.QueryRow(ctx, `SELECT COALESCE(sum(signed), 0) FROM occurrences`).Scan(&places)
		if n != 6 || places != 6 {
			t.Errorf("%d sign-ups, %d places taken; want 6, 6", n, places)
		}
		var smallTaken int
		d.QueryRow(ctx, `SELECT signed FROM occurrences WHERE id = ?`, small).Scan(&smallTaken)
		if smallTaken != 3 {
			t.Errorf("the small date has %d taken, want its 3", smallTaken)
		}
		// Each sign-up's audit entry names the actor, the request and the
		// volunteer, as the one-row statement writes it.
		rows, err := d.Query(ctx, `SELECT actor_id, actor_name, role, community_id, object_id, result, client_addr, request_id, detail
			FROM audit_log WHERE action = 'activity.signup' ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		var entries []string
		for rows.Next() {
			var actor, cid int64
			var name, role, obj, result, addr, req, detail string
			if err := rows.Scan(&actor, &name, &role, &cid, &obj, &result, &addr, &req, &detail); err != nil {
				t.Fatal(err)
			}
			entries = append(entries, fmt.Sprintf("%d %s %s %d %s %s %s %s %s", actor, name, role, cid, obj, result, addr, req, detail))
		}
		rows.Close()
		line := func(p string, occ, vid int64) string {
			who, req, addr, role := office, "req-office", "203.0.113.7", "worker"
			if p == "me" {
				who, req, addr, role = me, "req-own", "203.0.113.9", "volunteer"
			}
			return fmt.Sprintf("%d %s %s %d %d ok %s %s volunteer %d signed", who.AccountID, who.Username, role, w.A.ID, occ, addr, req, vid)
		}
		want := map[string]bool{line("office", small, v[0]): true, line("office", small, v[1]): true, line("office", big, v[0]): true,
			line("office", small, v[2]): true, line("me", big, own): true, line("office", big, v[10]): true}
		if len(entries) != len(want) {
			t.Errorf("audit entries %q, want %d", entries, len(want))
		}
		for _, e := range entries {
			if !want[e] {
				t.Errorf("audit entry %q is none of %v", e, want)
			}
		}

		// Someone on the date already, the same person twice, and a child
		// Go admitted whom the actor may no longer sign up (no ward of
		// theirs): the batch leaves them out, and the others lose nothing.
		again := []activities.Job{{Actor: office, Occ: big, Vid: v[0]}, {Actor: office, Occ: big, Vid: v[8]}, {Actor: office, Occ: big, Vid: v[8]},
			{Actor: me, Occ: big, Vid: v[7], Decided: true}, {Actor: office, Occ: big, Vid: v[5]}}
		out, err = activities.Batch(ctx, w.a, again)
		if err != nil {
			t.Fatalf("a batch with someone signed up already failed: %v", err)
		}
		if o := out[0]; o.Err != nil || o.Signup != nil || !o.Admitted {
			t.Errorf("signed up already: %+v, want admitted without a place (SignUp then says so)", o)
		}
		if out[1].Signup == nil || out[2].Signup != nil || !out[2].Admitted {
			t.Errorf("the same person twice: %+v then %+v, want the first signed", out[1], out[2])
		}
		if o := out[3]; o.Err != nil || o.Signup != nil || o.Admitted {
			t.Errorf("a decided row the actor may not sign up: %+v, want nothing written", o)
		}
		if out[4].Signup == nil {
			t.Errorf("beside them: %+v, want signed", out[4])
		}
		d.QueryRow(ctx, `SELECT count(*) FROM signups`).Scan(&n)
		if n != 8 {
			t.Fatalf("%d sign-ups, want 8", n)
		}
		// Through SignUp, the one on the date already is told so.
		if _, err := w.a.SignUp(ctx, office, big, v[0]); apperr.From(err).Key != "activity.signed_already" {
			t.Errorf("signing up again: %v", err)
		}

		// When the statement fails as a whole (a deadlock, a duplicate
		// racing in), the batcher signs each up alone.
		activities.FailBatches(w.a, errors.New("deadlock detected"))
		out = activities.RunBatch(ctx, w.a, []activities.Job{{Actor: office, Occ: big, Vid: v[1]}, {Actor: office, Occ: big, Vid: v[1]}, {Actor: office, Occ: big, Vid: v[2]}})
		activities.FailBatches(w.a, nil)
		dup := 0
		for i, o := range out {
			if apperr.From(o.Err).Key == "activity.signed_already" {
				dup++
			} else if o.Err != nil || o.Signup == nil {
				t.Errorf("job %d run again alone: %+v", i, o)
			}
		}
		if dup != 1 {
			t.Errorf("%d told they are signed up already, want 1", dup)
		}

		// Whoever went away while waiting is signed up for nobody; the
		// others in the batch are.
		out = activities.RunBatch(ctx, w.a, []activities.Job{{Actor: office, Occ: big, Vid: v[4], Gone: true}, {Actor: office, Occ: big, Vid: v[3]}})
		if !errors.Is(out[0].Err, context.Canceled) || out[0].Signup != nil {
			t.Errorf("a caller gone away: %+v", out[0])
		}
		if out[1].Err != nil || out[1].Signup == nil {
			t.Errorf("beside a caller gone away: %+v", out[1])
		}
		var gone int
		d.QueryRow(ctx, `SELECT count(*) FROM signups WHERE volunteer_id = ? AND occurrence_id = ?`, v[4], big).Scan(&gone)
		if gone != 0 {
			t.Errorf("the caller who went away was signed up %d times", gone)
		}
	})
}

// Many sign-ups at once on PostgreSQL queue for a statement and go in
// batches, spread over several dates: every place is handed out once, the
// counters match the rows, and every sign-up has its audit entry.
func TestBatchesUnderConcurrency(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		w.series(t, activities.Input{Title: "每周值守", OpenTo: "volunteers", Capacity: 7, Start: "2025-03-15T09:00", End: "2025-03-15T10:30", RRule: "FREQ=WEEKLY;COUNT=6"})
		occ, err := w.a.Occurrences(ctx, w.office, w.A.ID, fixture.Start, fixture.Start.AddDate(0, 3, 0), 0)
		if err != nil || len(occ) != 6 {
			t.Fatalf("occurrences: %d %v", len(occ), err)
		}
		vols := w.volunteers(t, 60)
		var wg sync.WaitGroup
		var mu sync.Mutex
		status := map[string]int{}
		for i, v := range vols {
			for k, o := range occ {
				if (i+k)%2 == 0 {
					continue // each person on three of the six dates
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					s, err := w.a.SignUp(ctx, w.office, o.ID, v)
					mu.Lock()
					defer mu.Unlock()
					if err != nil {
						status[err.Error()]++
						return
					}
					status[s.Status]++
				}()
			}
		}
		wg.Wait()
		if status[activities.Signed] != 6*7 || status[activities.Waitlisted] != 180-6*7 || len(status) != 2 {
			t.Fatalf("outcomes %v, want 42 signed and 138 waiting", status)
		}
		var bad, logged int
		d.QueryRow(ctx, `SELECT count(*) FROM occurrences o WHERE o.signed <> 7 OR o.signed <> (SELECT count(*) FROM signups s WHERE s.occurrence_id = o.id AND s.status = 'signed')`).Scan(&bad)
		d.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'activity.signup'`).Scan(&logged)
		if bad != 0 || logged != 180 {
			t.Errorf("%d dates whose counter is not 7 or not their rows; %d audit entries for 180 sign-ups", bad, logged)
		}
		if d.Dialect() == db.Postgres && activities.LargestBatch(w.a) < 2 {
			t.Errorf("180 sign-ups at once never went two to a statement (largest batch %d)", activities.LargestBatch(w.a))
		}
	})
}

// A batch locks the dates it hands places of in id order, and so must
// everything else that locks several dates of a series in one transaction:
// here an edit that makes a weekly series fortnightly (keeping some dates,
// cancelling the others, moving them all by an hour) races sign-ups that
// queue into batches spanning neighbouring dates. Neither side may fail
// for any reason but the date's being cancelled under it.
func TestBatchesAndSeriesEditsTakeTurns(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		if d.Dialect() != db.Postgres {
			t.Skip("batched sign-ups are PostgreSQL's")
		}
		w := setup(t, d)
		ctx := context.Background()
		vols := w.volunteers(t, 40)
		for round := range 6 {
			act := w.series(t, activities.Input{Title: fmt.Sprintf("每周值守%d", round), OpenTo: "volunteers", Capacity: 100,
				Start: "2025-03-17T09:00", End: "2025-03-17T10:30", RRule: "FREQ=WEEKLY;COUNT=12"})
			var occs []int64
			rows, err := d.Query(ctx, `SELECT id FROM occurrences WHERE activity_id = ? ORDER BY starts_at`, act)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var id int64
				rows.Scan(&id)
				occs = append(occs, id)
			}
			rows.Close()
			var wg sync.WaitGroup
			errs := make(chan error, 3*len(vols)+1)
			for i, v := range vols {
				for k := range 3 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						_, err := w.a.SignUp(ctx, w.office, occs[(i+k)%len(occs)], v)
						if err != nil && apperr.From(err).Key != "activity.cancelled" {
							errs <- fmt.Errorf("sign-up: %w", err)
						}
					}()
				}
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				start, end := "2025-03-17T10:00", "2025-03-17T11:30"
				fortnightly := "FREQ=WEEKLY;INTERVAL=2;COUNT=6"
				if _, err := w.a.EditSeries(ctx, w.office, act, 0, activities.Change{RRule: &fortnightly, Start: &start, End: &end}); err != nil {
					errs <- fmt.Errorf("edit: %w", err)
				}
			}()
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Errorf("round %d: %v", round, err)
			}
		}
		var bad int
		d.QueryRow(ctx, `SELECT count(*) FROM occurrences o WHERE o.signed <> (SELECT count(*) FROM signups s WHERE s.occurrence_id = o.id AND s.status = 'signed')`).Scan(&bad)
		if bad != 0 {
			t.Errorf("%d dates whose counter is not their rows", bad)
		}
	})
}
