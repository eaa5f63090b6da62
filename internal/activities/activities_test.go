package activities_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/activities"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/calendar"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/hours"
	"github.com/linli/linli/internal/jobs"
	"github.com/linli/linli/internal/notify"
	"github.com/linli/linli/internal/registry"
	"github.com/linli/linli/internal/secret"
	"github.com/linli/linli/internal/testkit/dbtest"
	"github.com/linli/linli/internal/testkit/fixture"
	"github.com/linli/linli/internal/volunteers"
)

type world struct {
	*fixture.World
	d      *db.DB
	a      *activities.Service
	h      *hours.Service
	office *accounts.Principal
}

func setup(t *testing.T, d *db.DB) *world {
	t.Helper()
	f := fixture.New(t, d)
	keys, _ := secret.New([]byte(strings.Repeat("a", 40)))
	vol := volunteers.New(d, keys, f.Clock, registry.New(d, keys, f.Clock), f.Accounts)
	n := notify.New(d, notify.Config{Clock: f.Clock})
	n.Register(jobs.NewRunner(d, jobs.Config{Clock: f.Clock}))
	h := hours.New(d, f.Clock, calendar.New(d, f.Clock), vol)
	return &world{World: f, d: d, a: activities.New(d, f.Clock, keys, vol, n, h), h: h, office: f.A.Worker.Principal()}
}

