package activities_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/linli/linli/internal/activities"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/testkit/dbtest"
)

// fieldKey is the translation key of field on a refused call.
func fieldKey(err error, field string) string {
	return apperr.From(err).Fields[field].Key
}

// placeRows is the places table as text: what "nothing changed" compares.
func (w *world) placeRows(t *testing.T) string {
	t.Helper()
	rows, err := w.d.Query(context.Background(), `SELECT id, community_id, name, capacity, retired_at IS NOT NULL FROM places ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id, cid int64
		var name string
		var capacity int
		var retired bool
		if err := rows.Scan(&id, &cid, &name, &capacity, &retired); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%d %d %s %d %v\n", id, cid, name, capacity, retired)
	}
	return b.String()
}

func (w *world) audited(t *testing.T, action string) int {
	t.Helper()
	var n int
	if err := w.d.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action = ? AND object_type = 'place'`, action).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestManagePlaces(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		room, err := w.a.CreatePlace(ctx, w.office, w.A.ID, "  社区活动室 ", 30)
		if err != nil {
			t.Fatal(err)
		}
		if room.Name != "社区活动室" || room.Capacity != 30 || room.Retired || room.Coming != 0 {
			t.Errorf("created %+v", room)
		}
		school, err := w.a.CreatePlace(ctx, w.A.Admin.Principal(), w.A.ID, "建胜路小学", 0)
		if err != nil {
			t.Fatal(err)
		}
		// Everyone in the community lists them; outsiders do not.
		list, err := w.a.ListPlaces(ctx, w.A.Volunteer.Principal(), w.A.ID)
		if err != nil || len(list) != 2 {
			t.Fatalf("volunteer's list %+v, %v", list, err)
		}
		if _, err := w.a.ListPlaces(ctx, w.B.Worker.Principal(), w.A.ID); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("B's worker listing A's places: %v", err)
		}

		// Each bad input refused in the user's words, nothing changed.
		before := w.placeRows(t)
		bad := []struct {
			name, field, key string
			capacity         int
			code             apperr.Code
		}{
			{"   ", "name", "place.name.invalid", 10, apperr.Invalid},
			{strings.Repeat("场", 41), "name", "place.name.invalid", 10, apperr.Invalid},
			{"社区活动室", "name", "place.name.taken", 10, apperr.Conflict},
			{"党群服务中心", "capacity", "place.capacity.invalid", -1, apperr.Invalid},
			{"党群服务中心", "capacity", "place.capacity.invalid", 10001, apperr.Invalid},
		}
		for _, b := range bad {
			_, err := w.a.CreatePlace(ctx, w.office, w.A.ID, b.name, b.capacity)
			if !apperr.Is(err, b.code) || fieldKey(err, b.field) != b.key {
				t.Errorf("create %q ×%d: %v, want %s on %s", b.name, b.capacity, err, b.key, b.field)
			}
		}
		taken := "建胜路小学"
		if _, err := w.a.UpdatePlace(ctx, w.office, w.A.ID, room.ID, activities.PlaceChange{Name: &taken}); !apperr.Is(err, apperr.Conflict) || fieldKey(err, "name") != "place.name.taken" {
			t.Errorf("rename onto another place's name: %v", err)
		}
		tooMany := 10001
		if _, err := w.a.UpdatePlace(ctx, w.office, w.A.ID, room.ID, activities.PlaceChange{Capacity: &tooMany}); fieldKey(err, "capacity") != "place.capacity.invalid" {
			t.Errorf("capacity 10001: %v", err)
		}
		// Who: a leader and a volunteer are members but not the office;
		// another community's worker does not see A's places at all.
		if _, err := w.a.CreatePlace(ctx, w.A.Leader.Principal(), w.A.ID, "队部", 5); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("leader creating a place: %v", err)
		}
		if _, err := w.a.UpdatePlace(ctx, w.A.Volunteer.Principal(), w.A.ID, room.ID, activities.PlaceChange{Name: ptr("x")}); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("volunteer renaming a place: %v", err)
		}
		if _, err := w.a.UpdatePlace(ctx, w.B.Worker.Principal(), w.B.ID, room.ID, activities.PlaceChange{Name: ptr("x")}); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("B's worker renaming A's place through B: %v", err)
		}
		if _, err := w.a.FindPlace(ctx, w.B.Worker.Principal(), w.B.ID, room.ID); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("B's worker reading A's place through B: %v", err)
		}
		if got := w.placeRows(t); got != before {
			t.Errorf("refused calls changed places:\n%s\nwas\n%s", got, before)
		}

		// Rename, resize, retire, bring back: each audited once.
		got, err := w.a.UpdatePlace(ctx, w.office, w.A.ID, room.ID, activities.PlaceChange{Name: ptr("社区活动室（二楼）"), Capacity: ptr(25)})
		if err != nil || got.Name != "社区活动室（二楼）" || got.Capacity != 25 {
			t.Fatalf("update: %+v, %v", got, err)
		}
		if got, err = w.a.UpdatePlace(ctx, w.office, w.A.ID, school.ID, activities.PlaceChange{Retired: ptr(true)}); err != nil || !got.Retired {
			t.Fatalf("retire: %+v, %v", got, err)
		}
		list, _ = w.a.ListPlaces(ctx, w.office, w.A.ID)
		if len(list) != 2 || list[0].ID != room.ID || list[1].ID != school.ID || !list[1].Retired {
			t.Errorf("retired place not last: %+v", list)
		}
		open, _ := w.a.Places(ctx, w.A.Leader.Principal(), w.A.ID)
		if len(open) != 1 || open[0].ID != room.ID {
			t.Errorf("planning list offers %+v, want only the room", open)
		}
		if _, err := w.a.UpdatePlace(ctx, w.office, w.A.ID, school.ID, activities.PlaceChange{Retired: ptr(false)}); err != nil {
			t.Fatal(err)
		}
		// Saving what is already there changes and audits nothing.
		if _, err := w.a.UpdatePlace(ctx, w.office, w.A.ID, school.ID, activities.PlaceChange{Name: ptr("建胜路小学")}); err != nil {
			t.Fatal(err)
		}
		for action, n := range map[string]int{"place.create": 2, "place.update": 1, "place.retire": 1, "place.restore": 1} {
			if got := w.audited(t, action); got != n {
				t.Errorf("%s audited %d times, want %d", action, got, n)
			}
		}
	})
}

