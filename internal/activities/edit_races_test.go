package activities_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/linli/linli/internal/activities"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/testkit/dbtest"
)

// Each test here runs a change up to its transaction, lets a rival
// change commit in that gap, then lets the first one go on: what two
// requests at once (a double click, a retry, the daily job) do when they
// meet at the worst moment.

// gap stops the first call that reaches point at: reached closes when it
// gets there, and it goes on when release is closed. Later calls pass.
func gap(s *activities.Service, at string) (reached, release chan struct{}) {
	reached, release = make(chan struct{}), make(chan struct{})
	var once sync.Once
	activities.SetGap(s, func(p string) {
		if p != at {
			return
		}
		stop := false
		once.Do(func() { stop = true })
		if stop {
			close(reached)
			<-release
		}
	})
	return reached, release
}

func errKey(err error) string {
	var e *apperr.Error
	if errors.As(err, &e) {
		return e.Key
	}
	return ""
}

func (w *world) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	if err := w.d.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// The same "this and following" edit sent twice at once makes one new
// series, not two: the second finds the date gone from the old series
// and is refused.
func TestDoubleSplitMakesOneSeries(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		vols := w.volunteers(t, 1)
		act := w.series(t, activities.Input{Title: "智能手机课", Capacity: 10, Start: "2025-03-10T14:30", End: "2025-03-10T16:00", RRule: "FREQ=WEEKLY;BYDAY=MO"})
		occ := w.dates(t)
		live := w.count(t, `SELECT count(*) FROM occurrences WHERE NOT cancelled`)
		if _, err := w.a.SignUp(ctx, w.office, occ[2].ID, vols[0]); err != nil {
			t.Fatal(err)
		}
		c := activities.Change{Start: ptr("2025-03-24T15:00"), End: ptr("2025-03-24T16:30")}

		reached, release := gap(w.a, "series.edit")
		errc := make(chan error, 1)
		go func() {
			_, err := w.a.EditSeries(ctx, w.office, act, occ[2].ID, c)
			errc <- err
		}()
		<-reached
		next, err := w.a.EditSeries(ctx, w.office, act, occ[2].ID, c)
		if err != nil {
			t.Fatal(err)
		}
		close(release)
		if err := <-errc; !apperr.Is(err, apperr.Conflict) || errKey(err) != "activity.edit.stale" {
			t.Errorf("the second copy: %v, want conflict activity.edit.stale", err)
		}
		if n := w.count(t, `SELECT count(*) FROM activities WHERE previous_id = ?`, act); n != 1 {
			t.Errorf("%d series split off, want 1", n)
		}
		if n := w.count(t, `SELECT count(*) FROM occurrences WHERE NOT cancelled`); n != live {
			t.Errorf("%d live dates, want %d", n, live)
		}
		if n := w.count(t, `SELECT count(*) FROM occurrences WHERE id = ? AND activity_id = ? AND signed = 1`, occ[2].ID, next); n != 1 {
			t.Errorf("the edited date did not keep its roster in series %d", next)
		}
	})
}

// An edit from a later date that loses the race to one from an earlier
// date is refused: it must not push the old rule's end back out, or the
// daily job would make the later dates twice.
func TestSplitLaterLosesToEarlier(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		act := w.series(t, activities.Input{Title: "智能手机课", Capacity: 10, Start: "2025-03-10T14:30", End: "2025-03-10T16:00", RRule: "FREQ=WEEKLY;BYDAY=MO"})
		occ := w.dates(t)
		live := w.count(t, `SELECT count(*) FROM occurrences WHERE NOT cancelled`)

		reached, release := gap(w.a, "series.edit")
		errc := make(chan error, 1)
		go func() {
			_, err := w.a.EditSeries(ctx, w.office, act, occ[19].ID, activities.Change{Title: ptr("从第二十次起")})
			errc <- err
		}()
		<-reached
		if _, err := w.a.EditSeries(ctx, w.office, act, occ[9].ID, activities.Change{Title: ptr("从第十次起")}); err != nil {
			t.Fatal(err)
		}
		close(release)
		if err := <-errc; !apperr.Is(err, apperr.Conflict) {
			t.Errorf("the later split: %v, want conflict", err)
		}
		if n := w.count(t, `SELECT count(*) FROM activities WHERE previous_id = ?`, act); n != 1 {
			t.Errorf("%d series split off, want 1", n)
		}
		// Months on, the old series still ends before the tenth date.
		w.Clock.Set(time.Date(2025, 6, 2, 9, 0, 0, 0, clock.Shanghai))
		if _, err := w.a.Extend(ctx); err != nil {
			t.Fatal(err)
		}
		if n := w.count(t, `SELECT count(*) FROM occurrences WHERE activity_id = ?`, act); n != 9 {
			t.Errorf("the old series has %d dates, want 9", n)
		}
		if n := w.count(t, `SELECT count(*) FROM occurrences WHERE NOT cancelled`); n != live+13 {
			t.Errorf("%d live dates, want %d (13 more weeks made)", n, live+13)
		}
		if n := w.count(t, `SELECT count(*) - count(DISTINCT starts_at) FROM occurrences WHERE NOT cancelled`); n != 0 {
			t.Errorf("%d dates made twice", n)
		}
	})
}

