package activities

// Editing as a phone calendar does: skip one date, move or change "this
// one", change "this and following" (the series splits in two), change
// the whole series. A date that has started is history and is not
// changed; everyone signed up or waiting for a changed or cancelled date
// is told, once per change.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/teambition/rrule-go"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/audit"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/notify"
)

// Change edits one date or a series; nil fields stay as they are.
//
// For one date ("this one") Title and PlaceID override the series' for
// that date only (PlaceID 0 goes back to the series' place), Start and
// End move it (Start alone keeps its length), Capacity is its own.
//
// For a series, Start and End are the new times of the first date
// changed (the date named by "from", or the first that has not started),
// and the rule runs from there. Description and RRule are series-only.
//
// Capacity below the number already signed up is refused (nobody loses a
// place they were given); capacity raised gives the new places to the
// waitlist in order, and tells them.
type Change struct {
	Title       *string `json:"title,omitempty"`
	Description *string `json:"description,omitempty"`
	PlaceID     *int64  `json:"place_id,omitempty"`
	Capacity    *int    `json:"capacity,omitempty"`
	Start       *string `json:"start,omitempty"`
	End         *string `json:"end,omitempty"`
	RRule       *string `json:"rrule,omitempty"`
}

func (c Change) timed() bool { return c.Start != nil || c.End != nil || c.RRule != nil }

// validate checks the fields that need no database; cid for the place.
func (s *Service) validateChange(ctx context.Context, cid int64, c *Change, v *apperr.Validation) {
	if c.Title != nil {
		t := strings.TrimSpace(*c.Title)
		c.Title = &t
		if n := utf8.RuneCountInString(t); n == 0 || n > 60 {
			v.Add("title", "activity.title.invalid", nil)
		}
	}
	if c.Description != nil && utf8.RuneCountInString(*c.Description) > 1000 {
		v.Add("description", "team.description.long", nil)
	}
	if c.Capacity != nil && (*c.Capacity < 1 || *c.Capacity > 10000) {
		v.Add("capacity", "activity.capacity.invalid", nil)
	}
	if c.PlaceID != nil && *c.PlaceID != 0 && !s.belongs(ctx, "places", *c.PlaceID, cid) {
		v.Add("place_id", "activity.place.unknown", nil)
	}
	if c.RRule != nil {
		r := strings.TrimPrefix(strings.TrimSpace(*c.RRule), "RRULE:")
		c.RRule = &r
	}
}

// times works out new start and end from base (the date's current start
// and length) and the change; ok false when a field was malformed or the
// end is not after the start (added to v).
func times(c Change, base time.Time, minutes int, v *apperr.Validation) (time.Time, time.Time, bool) {
	start, end := base, base.Add(time.Duration(minutes)*time.Minute)
	ok := true
	if c.Start != nil {
		t, good := parseTime(*c.Start)
		if !good {
			v.Add("start", "activity.time.invalid", nil)
			ok = false
		}
		start, end = t, t.Add(time.Duration(minutes)*time.Minute)
	}
	if c.End != nil {
		t, good := parseTime(*c.End)
		if !good {
			v.Add("end", "activity.time.invalid", nil)
			ok = false
		}
		end = t
	}
	if ok && (!end.After(start) || end.Sub(start) > 24*time.Hour) {
		v.Add("end", "record.end.before_start", nil)
		ok = false
	}
	return start, end, ok
}

// editRow is an occurrence as editing needs it.
type editRow struct {
	id, activity          int64
	original, start, end  time.Time
	capacity, signed, rev int
	cancelled             bool
	title                 sql.NullString
	place                 sql.NullInt64
}

const editCols = `id, activity_id, original_start, starts_at, ends_at, capacity, signed, revision, cancelled, title, place_id`

func scanEdit(row interface{ Scan(...any) error }) (editRow, error) {
	var r editRow
	err := row.Scan(&r.id, &r.activity, &r.original, &r.start, &r.end, &r.capacity, &r.signed, &r.rev, &r.cancelled, &r.title, &r.place)
	return r, err
}

