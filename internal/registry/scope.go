package registry

import (
	"slices"
	"strings"

	"github.com/linli/linli/internal/accounts"
)

// scope says which residents an actor may see as rows, as an SQL
// condition over the joined aliases r (residents), h (households) and b
// (buildings). Only roles the field table lets see a resident's name see
// rows at all (Fields is read here, not restated); of those, admins and
// workers see their community and a grid worker the buildings of their
// grids. ok is false when the actor sees nothing in the community.
func scope(p *accounts.Principal, cid int64) (cond string, args []any, ok bool) {
	if p == nil {
		return "", nil, false
	}
	if p.System {
		return "r.community_id = ?", []any{cid}, true
	}
	rows := mustField("name").See
	var grids []int64
	for _, g := range p.Grants {
		if g.CommunityID != cid || !slices.Contains(rows, g.Role) {
			continue
		}
		switch g.Role {
		case accounts.Admin, accounts.Worker:
			return "r.community_id = ?", []any{cid}, true
		case accounts.Grid:
			grids = append(grids, g.GridID)
		}
	}
	if len(grids) == 0 {
		return "", nil, false
	}
	args = []any{cid}
	for _, g := range grids {
		args = append(args, g)
	}
	return "r.community_id = ? AND b.grid_id IN (" + strings.TrimSuffix(strings.Repeat("?,", len(grids)), ",") + ")", args, true
}

// householdScope is scope for households (aliases h and b).
func householdScope(p *accounts.Principal, cid int64) (string, []any, bool) {
	cond, args, ok := scope(p, cid)
	return strings.ReplaceAll(cond, "r.community_id", "h.community_id"), args, ok
}