// volunteers inserts n adult outside volunteers with general consent,
// straight into the tables (registration is tested in its own package).
func (w *world) volunteers(t *testing.T, n int) []int64 {
	t.Helper()
	ctx := context.Background()
	var ids []int64
	err := w.d.InTx(ctx, func(tx *db.Tx) error {
		for i := range n {
			var id int64
			if err := tx.QueryRow(ctx, `INSERT INTO volunteers (community_id, number, name, birth_date, registered_via, registered_at, updated_at)
				VALUES (?, ?, ?, '1980-01-01', 'worker', ?, ?) RETURNING id`, w.A.ID, fmt.Sprintf("T-%05d", i), fmt.Sprintf("志愿者%d", i),
				w.Clock.Now(), w.Clock.Now()).Scan(&id); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO consents (community_id, volunteer_id, kind, given_on, given_by, recorded_at) VALUES (?, ?, 'general', '2025-01-01', 'self', ?)`,
				w.A.ID, id, w.Clock.Now()); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func (w *world) series(t *testing.T, in activities.Input) int64 {
	t.Helper()
	id, err := w.a.Create(context.Background(), w.office, w.A.ID, in)
	if err != nil {
		t.Fatalf("create %+v: %v", in, err)
	}
	return id
}

func TestLastSaturdayOfEveryMonth(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		five, fourteen := 5, 14
		w.series(t, activities.Input{Title: "五彩益童心梦", TeamID: w.A.TeamID, OpenTo: "team", Capacity: 40, MinAge: &five, MaxAge: &fourteen,
			Start: "2025-03-29T09:00", End: "2025-03-29T11:30", RRule: "FREQ=MONTHLY;BYDAY=-1SA", Risks: "剪刀、热熔胶枪", Protection: "社工全程看护，购买意外险"})
		occ, err := w.a.Occurrences(ctx, w.office, w.A.ID, time.Date(2025, 3, 1, 0, 0, 0, 0, clock.Shanghai), time.Date(2026, 3, 1, 0, 0, 0, 0, clock.Shanghai), 0)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"2025-03-29", "2025-04-26", "2025-05-31", "2025-06-28", "2025-07-26", "2025-08-30", "2025-09-27", "2025-10-25",
			"2025-11-29", "2025-12-27", "2026-01-31", "2026-02-28"}
		var got []string
		for _, o := range occ {
			got = append(got, o.Start.Format("2006-01-02"))
			if o.Start.Format("15:04") != "09:00" || o.End.Sub(o.Start) != 150*time.Minute || len(o.Teams) != 1 {
				t.Errorf("occurrence %+v", o)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("last Saturdays:\n got %v\nwant %v", got, want)
		}
		// Bad series: each refused, nothing written.
		var before int
		d.QueryRow(ctx, `SELECT count(*) FROM occurrences`).Scan(&before)
		for _, bad := range []activities.Input{
			{Title: "x", Capacity: 10, Start: "2025-04-01T10:00", End: "2025-04-01T09:00"},
			{Title: "x", Capacity: 10, Start: "2025-04-01T10:00", End: "2025-04-01T11:00", RRule: "FREQ=SOMETIMES"},
			{Title: "x", Capacity: 10, Start: "2025-04-01T10:00", End: "2025-04-01T11:00", RRule: "FREQ=MINUTELY"},
			{Title: "", Capacity: 0, Start: "tomorrow", End: "2025-04-01T11:00", OpenTo: "everyone"},
		} {
			if _, err := w.a.Create(ctx, w.office, w.A.ID, bad); !apperr.Is(err, apperr.Invalid) {
				t.Errorf("%+v: %v, want invalid", bad, err)
			}
		}
		var after int
		d.QueryRow(ctx, `SELECT count(*) FROM occurrences`).Scan(&after)
		if after != before {
			t.Errorf("refused series wrote %d occurrences", after-before)
		}
		// A leader plans only for their own team; a volunteer not at all.
		if _, err := w.a.Create(ctx, w.A.Volunteer.Principal(), w.A.ID, activities.Input{Title: "x", Capacity: 1, Start: "2025-04-01T10:00", End: "2025-04-01T11:00"}); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("volunteer plans: %v", err)
		}
	})
}

// 500 people sign up at once for 30 places: exactly 30 get one, 470 wait
// in the order they came; cancellations hand places down the list.
func TestCapacityHoldsUnderConcurrency(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		w.series(t, activities.Input{Title: "防溺水安全课", OpenTo: "volunteers", Capacity: 30, Start: "2025-03-15T09:00", End: "2025-03-15T10:30"})
		occ, err := w.a.Occurrences(ctx, w.office, w.A.ID, fixture.Start, fixture.Start.AddDate(0, 1, 0), 0)
		if err != nil || len(occ) != 1 {
			t.Fatalf("occurrences: %v %v", occ, err)
		}
		id := occ[0].ID
		vols := w.volunteers(t, 500)
		var wg sync.WaitGroup
		errs := make(chan error, len(vols))
		for _, v := range vols {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := w.a.SignUp(ctx, w.office, id, v); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		roster, err := w.a.Roster(ctx, w.office, id)
		if err != nil {
			t.Fatal(err)
		}
		var signed, waiting []activities.Signup
		for _, r := range roster {
			switch r.Status {
			case activities.Signed:
				signed = append(signed, r.Signup)
			case activities.Waitlisted:
				waiting = append(waiting, r.Signup)
			}
		}
		var counter int
		d.QueryRow(ctx, `SELECT signed FROM occurrences WHERE id = ?`, id).Scan(&counter)
		if len(signed) != 30 || len(waiting) != 470 || counter != 30 {
			t.Fatalf("%d signed (counter %d), %d waiting; want 30, 470", len(signed), counter, len(waiting))
		}
		if d.Dialect() == db.Postgres && activities.LargestBatch(w.a) < 2 {
			t.Errorf("500 sign-ups for one date never went two to a statement (largest batch %d)", activities.LargestBatch(w.a))
		}
		var tickets []int
		d.QueryRow(ctx, `SELECT count(DISTINCT position) FROM signups WHERE occurrence_id = ? AND status = 'waitlisted'`, id).Scan(&counter)
		if counter != 470 {
			t.Errorf("%d distinct waitlist tickets for 470 waiting", counter)
		}
		rows, _ := d.Query(ctx, `SELECT position FROM signups WHERE occurrence_id = ? AND status = 'waitlisted' ORDER BY created_at, id`, id)
		for rows.Next() {
			var p int
			rows.Scan(&p)
			tickets = append(tickets, p)
		}
		rows.Close()
		if !slices.IsSorted(tickets) {
			t.Error("the waitlist is not in the order people came")
		}
		// Five cancel at once: the first five waiting take their places.
		first5 := []int64{waiting[0].VolunteerID, waiting[1].VolunteerID, waiting[2].VolunteerID, waiting[3].VolunteerID, waiting[4].VolunteerID}
		errs = make(chan error, 5)
		for _, s := range signed[:5] {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := w.a.Cancel(ctx, w.office, id, s.VolunteerID); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		roster, _ = w.a.Roster(ctx, w.office, id)
		var nowSigned []int64
		for _, r := range roster {
			if r.Status == activities.Signed {
				nowSigned = append(nowSigned, r.VolunteerID)
			}
		}
		d.QueryRow(ctx, `SELECT signed FROM occurrences WHERE id = ?`, id).Scan(&counter)
		if len(nowSigned) != 30 || counter != 30 {
			t.Fatalf("after 5 cancellations: %d signed, counter %d", len(nowSigned), counter)
		}
		for _, v := range first5 {
			if !slices.Contains(nowSigned, v) {
				t.Errorf("volunteer %d, among the first five waiting, was not promoted", v)
			}
		}
		// Signing up twice is refused; cancelling what is not there is 404.
		if _, err := w.a.SignUp(ctx, w.office, id, nowSigned[0]); !apperr.Is(err, apperr.Conflict) {
			t.Errorf("second sign-up: %v", err)
		}
		if err := w.a.Cancel(ctx, w.office, id, signed[0].VolunteerID); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("cancel twice: %v", err)
		}
	})
}

// Check-in: the code from the organiser's screen works this minute and
// the next, not later, not for another date, not twice; outside the
// window or without a place it is refused; the organiser ticks a child
// in and checks everyone out at once.
func TestCheckIn(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		// The fixture volunteer login gets a volunteer record.
		vols := w.volunteers(t, 3)
		if _, err := d.Exec(ctx, `UPDATE volunteers SET account_id = ? WHERE id = ?`, w.A.Volunteer.Account.ID, vols[0]); err != nil {
			t.Fatal(err)
		}
		me := w.A.Volunteer.Principal()
		w.series(t, activities.Input{Title: "智能手机课", OpenTo: "volunteers", Capacity: 10, Start: "2025-03-03T14:30", End: "2025-03-03T16:00",
			RRule: "FREQ=WEEKLY;COUNT=2"})
		occ, _ := w.a.Occurrences(ctx, w.office, w.A.ID, fixture.Start.AddDate(0, 0, -1), fixture.Start.AddDate(0, 1, 0), 0)
		if len(occ) != 2 {
			t.Fatalf("occurrences: %+v", occ)
		}
		today, next := occ[0].ID, occ[1].ID
		for _, v := range vols[:2] {
			if _, err := w.a.SignUp(ctx, w.office, today, v); err != nil {
				t.Fatal(err)
			}
		}
		w.Clock.Set(time.Date(2025, 3, 3, 14, 20, 0, 0, clock.Shanghai))
		code, _, err := w.a.Code(ctx, w.office, today)
		if err != nil || len(code) != 8 {
			t.Fatalf("code: %q %v", code, err)
		}
		if _, _, err := w.a.Code(ctx, me, today); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("a volunteer reads the code: %v", err)
		}
		other, _, _ := w.a.Code(ctx, w.office, next)
		if _, err := w.a.CheckIn(ctx, me, today, other); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("another date's code: %v", err)
		}
		if _, err := w.a.CheckIn(ctx, me, today, "ABCDEFGH"); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("a made-up code: %v", err)
		}
		w.Clock.Set(time.Date(2025, 3, 3, 14, 21, 30, 0, clock.Shanghai)) // the next minute: still good
		c, err := w.a.CheckIn(ctx, me, today, strings.ToLower(code))
		if err != nil || c.How != activities.ByQR || c.VolunteerID != vols[0] {
			t.Fatalf("check in: %+v %v", c, err)
		}
		w.Clock.Set(time.Date(2025, 3, 3, 14, 23, 0, 0, clock.Shanghai)) // two minutes on: stale
		if _, err := w.a.CheckIn(ctx, me, today, code); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("a stale code: %v", err)
		}
		fresh, _, _ := w.a.Code(ctx, w.office, today)
		if _, err := w.a.CheckIn(ctx, me, today, fresh); !apperr.Is(err, apperr.Conflict) {
			t.Errorf("checking in twice: %v", err)
		}
		// The organiser ticks the second in; the third has no place.
		if _, err := w.a.Tick(ctx, w.office, today, vols[1]); err != nil {
			t.Fatal(err)
		}
		if _, err := w.a.Tick(ctx, w.office, today, vols[2]); !apperr.Is(err, apperr.Conflict) {
			t.Errorf("ticking someone without a place: %v", err)
		}
		// Another community's worker cannot read it; nobody checks in late.
		if _, _, err := w.a.Code(ctx, w.B.Worker.Principal(), today); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("B's worker: %v", err)
		}
		w.Clock.Set(time.Date(2025, 3, 3, 17, 0, 0, 0, clock.Shanghai))
		if _, err := w.a.Tick(ctx, w.office, today, vols[2]); !apperr.Is(err, apperr.Conflict) {
			t.Errorf("after the window: %v", err)
		}
		n, err := w.a.CheckOutAll(ctx, w.office, today)
		if err != nil || n != 2 {
			t.Fatalf("check out all: %d %v", n, err)
		}
		att, _ := w.a.Attendance(ctx, w.office, today)
		if len(att) != 2 || att[0].Out == nil || att[1].Out == nil {
			t.Errorf("attendance: %+v", att)
		}
		// Hours from the attendance: inside 14:30-16:00, rounded down.
		cr, err := w.a.Credits(ctx, w.office, today, 60)
		if err != nil || len(cr) != 2 || cr[0].Minutes != 60 || cr[0].Start != "14:30" || cr[0].End != "15:30" {
			t.Fatalf("credits by the hour: %+v %v", cr, err)
		}
		if _, err := w.a.Credits(ctx, w.office, today, 0); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("round 0: %v", err)
		}
		recs, err := w.a.PostHours(ctx, w.office, today, 15)
		if err != nil || len(recs) != 2 || recs[0].Minutes != 90 || recs[0].Captured != hours.CapturedCheckin || recs[0].ServesKind != "activity" || recs[0].ServesID != today {
			t.Fatalf("post: %+v %v", recs, err)
		}
		if _, err := w.a.PostHours(ctx, w.office, today, 15); !apperr.Is(err, apperr.Conflict) {
			t.Errorf("posting twice: %v", err)
		}
		if _, err := w.a.PostHours(ctx, me, today, 15); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("a volunteer posts: %v", err)
		}
		sum, err := w.h.Summary(ctx, w.office, w.A.ID, vols[0])
		if err != nil || sum.TotalHours != 1.5 {
			t.Errorf("ledger after posting: %+v %v", sum, err)
		}
	})
}
