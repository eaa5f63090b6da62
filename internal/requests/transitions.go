package requests

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/notify"
)

// Step is one transition asked for. Which fields it needs is said by its
// row of Machine and by the action: Handler to dispatch, Into to merge,
// Resolved and Satisfaction for a callback, Until (optional) for an
// extension.
type Step struct {
	Action       Action       `json:"-"`
	Note         string       `json:"note,omitempty"`
	Reason       string       `json:"reason,omitempty"`
	Handler      *Handler     `json:"handler,omitempty"`
	Into         int64        `json:"into,omitempty"`
	Until        *time.Time   `json:"until,omitempty"`
	Resolved     *bool        `json:"resolved,omitempty"`
	Satisfaction Satisfaction `json:"satisfaction,omitempty"`
	// Days moves the feedback due by this many working days when an
	// extension is approved (deadlines.go); 0 keeps Until's date.
	Days int `json:"days,omitempty"`
	// Photos are uploads as received, kept with this step's event
	// (photos.go); the web's step forms send them, as does the API's
	// step endpoint when its body is multipart (a "step" part with the
	// JSON, "photo" parts).
	Photos [][]byte `json:"-"`
}

// event is one timeline row to write.
type event struct {
	action       Action
	from, to     Status
	note, reason string
	handler      *Handler
	until        *time.Time
	resolved     *bool
	satisfaction Satisfaction
}

