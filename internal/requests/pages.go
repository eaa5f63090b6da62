package requests

// Small reads the web pages need besides List and Get: the building
// view's counts and the dispatch form's choices.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
)

// OpenByBuilding counts the open requests of each building inside the
// actor's reach in community cid (requests with no building are not
// counted): the map-free building view.
func (s *Service) OpenByBuilding(ctx context.Context, actor *accounts.Principal, cid int64) (map[int64]int, error) {
	if !memberOf(actor, cid) {
		return nil, apperr.NotFoundErr()
	}
	rc, err := s.reachOf(ctx, actor, cid)
	if err != nil {
		return nil, err
	}
	cond, args := rc.condition()
	// The open statuses named, not the final ones excluded: an IN list
	// seeks the open requests in the index (requests_queue), where NOT IN
	// would read every closed request of the years before.
	var open []Status
	for _, st := range Statuses {
		if st.Open() {
			open = append(open, st)
			args = append(args, string(st))
		}
	}
	rows, err := s.db.Query(ctx, `SELECT q.building_id, count(*) FROM requests q WHERE `+cond+`
		AND q.building_id IS NOT NULL AND q.status IN (`+placeholders(len(open))+`) GROUP BY q.building_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("requests: open by building: %w", err)
	}
	defer rows.Close()
	out := map[int64]int{}
	for rows.Next() {
		var b int64
		var n int
		if err := rows.Scan(&b, &n); err != nil {
			return nil, fmt.Errorf("requests: open by building: %w", err)
		}
		out[b] = n
	}
	return out, rows.Err()
}

// DispatchTargets lists what community cid's requests may be dispatched
// to, named: its teams, its partner organisations and the accounts of its
// office and grid workers (volunteers are many, and are found by search).
// Only those who may dispatch (the office, grid workers) get the list.
func (s *Service) DispatchTargets(ctx context.Context, actor *accounts.Principal, cid int64) ([]Handler, error) {
	rc, err := s.reachOf(ctx, actor, cid)
	if err != nil {
		return nil, err
	}
	if !rc.office && len(rc.grids) == 0 {
		return nil, apperr.NotFoundErr()
	}
	var out []Handler
	for _, q := range []struct {
		kind  HandlerKind
		query string
	}{
		{HandlerTeam, `SELECT id, name FROM teams WHERE community_id = ? ORDER BY id`},
		{HandlerOrganisation, `SELECT id, name FROM organisations WHERE community_id = ? ORDER BY id`},
		{HandlerAccount, `SELECT DISTINCT a.id, a.display_name FROM grants g JOIN accounts a ON a.id = g.account_id
			WHERE g.community_id = ? AND g.role IN ('admin', 'worker', 'grid') AND a.disabled_at IS NULL ORDER BY a.id`},
	} {
		rows, err := s.db.Query(ctx, q.query, cid)
		if err != nil {
			return nil, fmt.Errorf("requests: dispatch targets: %w", err)
		}
		for rows.Next() {
			h := Handler{Kind: q.kind}
			if err := rows.Scan(&h.ID, &h.Name); err != nil {
				rows.Close()
				return nil, fmt.Errorf("requests: dispatch targets: %w", err)
			}
			out = append(out, h)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("requests: dispatch targets: %w", err)
		}
	}
	return out, nil
}

// FindNumber returns the id of request number (2026-000123) of community
// cid if it is inside the actor's reach, else NotFound: the merge form
// takes the number people read off the other request.
func (s *Service) FindNumber(ctx context.Context, actor *accounts.Principal, cid int64, number string) (int64, error) {
	if !memberOf(actor, cid) {
		return 0, apperr.NotFoundErr()
	}
	rc, err := s.reachOf(ctx, actor, cid)
	if err != nil {
		return 0, err
	}
	cond, args := rc.condition()
	var id int64
	err = s.db.QueryRow(ctx, `SELECT q.id FROM requests q WHERE `+cond+` AND q.number = ?`, append(args, number)...).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, apperr.NotFoundErr()
	}
	if err != nil {
		return 0, fmt.Errorf("requests: find number: %w", err)
	}
	return id, nil
}