// EditOccurrence changes one date ("this one"): move it, retitle it, hold
// it elsewhere, change its capacity. The office and the team's leaders;
// not once it has started.
func (s *Service) EditOccurrence(ctx context.Context, actor *accounts.Principal, id int64, c Change) error {
	o, err := s.occurrence(ctx, s.db, id)
	if err != nil {
		return err
	}
	if err := s.organiser(ctx, actor, o); err != nil {
		return err
	}
	var v apperr.Validation
	if c.Description != nil || c.RRule != nil {
		v.Add("rrule", "activity.edit.series_only", nil)
	}
	s.validateChange(ctx, o.cid, &c, &v)
	cur, err := scanEdit(s.db.QueryRow(ctx, `SELECT `+editCols+` FROM occurrences WHERE id = ?`, id))
	if err != nil {
		return fmt.Errorf("activities: edit occurrence: %w", err)
	}
	// A first look, to refuse a bad edit without writing; the
	// transaction looks again.
	start, _, _ := times(c, cur.start, int(cur.end.Sub(cur.start)/time.Minute), &v)
	if err := s.checkOccurrencePlace(ctx, o.cid, id, c, &v); err != nil {
		return err
	}
	if err := v.Err(); err != nil {
		return err
	}
	now := s.clock.Now()
	switch {
	case cur.cancelled:
		return apperr.New(apperr.Conflict, "activity.cancelled")
	case !now.Before(cur.start) || !now.Before(start):
		return apperr.New(apperr.Conflict, "activity.edit.started")
	}
	s.between("occurrence.edit")
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		// The revision bump is the lock: sign-ups and other edits of this
		// date wait until this one commits. The row is read again under
		// it, so a field this edit leaves alone keeps what a concurrent
		// edit gave it, and a date skipped meanwhile is not filled.
		if _, err := tx.Exec(ctx, `UPDATE occurrences SET revision = revision + 1 WHERE id = ?`, id); err != nil {
			return fmt.Errorf("activities: lock occurrence: %w", err)
		}
		cur, err := scanEdit(tx.QueryRow(ctx, `SELECT `+editCols+` FROM occurrences WHERE id = ?`, id))
		if err != nil {
			return fmt.Errorf("activities: edit occurrence: %w", err)
		}
		var v apperr.Validation
		start, end, _ := times(c, cur.start, int(cur.end.Sub(cur.start)/time.Minute), &v)
		if err := v.Err(); err != nil {
			return err
		}
		switch {
		case cur.cancelled:
			return apperr.New(apperr.Conflict, "activity.cancelled")
		case !now.Before(cur.start) || !now.Before(start):
			return apperr.New(apperr.Conflict, "activity.edit.started")
		}
		signed, rev := cur.signed, cur.rev
		capacity := cur.capacity
		if c.Capacity != nil {
			capacity = *c.Capacity
		}
		if capacity < signed {
			return belowSigned(signed, cur.start)
		}
		title, place := cur.title, cur.place
		if c.Title != nil {
			title = sql.NullString{String: *c.Title, Valid: true}
		}
		if c.PlaceID != nil {
			place = sql.NullInt64{Int64: *c.PlaceID, Valid: *c.PlaceID != 0}
		}
		if _, err := tx.Exec(ctx, `UPDATE occurrences SET title = ?, place_id = ?, starts_at = ?, ends_at = ?, capacity = ? WHERE id = ?`,
			title, place, start.UTC(), end.UTC(), capacity, id); err != nil {
			return fmt.Errorf("activities: edit occurrence: %w", err)
		}
		if title.Valid {
			o.title = title.String
		}
		o.start = start
		if err := s.fill(ctx, tx, o, id, now); err != nil {
			return err
		}
		if !start.Equal(cur.start) || !end.Equal(cur.end) || title != cur.title || place != cur.place {
			if err := s.tell(ctx, tx, o.cid, id, rev, "activity.changed", "活动变更："+o.title,
				"活动时间改为 "+span(start, end)+"，详情请查看活动页面。"); err != nil {
				return err
			}
		}
		e := actor.Audit(now, "activity.occurrence.edit", o.cid)
		e.ObjectType, e.ObjectID, e.Detail = "occurrence", fmt.Sprint(id), span(start, end)
		return audit.Record(ctx, tx, e)
	})
}

