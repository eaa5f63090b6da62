package volunteers

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/db"
)

// MaskChildName shows a child's name the way certificates and public
// pages do: first and last character, the middle hidden (刘小嘉 → 刘*嘉,
// 刘嘉 → 刘*).
func MaskChildName(name string) string {
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

// AgeRules returns community cid's age rules, or the defaults.
func (s *Service) AgeRules(ctx context.Context, cid int64) (AgeRules, error) {
	var a AgeRules
	err := s.db.QueryRow(ctx, `SELECT min_age, accompany_under, consent_under FROM age_rules WHERE community_id = ?`, cid).
		Scan(&a.MinAge, &a.AccompanyUnder, &a.ConsentUnder)
	if errors.Is(err, sql.ErrNoRows) {
		return DefaultAgeRules, nil
	}
	if err != nil {
		return a, fmt.Errorf("volunteers: age rules: %w", err)
	}
	return a, nil
}

// SetAgeRules changes a community's age rules (admins and workers).
func (s *Service) SetAgeRules(ctx context.Context, actor *accounts.Principal, cid int64, a AgeRules) error {
	r, err := s.reachOf(ctx, actor, cid)
	if err != nil {
		return err
	}
	if !r.office {
		return apperr.ForbiddenErr()
	}
	var v apperr.Validation
	if a.MinAge < 0 || a.MinAge > 18 {
		v.Add("min_age", "volunteer.rules.range", nil)
	}
	if a.AccompanyUnder < 0 || a.AccompanyUnder > 18 {
		v.Add("accompany_under", "volunteer.rules.range", nil)
	}
	// The law needs a guardian for under-14s at least; 18 is the adult age.
	if a.ConsentUnder < 14 || a.ConsentUnder > 18 {
		v.Add("consent_under", "volunteer.rules.consent", nil)
	}
	if err := v.Err(); err != nil {
		return err
	}
	now := s.clock.Now()
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE age_rules SET min_age = ?, accompany_under = ?, consent_under = ?, updated_by = ?, updated_at = ? WHERE community_id = ?`,
			a.MinAge, a.AccompanyUnder, a.ConsentUnder, nullID(actor.AccountID), now, cid)
		if err != nil {
			return fmt.Errorf("volunteers: set age rules: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if _, err := tx.Exec(ctx, `INSERT INTO age_rules (community_id, min_age, accompany_under, consent_under, updated_by, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
				cid, a.MinAge, a.AccompanyUnder, a.ConsentUnder, nullID(actor.AccountID), now); err != nil {
				return fmt.Errorf("volunteers: set age rules: %w", err)
			}
		}
		return s.record(ctx, tx, actor, "volunteer.age_rules", cid, "community", cid, fmt.Sprintf("%d/%d/%d", a.MinAge, a.AccompanyUnder, a.ConsentUnder))
	})
}

