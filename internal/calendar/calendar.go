// Package calendar is the working-day calendar of a community: Monday to
// Friday are working days, except the public holidays an admin marks, plus
// the weekend days the State Council turns into make-up workdays (调休).
// Deadlines counted in working days ("reply within 3 working days") use
// AddWorkingDays. Dates are calendar dates in Asia/Shanghai.
package calendar

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/audit"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/policy"
)

// Kind says what an exceptional day is.
type Kind string

const (
	Holiday Kind = "holiday" // a day off, even on a weekday
	Workday Kind = "workday" // a working day, even on a weekend
)

// DateLayout is how days are written everywhere: in the database, in
// forms and in the API.
const DateLayout = "2006-01-02"

// MaxNameLen is the longest name of a day, in characters.
const MaxNameLen = 50

// Day is one exception to the ordinary week.
type Day struct {
	ID          int64     `json:"id"`
	CommunityID int64     `json:"community_id"`
	Day         string    `json:"day"` // "2006-01-02"
	Kind        Kind      `json:"kind"`
	Name        string    `json:"name"` // "国庆节", "国庆节调休上班"
	CreatedAt   time.Time `json:"created_at"`
	CreatedBy   int64     `json:"created_by,omitempty"` // 0: seeded
}

// Service reads and maintains the calendar.
type Service struct {
	db    *db.DB
	clock clock.Clock
}

// New returns a Service.
func New(d *db.DB, c clock.Clock) *Service {
	if c == nil {
		c = clock.System{}
	}
	return &Service{db: d, clock: c}
}

// dayColumn reads the day column as 'YYYY-MM-DD' text on both engines:
// SQLite stores that text, PostgreSQL a DATE (whose text form would depend
// on the DateStyle setting, hence to_char).
func dayColumn(q db.Querier) string {
	if q.Dialect() == db.Postgres {
		return "to_char(day, 'YYYY-MM-DD')"
	}
	return "day"
}

// authorize checks that actor may perform a in community cid. Someone with
// no business in the community gets NotFound, as if it did not exist; a
// member who may read but not edit gets Forbidden, and the denial is
// audited.
func (s *Service) authorize(ctx context.Context, actor *accounts.Principal, a policy.Action, cid int64) error {
	if actor == nil {
		return apperr.UnauthenticatedErr()
	}
	var street int64
	err := s.db.QueryRow(ctx, `SELECT street_id FROM communities WHERE id = ?`, cid).Scan(&street)
	if errors.Is(err, sql.ErrNoRows) {
		return apperr.NotFoundErr()
	}
	if err != nil {
		return fmt.Errorf("calendar: community %d: %w", cid, err)
	}
	streetOf := func(int64) int64 { return street }
	if policy.PermitsIn(actor, a, cid, streetOf) {
		return nil
	}
	if a == policy.CalendarRead || !policy.PermitsIn(actor, policy.CalendarRead, cid, streetOf) {
		return apperr.NotFoundErr()
	}
	e := actor.Audit(s.clock.Now(), string(a), cid)
	e.Result = audit.Denied
	if err := audit.Record(ctx, s.db, e); err != nil {
		return err
	}
	return apperr.ForbiddenErr()
}

// parseDay validates a 'YYYY-MM-DD' day.
func parseDay(v *apperr.Validation, day string) (time.Time, bool) {
	t, err := time.ParseInLocation(DateLayout, day, clock.Shanghai)
	if err != nil || t.Year() < 1900 || t.Year() > 9999 {
		v.Add("day", "calendar.day.invalid", nil)
		return time.Time{}, false
	}
	return t, true
}

