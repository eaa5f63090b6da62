package requests

// Seeding past requests. The demo (internal/demo) gives its community a
// year of requests that happened before the program started: each with
// its own times, which Submit and Do cannot write (they stamp the clock's
// now). SeedTx writes them on the caller's transaction, in batches, after
// replaying every step through the same Machine table Do uses: a step the
// machine does not allow, a missing reason, note, handler or callback
// answer, a reopen after the window, a step of a side the actor is not on,
// or time running backwards is an error, not silently written.

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/idcard"
)

// SeedStep is one past transition: Step as Do takes it (Into is the
// index in the batch of the request merged into, not an id), by Actor at At.
type SeedStep struct {
	Step
	Actor *accounts.Principal
	At    time.Time
}

// SeedRequest is one past request: Input as Submit takes it (ResidentID
// or ContactName and ContactPhone; HouseholdID or BuildingID or Address),
// submitted by By at At (Self: By is the requester, on the web), and its
// steps in order. Related are indices of earlier requests of the batch
// it is linked to (the leak and the dispute it led to).
type SeedRequest struct {
	Input
	By      *accounts.Principal
	Self    bool
	At      time.Time
	Steps   []SeedStep
	Related []int
}

// SeedCategories writes community cid's default categories on tx if it
// has none, and returns the ids by code.
func (s *Service) SeedCategories(ctx context.Context, tx *db.Tx, cid int64) (map[string]int64, error) {
	if err := s.ensureCategories(ctx, tx, cid); err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, `SELECT code, id FROM request_categories WHERE community_id = ?`, cid)
	if err != nil {
		return nil, fmt.Errorf("requests: seed categories: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var code string
		var id int64
		if err := rows.Scan(&code, &id); err != nil {
			return nil, fmt.Errorf("requests: seed categories: %w", err)
		}
		out[code] = id
	}
	return out, rows.Err()
}

// seeded is a request of the batch being replayed.
type seeded struct {
	in           *SeedRequest
	number       string
	pl           place
	phone        string
	events       []seedEvent
	status       Status
	handler      *Handler
	mergedInto   int // index, -1: none
	resolved     *bool
	satisfaction Satisfaction
	reopens      int
	updated      time.Time
	// When it was accepted, dispatched, ...: the request's columns.
	accepted, dispatched, signed, result, closed, feedbackDue *time.Time
	// workFrom starts the feedback limit: acceptance, or the last reopen.
	workFrom *time.Time
	// The due columns, as the live steps would have set them (dues).
	dispatchDue, signDue *time.Time
}

type seedEvent struct {
	event
	actor  *accounts.Principal
	at     time.Time
	absorb int // an absorb event: 1 + the index of the request merged in
}

// SeedTx writes the batch rs into community cid on tx and returns their
// ids, in order. rs must be in the order they came in (numbers are issued
// in that order, per year, from the same counter as Submit); every time
// must be at or before the clock's now. Nothing is audited or notified:
// this is history, not something someone did now.
func (s *Service) SeedTx(ctx context.Context, tx *db.Tx, cid int64, rs []SeedRequest) ([]int64, error) {
	if err := s.ensureCategories(ctx, tx, cid); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	w, err := s.seedWorld(ctx, tx, cid)
	if err != nil {
		return nil, err
	}
	out := make([]*seeded, len(rs))
	for i := range rs {
		r := &rs[i]
		if i > 0 && r.At.Before(rs[i-1].At) {
			return nil, fmt.Errorf("requests: seed %d: not in the order they came in", i)
		}
		if r.At.After(now) {
			return nil, fmt.Errorf("requests: seed %d: submitted in the future", i)
		}
		x, err := w.intake(r)
		if err != nil {
			return nil, fmt.Errorf("requests: seed %d: %w", i, err)
		}
		for _, j := range r.Related {
			if j < 0 || j >= i {
				return nil, fmt.Errorf("requests: seed %d: related to %d, not an earlier request", i, j)
			}
		}
		x.events = []seedEvent{{event: event{action: ActSubmit, to: Submitted}, actor: r.By, at: r.At}}
		out[i] = x
	}
	// Replay in the order things happened, across requests: a merge
	// touches its target at the time of the merge.
	type pending struct{ req, step int }
	var order []pending
	for i, r := range rs {
		for j := range r.Steps {
			order = append(order, pending{i, j})
		}
	}
	slices.SortStableFunc(order, func(a, b pending) int { return rs[a.req].Steps[a.step].At.Compare(rs[b.req].Steps[b.step].At) })
	for _, p := range order {
		if err := w.replay(out, p.req, rs[p.req].Steps[p.step], now); err != nil {
			return nil, fmt.Errorf("requests: seed %d step %d (%s): %w", p.req, p.step, rs[p.req].Steps[p.step].Action, err)
		}
	}
	if err := w.number(ctx, tx, out); err != nil {
		return nil, err
	}
	if err := s.dues(ctx, cid, out); err != nil {
		return nil, err
	}
	return w.write(ctx, tx, out)
}

