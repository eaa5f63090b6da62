package volunteers

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/idcard"
	"github.com/linli/linli/internal/registry"
)

// Registration ways (registered_via).
const (
	ViaSelf     = "self"     // the volunteer registered themselves
	ViaWorker   = "worker"   // a worker entered it, with the volunteer's consent recorded
	ViaGuardian = "guardian" // a guardian registered their child
)

// Register makes a person a volunteer of community cid.
//
// Who may: the office registers anyone, recording who gave consent; a
// signed-in resident registers themselves, or a minor of their own
// household as that minor's guardian; a signed-in person who is not a
// resident registers themselves as an outside adult. General consent is
// required (办法 第六条); a minor needs a guardian's consent, and the
// guardian must be an adult resident of the community.
func (s *Service) Register(ctx context.Context, actor *accounts.Principal, cid int64, in Input) (*Volunteer, error) {
	r, err := s.reachOf(ctx, actor, cid)
	if err != nil {
		return nil, err
	}
	if !r.any() {
		return nil, apperr.NotFoundErr()
	}
	now := s.clock.Now()
	var v apperr.Validation
	if (in.ResidentID == 0) == (in.Person == nil) {
		v.Add("resident_id", "volunteer.person.one", nil)
		return nil, v.Err()
	}
	via := ViaWorker
	var accountID int64
	var person registry.Person
	if in.ResidentID != 0 {
		p, ok, err := s.reg.Person(ctx, cid, in.ResidentID)
		if err != nil {
			return nil, err
		}
		if !ok || p.MovedOut {
			if !r.office {
				// As for anyone else's record: no one but the office
				// learns who lives (or lived) here.
				return nil, apperr.NotFoundErr()
			}
			v.Add("resident_id", "volunteer.resident.unknown", nil)
			return nil, v.Err()
		}
		person = p
		switch {
		case r.office:
		case r.resident != 0 && p.ResidentID == r.resident:
			via = ViaSelf
		case r.resident != 0 && in.Guardian != nil && in.Guardian.ResidentID == r.resident && s.sameHousehold(ctx, cid, r.resident, p):
			via = ViaGuardian
		default:
			// Not theirs to register: as if the resident did not exist.
			return nil, apperr.NotFoundErr()
		}
		accountID = p.AccountID
	} else {
		if !r.office {
			if r.resident != 0 {
				// A resident registers through their registry record.
				v.Add("person", "volunteer.person.is_resident", nil)
				return nil, v.Err()
			}
			via, accountID = ViaSelf, actor.AccountID
		}
		in.Person.Name = strings.TrimSpace(in.Person.Name)
		checkPerson(in.Person, now, &v)
		person = registry.Person{Name: in.Person.Name, Gender: in.Person.Gender, BirthDate: in.Person.BirthDate}
	}
	age := ageOn(person.BirthDate, now)
	rules, err := s.AgeRules(ctx, cid)
	if err != nil {
		return nil, err
	}
	minor := age >= 0 && age < rules.ConsentUnder
	if in.Person != nil && minor {
		v.Add("person", "volunteer.minor.must_be_resident", nil)
	}
	if minor && via == ViaSelf {
		// A minor signing themselves up would record their guardian's
		// consent themselves: a guardian (or the office) registers them.
		return nil, apperr.New(apperr.Forbidden, "volunteer.consent.guardian_only")
	}
	if age < 0 && in.ResidentID != 0 {
		// Without a birth date no age rule can be applied.
		v.Add("resident_id", "volunteer.birth.unknown", nil)
	}
	if !in.Consent.General {
		v.Add("consent.general", "volunteer.consent.required", nil)
	}
	givenOn := in.Consent.GivenOn
	if givenOn == "" {
		givenOn = s.today()
	} else if !validDate(givenOn) || givenOn > s.today() {
		v.Add("consent.given_on", "volunteer.date.invalid", nil)
	}
	givenBy := strings.TrimSpace(in.Consent.GivenBy)
	if via != ViaWorker || givenBy == "" {
		givenBy = "self"
	}
	if utf8.RuneCountInString(givenBy) > 30 || hasControl(givenBy) {
		v.Add("consent.given_by", "volunteer.given_by.invalid", nil)
	}
	var guardian *registry.Person
	if minor {
		g, err := s.checkGuardian(ctx, cid, in.Guardian, person, now, &v)
		if err != nil {
			return nil, err
		}
		guardian = g
	} else if in.Guardian != nil {
		v.Add("guardian", "volunteer.guardian.adult", nil)
	}
	if in.ResidentID == 0 && in.Person != nil && in.Person.IDNumber != "" && !v.Has("person.id_number") {
		var n int
		if err := s.db.QueryRow(ctx, `SELECT count(*) FROM volunteers WHERE community_id = ? AND id_bidx = ?`, cid, s.bidx(cid, "id", in.Person.IDNumber)).Scan(&n); err != nil {
			return nil, fmt.Errorf("volunteers: find id: %w", err)
		}
		if n > 0 {
			return nil, apperr.New(apperr.Conflict, "volunteer.exists")
		}
	}
	prof, err := s.checkProfile(ctx, s.db, cid, in, &v)
	if err != nil {
		return nil, err
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	// Seal outside persons' fields before the transaction.
	cols := map[string]any{}
	if in.Person != nil {
		cols["name"], cols["gender"], cols["birth_date"] = in.Person.Name, in.Person.Gender, in.Person.BirthDate
		if cols["phone_enc"], err = s.seal(cid, "phone", in.Person.Phone); err != nil {
			return nil, err
		}
		cols["phone_bidx"] = s.bidx(cid, "phone", in.Person.Phone)
		if cols["id_enc"], err = s.seal(cid, "id_number", in.Person.IDNumber); err != nil {
			return nil, err
		}
		cols["id_bidx"] = nil
		if in.Person.IDNumber != "" {
			cols["id_bidx"] = s.bidx(cid, "id", in.Person.IDNumber)
		}
	}
	var id int64
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if in.ResidentID != 0 {
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM volunteers WHERE community_id = ? AND resident_id = ?`, cid, in.ResidentID).Scan(&n); err != nil {
				return fmt.Errorf("volunteers: find resident volunteer: %w", err)
			}
			if n > 0 {
				return apperr.New(apperr.Conflict, "volunteer.exists")
			}
		}
		if accountID != 0 {
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM volunteers WHERE account_id = ?`, accountID).Scan(&n); err != nil {
				return fmt.Errorf("volunteers: find account volunteer: %w", err)
			}
			if n > 0 {
				return apperr.New(apperr.Conflict, "volunteer.exists")
			}
		}
		number, err := nextNumber(ctx, tx, cid, "volunteer", "V")
		if err != nil {
			return err
		}
		var by any
		if !actor.System {
			by = actor.AccountID
		}
		err = tx.QueryRow(ctx, `INSERT INTO volunteers (community_id, number, resident_id, account_id, name, gender, birth_date,
			phone_enc, phone_bidx, id_enc, id_bidx, skills_other, categories, availability, registered_via, registered_by, registered_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			cid, number, nullID(in.ResidentID), nullID(accountID), str(cols["name"]), str(cols["gender"]), cols["birth_date"],
			str(cols["phone_enc"]), str(cols["phone_bidx"]), str(cols["id_enc"]), cols["id_bidx"],
			prof.skillsOther, prof.categories, prof.availability, via, by, now, now).Scan(&id)
		if db.IsUniqueViolation(err) {
			return apperr.New(apperr.Conflict, "volunteer.exists")
		}
		if err != nil {
			return fmt.Errorf("volunteers: insert: %w", err)
		}
		if err := writeProfile(ctx, tx, id, prof); err != nil {
			return err
		}
		if err := s.insertConsent(ctx, tx, actor, cid, id, "general", "", givenOn, givenBy, 0, ""); err != nil {
			return err
		}
		if in.Consent.Publicity {
			if err := s.insertConsent(ctx, tx, actor, cid, id, "publicity", "", givenOn, givenBy, 0, ""); err != nil {
				return err
			}
		}
		if guardian != nil {
			g := in.Guardian
			gOn := g.GivenOn
			if gOn == "" {
				gOn = s.today()
			}
			if err := s.insertConsent(ctx, tx, actor, cid, id, "guardian", strings.TrimSpace(g.Scope), gOn, "guardian", guardian.ResidentID, strings.TrimSpace(g.Relation)); err != nil {
				return err
			}
		}
		if accountID != 0 {
			if err := s.acc.EnsureGrantTx(ctx, tx, actor, accounts.Grant{AccountID: accountID, Role: accounts.Volunteer, CommunityID: cid}, now); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, actor, "volunteer.register", cid, "volunteer", id, via)
	})
	if err != nil {
		return nil, err
	}
	if accountID != 0 {
		s.acc.Invalidate()
	}
	return s.Get(ctx, actor, id)
}

// checkPerson validates an outside adult's identity.
func checkPerson(p *Person, now time.Time, v *apperr.Validation) {
	if n := utf8.RuneCountInString(strings.TrimSpace(p.Name)); n == 0 || n > 30 || hasControl(p.Name) || strings.ContainsAny(p.Name, "*＊") {
		v.Add("person.name", "registry.name.invalid", nil)
	}
	switch p.Gender {
	case "", "M", "F":
	case "男":
		p.Gender = "M"
	case "女":
		p.Gender = "F"
	default:
		v.Add("person.gender", "registry.gender.invalid", nil)
	}
	if p.IDNumber != "" {
		info, err := idcard.ValidateAt(idcard.Normalize(p.IDNumber), now)
		if err != nil {
			v.Add("person.id_number", "idcard."+idcard.ReasonOf(err), nil)
		} else {
			p.IDNumber = info.Normalized
			if p.BirthDate == "" {
				p.BirthDate = info.Birth.Format(time.DateOnly)
			} else if p.BirthDate != info.Birth.Format(time.DateOnly) {
				v.Add("person.birth_date", "registry.birth.mismatch", nil)
			}
		}
	}
	if b, err := time.ParseInLocation(time.DateOnly, p.BirthDate, clock.Shanghai); err != nil || b.After(now) || now.Year()-b.Year() > 120 {
		v.Add("person.birth_date", "registry.birth.invalid", nil)
	}
	phone, err := idcard.NormalizePhone(p.Phone)
	if p.Phone == "" || err != nil {
		v.Add("person.phone", "registry.phone.invalid", nil)
	} else {
		p.Phone = phone
	}
}

// checkGuardian validates a minor's guardian: an adult resident of the
// community, not moved out, not the minor, with a relation.
func (s *Service) checkGuardian(ctx context.Context, cid int64, g *GuardianInput, minor registry.Person, now time.Time, v *apperr.Validation) (*registry.Person, error) {
	if g == nil || g.ResidentID == 0 {
		v.Add("guardian", "volunteer.guardian.required", nil)
		return nil, nil
	}
	p, ok, err := s.reg.Person(ctx, cid, g.ResidentID)
	if err != nil {
		return nil, err
	}
	switch {
	case !ok || p.MovedOut:
		v.Add("guardian.resident_id", "volunteer.resident.unknown", nil)
	case p.ResidentID == minor.ResidentID:
		v.Add("guardian.resident_id", "volunteer.guardian.self", nil)
	case ageOn(p.BirthDate, now) < 18:
		v.Add("guardian.resident_id", "volunteer.guardian.not_adult", nil)
	}
	rel := strings.TrimSpace(g.Relation)
	if n := utf8.RuneCountInString(rel); n == 0 || n > 10 || hasControl(rel) {
		v.Add("guardian.relation", "volunteer.guardian.relation", nil)
	}
	if utf8.RuneCountInString(g.Scope) > 200 || hasControl(g.Scope) {
		v.Add("guardian.scope", "volunteer.guardian.scope", nil)
	}
	if g.GivenOn != "" && (!validDate(g.GivenOn) || g.GivenOn > s.today()) {
		v.Add("guardian.given_on", "volunteer.date.invalid", nil)
	}
	return &p, nil
}

// sameHousehold reports whether resident a lives with person b: the test a
// resident passes to register a child as its guardian themselves.
func (s *Service) sameHousehold(ctx context.Context, cid, a int64, b registry.Person) bool {
	p, ok, err := s.reg.Person(ctx, cid, a)
	return err == nil && ok && !p.MovedOut && p.HouseholdID == b.HouseholdID
}

func (s *Service) insertConsent(ctx context.Context, tx *db.Tx, actor *accounts.Principal, cid, volunteerID int64, kind, scope, givenOn, givenBy string, guardian int64, relation string) error {
	var by any
	if !actor.System {
		by = actor.AccountID
	}
	_, err := tx.Exec(ctx, `INSERT INTO consents (community_id, volunteer_id, kind, scope, given_on, given_by, guardian_resident_id, relation, recorded_by, recorded_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, cid, volunteerID, kind, scope, givenOn, givenBy, nullID(guardian), relation, by, s.clock.Now())
	if err != nil {
		return fmt.Errorf("volunteers: record consent: %w", err)
	}
	return nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
