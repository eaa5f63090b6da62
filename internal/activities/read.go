package activities

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
)

// Reads for the pages: one date's details, a person's (and their
// children's) dates. The community's places are in places.go.

// Detail is one occurrence with everything a recruitment notice says.
type Detail struct {
	Occurrence
	CommunityID   int64    `json:"community_id"`
	Description   string   `json:"description"`
	Kind          string   `json:"kind"`
	Category      string   `json:"category"`
	Tasks         string   `json:"tasks"`
	Risks         string   `json:"risks"`
	Protection    string   `json:"protection"`
	Insurance     string   `json:"insurance"`
	MinAge        *int     `json:"min_age"`
	MaxAge        *int     `json:"max_age"`
	Accompany     bool     `json:"accompany"`
	WalkIns       bool     `json:"walk_ins"`
	OpenTo        string   `json:"open_to"`
	DeadlineHours int      `json:"deadline_hours"`
	Visibility    string   `json:"visibility"`
	RRule         string   `json:"rrule"`
	Organisations []string `json:"organisations"`
	TeamID        int64    `json:"team_id"`
}

// Deadline is when sign-up closes (the start when there is no deadline).
func (d *Detail) Deadline() time.Time {
	return d.Start.Add(-time.Duration(d.DeadlineHours) * time.Hour)
}

