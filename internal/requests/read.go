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
	"github.com/linli/linli/internal/idcard"
	"github.com/linli/linli/internal/registry"
)

// Request is one request as an actor sees it. The requester's name is
// masked in lists (王*明) and shown whole only by Get, which audits it;
// the phone is always masked (RevealPhone unmasks it, with a reason).
type Request struct {
	ID             int64        `json:"id"`
	CommunityID    int64        `json:"community_id"`
	Number         string       `json:"number"`
	Channel        Channel      `json:"channel"`
	Kind           Kind         `json:"kind"`
	CategoryID     int64        `json:"category_id"`
	CategoryCode   string       `json:"category_code"`
	CategoryNameZH string       `json:"category_name_zh"`
	CategoryNameEN string       `json:"category_name_en"`
	HouseholdID    int64        `json:"household_id,omitempty"`
	BuildingID     int64        `json:"building_id,omitempty"`
	GridID         int64        `json:"grid_id,omitempty"`
	Place          string       `json:"place"`   // the household or building, as the registry names it
	Address        string       `json:"address"` // free text given at intake
	Description    string       `json:"description"`
	Urgency        Urgency      `json:"urgency"`
	Status         Status       `json:"status"`
	ResidentID     int64        `json:"resident_id,omitempty"`
	RequesterName  string       `json:"requester_name"`
	RequesterPhone string       `json:"requester_phone"` // masked
	Handler        *Handler     `json:"handler,omitempty"`
	MergedInto     int64        `json:"merged_into,omitempty"`
	Resolved       *bool        `json:"resolved,omitempty"`
	Satisfaction   Satisfaction `json:"satisfaction,omitempty"`
	ReopenCount    int          `json:"reopen_count"`
	CreatedAt      time.Time    `json:"created_at"`
	UpdatedAt      time.Time    `json:"updated_at"`
	AcceptedAt     *time.Time   `json:"accepted_at,omitempty"`
	DispatchedAt   *time.Time   `json:"dispatched_at,omitempty"`
	SignedAt       *time.Time   `json:"signed_at,omitempty"`
	ResultAt       *time.Time   `json:"result_at,omitempty"`
	ClosedAt       *time.Time   `json:"closed_at,omitempty"`
	DispatchDue    *time.Time   `json:"dispatch_due,omitempty"`
	SignDue        *time.Time   `json:"sign_due,omitempty"`
	FeedbackDue    *time.Time   `json:"feedback_due,omitempty"`
	CloseDue       *time.Time   `json:"close_due,omitempty"`
	// DueAt is the earliest limit that counts now; Overdue and DueSoon
	// are computed on every read against the clock (deadlines.go).
	DueAt   *time.Time `json:"due_at,omitempty"`
	Overdue bool       `json:"overdue"`
	DueSoon bool       `json:"due_soon"`
	// Similar are open requests of the same building and category, for
	// the worker to merge into instead (Submit only; duplicates.go).
	Similar []Similar `json:"similar,omitempty"`
	// Actions are the steps this actor may take now, for pages to offer.
	Actions []Action `json:"actions"`
	// Links are the linked requests (Get only).
	Links []Link `json:"links,omitempty"`
}

// Link is a linked request.
type Link struct {
	ID     int64  `json:"id"`
	Number string `json:"number"`
	Kind   string `json:"kind"` // duplicate, related
	Status Status `json:"status"`
}

// row is a request as stored.
type row struct {
	id, cid                                int64
	number, channel, kind                  string
	categoryID                             int64
	catCode, catZH, catEN                  string
	householdID, buildingID, gridID        int64
	place, address, description, urgency   string
	residentID, requesterAccount           int64
	contactName, contactPhoneEnc, status   string
	handlerKind                            string
	handlerID, mergedInto                  int64
	resolved                               sql.NullBool
	satisfaction                           string
	reopenCount                            int
	lastSeq                                int64
	createdBy                              int64
	createdAt, updatedAt                   time.Time
	acceptedAt, dispatchedAt, signedAt     sql.NullTime
	resultAt, closedAt                     sql.NullTime
	dispatchDue, signDue, feedDue, closeDu sql.NullTime
}

