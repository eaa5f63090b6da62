package requests

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/db"
)

// HandlerGridWorker routes to the worker of the request's grid, whoever
// that is when the request is dispatched; it is a route's target only,
// and a dispatch resolves it to that worker's account.
const HandlerGridWorker HandlerKind = "grid_worker"

// Route sends a category (and, with GridID, only that grid's requests of
// it) to a handler. A route of a parent category covers its children
// that have none of their own.
type Route struct {
	CategoryID   int64   `json:"category_id"`
	CategoryCode string  `json:"category_code,omitempty"` // read only
	GridID       int64   `json:"grid_id,omitempty"`
	Handler      Handler `json:"handler"`
}

// Routing is a community's routing table: the two marks the defaults
// use, the office's own routes, and (read only) where each top category
// goes when no route names it.
type Routing struct {
	SkilledTeamID int64   `json:"skilled_team_id,omitempty"`
	HeatingOrgID  int64   `json:"heating_organisation_id,omitempty"`
	Routes        []Route `json:"routes"`
	Defaults      []Route `json:"defaults"`
}

// skilledCodes are the categories the skilled volunteers' team (能人先锋队)
// takes by default; heating goes to the heating company.
var skilledCodes = []string{"repairs", "water", "electricity"}

// MaxRoutes bounds a community's routing table.
const MaxRoutes = 200

// Routing reads community cid's routing table, for anyone of it.
func (s *Service) Routing(ctx context.Context, actor *accounts.Principal, cid int64) (*Routing, error) {
	if !memberOf(actor, cid) {
		return nil, apperr.NotFoundErr()
	}
	if err := s.ensure(ctx, cid); err != nil {
		return nil, err
	}
	out := &Routing{Routes: []Route{}, Defaults: []Route{}}
	var team, org sql.NullInt64
	err := s.db.QueryRow(ctx, `SELECT skilled_team_id, heating_org_id FROM request_routing WHERE community_id = ?`, cid).Scan(&team, &org)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("requests: routing: %w", err)
	}
	out.SkilledTeamID, out.HeatingOrgID = team.Int64, org.Int64
	rows, err := s.db.Query(ctx, `SELECT r.category_id, c.code, COALESCE(r.grid_id, 0), r.handler_kind, COALESCE(r.handler_id, 0)
		FROM request_routes r JOIN request_categories c ON c.id = r.category_id WHERE r.community_id = ? ORDER BY c.position, c.id, r.grid_id`, cid)
	if err != nil {
		return nil, fmt.Errorf("requests: routes: %w", err)
	}
	for rows.Next() {
		var r Route
		if err := rows.Scan(&r.CategoryID, &r.CategoryCode, &r.GridID, &r.Handler.Kind, &r.Handler.ID); err != nil {
			rows.Close()
			return nil, fmt.Errorf("requests: routes: %w", err)
		}
		out.Routes = append(out.Routes, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("requests: routes: %w", err)
	}
	cats, err := s.Categories(ctx, actor, cid)
	if err != nil {
		return nil, err
	}
	for _, c := range cats {
		if c.ParentID == 0 && !c.Retired {
			out.Defaults = append(out.Defaults, Route{CategoryID: c.ID, CategoryCode: c.Code, Handler: defaultHandler(c.Code, out.SkilledTeamID, out.HeatingOrgID)})
		}
	}
	return out, nil
}

// defaultHandler is where a top category goes without a route.
func defaultHandler(code string, team, org int64) Handler {
	switch {
	case team != 0 && slices.Contains(skilledCodes, code):
		return Handler{Kind: HandlerTeam, ID: team}
	case org != 0 && code == "heating":
		return Handler{Kind: HandlerOrganisation, ID: org}
	}
	return Handler{Kind: HandlerGridWorker}
}