// Detail reads occurrence id for anyone signed in to its community.
func (s *Service) Detail(ctx context.Context, actor *accounts.Principal, id int64) (*Detail, error) {
	o, err := s.occurrence(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	acc, err := s.vol.AccessOf(ctx, actor, o.cid)
	if err != nil {
		return nil, err
	}
	if !acc.Member {
		return nil, apperr.NotFoundErr()
	}
	d := Detail{CommunityID: o.cid}
	var minAge, maxAge sql.NullInt64
	var tname string
	err = s.db.QueryRow(ctx, `SELECT o.id, o.activity_id, a.title, o.starts_at, o.ends_at, COALESCE(p.name, ''), COALESCE(t.id, 0), COALESCE(t.name, ''),
		o.capacity, o.signed, (SELECT count(*) FROM signups s WHERE s.occurrence_id = o.id AND s.status = 'waitlisted'), o.cancelled,
		a.description, a.kind, a.category, a.tasks, a.risks, a.protection, a.insurance, a.min_age, a.max_age, a.accompany, a.walk_ins,
		a.open_to, a.deadline_hours, a.visibility, a.rrule
		FROM occurrences o JOIN activities a ON a.id = o.activity_id LEFT JOIN places p ON p.id = a.place_id LEFT JOIN teams t ON t.id = a.team_id
		WHERE o.id = ?`, id).Scan(&d.ID, &d.ActivityID, &d.Title, &d.Start, &d.End, &d.Place, &d.TeamID, &tname,
		&d.Capacity, &d.Signed, &d.Waiting, &d.Cancelled,
		&d.Description, &d.Kind, &d.Category, &d.Tasks, &d.Risks, &d.Protection, &d.Insurance, &minAge, &maxAge, &d.Accompany, &d.WalkIns,
		&d.OpenTo, &d.DeadlineHours, &d.Visibility, &d.RRule)
	if err != nil {
		return nil, fmt.Errorf("activities: detail: %w", err)
	}
	d.Start, d.End = d.Start.In(shanghai()), d.End.In(shanghai())
	d.MinAge, d.MaxAge = nullInt(minAge), nullInt(maxAge)
	d.Teams = []TeamLink{}
	if d.TeamID != 0 {
		d.Teams = append(d.Teams, TeamLink{ID: d.TeamID, Name: tname})
	}
	rows, err := s.db.Query(ctx, `SELECT g.name FROM activity_organisations ao JOIN organisations g ON g.id = ao.organisation_id
		WHERE ao.activity_id = ? ORDER BY g.name`, d.ActivityID)
	if err != nil {
		return nil, fmt.Errorf("activities: co-organisers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		d.Organisations = append(d.Organisations, name)
	}
	return &d, rows.Err()
}

// MyDate is one of the actor's (or their child's) live sign-ups, with
// the attendance when there is one.
type MyDate struct {
	Occurrence
	VolunteerID int64      `json:"volunteer_id"`
	Status      string     `json:"status"`
	Position    int        `json:"position,omitempty"` // on the waitlist, 1 first
	CheckedIn   *time.Time `json:"checked_in_at,omitempty"`
	CheckedOut  *time.Time `json:"checked_out_at,omitempty"`
}

// MyDates lists the live sign-ups of the actor and the children they are
// guardian of in community cid, optionally of one occurrence, by date.
func (s *Service) MyDates(ctx context.Context, actor *accounts.Principal, cid, occurrence int64) ([]MyDate, error) {
	acc, err := s.vol.AccessOf(ctx, actor, cid)
	if err != nil {
		return nil, err
	}
	if !acc.Member {
		return nil, apperr.NotFoundErr()
	}
	out := []MyDate{}
	if len(acc.Own) == 0 {
		return out, nil
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(acc.Own)), ", ")
	q := `SELECT o.id, o.activity_id, a.title, o.starts_at, o.ends_at, COALESCE(p.name, ''), COALESCE(t.id, 0), COALESCE(t.name, ''), o.capacity, o.signed, o.cancelled,
		s.volunteer_id, s.status,
		(SELECT count(*) FROM signups w WHERE w.occurrence_id = o.id AND w.status = 'waitlisted' AND w.position <= s.position),
		c.checked_in_at, c.checked_out_at
		FROM signups s JOIN occurrences o ON o.id = s.occurrence_id JOIN activities a ON a.id = o.activity_id
		LEFT JOIN places p ON p.id = a.place_id LEFT JOIN teams t ON t.id = a.team_id
		LEFT JOIN checkins c ON c.occurrence_id = s.occurrence_id AND c.volunteer_id = s.volunteer_id
		WHERE s.community_id = ? AND s.status <> 'cancelled' AND s.volunteer_id IN (` + marks + `)`
	args := []any{cid}
	for _, v := range acc.Own {
		args = append(args, v)
	}
	if occurrence != 0 {
		q += ` AND s.occurrence_id = ?`
		args = append(args, occurrence)
	}
	rows, err := s.db.Query(ctx, q+` ORDER BY o.starts_at, o.id, s.volunteer_id LIMIT 1000`, args...)
	if err != nil {
		return nil, fmt.Errorf("activities: my dates: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var m MyDate
		var tid int64
		var tname string
		var in, outAt sql.NullTime
		if err := rows.Scan(&m.ID, &m.ActivityID, &m.Title, &m.Start, &m.End, &m.Place, &tid, &tname, &m.Capacity, &m.Signed, &m.Cancelled,
			&m.VolunteerID, &m.Status, &m.Position, &in, &outAt); err != nil {
			return nil, err
		}
		m.Start, m.End = m.Start.In(shanghai()), m.End.In(shanghai())
		m.Teams = []TeamLink{}
		if tid != 0 {
			m.Teams = append(m.Teams, TeamLink{ID: tid, Name: tname})
		}
		if m.Status != Waitlisted {
			m.Position = 0
		}
		if in.Valid {
			t := in.Time.In(shanghai())
			m.CheckedIn = &t
		}
		if outAt.Valid {
			t := outAt.Time.In(shanghai())
			m.CheckedOut = &t
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// CodeValid reports whether code is occurrence id's check-in code now or
// a minute ago: the check-in page says so before the confirm button, and
// CheckIn checks again.
func (s *Service) CodeValid(id int64, code string) bool {
	code = strings.ToUpper(strings.TrimSpace(code))
	slot := slotOf(s.clock.Now())
	return code != "" && (code == s.code(id, slot) || code == s.code(id, slot-1))
}