func TestActivityFitsItsPlace(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		room, err := w.a.CreatePlace(ctx, w.office, w.A.ID, "社区活动室", 30)
		if err != nil {
			t.Fatal(err)
		}
		hall, err := w.a.CreatePlace(ctx, w.office, w.A.ID, "小会议室", 10)
		if err != nil {
			t.Fatal(err)
		}
		other, err := w.a.CreatePlace(ctx, w.B.Worker.Principal(), w.B.ID, "别的社区活动室", 0)
		if err != nil {
			t.Fatal(err)
		}
		in := activities.Input{Title: "手工课", TeamID: w.A.TeamID, PlaceID: room.ID, Capacity: 31,
			Start: "2025-03-08T09:00", End: "2025-03-08T11:00", RRule: "FREQ=WEEKLY;COUNT=4"}
		before := w.snapshot(t)
		_, err = w.a.Create(ctx, w.office, w.A.ID, in)
		e := apperr.From(err)
		if e.Code != apperr.Invalid || e.Fields["capacity"].Key != "activity.capacity.place" || e.Fields["capacity"].Args["max"] != 30 || e.Fields["capacity"].Args["place"] != "社区活动室" {
			t.Fatalf("capacity 31 in a room for 30: %v %+v", err, e.Fields)
		}
		in.PlaceID = other.ID
		if _, err := w.a.Create(ctx, w.office, w.A.ID, in); fieldKey(err, "place_id") != "activity.place.unknown" {
			t.Errorf("another community's place: %v", err)
		}
		if got := w.snapshot(t); got != before {
			t.Errorf("refused plans wrote dates:\n%s", got)
		}
		// A leader plans within the room, as the office does.
		in.PlaceID, in.Capacity = room.ID, 30
		id, err := w.a.Create(ctx, w.A.Leader.Principal(), w.A.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		list, _ := w.a.ListPlaces(ctx, w.office, w.A.ID)
		for _, p := range list {
			if p.ID == room.ID && p.Coming != 4 {
				t.Errorf("room's coming dates %d, want 4", p.Coming)
			}
		}
		dates := w.dates(t)
		if len(dates) != 4 {
			t.Fatalf("dates %+v", dates)
		}
		// Editing: the series above the room, one date above the room, one
		// date moved to the small room with 30 places: each refused.
		before = w.snapshot(t)
		if _, err := w.a.EditSeries(ctx, w.office, id, 0, activities.Change{Capacity: ptr(35)}); fieldKey(err, "capacity") != "activity.capacity.place" {
			t.Errorf("series to 35: %v", err)
		}
		if err := w.a.EditOccurrence(ctx, w.office, dates[0].ID, activities.Change{Capacity: ptr(31)}); fieldKey(err, "capacity") != "activity.capacity.place" {
			t.Errorf("date to 31: %v", err)
		}
		err = w.a.EditOccurrence(ctx, w.office, dates[1].ID, activities.Change{PlaceID: &hall.ID})
		if e := apperr.From(err); e.Fields["capacity"].Key != "activity.capacity.place" || e.Fields["capacity"].Args["max"] != 10 {
			t.Errorf("date of 30 into a room for 10: %v", err)
		}
		if got := w.snapshot(t); got != before {
			t.Errorf("refused edits changed dates:\n%s\nwas\n%s", got, before)
		}
		// Into the small room with 10 places it fits.
		if err := w.a.EditOccurrence(ctx, w.office, dates[1].ID, activities.Change{PlaceID: &hall.ID, Capacity: ptr(10)}); err != nil {
			t.Errorf("date of 10 into a room for 10: %v", err)
		}

		// Retired: not chosen for anything new; what is there stays and
		// can still be edited.
		if _, err := w.a.UpdatePlace(ctx, w.office, w.A.ID, hall.ID, activities.PlaceChange{Retired: ptr(true)}); err != nil {
			t.Fatal(err)
		}
		in.PlaceID, in.Capacity = hall.ID, 5
		if _, err := w.a.Create(ctx, w.office, w.A.ID, in); fieldKey(err, "place_id") != "activity.place.retired" {
			t.Errorf("plan at a retired place: %v", err)
		}
		if err := w.a.EditOccurrence(ctx, w.office, dates[2].ID, activities.Change{PlaceID: &hall.ID, Capacity: ptr(5)}); fieldKey(err, "place_id") != "activity.place.retired" {
			t.Errorf("move a date to a retired place: %v", err)
		}
		if err := w.a.EditOccurrence(ctx, w.office, dates[1].ID, activities.Change{Capacity: ptr(8)}); err != nil {
			t.Errorf("resize a date already at the retired place: %v", err)
		}
		// The series within the room, but the date in the small room
		// would take 25 too: refused, naming that room, until it holds 25.
		before = w.snapshot(t)
		_, err = w.a.EditSeries(ctx, w.office, id, 0, activities.Change{Title: ptr("手工课（新）"), Capacity: ptr(25)})
		if e := apperr.From(err); e.Fields["capacity"].Key != "activity.capacity.date_place" || e.Fields["capacity"].Args["place"] != "小会议室" {
			t.Errorf("series to 25 with a date in a room for 10: %v", err)
		}
		if got := w.snapshot(t); got != before {
			t.Errorf("refused series edit changed dates:\n%s\nwas\n%s", got, before)
		}
		if _, err := w.a.UpdatePlace(ctx, w.office, w.A.ID, hall.ID, activities.PlaceChange{Capacity: ptr(25)}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.a.EditSeries(ctx, w.office, id, 0, activities.Change{Title: ptr("手工课（新）"), Capacity: ptr(25)}); err != nil {
			t.Errorf("series within the room: %v", err)
		}
		// The room shrinks below what its dates were planned for: allowed,
		// and the list shows them as over.
		if _, err := w.a.UpdatePlace(ctx, w.office, w.A.ID, room.ID, activities.PlaceChange{Capacity: ptr(20)}); err != nil {
			t.Fatal(err)
		}
		got, err := w.a.FindPlace(ctx, w.A.Volunteer.Principal(), w.A.ID, room.ID)
		if err != nil || got.Coming != 3 || got.Over != 3 {
			t.Errorf("room after shrinking: %+v, %v (want 3 coming, 3 over)", got, err)
		}
	})
}

