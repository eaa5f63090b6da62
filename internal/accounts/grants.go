package accounts

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/audit"
	"github.com/linli/linli/internal/db"
)

func nullable(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// validateGrant checks that g has exactly the scope its role needs.
func validateGrant(g Grant) error {
	if !g.Role.Valid() {
		return apperr.New(apperr.Invalid, "error.invalid").Field("role", "grant.role.invalid", nil)
	}
	bad := func(field string) error {
		return apperr.New(apperr.Invalid, "error.invalid").Field(field, "grant.scope.missing", nil)
	}
	if g.Role == Street {
		if g.StreetID == 0 {
			return bad("street_id")
		}
		return nil
	}
	if g.CommunityID == 0 {
		return bad("community_id")
	}
	switch g.Role.Scope() {
	case "grid":
		if g.GridID == 0 {
			return bad("grid_id")
		}
	case "team":
		if g.TeamID == 0 {
			return bad("team_id")
		}
	case "organisation":
		if g.OrganisationID == 0 {
			return bad("organisation_id")
		}
	case "household":
		if g.HouseholdID == 0 {
			return bad("household_id")
		}
	}
	return nil
}

// checkGrantable: the console may grant anything; an admin may grant any
// role but street inside a community they administer.
func (s *Service) checkGrantable(actor *Principal, g Grant) error {
	if err := validateGrant(g); err != nil {
		return err
	}
	if actor.System {
		return nil
	}
	if g.Role == Street || !actor.administers(g.CommunityID) {
		return apperr.ForbiddenErr()
	}
	return nil
}

// insertGrant writes g after checking that its scope rows belong to its
// community, so a grid of another community cannot be slipped in.
func insertGrant(ctx context.Context, tx *db.Tx, actor *Principal, g Grant, now time.Time) error {
	check := func(table string, id int64) error {
		if id == 0 {
			return nil
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM `+table+` WHERE id = ? AND community_id = ?`, id, g.CommunityID).Scan(&n); err != nil {
			return fmt.Errorf("accounts: check %s: %w", table, err)
		}
		if n == 0 {
			return apperr.New(apperr.Invalid, "error.invalid").Field(table, "grant.scope.outside", nil)
		}
		return nil
	}
	for table, id := range map[string]int64{"grids": g.GridID, "teams": g.TeamID, "organisations": g.OrganisationID} {
		if err := check(table, id); err != nil {
			return err
		}
	}
	var by any
	if !actor.System {
		by = actor.AccountID
	}
	_, err := tx.Exec(ctx, `INSERT INTO grants (account_id, role, street_id, community_id, grid_id, team_id, organisation_id, household_id, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		g.AccountID, string(g.Role), nullable(g.StreetID), nullable(g.CommunityID), nullable(g.GridID),
		nullable(g.TeamID), nullable(g.OrganisationID), nullable(g.HouseholdID), by, now)
	if db.IsForeignKeyViolation(err) {
		return apperr.New(apperr.Invalid, "error.invalid").Field("scope", "grant.scope.outside", nil)
	}
	if err != nil {
		return fmt.Errorf("accounts: insert grant: %w", err)
	}
	return nil
}

func grantsOf(ctx context.Context, q db.Querier, accountID int64) ([]Grant, error) {
	rows, err := q.Query(ctx, `SELECT id, account_id, role, COALESCE(street_id, 0), COALESCE(community_id, 0),
		COALESCE(grid_id, 0), COALESCE(team_id, 0), COALESCE(organisation_id, 0), COALESCE(household_id, 0), created_at
		FROM grants WHERE account_id = ? ORDER BY id`, accountID)
	if err != nil {
		return nil, fmt.Errorf("accounts: grants: %w", err)
	}
	defer rows.Close()
	var out []Grant
	for rows.Next() {
		var g Grant
		var role string
		if err := rows.Scan(&g.ID, &g.AccountID, &role, &g.StreetID, &g.CommunityID, &g.GridID, &g.TeamID,
			&g.OrganisationID, &g.HouseholdID, &g.CreatedAt); err != nil {
			return nil, fmt.Errorf("accounts: scan grant: %w", err)
		}
		g.Role = Role(role)
		g.CreatedAt = g.CreatedAt.UTC()
		out = append(out, g)
	}
	return out, rows.Err()
}

// AddGrant gives an account one more role. The new grant applies to the
// account's next request: sessions read grants on every request.
func (s *Service) AddGrant(ctx context.Context, actor *Principal, accountID int64, g Grant) (*Account, error) {
	defer s.cache.clear() // the change must reach every session at once
	a, err := s.GetAccount(ctx, actor, accountID)
	if err != nil {
		return nil, err
	}
	if err := s.checkGrantable(actor, g); err != nil {
		return nil, err
	}
	for _, h := range a.Grants {
		if h.Role == g.Role && h.StreetID == g.StreetID && h.CommunityID == g.CommunityID && h.GridID == g.GridID &&
			h.TeamID == g.TeamID && h.OrganisationID == g.OrganisationID && h.HouseholdID == g.HouseholdID {
			return nil, apperr.New(apperr.Conflict, "grant.exists")
		}
	}
	g.AccountID = accountID
	now := s.clock.Now()
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := insertGrant(ctx, tx, actor, g, now); err != nil {
			return err
		}
		e := actor.Audit(now, "grant.add", g.CommunityID)
		e.ObjectType, e.ObjectID, e.Detail = "account", fmt.Sprint(accountID), string(g.Role)
		return audit.Record(ctx, tx, e)
	})
	if err != nil {
		return nil, err
	}
	return s.FindAccount(ctx, accountID)
}

// RevokeGrant removes one grant; the holder loses it on their next request.
func (s *Service) RevokeGrant(ctx context.Context, actor *Principal, grantID int64) error {
	defer s.cache.clear() // the change must reach every session at once
	var g Grant
	var role string
	err := s.db.QueryRow(ctx, `SELECT id, account_id, role, COALESCE(community_id, 0) FROM grants WHERE id = ?`, grantID).
		Scan(&g.ID, &g.AccountID, &role, &g.CommunityID)
	if errors.Is(err, sql.ErrNoRows) {
		return apperr.NotFoundErr()
	}
	if err != nil {
		return fmt.Errorf("accounts: find grant: %w", err)
	}
	if !actor.System && !actor.administers(g.CommunityID) {
		return apperr.NotFoundErr()
	}
	if g.AccountID == actor.AccountID && Role(role) == Admin {
		// An admin removing their own admin grant could leave a community
		// with nobody to run it; another admin or the console must do it.
		return apperr.New(apperr.Conflict, "grant.self_admin")
	}
	now := s.clock.Now()
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM grants WHERE id = ?`, grantID); err != nil {
			return fmt.Errorf("accounts: delete grant: %w", err)
		}
		e := actor.Audit(now, "grant.revoke", g.CommunityID)
		e.ObjectType, e.ObjectID, e.Detail = "account", fmt.Sprint(g.AccountID), role
		return audit.Record(ctx, tx, e)
	})
}

// EnsureGrantTx gives an account a role inside the caller's transaction,
// when it does not hold it already: a domain granting a role as the
// consequence of its own change (registering as a volunteer makes the
// account a volunteer). The caller has checked the actor's right to make
// that change and audits it. Call Invalidate after the commit.
func (s *Service) EnsureGrantTx(ctx context.Context, tx *db.Tx, actor *Principal, g Grant, now time.Time) error {
	var n int
	err := tx.QueryRow(ctx, `SELECT count(*) FROM grants WHERE account_id = ? AND role = ? AND community_id = ?
		AND COALESCE(team_id, 0) = ? AND COALESCE(organisation_id, 0) = ? AND COALESCE(grid_id, 0) = ?`,
		g.AccountID, string(g.Role), g.CommunityID, g.TeamID, g.OrganisationID, g.GridID).Scan(&n)
	if err != nil {
		return fmt.Errorf("accounts: find grant: %w", err)
	}
	if n > 0 {
		return nil
	}
	return insertGrant(ctx, tx, actor, g, now)
}

// Invalidate drops cached principals, so a grant given by another domain
// applies to the holder's next request.
func (s *Service) Invalidate() { s.cache.clear() }