// Set marks day ('YYYY-MM-DD') in a community as a holiday or a make-up
// workday, replacing what was set for that day. Admins of the community
// only. Field errors: calendar.day.invalid, calendar.kind.invalid,
// calendar.name.too_long, calendar.name.invalid.
func (s *Service) Set(ctx context.Context, actor *accounts.Principal, communityID int64, day string, kind Kind, name string) (Day, error) {
	if err := s.authorize(ctx, actor, policy.CalendarEdit, communityID); err != nil {
		return Day{}, err
	}
	var v apperr.Validation
	parseDay(&v, day)
	if kind != Holiday && kind != Workday {
		v.Add("kind", "calendar.kind.invalid", nil)
	}
	name = strings.TrimSpace(name)
	if utf8.RuneCountInString(name) > MaxNameLen {
		v.Add("name", "calendar.name.too_long", map[string]any{"max": MaxNameLen})
	} else if !utf8.ValidString(name) || strings.IndexFunc(name, unicode.IsControl) >= 0 {
		v.Add("name", "calendar.name.invalid", nil)
	}
	if err := v.Err(); err != nil {
		return Day{}, err
	}
	now := s.clock.Now().UTC().Truncate(time.Microsecond)
	d := Day{CommunityID: communityID, Day: day, Kind: kind, Name: name, CreatedAt: now, CreatedBy: actor.AccountID}
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO calendar_days (community_id, day, kind, name, created_at, created_by)
			VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (community_id, day) DO UPDATE SET kind = excluded.kind, name = excluded.name,
				created_at = excluded.created_at, created_by = excluded.created_by
			RETURNING id`, communityID, day, string(kind), name, now, nullID(actor.AccountID)).Scan(&d.ID)
		if err != nil {
			return err
		}
		e := actor.Audit(now, "calendar.set", communityID)
		e.ObjectType, e.ObjectID, e.Fields = "calendar_day", day, []string{"kind", "name"}
		e.Detail = string(kind) + " " + name
		return audit.Record(ctx, tx, e)
	})
	if err != nil {
		return Day{}, fmt.Errorf("calendar: set %s: %w", day, err)
	}
	return d, nil
}

// Delete returns day to the ordinary week. NotFound if nothing was set.
func (s *Service) Delete(ctx context.Context, actor *accounts.Principal, communityID int64, day string) error {
	if err := s.authorize(ctx, actor, policy.CalendarEdit, communityID); err != nil {
		return err
	}
	var v apperr.Validation
	if _, ok := parseDay(&v, day); !ok {
		return v.Err()
	}
	now := s.clock.Now().UTC()
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, `DELETE FROM calendar_days WHERE community_id = ? AND day = ?`, communityID, day)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.NotFoundErr()
		}
		e := actor.Audit(now, "calendar.delete", communityID)
		e.ObjectType, e.ObjectID = "calendar_day", day
		return audit.Record(ctx, tx, e)
	})
	if apperr.Is(err, apperr.NotFound) {
		return err
	}
	if err != nil {
		return fmt.Errorf("calendar: delete %s: %w", day, err)
	}
	return nil
}

// List returns the exceptions set for a year, in date order. Everyone with
// a role in the community (and street supervisors over it) may read them.
func (s *Service) List(ctx context.Context, actor *accounts.Principal, communityID int64, year int) ([]Day, error) {
	if err := s.authorize(ctx, actor, policy.CalendarRead, communityID); err != nil {
		return nil, err
	}
	if year < 1900 || year > 9998 {
		var v apperr.Validation
		v.Add("year", "calendar.year.invalid", nil)
		return nil, v.Err()
	}
	rows, err := s.db.Query(ctx, `SELECT id, community_id, `+dayColumn(s.db)+`, kind, name, created_at, created_by
		FROM calendar_days WHERE community_id = ? AND day >= ? AND day < ? ORDER BY day`,
		communityID, fmt.Sprintf("%04d-01-01", year), fmt.Sprintf("%04d-01-01", year+1))
	if err != nil {
		return nil, fmt.Errorf("calendar: list %d: %w", year, err)
	}
	defer rows.Close()
	var out []Day
	for rows.Next() {
		var d Day
		var by sql.NullInt64
		if err := rows.Scan(&d.ID, &d.CommunityID, &d.Day, &d.Kind, &d.Name, &d.CreatedAt, &by); err != nil {
			return nil, fmt.Errorf("calendar: scan: %w", err)
		}
		d.CreatedAt = d.CreatedAt.UTC()
		d.CreatedBy = by.Int64
		out = append(out, d)
	}
	return out, rows.Err()
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}
