package activities_test

import (
	"context"
	"testing"
	"time"

	"github.com/linli/linli/internal/activities"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/testkit/dbtest"
	"github.com/linli/linli/internal/testkit/fixture"
)

// A roster shows each person's record of the last twelve months: a
// volunteer signed up for three past dates who came to one has two
// no-shows; a skipped date, a date where she only waited, and a late
// cancellation (counted as such) are no no-shows; the window ends a year
// back.
func TestRosterRecord(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		vols := w.volunteers(t, 2)
		her, other := vols[0], vols[1]
		// Seven Mondays, one place each, sign-up closing a day before.
		w.series(t, activities.Input{Title: "智能手机课", OpenTo: "volunteers", Capacity: 1, DeadlineHours: 24,
			Start: "2025-03-10T14:30", End: "2025-03-10T16:00", RRule: "FREQ=WEEKLY;COUNT=7"})
		occ, err := w.a.Occurrences(ctx, w.office, w.A.ID, fixture.Start, fixture.Start.AddDate(0, 2, 0), 0)
		if err != nil || len(occ) != 7 {
			t.Fatalf("occurrences: %d %v", len(occ), err)
		}
		date := func(i int) int64 { return occ[i-1].ID }
		signUp := func(i int, v int64) {
			t.Helper()
			if _, err := w.a.SignUp(ctx, w.office, date(i), v); err != nil {
				t.Fatalf("sign up for date %d: %v", i, err)
			}
		}
		// She takes the place on dates 1-4, 6 and 7; on date 5 the other
		// was first, so she waits.
		for _, i := range []int{1, 2, 3, 4, 6, 7} {
			signUp(i, her)
		}
		signUp(5, other)
		signUp(5, her)
		signUp(7, other) // waits on the roster we read
		if err := w.a.SkipDate(ctx, w.office, date(4)); err != nil {
			t.Fatal(err)
		}
		// She comes to date 1 (ticked in), not to dates 2 and 3.
		w.Clock.Set(time.Date(2025, 3, 10, 14, 40, 0, 0, clock.Shanghai))
		if _, err := w.a.Tick(ctx, w.office, date(1), her); err != nil {
			t.Fatal(err)
		}
		// She cancels date 6 two hours before it starts: late.
		w.Clock.Set(time.Date(2025, 4, 14, 12, 30, 0, 0, clock.Shanghai))
		if err := w.a.Cancel(ctx, w.office, date(6), her); err != nil {
			t.Fatal(err)
		}
		roster, err := w.a.Roster(ctx, w.office, date(7))
		if err != nil {
			t.Fatal(err)
		}
		got := map[int64]activities.Record{}
		for _, r := range roster {
			got[r.VolunteerID] = r.Record
		}
		if want := (activities.Record{NoShows: 2, LateCancels: 1, Attended: 1}); got[her] != want {
			t.Errorf("her record: %+v, want %+v", got[her], want)
		}
		// The other signed up for date 5 and did not come; date 7, where
		// he waits, is not his record.
		if want := (activities.Record{NoShows: 1}); got[other] != want {
			t.Errorf("the other's record: %+v, want %+v", got[other], want)
		}
		// Still the organiser's alone.
		if _, err := w.a.Roster(ctx, w.A.Volunteer.Principal(), date(7)); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("a volunteer reads the roster: %v", err)
		}
		if _, err := w.a.Roster(ctx, w.B.Worker.Principal(), date(7)); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("another community's worker reads the roster: %v", err)
		}
		// A year and more later it has all gone out of the window.
		w.Clock.Set(time.Date(2026, 4, 21, 9, 0, 0, 0, clock.Shanghai))
		roster, err = w.a.Roster(ctx, w.office, date(7))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range roster {
			if r.Record != (activities.Record{}) {
				t.Errorf("volunteer %d, a year later: %+v", r.VolunteerID, r.Record)
			}
		}
	})
}