// The daily job reads the rule again inside its transaction: a split
// that lands between its first look and its writes leaves the old series
// ended, with no dates made after its end.
func TestExtendRacingASplit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		act := w.series(t, activities.Input{Title: "智能手机课", Capacity: 10, Start: "2025-03-10T14:30", End: "2025-03-10T16:00", RRule: "FREQ=WEEKLY;BYDAY=MO"})
		occ := w.dates(t)
		live := w.count(t, `SELECT count(*) FROM occurrences WHERE NOT cancelled`)
		w.Clock.Set(time.Date(2025, 3, 17, 9, 0, 0, 0, clock.Shanghai)) // two more Mondays in the horizon

		reached, release := gap(w.a, "extend")
		errc := make(chan error, 1)
		go func() {
			_, err := w.a.Extend(ctx)
			errc <- err
		}()
		<-reached
		next, err := w.a.EditSeries(ctx, w.office, act, occ[19].ID, activities.Change{Title: ptr("新学期")})
		if err != nil {
			t.Fatal(err)
		}
		close(release)
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		if n := w.count(t, `SELECT count(*) FROM occurrences WHERE activity_id = ?`, act); n != 19 {
			t.Errorf("the old series has %d dates, want 19", n)
		}
		if _, err := w.a.Extend(ctx); err != nil {
			t.Fatal(err)
		}
		if n := w.count(t, `SELECT count(*) FROM occurrences WHERE activity_id = ?`, next); n != live-19+2 {
			t.Errorf("the new series has %d dates, want %d", n, live-19+2)
		}
		if n := w.count(t, `SELECT count(*) - count(DISTINCT starts_at) FROM occurrences WHERE NOT cancelled`); n != 0 {
			t.Errorf("%d dates made twice", n)
		}
	})
}

// Two edits of one date at once each change only what they name: a
// title edit does not put back the capacity and time another edit just
// set.
func TestEditOccurrenceKeepsAConcurrentEdit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		w.series(t, activities.Input{Title: "智能手机课", Capacity: 10, Start: "2025-03-10T14:30", End: "2025-03-10T16:00", RRule: "FREQ=WEEKLY;BYDAY=MO"})
		id := w.dates(t)[1].ID

		reached, release := gap(w.a, "occurrence.edit")
		errc := make(chan error, 1)
		go func() {
			errc <- w.a.EditOccurrence(ctx, w.office, id, activities.Change{Title: ptr("智能手机课：微信支付")})
		}()
		<-reached
		if err := w.a.EditOccurrence(ctx, w.office, id, activities.Change{Capacity: ptr(15), Start: ptr("2025-03-17T18:00")}); err != nil {
			t.Fatal(err)
		}
		close(release)
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		o := w.dates(t)[1]
		if o.ID != id || o.Title != "智能手机课：微信支付" || o.Capacity != 15 || o.Start.In(clock.Shanghai).Format("2006-01-02 15:04") != "2025-03-17 18:00" ||
			o.End.Sub(o.Start) != 90*time.Minute {
			t.Errorf("after both edits: %+v; want the new title, capacity 15, 18:00 for 90 minutes", o)
		}
	})
}

// A capacity raised on a date skipped meanwhile is refused, and nobody
// waiting is given a place on a cancelled date.
func TestEditOccurrenceSkippedMeanwhile(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		vols := w.volunteers(t, 2)
		w.series(t, activities.Input{Title: "智能手机课", Capacity: 1, Start: "2025-03-10T14:30", End: "2025-03-10T16:00", RRule: "FREQ=WEEKLY;BYDAY=MO"})
		id := w.dates(t)[1].ID
		for _, v := range vols {
			if _, err := w.a.SignUp(ctx, w.office, id, v); err != nil {
				t.Fatal(err)
			}
		}

		reached, release := gap(w.a, "occurrence.edit")
		errc := make(chan error, 1)
		go func() { errc <- w.a.EditOccurrence(ctx, w.office, id, activities.Change{Capacity: ptr(2)}) }()
		<-reached
		if err := w.a.SkipDate(ctx, w.office, id); err != nil {
			t.Fatal(err)
		}
		close(release)
		if err := <-errc; !apperr.Is(err, apperr.Conflict) || errKey(err) != "activity.cancelled" {
			t.Errorf("capacity of a skipped date: %v, want conflict activity.cancelled", err)
		}
		if n := w.count(t, `SELECT count(*) FROM signups WHERE occurrence_id = ? AND volunteer_id = ? AND status = 'waitlisted'`, id, vols[1]); n != 1 {
			t.Error("the one waiting was moved off the waitlist of a cancelled date")
		}
		if n := w.count(t, `SELECT signed FROM occurrences WHERE id = ?`, id); n != 1 {
			t.Errorf("signed %d, want 1", n)
		}
	})
}

