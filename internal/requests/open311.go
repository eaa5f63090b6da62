package requests

// The Open311 side of requests (issue 6 item 9): intake on the open311
// channel, which only the Open311 endpoint may use (Submit refuses it),
// and the public reads of GET requests. The public reads return raw
// stored text; internal/open311 cuts addresses to the building and
// removes phone and ID numbers before anything leaves the server. They
// never read the requester: no name, phone, email, resident or account.

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
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

// Open311Input is a request POSTed by an Open311 client with an API key
// of community cid. The location is a building (address_id), a free
// address, or a point (lat and long together); at least one.
type Open311Input struct {
	KeyID        int64
	KeyName      string
	ServiceCode  string // a public category's code
	Lat, Long    *float64
	Address      string
	BuildingID   int64
	Description  string
	Details      string // the service attributes, as text appended to the description
	ContactName  string
	ContactPhone string
	ContactEmail string
	ClientAddr   string
	RequestID    string
}

// Open311Receipt is what a created request answers a client.
type Open311Receipt struct {
	ID     int64
	Number string // the service_request_id
	Token  string
}

var emailPattern = regexp.MustCompile(`^[^@\s<>"]+@[^@\s<>"]+\.[^@\s<>"]+$`)

// ErrUnknownService is the answer for a service code that is not one of
// the community's public categories.
var ErrUnknownService = apperr.New(apperr.NotFound, "open311.service.unknown")

