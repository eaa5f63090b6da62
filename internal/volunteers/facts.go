package volunteers

import (
	"fmt"
	"strings"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/registry"
)

// Facts are what the age, consent and membership rules read about one
// volunteer: their record, their resident record, their community's age
// rules, their live consents and their membership of one team on one day.
// FactsColumns reads them; Decide applies the rules.
type Facts struct {
	VolunteerID, Community int64 // 0: no volunteer matched
	status, birth          string
	resident               int64
	found, movedOut, rules bool
	rBirth, rChild         string
	ar                     AgeRules
	consents, guardian     int
	member                 int
}

// Dest are the scan targets of FactsColumns, in order.
func (f *Facts) Dest() []any {
	return []any{&f.VolunteerID, &f.Community, &f.status, &f.birth, &f.resident, &f.found, &f.rBirth, &f.rChild, &f.movedOut,
		&f.rules, &f.ar.MinAge, &f.ar.AccompanyUnder, &f.ar.ConsentUnder, &f.consents, &f.guardian, &f.member}
}

// FactsColumns reads Facts over the aliases v (volunteers, which may be
// NULL from an outer join), r (their residents row) and ar (age_rules),
// with team and day ('YYYY-MM-DD', Shanghai) as SQL expressions: "?" for
// values, or columns of a caller that reads its activity in the same query.
// The columns are named (f_...) so that such a caller's CTE can refer to
// them, as AdmitSQL does; day appears twice.
func FactsColumns(team, day string) string {
	return `COALESCE(v.id, 0) AS f_vid, COALESCE(v.community_id, 0) AS f_community, COALESCE(v.status, '') AS f_status,
		COALESCE(v.birth_date, '') AS f_birth, COALESCE(v.resident_id, 0) AS f_resident,
		r.id IS NOT NULL AS f_found, ` + registry.BirthColumns + `,
		ar.community_id IS NOT NULL AS f_rules, COALESCE(ar.min_age, 0) AS f_min_age, COALESCE(ar.accompany_under, 0) AS f_accompany_under,
		COALESCE(ar.consent_under, 0) AS f_consent_under,
		(SELECT count(*) FROM consents c WHERE c.volunteer_id = v.id AND c.kind = 'general' AND c.withdrawn_at IS NULL) AS f_consents,
		(SELECT count(*) FROM consents c WHERE c.volunteer_id = v.id AND c.kind = 'guardian' AND c.withdrawn_at IS NULL) AS f_guardian,
		(SELECT count(*) FROM team_members m WHERE m.team_id = ` + team + ` AND m.volunteer_id = v.id AND m.joined_on <= ` + day +
		` AND (m.left_on IS NULL OR m.left_on >= ` + day + `)) AS f_member`
}

// Decide applies the rules to f for a. Its refusals are the ones users
// read, in this order; AdmitSQL must never admit what Decide refuses.
func (s *Service) Decide(f Facts, a Ask) (Eligibility, error) {
	if f.VolunteerID == 0 || (a.Community != 0 && f.Community != a.Community) {
		// Nobody, or someone else's volunteer: not found, before any rule
		// says more.
		return Eligibility{}, apperr.NotFoundErr()
	}
	if a.TeamOnly && f.member == 0 {
		return Eligibility{}, apperr.New(apperr.Invalid, "activity.team_only")
	}
	if f.status != "active" {
		return Eligibility{}, apperr.New(apperr.Invalid, "volunteer.inactive")
	}
	b := f.birth
	if f.resident != 0 {
		if !f.found || f.movedOut {
			return Eligibility{}, apperr.New(apperr.Invalid, "volunteer.moved_out")
		}
		var err error
		if b, err = s.reg.BirthDate(f.Community, f.rBirth, f.rChild); err != nil {
			return Eligibility{}, err
		}
	}
	age := ageOn(b, a.On)
	if age < 0 {
		return Eligibility{}, apperr.New(apperr.Invalid, "volunteer.birth.unknown")
	}
	ar := f.ar
	if !f.rules {
		ar = DefaultAgeRules
	}
	low := ar.MinAge
	if a.MinAge != nil {
		low = *a.MinAge
	}
	if age < low || (a.MaxAge != nil && age > *a.MaxAge) {
		if a.MaxAge != nil {
			return Eligibility{}, apperr.New(apperr.Invalid, "volunteer.age.outside_range").With(map[string]any{"age": age, "min": low, "max": *a.MaxAge})
		}
		return Eligibility{}, apperr.New(apperr.Invalid, "volunteer.age.outside").With(map[string]any{"age": age, "min": low, "max": -1})
	}
	if f.consents == 0 {
		return Eligibility{}, apperr.New(apperr.Invalid, "volunteer.consent.missing")
	}
	if age < ar.ConsentUnder && f.guardian == 0 {
		return Eligibility{}, apperr.New(apperr.Invalid, "volunteer.guardian.consent_missing")
	}
	return Eligibility{VolunteerID: f.VolunteerID, Age: age, Accompanied: age < ar.AccompanyUnder}, nil
}

