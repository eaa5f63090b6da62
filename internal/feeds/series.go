package feeds

import (
	"fmt"
	"slices"
	"time"

	"github.com/teambition/rrule-go"

	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/ical"
)

// series is an activity as a feed needs it.
type series struct {
	id                        int64
	title, description, place string
	dtstart                   time.Time
	minutes                   int
	rule                      string
	occurrences               []occurrence // by original start
}

// occurrence is one row of the occurrences table: the date the rule gave
// (original), when it happens (start, end) and whether it was skipped.
type occurrence struct {
	id                   int64
	original, start, end time.Time
	cancelled            bool
	title, place         string // this date's own, when it has its own ("" : the series')
}

// own is a's event data as date o has it: a date edited "this one" may
// have its own title and place.
func (o occurrence) own(a *series) *series {
	if (o.title == "" || o.title == a.title) && (o.place == "" || o.place == a.place) {
		return a
	}
	c := *a
	if o.title != "" {
		c.title = o.title
	}
	if o.place != "" {
		c.place = o.place
	}
	return &c
}

// maxExpand bounds the rule's expansion when comparing it with the rows:
// far beyond what a series may have (activities.MaxOccurrences within a
// year), so only a broken rule reaches it.
const maxExpand = 5000

// meta is what every event of one feed shares.
type meta struct {
	host, base string
	stamp      time.Time
}

// event links to the page of date occ, or to the community's calendar
// for a series as a whole (the pages are by date, and a calendar shows
// the series' link on every date of it).
func (m meta) event(uid string, a *series, occ int64) ical.Event {
	link := m.base + "/activities"
	if occ > 0 {
		link = fmt.Sprintf("%s/activities/%d", m.base, occ)
	}
	return ical.Event{UID: uid + "@" + m.host, Stamp: m.stamp, Summary: a.title, Location: a.place, Description: a.description, URL: link}
}

// events expresses an activity for a phone: a one-off as one event; a
// series as one event with its RRULE, an EXDATE for each date of the rule
// that does not happen, and an override (same UID, RECURRENCE-ID of the
// date it replaces) for each date that happens at another time.
//
// The rows are the truth, not the rule: the rule is expanded up to the
// last row and compared date by date, so a date skipped (cancelled, or
// its row deleted) or moved is expressed however it was made, and a row
// the rule does not give (a rule edited after the fact) becomes an event
// of its own. After the last row the rule speaks for the series, as it
// runs on. A rule that cannot be expanded falls back to one event per
// row, which any calendar shows correctly.
func (m meta) events(a *series) []ical.Event {
	if a.rule == "" {
		return m.singles(a, a.occurrences)
	}
	length := time.Duration(a.minutes) * time.Minute
	dates, ok := expandUpTo(a)
	rule, err := ical.NormalizeRule(a.rule)
	if !ok || err != nil || len(dates) == 0 {
		return m.singles(a, a.occurrences)
	}
	byOriginal := make(map[int64]occurrence, len(a.occurrences))
	for _, o := range a.occurrences {
		byOriginal[o.original.Unix()] = o
	}
	master := m.event(fmt.Sprintf("activity-%d", a.id), a, 0)
	master.Start, master.End, master.RRule = dates[0], dates[0].Add(length), rule
	var overrides []ical.Event
	given := make(map[int64]bool, len(dates))
	for _, d := range dates {
		given[d.Unix()] = true
		o, ok := byOriginal[d.Unix()]
		switch {
		case !ok || o.cancelled:
			master.ExDates = append(master.ExDates, d)
		case !o.start.Equal(d) || !o.end.Equal(d.Add(length)) || o.own(a) != a:
			ov := m.event(fmt.Sprintf("activity-%d", a.id), o.own(a), o.id)
			ov.RecurrenceID, ov.Start, ov.End = d, o.start, o.end
			overrides = append(overrides, ov)
		}
	}
	var strays []occurrence
	for _, o := range a.occurrences {
		if !given[o.original.Unix()] {
			strays = append(strays, o)
		}
	}
	return slices.Concat([]ical.Event{master}, overrides, m.singles(a, strays))
}

// singles is one event per row that happens. A one-off keeps the
// activity's UID; a row of a series is named by its own id.
func (m meta) singles(a *series, os []occurrence) []ical.Event {
	var out []ical.Event
	for _, o := range os {
		if o.cancelled || !o.end.After(o.start) {
			continue
		}
		uid := fmt.Sprintf("occurrence-%d", o.id)
		if a.rule == "" && len(a.occurrences) == 1 {
			uid = fmt.Sprintf("activity-%d", a.id)
		}
		e := m.event(uid, o.own(a), o.id)
		e.Start, e.End = o.start, o.end
		out = append(out, e)
	}
	return out
}

// expandUpTo returns the rule's dates from the series' start up to its
// last row (by original start), read in Asia/Shanghai as the activities
// package made them; ok is false when the rule cannot be read.
func expandUpTo(a *series) ([]time.Time, bool) {
	if len(a.occurrences) == 0 {
		return nil, true
	}
	last := a.occurrences[0].original
	for _, o := range a.occurrences {
		if o.original.After(last) {
			last = o.original
		}
	}
	opt, err := rrule.StrToROptionInLocation(a.rule, clock.Shanghai)
	if err != nil {
		return nil, false
	}
	opt.Dtstart = a.dtstart.In(clock.Shanghai)
	r, err := rrule.NewRRule(*opt)
	if err != nil {
		return nil, false
	}
	var out []time.Time
	it := r.Iterator()
	for {
		t, ok := it()
		if !ok || t.After(last) {
			return out, true
		}
		if out = append(out, t); len(out) > maxExpand {
			return nil, false
		}
	}
}
