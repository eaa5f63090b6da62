package volunteers

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/registry"
)

// Member roles in a team.
const (
	RoleMember = "member"
	RoleDeputy = "deputy"
	RoleLeader = "leader"
)

// Eligibility is the outcome of the age and consent rules for one person
// and one team or activity.
type Eligibility struct {
	VolunteerID int64
	Age         int
	Accompanied bool // under the accompany age: the guardian comes along
}

// Eligible applies the rules to volunteer id for something with the age
// range [minAge, maxAge] (nil: the community's default minimum, no
// maximum), on date on. It is the one check teams and activities share.
func (s *Service) Eligible(ctx context.Context, q db.Querier, id int64, minAge, maxAge *int, on time.Time) (Eligibility, error) {
	return s.eligible(ctx, q, `v.id = ?`, []any{id}, Ask{MinAge: minAge, MaxAge: maxAge, On: on})
}

// Ask is what EligibleFor checks: whom the actor acts for (Volunteer, 0:
// their own record) on something of Team in Community, with its age range
// and date; TeamOnly when only the team's members on that date may come.
type Ask struct {
	Community, Team, Volunteer int64
	MinAge, MaxAge             *int
	On                         time.Time
	TeamOnly                   bool
}

// EligibleFor is ActsFor, the team-only rule and Eligible in one query:
// a sign-up asks all three on every request, and on PostgreSQL each
// question is a network round trip.
func (s *Service) EligibleFor(ctx context.Context, actor *accounts.Principal, a Ask) (Eligibility, error) {
	cond, args, err := actsFor(actor, a.Community, a.Team, a.Volunteer)
	if err != nil {
		return Eligibility{}, err
	}
	return s.eligible(ctx, s.db, cond, args, a)
}

