package activities

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/audit"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/volunteers"
)

// A sign-up on PostgreSQL in one round trip.
//
// A sign-up reads the date, reads the volunteer's facts (whom the actor
// signs up, their age, consents and membership) and writes the place, the
// sign-up and its audit entry. Over a network each is a round trip, and
// the round trips, not the rows, were most of what a sign-up cost
// (bench/README.md). So on PostgreSQL one statement does all three: it
// reads the date and the facts, admits the volunteer when every rule
// passes on what SQL can read (volunteers.AdmitSQL), and writes only then.
// It returns the facts either way. When nothing was written (a refusal, a
// full date, or a child, whose birth date is sealed and opened only in
// Go) the facts go through the same Go checks as always — the date's
// checks and volunteers.Decide — which give the refusal its reason or
// send the admitted on to the waitlist or the place as before.
//
// The actor's community must be known before the query, because whom an
// actor may sign up depends on their grants there: the path is taken for
// an actor whose grants name one community and who leads no team there
// (a leader may sign up anyone for their team's dates, so the rule would
// depend on the date's team). The office, volunteers and guardians are
// such actors. Everyone else takes the three round trips.
//
// When sign-ups queue for a statement, the same reading and writing runs
// for many at once (signup_batch.go); this one-row statement is what a
// sign-up that finds a slot free runs.

// onceCommunity returns the community whose dates actor may sign people
// up for in one round trip, or 0.
func onceCommunity(actor *accounts.Principal) int64 {
	if actor == nil || actor.System {
		return 0
	}
	var cid int64
	office, leads := false, false
	for _, g := range actor.Grants {
		if g.CommunityID == 0 {
			continue // a street's supervisor: no community of their own
		}
		if cid != 0 && g.CommunityID != cid {
			return 0
		}
		cid = g.CommunityID
		switch g.Role {
		case accounts.Admin, accounts.Worker:
			office = true
		case accounts.Leader:
			leads = true
		}
	}
	if leads && !office {
		return 0
	}
	return cid
}

// onceFacts is the statement's reading part: the date and the facts, the
// age, and whether the rules admit. Tests run it alone to hold AdmitSQL to
// Decide. Its arguments: the actsFor condition's, the occurrence, the
// community, now, whether the actor is the office, and now again.
func onceFacts(cond string) string {
	return factsSQL("", "occurrences oc", cond, "oc.id = ? AND oc.community_id = ?", "?::timestamptz", "?::boolean", "false", "false")
}

// factsSQL is the reading part for one sign-up or for a batch: cols are
// columns to carry along, from the rows to start from (naming the
// occurrence oc), whom the condition on v (volunteers), where the filter,
// now and office the expressions for the time of the sign-up and whether
// the office signs up, decided whether Go has admitted the volunteer
// already (a child, whose birth date SQL cannot read; still only if whom
// finds them) and accompanied, then, whether Go found they must come with
// a guardian.
func factsSQL(cols, from, whom, where, now, office, decided, accompanied string) string {
	day := `to_char(oc.starts_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')`
	return `f AS (
		SELECT ` + cols + `oc.id AS occ, oc.community_id AS cid, oc.activity_id AS activity, COALESCE(a.team_id, 0) AS team, oc.starts_at, oc.capacity,
			a.deadline_hours, COALESCE(a.min_age, CASE WHEN a.open_to = 'team' THEN t.min_age END) AS min_age,
			COALESCE(a.max_age, CASE WHEN a.open_to = 'team' THEN t.max_age END) AS max_age, a.open_to, COALESCE(oc.title, a.title) AS title,
			oc.cancelled, ` + day + ` AS day,
			` + volunteers.FactsColumns("a.team_id", day) + `
		FROM ` + from + ` JOIN activities a ON a.id = oc.activity_id LEFT JOIN teams t ON t.id = a.team_id
		LEFT JOIN volunteers v ON ` + whom + `
		LEFT JOIN residents r ON r.id = v.resident_id AND r.community_id = v.community_id
		LEFT JOIN age_rules ar ON ar.community_id = v.community_id
		WHERE ` + where + `),
	e AS (SELECT f.*, ` + volunteers.AgeSQL("day") + ` AS f_age FROM f),
	ok AS (SELECT e.*, CASE WHEN ` + decided + ` THEN ` + accompanied + ` ELSE ` + volunteers.AccompaniedSQL() + ` END AS f_accompanied FROM e
		WHERE NOT cancelled AND starts_at > ` + now + `
		AND (` + office + ` OR deadline_hours <= 0 OR ` + now + ` <= starts_at - deadline_hours * interval '1 hour')
		AND ((` + decided + ` AND f_vid <> 0) OR ` + volunteers.AdmitSQL("cid", "(open_to = 'team')", "min_age", "max_age") + `))`
}

