package requests

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/linli/linli/internal/accounts"
)

// reach is how far an actor sees into a community's requests. Policy has
// already said the actor may read requests at all; reach narrows the
// rows, and a row outside it is not found.
type reach struct {
	cid        int64
	office     bool    // admins and workers (and the console): every request
	grids      []int64 // a grid worker's grids: their requests, office steps on them
	intake     bool    // may register requests for others (office, grid worker)
	account    int64   // the actor's account (0 for the console)
	resident   int64   // the actor's own resident row, 0 if none
	residentG  bool    // holds a resident grant: may submit for themself
	teams      []int64 // teams the actor leads
	orgs       []int64 // partner organisations the actor works for
	volunteers []int64 // the actor's own volunteer rows
	// street: a street supervisor over the community's street. It sees
	// the community's figures (counts only) and, read-only, a request
	// escalated to the street; nothing else of the community.
	street bool
}

// memberOf reports whether p holds any grant in community cid (or is the
// console).
func memberOf(p *accounts.Principal, cid int64) bool {
	if p == nil || cid == 0 {
		return false
	}
	if p.System {
		return true
	}
	for _, g := range p.Grants {
		if g.CommunityID == cid && g.Role != accounts.Street {
			return true
		}
	}
	return false
}

// reachOf works out p's reach in community cid.
func (s *Service) reachOf(ctx context.Context, p *accounts.Principal, cid int64) (reach, error) {
	r := reach{cid: cid}
	var err error
	if r.street, err = s.supervises(ctx, p, cid); err != nil || !memberOf(p, cid) {
		return r, err
	}
	if p.System {
		r.office, r.intake = true, true
		return r, nil
	}
	r.account = p.AccountID
	for _, g := range p.Grants {
		if g.CommunityID != cid {
			continue
		}
		switch g.Role {
		case accounts.Admin, accounts.Worker:
			r.office, r.intake = true, true
		case accounts.Grid:
			r.intake = true
			if g.GridID != 0 {
				r.grids = append(r.grids, g.GridID)
			}
		case accounts.Leader:
			if g.TeamID != 0 {
				r.teams = append(r.teams, g.TeamID)
			}
		case accounts.Partner:
			if g.OrganisationID != 0 {
				r.orgs = append(r.orgs, g.OrganisationID)
			}
		case accounts.Resident:
			r.residentG = true
		}
	}
	id, err := s.reg.ResidentOfAccount(ctx, cid, p.AccountID)
	if err != nil {
		return r, err
	}
	r.resident = id
	rows, err := s.db.Query(ctx, `SELECT id FROM volunteers WHERE community_id = ? AND account_id = ?`, cid, p.AccountID)
	if err != nil {
		return r, fmt.Errorf("requests: own volunteer rows: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return r, fmt.Errorf("requests: own volunteer rows: %w", err)
		}
		r.volunteers = append(r.volunteers, v)
	}
	return r, rows.Err()
}

// condition is the reach as SQL over the alias q (requests), community
// included.
func (r reach) condition() (string, []any) {
	if r.office {
		return "q.community_id = ?", []any{r.cid}
	}
	var parts []string
	var args []any
	in := func(col string, ids []int64) {
		if len(ids) == 0 {
			return
		}
		parts = append(parts, col+" IN ("+placeholders(len(ids))+")")
		for _, id := range ids {
			args = append(args, id)
		}
	}
	in("q.grid_id", r.grids)
	handler := func(kind HandlerKind, ids []int64) {
		if len(ids) == 0 {
			return
		}
		parts = append(parts, "(q.handler_kind = ? AND q.handler_id IN ("+placeholders(len(ids))+"))")
		args = append(args, string(kind))
		for _, id := range ids {
			args = append(args, id)
		}
	}
	handler(HandlerTeam, r.teams)
	handler(HandlerOrganisation, r.orgs)
	handler(HandlerVolunteer, r.volunteers)
	if r.account != 0 {
		handler(HandlerAccount, []int64{r.account})
		// What one registered oneself, or asked for oneself.
		parts = append(parts, "q.created_by = ?", "q.requester_account_id = ?")
		args = append(args, r.account, r.account)
	}
	if r.resident != 0 {
		parts = append(parts, "q.resident_id = ?")
		args = append(args, r.resident)
	}
	if len(parts) == 0 {
		return "1 = 0", nil
	}
	return "q.community_id = ? AND (" + strings.Join(parts, " OR ") + ")", append([]any{r.cid}, args...)
}

// relation is what the actor is to one request: which sides it may act
// on. read is false when the request is outside the actor's reach.
type relation struct {
	read, office, handler, requester bool
	// street: read only because the request reached the street level of
	// escalation and the actor supervises the street (find sets it).
	street bool
}

func (r reach) relationTo(q *row) relation {
	var rel relation
	if q.cid != r.cid {
		return rel
	}
	rel.office = r.office || (q.gridID != 0 && slices.Contains(r.grids, q.gridID)) ||
		(r.intake && r.account != 0 && q.createdBy == r.account)
	if q.handlerKind != "" {
		switch HandlerKind(q.handlerKind) {
		case HandlerTeam:
			rel.handler = slices.Contains(r.teams, q.handlerID)
		case HandlerOrganisation:
			rel.handler = slices.Contains(r.orgs, q.handlerID)
		case HandlerVolunteer:
			rel.handler = slices.Contains(r.volunteers, q.handlerID)
		case HandlerAccount:
			rel.handler = r.account != 0 && q.handlerID == r.account
		}
	}
	rel.requester = (r.account != 0 && (q.requesterAccount == r.account || q.createdBy == r.account && !r.intake)) ||
		(r.resident != 0 && q.residentID == r.resident)
	rel.read = rel.office || rel.handler || rel.requester
	return rel
}

// may reports whether rel lets the actor take a step of side.
func (rel relation) may(side Side) bool {
	switch side {
	case SideOffice:
		return rel.office
	case SideHandler:
		return rel.office || rel.handler
	case SideRequester:
		return rel.office || rel.requester
	}
	return false
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}
