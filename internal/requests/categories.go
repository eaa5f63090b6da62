package requests

// The category tree. Each community keeps its own (a community may split
// 维修 into 门窗 and 家电 later); the defaults below are written the first
// time a community needs them, not by the migration, so a community
// created after the migration gets them too without tenancy knowing
// about requests. Writing them is idempotent (ON CONFLICT DO NOTHING on
// the community's code), so two first requests racing are harmless.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/db"
)

// Category is a node of a community's category tree.
type Category struct {
	ID       int64  `json:"id"`
	ParentID int64  `json:"parent_id,omitempty"`
	Code     string `json:"code"`
	NameZH   string `json:"name_zh"`
	NameEN   string `json:"name_en"`
	// Public categories may be shown on the public Open311 side; never
	// disputes, benefits, elderly care or mediation.
	Public  bool `json:"public"`
	Retired bool `json:"retired"`
}

// DefaultCategories is the tree a community starts with (issue 6 item 1).
var DefaultCategories = []Category{
	{Code: "repairs", NameZH: "维修", NameEN: "Repairs", Public: true},
	{Code: "water", NameZH: "水管", NameEN: "Water and pipes", Public: true},
	{Code: "heating", NameZH: "供暖", NameEN: "Heating", Public: true},
	{Code: "electricity", NameZH: "用电", NameEN: "Electricity", Public: true},
	{Code: "environment", NameZH: "环境卫生", NameEN: "Environment and hygiene", Public: true},
	{Code: "dispute", NameZH: "邻里纠纷", NameEN: "Neighbour dispute"},
	{Code: "benefits", NameZH: "政务代办/救助申请", NameEN: "Benefits and paperwork"},
	{Code: "safety", NameZH: "安全隐患", NameEN: "Safety hazard", Public: true},
	{Code: "elderly", NameZH: "助老", NameEN: "Elderly help"},
	// Other may hold anything, a dispute or a family's hardship too: not
	// public unless the office moves it to a public category.
	{Code: "other", NameZH: "其他", NameEN: "Other"},
}

// ensureCategories writes community cid's default categories if it has
// none yet.
func (s *Service) ensureCategories(ctx context.Context, q db.Querier, cid int64) error {
	var n int
	if err := q.QueryRow(ctx, `SELECT count(*) FROM request_categories WHERE community_id = ?`, cid).Scan(&n); err != nil {
		return fmt.Errorf("requests: count categories: %w", err)
	}
	if n > 0 {
		return nil
	}
	now := s.clock.Now().UTC()
	for i, c := range DefaultCategories {
		if _, err := q.Exec(ctx, `INSERT INTO request_categories (community_id, code, name_zh, name_en, public, position, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (community_id, code) DO NOTHING`,
			cid, c.Code, c.NameZH, c.NameEN, c.Public, i+1, now); err != nil {
			return fmt.Errorf("requests: default category %s: %w", c.Code, err)
		}
	}
	return nil
}

// ensure writes community cid's defaults when it has no categories, in
// a transaction of its own; the common case is one read.
func (s *Service) ensure(ctx context.Context, cid int64) error {
	var n int
	if err := s.db.QueryRow(ctx, `SELECT count(*) FROM request_categories WHERE community_id = ?`, cid).Scan(&n); err != nil {
		return fmt.Errorf("requests: count categories: %w", err)
	}
	if n > 0 {
		return nil
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error { return s.ensureCategories(ctx, tx, cid) })
}

// Categories lists community cid's category tree, parents before their
// children, for anyone in the community (intake forms, filters).
func (s *Service) Categories(ctx context.Context, actor *accounts.Principal, cid int64) ([]Category, error) {
	if !memberOf(actor, cid) {
		return nil, apperr.NotFoundErr()
	}
	if err := s.ensure(ctx, cid); err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT id, COALESCE(parent_id, 0), code, name_zh, name_en, public, retired_at IS NOT NULL
		FROM request_categories WHERE community_id = ? ORDER BY COALESCE(parent_id, id), parent_id IS NOT NULL, position, id`, cid)
	if err != nil {
		return nil, fmt.Errorf("requests: categories: %w", err)
	}
	defer rows.Close()
	out := []Category{}
	for rows.Next() {
		var c Category
		if err := rows.Scan(&c.ID, &c.ParentID, &c.Code, &c.NameZH, &c.NameEN, &c.Public, &c.Retired); err != nil {
			return nil, fmt.Errorf("requests: categories: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// category loads category id of community cid; ok is false when there is
// none there.
func category(ctx context.Context, q db.Querier, cid, id int64) (Category, bool, error) {
	var c Category
	err := q.QueryRow(ctx, `SELECT id, COALESCE(parent_id, 0), code, name_zh, name_en, public, retired_at IS NOT NULL
		FROM request_categories WHERE community_id = ? AND id = ?`, cid, id).
		Scan(&c.ID, &c.ParentID, &c.Code, &c.NameZH, &c.NameEN, &c.Public, &c.Retired)
	if errors.Is(err, sql.ErrNoRows) {
		return c, false, nil
	}
	if err != nil {
		return c, false, fmt.Errorf("requests: category: %w", err)
	}
	return c, true, nil
}