// rowColumns reads a row over alias q; rowJoins names the place and the
// category.
const rowColumns = `q.id, q.community_id, q.number, q.channel, q.kind, q.category_id, c.code, c.name_zh, c.name_en,
	COALESCE(q.household_id, 0), COALESCE(q.building_id, 0), COALESCE(q.grid_id, 0),
	CASE WHEN h.id IS NOT NULL THEN e.name || b.number || '号楼' || u.number || '单元' || h.room
		WHEN b.id IS NOT NULL THEN e.name || b.number || '号楼' ELSE '' END,
	q.address, q.description, q.urgency, COALESCE(q.resident_id, 0), COALESCE(q.requester_account_id, 0),
	q.contact_name, q.contact_phone_enc, q.status, COALESCE(q.handler_kind, ''), COALESCE(q.handler_id, 0),
	COALESCE(q.merged_into, 0), q.resolved, COALESCE(q.satisfaction, ''), q.reopen_count, q.last_seq,
	COALESCE(q.created_by, 0), q.created_at, q.updated_at, q.accepted_at, q.dispatched_at, q.signed_at,
	q.result_at, q.closed_at, q.dispatch_due, q.sign_due, q.feedback_due, q.close_due`

const rowJoins = ` FROM requests q
	JOIN request_categories c ON c.id = q.category_id
	LEFT JOIN households h ON h.id = q.household_id
	LEFT JOIN units u ON u.id = h.unit_id
	LEFT JOIN buildings b ON b.id = q.building_id
	LEFT JOIN estates e ON e.id = b.estate_id`

func scanRow(sc interface{ Scan(...any) error }) (*row, error) {
	var r row
	err := sc.Scan(&r.id, &r.cid, &r.number, &r.channel, &r.kind, &r.categoryID, &r.catCode, &r.catZH, &r.catEN,
		&r.householdID, &r.buildingID, &r.gridID, &r.place, &r.address, &r.description, &r.urgency,
		&r.residentID, &r.requesterAccount, &r.contactName, &r.contactPhoneEnc, &r.status, &r.handlerKind,
		&r.handlerID, &r.mergedInto, &r.resolved, &r.satisfaction, &r.reopenCount, &r.lastSeq, &r.createdBy,
		&r.createdAt, &r.updatedAt, &r.acceptedAt, &r.dispatchedAt, &r.signedAt, &r.resultAt, &r.closedAt,
		&r.dispatchDue, &r.signDue, &r.feedDue, &r.closeDu)
	return &r, err
}

