package requests

import (
	"context"
	"fmt"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
)

// Similar is an open request that may be the same as a new one: same
// building, same category family, recent. The worker merges the new one
// into it instead of dispatching both (the leak reported by the flat
// below and by the flat above).
type Similar struct {
	ID          int64     `json:"id"`
	Number      string    `json:"number"`
	Status      Status    `json:"status"`
	CategoryID  int64     `json:"category_id"`
	Description string    `json:"description"` // the first 80 characters
	CreatedAt   time.Time `json:"created_at"`
}

// SimilarWindowDays is how far back similar requests are looked for, and
// MaxSimilar how many are offered.
const (
	SimilarWindowDays = 30
	MaxSimilar        = 10
)

// SimilarTo lists the open requests of the last SimilarWindowDays in
// building and category (its parent's family: a leak filed under water
// matches one under a child of water) within the actor's reach, newest
// first, for the intake roles. An unknown building or category is
// Invalid.
func (s *Service) SimilarTo(ctx context.Context, actor *accounts.Principal, cid, building, categoryID int64) ([]Similar, error) {
	rc, err := s.reachOf(ctx, actor, cid)
	if err != nil {
		return nil, err
	}
	if !rc.intake {
		if !memberOf(actor, cid) {
			return nil, apperr.NotFoundErr()
		}
		return nil, apperr.ForbiddenErr()
	}
	if err := s.ensure(ctx, cid); err != nil {
		return nil, err
	}
	var v apperr.Validation
	var n int
	if err := s.db.QueryRow(ctx, `SELECT count(*) FROM buildings WHERE id = ? AND community_id = ?`, building, cid).Scan(&n); err != nil {
		return nil, fmt.Errorf("requests: similar: %w", err)
	}
	if n == 0 {
		v.Add("building", "request.place.unknown", nil)
	}
	if _, ok, err := category(ctx, s.db, cid, categoryID); err != nil {
		return nil, err
	} else if !ok {
		v.Add("category", "request.category.unknown", nil)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return s.similar(ctx, rc, &row{cid: cid, buildingID: building, categoryID: categoryID})
}

// similar lists the open requests like r (not r itself) inside reach rc.
func (s *Service) similar(ctx context.Context, rc reach, r *row) ([]Similar, error) {
	out := []Similar{}
	if r.buildingID == 0 {
		return out, nil // a free address: nothing to compare with
	}
	c, _, err := category(ctx, s.db, r.cid, r.categoryID)
	if err != nil {
		return nil, err
	}
	root := c.ID
	if c.ParentID != 0 {
		root = c.ParentID
	}
	cond, args := rc.condition()
	since := s.clock.Now().UTC().AddDate(0, 0, -SimilarWindowDays)
	rows, err := s.db.Query(ctx, `SELECT q.id, q.number, q.status, q.category_id, q.description, q.created_at
		FROM requests q JOIN request_categories c ON c.id = q.category_id
		WHERE `+cond+` AND q.building_id = ? AND (c.id = ? OR c.parent_id = ?) AND q.id <> ?
		AND q.status NOT IN (?, ?, ?) AND q.created_at >= ? ORDER BY q.created_at DESC, q.id DESC LIMIT ?`,
		append(args, r.buildingID, root, root, r.id, string(Rejected), string(Merged), string(Closed), since, MaxSimilar)...)
	if err != nil {
		return nil, fmt.Errorf("requests: similar: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var x Similar
		if err := rows.Scan(&x.ID, &x.Number, &x.Status, &x.CategoryID, &x.Description, &x.CreatedAt); err != nil {
			return nil, fmt.Errorf("requests: similar: %w", err)
		}
		if d := []rune(x.Description); len(d) > 80 {
			x.Description = string(d[:80]) + "…"
		}
		x.CreatedAt = x.CreatedAt.UTC()
		out = append(out, x)
	}
	return out, rows.Err()
}
