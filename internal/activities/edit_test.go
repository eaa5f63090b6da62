package activities_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linli/linli/internal/activities"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/jobs"
	"github.com/linli/linli/internal/testkit/dbtest"
)

func ptr[T any](v T) *T { return &v }

// notices counts the notifications of one kind an account got.
func (w *world) notices(t *testing.T, account int64, kind string) int {
	t.Helper()
	var n int
	if err := w.d.QueryRow(context.Background(), `SELECT count(*) FROM notifications WHERE account_id = ? AND kind = ?`, account, kind).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// dates lists the series' occurrences in the coming year.
func (w *world) dates(t *testing.T) []activities.Occurrence {
	t.Helper()
	occ, err := w.a.Occurrences(context.Background(), w.office, w.A.ID, w.Clock.Now().AddDate(0, 0, -10), w.Clock.Now().AddDate(1, 0, 20), 0)
	if err != nil {
		t.Fatal(err)
	}
	return occ
}

// snapshot is every occurrence and sign-up as text: what "nothing
// changed" compares.
func (w *world) snapshot(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	for _, q := range []string{
		`SELECT id, activity_id, original_start, starts_at, ends_at, capacity, signed, cancelled, revision, COALESCE(title, '') FROM occurrences ORDER BY id`,
		`SELECT id, occurrence_id, volunteer_id, status, position, 0, 0, 0, 0, '' FROM signups ORDER BY id`,
		`SELECT id, community_id, COALESCE(previous_id, 0), rrule, dtstart, dtstart, minutes, capacity, 0, title FROM activities ORDER BY id`,
	} {
		rows, err := w.d.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var a, b2, c2, g, h, i, j any
			var d, e, f any
			if err := rows.Scan(&a, &b2, &c2, &d, &e, &f, &g, &h, &i, &j); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(&b, a, b2, c2, d, e, f, g, h, i, j)
		}
		rows.Close()
	}
	return b.String()
}