// SkipDate cancels one date of a series. It stays in the records with its
// roster; everyone signed up or waiting is told. Not once it has started.
func (s *Service) SkipDate(ctx context.Context, actor *accounts.Principal, id int64) error {
	o, err := s.occurrence(ctx, s.db, id)
	if err != nil {
		return err
	}
	if err := s.organiser(ctx, actor, o); err != nil {
		return err
	}
	now := s.clock.Now()
	switch {
	case o.cancelled:
		return apperr.New(apperr.Conflict, "activity.cancelled")
	case !now.Before(o.start):
		return apperr.New(apperr.Conflict, "activity.edit.started")
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := s.cancelDate(ctx, tx, o.cid, id, o.title, o.start); err != nil {
			return err
		}
		e := actor.Audit(now, "activity.skip", o.cid)
		e.ObjectType, e.ObjectID, e.Detail = "occurrence", fmt.Sprint(id), o.start.In(clock.Shanghai).Format("2006-01-02 15:04")
		return audit.Record(ctx, tx, e)
	})
}

// cancelDate marks one date cancelled and tells its people; of two at
// once, the second finds it cancelled already.
func (s *Service) cancelDate(ctx context.Context, tx *db.Tx, cid, id int64, title string, start time.Time) error {
	var rev int
	err := tx.QueryRow(ctx, `UPDATE occurrences SET cancelled = ?, revision = revision + 1 WHERE id = ? AND NOT cancelled RETURNING revision`, true, id).Scan(&rev)
	if errors.Is(err, sql.ErrNoRows) {
		return apperr.New(apperr.Conflict, "activity.cancelled")
	}
	if err != nil {
		return fmt.Errorf("activities: cancel date: %w", err)
	}
	return s.tell(ctx, tx, cid, id, rev, "activity.cancelled", "活动取消："+title,
		start.In(clock.Shanghai).Format("2006-01-02 15:04")+" 的活动取消了。")
}

// fill gives the free places of an occurrence (after its capacity was
// raised) to the waitlist in order; promote tells each one.
func (s *Service) fill(ctx context.Context, tx *db.Tx, o *occ, id int64, now time.Time) error {
	for {
		res, err := tx.Exec(ctx, `UPDATE occurrences SET signed = signed + 1 WHERE id = ? AND signed < capacity
			AND EXISTS (SELECT 1 FROM signups WHERE occurrence_id = ? AND status = 'waitlisted')`, id, id)
		if err != nil {
			return fmt.Errorf("activities: fill: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return nil
		}
		if err := s.promote(ctx, tx, o, id, now); err != nil {
			return err
		}
	}
}

// tell notifies everyone signed up for or waiting on occurrence id of its
// revision rev: the event id names the occurrence, the revision and the
// account, so each change is told exactly once in the app.
func (s *Service) tell(ctx context.Context, tx *db.Tx, cid, id int64, rev int, kind, title, body string) error {
	if s.notify == nil {
		return nil
	}
	rows, err := tx.Query(ctx, `SELECT volunteer_id FROM signups WHERE occurrence_id = ? AND status IN ('signed', 'waitlisted') ORDER BY id`, id)
	if err != nil {
		return fmt.Errorf("activities: audience: %w", err)
	}
	var vids []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return err
		}
		vids = append(vids, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	seen := map[int64]bool{}
	for _, v := range vids {
		accts, err := s.vol.Accounts(ctx, tx, v)
		if err != nil {
			return err
		}
		for _, a := range accts {
			if seen[a] { // a guardian of two children hears it once
				continue
			}
			seen[a] = true
			if _, _, err := s.notify.Send(ctx, tx, notify.Notification{CommunityID: cid, AccountID: a, Kind: kind,
				EventID: fmt.Sprintf("%s:%d:%d:account:%d", kind, id, rev, a), Title: title, Body: body,
				Link: fmt.Sprintf("/activities/%d", id)}); err != nil {
				return err
			}
		}
	}
	return nil
}

func span(start, end time.Time) string {
	return start.In(clock.Shanghai).Format("2006-01-02 15:04") + "–" + end.In(clock.Shanghai).Format("15:04")
}

func belowSigned(signed int, start time.Time) error {
	return apperr.New(apperr.Invalid, "error.invalid").Field("capacity", "activity.capacity.below_signed",
		map[string]any{"signed": signed, "date": start.In(clock.Shanghai).Format("2006-01-02")})
}

// seriesRow is an activity as editing needs it.
type seriesRow struct {
	id, cid, team      int64
	title, description string
	place              sql.NullInt64
	capacity, minutes  int
	dtstart            time.Time
	rule               string
}

func (s *Service) loadSeries(ctx context.Context, q db.Querier, id int64) (*seriesRow, error) {
	var r seriesRow
	var team sql.NullInt64
	err := q.QueryRow(ctx, `SELECT id, community_id, team_id, title, description, place_id, capacity, minutes, dtstart, rrule FROM activities WHERE id = ?`, id).
		Scan(&r.id, &r.cid, &team, &r.title, &r.description, &r.place, &r.capacity, &r.minutes, &r.dtstart, &r.rule)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFoundErr()
	}
	if err != nil {
		return nil, fmt.Errorf("activities: series: %w", err)
	}
	r.team = team.Int64
	return &r, nil
}

