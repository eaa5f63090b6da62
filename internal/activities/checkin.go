package activities

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/audit"
	"github.com/linli/linli/internal/db"
)

// How someone was checked in.
const (
	ByQR     = "qr"
	ByRoster = "roster" // ticked by the organiser (children, people without phones)
	ByWalkIn = "walk_in"
)

// CodeLife is how long one check-in code is shown; the previous code is
// still taken, so a scan at the turn of the minute works.
const CodeLife = time.Minute

// Window: check-in opens this long before the start and closes this
// long after the end.
const Window = 30 * time.Minute

// Checkin is one person's attendance of an occurrence.
type Checkin struct {
	OccurrenceID int64      `json:"occurrence_id"`
	VolunteerID  int64      `json:"volunteer_id"`
	How          string     `json:"how"`
	In           time.Time  `json:"checked_in_at"`
	Out          *time.Time `json:"checked_out_at,omitempty"`
}

// code is the check-in code of occurrence id in minute slot n: a MAC
// under the instance's token key, so it cannot be made up or carried to
// another occurrence, and it goes stale.
func (s *Service) code(id, slot int64) string {
	return strings.ToUpper(s.keys.MAC(fmt.Sprintf("checkin:%d:%d", id, slot))[:8])
}

func slotOf(t time.Time) int64 { return t.Unix() / int64(CodeLife/time.Second) }

// Code is what the organiser's screen shows as a QR code now: the office
// and the team's leaders.
func (s *Service) Code(ctx context.Context, actor *accounts.Principal, id int64) (string, time.Time, error) {
	o, err := s.occurrence(ctx, s.db, id)
	if err != nil {
		return "", time.Time{}, err
	}
	if err := s.organiser(ctx, actor, o); err != nil {
		return "", time.Time{}, err
	}
	now := s.clock.Now()
	slot := slotOf(now)
	return s.code(id, slot), time.Unix((slot+1)*int64(CodeLife/time.Second), 0).UTC(), nil
}

func (s *Service) organiser(ctx context.Context, actor *accounts.Principal, o *occ) error {
	acc, err := s.vol.AccessOf(ctx, actor, o.cid)
	if err != nil {
		return err
	}
	if acc.Office || acc.Leads(o.team) {
		return nil
	}
	if !acc.Member {
		return apperr.NotFoundErr()
	}
	return apperr.ForbiddenErr()
}

// CheckIn checks the actor in with the code they scanned: only within the
// activity's window, only if signed up (or walk-ins are allowed), once.
func (s *Service) CheckIn(ctx context.Context, actor *accounts.Principal, id int64, code string) (*Checkin, error) {
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
	now := s.clock.Now()
	code = strings.ToUpper(strings.TrimSpace(code))
	if slot := slotOf(now); code == "" || (code != s.code(id, slot) && code != s.code(id, slot-1)) {
		return nil, apperr.New(apperr.Invalid, "activity.code.stale")
	}
	me, err := s.vol.Mine(ctx, actor, o.cid)
	if err != nil {
		return nil, err
	}
	return s.checkIn(ctx, actor, o, id, me.ID, ByQR, now)
}

// Tick checks volunteer vid in from the roster: the organiser's way for
// children and people without a phone.
func (s *Service) Tick(ctx context.Context, actor *accounts.Principal, id, vid int64) (*Checkin, error) {
	o, err := s.occurrence(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	if err := s.organiser(ctx, actor, o); err != nil {
		return nil, err
	}
	return s.checkIn(ctx, actor, o, id, vid, ByRoster, s.clock.Now())
}

func (s *Service) checkIn(ctx context.Context, actor *accounts.Principal, o *occ, id, vid int64, how string, now time.Time) (*Checkin, error) {
	var end time.Time
	var walkIns bool
	if err := s.db.QueryRow(ctx, `SELECT o.ends_at, a.walk_ins FROM occurrences o JOIN activities a ON a.id = o.activity_id WHERE o.id = ?`, id).Scan(&end, &walkIns); err != nil {
		return nil, fmt.Errorf("activities: occurrence: %w", err)
	}
	if o.cancelled || now.Before(o.start.Add(-Window)) || now.After(end.Add(Window)) {
		return nil, apperr.New(apperr.Conflict, "activity.checkin.closed")
	}
	var signed int
	if err := s.db.QueryRow(ctx, `SELECT count(*) FROM signups WHERE occurrence_id = ? AND volunteer_id = ? AND status = 'signed'`, id, vid).Scan(&signed); err != nil {
		return nil, fmt.Errorf("activities: sign-up: %w", err)
	}
	if signed == 0 {
		if !walkIns {
			return nil, apperr.New(apperr.Conflict, "activity.checkin.not_signed")
		}
		if _, err := s.vol.Eligible(ctx, s.db, vid, nullInt(o.minAge), nullInt(o.maxAge), o.start); err != nil {
			return nil, err
		}
		if how == ByQR {
			how = ByWalkIn
		}
	}
	c := &Checkin{OccurrenceID: id, VolunteerID: vid, How: how, In: now.UTC()}
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO checkins (community_id, occurrence_id, volunteer_id, how, checked_in_at, by_account) VALUES (?, ?, ?, ?, ?, ?)`,
			o.cid, id, vid, how, now, nullID(actor.AccountID))
		if db.IsUniqueViolation(err) {
			return apperr.New(apperr.Conflict, "activity.checkin.twice")
		}
		if err != nil {
			return fmt.Errorf("activities: check in: %w", err)
		}
		e := actor.Audit(now, "activity.checkin", o.cid)
		e.ObjectType, e.ObjectID, e.Detail = "occurrence", fmt.Sprint(id), fmt.Sprintf("volunteer %d %s", vid, how)
		return audit.Record(ctx, tx, e)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// CheckOutAll checks out everyone still in, at once: the organiser.
func (s *Service) CheckOutAll(ctx context.Context, actor *accounts.Principal, id int64) (int, error) {
	o, err := s.occurrence(ctx, s.db, id)
	if err != nil {
		return 0, err
	}
	if err := s.organiser(ctx, actor, o); err != nil {
		return 0, err
	}
	now := s.clock.Now()
	var n int64
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE checkins SET checked_out_at = ? WHERE occurrence_id = ? AND checked_out_at IS NULL`, now, id)
		if err != nil {
			return fmt.Errorf("activities: check out: %w", err)
		}
		n, _ = res.RowsAffected()
		e := actor.Audit(now, "activity.checkout", o.cid)
		e.ObjectType, e.ObjectID, e.Detail = "occurrence", fmt.Sprint(id), fmt.Sprint(n)
		return audit.Record(ctx, tx, e)
	})
	return int(n), err
}

// Attendance lists who came to an occurrence: the organiser.
func (s *Service) Attendance(ctx context.Context, actor *accounts.Principal, id int64) ([]Checkin, error) {
	o, err := s.occurrence(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	if err := s.organiser(ctx, actor, o); err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT volunteer_id, how, checked_in_at, checked_out_at FROM checkins WHERE occurrence_id = ? ORDER BY checked_in_at, id`, id)
	if err != nil {
		return nil, fmt.Errorf("activities: attendance: %w", err)
	}
	defer rows.Close()
	out := []Checkin{}
	for rows.Next() {
		c := Checkin{OccurrenceID: id}
		var outAt sql.NullTime
		if err := rows.Scan(&c.VolunteerID, &c.How, &c.In, &outAt); err != nil {
			return nil, err
		}
		c.In = c.In.UTC()
		if outAt.Valid {
			t := outAt.Time.UTC()
			c.Out = &t
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
