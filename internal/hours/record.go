package hours

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/audit"
	"github.com/linli/linli/internal/calendar"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/volunteers"
)

// Service is the hours ledger.
type Service struct {
	db    *db.DB
	clock clock.Clock
	cal   *calendar.Service
	vol   *volunteers.Service
}

// New returns a Service.
func New(d *db.DB, c clock.Clock, cal *calendar.Service, vol *volunteers.Service) *Service {
	return &Service{db: d, clock: c, cal: cal, vol: vol}
}

// clean is a validated Input.
type clean struct {
	in         Input
	start, end time.Time
	minutes    int
	teamName   string
	due        string
	late       bool
}

func text(v *apperr.Validation, field, s string, max int, required bool) string {
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	if (required && n == 0) || n > max || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 && r != '\n' || r == 0x7f }) {
		v.Add(field, "record."+field+".invalid", map[string]any{"max": max})
	}
	return s
}

// check validates an Input for community cid at time now.
func (s *Service) check(ctx context.Context, cid int64, in Input, now time.Time) (clean, error) {
	var v apperr.Validation
	c := clean{}
	in.ActivityName = text(&v, "activity_name", in.ActivityName, 60, true)
	in.Place = text(&v, "place", in.Place, 100, true)
	in.Content = text(&v, "content", in.Content, 500, true)
	in.Organiser = text(&v, "organiser", in.Organiser, 60, false)
	in.PersonInCharge = text(&v, "person_in_charge", in.PersonInCharge, 30, true)
	if in.Organiser == "" {
		if err := s.db.QueryRow(ctx, `SELECT name FROM communities WHERE id = ?`, cid).Scan(&in.Organiser); err != nil {
			return c, fmt.Errorf("hours: community: %w", err)
		}
		in.Organiser += "居民委员会"
	}
	today := now.In(clock.Shanghai).Format(time.DateOnly)
	day, err := time.ParseInLocation(time.DateOnly, in.Date, clock.Shanghai)
	switch {
	case err != nil:
		v.Add("date", "record.date.invalid", nil)
	case in.Date > today:
		v.Add("date", "record.date.future", nil)
	case day.Before(now.AddDate(-3, 0, 0)):
		v.Add("date", "record.date.old", nil)
	}
	st, err1 := time.ParseInLocation("2006-01-02 15:04", in.Date+" "+in.Start, clock.Shanghai)
	en, err2 := time.ParseInLocation("2006-01-02 15:04", in.Date+" "+in.End, clock.Shanghai)
	if err1 != nil {
		v.Add("start", "record.time.invalid", nil)
	}
	if err2 != nil {
		v.Add("end", "record.time.invalid", nil)
	}
	if err == nil && err1 == nil && err2 == nil {
		c.start, c.end = st.UTC(), en.UTC()
		c.minutes = int(en.Sub(st) / time.Minute)
		switch {
		case c.minutes <= 0:
			v.Add("end", "record.end.before_start", nil)
		case en.After(now):
			v.Add("end", "record.end.future", nil)
		case in.Hours != nil && (math.IsNaN(*in.Hours) || math.Abs(*in.Hours*60-float64(c.minutes)) >= 1):
			v.Add("hours", "record.hours.mismatch", map[string]any{"hours": fmt.Sprintf("%.1f", float64(c.minutes)/60)})
		}
	}
	if in.Category != "" && !slices.Contains(volunteers.Categories, in.Category) {
		v.Add("category", "volunteer.category.unknown", map[string]any{"category": in.Category})
	}
	if in.Captured == "" {
		in.Captured = CapturedRoster
	}
	if in.Captured != CapturedRoster && in.Captured != CapturedBackfill && in.Captured != CapturedCheckin {
		v.Add("captured", "record.captured.invalid", nil)
	}
	if in.ServesKind != "" && !slices.Contains([]string{"activity", "request", "wish", "visit"}, in.ServesKind) {
		v.Add("serves_kind", "record.serves.invalid", nil)
	}
	if in.TeamID != 0 {
		var cat string
		err := s.db.QueryRow(ctx, `SELECT name, category FROM teams WHERE id = ? AND community_id = ?`, in.TeamID, cid).Scan(&c.teamName, &cat)
		if errors.Is(err, sql.ErrNoRows) {
			v.Add("team_id", "team.unknown", nil)
		} else if err != nil {
			return c, fmt.Errorf("hours: team: %w", err)
		} else if in.Category == "" {
			in.Category = cat
		}
	}
	seen := map[int64]bool{}
	var vols []int64
	for _, id := range in.Volunteers {
		if id > 0 && !seen[id] {
			seen[id] = true
			vols = append(vols, id)
		}
	}
	in.Volunteers = vols
	if len(vols) == 0 || len(vols) > 300 {
		v.Add("volunteers", "record.volunteers.count", nil)
	}
	if err := v.Err(); err != nil {
		return c, err
	}
	due, err := s.cal.AddWorkingDays(ctx, cid, day, DueWorkingDays)
	if err != nil {
		return c, err
	}
	c.due = due.In(clock.Shanghai).Format(time.DateOnly)
	c.late = today > c.due
	c.in = in
	return c, nil
}

