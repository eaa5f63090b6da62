package registry

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/audit"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/idcard"
	"github.com/linli/linli/internal/secret"
)

// Service is the registry domain.
type Service struct {
	db    *db.DB
	keys  *secret.Keyring
	clock clock.Clock
}

// New returns a Service.
func New(d *db.DB, keys *secret.Keyring, c clock.Clock) *Service {
	return &Service{db: d, keys: keys, clock: c}
}

// record is a resident row with its sealed parts opened.
type record struct {
	id, cid, householdID     int64
	address                  string
	name, gender, birth      string
	child                    bool
	docType, relation        string
	party                    bool
	movedIn                  time.Time
	movedOut                 sql.NullTime
	idEnc, phoneEnc, tagsEnc string
	notesEnc, childEnc       string
	gridID                   sql.NullInt64
}

const residentColumns = `r.id, r.community_id, r.household_id,
	e.name || b.number || '号楼' || u.number || '单元' || h.room,
	r.name, r.gender, COALESCE(r.birth_date, ''), r.child, r.doc_type, r.relation, r.party,
	r.moved_in_at, r.moved_out_at, r.id_enc, r.phone_enc, r.tags_enc, r.notes_enc, r.child_enc, b.grid_id`

const residentJoins = ` FROM residents r
	JOIN households h ON h.id = r.household_id
	JOIN units u ON u.id = h.unit_id
	JOIN buildings b ON b.id = u.building_id
	JOIN estates e ON e.id = b.estate_id`