// One date: moved, given its own title and capacity, skipped; the people
// signed up and waiting are told each time; rosters stay; bad edits and
// strangers are refused and change nothing.
func TestEditOneDate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		vols := w.volunteers(t, 4)
		// The fixture's volunteer signs up themselves; the resident's
		// account stands for the person who ends up waiting.
		d.Exec(ctx, `UPDATE volunteers SET account_id = ? WHERE id = ?`, w.A.Volunteer.Account.ID, vols[0])
		d.Exec(ctx, `UPDATE volunteers SET account_id = ? WHERE id = ?`, w.A.Resident.Account.ID, vols[3])
		me, waiting := w.A.Volunteer.Account.ID, w.A.Resident.Account.ID
		act := w.series(t, activities.Input{Title: "五彩益童心梦", Capacity: 3, Start: "2025-03-29T09:00", End: "2025-03-29T11:30", RRule: "FREQ=MONTHLY;BYDAY=-1SA"})
		occ := w.dates(t)
		april, may := occ[1].ID, occ[2].ID
		for _, v := range vols {
			if _, err := w.a.SignUp(ctx, w.office, april, v); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := w.a.SignUp(ctx, w.office, may, vols[0]); err != nil {
			t.Fatal(err)
		}

		// Move April's date to Sunday afternoon: same length, same roster.
		if err := w.a.EditOccurrence(ctx, w.office, april, activities.Change{Start: ptr("2025-04-27T14:00")}); err != nil {
			t.Fatal(err)
		}
		occ = w.dates(t)
		if occ[1].ID != april || occ[1].Start.Format("2006-01-02 15:04") != "2025-04-27 14:00" || occ[1].End.Format("15:04") != "16:30" || occ[1].Signed != 3 || occ[1].Waiting != 1 {
			t.Errorf("moved date: %+v", occ[1])
		}
		if n, m := w.notices(t, me, "activity.changed"), w.notices(t, waiting, "activity.changed"); n != 1 || m != 1 {
			t.Errorf("told of the move: signed-up %d, waiting %d; want 1, 1", n, m)
		}
		ex, err := w.a.Exceptions(ctx, act)
		if err != nil || len(ex.Moved) != 1 || ex.Moved[0].OccurrenceID != april || ex.Moved[0].OriginalStart.Format("2006-01-02 15:04") != "2025-04-26 09:00" ||
			ex.Moved[0].Start.Format("01-02 15:04") != "04-27 14:00" || len(ex.Skipped) != 0 {
			t.Errorf("exceptions after the move: %+v %v", ex, err)
		}

		// Bad edits change nothing.
		before := w.snapshot(t)
		for name, c := range map[string]activities.Change{
			"capacity below the signed": {Capacity: ptr(2)},
			"end before start":          {Start: ptr("2025-04-27T14:00"), End: ptr("2025-04-27T13:00")},
			"malformed time":            {Start: ptr("next Sunday")},
			"a rule for one date":       {RRule: ptr("FREQ=DAILY")},
			"empty title":               {Title: ptr("  ")},
			"into the past":             {Start: ptr("2025-03-01T09:00")},
		} {
			err := w.a.EditOccurrence(ctx, w.office, april, c)
			if !apperr.Is(err, apperr.Invalid) && !apperr.Is(err, apperr.Conflict) {
				t.Errorf("%s: %v, want refused", name, err)
			}
		}
		err = w.a.EditOccurrence(ctx, w.office, april, activities.Change{Capacity: ptr(2)})
		if !strings.Contains(fmt.Sprint(err), "activity.capacity.below_signed") {
			t.Errorf("capacity below the signed: %v", err)
		}
		if err := w.a.EditOccurrence(ctx, w.A.Volunteer.Principal(), april, activities.Change{Title: ptr("x")}); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("a volunteer edits: %v", err)
		}
		if err := w.a.EditOccurrence(ctx, w.B.Worker.Principal(), april, activities.Change{Title: ptr("x")}); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("another community's worker edits: %v", err)
		}
		if after := w.snapshot(t); after != before {
			t.Errorf("refused edits changed something:\n%s\n%s", before, after)
		}

		// Its own title and one more place: the waiting person gets it.
		if err := w.a.EditOccurrence(ctx, w.office, april, activities.Change{Title: ptr("灯笼制作"), Capacity: ptr(4)}); err != nil {
			t.Fatal(err)
		}
		occ = w.dates(t)
		if occ[1].Title != "灯笼制作" || occ[1].Capacity != 4 || occ[1].Signed != 4 || occ[1].Waiting != 0 || occ[2].Title != "五彩益童心梦" {
			t.Errorf("retitled with room for one more: %+v / %+v", occ[1], occ[2])
		}
		if n := w.notices(t, waiting, "activity.promoted"); n != 1 {
			t.Errorf("promoted person told %d times", n)
		}

		// Skip May's date: it stays in the records, its people are told.
		if err := w.a.SkipDate(ctx, w.A.Volunteer.Principal(), may); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("a volunteer skips a date: %v", err)
		}
		if err := w.a.SkipDate(ctx, w.office, may); err != nil {
			t.Fatal(err)
		}
		if err := w.a.SkipDate(ctx, w.office, may); !apperr.Is(err, apperr.Conflict) {
			t.Errorf("skipping twice: %v", err)
		}
		if n := w.notices(t, me, "activity.cancelled"); n != 1 {
			t.Errorf("told of the skipped date %d times", n)
		}
		occ = w.dates(t)
		if occ[2].ID != may || !occ[2].Cancelled || occ[2].Signed != 1 {
			t.Errorf("skipped date: %+v", occ[2])
		}
		if _, err := w.a.SignUp(ctx, w.office, may, vols[1]); !apperr.Is(err, apperr.Conflict) {
			t.Errorf("signing up for a skipped date: %v", err)
		}
		ex, _ = w.a.Exceptions(ctx, act)
		if len(ex.Skipped) != 1 || ex.Skipped[0].Format("2006-01-02 15:04") != "2025-05-31 09:00" {
			t.Errorf("skipped: %v", ex.Skipped)
		}
		// A date that has started is history.
		w.Clock.Set(time.Date(2025, 3, 29, 9, 30, 0, 0, clock.Shanghai))
		if err := w.a.EditOccurrence(ctx, w.office, occ[0].ID, activities.Change{Title: ptr("x")}); !apperr.Is(err, apperr.Conflict) {
			t.Errorf("editing a started date: %v", err)
		}
		if err := w.a.SkipDate(ctx, w.office, occ[0].ID); !apperr.Is(err, apperr.Conflict) {
			t.Errorf("skipping a started date: %v", err)
		}
	})
}