// seedWorld is what the replay checks against, read once.
type seedWorld struct {
	s          *Service
	cid        int64
	categories map[int64]bool
	households map[int64][2]int64  // household → building, grid
	buildings  map[int64]int64     // building → grid
	handlers   map[Handler][]int64 // who acts for a handler, read once
	ctx        context.Context
	tx         *db.Tx
}

func (s *Service) seedWorld(ctx context.Context, tx *db.Tx, cid int64) (*seedWorld, error) {
	w := &seedWorld{s: s, cid: cid, categories: map[int64]bool{}, households: map[int64][2]int64{}, buildings: map[int64]int64{},
		handlers: map[Handler][]int64{}, ctx: ctx, tx: tx}
	scan := func(q string, each func(a, b, c int64)) error {
		rows, err := tx.Query(ctx, q, cid)
		if err != nil {
			return fmt.Errorf("requests: seed world: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var a, b, c int64
			if err := rows.Scan(&a, &b, &c); err != nil {
				return fmt.Errorf("requests: seed world: %w", err)
			}
			each(a, b, c)
		}
		return rows.Err()
	}
	if err := scan(`SELECT id, 0, 0 FROM request_categories WHERE community_id = ? AND retired_at IS NULL`,
		func(id, _, _ int64) { w.categories[id] = true }); err != nil {
		return nil, err
	}
	if err := scan(`SELECT id, COALESCE(grid_id, 0), 0 FROM buildings WHERE community_id = ?`,
		func(id, g, _ int64) { w.buildings[id] = g }); err != nil {
		return nil, err
	}
	if err := scan(`SELECT h.id, u.building_id, 0 FROM households h JOIN units u ON u.id = h.unit_id WHERE h.community_id = ?`,
		func(id, b, _ int64) { w.households[id] = [2]int64{b, w.buildings[b]} }); err != nil {
		return nil, err
	}
	return w, nil
}

// intake checks a request as Submit would and seals its phone.
func (w *seedWorld) intake(r *SeedRequest) (*seeded, error) {
	in := r.Input
	switch {
	case r.By == nil:
		return nil, fmt.Errorf("no one submitted it")
	case !slices.Contains(Channels, in.Channel), !slices.Contains(Kinds, in.Kind), !slices.Contains(Urgencies, in.Urgency):
		return nil, fmt.Errorf("channel %q, kind %q or urgency %q unknown", in.Channel, in.Kind, in.Urgency)
	case !w.categories[in.CategoryID]:
		return nil, fmt.Errorf("category %d unknown", in.CategoryID)
	case r.Self && (in.Channel != ChannelWeb || in.ResidentID == 0):
		return nil, fmt.Errorf("a resident asks for themself on the web")
	case !r.Self && !office(r.By, w.cid) && !isGridWorker(r.By, w.cid):
		return nil, fmt.Errorf("%s may not register requests", r.By.Username)
	}
	x := &seeded{in: r, status: Submitted, mergedInto: -1, updated: r.At}
	var v fieldErrs
	// The free texts pass the checks Submit makes (length, no markup,
	// no control characters), and are stored as given.
	var texts apperr.Validation
	checkText(&texts, "description", in.Description, MaxDescription)
	checkText(&texts, "address", in.Address, 200)
	checkText(&texts, "contact_name", in.ContactName, 50)
	if utf8.RuneCountInString(in.Description) < 2 || cleanText(in.Description) != in.Description || texts.Err() != nil {
		v = append(v, "description, address or contact name")
	}
	if in.ResidentID == 0 {
		p, err := idcard.NormalizePhone(strings.TrimSpace(in.ContactPhone))
		if err != nil || in.ContactName == "" {
			v = append(v, "contact")
		}
		x.phone = p
	} else if in.ContactPhone != "" {
		v = append(v, "contact_phone")
	}
	switch {
	case in.HouseholdID != 0:
		hb, ok := w.households[in.HouseholdID]
		if !ok || (in.BuildingID != 0 && in.BuildingID != hb[0]) {
			v = append(v, "household_id")
		}
		x.pl = place{household: in.HouseholdID, building: hb[0], grid: hb[1], address: in.Address}
	case in.BuildingID != 0:
		g, ok := w.buildings[in.BuildingID]
		if !ok {
			v = append(v, "building_id")
		}
		x.pl = place{building: in.BuildingID, grid: g, address: in.Address}
	case in.Address == "":
		v = append(v, "address")
	default:
		x.pl = place{address: in.Address}
	}
	if len(v) > 0 {
		return nil, fmt.Errorf("bad %s", strings.Join(v, ", "))
	}
	return x, nil
}

type fieldErrs []string

func isGridWorker(p *accounts.Principal, cid int64) bool {
	return p != nil && slices.ContainsFunc(p.Grants, func(g accounts.Grant) bool { return g.CommunityID == cid && g.Role == accounts.Grid })
}

// replay applies one step to request i of out, as Do would.
func (w *seedWorld) replay(out []*seeded, i int, st SeedStep, now time.Time) error {
	x := out[i]
	t, ok := Machine[st.Action]
	if !ok {
		return fmt.Errorf("unknown action")
	}
	last := x.events[len(x.events)-1].at
	switch {
	case st.Actor == nil:
		return fmt.Errorf("no actor")
	case st.At.Before(last) || st.At.After(now):
		return fmt.Errorf("at %s: before the step before it or in the future", st.At)
	case !Allowed(x.status, st.Action):
		return fmt.Errorf("not allowed from %s", x.status)
	case t.Reason && utf8.RuneCountInString(cleanText(st.Reason)) < 2:
		return fmt.Errorf("a reason is needed")
	case t.Note && utf8.RuneCountInString(cleanText(st.Note)) < 2:
		return fmt.Errorf("a note is needed")
	}
	var texts apperr.Validation
	checkText(&texts, "reason", cleanText(st.Reason), 500)
	checkText(&texts, "note", cleanText(st.Note), 2000)
	if texts.Err() != nil {
		return fmt.Errorf("a reason or note Do would refuse")
	}
	if err := w.side(x, t.Side, st.Actor); err != nil {
		return err
	}
	ev := seedEvent{event: event{action: st.Action, from: x.status, to: t.To, note: cleanText(st.Note), reason: cleanText(st.Reason)},
		actor: st.Actor, at: st.At}
	at := st.At
	switch st.Action {
	case ActAccept:
		x.accepted, x.workFrom = &at, &at
	case ActMerge:
		j := int(st.Into)
		if j < 0 || j >= len(out) || j == i || !out[j].status.Open() || out[j].in.At.After(st.At) {
			return fmt.Errorf("merge target %d is not an open request", j)
		}
		x.mergedInto = j
		// The target's timeline notes the merge, as absorb does; its note
		// (this request's number) is filled in once numbers are issued.
		y := out[j]
		y.events = append(y.events, seedEvent{event: event{action: "absorb", from: y.status, to: y.status}, actor: st.Actor, at: at, absorb: i + 1})
		y.updated = at
	case ActDispatch:
		if st.Handler == nil || !slices.Contains(HandlerKinds, st.Handler.Kind) || st.Handler.ID <= 0 {
			return fmt.Errorf("a handler is needed")
		}
		h := *st.Handler
		x.handler, x.dispatched, x.signed = &h, &at, nil
		ev.handler = &h
	case ActSign:
		x.signed = &at
	case ActResult:
		x.result = &at
	case ActExtension:
		if st.Until != nil {
			if !st.Until.After(at) {
				return fmt.Errorf("extension until the past")
			}
			u := st.Until.UTC()
			ev.until = &u
		}
	case ActApproveExtension:
		for k := len(x.events) - 1; k >= 0; k-- {
			if x.events[k].action == ActExtension {
				if x.events[k].until != nil {
					x.feedbackDue = x.events[k].until
				}
				break
			}
		}
	case ActCallback:
		if st.Resolved == nil || !slices.Contains(Satisfactions, st.Satisfaction) {
			return fmt.Errorf("resolved and satisfaction are needed")
		}
		res := *st.Resolved
		x.resolved, x.satisfaction, x.closed = &res, st.Satisfaction, &at
		ev.resolved, ev.satisfaction = &res, st.Satisfaction
	case ActReopen:
		if x.closed == nil || at.Sub(*x.closed) > ReopenWindowDays*24*time.Hour {
			return fmt.Errorf("reopened after %d days", ReopenWindowDays)
		}
		x.closed, x.resolved, x.satisfaction = nil, nil, ""
		x.reopens++
		// Work again, with a fresh feedback limit.
		x.workFrom, x.feedbackDue = &at, nil
	}
	x.status, x.updated = t.To, at
	x.events = append(x.events, ev)
	return nil
}

// side checks that actor is on the side of step: the office and a grid
// worker of the request's grid take every step; a handler's people their
// steps; the requester theirs.
func (w *seedWorld) side(x *seeded, side Side, actor *accounts.Principal) error {
	if office(actor, w.cid) {
		return nil
	}
	if slices.ContainsFunc(actor.Grants, func(g accounts.Grant) bool {
		return g.CommunityID == w.cid && g.Role == accounts.Grid && g.GridID != 0 && g.GridID == x.pl.grid
	}) {
		return nil
	}
	switch side {
	case SideHandler:
		if x.handler != nil {
			ids, ok := w.handlers[*x.handler]
			if !ok {
				var err error
				if ids, err = handlerAccounts(w.ctx, w.tx, w.cid, *x.handler); err != nil {
					return err
				}
				w.handlers[*x.handler] = ids
			}
			if slices.Contains(ids, actor.AccountID) {
				return nil
			}
		}
	case SideRequester:
		if x.in.Self && actor.AccountID == x.in.By.AccountID {
			return nil
		}
	}
	return fmt.Errorf("%s is not on the side of this step", actor.Username)
}

// number issues the batch's numbers from the year counters, in order,
// and moves the counters past them.
func (w *seedWorld) number(ctx context.Context, tx *db.Tx, out []*seeded) error {
	next := map[int]int64{}
	for _, x := range out {
		y := x.in.At.In(clock.Shanghai).Year()
		if _, ok := next[y]; !ok {
			var n int64
			err := tx.QueryRow(ctx, `SELECT COALESCE(max(value), 0) FROM counters WHERE community_id = ? AND name = ?`, w.cid, fmt.Sprintf("request:%d", y)).Scan(&n)
			if err != nil {
				return fmt.Errorf("requests: seed counter: %w", err)
			}
			next[y] = n
		}
		next[y]++
		x.number = fmt.Sprintf("%d-%06d", y, next[y])
	}
	for y, n := range next {
		if _, err := tx.Exec(ctx, `INSERT INTO counters (community_id, name, value) VALUES (?, ?, ?)
			ON CONFLICT (community_id, name) DO UPDATE SET value = excluded.value`, w.cid, fmt.Sprintf("request:%d", y), n); err != nil {
			return fmt.Errorf("requests: seed counter: %w", err)
		}
	}
	for _, x := range out {
		for k := range x.events {
			if j := x.events[k].absorb; j > 0 {
				x.events[k].note = out[j-1].number
			}
		}
	}
	return nil
}

// dues works out each seeded request's due columns as Submit and Do
// would have: the dispatch due from intake, the sign-for due from the
// last dispatch, the feedback due from acceptance or the last reopen
// (or the date an approved extension gave). Working days are counted
// with the community's calendar, once per day and limit.
func (s *Service) dues(ctx context.Context, cid int64, out []*seeded) error {
	limits := map[Urgency]Deadlines{}
	days := map[string]time.Time{}
	after := func(from time.Time, l Limit) (*time.Time, error) {
		if l.Days == 0 {
			t := from.Add(time.Duration(l.Hours) * time.Hour).UTC()
			return &t, nil
		}
		local := from.In(clock.Shanghai)
		midnight := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, clock.Shanghai)
		key := fmt.Sprint(midnight.Format(time.DateOnly), "+", l.Days)
		end, ok := days[key]
		if !ok {
			var err error
			if end, err = s.after(ctx, cid, midnight, l); err != nil {
				return nil, err
			}
			days[key] = end
		}
		t := end.Add(local.Sub(midnight)).UTC()
		return &t, nil
	}
	for _, x := range out {
		u := x.in.Input.Urgency
		d, ok := limits[u]
		if !ok {
			var err error
			if d, err = s.limits(ctx, s.db, cid, u); err != nil {
				return err
			}
			limits[u] = d
		}
		var err error
		if x.dispatchDue, err = after(x.in.At, d.Dispatch); err != nil {
			return err
		}
		if x.dispatched != nil {
			if x.signDue, err = after(*x.dispatched, d.Sign); err != nil {
				return err
			}
		}
		if x.feedbackDue == nil && x.workFrom != nil {
			if x.feedbackDue, err = after(*x.workFrom, d.Feedback); err != nil {
				return err
			}
		}
	}
	return nil
}

