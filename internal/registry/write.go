package registry

import (
	"context"
	"errors"
	"fmt"
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
)

// ChildAge: residents under it are children whose every field is sealed
// (个人信息保护法 Art. 28, 31; 儿童个人信息网络保护规定).
const ChildAge = 14

// clean is a validated Input with everything derived from it.
type clean struct {
	in    Input
	birth time.Time
	child bool
}

// validate checks an Input against the rules a community sheet follows,
// collecting every problem. now is the clock's time.
func validate(in Input, now time.Time) (clean, error) {
	var v apperr.Validation
	c := clean{in: in}
	in.Name = strings.TrimSpace(in.Name)
	if n := utf8.RuneCountInString(in.Name); n == 0 || n > 30 || hasControl(in.Name) || strings.ContainsAny(in.Name, "\t*＊") {
		// A "*" is a masked value sent back, never a name.
		v.Add("name", "registry.name.invalid", nil)
	}
	switch in.Gender {
	case "", "M", "F":
	case "男":
		in.Gender = "M"
	case "女":
		in.Gender = "F"
	default:
		v.Add("gender", "registry.gender.invalid", nil)
	}
	if in.DocType == "" && in.IDNumber != "" {
		in.DocType = "id_card"
	}
	if in.IDNumber != "" {
		in.IDNumber = idcard.Normalize(in.IDNumber)
		if in.DocType == "id_card" {
			info, err := idcard.ValidateAt(in.IDNumber, now)
			if err != nil {
				v.Add("id_number", "idcard."+idcard.ReasonOf(err), nil)
			} else {
				in.IDNumber = info.Normalized
				if in.BirthDate == "" {
					in.BirthDate = info.Birth.Format("2006-01-02")
				} else if in.BirthDate != info.Birth.Format("2006-01-02") {
					v.Add("birth_date", "registry.birth.mismatch", nil)
				}
				g := map[bool]string{true: "M", false: "F"}[info.Male]
				if in.Gender == "" {
					in.Gender = g
				} else if in.Gender != g {
					v.Add("gender", "registry.gender.mismatch", nil)
				}
			}
		} else if n, err := idcard.NormalizeDoc(in.DocType, in.IDNumber, now); err != nil {
			v.Add("id_number", "idcard."+idcard.ReasonOf(err), nil)
		} else {
			in.IDNumber = n
		}
	} else if in.DocType != "" && in.DocType != "none" {
		v.Add("id_number", "registry.id.required", nil)
	}
	if in.BirthDate != "" {
		b, err := time.ParseInLocation("2006-01-02", in.BirthDate, time.UTC)
		// Dates are compared as dates in Shanghai: between 16:00 and 24:00
		// UTC a baby born today there was born "tomorrow" in UTC.
		if err != nil || in.BirthDate > now.In(clock.Shanghai).Format("2006-01-02") || b.Year() < 1880 {
			if !v.Has("birth_date") {
				v.Add("birth_date", "registry.birth.invalid", nil)
			}
		} else {
			c.birth = b
			c.child = idcard.Age(b, now) < ChildAge
		}
	}
	if in.Phone != "" {
		p, err := idcard.NormalizePhone(in.Phone)
		if err != nil {
			v.Add("phone", "registry.phone.invalid", nil)
		}
		in.Phone = p
	}
	if in.Relation != "" && !slices.Contains(Relations, in.Relation) {
		v.Add("relation", "registry.relation.invalid", nil)
	}
	if utf8.RuneCountInString(in.Notes) > 500 {
		v.Add("notes", "registry.notes.too_long", nil)
	} else if in.Notes == MaskedNote || hasControl(strings.ReplaceAll(in.Notes, "\n", "")) {
		v.Add("notes", "registry.notes.invalid", nil)
	}
	if hasControl(in.Relation) || hasControl(in.Phone) || hasControl(in.IDNumber) {
		v.Add("name", "registry.name.invalid", nil)
	}
	for _, t := range in.Tags {
		if t == MaskedTag || hasControl(t) {
			v.Add("tags", "registry.tag.invalid", nil)
			break
		}
	}
	seen := map[string]bool{}
	var tags []string
	for _, t := range in.Tags {
		t = strings.TrimSpace(t)
		if t == "" || seen[t] {
			continue
		}
		seen[t] = true
		tags = append(tags, t)
	}
	in.Tags = tags
	if in.HouseholdID <= 0 {
		v.Add("household_id", "registry.household.required", nil)
	}
	c.in = in
	return c, v.Err()
}