// Record writes one service for every volunteer of in, all or nothing.
// The office records for anyone in the community; a team leader for the
// members of their team on that date. Back-fills wait for confirmation.
func (s *Service) Record(ctx context.Context, actor *accounts.Principal, cid int64, in Input) ([]Record, error) {
	acc, err := s.vol.AccessOf(ctx, actor, cid)
	if err != nil {
		return nil, err
	}
	if !acc.Member {
		return nil, apperr.NotFoundErr()
	}
	if !acc.Office && len(acc.Teams) == 0 {
		return nil, apperr.ForbiddenErr()
	}
	now := s.clock.Now()
	c, spans, err := s.prepare(ctx, acc, cid, in, now)
	if err != nil {
		return nil, err
	}
	var ids []int64
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		ids, err = s.write(ctx, tx, actor, cid, c, spans, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.byIDs(ctx, actor, cid, ids)
}

// RecordTx writes a service as the office would, on the caller's
// transaction and as of at (when it was recorded), and returns the new
// records' ids. It is for the demo seed, which writes its past
// activities' rosters inside one transaction per step; the checks are
// Record's, the reads of volunteers and teams outside tx (they were
// written by earlier, committed steps).
func (s *Service) RecordTx(ctx context.Context, tx *db.Tx, actor *accounts.Principal, cid int64, in Input, at time.Time) ([]int64, error) {
	c, spans, err := s.prepare(ctx, volunteers.Access{Member: true, Office: true}, cid, in, at)
	if err != nil {
		return nil, err
	}
	return s.write(ctx, tx, actor, cid, c, spans, at)
}

// span is one volunteer's own part of a service.
type span struct {
	start, end time.Time
	minutes    int
}

// prepare checks in for an actor with access acc and works out each
// volunteer's times.
func (s *Service) prepare(ctx context.Context, acc volunteers.Access, cid int64, in Input, now time.Time) (clean, map[int64]span, error) {
	c, err := s.check(ctx, cid, in, now)
	if err != nil {
		return c, nil, err
	}
	in = c.in
	if !acc.Office {
		// A leader records for their own team only, and its members then.
		if in.TeamID == 0 || !acc.Leads(in.TeamID) {
			return c, nil, apperr.ForbiddenErr()
		}
	}
	var v apperr.Validation
	for _, id := range in.Volunteers {
		var vcid int64
		var status string
		err := s.db.QueryRow(ctx, `SELECT community_id, status FROM volunteers WHERE id = ?`, id).Scan(&vcid, &status)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && vcid != cid) {
			v.Add("volunteers", "record.volunteer.unknown", map[string]any{"id": id})
			continue
		}
		if err != nil {
			return c, nil, fmt.Errorf("hours: volunteer: %w", err)
		}
		if status != "active" {
			v.Add("volunteers", "volunteer.inactive", nil)
			continue
		}
		// A roster or back-fill is of the team's members; check-ins of an
		// activity the team ran may include others who came (walk-ins,
		// volunteers of all teams): the attendance is the proof.
		if in.TeamID != 0 && in.Captured != CapturedCheckin {
			ok, err := s.vol.MemberOn(ctx, in.TeamID, id, in.Date)
			if err != nil {
				return c, nil, err
			}
			if !ok {
				v.Add("volunteers", "record.not_member", map[string]any{"id": id})
			}
		}
	}
	// Each volunteer's own times, when given: inside the service's.
	spans := map[int64]span{}
	for _, vid := range in.Volunteers {
		sp := span{c.start, c.end, c.minutes}
		if t, ok := in.Times[vid]; ok {
			st, err1 := time.ParseInLocation("2006-01-02 15:04", in.Date+" "+t[0], clock.Shanghai)
			en, err2 := time.ParseInLocation("2006-01-02 15:04", in.Date+" "+t[1], clock.Shanghai)
			if err1 != nil || err2 != nil || !en.After(st) || st.Before(c.start) || en.After(c.end) {
				v.Add("volunteers", "record.times.outside", map[string]any{"id": vid})
				continue
			}
			sp = span{st.UTC(), en.UTC(), int(en.Sub(st) / time.Minute)}
		}
		spans[vid] = sp
	}
	if err := v.Err(); err != nil {
		return c, nil, err
	}
	return c, spans, nil
}

