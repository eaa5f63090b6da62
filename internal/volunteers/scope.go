package volunteers

import (
	"context"
	"fmt"
	"strings"

	"github.com/linli/linli/internal/accounts"
)

// reach is how far an actor sees into a community's volunteers.
type reach struct {
	office   bool    // admins and workers (and the console): everyone, with reveal
	grid     bool    // grid workers: everyone's name, skills and grids; no phones
	teams    []int64 // teams the actor leads: their current members, with reveal
	account  int64   // the actor's own account: their own profile
	resident int64   // the actor's own resident row (0 if none)
}

func (r reach) any() bool { return r.office || r.grid || len(r.teams) > 0 || r.account != 0 }

// reachOf works out an actor's reach in community cid.
func (s *Service) reachOf(ctx context.Context, p *accounts.Principal, cid int64) (reach, error) {
	var r reach
	if p == nil {
		return r, nil
	}
	if p.System {
		r.office = true
		return r, nil
	}
	member := false
	for _, g := range p.Grants {
		if g.CommunityID != cid {
			continue
		}
		member = true
		switch g.Role {
		case accounts.Admin, accounts.Worker:
			r.office = true
		case accounts.Grid:
			r.grid = true
		case accounts.Leader:
			if g.TeamID != 0 {
				r.teams = append(r.teams, g.TeamID)
			}
		}
	}
	if !member {
		return r, nil
	}
	r.account = p.AccountID
	id, err := s.reg.ResidentOfAccount(ctx, cid, p.AccountID)
	if err != nil {
		return r, err
	}
	r.resident = id
	return r, nil
}

// condition is the reach as SQL over the alias v (volunteers): the rows
// the actor may see at all.
func (r reach) condition() (string, []any) {
	if r.office || r.grid {
		return "1 = 1", nil
	}
	var parts []string
	var args []any
	if len(r.teams) > 0 {
		parts = append(parts, "EXISTS (SELECT 1 FROM team_members tm WHERE tm.volunteer_id = v.id AND tm.left_on IS NULL AND tm.team_id IN ("+
			placeholders(len(r.teams))+"))")
		for _, t := range r.teams {
			args = append(args, t)
		}
	}
	if r.account != 0 {
		parts = append(parts, "v.account_id = ?")
		args = append(args, r.account)
	}
	if r.resident != 0 {
		// A guardian sees the minors whose guardian consent they gave.
		parts = append(parts, "v.resident_id = ? OR EXISTS (SELECT 1 FROM consents c WHERE c.volunteer_id = v.id AND c.kind = 'guardian' AND c.withdrawn_at IS NULL AND c.guardian_resident_id = ?)")
		args = append(args, r.resident, r.resident)
	}
	if len(parts) == 0 {
		return "1 = 0", nil
	}
	return "(" + strings.Join(parts, " OR ") + ")", args
}

// mayReveal reports whether the actor may unmask volunteer v's phone:
// the office, and the leaders of a team v currently belongs to.
func (s *Service) mayReveal(ctx context.Context, r reach, volunteerID int64) (bool, error) {
	if r.office {
		return true, nil
	}
	if len(r.teams) == 0 {
		return false, nil
	}
	args := []any{volunteerID}
	for _, t := range r.teams {
		args = append(args, t)
	}
	var n int
	err := s.db.QueryRow(ctx, `SELECT count(*) FROM team_members WHERE volunteer_id = ? AND left_on IS NULL AND team_id IN (`+placeholders(len(r.teams))+`)`, args...).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("volunteers: leader check: %w", err)
	}
	return n > 0, nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}