// "This and following" splits the series: the old rule ends before the
// date, a new series names the old one, the dates keep their ids and
// rosters where the new rule still falls on their day, the others are
// cancelled and their people told. The whole series changes in place
// until it has started.
func TestEditThisAndFollowing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		vols := w.volunteers(t, 2)
		d.Exec(ctx, `UPDATE volunteers SET account_id = ? WHERE id = ?`, w.A.Volunteer.Account.ID, vols[0])
		me := w.A.Volunteer.Account.ID
		act := w.series(t, activities.Input{Title: "智能手机课", Capacity: 10, Start: "2025-03-10T14:30", End: "2025-03-10T16:00", RRule: "FREQ=WEEKLY;BYDAY=MO"})
		occ := w.dates(t)
		total := len(occ)
		if total < 50 || occ[0].Start.Format("01-02") != "03-10" {
			t.Fatalf("%d Mondays from %v", total, occ[0].Start)
		}
		for _, i := range []int{0, 2, 3, 5} {
			if _, err := w.a.SignUp(ctx, w.office, occ[i].ID, vols[0]); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := w.a.SignUp(ctx, w.office, occ[3].ID, vols[1]); err != nil {
			t.Fatal(err)
		}

		// Bad series edits change nothing.
		before := w.snapshot(t)
		for name, c := range map[string]activities.Change{
			"malformed rule":       {RRule: ptr("FREQ=FORTNIGHTLY")},
			"too many dates":       {RRule: ptr("FREQ=HOURLY")},
			"end before start":     {Start: ptr("2025-03-24T15:00"), End: ptr("2025-03-24T14:00")},
			"capacity below signs": {Capacity: ptr(1)},
			"no dates in a year":   {RRule: ptr("FREQ=WEEKLY;UNTIL=20250301T000000Z")},
		} {
			_, err := w.a.EditSeries(ctx, w.office, act, occ[2].ID, c)
			if !apperr.Is(err, apperr.Invalid) {
				t.Errorf("%s: %v, want invalid", name, err)
			}
		}
		if _, err := w.a.EditSeries(ctx, w.A.Volunteer.Principal(), act, occ[2].ID, activities.Change{Title: ptr("x")}); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("a volunteer edits the series: %v", err)
		}
		if id, err := w.a.EditSeries(ctx, w.office, act, occ[2].ID, activities.Change{}); id != act || err != nil {
			t.Errorf("an empty change: %d %v, want the same series and no split", id, err)
		}
		if _, err := w.a.EditSeries(ctx, w.office, act, 999999, activities.Change{Title: ptr("x")}); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("from a date of no series: %v", err)
		}
		if after := w.snapshot(t); after != before {
			t.Errorf("refused edits changed something:\n%s\n%s", before, after)
		}

		// From the third Monday on, half an hour later.
		next, err := w.a.EditSeries(ctx, w.office, act, occ[2].ID, activities.Change{Start: ptr("2025-03-24T15:00"), End: ptr("2025-03-24T16:30")})
		if err != nil || next == act {
			t.Fatalf("this and following: %d %v", next, err)
		}
		old, _ := w.a.Series(ctx, w.office, act)
		nw, err := w.a.Series(ctx, w.office, next)
		if err != nil || nw.PreviousID != act || nw.RRule != "FREQ=WEEKLY;BYDAY=MO" || nw.Start.Format("2006-01-02 15:04") != "2025-03-24 15:00" {
			t.Errorf("new series: %+v %v", nw, err)
		}
		if !strings.Contains(old.RRule, "UNTIL=20250324T062959Z") || strings.Contains(old.RRule, "COUNT") {
			t.Errorf("old rule: %s", old.RRule)
		}
		after := w.dates(t)
		if len(after) != total {
			t.Fatalf("%d dates after the split, want %d", len(after), total)
		}
		for i, o := range after {
			if o.ID != occ[i].ID || o.Cancelled {
				t.Errorf("date %d: %+v, was %+v", i, o, occ[i])
			}
			wantAct, wantTime := act, "14:30"
			if i >= 2 {
				wantAct, wantTime = next, "15:00"
			}
			if o.ActivityID != wantAct || o.Start.Format("15:04") != wantTime || o.End.Sub(o.Start) != 90*time.Minute {
				t.Errorf("date %d: activity %d at %s, want %d at %s", i, o.ActivityID, o.Start.Format("15:04"), wantAct, wantTime)
			}
		}
		if after[3].Signed != 2 || after[5].Signed != 1 {
			t.Errorf("rosters after the split: %+v, %+v", after[3], after[5])
		}
		// Told of dates 2, 3 and 5; not of date 0, which did not change.
		if n := w.notices(t, me, "activity.changed"); n != 3 {
			t.Errorf("told of %d changed dates, want 3", n)
		}

		// From the fifth Monday, every other week: the sixth is cancelled
		// (its people told), the seventh keeps its id.
		third, err := w.a.EditSeries(ctx, w.office, next, occ[4].ID, activities.Change{RRule: ptr("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO"), Title: ptr("智能手机课（双周）")})
		if err != nil {
			t.Fatal(err)
		}
		after = w.dates(t)
		for i, o := range after {
			switch {
			case i < 4:
			case i%2 == 0 && (o.Cancelled || o.ActivityID != third || o.ID != occ[i].ID || o.Title != "智能手机课（双周）"):
				t.Errorf("kept date %d: %+v", i, o)
			case i%2 == 1 && (!o.Cancelled || o.ActivityID != next):
				t.Errorf("dropped date %d: %+v", i, o)
			}
		}
		if n := w.notices(t, me, "activity.cancelled"); n != 1 {
			t.Errorf("told of %d cancelled dates, want 1 (the sixth)", n)
		}
		ex, _ := w.a.Exceptions(ctx, next)
		if len(ex.Skipped) == 0 || len(ex.Moved) != 0 {
			t.Errorf("exceptions of the middle series: %+v", ex)
		}

		// The whole series, once started: the title for every date, and a
		// new time splits it at the first date not started.
		w.Clock.Set(time.Date(2025, 3, 10, 15, 0, 0, 0, clock.Shanghai))
		id, err := w.a.EditSeries(ctx, w.office, act, 0, activities.Change{Title: ptr("老年人智能手机课")})
		if err != nil || id != act {
			t.Fatalf("retitle the series: %d %v", id, err)
		}
		after = w.dates(t)
		if after[0].Title != "老年人智能手机课" || after[1].Title != "老年人智能手机课" || after[2].Title != "智能手机课" {
			t.Errorf("titles: %q %q %q", after[0].Title, after[1].Title, after[2].Title)
		}
		id, err = w.a.EditSeries(ctx, w.office, act, 0, activities.Change{Start: ptr("2025-03-17T09:00"), End: ptr("2025-03-17T10:00")})
		if err != nil || id == act {
			t.Fatalf("new time for the whole started series: %d %v", id, err)
		}
		after = w.dates(t)
		if after[0].Start.Format("15:04") != "14:30" || after[1].ID != occ[1].ID || after[1].Start.Format("15:04") != "09:00" || after[1].ActivityID != id {
			t.Errorf("after the whole-series time change: %+v / %+v", after[0], after[1])
		}
	})
}