// write inserts the prepared records, their batch and the audit entry.
func (s *Service) write(ctx context.Context, tx *db.Tx, actor *accounts.Principal, cid int64, c clean, spans map[int64]span, now time.Time) ([]int64, error) {
	in := c.in
	bulkRound := in.Captured == CapturedBackfill && len(in.Volunteers) >= 5 && c.minutes%60 == 0
	batch := newBatch()
	var ids []int64
	for _, vid := range in.Volunteers {
		c := c
		c.start, c.end, c.minutes = spans[vid].start, spans[vid].end, spans[vid].minutes
		var dup int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM service_records r WHERE r.volunteer_id = ? AND r.started_at = ? AND r.ended_at = ?
			AND `+notReversal+` AND NOT EXISTS (SELECT 1 FROM service_records x WHERE x.reverses_id = r.id)`, vid, c.start, c.end).Scan(&dup); err != nil {
			return nil, fmt.Errorf("hours: duplicate check: %w", err)
		}
		if dup > 0 {
			return nil, apperr.New(apperr.Conflict, "record.duplicate").With(map[string]any{"id": vid})
		}
		flags, err := s.flagsFor(ctx, tx, vid, in.Date, c.start, c.end, c.minutes)
		if err != nil {
			return nil, err
		}
		if bulkRound {
			flags = append(flags, FlagBulkRound)
		}
		if c.late {
			flags = append(flags, FlagLate)
		}
		var id int64
		err = tx.QueryRow(ctx, `INSERT INTO service_records (community_id, volunteer_id, team_id, activity_name, service_date, place, content,
			started_at, ended_at, minutes, organiser, person_in_charge, category, captured, serves_kind, serves_id, batch,
			recorded_by, recorded_at, due_on, late, flags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			cid, vid, nullID(in.TeamID), in.ActivityName, in.Date, in.Place, in.Content, c.start, c.end, c.minutes, in.Organiser,
			in.PersonInCharge, in.Category, in.Captured, in.ServesKind, nullID(in.ServesID), batch, nullID(actor.AccountID), now,
			c.due, c.late, strings.Join(flags, ",")).Scan(&id)
		if err != nil {
			return nil, fmt.Errorf("hours: insert record: %w", err)
		}
		if in.Captured != CapturedBackfill {
			if err := Rollup(ctx, tx, cid, vid, in.TeamID, in.Category, in.Date, c.minutes, 1); err != nil {
				return nil, err
			}
		}
		ids = append(ids, id)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO record_batches (batch, community_id, team_id, category, activity_name, service_date, people, recorded_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, batch, cid, nullID(in.TeamID), in.Category, in.ActivityName, in.Date, len(ids), now); err != nil {
		return nil, fmt.Errorf("hours: batch: %w", err)
	}
	e := actor.Audit(now, "record.create", cid)
	e.ObjectType, e.ObjectID, e.Detail = "service_records", batch, fmt.Sprintf("%s %s %d×%d min", in.ActivityName, in.Date, len(ids), c.minutes)
	if err := audit.Record(ctx, tx, e); err != nil {
		return nil, err
	}
	return ids, nil
}

// flagsFor raises overlap and over-12-hours flags for a new record of
// volunteer vid against the records already there (reversed ones and
// refused back-fills aside).
func (s *Service) flagsFor(ctx context.Context, q db.Querier, vid int64, date string, start, end time.Time, minutes int) ([]string, error) {
	var overlap, sameDay int
	err := q.QueryRow(ctx, `SELECT
		COALESCE(SUM(CASE WHEN r.started_at < ? AND r.ended_at > ? THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN r.service_date = ? THEN r.minutes ELSE 0 END), 0)
		FROM service_records r
		WHERE r.volunteer_id = ? AND r.service_date BETWEEN ? AND ? AND `+notReversal+`
		AND NOT EXISTS (SELECT 1 FROM service_records x WHERE x.reverses_id = r.id)
		AND NOT EXISTS (SELECT 1 FROM record_decisions d WHERE d.record_id = r.id AND d.decision = 'refuse')`,
		end, start, date, vid, prevDay(date), date).Scan(&overlap, &sameDay)
	if err != nil {
		return nil, fmt.Errorf("hours: flags: %w", err)
	}
	var flags []string
	if overlap > 0 {
		flags = append(flags, FlagOverlap)
	}
	if sameDay+minutes > MaxPerDay {
		flags = append(flags, FlagOver12)
	}
	return flags, nil
}

func prevDay(date string) string {
	d, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return date
	}
	return d.AddDate(0, 0, -1).Format(time.DateOnly)
}