// SetRouting replaces community cid's marks and routes, for the office.
// Every route is checked (a category and grid of the community, a
// handler that exists there, one route per category and grid) before
// anything is written.
func (s *Service) SetRouting(ctx context.Context, actor *accounts.Principal, cid int64, in Routing) (*Routing, error) {
	if err := s.office(ctx, actor, cid); err != nil {
		return nil, err
	}
	if err := s.ensure(ctx, cid); err != nil {
		return nil, err
	}
	var v apperr.Validation
	if in.SkilledTeamID != 0 {
		if err := s.checkHandlerAs(ctx, cid, &Handler{Kind: HandlerTeam, ID: in.SkilledTeamID}, &v, "skilled_team_id"); err != nil {
			return nil, err
		}
	}
	if in.HeatingOrgID != 0 {
		if err := s.checkHandlerAs(ctx, cid, &Handler{Kind: HandlerOrganisation, ID: in.HeatingOrgID}, &v, "heating_organisation_id"); err != nil {
			return nil, err
		}
	}
	if len(in.Routes) > MaxRoutes {
		v.Add("routes", "request.route.many", map[string]any{"max": MaxRoutes})
	}
	type key struct{ cat, grid int64 }
	seen := map[key]bool{}
	for i, r := range in.Routes {
		f := fmt.Sprintf("routes[%d]", i)
		if c, ok, err := category(ctx, s.db, cid, r.CategoryID); err != nil {
			return nil, err
		} else if r.CategoryID == 0 || !ok || c.Retired {
			v.Add(f+".category_id", "request.category.unknown", nil)
		}
		if r.GridID != 0 {
			var n int
			if err := s.db.QueryRow(ctx, `SELECT count(*) FROM grids WHERE id = ? AND community_id = ?`, r.GridID, cid).Scan(&n); err != nil {
				return nil, fmt.Errorf("requests: route grid: %w", err)
			}
			if n == 0 {
				v.Add(f+".grid_id", "request.route.grid", nil)
			}
		}
		if r.Handler.Kind == HandlerGridWorker {
			in.Routes[i].Handler.ID = 0
		} else if r.Handler.Kind == HandlerVolunteer {
			// One volunteer is not a standing route: they may be away.
			v.Add(f+".handler", "request.handler.invalid", nil)
		} else if err := s.checkHandlerAs(ctx, cid, &in.Routes[i].Handler, &v, f+".handler"); err != nil {
			return nil, err
		}
		k := key{r.CategoryID, r.GridID}
		if seen[k] {
			v.Add(f+".category_id", "request.route.duplicate", nil)
		}
		seen[k] = true
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	now := s.clock.Now().UTC()
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO request_routing (community_id, skilled_team_id, heating_org_id, updated_by, updated_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (community_id) DO UPDATE SET skilled_team_id = excluded.skilled_team_id,
			heating_org_id = excluded.heating_org_id, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
			cid, nullID(in.SkilledTeamID), nullID(in.HeatingOrgID), nullID(actor.AccountID), now); err != nil {
			return fmt.Errorf("requests: set routing: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM request_routes WHERE community_id = ?`, cid); err != nil {
			return fmt.Errorf("requests: set routes: %w", err)
		}
		for _, r := range in.Routes {
			if _, err := tx.Exec(ctx, `INSERT INTO request_routes (community_id, category_id, grid_id, handler_kind, handler_id, created_at)
				VALUES (?, ?, ?, ?, ?, ?)`, cid, r.CategoryID, nullID(r.GridID), string(r.Handler.Kind), nullID(r.Handler.ID), now); err != nil {
				return fmt.Errorf("requests: set routes: %w", err)
			}
		}
		return s.record(ctx, tx, actor, "request.routes", cid, 0, fmt.Sprint(len(in.Routes)))
	})
	if err != nil {
		return nil, err
	}
	return s.Routing(ctx, actor, cid)
}

// checkHandlerAs is checkHandler filing its problem under field.
func (s *Service) checkHandlerAs(ctx context.Context, cid int64, h *Handler, v *apperr.Validation, field string) error {
	var one apperr.Validation
	if err := s.checkHandler(ctx, cid, h, &one); err != nil {
		return err
	}
	if err := one.Err(); err != nil {
		f := apperr.From(err).Fields["handler"]
		v.Add(field, f.Key, f.Args)
	}
	return nil
}

// routeFor is the handler request r goes to when dispatched without one:
// the route of its category (or its parent's) for its grid, then for
// every grid, then the default of its top category; a grid worker route
// is its grid's worker. Invalid (request.route.none) when that leaves no
// one, e.g. a free address with no grid.
func (s *Service) routeFor(ctx context.Context, r *row) (*Handler, error) {
	c, _, err := category(ctx, s.db, r.cid, r.categoryID)
	if err != nil {
		return nil, err
	}
	cats, code := []int64{c.ID}, c.Code
	if c.ParentID != 0 {
		cats = append(cats, c.ParentID)
		p, _, err := category(ctx, s.db, r.cid, c.ParentID)
		if err != nil {
			return nil, err
		}
		code = p.Code
	}
	var h *Handler
	for _, cat := range cats {
		var kind string
		var id sql.NullInt64
		// The grid's own route first (NULL grid sorts after a match).
		err := s.db.QueryRow(ctx, `SELECT handler_kind, handler_id FROM request_routes WHERE community_id = ? AND category_id = ?
			AND (grid_id = ? OR grid_id IS NULL) ORDER BY CASE WHEN grid_id IS NULL THEN 1 ELSE 0 END LIMIT 1`,
			r.cid, cat, r.gridID).Scan(&kind, &id)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("requests: route: %w", err)
		}
		h = &Handler{Kind: HandlerKind(kind), ID: id.Int64}
		break
	}
	if h == nil {
		var team, org sql.NullInt64
		err := s.db.QueryRow(ctx, `SELECT skilled_team_id, heating_org_id FROM request_routing WHERE community_id = ?`, r.cid).Scan(&team, &org)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("requests: routing: %w", err)
		}
		d := defaultHandler(code, team.Int64, org.Int64)
		h = &d
	}
	if h.Kind == HandlerGridWorker {
		id, err := gridWorker(ctx, s.db, r.cid, r.gridID)
		if err != nil {
			return nil, err
		}
		if id == 0 {
			return nil, apperr.New(apperr.Invalid, "error.invalid").Field("handler", "request.route.none", nil)
		}
		h = &Handler{Kind: HandlerAccount, ID: id}
	}
	return h, nil
}

// gridWorker is the account of grid's worker in community cid (the
// longest-standing if several), 0 if none or no grid.
func gridWorker(ctx context.Context, q db.Querier, cid, grid int64) (int64, error) {
	if grid == 0 {
		return 0, nil
	}
	var id int64
	err := q.QueryRow(ctx, `SELECT g.account_id FROM grants g JOIN accounts a ON a.id = g.account_id
		WHERE g.community_id = ? AND g.role = 'grid' AND g.grid_id = ? AND a.disabled_at IS NULL ORDER BY g.id LIMIT 1`, cid, grid).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("requests: grid worker: %w", err)
	}
	return id, nil
}