// load reads request id as stored, whoever asks; NotFound when absent.
func (s *Service) load(ctx context.Context, id int64) (*row, error) {
	r, err := scanRow(s.db.QueryRow(ctx, `SELECT `+rowColumns+rowJoins+` WHERE q.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFoundErr()
	}
	if err != nil {
		return nil, fmt.Errorf("requests: load %d: %w", id, err)
	}
	return r, nil
}

// find loads request id inside the actor's reach, or NotFound.
func (s *Service) find(ctx context.Context, actor *accounts.Principal, id int64) (*row, reach, relation, error) {
	r, err := s.load(ctx, id)
	if err != nil {
		return nil, reach{}, relation{}, err
	}
	rc, err := s.reachOf(ctx, actor, r.cid)
	if err != nil {
		return nil, rc, relation{}, err
	}
	rel := rc.relationTo(r)
	if !rel.read && rc.street {
		if rel.street, err = s.escalatedToStreet(ctx, r.id); err != nil {
			return nil, rc, rel, err
		}
		rel.read = rel.street
	}
	if !rel.read {
		return nil, rc, rel, apperr.NotFoundErr()
	}
	return r, rc, rel, nil
}

func ptime(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.Time.UTC()
	return &u
}

// requester is who asked, opened: the resident's name and phone from the
// registry, or the free contact's.
type requester struct{ name, phone string }

// requesters opens the requesters of rows (all of one community).
func (s *Service) requesters(ctx context.Context, cid int64, rows []*row) (map[int64]requester, error) {
	out := map[int64]requester{}
	var rids []int64
	for _, r := range rows {
		if r.residentID != 0 {
			rids = append(rids, r.residentID)
		}
	}
	persons := map[int64]registry.Person{}
	if len(rids) > 0 {
		var err error
		if persons, err = s.reg.Persons(ctx, cid, rids); err != nil {
			return nil, err
		}
	}
	for _, r := range rows {
		var q requester
		if p, ok := persons[r.residentID]; ok && r.residentID != 0 {
			// A child's name stays as the registry stores it (masked).
			q.name, q.phone = p.Name, p.Phone
			if p.Child {
				q.name = p.StoredName
			}
		}
		if q.name == "" {
			q.name = r.contactName
		}
		if r.contactPhoneEnc != "" {
			ph, err := s.open(r.cid, "contact_phone", r.contactPhoneEnc)
			if err != nil {
				return nil, err
			}
			q.phone = ph
		}
		out[r.id] = q
	}
	return out, nil
}

// MaskName shows the first and last character of a name (王小明 → 王*明,
// 王明 → 王*), the way lists show requesters.
func MaskName(name string) string {
	r := []rune(name)
	switch len(r) {
	case 0:
		return ""
	case 1:
		return "*"
	case 2:
		return string(r[0]) + "*"
	}
	return string(r[0]) + strings.Repeat("*", len(r)-2) + string(r[len(r)-1])
}

// view is a row as the actor sees it; fullName shows the requester's
// name unmasked (Get, audited).
func (s *Service) view(r *row, rel relation, q requester, fullName bool) *Request {
	v := &Request{ID: r.id, CommunityID: r.cid, Number: r.number, Channel: Channel(r.channel), Kind: Kind(r.kind),
		CategoryID: r.categoryID, CategoryCode: r.catCode, CategoryNameZH: r.catZH, CategoryNameEN: r.catEN,
		HouseholdID: r.householdID, BuildingID: r.buildingID, GridID: r.gridID, Place: r.place, Address: r.address,
		Description: r.description, Urgency: Urgency(r.urgency), Status: Status(r.status), ResidentID: r.residentID,
		MergedInto: r.mergedInto, Satisfaction: Satisfaction(r.satisfaction), ReopenCount: r.reopenCount,
		CreatedAt: r.createdAt.UTC(), UpdatedAt: r.updatedAt.UTC(), AcceptedAt: ptime(r.acceptedAt),
		DispatchedAt: ptime(r.dispatchedAt), SignedAt: ptime(r.signedAt), ResultAt: ptime(r.resultAt),
		ClosedAt: ptime(r.closedAt), DispatchDue: ptime(r.dispatchDue), SignDue: ptime(r.signDue),
		FeedbackDue: ptime(r.feedDue), CloseDue: ptime(r.closeDu), Actions: []Action{}}
	v.RequesterName = MaskName(q.name)
	if fullName {
		v.RequesterName = q.name
	}
	v.RequesterPhone = idcard.MaskPhone(q.phone)
	if r.handlerKind != "" {
		v.Handler = &Handler{Kind: HandlerKind(r.handlerKind), ID: r.handlerID}
	}
	if r.resolved.Valid {
		b := r.resolved.Bool
		v.Resolved = &b
	}
	for _, a := range Next(Status(r.status)) {
		if rel.may(Machine[a].Side) {
			v.Actions = append(v.Actions, a)
		}
	}
	s.dueFlags(v, r)
	return v
}

// naming is a handler to name for one reader.
type naming struct {
	h *Handler
	// full: the reader may see a volunteer's name unmasked (the office,
	// a grid worker on its grid, the volunteer themself).
	full bool
}

// handlerNames fills the names of the handlers, one lookup per handler.
// Teams, organisations and workers go by their names. A volunteer goes
// by the name the registry keeps (a child's is stored masked; an outside
// volunteer's is on their own row), shown whole to the office and to
// themself and masked (王*明) to everyone else, as requesters are; by
// number only when no name is known.
func (s *Service) handlerNames(ctx context.Context, ns []naming) error {
	type known struct{ name, number string }
	cache := map[Handler]known{}
	for _, n := range ns {
		h := n.h
		if h == nil {
			continue
		}
		key := Handler{Kind: h.Kind, ID: h.ID}
		k, ok := cache[key]
		if !ok {
			var err error
			if k.name, k.number, err = s.handlerName(ctx, key); err != nil {
				return err
			}
			cache[key] = k
		}
		switch {
		case h.Kind != HandlerVolunteer:
			h.Name = k.name
		case k.name == "":
			h.Name = k.number
		case n.full:
			h.Name = k.name
		default:
			h.Name = MaskName(k.name)
		}
	}
	return nil
}

// handlerName is one handler's name, and a volunteer's number.
func (s *Service) handlerName(ctx context.Context, h Handler) (name, number string, err error) {
	var q string
	switch h.Kind {
	case HandlerTeam:
		q = `SELECT name, '' FROM teams WHERE id = ?`
	case HandlerOrganisation:
		q = `SELECT name, '' FROM organisations WHERE id = ?`
	case HandlerVolunteer:
		q = `SELECT COALESCE(NULLIF(v.name, ''), r.name, ''), v.number
			FROM volunteers v LEFT JOIN residents r ON r.id = v.resident_id WHERE v.id = ?`
	case HandlerAccount:
		q = `SELECT display_name, '' FROM accounts WHERE id = ?`
	default:
		return "", "", nil
	}
	err = s.db.QueryRow(ctx, q, h.ID).Scan(&name, &number)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", "", fmt.Errorf("requests: handler name: %w", err)
	}
	return name, number, nil
}

// Filter selects requests for List. CommunityID is required; zero values
// of the rest do not filter.
type Filter struct {
	CommunityID int64
	Status      []Status
	CategoryID  int64
	GridID      int64
	BuildingID  int64    // the building view's link to its queue
	Handler     *Handler // kind and id; a kind with id 0 filters by kind
	Overdue     bool     // only those with a due that counts and has passed
	Limit       int      // default 50, at most 500
	Offset      int
}

// Page is one page of List and the count of all matches.
type Page struct {
	Items []*Request `json:"items"`
	Total int        `json:"total"`
}

// List returns the requests of the filter inside the actor's reach,
// newest first, requesters masked.
func (s *Service) List(ctx context.Context, actor *accounts.Principal, f Filter) (*Page, error) {
	if !memberOf(actor, f.CommunityID) {
		return nil, apperr.NotFoundErr()
	}
	var v apperr.Validation
	for _, st := range f.Status {
		if !slices.Contains(Statuses, st) {
			v.Add("status", "request.status.unknown", map[string]any{"status": string(st)})
		}
	}
	if f.Handler != nil && !slices.Contains(HandlerKinds, f.Handler.Kind) {
		v.Add("handler", "request.handler.invalid", nil)
	}
	if f.Limit < 0 || f.Offset < 0 {
		v.Add("limit", "error.invalid", nil)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	rc, err := s.reachOf(ctx, actor, f.CommunityID)
	if err != nil {
		return nil, err
	}
	cond, args := rc.condition()
	where := []string{cond}
	if len(f.Status) > 0 {
		where = append(where, "q.status IN ("+placeholders(len(f.Status))+")")
		for _, st := range f.Status {
			args = append(args, string(st))
		}
	}
	if f.CategoryID != 0 {
		// A parent category includes its children.
		where = append(where, "(q.category_id = ? OR c.parent_id = ?)")
		args = append(args, f.CategoryID, f.CategoryID)
	}
	if f.GridID != 0 {
		where = append(where, "q.grid_id = ?")
		args = append(args, f.GridID)
	}
	if f.BuildingID != 0 {
		where = append(where, "q.building_id = ?")
		args = append(args, f.BuildingID)
	}
	if f.Handler != nil {
		where = append(where, "q.handler_kind = ?")
		args = append(args, string(f.Handler.Kind))
		if f.Handler.ID != 0 {
			where = append(where, "q.handler_id = ?")
			args = append(args, f.Handler.ID)
		}
	}
	if f.Overdue {
		c, a := overdueCondition(s.clock.Now())
		where, args = append(where, c), append(args, a...)
	}
	w := " WHERE " + strings.Join(where, " AND ")
	from := " FROM requests q"
	if f.CategoryID != 0 {
		from += " JOIN request_categories c ON c.id = q.category_id"
	}
	page := &Page{Items: []*Request{}}
	if rc.office && f.CategoryID == 0 && f.GridID == 0 && f.BuildingID == 0 && f.Handler == nil && !f.Overdue {
		// The whole community by status: the trigger-kept counts
		// (migration 0022), not a count(*) over up to every row.
		if page.Total, err = s.countByStatus(ctx, f.CommunityID, f.Status); err != nil {
			return nil, err
		}
	} else if err := s.db.QueryRow(ctx, `SELECT count(*)`+from+w, args...).Scan(&page.Total); err != nil {
		return nil, fmt.Errorf("requests: count: %w", err)
	}
	limit := f.Limit
	switch {
	case limit == 0:
		limit = 50
	case limit > 500:
		limit = 500
	}
	if f.Offset >= page.Total {
		return page, nil // past the end: nothing to read
	}
	// The page's ids first, from the index alone where it can, so a deep
	// page skips its offset without joining or reading the skipped rows;
	// then those few rows whole.
	idRows, err := s.db.Query(ctx, `SELECT q.id`+from+w+` ORDER BY q.created_at DESC, q.id DESC LIMIT ? OFFSET ?`,
		append(args, limit, f.Offset)...)
	if err != nil {
		return nil, fmt.Errorf("requests: list: %w", err)
	}
	var ids []any
	for idRows.Next() {
		var id int64
		if err := idRows.Scan(&id); err != nil {
			idRows.Close()
			return nil, fmt.Errorf("requests: list: %w", err)
		}
		ids = append(ids, id)
	}
	idRows.Close()
	if err := idRows.Err(); err != nil {
		return nil, fmt.Errorf("requests: list: %w", err)
	}
	if len(ids) == 0 {
		return page, nil
	}
	rows, err := s.db.Query(ctx, `SELECT `+rowColumns+rowJoins+` WHERE q.id IN (`+placeholders(len(ids))+`)
		ORDER BY q.created_at DESC, q.id DESC`, ids...)
	if err != nil {
		return nil, fmt.Errorf("requests: list: %w", err)
	}
	var rs []*row
	for rows.Next() {
		r, err := scanRow(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("requests: list: %w", err)
		}
		rs = append(rs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("requests: list: %w", err)
	}
	who, err := s.requesters(ctx, f.CommunityID, rs)
	if err != nil {
		return nil, err
	}
	var ns []naming
	for _, r := range rs {
		rel := rc.relationTo(r)
		v := s.view(r, rel, who[r.id], false)
		page.Items = append(page.Items, v)
		ns = append(ns, naming{h: v.Handler, full: rel.office || rel.handler})
	}
	if err := s.handlerNames(ctx, ns); err != nil {
		return nil, err
	}
	return page, nil
}

// countByStatus is how many requests community cid holds in the given
// statuses (all of them when none are given), from request_counts.
func (s *Service) countByStatus(ctx context.Context, cid int64, sts []Status) (int, error) {
	q := `SELECT CAST(COALESCE(sum(n), 0) AS BIGINT) FROM request_counts WHERE community_id = ?`
	args := []any{cid}
	if len(sts) > 0 {
		q += " AND status IN (" + placeholders(len(sts)) + ")"
		for _, st := range sts {
			args = append(args, string(st))
		}
	}
	var n int64
	if err := s.db.QueryRow(ctx, q, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("requests: count by status: %w", err)
	}
	return int(n), nil
}

// Get opens one request with the requester's name in full for the office
// and the requester (masked for a handler; the phone masked for all) and
// its links, and writes one audit entry (request.view)
// naming the personal fields shown, as the registry does for a resident.
func (s *Service) Get(ctx context.Context, actor *accounts.Principal, id int64) (*Request, error) {
	r, _, rel, err := s.find(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	// A handler outside the office (a partner's staff, a team leader, a
	// volunteer) sees the name masked, as the registry's field table
	// keeps residents' names from them; to call back they reveal the
	// phone, audited.
	v, err := s.fullView(ctx, r, rel, rel.office || rel.requester)
	if err != nil {
		return nil, err
	}
	if err := s.record(ctx, s.db, actor, "request.view", r.cid, r.id, "", "requester_name", "requester_phone_masked"); err != nil {
		return nil, err
	}
	return v, nil
}

// fullView is one request with its handler's name and its links;
// fullName shows the requester's name whole (the caller audits that).
func (s *Service) fullView(ctx context.Context, r *row, rel relation, fullName bool) (*Request, error) {
	who, err := s.requesters(ctx, r.cid, []*row{r})
	if err != nil {
		return nil, err
	}
	v := s.view(r, rel, who[r.id], fullName)
	// A volunteer handling it (rel.handler) is the volunteer themself.
	if err := s.handlerNames(ctx, []naming{{h: v.Handler, full: rel.office || rel.handler}}); err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT o.id, o.number, l.kind, o.status FROM request_links l
		JOIN requests o ON o.id = CASE WHEN l.request_id = ? THEN l.linked_id ELSE l.request_id END
		WHERE l.request_id = ? OR l.linked_id = ? ORDER BY o.id`, r.id, r.id, r.id)
	if err != nil {
		return nil, fmt.Errorf("requests: links: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var l Link
		if err := rows.Scan(&l.ID, &l.Number, &l.Kind, &l.Status); err != nil {
			return nil, fmt.Errorf("requests: links: %w", err)
		}
		// The street sees the escalated request alone, not its neighbours.
		if !rel.street {
			v.Links = append(v.Links, l)
		}
	}
	return v, rows.Err()
}

// RevealPhone unmasks the requester's phone for the office, a grid worker
// on its grid's request or the current handler (who must call back), and
// records who and why. The reason is required.
func (s *Service) RevealPhone(ctx context.Context, actor *accounts.Principal, id int64, reason string) (string, error) {
	r, _, rel, err := s.find(ctx, actor, id)
	if err != nil {
		return "", err
	}
	reason = strings.TrimSpace(reason)
	if n := utf8.RuneCountInString(reason); n < 2 || n > 200 || hasControl(reason) {
		return "", apperr.New(apperr.Invalid, "error.invalid").Field("reason", "request.reason.required", nil)
	}
	if !rel.office && !rel.handler {
		return "", apperr.ForbiddenErr()
	}
	who, err := s.requesters(ctx, r.cid, []*row{r})
	if err != nil {
		return "", err
	}
	if err := s.record(ctx, s.db, actor, "request.reveal", r.cid, r.id, reason, "requester_phone"); err != nil {
		return "", err
	}
	return who[r.id].phone, nil
}
