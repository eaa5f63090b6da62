package feeds

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/linli/linli/internal/i18n"
	"github.com/linli/linli/internal/ical"
)

// History is how far back a feed reaches: a year of past dates stays on
// the phone, older series drop out.
const History = 365 * 24 * time.Hour

// Calendar returns the feed of token as an iCalendar document, or
// NotFound when the token is not live or its owner may no longer have
// it. base is the absolute root of links (httpx.BaseURL); its host names
// the events' UIDs.
func (s *Service) Calendar(ctx context.Context, token, base string) ([]byte, error) {
	o, err := s.resolve(ctx, token)
	if err != nil {
		return nil, err
	}
	host := "linli"
	if u, err := url.Parse(base); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	now := s.clock.Now()
	m := meta{host: host, base: base, stamp: now}
	cutoff := now.Add(-History)
	var events []ical.Event
	switch o.scope.kind {
	case Community, Team:
		ss, err := s.series(ctx, o, cutoff)
		if err != nil {
			return nil, err
		}
		for i := range ss {
			events = append(events, m.events(&ss[i])...)
		}
	case Person:
		if events, err = s.personal(ctx, o, m, cutoff); err != nil {
			return nil, err
		}
	}
	c := ical.Calendar{ProdID: "-//Linli//Activities//ZH", Name: o.scope.name, Events: events}
	var b bytes.Buffer
	if err := c.Encode(&b); err != nil {
		return nil, fmt.Errorf("feeds: encode: %w", err)
	}
	return b.Bytes(), nil
}

// visible says whether the feed's owner may see an activity of this
// visibility: public ones anyone, members-only ones members of the
// community. An unknown visibility is not shown.
func (o *owner) visible(visibility string) bool {
	return visibility == "public" || visibility == "members" && o.acc.Member
}

// series loads the activities of a community or team feed that have a
// date after cutoff, with all their rows.
func (s *Service) series(ctx context.Context, o *owner, cutoff time.Time) ([]series, error) {
	filter, args := ``, []any{o.cid, o.cid, cutoff.UTC()}
	if o.scope.kind == Team {
		filter, args = ` AND a.team_id = ?`, append(args, o.scope.id)
	}
	rows, err := s.db.Query(ctx, `SELECT a.id, a.title, a.description, COALESCE(p.name, ''), a.dtstart, a.minutes, a.rrule, a.visibility
		FROM activities a LEFT JOIN places p ON p.id = a.place_id
		WHERE a.community_id = ? AND a.id IN (SELECT activity_id FROM occurrences WHERE community_id = ? AND ends_at >= ?)`+filter+`
		ORDER BY a.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("feeds: activities: %w", err)
	}
	var out []series
	index := map[int64]int{}
	for rows.Next() {
		var a series
		var visibility string
		if err := rows.Scan(&a.id, &a.title, &a.description, &a.place, &a.dtstart, &a.minutes, &a.rule, &visibility); err != nil {
			rows.Close()
			return nil, fmt.Errorf("feeds: activities: %w", err)
		}
		if o.visible(visibility) {
			index[a.id] = len(out)
			out = append(out, a)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("feeds: activities: %w", err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	rows, err = s.db.Query(ctx, `SELECT o.id, o.activity_id, o.original_start, o.starts_at, o.ends_at, o.cancelled, COALESCE(o.title, ''), COALESCE(op.name, '')
		FROM occurrences o JOIN activities a ON a.id = o.activity_id LEFT JOIN places op ON op.id = o.place_id
		WHERE o.community_id = ? AND a.id IN (SELECT activity_id FROM occurrences WHERE community_id = ? AND ends_at >= ?)`+filter+`
		ORDER BY o.activity_id, o.original_start`, args...)
	if err != nil {
		return nil, fmt.Errorf("feeds: occurrences: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var oc occurrence
		var aid int64
		if err := rows.Scan(&oc.id, &aid, &oc.original, &oc.start, &oc.end, &oc.cancelled, &oc.title, &oc.place); err != nil {
			return nil, fmt.Errorf("feeds: occurrences: %w", err)
		}
		if i, ok := index[aid]; ok {
			out[i].occurrences = append(out[i].occurrences, oc)
		}
	}
	return out, rows.Err()
}

// personal is the owner's own calendar: every date they (or a child of
// theirs) hold a place on or wait for, one event per date; a date on the
// waitlist says so in its title. Skipped dates are left out, moved ones
// are at their new time.
func (s *Service) personal(ctx context.Context, o *owner, m meta, cutoff time.Time) ([]ical.Event, error) {
	if len(o.acc.Own) == 0 {
		return nil, nil
	}
	args := []any{o.cid}
	for _, v := range o.acc.Own {
		args = append(args, v)
	}
	args = append(args, cutoff.UTC())
	rows, err := s.db.Query(ctx, `SELECT o.id, a.id, COALESCE(o.title, a.title), a.description, COALESCE(op.name, p.name, ''), o.starts_at, o.ends_at, s.status
		FROM signups s JOIN occurrences o ON o.id = s.occurrence_id JOIN activities a ON a.id = o.activity_id
		LEFT JOIN places p ON p.id = a.place_id LEFT JOIN places op ON op.id = o.place_id
		WHERE s.community_id = ? AND s.volunteer_id IN (`+marks(len(o.acc.Own))+`) AND s.status IN ('signed', 'waitlisted')
		AND NOT o.cancelled AND o.ends_at >= ?
		ORDER BY o.starts_at, o.id, s.status`, args...)
	if err != nil {
		return nil, fmt.Errorf("feeds: sign-ups: %w", err)
	}
	defer rows.Close()
	var out []ical.Event
	seen := map[int64]bool{}
	for rows.Next() {
		var a series
		var oc occurrence
		var status string
		if err := rows.Scan(&oc.id, &a.id, &a.title, &a.description, &a.place, &oc.start, &oc.end, &status); err != nil {
			return nil, fmt.Errorf("feeds: sign-ups: %w", err)
		}
		if status == "waitlisted" {
			a.title += " (" + i18n.T(o.p.Locale, "feed.waitlisted", nil) + ")"
		}
		if seen[oc.id] {
			// A parent and child on one date: one event, and "signed"
			// (sorted first) wins over the waitlist.
			continue
		}
		if !oc.end.After(oc.start) {
			continue
		}
		e := m.event(fmt.Sprintf("occurrence-%d", oc.id), &a, oc.id)
		e.Start, e.End = oc.start, oc.end
		seen[oc.id] = true
		out = append(out, e)
	}
	return out, rows.Err()
}