// Skills lists the community's managed skill names.
func (s *Service) Skills(ctx context.Context, cid int64) ([]string, error) {
	rows, err := s.db.Query(ctx, `SELECT name FROM skills WHERE community_id = ? ORDER BY id`, cid)
	if err != nil {
		return nil, fmt.Errorf("volunteers: skills: %w", err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// AddSkill adds a skill to the community's list (admins and workers).
func (s *Service) AddSkill(ctx context.Context, actor *accounts.Principal, cid int64, name string) error {
	r, err := s.reachOf(ctx, actor, cid)
	if err != nil {
		return err
	}
	if !r.office {
		return apperr.ForbiddenErr()
	}
	name = strings.TrimSpace(name)
	if n := len([]rune(name)); n == 0 || n > 20 || hasControl(name) || strings.ContainsAny(name, ",，、") {
		return apperr.New(apperr.Invalid, "error.invalid").Field("name", "volunteer.skill.invalid", nil)
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO skills (community_id, name, created_at) VALUES (?, ?, ?)`, cid, name, s.clock.Now())
		if db.IsUniqueViolation(err) {
			return apperr.New(apperr.Conflict, "volunteer.skill.exists")
		}
		if err != nil {
			return fmt.Errorf("volunteers: add skill: %w", err)
		}
		return s.record(ctx, tx, actor, "skill.add", cid, "skill", name, name)
	})
}

// Update changes a volunteer's profile (skills, categories, availability,
// grids): the office, or the volunteer themselves.
func (s *Service) Update(ctx context.Context, actor *accounts.Principal, id int64, in Input) (*Volunteer, error) {
	v, r, err := s.find(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	rel, err := s.relation(ctx, r, v)
	if err != nil {
		return nil, err
	}
	if rel != asOffice && rel != asSelf {
		return nil, apperr.ForbiddenErr()
	}
	var val apperr.Validation
	prof, err := s.checkProfile(ctx, s.db, v.cid, in, &val)
	if err != nil {
		return nil, err
	}
	if err := val.Err(); err != nil {
		return nil, err
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE volunteers SET skills_other = ?, categories = ?, availability = ?, updated_at = ? WHERE id = ?`,
			prof.skillsOther, prof.categories, prof.availability, s.clock.Now(), id); err != nil {
			return fmt.Errorf("volunteers: update: %w", err)
		}
		if err := writeProfile(ctx, tx, id, prof); err != nil {
			return err
		}
		return s.record(ctx, tx, actor, "volunteer.update", v.cid, "volunteer", id, "")
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, actor, id)
}

// AddConsent records one more consent (publicity given later, a new
// guardian consent) for the office, the volunteer or their guardian.
func (s *Service) AddConsent(ctx context.Context, actor *accounts.Principal, id int64, kind string, g *GuardianInput) (*Volunteer, error) {
	v, r, err := s.find(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	rel, err := s.relation(ctx, r, v)
	if err != nil {
		return nil, err
	}
	if rel != asOffice && rel != asSelf {
		return nil, apperr.ForbiddenErr()
	}
	// A minor's consents — photos in the stories above all — are the
	// guardian's to give: recorded by a guardian of theirs, or by the
	// office from the guardian's signed form, and stored as given by the
	// guardian. Never by the minor themself, however their sign-in
	// reaches the record (their own account, or the resident it is
	// linked to): asSelf alone does not tell a child from their guardian.
	minor, err := s.minor(ctx, v)
	if err != nil {
		return nil, err
	}
	if minor && rel != asOffice {
		ok, err := s.guardianOf(ctx, r, v)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, apperr.New(apperr.Forbidden, "volunteer.consent.guardian_only")
		}
	}
	var val apperr.Validation
	var guardian int64
	var relation, scope string
	givenOn := s.today()
	switch kind {
	case "general", "publicity", "photo":
	case "guardian":
		minor, ok, err := s.reg.Person(ctx, v.cid, v.residentID.Int64)
		if err != nil {
			return nil, err
		}
		if !ok {
			val.Add("kind", "volunteer.minor.must_be_resident", nil)
			return nil, val.Err()
		}
		p, err := s.checkGuardian(ctx, v.cid, g, minor, s.clock.Now(), &val)
		if err != nil {
			return nil, err
		}
		if p != nil {
			guardian, relation, scope = p.ResidentID, strings.TrimSpace(g.Relation), strings.TrimSpace(g.Scope)
			if g.GivenOn != "" {
				givenOn = g.GivenOn
			}
		}
	default:
		val.Add("kind", "volunteer.consent.kind", nil)
	}
	if err := val.Err(); err != nil {
		return nil, err
	}
	givenBy := "self"
	if kind == "guardian" || minor {
		givenBy = "guardian"
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := s.insertConsent(ctx, tx, actor, v.cid, id, kind, scope, givenOn, givenBy, guardian, relation); err != nil {
			return err
		}
		return s.record(ctx, tx, actor, "consent.add", v.cid, "volunteer", id, kind)
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, actor, id)
}

// minor reports whether volunteer v's consents need a guardian: younger
// than the community's consent age by their birth date, or — when no
// birth date is known — anyone with a guardian consent on record, even
// a withdrawn one (the test the stories apply to a tagged person).
func (s *Service) minor(ctx context.Context, v *row) (bool, error) {
	birth := v.birth.String
	if v.residentID.Valid {
		p, ok, err := s.reg.Person(ctx, v.cid, v.residentID.Int64)
		if err != nil {
			return false, err
		}
		if ok {
			birth = p.BirthDate
		}
	}
	if age := ageOn(birth, s.clock.Now()); age >= 0 {
		rules, err := s.AgeRules(ctx, v.cid)
		if err != nil {
			return false, err
		}
		return age < rules.ConsentUnder, nil
	}
	var guardians int
	if err := s.db.QueryRow(ctx, `SELECT count(*) FROM consents WHERE volunteer_id = ? AND kind = 'guardian'`, v.id).Scan(&guardians); err != nil {
		return false, fmt.Errorf("volunteers: guardian consents: %w", err)
	}
	return guardians > 0, nil
}

// guardianOf reports whether the actor is a guardian of volunteer v: a
// resident other than v whose guardian consent for v stands, signed in
// on an account that is not v's own.
func (s *Service) guardianOf(ctx context.Context, r reach, v *row) (bool, error) {
	if r.resident == 0 || (v.residentID.Valid && v.residentID.Int64 == r.resident) || (v.accountID.Valid && v.accountID.Int64 == r.account) {
		return false, nil
	}
	var n int
	err := s.db.QueryRow(ctx, `SELECT count(*) FROM consents WHERE volunteer_id = ? AND kind = 'guardian' AND withdrawn_at IS NULL AND guardian_resident_id = ?`,
		v.id, r.resident).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("volunteers: guardian check: %w", err)
	}
	return n > 0, nil
}

// WithdrawConsent withdraws a consent and returns the record as the actor
// now sees it (nil when they no longer do). Withdrawing the general consent or
// a minor's guardian consent ends the volunteer's team memberships: they
// can no longer take part.
func (s *Service) WithdrawConsent(ctx context.Context, actor *accounts.Principal, id, consentID int64) (*Volunteer, error) {
	v, r, err := s.find(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	rel, err := s.relation(ctx, r, v)
	if err != nil {
		return nil, err
	}
	if rel != asOffice && rel != asSelf {
		return nil, apperr.ForbiddenErr()
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var kind string
		err := tx.QueryRow(ctx, `SELECT kind FROM consents WHERE id = ? AND volunteer_id = ? AND withdrawn_at IS NULL`, consentID, id).Scan(&kind)
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.NotFoundErr()
		}
		if err != nil {
			return fmt.Errorf("volunteers: find consent: %w", err)
		}
		now := s.clock.Now()
		if _, err := tx.Exec(ctx, `UPDATE consents SET withdrawn_at = ?, withdrawn_by = ? WHERE id = ?`, now, nullID(actor.AccountID), consentID); err != nil {
			return fmt.Errorf("volunteers: withdraw consent: %w", err)
		}
		if kind == "general" || kind == "guardian" {
			var left int
			if kind == "guardian" {
				if err := tx.QueryRow(ctx, `SELECT count(*) FROM consents WHERE volunteer_id = ? AND kind = 'guardian' AND withdrawn_at IS NULL`, id).Scan(&left); err != nil {
					return fmt.Errorf("volunteers: guardian consents: %w", err)
				}
			}
			if left == 0 {
				if _, err := tx.Exec(ctx, `UPDATE team_members SET left_on = ? WHERE volunteer_id = ? AND left_on IS NULL`, s.today(), id); err != nil {
					return fmt.Errorf("volunteers: end memberships: %w", err)
				}
			}
		}
		return s.record(ctx, tx, actor, "consent.withdraw", v.cid, "volunteer", id, kind)
	})
	if err != nil {
		return nil, err
	}
	after, err := s.Get(ctx, actor, id)
	if apperr.Is(err, apperr.NotFound) {
		// A guardian who withdrew their consent no longer sees the record.
		return nil, nil
	}
	return after, err
}