// hasControl reports control characters (NUL and the like), which
// PostgreSQL refuses in text and no person types.
func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return true
		}
	}
	return false
}

// columns returns the stored form of a clean input.
func (c clean) columns(sl sealer) (map[string]any, error) {
	in := c.in
	cols := map[string]any{
		"household_id": in.HouseholdID, "doc_type": in.DocType, "relation": in.Relation, "party": in.Party,
		"child": c.child, "name_bidx": sl.bidx("name", in.Name),
	}
	var err error
	if c.child {
		// Nothing about a child is left in the clear but a masked name.
		cols["name"] = maskName(in.Name)
		cols["gender"], cols["birth_date"] = "", nil
		if cols["child_enc"], err = sl.sealJSON("child", secrets{Name: in.Name, Gender: in.Gender, BirthDate: in.BirthDate}); err != nil {
			return nil, err
		}
	} else {
		cols["name"], cols["gender"], cols["child_enc"] = in.Name, in.Gender, ""
		cols["birth_date"] = nil
		if in.BirthDate != "" {
			cols["birth_date"] = in.BirthDate
		}
	}
	if cols["id_enc"], err = sl.seal("id_number", in.IDNumber); err != nil {
		return nil, err
	}
	cols["id_bidx"] = nil
	if in.IDNumber != "" {
		cols["id_bidx"] = sl.bidx("id", in.IDNumber)
	}
	if cols["phone_enc"], err = sl.seal("phone", in.Phone); err != nil {
		return nil, err
	}
	cols["phone_bidx"] = sl.bidx("phone", in.Phone)
	cols["tags_enc"] = ""
	if len(in.Tags) > 0 {
		if cols["tags_enc"], err = sl.sealJSON("tags", in.Tags); err != nil {
			return nil, err
		}
	}
	if cols["notes_enc"], err = sl.seal("notes", in.Notes); err != nil {
		return nil, err
	}
	return cols, nil
}

// maskName keeps the surname: "王小明" → "王**".
func maskName(name string) string {
	r := []rune(name)
	if len(r) <= 1 {
		return "*"
	}
	return string(r[0]) + strings.Repeat("*", len(r)-1)
}

// columnOrder fixes the order of the stored columns in statements.
var columnOrder = []string{"household_id", "name", "name_bidx", "gender", "birth_date", "child", "child_enc",
	"doc_type", "id_enc", "id_bidx", "phone_enc", "phone_bidx", "relation", "party", "tags_enc", "notes_enc"}

// checkHousehold confirms the household is in the community and in the
// actor's reach, and that the tags are the community's.
func (s *Service) checkHousehold(ctx context.Context, q db.Querier, actor *accounts.Principal, cid, hid int64) error {
	cond, args, ok := householdScope(actor, cid)
	if !ok {
		return apperr.NotFoundErr()
	}
	var n int
	err := q.QueryRow(ctx, `SELECT count(*) FROM households h JOIN units u ON u.id = h.unit_id JOIN buildings b ON b.id = u.building_id
		WHERE h.id = ? AND `+cond, append([]any{hid}, args...)...).Scan(&n)
	if err != nil {
		return fmt.Errorf("registry: check household: %w", err)
	}
	if n == 0 {
		return apperr.New(apperr.Invalid, "error.invalid").Field("household_id", "registry.household.outside", nil)
	}
	return nil
}

func (s *Service) checkTags(ctx context.Context, q db.Querier, cid int64, tags []string) error {
	for _, t := range tags {
		var n int
		if err := q.QueryRow(ctx, `SELECT count(*) FROM tags WHERE community_id = ? AND name = ?`, cid, t).Scan(&n); err != nil {
			return fmt.Errorf("registry: check tag: %w", err)
		}
		if n == 0 {
			return apperr.New(apperr.Invalid, "error.invalid").Field("tags", "registry.tag.unknown", map[string]any{"tag": t})
		}
	}
	return nil
}