func scanRecord(rows interface{ Scan(...any) error }) (*record, error) {
	var r record
	err := rows.Scan(&r.id, &r.cid, &r.householdID, &r.address, &r.name, &r.gender, &r.birth, &r.child,
		&r.docType, &r.relation, &r.party, &r.movedIn, &r.movedOut, &r.idEnc, &r.phoneEnc, &r.tagsEnc,
		&r.notesEnc, &r.childEnc, &r.gridID)
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// Filter selects residents for List.
type Filter struct {
	CommunityID     int64
	Query           string // name prefix, or a whole ID number or phone
	GridID          int64
	BuildingID      int64
	HouseholdID     int64
	Tag             string
	IncludeMovedOut bool
	Limit, Offset   int
}

var digitsRE = regexp.MustCompile(`^[0-9]{6,17}[0-9Xx]$`)

// List returns residents in the actor's reach, masked, and the total. A
// masked list is not audited row by row (only opening a record is).
func (s *Service) List(ctx context.Context, actor *accounts.Principal, f Filter) ([]Resident, int, error) {
	cond, args, ok := scope(actor, f.CommunityID)
	if !ok {
		return nil, 0, apperr.NotFoundErr()
	}
	sl := sealer{s.keys, f.CommunityID}
	where := []string{cond}
	if !f.IncludeMovedOut {
		where = append(where, "r.moved_out_at IS NULL")
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		switch {
		case digitsRE.MatchString(q) && len(q) >= 15:
			where, args = append(where, "r.id_bidx = ?"), append(args, sl.bidx("id", idcard.Normalize(q)))
		case digitsRE.MatchString(q) && len(q) == 11:
			where, args = append(where, "r.phone_bidx = ?"), append(args, sl.bidx("phone", q))
		default:
			// A name prefix, or a child's whole name through its index: two
			// index lookups joined by UNION, because an OR of the two makes
			// SQLite walk the whole community and sort it.
			c := s.byteOrder()
			where = append(where, "r.id IN (SELECT x.id FROM residents x WHERE x.community_id = ? AND x.name"+c+" >= ? AND x.name"+c+
				" < ? UNION SELECT y.id FROM residents y WHERE y.community_id = ? AND y.name_bidx = ?)")
			args = append(args, f.CommunityID, q, q+"\U0010FFFF", f.CommunityID, sl.bidx("name", q))
		}
	}
	if f.GridID != 0 {
		where, args = append(where, "b.grid_id = ?"), append(args, f.GridID)
	}
	if f.BuildingID != 0 {
		where, args = append(where, "b.id = ?"), append(args, f.BuildingID)
	}
	if f.HouseholdID != 0 {
		where, args = append(where, "r.household_id = ?"), append(args, f.HouseholdID)
	}
	if f.Tag != "" {
		where = append(where, "EXISTS (SELECT 1 FROM resident_tags t WHERE t.resident_id = r.id AND t.token = ?)")
		args = append(args, sl.tagToken(f.Tag))
	}
	w := " WHERE " + strings.Join(where, " AND ")
	var total int
	if err := s.db.QueryRow(ctx, `SELECT count(*)`+residentJoins+w, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("registry: count residents: %w", err)
	}
	if f.Tag != "" && sensitiveTag(f.Tag) && f.Offset == 0 {
		// Who carries a vulnerable status is itself sensitive: listing
		// them is recorded like a reveal (once per search, not per page).
		if !roleMay(actor, f.CommunityID, mustField("tags").Reveal) {
			return nil, 0, apperr.ForbiddenErr()
		}
		e := actor.Audit(s.clock.Now(), "resident.tag_filter", f.CommunityID)
		e.ObjectType, e.ObjectID, e.Fields, e.Detail = "residents", fmt.Sprint(total), []string{"tags"}, f.Tag
		if err := audit.Record(ctx, s.db, e); err != nil {
			return nil, 0, err
		}
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	rows, err := s.db.Query(ctx, `SELECT `+residentColumns+residentJoins+w+` ORDER BY `+s.placeOrder()+`, r.id LIMIT ? OFFSET ?`,
		append(args, limit, f.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("registry: list residents: %w", err)
	}
	defer rows.Close()
	var out []Resident
	now := s.clock.Now()
	for rows.Next() {
		rec, err := scanRecord(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("registry: scan resident: %w", err)
		}
		v, err := s.viewFor(actor, rec, now, nil)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, *v)
	}
	return out, total, rows.Err()
}

// byteOrder is the collation that compares text by its bytes, SQLite's
// only one: on PostgreSQL, whose default collation follows the server's
// locale ("Alice" before "bob", a name prefix's upper bound U+10FFFF
// ignorable under ICU), every comparison and ORDER BY of text the two
// engines must agree on names it.
func (s *Service) byteOrder() string {
	if s.db.Dialect() == db.Postgres {
		return ` COLLATE "C"`
	}
	return ""
}

// placeOrder orders rows by estate, building, unit and room, the same on
// both engines (aliases e, b, u, h).
func (s *Service) placeOrder() string {
	c := s.byteOrder()
	return "e.name" + c + ", length(b.number), b.number" + c + ", u.number" + c + ", length(h.room), h.room" + c
}

// find loads one resident inside the actor's reach, or NotFound.
func (s *Service) find(ctx context.Context, actor *accounts.Principal, id int64) (*record, error) {
	var cid int64
	err := s.db.QueryRow(ctx, `SELECT community_id FROM residents WHERE id = ?`, id).Scan(&cid)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFoundErr()
	}
	if err != nil {
		return nil, fmt.Errorf("registry: find resident: %w", err)
	}
	cond, args, ok := scope(actor, cid)
	if !ok {
		return nil, apperr.NotFoundErr()
	}
	rec, err := scanRecord(s.db.QueryRow(ctx, `SELECT `+residentColumns+residentJoins+` WHERE r.id = ? AND `+cond, append([]any{id}, args...)...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFoundErr()
	}
	if err != nil {
		return nil, fmt.Errorf("registry: load resident: %w", err)
	}
	return rec, nil
}

// Get opens one resident's record, masked, and writes one audit entry
// (resident.view, or child.view for a child under 14).
func (s *Service) Get(ctx context.Context, actor *accounts.Principal, id int64) (*Resident, error) {
	rec, err := s.find(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	v, err := s.viewFor(actor, rec, now, nil)
	if err != nil {
		return nil, err
	}
	action := "resident.view"
	if rec.child {
		action = "child.view"
	}
	e := actor.Audit(now, action, rec.cid)
	e.ObjectType, e.ObjectID = "resident", fmt.Sprint(id)
	if err := audit.Record(ctx, s.db, e); err != nil {
		return nil, err
	}
	return v, nil
}

// Reveal unmasks one field of one resident for an actor allowed to, and
// records who, which field and why. The reason is required.
func (s *Service) Reveal(ctx context.Context, actor *accounts.Principal, id int64, field, reason string) (string, error) {
	f, ok := FieldByName(field)
	var v apperr.Validation
	if !ok || f.Sensitivity < Personal {
		v.Add("field", "registry.field.invalid", nil)
	}
	reason = strings.TrimSpace(reason)
	if n := len([]rune(reason)); n < 2 || n > 200 {
		v.Add("reason", "registry.reason.required", nil)
	}
	rec, err := s.find(ctx, actor, id)
	if err != nil {
		return "", err
	}
	if err := v.Err(); err != nil {
		return "", err
	}
	if !roleMay(actor, rec.cid, f.Reveal) || !roleMay(actor, rec.cid, f.See) {
		return "", apperr.ForbiddenErr()
	}
	view, err := s.viewFor(actor, rec, s.clock.Now(), []string{field})
	if err != nil {
		return "", err
	}
	var value string
	switch field {
	case "name":
		value = view.Name
	case "gender":
		value = view.Gender
	case "birth_date":
		value = view.BirthDate
	case "party":
		value = fmt.Sprint(view.Party)
	case "id_number":
		value = view.IDNumber
	case "phone":
		value = view.Phone
	case "tags":
		value = strings.Join(view.Tags, "、")
	case "notes":
		value = view.Notes
	default:
		return "", apperr.New(apperr.Invalid, "error.invalid").Field("field", "registry.field.invalid", nil)
	}
	e := actor.Audit(s.clock.Now(), "resident.reveal", rec.cid)
	e.ObjectType, e.ObjectID, e.Fields, e.Detail = "resident", fmt.Sprint(id), []string{field}, reason
	if rec.child {
		e.Action = "child.reveal"
	}
	if err := audit.Record(ctx, s.db, e); err != nil {
		return "", err
	}
	return value, nil
}

// viewFor is view for an actor: on top of the masking, every field the
// classification table does not let the actor's role see is left out.
func (s *Service) viewFor(actor *accounts.Principal, r *record, now time.Time, reveal []string) (*Resident, error) {
	v, err := s.view(r, now, reveal)
	if err != nil {
		return nil, err
	}
	for _, f := range Fields {
		if f.Name == "household_phone" || roleMay(actor, r.cid, f.See) {
			continue
		}
		if !clearField(v, f.Name) {
			return nil, fmt.Errorf("registry: field %q has no place in a resident's view", f.Name)
		}
	}
	return v, nil
}

// clearField empties one classified field of a view (and what is derived
// from it) and reports whether the field is one of a resident's.
func clearField(v *Resident, name string) bool {
	switch name {
	case "name":
		v.Name = ""
	case "gender":
		v.Gender = ""
	case "birth_date":
		v.BirthDate, v.Age = "", nil
	case "relation":
		v.Relation = ""
	case "party":
		v.Party = false
	case "doc_type":
		v.DocType = ""
	case "id_number":
		v.IDNumber = ""
	case "phone":
		v.Phone = ""
	case "tags":
		v.Tags = []string{}
	case "notes":
		v.Notes = ""
	default:
		return false
	}
	v.Masked = slices.DeleteFunc(v.Masked, func(m string) bool { return m == name })
	return true
}

// view turns a record into what an actor sees: sensitive fields masked,
// a child's personal fields hidden, except the fields in reveal.
func (s *Service) view(r *record, now time.Time, reveal []string) (*Resident, error) {
	sl := sealer{s.keys, r.cid}
	var sec secrets
	if r.childEnc != "" {
		if err := sl.openJSON("child", r.childEnc, &sec); err != nil {
			return nil, err
		}
	}
	var err error
	if sec.IDNumber, err = sl.open("id_number", r.idEnc); err != nil {
		return nil, err
	}
	if sec.Phone, err = sl.open("phone", r.phoneEnc); err != nil {
		return nil, err
	}
	if err := sl.openJSON("tags", r.tagsEnc, &sec.Tags); err != nil {
		return nil, err
	}
	if sec.Notes, err = sl.open("notes", r.notesEnc); err != nil {
		return nil, err
	}
	shown := func(f string) bool {
		for _, x := range reveal {
			if x == f {
				return true
			}
		}
		return false
	}
	v := &Resident{ID: r.id, CommunityID: r.cid, HouseholdID: r.householdID, Address: r.address, Child: r.child,
		DocType: r.docType, Relation: r.relation, Party: r.party, MovedInAt: r.movedIn.UTC(), Tags: []string{}}
	if r.movedOut.Valid {
		t := r.movedOut.Time.UTC()
		v.MovedOutAt = &t
	}
	mask := func(field string) { v.Masked = append(v.Masked, field) }
	if r.child {
		v.Name, v.Gender, v.BirthDate = r.name, "", ""
		for _, f := range []string{"name", "gender", "birth_date"} {
			if shown(f) {
				switch f {
				case "name":
					v.Name = sec.Name
				case "gender":
					v.Gender = sec.Gender
				case "birth_date":
					v.BirthDate = sec.BirthDate
				}
			} else {
				mask(f)
			}
		}
	} else {
		v.Name, v.Gender = r.name, r.gender
		if b, err := time.Parse("2006-01-02", r.birth); err == nil {
			age := idcard.Age(b, now)
			v.Age = &age
		}
		// The full date of birth is revealed, not shown: with it, the
		// masked ID number (area + ******** + sequence) is one guess away.
		if shown("birth_date") {
			v.BirthDate = r.birth
		} else if r.birth != "" {
			mask("birth_date")
		}
	}
	if shown("id_number") {
		v.IDNumber = sec.IDNumber
	} else if sec.IDNumber != "" {
		v.IDNumber = idcard.MaskID(sec.IDNumber)
		if r.child {
			// Its 17th digit would tell a child's hidden gender.
			v.IDNumber = strings.Repeat("*", utf8.RuneCountInString(sec.IDNumber))
		}
		mask("id_number")
	}
	if shown("phone") {
		v.Phone = sec.Phone
	} else if sec.Phone != "" {
		v.Phone = idcard.MaskPhone(sec.Phone)
		mask("phone")
	}
	for _, t := range sec.Tags {
		if shown("tags") || !sensitiveTag(t) {
			v.Tags = append(v.Tags, t)
		} else {
			v.Tags = append(v.Tags, MaskedTag)
		}
	}
	if !shown("tags") && len(sec.Tags) > 0 {
		for _, t := range v.Tags {
			if t == MaskedTag {
				mask("tags")
				break
			}
		}
	}
	if shown("notes") {
		v.Notes = sec.Notes
	} else if sec.Notes != "" {
		v.Notes = MaskedNote
		mask("notes")
	}
	return v, nil
}

// What masked tags and notes show as: the fact that something is there,
// not what.
const (
	MaskedTag  = "＊＊"
	MaskedNote = "＊＊＊"
)

// sensitiveTag: the default list says which statuses are vulnerable; a
// tag a community added is treated as sensitive (masked) whatever its row
// says, because the masked view is built without a query per row.
func sensitiveTag(name string) bool {
	for _, t := range DefaultTags {
		if t.Name == name {
			return t.Sensitive
		}
	}
	return true
}