// eligible reads, in one round trip, everything the rules need about the
// volunteer that cond picks (over the alias v): their record, their
// resident record, the community's age rules, the live consents and, for
// a team-only activity, the membership.
func (s *Service) eligible(ctx context.Context, q db.Querier, cond string, condArgs []any, a Ask) (Eligibility, error) {
	var (
		cid, resident, vid     int64
		status, birth          string
		rBirth, rChild         string
		found, movedOut, rules bool
		ar                     AgeRules
		consents, guardian     int
		member                 int
	)
	day := a.On.In(clock.Shanghai).Format(time.DateOnly)
	args := append([]any{a.Team, day, day}, condArgs...)
	err := q.QueryRow(ctx, `SELECT v.id, v.community_id, v.status, COALESCE(v.birth_date, ''), COALESCE(v.resident_id, 0),
		r.id IS NOT NULL, `+registry.BirthColumns+`,
		ar.community_id IS NOT NULL, COALESCE(ar.min_age, 0), COALESCE(ar.accompany_under, 0), COALESCE(ar.consent_under, 0),
		(SELECT count(*) FROM consents c WHERE c.volunteer_id = v.id AND c.kind = 'general' AND c.withdrawn_at IS NULL),
		(SELECT count(*) FROM consents c WHERE c.volunteer_id = v.id AND c.kind = 'guardian' AND c.withdrawn_at IS NULL),
		(SELECT count(*) FROM team_members m WHERE m.team_id = ? AND m.volunteer_id = v.id AND m.joined_on <= ? AND (m.left_on IS NULL OR m.left_on >= ?))
		FROM volunteers v
		LEFT JOIN residents r ON r.id = v.resident_id AND r.community_id = v.community_id
		LEFT JOIN age_rules ar ON ar.community_id = v.community_id
		WHERE `+cond, args...).Scan(&vid, &cid, &status, &birth, &resident, &found, &rBirth, &rChild, &movedOut,
		&rules, &ar.MinAge, &ar.AccompanyUnder, &ar.ConsentUnder, &consents, &guardian, &member)
	if errors.Is(err, sql.ErrNoRows) {
		return Eligibility{}, apperr.NotFoundErr()
	}
	if err != nil {
		return Eligibility{}, fmt.Errorf("volunteers: eligible: %w", err)
	}
	if a.Community != 0 && cid != a.Community {
		// Someone else's volunteer: not found, before any rule says more.
		return Eligibility{}, apperr.NotFoundErr()
	}
	if a.TeamOnly && member == 0 {
		return Eligibility{}, apperr.New(apperr.Invalid, "activity.team_only")
	}
	if status != "active" {
		return Eligibility{}, apperr.New(apperr.Invalid, "volunteer.inactive")
	}
	b := birth
	if resident != 0 {
		if !found || movedOut {
			return Eligibility{}, apperr.New(apperr.Invalid, "volunteer.moved_out")
		}
		if b, err = s.reg.BirthDate(cid, rBirth, rChild); err != nil {
			return Eligibility{}, err
		}
	}
	age := ageOn(b, a.On)
	if age < 0 {
		return Eligibility{}, apperr.New(apperr.Invalid, "volunteer.birth.unknown")
	}
	if !rules {
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
	if consents == 0 {
		return Eligibility{}, apperr.New(apperr.Invalid, "volunteer.consent.missing")
	}
	if age < ar.ConsentUnder && guardian == 0 {
		return Eligibility{}, apperr.New(apperr.Invalid, "volunteer.guardian.consent_missing")
	}
	return Eligibility{VolunteerID: vid, Age: age, Accompanied: age < ar.AccompanyUnder}, nil
}

// leads reports whether the actor may manage team id's members: the
// office, or a leader of that team.
func (s *Service) leads(r reach, team int64) bool {
	if r.office {
		return true
	}
	for _, t := range r.teams {
		if t == team {
			return true
		}
	}
	return false
}

// Join adds volunteer vid to team id. The office and the team's leaders
// add anyone they see; a volunteer adds themselves and a guardian their
// child. The team's age range (or the community's minimum) and the
// consent rules apply; a child under the accompany age joins accompanied.
func (s *Service) Join(ctx context.Context, actor *accounts.Principal, team, vid int64, role string) (*TeamRole, error) {
	cid, err := s.TeamCommunity(ctx, team)
	if err != nil {
		return nil, err
	}
	r, err := s.member(ctx, actor, cid)
	if err != nil {
		return nil, err
	}
	// A team's leader adds volunteers they cannot otherwise see (that is
	// how someone becomes their member); everyone else only those within
	// their reach.
	var v *row
	if s.leads(r, team) {
		v, err = s.rowIn(ctx, cid, vid)
	} else {
		v, _, err = s.find(ctx, actor, vid)
	}
	if err != nil {
		return nil, err
	}
	if v.cid != cid {
		return nil, apperr.NotFoundErr()
	}
	if role == "" {
		role = RoleMember
	}
	if role != RoleMember && role != RoleDeputy && role != RoleLeader {
		return nil, apperr.New(apperr.Invalid, "error.invalid").Field("role", "team.role.invalid", nil)
	}
	if !s.leads(r, team) {
		rel, err := s.relation(ctx, r, v)
		if err != nil {
			return nil, err
		}
		if rel != asSelf {
			return nil, apperr.ForbiddenErr()
		}
		if role != RoleMember {
			return nil, apperr.ForbiddenErr()
		}
	}
	if role == RoleLeader && !r.office {
		return nil, apperr.ForbiddenErr()
	}
	var minAge, maxAge sql.NullInt64
	var name string
	if err := s.db.QueryRow(ctx, `SELECT name, min_age, max_age FROM teams WHERE id = ?`, team).Scan(&name, &minAge, &maxAge); err != nil {
		return nil, fmt.Errorf("volunteers: team: %w", err)
	}
	now := s.clock.Now()
	// The rules read outside the transaction: they take other connections
	// (the registry, the age rules), and a transaction waiting on one while
	// holding its own would starve the pool under many joins at once.
	el, err := s.Eligible(ctx, s.db, vid, nullInt(minAge), nullInt(maxAge), now)
	if err != nil {
		return nil, err
	}
	if role == RoleLeader && el.Age < 18 {
		return nil, apperr.New(apperr.Invalid, "team.leader.adult")
	}
	var out TeamRole
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		today := s.today()
		_, err = tx.Exec(ctx, `INSERT INTO team_members (community_id, team_id, volunteer_id, role, accompanied, joined_on, added_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, cid, team, vid, role, el.Accompanied, today, nullID(actor.AccountID), now)
		if db.IsUniqueViolation(err) {
			return apperr.New(apperr.Conflict, "team.member.exists")
		}
		if err != nil {
			return fmt.Errorf("volunteers: join: %w", err)
		}
		out = TeamRole{TeamID: team, Team: name, Role: role, JoinedOn: today, Accompanied: el.Accompanied}
		if role == RoleLeader && v.accountID.Valid {
			// Leading a team is a role in Linli too: it opens the members' list.
			g := accounts.Grant{AccountID: v.accountID.Int64, Role: accounts.Leader, CommunityID: cid, TeamID: team}
			if err := s.acc.EnsureGrantTx(ctx, tx, actor, g, now); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, actor, "team.join", cid, "team", team, fmt.Sprintf("volunteer %d %s", vid, role))
	})
	if err != nil {
		return nil, err
	}
	if role == RoleLeader {
		s.acc.Invalidate()
	}
	return &out, nil
}

func nullInt(n sql.NullInt64) *int {
	if !n.Valid {
		return nil
	}
	i := int(n.Int64)
	return &i
}

// Leave ends volunteer vid's membership of team id (the history stays).
// The office, the team's leaders, the volunteer and their guardian may.
func (s *Service) Leave(ctx context.Context, actor *accounts.Principal, team, vid int64) error {
	cid, err := s.TeamCommunity(ctx, team)
	if err != nil {
		return err
	}
	r, err := s.member(ctx, actor, cid)
	if err != nil {
		return err
	}
	v, _, err := s.find(ctx, actor, vid)
	if err != nil {
		return err
	}
	if !s.leads(r, team) {
		rel, err := s.relation(ctx, r, v)
		if err != nil {
			return err
		}
		if rel != asSelf {
			return apperr.ForbiddenErr()
		}
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE team_members SET left_on = ? WHERE team_id = ? AND volunteer_id = ? AND left_on IS NULL`, s.today(), team, vid)
		if err != nil {
			return fmt.Errorf("volunteers: leave: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.NotFoundErr()
		}
		if v.accountID.Valid {
			// A leader who leaves stops leading: the grant goes with them.
			if _, err := tx.Exec(ctx, `DELETE FROM grants WHERE account_id = ? AND role = ? AND team_id = ?`, v.accountID.Int64, string(accounts.Leader), team); err != nil {
				return fmt.Errorf("volunteers: end leader grant: %w", err)
			}
		}
		return s.record(ctx, tx, actor, "team.leave", cid, "team", team, fmt.Sprintf("volunteer %d", vid))
	})
	if err == nil {
		s.acc.Invalidate()
	}
	return err
}