// A date moved "this one" to a place of its own keeps it through edits
// of the series; an edit of the whole series, or of this and following,
// that raises the capacity above what that place holds is refused, naming
// the place and the date, and changes nothing. Dates before the edit's
// first date, skipped dates and places without a limit do not hold it up.
func TestSeriesEditChecksDatesWithTheirOwnPlace(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		room, err := w.a.CreatePlace(ctx, w.office, w.A.ID, "社区活动室", 30)
		if err != nil {
			t.Fatal(err)
		}
		small, err := w.a.CreatePlace(ctx, w.office, w.A.ID, "小会议室", 12)
		if err != nil {
			t.Fatal(err)
		}
		yard, err := w.a.CreatePlace(ctx, w.office, w.A.ID, "小区广场", 0)
		if err != nil {
			t.Fatal(err)
		}
		id := w.series(t, activities.Input{Title: "手工课", TeamID: w.A.TeamID, PlaceID: room.ID, Capacity: 10,
			Start: "2025-03-08T09:00", End: "2025-03-08T11:00", RRule: "FREQ=WEEKLY;COUNT=6"})
		dates := w.dates(t)
		if len(dates) != 6 {
			t.Fatalf("dates %+v", dates)
		}
		// The third date in the small room, the fifth in the yard.
		if err := w.a.EditOccurrence(ctx, w.office, dates[2].ID, activities.Change{PlaceID: &small.ID}); err != nil {
			t.Fatal(err)
		}
		if err := w.a.EditOccurrence(ctx, w.office, dates[4].ID, activities.Change{PlaceID: &yard.ID}); err != nil {
			t.Fatal(err)
		}
		before := w.snapshot(t)
		for name, from := range map[string]int64{"whole series": 0, "this and following": dates[1].ID, "from the small room's date": dates[2].ID} {
			_, err := w.a.EditSeries(ctx, w.office, id, from, activities.Change{Capacity: ptr(20)})
			e := apperr.From(err)
			f := e.Fields["capacity"]
			if e.Code != apperr.Invalid || f.Key != "activity.capacity.date_place" || f.Args["place"] != "小会议室" || f.Args["max"] != 12 ||
				f.Args["date"] != dates[2].Start.Format("2006-01-02") {
				t.Errorf("%s to 20: %v %+v", name, err, e.Fields)
			}
		}
		if got := w.snapshot(t); got != before {
			t.Errorf("refused edits changed dates:\n%s\nwas\n%s", got, before)
		}
		// Within the small room, or after its date: allowed. The yard
		// has no limit; the room's 30 still holds for the series.
		if _, err := w.a.EditSeries(ctx, w.office, id, 0, activities.Change{Capacity: ptr(12)}); err != nil {
			t.Errorf("series to 12: %v", err)
		}
		next, err := w.a.EditSeries(ctx, w.office, id, dates[3].ID, activities.Change{Capacity: ptr(30)})
		if err != nil {
			t.Fatalf("this and following after the small room's date, to 30: %v", err)
		}
		if _, err := w.a.EditSeries(ctx, w.office, next, 0, activities.Change{Capacity: ptr(31)}); fieldKey(err, "capacity") != "activity.capacity.place" {
			t.Errorf("above the series' own room: %v", err)
		}
		var capacities []int
		rows, err := d.Query(ctx, `SELECT capacity FROM occurrences ORDER BY original_start`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var n int
			rows.Scan(&n)
			capacities = append(capacities, n)
		}
		rows.Close()
		if fmt.Sprint(capacities) != "[12 12 12 30 30 30]" {
			t.Errorf("capacities %v", capacities)
		}
		// Skipped, the small room's date no longer holds the series back.
		if err := w.a.SkipDate(ctx, w.office, dates[2].ID); err != nil {
			t.Fatal(err)
		}
		if _, err := w.a.EditSeries(ctx, w.office, id, 0, activities.Change{Capacity: ptr(20)}); err != nil {
			t.Errorf("series to 20 with the small room's date skipped: %v", err)
		}
	})
}
