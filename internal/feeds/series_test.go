package feeds

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/linli/linli/internal/clock"
)

func at(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, clock.Shanghai)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// weekly is a Tuesday class at 19:00 for 90 minutes, with a row for each
// of four weeks from 2026-12-01.
func weekly(t *testing.T) *series {
	a := &series{id: 9, title: "智能手机课", dtstart: at(t, "2026-12-01 19:00"), minutes: 90, rule: "FREQ=WEEKLY;BYDAY=TU"}
	for i := range 4 {
		d := at(t, "2026-12-01 19:00").AddDate(0, 0, 7*i)
		a.occurrences = append(a.occurrences, occurrence{id: int64(100 + i), original: d, start: d, end: d.Add(90 * time.Minute)})
	}
	return a
}

var m = meta{host: "linli.example", base: "https://linli.example", stamp: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}

func TestSeriesAsItIs(t *testing.T) {
	evs := m.events(weekly(t))
	if len(evs) != 1 {
		t.Fatalf("%d events, want the master alone: %+v", len(evs), evs)
	}
	e := evs[0]
	if e.UID != "activity-9@linli.example" || e.RRule != "FREQ=WEEKLY;BYDAY=TU" || !e.Start.Equal(at(t, "2026-12-01 19:00")) ||
		!e.End.Equal(at(t, "2026-12-01 20:30")) || len(e.ExDates) != 0 || e.URL != "https://linli.example/activities" {
		t.Errorf("master: %+v", e)
	}
}

// Whichever way the rows came to differ from the rule, the feed says so.
func TestSeriesExceptions(t *testing.T) {
	a := weekly(t)
	a.occurrences[0].cancelled = true                  // the first date skipped
	a.occurrences = slices.Delete(a.occurrences, 1, 2) // the second's row deleted
	a.occurrences[1].start = at(t, "2026-12-16 19:00") // the third moved a day on
	a.occurrences[1].end = at(t, "2026-12-16 20:30")
	a.occurrences[2].end = a.occurrences[2].end.Add(30 * time.Minute) // the fourth made longer
	stray := at(t, "2026-12-31 10:00")                                // and a row the rule does not give
	a.occurrences = append(a.occurrences, occurrence{id: 200, original: stray, start: stray, end: stray.Add(time.Hour)})
	evs := m.events(a)
	if len(evs) != 4 {
		t.Fatalf("%d events, want master, two overrides and the stray: %+v", len(evs), evs)
	}
	master := evs[0]
	// The rows reach 12-31 now, so the rule's 12-29, which has none, is
	// a date that does not happen either.
	if !slices.EqualFunc(master.ExDates, []time.Time{at(t, "2026-12-01 19:00"), at(t, "2026-12-08 19:00"), at(t, "2026-12-29 19:00")}, time.Time.Equal) {
		t.Errorf("EXDATEs %v", master.ExDates)
	}
	if !master.Start.Equal(at(t, "2026-12-01 19:00")) {
		t.Errorf("the master starts at %v: a skipped first date stays its DTSTART, excluded", master.Start)
	}
	moved, longer, single := evs[1], evs[2], evs[3]
	if moved.UID != master.UID || !moved.RecurrenceID.Equal(at(t, "2026-12-15 19:00")) || !moved.Start.Equal(at(t, "2026-12-16 19:00")) || moved.RRule != "" {
		t.Errorf("moved: %+v", moved)
	}
	if !longer.RecurrenceID.Equal(at(t, "2026-12-22 19:00")) || !longer.End.Equal(at(t, "2026-12-22 21:00")) {
		t.Errorf("longer: %+v", longer)
	}
	if !strings.HasPrefix(moved.URL, "https://linli.example/activities/") || moved.URL == "https://linli.example/activities/9" {
		t.Errorf("a moved date links to its own page: %s", moved.URL)
	}
	if single.UID != "occurrence-200@linli.example" || !single.Start.Equal(stray) || !single.RecurrenceID.IsZero() || single.RRule != "" ||
		single.URL != "https://linli.example/activities/200" {
		t.Errorf("stray: %+v", single)
	}
}

func TestSeriesFallsBackToSingles(t *testing.T) {
	for _, rule := range []string{"FREQ=NEVER", "FREQ=WEEKLY;UNTIL=soon", "FREQ=MINUTELY"} {
		a := weekly(t)
		a.rule = rule
		a.occurrences[2].cancelled = true
		evs := m.events(a)
		if len(evs) != 3 {
			t.Errorf("rule %q: %d events, want one per date that happens", rule, len(evs))
			continue
		}
		for i, e := range evs {
			if e.RRule != "" || e.UID != []string{"occurrence-100@linli.example", "occurrence-101@linli.example", "occurrence-103@linli.example"}[i] {
				t.Errorf("rule %q: %+v", rule, e)
			}
		}
	}
}

func TestOneOff(t *testing.T) {
	d := at(t, "2026-12-20 08:00")
	a := &series{id: 3, title: "扫雪", dtstart: d, minutes: 120, occurrences: []occurrence{{id: 7, original: d, start: d, end: d.Add(2 * time.Hour)}}}
	evs := m.events(a)
	if len(evs) != 1 || evs[0].UID != "activity-3@linli.example" || evs[0].RRule != "" || !evs[0].End.Equal(d.Add(2*time.Hour)) {
		t.Fatalf("one-off: %+v", evs)
	}
	a.occurrences[0].cancelled = true
	if evs := m.events(a); len(evs) != 0 {
		t.Fatalf("a cancelled one-off: %+v", evs)
	}
}

// A date edited "this one" to another place or title, at its usual time,
// is an override carrying its own place and title; the other dates keep
// the series'.
func TestSeriesDateWithItsOwnPlace(t *testing.T) {
	a := weekly(t)
	a.place = "社区活动室"
	a.occurrences[2].place = "建胜路小学"
	a.occurrences[3].title = a.title // the same title is no change
	evs := m.events(a)
	if len(evs) != 2 {
		t.Fatalf("%d events, want the master and one override: %+v", len(evs), evs)
	}
	master, ov := evs[0], evs[1]
	if master.Location != "社区活动室" || len(master.ExDates) != 0 {
		t.Errorf("master: %+v", master)
	}
	if ov.Location != "建胜路小学" || ov.Summary != a.title || !ov.RecurrenceID.Equal(a.occurrences[2].original) || !ov.Start.Equal(a.occurrences[2].start) {
		t.Errorf("override: %+v", ov)
	}
	if a.place != "社区活动室" {
		t.Error("the series was changed")
	}
}