// until ends rule before t: UNTIL replaces COUNT (RFC 5545 allows one).
func until(rule string, t time.Time) (string, error) {
	opt, err := rrule.StrToROptionInLocation(rule, clock.Shanghai)
	if err != nil {
		return "", err
	}
	opt.Count = 0
	opt.Until = t.Add(-time.Second).UTC()
	return opt.RRuleString(), nil
}

// remaining rewrites a rule that ends (COUNT or UNTIL) for a series that
// continues from t: COUNT becomes what is left of it, so the new series
// ends on the old one's last date even when its times move (an UNTIL
// kept as it is would gain or lose a date).
func remaining(rule string, dtstart, t time.Time) (string, error) {
	opt, err := rrule.StrToROptionInLocation(rule, clock.Shanghai)
	if err != nil {
		return "", err
	}
	if opt.Count == 0 && opt.Until.IsZero() {
		return rule, nil
	}
	opt.Dtstart = dtstart.In(clock.Shanghai)
	r, err := rrule.NewRRule(*opt)
	if err != nil {
		return "", err
	}
	left := 0
	for _, x := range r.All() { // bounded by COUNT
		if !x.Before(t) {
			left++
		}
	}
	o2 := *opt
	o2.Dtstart, o2.Until = time.Time{}, time.Time{}
	o2.Count = left
	return o2.RRuleString(), nil
}