// The whole series before it starts changes in place: same activity,
// same dates, new times and capacity.
func TestEditWholeSeriesInPlace(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		vols := w.volunteers(t, 3)
		act := w.series(t, activities.Input{Title: "防溺水安全课", Capacity: 2, Start: "2025-06-07T09:00", End: "2025-06-07T10:00", RRule: "FREQ=WEEKLY;COUNT=4"})
		occ := w.dates(t)
		for _, v := range vols {
			w.a.SignUp(ctx, w.office, occ[1].ID, v)
		}
		id, err := w.a.EditSeries(ctx, w.office, act, 0, activities.Change{Start: ptr("2025-06-07T10:00"), End: ptr("2025-06-07T11:30"), Capacity: ptr(3)})
		if err != nil || id != act {
			t.Fatalf("edit in place: %d %v", id, err)
		}
		after := w.dates(t)
		if len(after) != 4 {
			t.Fatalf("%d dates", len(after))
		}
		for i, o := range after {
			if o.ID != occ[i].ID || o.Start.Format("15:04") != "10:00" || o.End.Format("15:04") != "11:30" || o.Capacity != 3 {
				t.Errorf("date %d: %+v", i, o)
			}
		}
		if after[1].Signed != 3 || after[1].Waiting != 0 {
			t.Errorf("the new place went to the waitlist: %+v", after[1])
		}
		s, _ := w.a.Series(ctx, w.office, act)
		if s.RRule != "FREQ=WEEKLY;COUNT=4" || s.Start.Format("15:04") != "10:00" || len(s.Exceptions.Moved) != 0 {
			t.Errorf("series: %+v", s)
		}
	})
}

