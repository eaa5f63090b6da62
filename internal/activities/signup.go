package activities

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/audit"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/notify"
	"github.com/linli/linli/internal/volunteers"
)

// Sign-up statuses.
const (
	Signed     = "signed"
	Waitlisted = "waitlisted"
	Cancelled  = "cancelled"
)

// Occurrence is one date of a series.
type Occurrence struct {
	ID         int64      `json:"id"`
	ActivityID int64      `json:"activity_id"`
	Title      string     `json:"title"`
	Start      time.Time  `json:"start"`
	End        time.Time  `json:"end"`
	Place      string     `json:"place,omitempty"`
	Teams      []TeamLink `json:"teams"`
	Capacity   int        `json:"capacity"`
	Signed     int        `json:"signed"`
	Waiting    int        `json:"waiting"`
	Cancelled  bool       `json:"cancelled"`
}

// TeamLink names a team.
type TeamLink struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// Signup is one person's place on an occurrence.
type Signup struct {
	ID           int64  `json:"id"`
	OccurrenceID int64  `json:"occurrence_id"`
	VolunteerID  int64  `json:"volunteer_id"`
	Status       string `json:"status"`
	Position     int    `json:"position,omitempty"` // on the waitlist, 1 first
	Accompanied  bool   `json:"accompanied,omitempty"`
	LateCancel   bool   `json:"late_cancel,omitempty"`
}

type occ struct {
	cid, activity, team     int64
	start                   time.Time
	capacity, deadlineHours int
	minAge, maxAge          sql.NullInt64
	openTo, title           string
	cancelled               bool
}

func (s *Service) occurrence(ctx context.Context, q db.Querier, id int64) (*occ, error) {
	var o occ
	var team sql.NullInt64
	// A team-only activity without ages of its own takes its team's (the
	// children's team's 5 to 14), as joining the team does; one open to
	// all volunteers (the parents who help) the community's minimum.
	err := q.QueryRow(ctx, `SELECT o.community_id, o.activity_id, COALESCE(a.team_id, 0), o.starts_at, o.capacity, a.deadline_hours,
		COALESCE(a.min_age, CASE WHEN a.open_to = 'team' THEN t.min_age END), COALESCE(a.max_age, CASE WHEN a.open_to = 'team' THEN t.max_age END),
		a.open_to, COALESCE(o.title, a.title), o.cancelled
		FROM occurrences o JOIN activities a ON a.id = o.activity_id LEFT JOIN teams t ON t.id = a.team_id WHERE o.id = ?`, id).
		Scan(&o.cid, &o.activity, &team, &o.start, &o.capacity, &o.deadlineHours, &o.minAge, &o.maxAge, &o.openTo, &o.title, &o.cancelled)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFoundErr()
	}
	if err != nil {
		return nil, fmt.Errorf("activities: occurrence: %w", err)
	}
	o.team = team.Int64
	return &o, nil
}

func nullInt(n sql.NullInt64) *int {
	if !n.Valid {
		return nil
	}
	i := int(n.Int64)
	return &i
}

// admissible is the date's own checks: not cancelled, not started, and
// before the sign-up deadline unless the office signs someone up.
func (s *Service) admissible(o *occ, actor *accounts.Principal, now time.Time) error {
	switch {
	case o.cancelled:
		return apperr.New(apperr.Conflict, "activity.cancelled")
	case !now.Before(o.start):
		return apperr.New(apperr.Conflict, "activity.started")
	case !volunteers.Office(actor, o.cid) && o.deadlineHours > 0 && now.After(o.start.Add(-time.Duration(o.deadlineHours)*time.Hour)):
		return apperr.New(apperr.Conflict, "activity.deadline_passed")
	}
	return nil
}

// ask is what the volunteers' rules check for a sign-up of vid to o.
func (o *occ) ask(vid int64) volunteers.Ask {
	return volunteers.Ask{Community: o.cid, Team: o.team, Volunteer: vid,
		MinAge: nullInt(o.minAge), MaxAge: nullInt(o.maxAge), On: o.start, TeamOnly: o.openTo == "team"}
}