// AgeSQL is, over FactsColumns' names in PostgreSQL, the volunteer's age
// on day (a 'YYYY-MM-DD' expression) when SQL can tell it, else -1: a
// birth date kept in the clear and well formed. A child's sealed birth
// date is opened only in Go (Decide), so it is -1 here. Go's ageOn
// refuses an impossible date (the 30th of February) as unknown; the CASE
// keeps the date arithmetic off any text that is not a real date.
func AgeSQL(day string) string {
	b := `(CASE WHEN f_resident = 0 THEN f_birth WHEN f_found AND NOT f_moved_out AND f_child = '' THEN f_birth_r END)`
	valid := b + ` ~ '^[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$'`
	inMonth := `substr(` + b + `, 9, 2)::int <= extract(day FROM make_date(substr(` + b + `, 1, 4)::int, substr(` + b + `, 6, 2)::int, 1) + interval '1 month' - interval '1 day')`
	age := `GREATEST(substr(` + day + `, 1, 4)::int - substr(` + b + `, 1, 4)::int - CASE WHEN substr(` + day + `, 6, 5) < substr(` + b + `, 6, 5) THEN 1 ELSE 0 END, 0)`
	return `CASE WHEN ` + valid + ` THEN CASE WHEN ` + inMonth + ` THEN ` + age + ` ELSE -1 END ELSE -1 END`
}

// AdmitSQL is Decide as a PostgreSQL condition over FactsColumns' names
// and f_age (AgeSQL), for a caller that writes in the same statement as it
// reads (a sign-up in one round trip). It is true only when every rule
// passes on what SQL can read, so it may refuse what Decide admits (a
// child, whose birth date is sealed) but never admits what Decide refuses:
// the caller sends every refusal through Decide for its reason.
// TestAdmitSQLAgreesWithDecide holds the two together.
func AdmitSQL(community, teamOnly, minAge, maxAge string) string {
	rule := func(col string, def int) string {
		return fmt.Sprintf(`CASE WHEN f_rules THEN %s ELSE %d END`, col, def)
	}
	return strings.Join([]string{
		`f_vid <> 0`, `f_community = ` + community,
		`(NOT ` + teamOnly + ` OR f_member > 0)`,
		`f_status = 'active'`,
		`(f_resident = 0 OR (f_found AND NOT f_moved_out))`,
		`f_age >= 0`,
		`f_age >= COALESCE(` + minAge + `, ` + rule("f_min_age", DefaultAgeRules.MinAge) + `)`,
		`(` + maxAge + ` IS NULL OR f_age <= ` + maxAge + `)`,
		`f_consents > 0`,
		`(f_age >= ` + rule("f_consent_under", DefaultAgeRules.ConsentUnder) + ` OR f_guardian > 0)`,
	}, " AND ")
}

// AccompaniedSQL is Eligibility.Accompanied over the same names.
func AccompaniedSQL() string {
	return fmt.Sprintf(`f_age < CASE WHEN f_rules THEN f_accompany_under ELSE %d END`, DefaultAgeRules.AccompanyUnder)
}

// ActsForCond is ActsFor's test as a condition over the alias v, with its
// arguments: for a caller that picks the volunteer in its own query. It
// answers not found, as ActsFor does, for an actor outside community cid.
// The condition does not check v's community: the caller does.
func ActsForCond(actor *accounts.Principal, cid, team, vid int64) (string, []any, error) {
	return actsFor(actor, cid, team, vid)
}