// FamilyMember is a minor of the actor's own household, for a guardian
// signing a child up.
type FamilyMember struct {
	ResidentID  int64  `json:"resident_id"`
	Name        string `json:"name"`
	Age         int    `json:"age"`
	VolunteerID int64  `json:"volunteer_id,omitempty"`
}

// Family lists the minors living with the actor (their own household in
// the registry), and which are volunteers already. Empty for actors who
// are not residents.
func (s *Service) Family(ctx context.Context, actor *accounts.Principal, cid int64) ([]FamilyMember, int64, error) {
	r, err := s.reachOf(ctx, actor, cid)
	if err != nil || r.resident == 0 {
		return nil, 0, err
	}
	me, ok, err := s.reg.Person(ctx, cid, r.resident)
	if err != nil || !ok {
		return nil, 0, err
	}
	rows, err := s.db.Query(ctx, `SELECT r.id, COALESCE(v.id, 0) FROM residents r LEFT JOIN volunteers v ON v.resident_id = r.id
		WHERE r.household_id = ? AND r.moved_out_at IS NULL AND r.id <> ? ORDER BY r.id`, me.HouseholdID, me.ResidentID)
	if err != nil {
		return nil, 0, fmt.Errorf("volunteers: family: %w", err)
	}
	var ids []int64
	vols := map[int64]int64{}
	for rows.Next() {
		var id, vid int64
		if err := rows.Scan(&id, &vid); err != nil {
			rows.Close()
			return nil, 0, err
		}
		ids = append(ids, id)
		vols[id] = vid
	}
	rows.Close()
	persons, err := s.reg.Persons(ctx, cid, ids)
	if err != nil {
		return nil, 0, err
	}
	rules, err := s.AgeRules(ctx, cid)
	if err != nil {
		return nil, 0, err
	}
	now := s.clock.Now()
	var out []FamilyMember
	for _, id := range ids {
		p := persons[id]
		if age := ageOn(p.BirthDate, now); age >= 0 && age < rules.ConsentUnder {
			out = append(out, FamilyMember{ResidentID: id, Name: p.Name, Age: age, VolunteerID: vols[id]})
		}
	}
	return out, me.ResidentID, nil
}

// Adults lists the adult residents of a resident's household: the
// guardians a worker can choose from when registering a minor.
func (s *Service) Adults(ctx context.Context, actor *accounts.Principal, cid, residentID int64) ([]FamilyMember, error) {
	r, err := s.reachOf(ctx, actor, cid)
	if err != nil {
		return nil, err
	}
	if !r.office {
		return nil, apperr.ForbiddenErr()
	}
	p, ok, err := s.reg.Person(ctx, cid, residentID)
	if err != nil || !ok {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT id FROM residents WHERE household_id = ? AND moved_out_at IS NULL AND id <> ? ORDER BY id`, p.HouseholdID, residentID)
	if err != nil {
		return nil, fmt.Errorf("volunteers: adults: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	persons, err := s.reg.Persons(ctx, cid, ids)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	var out []FamilyMember
	for _, id := range ids {
		if age := ageOn(persons[id].BirthDate, now); age >= 18 {
			out = append(out, FamilyMember{ResidentID: id, Name: persons[id].Name, Age: age})
		}
	}
	return out, nil
}