// PublicCategories lists community cid's categories an Open311 client may
// see and file under: public, not retired, with a public parent, and
// never of a kind that is about people (neverPublic), whatever the flag.
func (s *Service) PublicCategories(ctx context.Context, cid int64) ([]Category, error) {
	if err := s.ensure(ctx, cid); err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT c.id, COALESCE(c.parent_id, 0), c.code, c.name_zh, c.name_en, COALESCE(p.code, '')
		FROM request_categories c LEFT JOIN request_categories p ON p.id = c.parent_id
		WHERE c.community_id = ? AND c.public = ? AND c.retired_at IS NULL AND (p.id IS NULL OR (p.public = ? AND p.retired_at IS NULL))
		ORDER BY COALESCE(c.parent_id, c.id), c.parent_id IS NOT NULL, c.position, c.id`, cid, true, true)
	if err != nil {
		return nil, fmt.Errorf("requests: public categories: %w", err)
	}
	defer rows.Close()
	out := []Category{}
	for rows.Next() {
		var c Category
		var parent string
		if err := rows.Scan(&c.ID, &c.ParentID, &c.Code, &c.NameZH, &c.NameEN, &parent); err != nil {
			return nil, fmt.Errorf("requests: public categories: %w", err)
		}
		if slices.Contains(neverPublic, c.Code) || slices.Contains(neverPublic, parent) {
			continue
		}
		c.Public = true
		out = append(out, c)
	}
	return out, rows.Err()
}

// publicCategory finds code among community cid's public categories.
func (s *Service) publicCategory(ctx context.Context, cid int64, code string) (Category, bool, error) {
	cats, err := s.PublicCategories(ctx, cid)
	if err != nil {
		return Category{}, false, err
	}
	for _, c := range cats {
		if c.Code == code {
			return c, true, nil
		}
	}
	return Category{}, false, nil
}

// SubmitOpen311 registers a request that came through Open311 with a
// key of community cid. It checks what Submit checks of the text and the
// place, and keeps the submitter as a free contact (phone and email
// sealed). Problems are apperr Invalid with per-field keys; an unknown
// or private service code is ErrUnknownService.
func (s *Service) SubmitOpen311(ctx context.Context, cid int64, in Open311Input) (*Open311Receipt, error) {
	cat, ok, err := s.publicCategory(ctx, cid, strings.TrimSpace(in.ServiceCode))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrUnknownService
	}
	var v apperr.Validation
	in.Description = cleanText(in.Description)
	if utf8.RuneCountInString(in.Description) < 2 {
		v.Add("description", "request.description.required", nil)
	} else {
		checkText(&v, "description", in.Description, MaxDescription)
	}
	in.Address = cleanText(in.Address)
	checkText(&v, "address_string", in.Address, 200)
	in.ContactName = cleanText(in.ContactName)
	checkText(&v, "first_name", in.ContactName, 50)
	phone := ""
	if p := strings.TrimSpace(in.ContactPhone); p != "" {
		if phone, err = idcard.NormalizePhone(p); err != nil {
			v.Add("phone", "request.phone.invalid", nil)
		}
	}
	in.ContactEmail = strings.TrimSpace(in.ContactEmail)
	if in.ContactEmail != "" && (len(in.ContactEmail) > 254 || !emailPattern.MatchString(in.ContactEmail)) {
		v.Add("email", "open311.email.invalid", nil)
	}
	if (in.Lat == nil) != (in.Long == nil) {
		v.Add("lat", "open311.location.pair", nil)
	} else if in.Lat != nil && (*in.Lat < -90 || *in.Lat > 90 || *in.Long < -180 || *in.Long > 180) {
		v.Add("lat", "open311.location.range", nil)
	}
	pl := place{address: in.Address}
	if in.BuildingID != 0 {
		var g sql.NullInt64
		err := s.db.QueryRow(ctx, `SELECT grid_id FROM buildings WHERE id = ? AND community_id = ?`, in.BuildingID, cid).Scan(&g)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			v.Add("address_id", "open311.address_id.unknown", nil)
		case err != nil:
			return nil, fmt.Errorf("requests: building: %w", err)
		default:
			pl.building, pl.grid = in.BuildingID, g.Int64
		}
	}
	if in.BuildingID == 0 && pl.address == "" && in.Lat == nil && !v.Has("lat") {
		v.Add("address_string", "open311.location.required", nil)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if pl.address == "" && pl.building == 0 && in.Lat != nil {
		// The office's pages show the address; a point alone is all there is.
		pl.address = fmt.Sprintf("%.6f, %.6f", *in.Lat, *in.Long)
	}
	desc := in.Description
	if d := cleanText(in.Details); d != "" {
		desc += "\n\n" + d
	}
	phoneEnc, err := s.seal(cid, "contact_phone", phone)
	if err != nil {
		return nil, err
	}
	emailEnc, err := s.seal(cid, "contact_email", in.ContactEmail)
	if err != nil {
		return nil, err
	}
	token, err := newToken()
	if err != nil {
		return nil, err
	}
	var lat, lng any
	if in.Lat != nil {
		lat, lng = *in.Lat, *in.Long
	}
	actor := &accounts.Principal{Username: "open311:" + in.KeyName, ClientAddr: in.ClientAddr, RequestID: in.RequestID}
	rc := &Open311Receipt{Token: token}
	now := s.clock.Now().UTC()
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		number, err := nextNumber(ctx, tx, cid, now.In(clock.Shanghai).Year())
		if err != nil {
			return err
		}
		rc.Number = number
		if err := tx.QueryRow(ctx, `INSERT INTO requests (community_id, number, channel, kind, category_id, building_id, grid_id,
			address, description, urgency, contact_name, contact_phone_enc, contact_email_enc, lat, lng, open311_key_id, open311_token,
			status, last_seq, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?) RETURNING id`,
			cid, number, string(ChannelOpen311), string(KindHelp), cat.ID, nullID(pl.building), nullID(pl.grid),
			pl.address, desc, string(UrgencyGeneral), in.ContactName, phoneEnc, emailEnc, lat, lng, in.KeyID, token,
			string(Submitted), now, now).Scan(&rc.ID); err != nil {
			return fmt.Errorf("requests: insert open311: %w", err)
		}
		if err := s.event(ctx, tx, actor, cid, rc.ID, 1, event{action: ActSubmit, from: "", to: Submitted, note: "Open311: " + in.KeyName}, now); err != nil {
			return err
		}
		return s.record(ctx, tx, actor, "request.submit", cid, rc.ID, number)
	})
	if err != nil {
		return nil, err
	}
	return rc, nil
}

func newToken() (string, error) {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("requests: token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// PublicRequest is a request as the public Open311 side may read it
// before redaction: no requester, the place as a building at most.
type PublicRequest struct {
	Number       string
	Status       Status
	CategoryCode string
	NameZH       string
	NameEN       string
	Description  string
	BuildingID   int64
	Building     string // estate and building number, "" without one
	Address      string // the free address as given
	Lat, Lng     *float64
	CreatedAt    time.Time
	UpdatedAt    time.Time
	ClosedAt     *time.Time
	Due          *time.Time // when it should be closed, once deadlines are set
	Agency       string     // the partner organisation it is dispatched to
}

// PublicFilter narrows the public list. Numbers, when given, override
// everything else but the community (the spec's service_request_id).
type PublicFilter struct {
	Numbers  []string
	Codes    []string
	From, To time.Time
	Open     *bool
	Limit    int
}

// PublicRequests lists community cid's requests in public categories,
// newest first.
func (s *Service) PublicRequests(ctx context.Context, cid int64, f PublicFilter) ([]PublicRequest, error) {
	cats, err := s.PublicCategories(ctx, cid)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]*Category, len(cats))
	var ids []any
	for i, c := range cats {
		if len(f.Numbers) > 0 || len(f.Codes) == 0 || slices.Contains(f.Codes, c.Code) {
			ids = append(ids, c.ID)
			byID[c.ID] = &cats[i]
		}
	}
	if len(ids) == 0 {
		return []PublicRequest{}, nil
	}
	where := []string{"q.community_id = ?", "q.category_id IN (" + placeholders(len(ids)) + ")"}
	args := append([]any{cid}, ids...)
	if len(f.Numbers) > 0 {
		where = append(where, "q.number IN ("+placeholders(len(f.Numbers))+")")
		for _, n := range f.Numbers {
			args = append(args, n)
		}
	} else {
		where = append(where, "q.created_at >= ?", "q.created_at < ?")
		args = append(args, f.From.UTC(), f.To.UTC())
		if f.Open != nil {
			var open []any
			for _, st := range Statuses {
				if st.Open() == *f.Open {
					open = append(open, string(st))
				}
			}
			where = append(where, "q.status IN ("+placeholders(len(open))+")")
			args = append(args, open...)
		}
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	// Only the request's own columns: a list of 1,000 names few
	// categories, buildings and partners, which are looked up once each
	// below rather than joined on every row.
	rows, err := s.db.Query(ctx, `SELECT q.number, q.status, q.category_id, q.description, COALESCE(q.building_id, 0),
		q.address, q.lat, q.lng, q.created_at, q.updated_at, q.closed_at, q.close_due,
		CASE WHEN q.handler_kind = 'organisation' THEN q.handler_id ELSE 0 END, q.contact_name, COALESCE(q.resident_id, 0)
		FROM requests q WHERE `+strings.Join(where, " AND ")+` ORDER BY q.created_at DESC, q.id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("requests: public list: %w", err)
	}
	defer rows.Close()
	out := make([]PublicRequest, 0, min(limit, 64))
	contacts := []string{}
	residents := []int64{}
	agencies := []int64{}
	for rows.Next() {
		var p PublicRequest
		var st, contact string
		var resident, category, agency int64
		var lat, lng sql.NullFloat64
		var closed, due sql.NullTime
		if err := rows.Scan(&p.Number, &st, &category, &p.Description, &p.BuildingID,
			&p.Address, &lat, &lng, &p.CreatedAt, &p.UpdatedAt, &closed, &due, &agency, &contact, &resident); err != nil {
			return nil, fmt.Errorf("requests: public list: %w", err)
		}
		c := byID[category]
		if c == nil { // the query asked for these categories only
			return nil, fmt.Errorf("requests: public list: category %d not asked for", category)
		}
		p.CategoryCode, p.NameZH, p.NameEN = c.Code, c.NameZH, c.NameEN
		contacts, residents, agencies = append(contacts, contact), append(residents, resident), append(agencies, agency)
		p.Status = Status(st)
		if lat.Valid && lng.Valid {
			p.Lat, p.Lng = &lat.Float64, &lng.Float64
		}
		p.ClosedAt, p.Due = ptime(closed), ptime(due)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("requests: public list: %w", err)
	}
	rows.Close()
	if err := s.publicNames(ctx, out, agencies); err != nil {
		return nil, err
	}
	// People write their own name into what they say ("王小明说…"): the
	// requester's name comes out of the public description too.
	var rids []int64
	for _, id := range residents {
		if id != 0 && !slices.Contains(rids, id) {
			rids = append(rids, id)
		}
	}
	persons, err := s.reg.Persons(ctx, cid, rids)
	if err != nil {
		return nil, err
	}
	for i := range out {
		names := nameForms(contacts[i])
		if p, ok := persons[residents[i]]; ok && residents[i] != 0 {
			names = append(names, nameForms(p.Name)...)
		}
		for _, n := range names {
			out[i].Description = strings.ReplaceAll(out[i].Description, n, NameRedacted)
		}
	}
	return out, nil
}