func writeTags(ctx context.Context, q db.Querier, sl sealer, rid int64, tags []string) error {
	if _, err := q.Exec(ctx, `DELETE FROM resident_tags WHERE resident_id = ?`, rid); err != nil {
		return fmt.Errorf("registry: clear tags: %w", err)
	}
	for _, t := range tags {
		if _, err := q.Exec(ctx, `INSERT INTO resident_tags (community_id, resident_id, token) VALUES (?, ?, ?)`, sl.cid, rid, sl.tagToken(t)); err != nil {
			return fmt.Errorf("registry: tag: %w", err)
		}
	}
	return nil
}

// Create records a resident moving into a household. An ID number already
// held by a current or past resident of the community is a Conflict.
func (s *Service) Create(ctx context.Context, actor *accounts.Principal, cid int64, in Input) (*Resident, error) {
	if !roleMay(actor, cid, mustField("name").Edit) {
		if _, _, ok := scope(actor, cid); !ok {
			return nil, apperr.NotFoundErr()
		}
		return nil, apperr.ForbiddenErr()
	}
	now := s.clock.Now()
	c, err := validate(in, now)
	if err != nil {
		return nil, err
	}
	sl := sealer{s.keys, cid}
	cols, err := c.columns(sl)
	if err != nil {
		return nil, err
	}
	var id int64
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := s.checkHousehold(ctx, tx, actor, cid, c.in.HouseholdID); err != nil {
			return err
		}
		if err := s.checkTags(ctx, tx, cid, c.in.Tags); err != nil {
			return err
		}
		args := []any{cid}
		for _, k := range columnOrder {
			args = append(args, cols[k])
		}
		args = append(args, now, now, now)
		err := tx.QueryRow(ctx, `INSERT INTO residents (community_id, `+strings.Join(columnOrder, ", ")+`, moved_in_at, created_at, updated_at)
			VALUES (?`+strings.Repeat(", ?", len(columnOrder)+3)+`) RETURNING id`, args...).Scan(&id)
		if db.IsUniqueViolation(err) {
			return errIDTaken
		}
		if err != nil {
			return fmt.Errorf("registry: insert resident: %w", err)
		}
		if err := writeTags(ctx, tx, sl, id, c.in.Tags); err != nil {
			return err
		}
		if c.in.Relation == "户主" {
			if _, err := tx.Exec(ctx, `UPDATE households SET head_resident_id = ?, updated_at = ? WHERE id = ?`, id, now, c.in.HouseholdID); err != nil {
				return fmt.Errorf("registry: set head: %w", err)
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO resident_moves (community_id, resident_id, kind, to_household_id, at, by_account_id)
			VALUES (?, ?, 'in', ?, ?, ?)`, cid, id, c.in.HouseholdID, now, byAccount(actor)); err != nil {
			return fmt.Errorf("registry: move in: %w", err)
		}
		e := actor.Audit(now, "resident.create", cid)
		e.ObjectType, e.ObjectID, e.Fields = "resident", fmt.Sprint(id), changedFields(c.in)
		return audit.Record(ctx, tx, e)
	})
	if err == errIDTaken {
		return nil, s.idTaken(ctx, actor, cid, cols["id_bidx"])
	}
	if err != nil {
		return nil, err
	}
	rec, err := s.find(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	return s.viewFor(actor, rec, now, nil)
}

// Update corrects a resident's record: the input replaces every editable
// field. Fields left empty in the input are kept as they were when keep
// lists them ("id_number", "phone", "notes", "tags", and "personal" for
// name, gender and birth date): a form that showed them masked cannot
// send them back.
func (s *Service) Update(ctx context.Context, actor *accounts.Principal, id int64, in Input, keep []string) (*Resident, error) {
	rec, err := s.find(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	if !roleMay(actor, rec.cid, mustField("name").Edit) {
		return nil, apperr.ForbiddenErr()
	}
	now := s.clock.Now()
	old, err := s.view(rec, now, Revealable())
	if err != nil {
		return nil, err
	}
	if rec.child && in.BirthDate == "" {
		// Without a new birth date a child stays a child: the masked
		// view sends none back.
		in.BirthDate = old.BirthDate
	}
	for _, k := range keep {
		switch k {
		case "id_number":
			if in.IDNumber == "" {
				in.IDNumber, in.DocType = old.IDNumber, old.DocType
			}
		case "phone":
			if in.Phone == "" {
				in.Phone = old.Phone
			}
		case "notes":
			if in.Notes == "" {
				in.Notes = old.Notes
			}
		case "tags":
			if in.Tags == nil {
				in.Tags = old.Tags
			}
		case "personal":
			// A child's name, gender and birth date are hidden from the
			// form; sent empty, they stay.
			if in.Name == "" {
				in.Name = old.Name
			}
			if in.Gender == "" {
				in.Gender = old.Gender
			}
			if in.BirthDate == "" {
				in.BirthDate = old.BirthDate
			}
		}
	}
	c, err := validate(in, now)
	if err != nil {
		return nil, err
	}
	sl := sealer{s.keys, rec.cid}
	cols, err := c.columns(sl)
	if err != nil {
		return nil, err
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if c.in.HouseholdID != rec.householdID {
			if err := s.checkHousehold(ctx, tx, actor, rec.cid, c.in.HouseholdID); err != nil {
				return err
			}
		}
		if err := s.checkTags(ctx, tx, rec.cid, c.in.Tags); err != nil {
			return err
		}
		var sets []string
		var args []any
		for _, k := range columnOrder {
			sets, args = append(sets, k+" = ?"), append(args, cols[k])
		}
		args = append(args, now, id)
		_, err := tx.Exec(ctx, `UPDATE residents SET `+strings.Join(sets, ", ")+`, updated_at = ? WHERE id = ?`, args...)
		if db.IsUniqueViolation(err) {
			return errIDTaken
		}
		if err != nil {
			return fmt.Errorf("registry: update resident: %w", err)
		}
		if err := writeTags(ctx, tx, sl, id, c.in.Tags); err != nil {
			return err
		}
		if c.in.HouseholdID != rec.householdID {
			if _, err := tx.Exec(ctx, `INSERT INTO resident_moves (community_id, resident_id, kind, from_household_id, to_household_id, at, by_account_id)
				VALUES (?, ?, 'move', ?, ?, ?, ?)`, rec.cid, id, rec.householdID, c.in.HouseholdID, now, byAccount(actor)); err != nil {
				return fmt.Errorf("registry: move: %w", err)
			}
		}
		// The head of a household is whoever is recorded as 户主 there.
		if c.in.HouseholdID != rec.householdID || c.in.Relation != "户主" {
			stays := int64(0) // the household where id is still head, if any
			if c.in.Relation == "户主" {
				stays = c.in.HouseholdID
			}
			if _, err := tx.Exec(ctx, `UPDATE households SET head_resident_id = NULL WHERE head_resident_id = ? AND id <> ?`, id, stays); err != nil {
				return fmt.Errorf("registry: clear head: %w", err)
			}
		}
		if c.in.Relation == "户主" {
			if _, err := tx.Exec(ctx, `UPDATE households SET head_resident_id = ?, updated_at = ? WHERE id = ?`, id, now, c.in.HouseholdID); err != nil {
				return fmt.Errorf("registry: set head: %w", err)
			}
		}
		e := actor.Audit(now, "resident.update", rec.cid)
		e.ObjectType, e.ObjectID, e.Fields = "resident", fmt.Sprint(id), diffFields(old, c)
		return audit.Record(ctx, tx, e)
	})
	if err == errIDTaken {
		return nil, s.idTaken(ctx, actor, rec.cid, cols["id_bidx"])
	}
	if err != nil {
		return nil, err
	}
	rec, err = s.find(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	return s.viewFor(actor, rec, now, nil)
}

// MoveOut records that a resident left: they leave the lists and stay in
// the records, with the move in their history.
func (s *Service) MoveOut(ctx context.Context, actor *accounts.Principal, id int64, reason string) error {
	rec, err := s.find(ctx, actor, id)
	if err != nil {
		return err
	}
	if !roleMay(actor, rec.cid, mustField("name").Edit) {
		return apperr.ForbiddenErr()
	}
	if rec.movedOut.Valid {
		return apperr.New(apperr.Conflict, "registry.moved_out.already")
	}
	reason = strings.TrimSpace(reason)
	if utf8.RuneCountInString(reason) > 200 || hasControl(reason) {
		return apperr.New(apperr.Invalid, "error.invalid").Field("reason", "registry.reason.too_long", nil)
	}
	now := s.clock.Now()
	// The reason often says why ("入住养老院", "病故"): sealed like notes.
	sealedReason, err := sealer{s.keys, rec.cid}.seal("move_reason", reason)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE residents SET moved_out_at = ?, updated_at = ? WHERE id = ?`, now, now, id); err != nil {
			return fmt.Errorf("registry: move out: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE households SET head_resident_id = NULL, updated_at = ? WHERE head_resident_id = ?`, now, id); err != nil {
			return fmt.Errorf("registry: clear head: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO resident_moves (community_id, resident_id, kind, from_household_id, reason, at, by_account_id)
			VALUES (?, ?, 'out', ?, ?, ?, ?)`, rec.cid, id, rec.householdID, sealedReason, now, byAccount(actor)); err != nil {
			return fmt.Errorf("registry: move out: %w", err)
		}
		e := actor.Audit(now, "resident.move_out", rec.cid)
		e.ObjectType, e.ObjectID, e.Fields = "resident", fmt.Sprint(id), []string{"moved_out_at"}
		return audit.Record(ctx, tx, e)
	})
}

// errIDTaken is a write refused by the unique blind index of ID numbers,
// inside the transaction; idTaken turns it into the answer.
var errIDTaken = errors.New("registry: ID number taken")

// idTaken answers a write whose ID number another resident of the
// community holds. The answer is a Conflict that says nothing of the
// holder — and it cannot help saying that the number is held, even by
// someone outside a grid worker's grids, since a number is recorded once
// per community. So every such answer is audited with the holder's id:
// someone trying ID numbers to learn who lives here leaves a trail the
// office reads (audit action resident.id_conflict).
func (s *Service) idTaken(ctx context.Context, actor *accounts.Principal, cid int64, bidx any) error {
	var holder int64
	if err := s.db.QueryRow(ctx, `SELECT id FROM residents WHERE community_id = ? AND id_bidx = ?`, cid, bidx).Scan(&holder); err != nil {
		return fmt.Errorf("registry: ID holder: %w", err)
	}
	e := actor.Audit(s.clock.Now(), "resident.id_conflict", cid)
	e.ObjectType, e.ObjectID, e.Fields = "resident", fmt.Sprint(holder), []string{"id_number"}
	if _, err := s.find(ctx, actor, holder); err != nil {
		e.Detail = "outside the actor's reach"
	}
	if err := audit.Record(ctx, s.db, e); err != nil {
		return err
	}
	return apperr.New(apperr.Conflict, "registry.id.duplicate").Field("id_number", "registry.id.duplicate", nil)
}

func byAccount(p *accounts.Principal) any {
	if p == nil || p.AccountID == 0 {
		return nil
	}
	return p.AccountID
}

func mustField(name string) Field {
	f, ok := FieldByName(name)
	if !ok {
		panic("registry: no field " + name)
	}
	return f
}

// changedFields names the fields an input sets (names only, never values).
func changedFields(in Input) []string {
	out := []string{"name", "household_id"}
	for f, set := range map[string]bool{"gender": in.Gender != "", "birth_date": in.BirthDate != "", "id_number": in.IDNumber != "",
		"phone": in.Phone != "", "relation": in.Relation != "", "tags": len(in.Tags) > 0, "notes": in.Notes != "", "party": in.Party} {
		if set {
			out = append(out, f)
		}
	}
	slices.Sort(out)
	return out
}

// diffFields names the fields an update changes.
func diffFields(old *Resident, c clean) []string {
	in := c.in
	var out []string
	add := func(name string, changed bool) {
		if changed {
			out = append(out, name)
		}
	}
	add("household_id", old.HouseholdID != in.HouseholdID)
	add("name", old.Name != in.Name)
	add("gender", old.Gender != in.Gender)
	add("birth_date", old.BirthDate != in.BirthDate)
	add("id_number", old.IDNumber != in.IDNumber || old.DocType != in.DocType)
	add("phone", old.Phone != in.Phone)
	add("relation", old.Relation != in.Relation)
	add("party", old.Party != in.Party)
	add("tags", strings.Join(old.Tags, ",") != strings.Join(in.Tags, ","))
	add("notes", old.Notes != in.Notes)
	return out
}