// EditSeries changes a series: from 0, the whole series; from an
// occurrence's id, that date and the ones after it ("this and following").
//
// "This and following" splits the series: the old activity's rule ends
// (UNTIL) before the date, a new activity naming the old one
// (previous_id) carries the changes and the rule from that date, and the
// dates move to it with their rosters and ids where the new rule still
// falls on their day; dates it no longer has are cancelled, and their
// people told. The whole series is changed in place while none of its
// dates has started; once one has, new times or a new rule split it at
// the first date not started (the past keeps its times), while the
// title, description and place change for all its dates.
//
// When the times or the rule change, dates that had times of their own
// (moved "this one") take the series' new times: the series edit is the
// later word. Titles and places of their own stay.
//
// It returns the id of the activity that now holds the changed dates.
// Any refused field (end before start, a malformed rule, a rule giving
// more than MaxOccurrences dates in a year, capacity below a date's
// sign-ups) changes nothing.
func (s *Service) EditSeries(ctx context.Context, actor *accounts.Principal, activityID, from int64, c Change) (int64, error) {
	old, err := s.loadSeries(ctx, s.db, activityID)
	if err != nil {
		return 0, err
	}
	if err := s.organiser(ctx, actor, &occ{cid: old.cid, team: old.team}); err != nil {
		return 0, err
	}
	var v apperr.Validation
	s.validateChange(ctx, old.cid, &c, &v)
	if err := s.checkSeriesPlace(ctx, old, c, &v); err != nil {
		return 0, err
	}
	now := s.clock.Now()
	// The first date changed: the one named, or the first not started.
	var first editRow
	if from != 0 {
		first, err = scanEdit(s.db.QueryRow(ctx, `SELECT `+editCols+` FROM occurrences WHERE id = ? AND activity_id = ?`, from, activityID))
	} else {
		first, err = scanEdit(s.db.QueryRow(ctx, `SELECT `+editCols+` FROM occurrences WHERE activity_id = ? AND starts_at > ? ORDER BY original_start LIMIT 1`, activityID, now.UTC()))
	}
	if errors.Is(err, sql.ErrNoRows) {
		if from != 0 {
			return 0, apperr.NotFoundErr()
		}
		return 0, apperr.New(apperr.Conflict, "activity.edit.started")
	}
	if err != nil {
		return 0, fmt.Errorf("activities: edit series: %w", err)
	}
	if c == (Change{}) {
		return activityID, nil // nothing to change: no split for nothing
	}
	if !now.Before(first.start) {
		return 0, apperr.New(apperr.Conflict, "activity.edit.started")
	}
	if err := s.checkDatePlaces(ctx, old, first.original, c, &v); err != nil {
		return 0, err
	}
	var earlier int
	if err := s.db.QueryRow(ctx, `SELECT count(*) FROM occurrences WHERE activity_id = ? AND original_start < ?`, activityID, first.original.UTC()).Scan(&earlier); err != nil {
		return 0, fmt.Errorf("activities: edit series: %w", err)
	}
	split := earlier > 0 && (from != 0 || c.timed())

	// The new shape: times from the first date changed, the rule from
	// there (or the old one, with what is left of its COUNT).
	start, end, timesOK := times(c, first.original, old.minutes, &v)
	rule := old.rule
	if c.RRule != nil {
		rule = *c.RRule
	} else if split && rule != "" {
		if rule, err = remaining(old.rule, old.dtstart, first.original); err != nil {
			return 0, fmt.Errorf("activities: edit series: %w", err)
		}
	}
	var starts []time.Time
	if c.timed() && timesOK {
		if starts, err = expand(start, rule, now); err != nil {
			v.Add("rrule", "activity.rrule.invalid", map[string]any{"max": MaxOccurrences})
		} else if len(starts) == 0 {
			v.Add("rrule", "activity.rrule.empty", nil)
		}
	}
	if err := v.Err(); err != nil {
		return 0, err
	}
	if c.timed() && !now.Before(start) {
		return 0, apperr.New(apperr.Conflict, "activity.edit.started")
	}
	minutes := int(end.Sub(start) / time.Minute)
	title, description, place, capacity := old.title, old.description, old.place, old.capacity
	if c.Title != nil {
		title = *c.Title
	}
	if c.Description != nil {
		description = *c.Description
	}
	if c.PlaceID != nil {
		place = sql.NullInt64{Int64: *c.PlaceID, Valid: *c.PlaceID != 0}
	}
	if c.Capacity != nil {
		capacity = *c.Capacity
	}
	var target int64
	s.between("series.edit")
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		target = activityID
		if err := s.claimSeries(ctx, tx, old, from, first, now); err != nil {
			return err
		}
		if split {
			cut, err := until(old.rule, first.original)
			if err != nil {
				return fmt.Errorf("activities: end the old rule: %w", err)
			}
			if from == 0 { // the whole series: the past dates take the new title, description and place too
				_, err = tx.Exec(ctx, `UPDATE activities SET rrule = ?, title = ?, description = ?, place_id = ? WHERE id = ?`, cut, title, description, place, activityID)
			} else {
				_, err = tx.Exec(ctx, `UPDATE activities SET rrule = ? WHERE id = ?`, cut, activityID)
			}
			if err != nil {
				return fmt.Errorf("activities: end the old rule: %w", err)
			}
			err = tx.QueryRow(ctx, `INSERT INTO activities (community_id, title, description, kind, team_id, place_id, category, tasks, risks, protection,
				insurance, min_age, max_age, accompany, walk_ins, open_to, capacity, deadline_hours, visibility, dtstart, minutes, rrule, created_by, created_at, previous_id)
				SELECT community_id, ?, ?, kind, team_id, ?, category, tasks, risks, protection,
				insurance, min_age, max_age, accompany, walk_ins, open_to, ?, deadline_hours, visibility, ?, ?, ?, ?, ?, id FROM activities WHERE id = ? RETURNING id`,
				title, description, place, capacity, start.UTC(), minutes, rule, nullID(actor.AccountID), now, activityID).Scan(&target)
			if err != nil {
				return fmt.Errorf("activities: split series: %w", err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO activity_organisations (activity_id, organisation_id) SELECT ?, organisation_id FROM activity_organisations WHERE activity_id = ?`, target, activityID); err != nil {
				return fmt.Errorf("activities: split series: %w", err)
			}
		} else {
			if c.timed() {
				_, err = tx.Exec(ctx, `UPDATE activities SET title = ?, description = ?, place_id = ?, capacity = ?, dtstart = ?, minutes = ?, rrule = ? WHERE id = ?`,
					title, description, place, capacity, start.UTC(), minutes, rule, activityID)
			} else {
				_, err = tx.Exec(ctx, `UPDATE activities SET title = ?, description = ?, place_id = ?, capacity = ? WHERE id = ?`, title, description, place, capacity, activityID)
			}
			if err != nil {
				return fmt.Errorf("activities: edit series: %w", err)
			}
		}
		err := s.reshape(ctx, tx, reshapeArgs{old: old, target: target, from: first.original, timed: c.timed(), starts: starts, minutes: minutes,
			capacity: c.Capacity, title: title, told: c.Title != nil || c.PlaceID != nil || c.timed(), now: now})
		if err != nil {
			return err
		}
		e := actor.Audit(now, "activity.edit", old.cid)
		e.ObjectType, e.ObjectID, e.Detail = "activity", fmt.Sprint(activityID), fmt.Sprintf("from %s → activity %d", first.original.In(clock.Shanghai).Format("2006-01-02"), target)
		return audit.Record(ctx, tx, e)
	})
	if db.IsUniqueViolation(err) {
		return 0, apperr.New(apperr.Conflict, "activity.edit.clash")
	}
	return target, err
}

// claimSeries locks series old inside an edit's transaction (a write to
// its row: a row lock on PostgreSQL, and SQLite has one writer anyway)
// and checks that the series and the edit's first date are still what
// the edit was worked out from. Two copies of one "this and following"
// edit (a double click, a retry) would otherwise split the series twice,
// and an edit from a later date, racing one from an earlier, would push
// the old rule's end back out: the later of the two is refused instead.
func (s *Service) claimSeries(ctx context.Context, tx *db.Tx, old *seriesRow, from int64, first editRow, now time.Time) error {
	res, err := tx.Exec(ctx, `UPDATE activities SET rrule = rrule WHERE id = ?`, old.id)
	if err != nil {
		return fmt.Errorf("activities: lock series: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return apperr.NotFoundErr()
	}
	cur, err := s.loadSeries(ctx, tx, old.id)
	if err != nil {
		return err
	}
	var again editRow
	if from != 0 {
		again, err = scanEdit(tx.QueryRow(ctx, `SELECT `+editCols+` FROM occurrences WHERE id = ? AND activity_id = ?`, from, old.id))
	} else {
		again, err = scanEdit(tx.QueryRow(ctx, `SELECT `+editCols+` FROM occurrences WHERE activity_id = ? AND starts_at > ? ORDER BY original_start LIMIT 1`, old.id, now.UTC()))
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("activities: edit series: %w", err)
	}
	if errors.Is(err, sql.ErrNoRows) || again.id != first.id || !again.original.Equal(first.original) || !sameSeries(*cur, *old) {
		return apperr.New(apperr.Conflict, "activity.edit.stale")
	}
	return nil
}

// sameSeries tells whether nothing an edit writes back or works from
// changed between two reads of a series.
func sameSeries(a, b seriesRow) bool {
	return a.title == b.title && a.description == b.description && a.place == b.place && a.capacity == b.capacity &&
		a.minutes == b.minutes && a.dtstart.Equal(b.dtstart) && a.rule == b.rule && a.team == b.team
}

type reshapeArgs struct {
	old      *seriesRow
	target   int64
	from     time.Time
	timed    bool        // new times or rule: starts is the new expansion
	starts   []time.Time // the new rule's dates (when timed)
	minutes  int
	capacity *int
	title    string
	told     bool // the dates' people hear of the change
	now      time.Time
}

// reshape moves the old series' dates from a.from on to a.target: each
// keeps its id and roster where the new rule falls on its day (several on
// one day pair up in order), the ones the new rule no longer has are
// cancelled, and new dates are made for the rest of the new rule.
func (s *Service) reshape(ctx context.Context, tx *db.Tx, a reshapeArgs) error {
	if tx.Dialect() == db.Postgres {
		// Lock every date this may change first, in id order, as a batch
		// of sign-ups does (signup_batch.go): two transactions that lock
		// several dates in different orders could each wait for the other.
		// (SQLite has one writer at a time.)
		if _, err := tx.Exec(ctx, `SELECT id FROM occurrences WHERE activity_id = ? AND original_start >= ? ORDER BY id FOR NO KEY UPDATE`,
			a.old.id, a.from.UTC()); err != nil {
			return fmt.Errorf("activities: reshape: lock the dates: %w", err)
		}
	}
	rows, err := tx.Query(ctx, `SELECT `+editCols+` FROM occurrences WHERE activity_id = ? AND original_start >= ? ORDER BY original_start`, a.old.id, a.from.UTC())
	if err != nil {
		return fmt.Errorf("activities: reshape: %w", err)
	}
	var dates []editRow
	for rows.Next() {
		r, err := scanEdit(rows)
		if err != nil {
			rows.Close()
			return err
		}
		dates = append(dates, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	day := func(t time.Time) string { return t.In(clock.Shanghai).Format("2006-01-02") }
	// Pair the dates with the new rule's, day by day.
	pair := map[int64]time.Time{}
	var fresh []time.Time
	if a.timed {
		byDay := map[string][]int{}
		for i, d := range dates {
			byDay[day(d.original)] = append(byDay[day(d.original)], i)
		}
		// Same day first: a series moved a week on keeps each roster on
		// its own day, and no date takes another's place.
		var lone []int
		for i, t := range a.starts {
			q := byDay[day(t)]
			if len(q) == 0 {
				lone = append(lone, i)
				continue
			}
			pair[dates[q[0]].id] = t
			byDay[day(t)] = q[1:]
		}
		if len(dates) > 0 && len(lone) > 0 && lone[0] == 0 {
			if _, taken := pair[dates[0].id]; !taken {
				// The date being edited is the first of the new shape, on
				// whatever day it now falls (none of the old dates is on
				// it): its roster stays with it.
				pair[dates[0].id] = a.starts[0]
				lone = lone[1:]
			}
		}
		for _, i := range lone {
			fresh = append(fresh, a.starts[i])
		}
	} else {
		for _, d := range dates {
			pair[d.id] = d.original
		}
	}
	if a.timed {
		// Two passes: a date may take the original start another still
		// holds (several a day, moved on by hours), and the unique
		// (activity, original start) would refuse the first update. Each
		// kept date first steps aside to a start of its own in 1970.
		for _, d := range dates {
			if _, kept := pair[d.id]; !kept {
				continue
			}
			if _, err := tx.Exec(ctx, `UPDATE occurrences SET original_start = ? WHERE id = ?`, time.Unix(d.id, 0).UTC(), d.id); err != nil {
				return fmt.Errorf("activities: reshape: %w", err)
			}
		}
	}
	for _, d := range dates {
		t, kept := pair[d.id]
		if !kept {
			if d.cancelled {
				continue
			}
			title := a.title
			if d.title.Valid {
				title = d.title.String
			}
			if err := s.cancelDate(ctx, tx, a.old.cid, d.id, title, d.start); err != nil {
				return err
			}
			continue
		}
		capacity := d.capacity
		if a.capacity != nil {
			capacity = *a.capacity
		}
		var rev, signed int
		if err := tx.QueryRow(ctx, `UPDATE occurrences SET revision = revision + 1 WHERE id = ? RETURNING revision, signed`, d.id).Scan(&rev, &signed); err != nil {
			return fmt.Errorf("activities: reshape: %w", err)
		}
		if capacity < signed {
			return belowSigned(signed, d.start)
		}
		start, end := d.start, d.end
		if a.timed {
			start, end = t, t.Add(time.Duration(a.minutes)*time.Minute)
		}
		if _, err := tx.Exec(ctx, `UPDATE occurrences SET activity_id = ?, original_start = ?, starts_at = ?, ends_at = ?, capacity = ? WHERE id = ?`,
			a.target, t.UTC(), start.UTC(), end.UTC(), capacity, d.id); err != nil {
			return fmt.Errorf("activities: reshape: %w", err)
		}
		if d.cancelled {
			continue
		}
		title := a.title
		if d.title.Valid {
			title = d.title.String
		}
		o := &occ{cid: a.old.cid, title: title, start: start}
		if err := s.fill(ctx, tx, o, d.id, a.now); err != nil {
			return err
		}
		if a.told {
			if err := s.tell(ctx, tx, a.old.cid, d.id, rev, "activity.changed", "活动变更："+title,
				"活动时间为 "+span(start, end)+"，详情请查看活动页面。"); err != nil {
				return err
			}
		}
	}
	capacity := a.old.capacity
	if a.capacity != nil {
		capacity = *a.capacity
	}
	for _, t := range fresh {
		if _, err := tx.Exec(ctx, `INSERT INTO occurrences (community_id, activity_id, original_start, starts_at, ends_at, capacity) VALUES (?, ?, ?, ?, ?, ?)`,
			a.old.cid, a.target, t.UTC(), t.UTC(), t.Add(time.Duration(a.minutes)*time.Minute).UTC(), capacity); err != nil {
			return fmt.Errorf("activities: new date: %w", err)
		}
	}
	return nil
}