// Rollup adds minutes (and a record count) to the month's totals, inside
// the transaction that writes the record or decision (the demo seed
// writes its year of records in bulk and calls it too).
func Rollup(ctx context.Context, tx *db.Tx, cid, vid, team int64, category, date string, minutes, records int) error {
	_, err := tx.Exec(ctx, `INSERT INTO hours_rollup (community_id, volunteer_id, team_id, category, month, minutes, records) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (community_id, volunteer_id, team_id, category, month) DO UPDATE SET minutes = hours_rollup.minutes + excluded.minutes,
		records = hours_rollup.records + excluded.records`, cid, vid, team, category, date[:7], minutes, records)
	if err != nil {
		return fmt.Errorf("hours: rollup: %w", err)
	}
	return nil
}

func newBatch() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// state is what decides whether a record counts.
type state struct {
	cid, vid, team int64
	minutes        int
	category, date string
	captured       string
	reversesID     int64
	reversedBy     int64
	decision       string
	recordedBy     int64
}

func (s *Service) state(ctx context.Context, q db.Querier, id int64) (*state, error) {
	var st state
	var team, rev, recBy sql.NullInt64
	err := q.QueryRow(ctx, `SELECT r.community_id, r.volunteer_id, r.team_id, r.minutes, r.category, r.service_date, r.captured, r.reverses_id,
		COALESCE((SELECT x.id FROM service_records x WHERE x.reverses_id = r.id), 0),
		COALESCE((SELECT d.decision FROM record_decisions d WHERE d.record_id = r.id), ''), r.recorded_by
		FROM service_records r WHERE r.id = ?`, id).Scan(&st.cid, &st.vid, &team, &st.minutes, &st.category, &st.date, &st.captured, &rev,
		&st.reversedBy, &st.decision, &recBy)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFoundErr()
	}
	if err != nil {
		return nil, fmt.Errorf("hours: record state: %w", err)
	}
	st.team, st.reversesID, st.recordedBy = team.Int64, rev.Int64, recBy.Int64
	return &st, nil
}

func (st *state) counts() bool {
	return st.captured != CapturedBackfill || st.decision == "confirm"
}

// canManage: the office, or a leader of the record's team.
func canManage(acc volunteers.Access, st *state) bool {
	return acc.Office || (st.team != 0 && acc.Leads(st.team))
}

