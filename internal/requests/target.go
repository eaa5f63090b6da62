package requests

import (
	"context"
	"fmt"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
)

// Target is what matching volunteers to a request needs to know of it.
type Target struct {
	ID, CommunityID int64
	Status          Status
	// TopCode is the code of the category's top-level node (a
	// sub-category is matched like its parent).
	TopCode                         string
	HouseholdID, BuildingID, GridID int64
}

// ForDispatch returns request id as a Target when the actor may take the
// office's steps on it (dispatching it among them): the office, the grid
// worker of its grid. Someone who may only read it is forbidden; anyone
// else finds nothing.
func (s *Service) ForDispatch(ctx context.Context, actor *accounts.Principal, id int64) (Target, error) {
	r, _, rel, err := s.find(ctx, actor, id)
	if err != nil {
		return Target{}, err
	}
	if !rel.office {
		return Target{}, apperr.ForbiddenErr()
	}
	t := Target{ID: r.id, CommunityID: r.cid, Status: Status(r.status), TopCode: r.catCode,
		HouseholdID: r.householdID, BuildingID: r.buildingID, GridID: r.gridID}
	err = s.db.QueryRow(ctx, `SELECT COALESCE(p.code, c.code) FROM request_categories c
		LEFT JOIN request_categories p ON p.id = c.parent_id WHERE c.id = ?`, r.categoryID).Scan(&t.TopCode)
	if err != nil {
		return Target{}, fmt.Errorf("requests: category of %d: %w", id, err)
	}
	return t, nil
}