// onceColumns are the columns the statement returns from e, in the order
// of scanOnce.
const onceColumns = `e.cid, e.activity, e.team, e.starts_at, e.capacity, e.deadline_hours, e.min_age, e.max_age, e.open_to, e.title, e.cancelled,
	e.f_vid, e.f_community, e.f_status, e.f_birth, e.f_resident, e.f_found, e.f_birth_r, e.f_child, e.f_moved_out,
	e.f_rules, e.f_min_age, e.f_accompany_under, e.f_consent_under, e.f_consents, e.f_guardian, e.f_member`

func scanOnce(o *occ, f *volunteers.Facts) []any {
	return append([]any{&o.cid, &o.activity, &o.team, &o.start, &o.capacity, &o.deadlineHours, &o.minAge, &o.maxAge, &o.openTo, &o.title, &o.cancelled},
		f.Dest()...)
}

// auditFromSignup is audit.PGTyped with the detail (the last column)
// naming the volunteer the statement signed up, whom only SQL knows when
// the actor signs themselves up.
var auditFromSignup = func() string {
	if !strings.HasSuffix(audit.PGTyped, ", ?") {
		panic("activities: audit.PGTyped no longer ends with the detail")
	}
	return strings.TrimSuffix(audit.PGTyped, "?") + `replace(?, '{volunteer}', s.volunteer_id::text)`
}()

// onceStatements are the statement's texts by the actsFor condition (one
// for the office, one for one's own record, one for whom one may sign up
// as self or guardian), built once: a sign-up should not pay for building
// the same string again.
var onceStatements sync.Map

func onceStatement(cond string) string {
	if q, ok := onceStatements.Load(cond); ok {
		return q.(string)
	}
	q := `WITH ` + onceFacts(cond) + `,
	place AS (
		UPDATE occurrences SET signed = signed + 1 WHERE id = (SELECT occ FROM ok) AND signed < capacity AND NOT cancelled RETURNING id),
	s AS (
		INSERT INTO signups (community_id, occurrence_id, volunteer_id, status, position, accompanied, signed_by, created_at, changed_at)
		SELECT ok.cid, place.id, ok.f_vid, 'signed', 0, ok.f_accompanied, ?::bigint, ?::timestamptz, ?::timestamptz FROM place, ok
		RETURNING id, volunteer_id, accompanied),
	logged AS (
		INSERT INTO audit_log ` + audit.Columns + ` SELECT ` + auditFromSignup + ` FROM s)
	SELECT ` + onceColumns + `, EXISTS (SELECT 1 FROM ok), s.id, s.accompanied FROM e LEFT JOIN s ON true`
	onceStatements.Store(cond, q)
	return q
}

// signUpOnce is SignUp's reading and, when it can, its writing, in one
// statement (see above). It returns the sign-up when it wrote one, or the
// date and the volunteer's facts for SignUp to go on with, and whether
// the statement admitted the volunteer (so that nothing was written only
// because no place was left).
func (s *Service) signUpOnce(ctx context.Context, actor *accounts.Principal, cid, id, vid int64, now time.Time) (*Signup, *occ, volunteers.Facts, bool, error) {
	var f volunteers.Facts
	cond, condArgs, err := volunteers.ActsForCond(actor, cid, 0, vid)
	if err != nil {
		return nil, nil, f, false, err
	}
	e := actor.Audit(now, "activity.signup", cid)
	e.ObjectType, e.ObjectID, e.Detail = "occurrence", fmt.Sprint(id), "volunteer {volunteer} "+Signed
	ea, err := e.Args()
	if err != nil {
		return nil, nil, f, false, err
	}
	args := append(condArgs, id, cid, now, volunteers.Office(actor, cid), now, nullID(actor.AccountID), now, now)
	args = append(args, ea...)
	o := &occ{}
	var sid sql.NullInt64
	var accompanied sql.NullBool
	var admitted bool
	err = s.db.QueryRow(ctx, onceStatement(cond), args...).
		Scan(append(scanOnce(o, &f), &admitted, &sid, &accompanied)...)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		// No such date in the actor's community.
		return nil, nil, f, false, apperr.NotFoundErr()
	case db.IsUniqueViolation(err):
		return nil, nil, f, false, apperr.New(apperr.Conflict, "activity.signed_already")
	case err != nil:
		return nil, nil, f, false, fmt.Errorf("activities: sign up: %w", err)
	}
	if sid.Valid {
		return &Signup{ID: sid.Int64, OccurrenceID: id, VolunteerID: f.VolunteerID, Status: Signed, Accompanied: accompanied.Bool}, nil, f, true, nil
	}
	return nil, o, f, admitted, nil
}