// publicNames fills the buildings' names (estate and number) and the
// agencies' (partner organisations') names of out, agencies[i] being
// out[i]'s organisation or 0: one query for each kind.
func (s *Service) publicNames(ctx context.Context, out []PublicRequest, agencies []int64) error {
	var bids, oids []int64
	for i := range out {
		if b := out[i].BuildingID; b != 0 && !slices.Contains(bids, b) {
			bids = append(bids, b)
		}
		if o := agencies[i]; o != 0 && !slices.Contains(oids, o) {
			oids = append(oids, o)
		}
	}
	lookup := func(q string, ids []int64) (map[int64]string, error) {
		names := make(map[int64]string, len(ids))
		for start := 0; start < len(ids); start += 500 {
			chunk := ids[start:min(start+500, len(ids))]
			args := make([]any, len(chunk))
			for i, id := range chunk {
				args[i] = id
			}
			rows, err := s.db.Query(ctx, q+" IN ("+placeholders(len(chunk))+")", args...)
			if err != nil {
				return nil, fmt.Errorf("requests: public names: %w", err)
			}
			for rows.Next() {
				var id int64
				var n string
				if err := rows.Scan(&id, &n); err != nil {
					rows.Close()
					return nil, fmt.Errorf("requests: public names: %w", err)
				}
				names[id] = n
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, fmt.Errorf("requests: public names: %w", err)
			}
		}
		return names, nil
	}
	buildings, err := lookup(`SELECT b.id, e.name || b.number || '号楼' FROM buildings b JOIN estates e ON e.id = b.estate_id WHERE b.id`, bids)
	if err != nil {
		return err
	}
	orgs, err := lookup(`SELECT id, name FROM organisations WHERE id`, oids)
	if err != nil {
		return err
	}
	for i := range out {
		out[i].Building = buildings[out[i].BuildingID]
		out[i].Agency = orgs[agencies[i]]
	}
	return nil
}