// rowIn loads volunteer id of community cid, whoever asks; callers have
// checked the actor's right to act on any volunteer of it.
func (s *Service) rowIn(ctx context.Context, cid, id int64) (*row, error) {
	v, err := scanRow(s.db.QueryRow(ctx, `SELECT `+rowColumns+` FROM volunteers v WHERE v.id = ? AND v.community_id = ?`, id, cid))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFoundErr()
	}
	if err != nil {
		return nil, fmt.Errorf("volunteers: load: %w", err)
	}
	return v, nil
}

// IDByNumber finds an active volunteer of community cid by their number,
// for those who may add anyone to a team: the office and team leaders.
// It returns only the id.
func (s *Service) IDByNumber(ctx context.Context, actor *accounts.Principal, cid int64, number string) (int64, error) {
	r, err := s.reachOf(ctx, actor, cid)
	if err != nil {
		return 0, err
	}
	if !r.office && len(r.teams) == 0 {
		return 0, apperr.ForbiddenErr()
	}
	var id int64
	err = s.db.QueryRow(ctx, `SELECT id FROM volunteers WHERE community_id = ? AND number = ? AND status = 'active'`, cid, strings.ToUpper(strings.TrimSpace(number))).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, apperr.NotFoundErr()
	}
	if err != nil {
		return 0, fmt.Errorf("volunteers: by number: %w", err)
	}
	return id, nil
}
