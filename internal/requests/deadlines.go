package requests

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/calendar"
	"github.com/linli/linli/internal/db"
)

// Limit is one time limit: clock hours or working days of the
// community's holiday calendar (internal/calendar), exactly one set.
type Limit struct {
	Hours int `json:"hours,omitempty"`
	Days  int `json:"days,omitempty"`
}

// Deadlines are the limits of one urgency class: to dispatch a request
// (from intake), for the handler to sign for or return it (from
// dispatch) and to feed back (from acceptance).
type Deadlines struct {
	Urgency  Urgency `json:"urgency"`
	Dispatch Limit   `json:"dispatch"`
	Sign     Limit   `json:"sign"`
	Feedback Limit   `json:"feedback"`
	Custom   bool    `json:"custom"` // set by the community (read only)
}

// DefaultDeadlines are the Beijing 12345 limits (DB11, anchors-china.md
// 4.3): dispatch within 1 h / 2 h / 24 h, feed back within 2 h / 24 h /
// 7 days / 15 days; a complex request is dispatched like a general one.
// The sign-for limit is ours: the dispatch limit again, so a handler has
// as long to take a request up as the office had to send it.
var DefaultDeadlines = map[Urgency]Deadlines{
	UrgencyEmergency: {Urgency: UrgencyEmergency, Dispatch: Limit{Hours: 1}, Sign: Limit{Hours: 1}, Feedback: Limit{Hours: 2}},
	UrgencyUtilities: {Urgency: UrgencyUtilities, Dispatch: Limit{Hours: 2}, Sign: Limit{Hours: 2}, Feedback: Limit{Hours: 24}},
	UrgencyGeneral:   {Urgency: UrgencyGeneral, Dispatch: Limit{Hours: 24}, Sign: Limit{Hours: 24}, Feedback: Limit{Days: 7}},
	UrgencyComplex:   {Urgency: UrgencyComplex, Dispatch: Limit{Hours: 24}, Sign: Limit{Hours: 24}, Feedback: Limit{Days: 15}},
}

// Bounds of a limit: a quarter of a year in hours, sixty working days.
const (
	maxLimitHours = 24 * 90
	maxLimitDays  = 60
	// MaxExtensionDays bounds the working days one approval may add.
	MaxExtensionDays = 30
)