// NameRedacted is what stands where the requester's name was.
const NameRedacted = "[姓名已隐去]"

// nameForms are the ways a name may be written: as given, without its
// spaces, and a two-part name in either order ("小明 王" from Open311's
// first and last name is 王小明 in Chinese). A one-character part alone is
// left: removing every 王 would maul the text and hide nobody.
func nameForms(name string) []string {
	name = strings.TrimSpace(name)
	if utf8.RuneCountInString(name) < 2 {
		return nil
	}
	out := []string{name}
	parts := strings.Fields(name)
	if len(parts) == 2 {
		out = append(out, parts[0]+parts[1], parts[1]+parts[0], parts[0]+" "+parts[1], parts[1]+" "+parts[0])
	}
	// Longest first, so a longer form is replaced before its part.
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) })
	return slices.Compact(out)
}

// Open311Token answers the request number the token was issued for in
// community cid; NotFound when there is none.
func (s *Service) Open311Token(ctx context.Context, cid int64, token string) (string, error) {
	var n string
	err := s.db.QueryRow(ctx, `SELECT number FROM requests WHERE community_id = ? AND open311_token = ?`, cid, token).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return "", apperr.NotFoundErr()
	}
	if err != nil {
		return "", fmt.Errorf("requests: token: %w", err)
	}
	return n, nil
}
