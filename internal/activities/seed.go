package activities

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/linli/linli/internal/db"
)

// Seeded is a series written by CreateTx, with its occurrences.
type Seeded struct {
	ID          int64
	Occurrences []SeededOccurrence
}

// SeededOccurrence is one date of a seeded series.
type SeededOccurrence struct {
	ID         int64
	Start, End time.Time
}

// CreateTx writes a series and its occurrences as Create does — the same
// rows, the same expansion of the rule up to HorizonMonths after now —
// on the caller's transaction and without Create's checks of the actor
// and the input. It is for the demo seed, whose series are written by
// the program, not typed in; the input must be one Create would accept.
func CreateTx(ctx context.Context, tx *db.Tx, cid int64, in Input, by int64, now time.Time) (*Seeded, error) {
	start, ok1 := parseTime(in.Start)
	end, ok2 := parseTime(in.End)
	if !ok1 || !ok2 || !end.After(start) {
		return nil, fmt.Errorf("activities: seed %q: bad times %q-%q", in.Title, in.Start, in.End)
	}
	rule := strings.TrimPrefix(strings.TrimSpace(in.RRule), "RRULE:")
	starts, err := expand(start, rule, now)
	if err != nil {
		return nil, fmt.Errorf("activities: seed %q: %w", in.Title, err)
	}
	minutes := int(end.Sub(start) / time.Minute)
	if in.OpenTo == "" {
		in.OpenTo = "volunteers"
	}
	if in.Visibility == "" {
		in.Visibility = "members"
	}
	out := &Seeded{}
	err = tx.QueryRow(ctx, `INSERT INTO activities (community_id, title, description, kind, team_id, place_id, category, tasks, risks, protection,
		insurance, min_age, max_age, accompany, walk_ins, open_to, capacity, deadline_hours, visibility, dtstart, minutes, rrule, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		cid, in.Title, in.Description, in.Kind, nullID(in.TeamID), nullID(in.PlaceID), in.Category, in.Tasks, in.Risks, in.Protection,
		in.Insurance, intOrNil(in.MinAge), intOrNil(in.MaxAge), in.Accompany, in.WalkIns, in.OpenTo, in.Capacity, in.DeadlineHours, in.Visibility,
		start.UTC(), minutes, rule, nullID(by), now.UTC()).Scan(&out.ID)
	if err != nil {
		return nil, fmt.Errorf("activities: seed %q: %w", in.Title, err)
	}
	for _, o := range in.Organisations {
		if _, err := tx.Exec(ctx, `INSERT INTO activity_organisations (activity_id, organisation_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, out.ID, o); err != nil {
			return nil, fmt.Errorf("activities: seed co-organiser: %w", err)
		}
	}
	for _, t := range starts {
		o := SeededOccurrence{Start: t, End: t.Add(time.Duration(minutes) * time.Minute)}
		if err := tx.QueryRow(ctx, `INSERT INTO occurrences (community_id, activity_id, original_start, starts_at, ends_at, capacity) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
			cid, out.ID, t.UTC(), t.UTC(), o.End.UTC(), in.Capacity).Scan(&o.ID); err != nil {
			return nil, fmt.Errorf("activities: seed occurrence: %w", err)
		}
		out.Occurrences = append(out.Occurrences, o)
	}
	return out, nil
}