// Do takes one step of request id's life cycle for the actor and
// returns the request as it is afterwards (the requester's name masked
// unless the actor is the requester). Refused, in this order: an
// unknown action (Invalid), a request outside the actor's reach
// (NotFound), a step of a side the actor is not on (Forbidden), a step
// the machine does not allow from the current status (Conflict,
// request.transition.invalid), missing or bad fields (Invalid), and
// losing a race to another step (Conflict, request.changed). A refused
// step changes nothing.
func (s *Service) Do(ctx context.Context, actor *accounts.Principal, id int64, st Step) (*Request, error) {
	t, ok := Machine[st.Action]
	if !ok {
		return nil, apperr.New(apperr.Invalid, "request.action.unknown")
	}
	r, rc, rel, err := s.find(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	if !rel.may(t.Side) {
		return nil, apperr.New(apperr.Forbidden, "request.side.forbidden")
	}
	from := Status(r.status)
	if !Allowed(from, st.Action) {
		return nil, apperr.New(apperr.Conflict, "request.transition.invalid").
			With(map[string]any{"action": string(st.Action), "status": string(from)})
	}
	now := s.clock.Now().UTC()
	ev := event{action: st.Action, from: from, to: t.To, note: cleanText(st.Note), reason: cleanText(st.Reason)}
	var v apperr.Validation
	if t.Reason && utf8.RuneCountInString(ev.reason) < 2 {
		v.Add("reason", "request.reason.required", nil)
	} else {
		checkText(&v, "reason", ev.reason, 500)
	}
	if t.Note && utf8.RuneCountInString(ev.note) < 2 {
		v.Add("note", "request.note.required", nil)
	} else {
		checkText(&v, "note", ev.note, 2000)
	}
	switch st.Action {
	case ActDispatch:
		if st.Handler == nil {
			// No handler named: the community's routing decides (routing.go).
			if st.Handler, err = s.routeFor(ctx, r); err != nil {
				return nil, err
			}
		}
		if err := s.checkHandler(ctx, r.cid, st.Handler, &v); err != nil {
			return nil, err
		}
		ev.handler = st.Handler
	case ActMerge:
		if err := s.checkMergeTarget(ctx, rc, r, st.Into, &v); err != nil {
			return nil, err
		}
	case ActExtension:
		if st.Until != nil {
			if !st.Until.After(now) {
				v.Add("until", "request.until.past", nil)
			}
			u := st.Until.UTC()
			ev.until = &u
		}
	case ActApproveExtension:
		if st.Days < 0 || st.Days > MaxExtensionDays {
			v.Add("days", "request.days.invalid", map[string]any{"max": MaxExtensionDays})
		}
	case ActCallback:
		if st.Resolved == nil {
			v.Add("resolved", "request.resolved.required", nil)
		}
		if !slices.Contains(Satisfactions, st.Satisfaction) {
			v.Add("satisfaction", "request.satisfaction.invalid", nil)
		}
		ev.resolved, ev.satisfaction = st.Resolved, st.Satisfaction
	case ActReopen:
		if !r.closedAt.Valid || now.Sub(r.closedAt.Time) > ReopenWindowDays*24*time.Hour {
			return nil, apperr.New(apperr.Conflict, "request.reopen.expired").With(map[string]any{"days": ReopenWindowDays})
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	dues, err := s.stepDues(ctx, r, st, now)
	if err != nil {
		return nil, err
	}
	sets := []string{"status = ?", "last_seq = last_seq + 1", "updated_at = ?"}
	args := []any{string(t.To), now}
	set := func(col string, val any) {
		sets = append(sets, col+" = ?")
		args = append(args, val)
	}
	for _, col := range []string{"feedback_due", "sign_due"} {
		if due, ok := dues[col]; ok {
			set(col, due)
		}
	}
	var ks []kept
	if len(st.Photos) > 0 {
		have, err := s.photoCount(ctx, r.id)
		if err != nil {
			return nil, err
		}
		if ks, err = s.keepPhotos(ctx, have, st.Photos); err != nil {
			return nil, err
		}
	}
	switch st.Action {
	case ActAccept:
		set("accepted_at", now)
	case ActMerge:
		set("merged_into", st.Into)
	case ActDispatch:
		set("handler_kind", string(st.Handler.Kind))
		set("handler_id", st.Handler.ID)
		set("dispatched_at", now)
		sets = append(sets, "signed_at = NULL")
	case ActSign:
		set("signed_at", now)
	case ActResult:
		set("result_at", now)
	case ActCallback:
		set("resolved", *st.Resolved)
		set("satisfaction", string(st.Satisfaction))
		set("closed_at", now)
	case ActReopen:
		sets = append(sets, "closed_at = NULL", "resolved = NULL", "satisfaction = NULL", "reopen_count = reopen_count + 1")
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		// The conditional update is the lock: of two steps racing from the
		// same status only one finds it still there.
		var seq int64
		err := tx.QueryRow(ctx, `UPDATE requests SET `+strings.Join(sets, ", ")+` WHERE id = ? AND status = ? RETURNING last_seq`,
			append(args, r.id, string(from))...).Scan(&seq)
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.New(apperr.Conflict, "request.changed")
		}
		if err != nil {
			return fmt.Errorf("requests: %s: %w", st.Action, err)
		}
		if st.Action == ActApproveExtension && st.Days == 0 {
			// The new feedback due time is the one asked for, if one was.
			if _, err := tx.Exec(ctx, `UPDATE requests SET feedback_due = COALESCE((SELECT until_at FROM request_events
				WHERE request_id = ? AND action = ? ORDER BY seq DESC LIMIT 1), feedback_due) WHERE id = ?`,
				r.id, string(ActExtension), r.id); err != nil {
				return fmt.Errorf("requests: extension due: %w", err)
			}
		}
		if err := s.event(ctx, tx, actor, r.cid, r.id, seq, ev, now); err != nil {
			return err
		}
		if err := s.recordPhotos(ctx, tx, actor, r.cid, r.id, seq, ks, now); err != nil {
			return err
		}
		if st.Action == ActMerge {
			if err := s.absorb(ctx, tx, actor, r, st.Into, now); err != nil {
				return err
			}
		}
		detail := ev.reason
		if detail == "" {
			detail = ev.note
		}
		if err := s.record(ctx, tx, actor, "request."+string(st.Action), r.cid, r.id, detail); err != nil {
			return err
		}
		return s.tell(ctx, tx, r, st, seq)
	})
	if err != nil {
		s.discard(ks)
		return nil, err
	}
	after, err := s.load(ctx, id)
	if err != nil {
		return nil, err
	}
	// The answer to a step shows the requester's name masked (whole
	// only to the requester): reading it whole is Get's, audited.
	rel = rc.relationTo(after)
	return s.fullView(ctx, after, rel, rel.requester)
}

// event appends one row to request id's timeline.
func (s *Service) event(ctx context.Context, q db.Querier, actor *accounts.Principal, cid, id, seq int64, e event, at time.Time) error {
	role := actor.Audit(at, "", cid).Role
	var hk, hid, until, resolved, sat any
	if e.handler != nil {
		hk, hid = string(e.handler.Kind), e.handler.ID
	}
	if e.until != nil {
		until = *e.until
	}
	if e.resolved != nil {
		resolved = *e.resolved
	}
	if e.satisfaction != "" {
		sat = string(e.satisfaction)
	}
	_, err := q.Exec(ctx, `INSERT INTO request_events (community_id, request_id, seq, action, from_status, to_status, actor_id, actor_role,
		at, note, reason, handler_kind, handler_id, until_at, resolved, satisfaction) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		cid, id, seq, string(e.action), string(e.from), string(e.to), nullID(actor.AccountID), role, at, e.note, e.reason,
		hk, hid, until, resolved, sat)
	if err != nil {
		return fmt.Errorf("requests: event %s: %w", e.action, err)
	}
	return nil
}

// checkHandler validates a dispatch target: it must exist in community
// cid; a worker account must hold an office or grid grant there.
func (s *Service) checkHandler(ctx context.Context, cid int64, h *Handler, v *apperr.Validation) error {
	if h == nil || !slices.Contains(HandlerKinds, h.Kind) || h.ID <= 0 {
		v.Add("handler", "request.handler.invalid", nil)
		return nil
	}
	var q string
	switch h.Kind {
	case HandlerTeam:
		q = `SELECT count(*) FROM teams WHERE id = ? AND community_id = ?`
	case HandlerOrganisation:
		q = `SELECT count(*) FROM organisations WHERE id = ? AND community_id = ?`
	case HandlerVolunteer:
		q = `SELECT count(*) FROM volunteers WHERE id = ? AND community_id = ? AND status = 'active'`
	case HandlerAccount:
		q = `SELECT count(*) FROM grants g JOIN accounts a ON a.id = g.account_id
			WHERE g.account_id = ? AND g.community_id = ? AND g.role IN ('admin', 'worker', 'grid') AND a.disabled_at IS NULL`
	}
	var n int
	if err := s.db.QueryRow(ctx, q, h.ID, cid).Scan(&n); err != nil {
		return fmt.Errorf("requests: check handler: %w", err)
	}
	if n == 0 {
		v.Add("handler", "request.handler.unknown", nil)
	}
	return nil
}

// checkMergeTarget validates the request r is to be merged into: another
// open request of the same community that the actor can see.
func (s *Service) checkMergeTarget(ctx context.Context, rc reach, r *row, into int64, v *apperr.Validation) error {
	if into == 0 || into == r.id {
		v.Add("into", "request.merge.target", nil)
		return nil
	}
	t, err := s.load(ctx, into)
	if apperr.Is(err, apperr.NotFound) {
		v.Add("into", "request.merge.target", nil)
		return nil
	}
	if err != nil {
		return err
	}
	if t.cid != r.cid || !rc.relationTo(t).read || !Status(t.status).Open() {
		v.Add("into", "request.merge.target", nil)
	}
	return nil
}

// absorb links merged request r to its target and notes the merge on the
// target's timeline. The target must still be open: a conditional
// update again, so a merge racing the target's closing cannot leave a
// request merged into a closed one.
func (s *Service) absorb(ctx context.Context, tx *db.Tx, actor *accounts.Principal, r *row, into int64, now time.Time) error {
	var seq int64
	var status string
	err := tx.QueryRow(ctx, `UPDATE requests SET last_seq = last_seq + 1, updated_at = ?
		WHERE id = ? AND community_id = ? AND status NOT IN (?, ?, ?) RETURNING last_seq, status`,
		now, into, r.cid, string(Rejected), string(Merged), string(Closed)).Scan(&seq, &status)
	if errors.Is(err, sql.ErrNoRows) {
		return apperr.New(apperr.Invalid, "error.invalid").Field("into", "request.merge.target", nil)
	}
	if err != nil {
		return fmt.Errorf("requests: merge target: %w", err)
	}
	a, b := min(r.id, into), max(r.id, into)
	if _, err := tx.Exec(ctx, `INSERT INTO request_links (request_id, linked_id, kind, created_by, created_at) VALUES (?, ?, 'duplicate', ?, ?)
		ON CONFLICT (request_id, linked_id) DO UPDATE SET kind = 'duplicate'`, a, b, nullID(actor.AccountID), now); err != nil {
		return fmt.Errorf("requests: link: %w", err)
	}
	return s.event(ctx, tx, actor, r.cid, into, seq, event{action: "absorb", from: Status(status), to: Status(status),
		note: r.number}, now)
}

// tell notifies whom a step concerns: the handler's people when a request
// is dispatched to them, the requester when it awaits their callback.
func (s *Service) tell(ctx context.Context, tx *db.Tx, r *row, st Step, seq int64) error {
	if s.notify == nil {
		return nil
	}
	var to []int64
	var title string
	switch st.Action {
	case ActDispatch:
		ids, err := handlerAccounts(ctx, tx, r.cid, *st.Handler)
		if err != nil {
			return err
		}
		to, title = ids, "新派单 "+r.number
	case ActVerify:
		if r.requesterAccount != 0 {
			to, title = []int64{r.requesterAccount}, "诉求已办理，请评价 "+r.number
		}
	default:
		return nil
	}
	kind := "request." + string(st.Action)
	for _, a := range to {
		if _, _, err := s.notify.Send(ctx, tx, notify.Notification{CommunityID: r.cid, AccountID: a, Kind: kind,
			EventID: fmt.Sprintf("%s:%d:%d:account:%d", kind, r.id, seq, a), Title: title,
			Link: fmt.Sprintf("/requests/%d", r.id)}); err != nil {
			return err
		}
	}
	return nil
}

// handlerAccounts lists the accounts that act for handler h in community
// cid: a team's leaders, an organisation's partner staff, a volunteer's
// own account, or the account itself.
func handlerAccounts(ctx context.Context, q db.Querier, cid int64, h Handler) ([]int64, error) {
	var query string
	switch h.Kind {
	case HandlerTeam:
		query = `SELECT DISTINCT account_id FROM grants WHERE community_id = ? AND role = 'leader' AND team_id = ? ORDER BY 1`
	case HandlerOrganisation:
		query = `SELECT DISTINCT account_id FROM grants WHERE community_id = ? AND role = 'partner' AND organisation_id = ? ORDER BY 1`
	case HandlerVolunteer:
		query = `SELECT account_id FROM volunteers WHERE community_id = ? AND id = ? AND account_id IS NOT NULL`
	case HandlerAccount:
		return []int64{h.ID}, nil
	default:
		return nil, nil
	}
	rows, err := q.Query(ctx, query, cid, h.ID)
	if err != nil {
		return nil, fmt.Errorf("requests: handler accounts: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("requests: handler accounts: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