// Deadlines lists the community's limits for every urgency class, for
// anyone of the community.
func (s *Service) Deadlines(ctx context.Context, actor *accounts.Principal, cid int64) ([]Deadlines, error) {
	if !memberOf(actor, cid) {
		return nil, apperr.NotFoundErr()
	}
	out := make([]Deadlines, 0, len(Urgencies))
	for _, u := range Urgencies {
		d, err := s.limits(ctx, s.db, cid, u)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// SetDeadlines replaces the limits of the classes given (the others stay
// as they are), for the office. A class set back to the defaults is kept
// as set; nothing is written unless every class is valid.
func (s *Service) SetDeadlines(ctx context.Context, actor *accounts.Principal, cid int64, in []Deadlines) ([]Deadlines, error) {
	if err := s.office(ctx, actor, cid); err != nil {
		return nil, err
	}
	var v apperr.Validation
	if len(in) == 0 {
		v.Add("deadlines", "request.deadline.empty", nil)
	}
	seen := map[Urgency]bool{}
	for i, d := range in {
		f := fmt.Sprintf("deadlines[%d]", i)
		if !slices.Contains(Urgencies, d.Urgency) {
			v.Add(f+".urgency", "request.urgency.invalid", nil)
		} else if seen[d.Urgency] {
			v.Add(f+".urgency", "request.deadline.duplicate", nil)
		}
		seen[d.Urgency] = true
		checkLimit(&v, f+".dispatch", d.Dispatch)
		checkLimit(&v, f+".sign", d.Sign)
		checkLimit(&v, f+".feedback", d.Feedback)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	now := s.clock.Now().UTC()
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		for _, d := range in {
			if _, err := tx.Exec(ctx, `INSERT INTO request_deadlines (community_id, urgency, dispatch_hours, dispatch_days, sign_hours,
				sign_days, feedback_hours, feedback_days, updated_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (community_id, urgency) DO UPDATE SET dispatch_hours = excluded.dispatch_hours,
				dispatch_days = excluded.dispatch_days, sign_hours = excluded.sign_hours, sign_days = excluded.sign_days,
				feedback_hours = excluded.feedback_hours, feedback_days = excluded.feedback_days,
				updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
				cid, string(d.Urgency), d.Dispatch.Hours, d.Dispatch.Days, d.Sign.Hours, d.Sign.Days, d.Feedback.Hours,
				d.Feedback.Days, nullID(actor.AccountID), now); err != nil {
				return fmt.Errorf("requests: set deadlines: %w", err)
			}
		}
		return s.record(ctx, tx, actor, "request.deadlines", cid, 0, fmt.Sprint(len(in)))
	})
	if err != nil {
		return nil, err
	}
	return s.Deadlines(ctx, actor, cid)
}

// checkLimit says what is wrong with limit l, if anything: negative, both
// units or neither, or too long.
func checkLimit(v *apperr.Validation, field string, l Limit) {
	switch {
	case l.Hours < 0 || l.Days < 0:
		v.Add(field, "request.deadline.negative", nil)
	case (l.Hours == 0) == (l.Days == 0):
		v.Add(field, "request.deadline.unit", nil)
	case l.Hours > maxLimitHours:
		v.Add(field, "request.deadline.long", map[string]any{"max": maxLimitHours})
	case l.Days > maxLimitDays:
		v.Add(field, "request.deadline.long", map[string]any{"max": maxLimitDays})
	}
}

// office refuses anyone but the community's office (admins, workers, the
// console): outsiders are not found, members forbidden.
func (s *Service) office(ctx context.Context, actor *accounts.Principal, cid int64) error {
	if !memberOf(actor, cid) {
		return apperr.NotFoundErr()
	}
	rc, err := s.reachOf(ctx, actor, cid)
	if err != nil {
		return err
	}
	if !rc.office {
		return apperr.ForbiddenErr()
	}
	return nil
}

// limits reads one class's limits in community cid: the community's own,
// or the defaults.
func (s *Service) limits(ctx context.Context, q db.Querier, cid int64, u Urgency) (Deadlines, error) {
	d := Deadlines{Urgency: u, Custom: true}
	err := q.QueryRow(ctx, `SELECT dispatch_hours, dispatch_days, sign_hours, sign_days, feedback_hours, feedback_days
		FROM request_deadlines WHERE community_id = ? AND urgency = ?`, cid, string(u)).
		Scan(&d.Dispatch.Hours, &d.Dispatch.Days, &d.Sign.Hours, &d.Sign.Days, &d.Feedback.Hours, &d.Feedback.Days)
	if errors.Is(err, sql.ErrNoRows) {
		def, ok := DefaultDeadlines[u]
		if !ok {
			def = DefaultDeadlines[UrgencyGeneral]
			def.Urgency = u
		}
		return def, nil
	}
	if err != nil {
		return d, fmt.Errorf("requests: deadlines: %w", err)
	}
	return d, nil
}

// after is the moment limit l ends when it starts at from: clock hours,
// or working days counted with the community's holiday calendar.
func (s *Service) after(ctx context.Context, cid int64, from time.Time, l Limit) (time.Time, error) {
	if l.Days > 0 {
		t, err := calendar.New(s.db, s.clock).AddWorkingDays(ctx, cid, from, l.Days)
		if err != nil {
			return t, fmt.Errorf("requests: due: %w", err)
		}
		return t, nil
	}
	return from.Add(time.Duration(l.Hours) * time.Hour).UTC(), nil
}

// stepDues are the due columns a step sets, worked out before its
// transaction (the calendar is read outside it): intake sets the
// dispatch due (in Submit), accepting (and reopening) the feedback due,
// each dispatch the sign-for due, and an approved extension of n working
// days moves the feedback due by n.
func (s *Service) stepDues(ctx context.Context, r *row, st Step, now time.Time) (map[string]time.Time, error) {
	d, err := s.limits(ctx, s.db, r.cid, Urgency(r.urgency))
	if err != nil {
		return nil, err
	}
	out := map[string]time.Time{}
	switch st.Action {
	case ActAccept, ActReopen:
		// A reopened request is work again, with a fresh feedback limit.
		if out["feedback_due"], err = s.after(ctx, r.cid, now, d.Feedback); err != nil {
			return nil, err
		}
	case ActDispatch:
		if out["sign_due"], err = s.after(ctx, r.cid, now, d.Sign); err != nil {
			return nil, err
		}
	case ActApproveExtension:
		if st.Days > 0 {
			from := now
			if r.feedDue.Valid {
				from = r.feedDue.Time
			}
			if out["feedback_due"], err = s.after(ctx, r.cid, from, Limit{Days: st.Days}); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// intakeDue is the dispatch due of a request of class u taken in at now.
func (s *Service) intakeDue(ctx context.Context, cid int64, u Urgency, now time.Time) (time.Time, error) {
	d, err := s.limits(ctx, s.db, cid, u)
	if err != nil {
		return time.Time{}, err
	}
	return s.after(ctx, cid, now, d.Dispatch)
}

// Which due counts in which status: the dispatch due until the request
// is dispatched (again after a return), the sign-for due while it waits
// to be signed for, and the feedback due from acceptance until a result
// is submitted. After the result, the office's verification and the
// callback have no limit here.
var (
	dispatchDueIn = []Status{Submitted, Accepted, Returned}
	signDueIn     = []Status{Dispatched}
	feedbackDueIn = []Status{Accepted, Returned, Dispatched, InProgress, ExtensionRequested}
)

// pending is one due that counts now, with when its clock started.
type pending struct {
	deadline   string // dispatch, sign, feedback
	start, due time.Time
}

// pendingDues lists r's dues that count in its status.
func pendingDues(r *row) []pending {
	var out []pending
	st := Status(r.status)
	add := func(name string, in []Status, due sql.NullTime, start time.Time) {
		if due.Valid && slices.Contains(in, st) {
			out = append(out, pending{deadline: name, start: start, due: due.Time.UTC()})
		}
	}
	add("dispatch", dispatchDueIn, r.dispatchDue, r.createdAt)
	add("sign", signDueIn, r.signDue, r.dispatchedAt.Time)
	add("feedback", feedbackDueIn, r.feedDue, r.acceptedAt.Time)
	return out
}

// dueFlags fills v's due_at (the earliest due that counts), overdue (it
// has passed) and due_soon (less than a quarter of the time allowed is
// left).
func (s *Service) dueFlags(v *Request, r *row) {
	now := s.clock.Now()
	for _, p := range pendingDues(r) {
		if v.DueAt != nil && !p.due.Before(*v.DueAt) {
			continue
		}
		due := p.due
		v.DueAt = &due
		v.Overdue = now.After(due)
		v.DueSoon = !v.Overdue && !p.start.IsZero() && due.Sub(now) < due.Sub(p.start)/4
	}
}

// overdueCondition is "a due that counts has passed", over alias q, with
// its arguments; now is the moment to compare with.
func overdueCondition(now time.Time) (string, []any) {
	var parts []string
	var args []any
	for _, d := range []struct {
		col string
		in  []Status
	}{{"q.dispatch_due", dispatchDueIn}, {"q.sign_due", signDueIn}, {"q.feedback_due", feedbackDueIn}} {
		parts = append(parts, "("+d.col+" < ? AND q.status IN ("+placeholders(len(d.in))+"))")
		args = append(args, now.UTC())
		for _, st := range d.in {
			args = append(args, string(st))
		}
	}
	return "(" + strings.Join(parts, " OR ") + ")", args
}