// Reverse corrects a record with a reversing entry: the record stays, a
// new entry cancels it, with a reason. Who may record it may reverse it.
func (s *Service) Reverse(ctx context.Context, actor *accounts.Principal, id int64, reason string) (*Record, error) {
	reason = strings.TrimSpace(reason)
	if n := utf8.RuneCountInString(reason); n < 2 || n > 200 {
		return nil, apperr.New(apperr.Invalid, "error.invalid").Field("reason", "registry.reason.required", nil)
	}
	st, err := s.state(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	acc, err := s.vol.AccessOf(ctx, actor, st.cid)
	if err != nil {
		return nil, err
	}
	if !acc.Member {
		return nil, apperr.NotFoundErr()
	}
	if !canManage(acc, st) {
		return nil, apperr.ForbiddenErr()
	}
	now := s.clock.Now()
	var newID int64
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		// Read again inside the transaction: two reversals may race.
		st, err := s.state(ctx, tx, id)
		if err != nil {
			return err
		}
		switch {
		case st.reversesID != 0:
			return apperr.New(apperr.Conflict, "record.reverse.reversal")
		case st.reversedBy != 0:
			return apperr.New(apperr.Conflict, "record.reverse.twice")
		case st.decision == "refuse":
			return apperr.New(apperr.Conflict, "record.reverse.refused")
		}
		err = tx.QueryRow(ctx, `INSERT INTO service_records (community_id, volunteer_id, team_id, activity_name, service_date, place, content,
			started_at, ended_at, minutes, organiser, person_in_charge, category, captured, serves_kind, serves_id, batch,
			recorded_by, recorded_at, due_on, late, flags, reverses_id, reason)
			SELECT community_id, volunteer_id, team_id, activity_name, service_date, place, content, started_at, ended_at, -minutes,
			organiser, person_in_charge, category, captured, serves_kind, serves_id, batch, ?, ?, due_on, ?, '', id, ?
			FROM service_records WHERE id = ? RETURNING id`, nullID(actor.AccountID), now, false, reason, id).Scan(&newID)
		if db.IsUniqueViolation(err) {
			return apperr.New(apperr.Conflict, "record.reverse.twice")
		}
		if err != nil {
			return fmt.Errorf("hours: reverse: %w", err)
		}
		if st.counts() {
			if err := Rollup(ctx, tx, st.cid, st.vid, st.team, st.category, st.date, -st.minutes, -1); err != nil {
				return err
			}
		}
		e := actor.Audit(now, "record.reverse", st.cid)
		e.ObjectType, e.ObjectID, e.Detail = "service_record", fmt.Sprint(id), reason
		return audit.Record(ctx, tx, e)
	})
	if err != nil {
		return nil, err
	}
	out, err := s.byIDs(ctx, actor, st.cid, []int64{newID})
	if err != nil || len(out) == 0 {
		return nil, err
	}
	return &out[0], nil
}

// Decide confirms or refuses a back-filled record: a leader of its team or
// the office (the residents' committee keeps the record, 办法 第二十六条),
// never the person who entered it.
func (s *Service) Decide(ctx context.Context, actor *accounts.Principal, id int64, decision, note string) (*Record, error) {
	if decision != "confirm" && decision != "refuse" {
		return nil, apperr.New(apperr.Invalid, "error.invalid").Field("decision", "record.decision.invalid", nil)
	}
	note = strings.TrimSpace(note)
	if utf8.RuneCountInString(note) > 200 {
		return nil, apperr.New(apperr.Invalid, "error.invalid").Field("note", "record.note.invalid", nil)
	}
	st, err := s.state(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	acc, err := s.vol.AccessOf(ctx, actor, st.cid)
	if err != nil {
		return nil, err
	}
	if !acc.Member {
		return nil, apperr.NotFoundErr()
	}
	mayDecide := acc.Office || (st.team != 0 && acc.Leads(st.team))
	if !mayDecide || (st.recordedBy != 0 && st.recordedBy == actor.AccountID) {
		return nil, apperr.New(apperr.Forbidden, "record.decide.who")
	}
	now := s.clock.Now()
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		st, err := s.state(ctx, tx, id)
		if err != nil {
			return err
		}
		switch {
		case st.captured != CapturedBackfill || st.reversesID != 0:
			return apperr.New(apperr.Conflict, "record.decide.not_backfill")
		case st.reversedBy != 0:
			return apperr.New(apperr.Conflict, "record.decide.reversed")
		}
		_, err = tx.Exec(ctx, `INSERT INTO record_decisions (community_id, record_id, decision, note, decided_by, decided_at) VALUES (?, ?, ?, ?, ?, ?)`,
			st.cid, id, decision, note, nullID(actor.AccountID), now)
		if db.IsUniqueViolation(err) {
			return apperr.New(apperr.Conflict, "record.decide.done")
		}
		if err != nil {
			return fmt.Errorf("hours: decide: %w", err)
		}
		if decision == "confirm" {
			if err := Rollup(ctx, tx, st.cid, st.vid, st.team, st.category, st.date, st.minutes, 1); err != nil {
				return err
			}
		}
		e := actor.Audit(now, "record."+decision, st.cid)
		e.ObjectType, e.ObjectID, e.Detail = "service_record", fmt.Sprint(id), note
		return audit.Record(ctx, tx, e)
	})
	if err != nil {
		return nil, err
	}
	out, err := s.byIDs(ctx, actor, st.cid, []int64{id})
	if err != nil || len(out) == 0 {
		return nil, err
	}
	return &out[0], nil
}
