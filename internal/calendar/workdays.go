package calendar

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/linli/linli/internal/clock"
)

// These answer questions about dates, not about people, so they take no
// actor: other services call them to compute deadlines.

// date returns midnight in Shanghai of the Shanghai date of t.
func date(t time.Time) time.Time {
	y, m, d := t.In(clock.Shanghai).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, clock.Shanghai)
}

// exceptions loads the days set in [from, to) of a community.
func (s *Service) exceptions(ctx context.Context, communityID int64, from, to time.Time) (map[string]Kind, error) {
	rows, err := s.db.Query(ctx, `SELECT `+dayColumn(s.db)+`, kind FROM calendar_days
		WHERE community_id = ? AND day >= ? AND day < ?`,
		communityID, from.Format(DateLayout), to.Format(DateLayout))
	if err != nil {
		return nil, fmt.Errorf("calendar: load days: %w", err)
	}
	defer rows.Close()
	out := map[string]Kind{}
	for rows.Next() {
		var day string
		var k Kind
		if err := rows.Scan(&day, &k); err != nil {
			return nil, fmt.Errorf("calendar: scan day: %w", err)
		}
		out[day] = k
	}
	return out, rows.Err()
}

func working(d time.Time, set map[string]Kind) bool {
	switch set[d.Format(DateLayout)] {
	case Holiday:
		return false
	case Workday:
		return true
	}
	wd := d.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// IsWorkday reports whether the Shanghai date of t is a working day in the
// community.
func (s *Service) IsWorkday(ctx context.Context, communityID int64, t time.Time) (bool, error) {
	d := date(t)
	set, err := s.exceptions(ctx, communityID, d, d.AddDate(0, 0, 1))
	if err != nil {
		return false, err
	}
	return working(d, set), nil
}

// AddWorkingDays returns the moment n working days after from: the n-th
// working day after from's Shanghai date, at from's Shanghai wall-clock
// time, in UTC. The day of from itself is not counted, whether or not it
// is a working day, so a request made on Saturday with 1 working day is due
// on Monday (or the next working day). n = 0 returns from.
func (s *Service) AddWorkingDays(ctx context.Context, communityID int64, from time.Time, n int) (time.Time, error) {
	if n < 0 {
		return time.Time{}, errors.New("calendar: AddWorkingDays with a negative count")
	}
	if n == 0 {
		return from.UTC(), nil
	}
	local := from.In(clock.Shanghai)
	d := date(from)
	// Load exceptions a window at a time: n working days rarely need more
	// than twice n calendar days, plus a long holiday.
	windowEnd := d
	var set map[string]Kind
	for counted := 0; counted < n; {
		d = d.AddDate(0, 0, 1)
		if !d.Before(windowEnd) {
			windowEnd = d.AddDate(0, 0, 2*(n-counted)+30)
			var err error
			if set, err = s.exceptions(ctx, communityID, d, windowEnd); err != nil {
				return time.Time{}, err
			}
		}
		if working(d, set) {
			counted++
		}
	}
	y, m, day := d.Date()
	return time.Date(y, m, day, local.Hour(), local.Minute(), local.Second(), local.Nanosecond(), clock.Shanghai).UTC(), nil
}
