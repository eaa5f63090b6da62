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
// volunteer that cond picks (over the alias v) and applies them.
func (s *Service) eligible(ctx context.Context, q db.Querier, cond string, condArgs []any, a Ask) (Eligibility, error) {
	var f Facts
	day := a.On.In(clock.Shanghai).Format(time.DateOnly)
	args := append([]any{a.Team, day, day}, condArgs...)
	err := q.QueryRow(ctx, `SELECT `+FactsColumns("?", "?")+`
		FROM volunteers v
		LEFT JOIN residents r ON r.id = v.resident_id AND r.community_id = v.community_id
		LEFT JOIN age_rules ar ON ar.community_id = v.community_id
		WHERE `+cond, args...).Scan(f.Dest()...)
	if errors.Is(err, sql.ErrNoRows) {
		return Eligibility{}, apperr.NotFoundErr()
	}
	if err != nil {
		return Eligibility{}, fmt.Errorf("volunteers: eligible: %w", err)
	}
	return s.Decide(f, a)
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
