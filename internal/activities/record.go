package activities

import (
	"context"
	"fmt"
	"time"
)

// A person's record, shown to the organiser beside their name on a
// roster so that repeated no-shows are visible to the leader.

// RecordWindow is how far back a record looks.
const RecordWindow = 12 // months

// Record is one person's last twelve months in a community, not counting
// the date whose roster shows it (its own state is on the roster).
// Skipped dates count for nothing.
type Record struct {
	// NoShows: dates signed up for (not waitlisted, not cancelled) that
	// have ended without a check-in.
	NoShows int `json:"no_shows"`
	// LateCancels: sign-ups cancelled after the sign-up deadline.
	LateCancels int `json:"late_cancels"`
	// Attended: dates checked in to, walk-ins included.
	Attended int `json:"attended"`
}

// NoShowFlag is how many no-shows in the window the roster flags: one
// can be bad luck, two is a pattern the leader should know about.
const NoShowFlag = 2

// RepeatedNoShows reports whether the roster flags the record.
func (r Record) RepeatedNoShows() bool { return r.NoShows >= NoShowFlag }

// RosterEntry is a sign-up on a roster with its person's record.
type RosterEntry struct {
	Signup
	Record
}

// recordSQL counts the record of everyone on occurrence ? (the roster,
// r) in one query however long the roster: from each roster person's
// sign-ups in the window (by signups_volunteer) a no-show or a late
// cancellation, from their check-ins (by checkins_volunteer) the dates
// attended.
const recordSQL = `WITH r AS (SELECT DISTINCT volunteer_id FROM signups WHERE occurrence_id = ?)
SELECT x.volunteer_id, SUM(x.no_show), SUM(x.late), SUM(x.came) FROM (
	SELECT s.volunteer_id,
		CASE WHEN s.status = 'signed' AND o.ends_at <= ? AND c.volunteer_id IS NULL THEN 1 ELSE 0 END AS no_show,
		CASE WHEN s.status = 'cancelled' AND s.late_cancel THEN 1 ELSE 0 END AS late,
		0 AS came
	FROM r JOIN signups s ON s.volunteer_id = r.volunteer_id JOIN occurrences o ON o.id = s.occurrence_id
	LEFT JOIN checkins c ON c.occurrence_id = s.occurrence_id AND c.volunteer_id = s.volunteer_id
	WHERE s.community_id = ? AND o.starts_at >= ? AND NOT o.cancelled AND o.id <> ?
	UNION ALL
	SELECT c.volunteer_id, 0, 0, 1
	FROM r JOIN checkins c ON c.volunteer_id = r.volunteer_id JOIN occurrences o ON o.id = c.occurrence_id
	WHERE c.community_id = ? AND o.starts_at >= ? AND NOT o.cancelled AND o.id <> ?
) x GROUP BY x.volunteer_id`

// records reads the record of everyone on occurrence id's roster, by
// volunteer; those with nothing in the window are absent.
func (s *Service) records(ctx context.Context, cid, id int64, now time.Time) (map[int64]Record, error) {
	since := now.AddDate(0, -RecordWindow, 0).UTC()
	rows, err := s.db.Query(ctx, recordSQL, id, now.UTC(), cid, since, id, cid, since, id)
	if err != nil {
		return nil, fmt.Errorf("activities: roster records: %w", err)
	}
	defer rows.Close()
	out := map[int64]Record{}
	for rows.Next() {
		var vid int64
		var r Record
		if err := rows.Scan(&vid, &r.NoShows, &r.LateCancels, &r.Attended); err != nil {
			return nil, fmt.Errorf("activities: roster records: %w", err)
		}
		out[vid] = r
	}
	return out, rows.Err()
}