// A sign-up for a date skipped between its first look and its
// transaction is refused, not put on the waitlist of a cancelled date.
func TestSignUpSkippedMeanwhile(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		vols := w.volunteers(t, 1)
		w.series(t, activities.Input{Title: "智能手机课", Capacity: 10, Start: "2025-03-10T14:30", End: "2025-03-10T16:00", RRule: "FREQ=WEEKLY;BYDAY=MO"})
		id := w.dates(t)[1].ID

		reached, release := gap(w.a, "signup")
		errc := make(chan error, 1)
		go func() {
			_, err := w.a.SignUp(ctx, w.office, id, vols[0])
			errc <- err
		}()
		<-reached
		if err := w.a.SkipDate(ctx, w.office, id); err != nil {
			t.Fatal(err)
		}
		close(release)
		if err := <-errc; !apperr.Is(err, apperr.Conflict) || errKey(err) != "activity.cancelled" {
			t.Errorf("sign-up for a skipped date: %v, want conflict activity.cancelled", err)
		}
		if n := w.count(t, `SELECT count(*) FROM signups WHERE occurrence_id = ?`, id); n != 0 {
			t.Errorf("%d sign-ups on a skipped date", n)
		}
	})
}

// A weekly series moved one week later: every date that still falls on
// its day keeps its id and roster; the first, which the new rule no
// longer has, is cancelled and its people told.
func TestMoveSeriesAWeekLater(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		vols := w.volunteers(t, 3)
		act := w.series(t, activities.Input{Title: "智能手机课", Capacity: 10, Start: "2025-03-10T14:30", End: "2025-03-10T16:00", RRule: "FREQ=WEEKLY;BYDAY=MO"})
		occ := w.dates(t)
		for i, v := range vols {
			if _, err := w.a.SignUp(ctx, w.office, occ[i].ID, v); err != nil {
				t.Fatal(err)
			}
		}
		id, err := w.a.EditSeries(ctx, w.office, act, 0, activities.Change{Start: ptr("2025-03-17T14:30"), End: ptr("2025-03-17T16:00")})
		if err != nil || id != act {
			t.Fatalf("move a week later: %d %v", id, err)
		}
		after := w.dates(t)
		var kept []activities.Occurrence
		for _, o := range after {
			if o.Cancelled {
				if o.ID != occ[0].ID {
					t.Errorf("cancelled %+v, want only the first date", o)
				}
				continue
			}
			kept = append(kept, o)
		}
		if len(kept) != len(occ)-1 { // the horizon ends where it did
			t.Fatalf("%d live dates, want %d", len(kept), len(occ)-1)
		}
		for i := 0; i < 2; i++ {
			o, was := kept[i], occ[i+1]
			if o.ID != was.ID || !o.Start.Equal(was.Start) || o.Signed != 1 {
				t.Errorf("date %d: %+v, want id %d at %v with its roster", i, o, was.ID, was.Start)
			}
		}
		if first := kept[0].Start.In(clock.Shanghai).Format("2006-01-02 15:04"); first != "2025-03-17 14:30" {
			t.Errorf("first date %s", first)
		}
		if n := w.count(t, `SELECT count(*) FROM signups WHERE occurrence_id = ? AND status = 'signed'`, occ[0].ID); n != 1 {
			t.Errorf("the cancelled first date's roster: %d", n)
		}
	})
}

// Two dates a day moved on by five hours: the morning date takes the
// afternoon's original start while the afternoon date still holds it,
// which the unique original start allows only in two passes.
func TestMoveTwoADayByHours(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		vols := w.volunteers(t, 2)
		act := w.series(t, activities.Input{Title: "智能手机课", Capacity: 10, Start: "2025-03-10T09:00", End: "2025-03-10T10:00", RRule: "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9,14"})
		occ := w.dates(t)
		for i, v := range vols {
			if _, err := w.a.SignUp(ctx, w.office, occ[i].ID, v); err != nil {
				t.Fatal(err)
			}
		}
		_, err := w.a.EditSeries(ctx, w.office, act, 0, activities.Change{Start: ptr("2025-03-10T14:00"), End: ptr("2025-03-10T15:00"), RRule: ptr("FREQ=WEEKLY;BYDAY=MO;BYHOUR=14,19")})
		if err != nil {
			t.Fatal(err)
		}
		after := w.dates(t)
		if len(after) != len(occ) {
			t.Fatalf("%d dates, want %d", len(after), len(occ))
		}
		for i, want := range []string{"2025-03-10 14:00", "2025-03-10 19:00"} {
			o := after[i]
			if o.ID != occ[i].ID || o.Start.In(clock.Shanghai).Format("2006-01-02 15:04") != want || o.Signed != 1 || o.Cancelled {
				t.Errorf("date %d: %+v, want id %d at %s with its roster", i, o, occ[i].ID, want)
			}
		}
	})
}