// write inserts the requests and their events in multi-row batches (a
// thousand single inserts are most of the seed's time), then reads the
// requests' ids back by their numbers.
func (w *seedWorld) write(ctx context.Context, tx *db.Tx, out []*seeded) ([]int64, error) {
	t := func(p *time.Time) any {
		if p == nil {
			return nil
		}
		return p.UTC()
	}
	rows := make([][]any, 0, len(out))
	for _, x := range out {
		in := x.in
		phoneEnc, err := w.s.seal(w.cid, "contact_phone", x.phone)
		if err != nil {
			return nil, err
		}
		var requester any
		if in.Self {
			requester = in.By.AccountID
		}
		var hk, hid, resolved, sat any
		if x.handler != nil {
			hk, hid = string(x.handler.Kind), x.handler.ID
		}
		if x.resolved != nil {
			resolved = *x.resolved
		}
		if x.satisfaction != "" {
			sat = string(x.satisfaction)
		}
		rows = append(rows, []any{w.cid, x.number, string(in.Channel), string(in.Kind), in.CategoryID, nullID(x.pl.household), nullID(x.pl.building),
			nullID(x.pl.grid), x.pl.address, in.Description, string(in.Urgency), nullID(in.ResidentID), requester,
			in.ContactName, phoneEnc, string(x.status), hk, hid, resolved, sat, x.reopens, len(x.events), nullID(in.By.AccountID),
			in.At.UTC(), x.updated.UTC(), t(x.accepted), t(x.dispatched), t(x.signed), t(x.result), t(x.closed), t(x.feedbackDue), t(x.dispatchDue), t(x.signDue)})
	}
	if err := insertRows(ctx, tx, `INSERT INTO requests (community_id, number, channel, kind, category_id, household_id, building_id,
		grid_id, address, description, urgency, resident_id, requester_account_id, contact_name, contact_phone_enc, status,
		handler_kind, handler_id, resolved, satisfaction, reopen_count, last_seq, created_by, created_at, updated_at,
		accepted_at, dispatched_at, signed_at, result_at, closed_at, feedback_due, dispatch_due, sign_due) VALUES `, rows); err != nil {
		return nil, fmt.Errorf("requests: seed insert: %w", err)
	}
	byNumber := map[string]int64{}
	for start := 0; start < len(out); start += 500 {
		chunk := out[start:min(start+500, len(out))]
		args := []any{w.cid}
		for _, x := range chunk {
			args = append(args, x.number)
		}
		rs, err := tx.Query(ctx, `SELECT number, id FROM requests WHERE community_id = ? AND number IN (?`+strings.Repeat(", ?", len(chunk)-1)+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("requests: seed ids: %w", err)
		}
		for rs.Next() {
			var n string
			var id int64
			if err := rs.Scan(&n, &id); err != nil {
				rs.Close()
				return nil, fmt.Errorf("requests: seed ids: %w", err)
			}
			byNumber[n] = id
		}
		rs.Close()
		if err := rs.Err(); err != nil {
			return nil, fmt.Errorf("requests: seed ids: %w", err)
		}
	}
	ids := make([]int64, len(out))
	for i, x := range out {
		if ids[i] = byNumber[x.number]; ids[i] == 0 {
			return nil, fmt.Errorf("requests: seed: %s not written", x.number)
		}
	}
	for i, x := range out {
		if x.mergedInto >= 0 {
			if _, err := tx.Exec(ctx, `UPDATE requests SET merged_into = ? WHERE id = ?`, ids[x.mergedInto], ids[i]); err != nil {
				return nil, fmt.Errorf("requests: seed merge: %w", err)
			}
			a, b := min(ids[i], ids[x.mergedInto]), max(ids[i], ids[x.mergedInto])
			merge := x.events[len(x.events)-1]
			if _, err := tx.Exec(ctx, `INSERT INTO request_links (request_id, linked_id, kind, created_by, created_at) VALUES (?, ?, 'duplicate', ?, ?)
				ON CONFLICT (request_id, linked_id) DO UPDATE SET kind = 'duplicate'`, a, b, nullID(merge.actor.AccountID), merge.at.UTC()); err != nil {
				return nil, fmt.Errorf("requests: seed link: %w", err)
			}
		}
	}
	for i, x := range out {
		for _, j := range x.in.Related {
			if _, err := tx.Exec(ctx, `INSERT INTO request_links (request_id, linked_id, kind, created_by, created_at) VALUES (?, ?, 'related', ?, ?)
				ON CONFLICT (request_id, linked_id) DO NOTHING`, ids[j], ids[i], nullID(x.in.By.AccountID), x.in.At.UTC()); err != nil {
				return nil, fmt.Errorf("requests: seed link: %w", err)
			}
		}
	}
	var events [][]any
	for i, x := range out {
		for k, e := range x.events {
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
			role := e.actor.Audit(e.at, "", w.cid).Role
			events = append(events, []any{w.cid, ids[i], k + 1, string(e.action), string(e.from), string(e.to), nullID(e.actor.AccountID), role,
				e.at.UTC(), e.note, e.reason, hk, hid, until, resolved, sat})
		}
	}
	if err := insertRows(ctx, tx, `INSERT INTO request_events (community_id, request_id, seq, action, from_status, to_status, actor_id, actor_role,
		at, note, reason, handler_kind, handler_id, until_at, resolved, satisfaction) VALUES `, events); err != nil {
		return nil, fmt.Errorf("requests: seed events: %w", err)
	}
	return ids, nil
}

// insertRows runs head (an INSERT ... VALUES) for rows, as many rows a
// statement as keep it under a few thousand parameters (SQLite allows
// 32,766, PostgreSQL 65,535).
func insertRows(ctx context.Context, tx *db.Tx, head string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	cols := len(rows[0])
	tuple := "(?" + strings.Repeat(", ?", cols-1) + ")"
	per := max(1, 4000/cols)
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(start+per, len(rows))]
		args := make([]any, 0, len(chunk)*cols)
		for _, r := range chunk {
			args = append(args, r...)
		}
		if _, err := tx.Exec(ctx, head+strings.TrimSuffix(strings.Repeat(tuple+", ", len(chunk)), ", "), args...); err != nil {
			return err
		}
	}
	return nil
}