// SignUp gives volunteer vid (0: the actor) a place on occurrence id, or
// a place on its waitlist when it is full. The volunteer signs up
// themselves, a guardian their child, the office anyone (someone without
// a phone). Age and guardian rules apply; a team-only activity takes the
// team's members.
func (s *Service) SignUp(ctx context.Context, actor *accounts.Principal, id, vid int64) (*Signup, error) {
	now := s.clock.Now()
	var o *occ
	var el volunteers.Eligibility
	full := false // admitted in one statement, but no place was left
	// The gap is a window between the reads and the write for tests' rival
	// changes; the one-statement path has no such window.
	cid := onceCommunity(actor)
	once := cid != 0 && s.db.Dialect() == db.Postgres && s.gap == nil
	if once {
		j := &onceJob{ctx: ctx, actor: actor, cid: cid, id: id, vid: vid, now: now}
		s.signUpAtOnce(j)
		if j.err != nil || j.su != nil {
			return j.su, j.err
		}
		o, full = j.o, j.admitted
		if err := s.admissible(o, actor, now); err != nil {
			return nil, err
		}
		var err error
		if el, err = s.vol.Decide(j.f, o.ask(vid)); err != nil {
			return nil, err
		}
	} else {
		var err error
		if o, err = s.occurrence(ctx, s.db, id); err != nil {
			return nil, err
		}
		if !volunteers.Member(actor, o.cid) {
			return nil, apperr.NotFoundErr()
		}
		if err := s.admissible(o, actor, now); err != nil {
			return nil, err
		}
		// Whom the actor signs up, the team-only rule and the age and
		// consent rules, in one query. It reads outside the transaction: a
		// transaction waiting on another connection while holding its own
		// would starve the pool when hundreds sign up at once.
		if el, err = s.vol.EligibleFor(ctx, actor, o.ask(vid)); err != nil {
			return nil, err
		}
	}
	vid = el.VolunteerID
	out := Signup{OccurrenceID: id, VolunteerID: vid, Accompanied: el.Accompanied}
	s.between("signup")
	e := actor.Audit(now, "activity.signup", o.cid)
	e.ObjectType, e.ObjectID = "occurrence", fmt.Sprint(id)
	if once && !full {
		// Admitted by Go alone (a child, whose birth date SQL cannot
		// read): the place is taken in the next statement, with the
		// sign-ups queued beside it.
		j := &onceJob{ctx: ctx, actor: actor, cid: cid, id: id, vid: vid, now: now, decided: true, accompanied: el.Accompanied}
		s.signUpAtOnce(j)
		if j.err != nil || j.su != nil {
			return j.su, j.err
		}
		// No place: full, or skipped. The transaction below sorts out which.
	} else if s.db.Dialect() == db.Postgres && !full {
		taken, err := s.takePlace(ctx, o.cid, &out, actor, e, now)
		if err != nil {
			return nil, err
		}
		if taken {
			return &out, nil
		}
		// No place: full, or skipped. The transaction below sorts out which.
	}
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		// A place if one is left: the conditional update is the lock.
		res, err := tx.Exec(ctx, `UPDATE occurrences SET signed = signed + 1 WHERE id = ? AND signed < capacity AND NOT cancelled`, id)
		if err != nil {
			return fmt.Errorf("activities: take a place: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			out.Status = Signed
		} else {
			// No place: full, or skipped since the first look. The
			// waitlist bump locks the row, and what it returns is read
			// under that lock: a skipped date takes nobody on its list.
			out.Status = Waitlisted
			var cancelled bool
			if err := tx.QueryRow(ctx, `UPDATE occurrences SET wait_seq = wait_seq + 1 WHERE id = ? RETURNING wait_seq, cancelled`, id).Scan(&out.Position, &cancelled); err != nil {
				return fmt.Errorf("activities: waitlist: %w", err)
			}
			if cancelled {
				return apperr.New(apperr.Conflict, "activity.cancelled")
			}
		}
		err = tx.QueryRow(ctx, `INSERT INTO signups (community_id, occurrence_id, volunteer_id, status, position, accompanied, signed_by, created_at, changed_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, o.cid, id, vid, out.Status, out.Position, el.Accompanied, nullID(actor.AccountID), now, now).Scan(&out.ID)
		if db.IsUniqueViolation(err) {
			return apperr.New(apperr.Conflict, "activity.signed_already")
		}
		if err != nil {
			return fmt.Errorf("activities: sign up: %w", err)
		}
		e.Detail = fmt.Sprintf("volunteer %d %s", vid, out.Status)
		return audit.Record(ctx, tx, e)
	})
	if err != nil {
		return nil, err
	}
	if out.Status == Waitlisted {
		// The position among those still waiting, not the ticket number.
		if err := s.db.QueryRow(ctx, `SELECT count(*) FROM signups WHERE occurrence_id = ? AND status = 'waitlisted' AND position <= ?`, id, out.Position).Scan(&out.Position); err != nil {
			return nil, fmt.Errorf("activities: position: %w", err)
		}
	}
	return &out, nil
}

// takePlace is a sign-up with a place left, on PostgreSQL, in one
// statement: the place, the sign-up and its audit entry are written
// together or not at all, and the conditional update is the lock that
// keeps the capacity, as in the transaction. One round trip instead of
// five (BEGIN, three writes, COMMIT) is most of what a sign-up costs
// there. It reports false, having written nothing, when no place is left.
func (s *Service) takePlace(ctx context.Context, cid int64, out *Signup, actor *accounts.Principal, e audit.Entry, now time.Time) (bool, error) {
	e.Detail = fmt.Sprintf("volunteer %d %s", out.VolunteerID, Signed)
	ea, err := e.Args()
	if err != nil {
		return false, err
	}
	args := append([]any{out.OccurrenceID, cid, out.VolunteerID, out.Accompanied, nullID(actor.AccountID), now, now}, ea...)
	err = s.db.QueryRow(ctx, `WITH place AS (
			UPDATE occurrences SET signed = signed + 1 WHERE id = ? AND signed < capacity AND NOT cancelled RETURNING id),
		signup AS (
			INSERT INTO signups (community_id, occurrence_id, volunteer_id, status, position, accompanied, signed_by, created_at, changed_at)
			SELECT ?::bigint, id, ?::bigint, 'signed', 0, ?::boolean, ?::bigint, ?::timestamptz, ?::timestamptz FROM place RETURNING id),
		logged AS (
			INSERT INTO audit_log `+audit.Columns+` SELECT `+audit.PGTyped+` FROM signup)
		SELECT id FROM signup`, args...).Scan(&out.ID)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case db.IsUniqueViolation(err):
		return false, apperr.New(apperr.Conflict, "activity.signed_already")
	case err != nil:
		return false, fmt.Errorf("activities: sign up: %w", err)
	}
	out.Status = Signed
	return true, nil
}

// Cancel gives up volunteer vid's place (0: the actor). A signed-up
// person's place goes to the first on the waitlist, who is told. After
// the deadline a cancellation is allowed and recorded as late.
func (s *Service) Cancel(ctx context.Context, actor *accounts.Principal, id, vid int64) error {
	o, err := s.occurrence(ctx, s.db, id)
	if err != nil {
		return err
	}
	if vid, err = s.vol.ActsFor(ctx, actor, o.cid, o.team, vid); err != nil {
		return err
	}
	now := s.clock.Now()
	late := o.deadlineHours > 0 && now.After(o.start.Add(-time.Duration(o.deadlineHours)*time.Hour))
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		// Lock the occurrence first: cancellations of one occurrence take
		// turns, so two never promote the same person from the waitlist.
		if _, err := tx.Exec(ctx, `UPDATE occurrences SET signed = signed WHERE id = ?`, id); err != nil {
			return fmt.Errorf("activities: lock occurrence: %w", err)
		}
		var sid int64
		var status string
		err := tx.QueryRow(ctx, `SELECT id, status FROM signups WHERE occurrence_id = ? AND volunteer_id = ? AND status <> 'cancelled'`, id, vid).Scan(&sid, &status)
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.NotFoundErr()
		}
		if err != nil {
			return fmt.Errorf("activities: find sign-up: %w", err)
		}
		// Claim the cancellation first: of two at once, one finds it live.
		res, err := tx.Exec(ctx, `UPDATE signups SET status = 'cancelled', late_cancel = ?, changed_at = ? WHERE id = ? AND status = ?`, late, now, sid, status)
		if err != nil {
			return fmt.Errorf("activities: cancel: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.NotFoundErr()
		}
		if status == Signed {
			if err := s.promote(ctx, tx, o, id, now); err != nil {
				return err
			}
		}
		e := actor.Audit(now, "activity.cancel", o.cid)
		e.ObjectType, e.ObjectID, e.Detail = "occurrence", fmt.Sprint(id), fmt.Sprintf("volunteer %d late=%v", vid, late)
		return audit.Record(ctx, tx, e)
	})
}

// promote hands a freed place to the first on the waitlist and tells
// them (in the app exactly once: the event id names the sign-up), or
// frees the place when nobody waits.
func (s *Service) promote(ctx context.Context, tx *db.Tx, o *occ, id int64, now time.Time) error {
	var next, vid int64
	err := tx.QueryRow(ctx, `SELECT id, volunteer_id FROM signups WHERE occurrence_id = ? AND status = 'waitlisted' ORDER BY position LIMIT 1`, id).Scan(&next, &vid)
	if errors.Is(err, sql.ErrNoRows) {
		if _, err := tx.Exec(ctx, `UPDATE occurrences SET signed = signed - 1 WHERE id = ?`, id); err != nil {
			return fmt.Errorf("activities: free a place: %w", err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("activities: waitlist: %w", err)
	}
	res, err := tx.Exec(ctx, `UPDATE signups SET status = 'signed', changed_at = ? WHERE id = ? AND status = 'waitlisted'`, now, next)
	if err != nil {
		return fmt.Errorf("activities: promote: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("activities: promote: sign-up %d changed underneath", next)
	}
	if s.notify == nil {
		return nil
	}
	accts, err := s.vol.Accounts(ctx, tx, vid)
	if err != nil {
		return err
	}
	when := o.start.In(shanghai()).Format("2006-01-02 15:04")
	for _, a := range accts {
		if _, _, err := s.notify.Send(ctx, tx, notify.Notification{CommunityID: o.cid, AccountID: a, Kind: "activity.promoted",
			EventID: fmt.Sprintf("activity.promoted:%d:account:%d", next, a), Title: "候补转正：" + o.title,
			Body: "您已从候补转为正式报名，活动时间 " + when + "。", Link: fmt.Sprintf("/activities/%d", id)}); err != nil {
			return err
		}
	}
	return nil
}

func contains(xs []int64, x int64) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// Occurrences lists a community's occurrences between from and to,
// optionally of one team, for anyone signed in to it.
func (s *Service) Occurrences(ctx context.Context, actor *accounts.Principal, cid int64, from, to time.Time, team int64) ([]Occurrence, error) {
	acc, err := s.vol.AccessOf(ctx, actor, cid)
	if err != nil {
		return nil, err
	}
	if !acc.Member {
		return nil, apperr.NotFoundErr()
	}
	if !to.After(from) || to.Sub(from) > 400*24*time.Hour {
		return nil, apperr.New(apperr.Invalid, "error.invalid").Field("to", "activity.period.invalid", nil)
	}
	q := occSelect + ` WHERE o.community_id = ? AND o.starts_at >= ? AND o.starts_at < ?`
	args := []any{cid, from.UTC(), to.UTC()}
	if team != 0 {
		q += ` AND a.team_id = ?`
		args = append(args, team)
	}
	rows, err := s.db.Query(ctx, q+` ORDER BY o.starts_at, o.id LIMIT 1000`, args...)
	if err != nil {
		return nil, fmt.Errorf("activities: occurrences: %w", err)
	}
	defer rows.Close()
	out := []Occurrence{}
	for rows.Next() {
		o, err := scanOcc(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

const occSelect = `SELECT o.id, o.activity_id, COALESCE(o.title, a.title), o.starts_at, o.ends_at, COALESCE(p.name, ''), COALESCE(t.id, 0), COALESCE(t.name, ''), o.capacity, o.signed,
		(SELECT count(*) FROM signups s WHERE s.occurrence_id = o.id AND s.status = 'waitlisted'), o.cancelled
		FROM occurrences o JOIN activities a ON a.id = o.activity_id LEFT JOIN places p ON p.id = COALESCE(o.place_id, a.place_id) LEFT JOIN teams t ON t.id = a.team_id`

func scanOcc(row interface{ Scan(...any) error }) (Occurrence, error) {
	var o Occurrence
	var tid int64
	var tname string
	if err := row.Scan(&o.ID, &o.ActivityID, &o.Title, &o.Start, &o.End, &o.Place, &tid, &tname, &o.Capacity, &o.Signed, &o.Waiting, &o.Cancelled); err != nil {
		return o, err
	}
	o.Start, o.End = o.Start.In(shanghai()), o.End.In(shanghai())
	o.Teams = []TeamLink{}
	if tid != 0 {
		o.Teams = append(o.Teams, TeamLink{ID: tid, Name: tname})
	}
	return o, nil
}

// OccurrenceByID returns one date, for anyone signed in to its community.
func (s *Service) OccurrenceByID(ctx context.Context, actor *accounts.Principal, id int64) (*Occurrence, error) {
	o, err := scanOcc(s.db.QueryRow(ctx, occSelect+` WHERE o.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFoundErr()
	}
	if err != nil {
		return nil, fmt.Errorf("activities: occurrence: %w", err)
	}
	var cid int64
	if err := s.db.QueryRow(ctx, `SELECT community_id FROM occurrences WHERE id = ?`, id).Scan(&cid); err != nil {
		return nil, fmt.Errorf("activities: occurrence: %w", err)
	}
	acc, err := s.vol.AccessOf(ctx, actor, cid)
	if err != nil {
		return nil, err
	}
	if !acc.Member {
		return nil, apperr.NotFoundErr()
	}
	return &o, nil
}

// Roster lists an occurrence's sign-ups in order (signed, then the
// waitlist), each with its person's record of the last twelve months:
// the office and the team's leaders.
func (s *Service) Roster(ctx context.Context, actor *accounts.Principal, id int64) ([]RosterEntry, error) {
	o, err := s.occurrence(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	acc, err := s.vol.AccessOf(ctx, actor, o.cid)
	if err != nil {
		return nil, err
	}
	if !acc.Office && !acc.Leads(o.team) {
		if !acc.Member {
			return nil, apperr.NotFoundErr()
		}
		return nil, apperr.ForbiddenErr()
	}
	recs, err := s.records(ctx, o.cid, id, s.clock.Now())
	if err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT id, volunteer_id, status, position, accompanied, late_cancel FROM signups WHERE occurrence_id = ?
		ORDER BY CASE status WHEN 'signed' THEN 0 WHEN 'waitlisted' THEN 1 ELSE 2 END, position, id`, id)
	if err != nil {
		return nil, fmt.Errorf("activities: roster: %w", err)
	}
	defer rows.Close()
	out := []RosterEntry{}
	wait := 0
	for rows.Next() {
		r := RosterEntry{Signup: Signup{OccurrenceID: id}}
		if err := rows.Scan(&r.ID, &r.VolunteerID, &r.Status, &r.Position, &r.Accompanied, &r.LateCancel); err != nil {
			return nil, err
		}
		if r.Status == Waitlisted {
			wait++
			r.Position = wait
		} else {
			r.Position = 0
		}
		r.Record = recs[r.VolunteerID]
		out = append(out, r)
	}
	return out, rows.Err()
}

func shanghai() *time.Location { return clock.Shanghai }
