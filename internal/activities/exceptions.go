package activities

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
)

// Series is an activity with its rule and the dates that differ from it:
// what a calendar needs to show the series as RRULE, EXDATE and
// RECURRENCE-ID overrides.
type Series struct {
	ID          int64  `json:"id"`
	CommunityID int64  `json:"community_id"`
	PreviousID  int64  `json:"previous_id,omitempty"` // the series this one continues ("this and following")
	Title       string `json:"title"`
	Description string `json:"description"`
	TeamID      int64  `json:"team_id,omitempty"`
	PlaceID     int64  `json:"place_id,omitempty"`
	Place       string `json:"place,omitempty"`
	Capacity    int    `json:"capacity"`
	Visibility  string `json:"visibility"`
	// Start and End are the first date's (DTSTART, DTEND) in Shanghai.
	Start      time.Time  `json:"start"`
	End        time.Time  `json:"end"`
	RRule      string     `json:"rrule"` // without "RRULE:"; empty for a one-off
	Exceptions Exceptions `json:"exceptions"`
}

// Exceptions are the dates of a series that are not as its rule says.
type Exceptions struct {
	// Skipped are the rule's starts of cancelled dates (EXDATE).
	Skipped []time.Time `json:"skipped"`
	// Moved are dates with their own times, title or place
	// (RECURRENCE-ID = OriginalStart).
	Moved []Moved `json:"moved"`
}

// Moved is one date that differs from its series.
type Moved struct {
	OccurrenceID  int64     `json:"occurrence_id"`
	OriginalStart time.Time `json:"original_start"`
	Start         time.Time `json:"start"`
	End           time.Time `json:"end"`
	Title         string    `json:"title"` // the date's, or the series'
	Place         string    `json:"place,omitempty"`
}

// FeedFilter chooses the series of a feed: zero values choose all of the
// community's.
type FeedFilter struct {
	TeamID      int64 // the team's series
	VolunteerID int64 // series with a date this volunteer is signed up or waiting for
	PublicOnly  bool  // only series with visibility "public"
}

const seriesCols = `a.id, a.community_id, COALESCE(a.previous_id, 0), a.title, a.description, COALESCE(a.team_id, 0), COALESCE(a.place_id, 0),
	COALESCE(p.name, ''), a.capacity, a.visibility, a.dtstart, a.minutes, a.rrule`

func scanSeries(row interface{ Scan(...any) error }) (Series, error) {
	var x Series
	var minutes int
	if err := row.Scan(&x.ID, &x.CommunityID, &x.PreviousID, &x.Title, &x.Description, &x.TeamID, &x.PlaceID, &x.Place,
		&x.Capacity, &x.Visibility, &x.Start, &minutes, &x.RRule); err != nil {
		return x, err
	}
	x.Start = x.Start.In(shanghai())
	x.End = x.Start.Add(time.Duration(minutes) * time.Minute)
	return x, nil
}

// Series returns one series with its rule and exceptions, for anyone
// signed in to its community.
func (s *Service) Series(ctx context.Context, actor *accounts.Principal, id int64) (*Series, error) {
	x, err := scanSeries(s.db.QueryRow(ctx, `SELECT `+seriesCols+` FROM activities a LEFT JOIN places p ON p.id = a.place_id WHERE a.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFoundErr()
	}
	if err != nil {
		return nil, fmt.Errorf("activities: series: %w", err)
	}
	acc, err := s.vol.AccessOf(ctx, actor, x.CommunityID)
	if err != nil {
		return nil, err
	}
	if !acc.Member {
		return nil, apperr.NotFoundErr()
	}
	if x.Exceptions, err = s.Exceptions(ctx, id); err != nil {
		return nil, err
	}
	return &x, nil
}

// SeriesForFeed returns a community's series with their rules and
// exceptions, for a calendar feed whose token the caller has checked
// already (there is no actor here). Ordered by id.
func (s *Service) SeriesForFeed(ctx context.Context, cid int64, f FeedFilter) ([]Series, error) {
	q := `SELECT ` + seriesCols + ` FROM activities a LEFT JOIN places p ON p.id = a.place_id WHERE a.community_id = ?`
	args := []any{cid}
	if f.TeamID != 0 {
		q += ` AND a.team_id = ?`
		args = append(args, f.TeamID)
	}
	if f.PublicOnly {
		q += ` AND a.visibility = 'public'`
	}
	if f.VolunteerID != 0 {
		q += ` AND EXISTS (SELECT 1 FROM occurrences o JOIN signups g ON g.occurrence_id = o.id
			WHERE o.activity_id = a.id AND g.volunteer_id = ? AND g.status IN ('signed', 'waitlisted'))`
		args = append(args, f.VolunteerID)
	}
	rows, err := s.db.Query(ctx, q+` ORDER BY a.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("activities: feed series: %w", err)
	}
	var out []Series
	for rows.Next() {
		x, err := scanSeries(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("activities: feed series: %w", err)
		}
		out = append(out, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Exceptions, err = s.Exceptions(ctx, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Exceptions returns the dates of series activityID that differ from its
// rule: skipped (cancelled) dates by their rule start, and dates with
// their own times, title or place. A date that was skipped is only in
// Skipped. No permission check: callers check first.
func (s *Service) Exceptions(ctx context.Context, activityID int64) (Exceptions, error) {
	ex := Exceptions{Skipped: []time.Time{}, Moved: []Moved{}}
	rows, err := s.db.Query(ctx, `SELECT o.id, o.original_start, o.starts_at, o.ends_at, o.cancelled, a.minutes, o.title IS NOT NULL, o.place_id IS NOT NULL,
		COALESCE(o.title, a.title), COALESCE(p.name, '')
		FROM occurrences o JOIN activities a ON a.id = o.activity_id LEFT JOIN places p ON p.id = COALESCE(o.place_id, a.place_id)
		WHERE o.activity_id = ? ORDER BY o.original_start`, activityID)
	if err != nil {
		return ex, fmt.Errorf("activities: exceptions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var m Moved
		var cancelled, ownTitle, ownPlace bool
		var minutes int
		if err := rows.Scan(&m.OccurrenceID, &m.OriginalStart, &m.Start, &m.End, &cancelled, &minutes, &ownTitle, &ownPlace, &m.Title, &m.Place); err != nil {
			return ex, fmt.Errorf("activities: exceptions: %w", err)
		}
		m.OriginalStart, m.Start, m.End = m.OriginalStart.In(shanghai()), m.Start.In(shanghai()), m.End.In(shanghai())
		switch {
		case cancelled:
			ex.Skipped = append(ex.Skipped, m.OriginalStart)
		case !m.Start.Equal(m.OriginalStart) || m.End.Sub(m.Start) != time.Duration(minutes)*time.Minute || ownTitle || ownPlace:
			ex.Moved = append(ex.Moved, m)
		}
	}
	return ex, rows.Err()
}