// Reminders go to everyone signed up for tomorrow's date exactly once,
// however often and however concurrently the job runs; the waitlist and
// skipped dates get none.
func TestRemindersExactlyOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		vols := w.volunteers(t, 3)
		d.Exec(ctx, `UPDATE volunteers SET account_id = ? WHERE id = ?`, w.A.Volunteer.Account.ID, vols[0])
		d.Exec(ctx, `UPDATE volunteers SET account_id = ? WHERE id = ?`, w.A.Resident.Account.ID, vols[2])
		w.series(t, activities.Input{Title: "雪后清扫", Capacity: 2, Start: "2025-03-04T08:00", End: "2025-03-04T10:00", RRule: "FREQ=DAILY;COUNT=3"})
		occ := w.dates(t)
		for _, v := range vols { // the third waits
			if _, err := w.a.SignUp(ctx, w.office, occ[0].ID, v); err != nil {
				t.Fatal(err)
			}
		}
		w.a.SignUp(ctx, w.office, occ[1].ID, vols[0])
		// The day after tomorrow's date is skipped: no reminder for it.
		w.a.SignUp(ctx, w.office, occ[2].ID, vols[0])
		if err := w.a.SkipDate(ctx, w.office, occ[2].ID); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		sent := make(chan int, 4)
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := w.a.Remind(ctx)
				if err != nil {
					t.Error(err)
				}
				sent <- n
			}()
		}
		wg.Wait()
		close(sent)
		total := 0
		for n := range sent {
			total += n
		}
		if total != 1 || w.notices(t, w.A.Volunteer.Account.ID, "activity.reminder") != 1 || w.notices(t, w.A.Resident.Account.ID, "activity.reminder") != 0 {
			t.Errorf("tomorrow's reminders: %d sent, volunteer has %d, waiting person %d", total, w.notices(t, w.A.Volunteer.Account.ID, "activity.reminder"),
				w.notices(t, w.A.Resident.Account.ID, "activity.reminder"))
		}
		// A day later the second date is due, the third still skipped.
		// Two processes' runners each run a reminder job at once (two
		// slots' jobs, as after a restart): one reminder.
		w.Clock.Advance(24 * time.Hour)
		runners := []*jobs.Runner{jobs.NewRunner(d, jobs.Config{Clock: w.Clock}), jobs.NewRunner(d, jobs.Config{Clock: w.Clock})}
		for i, r := range runners {
			w.a.Register(r)
			if _, _, err := r.Queue().Enqueue(ctx, d, jobs.Job{Kind: activities.KindRemind, UniqueKey: fmt.Sprintf("test-remind-%d", i)}); err != nil {
				t.Fatal(err)
			}
		}
		for _, r := range runners {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := r.RunDue(ctx); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		var done int
		d.QueryRow(ctx, `SELECT count(*) FROM jobs WHERE kind = ? AND status = 'done'`, activities.KindRemind).Scan(&done)
		// The test's two, and the hourly slot's, which both runners'
		// schedulers enqueue and the unique key keeps to one.
		if done != 3 {
			t.Errorf("%d reminder jobs done, want 3", done)
		}
		if n, _ := w.a.Remind(ctx); n != 0 {
			t.Errorf("run again: %d sent", n)
		}
		if n := w.notices(t, w.A.Volunteer.Account.ID, "activity.reminder"); n != 2 {
			t.Errorf("volunteer reminded %d times, want 2", n)
		}
	})
}

// The daily job keeps twelve months of dates made as time passes; a
// skipped date is not made again.
func TestExtendKeepsAYearAhead(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		act := w.series(t, activities.Input{Title: "五彩益童心梦", Capacity: 40, Start: "2025-03-29T09:00", End: "2025-03-29T11:30", RRule: "FREQ=MONTHLY;BYDAY=-1SA"})
		count := func() int {
			var n int
			d.QueryRow(ctx, `SELECT count(*) FROM occurrences WHERE activity_id = ?`, act).Scan(&n)
			return n
		}
		if n := count(); n != 12 {
			t.Fatalf("%d dates made, want 12", n)
		}
		if n, err := w.a.Extend(ctx); err != nil || n != 0 {
			t.Errorf("extend right away: %d %v", n, err)
		}
		w.Clock.Set(time.Date(2025, 6, 1, 9, 0, 0, 0, clock.Shanghai))
		if n, err := w.a.Extend(ctx); err != nil || n != 3 {
			t.Errorf("three months on: %d made, %v; want 3", n, err)
		}
		if n, _ := w.a.Extend(ctx); n != 0 || count() != 15 {
			t.Errorf("twice: %d made, %d dates", n, count())
		}
		ex, _ := w.a.Exceptions(ctx, act)
		if len(ex.Skipped) != 0 {
			t.Fatal(ex)
		}
		var last int64
		d.QueryRow(ctx, `SELECT id FROM occurrences WHERE activity_id = ? ORDER BY original_start DESC LIMIT 1`, act).Scan(&last)
		if err := w.a.SkipDate(ctx, w.office, last); err != nil {
			t.Fatal(err)
		}
		if n, _ := w.a.Extend(ctx); n != 0 || count() != 15 {
			t.Errorf("a skipped date was made again: %d, %d", n, count())
		}
	})
}
