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
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/audit"
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

// neverPublic are the codes of categories (and their children) that the
// public Open311 side may never show: what residents tell about disputes,
// benefits, care and mediation is about people, not about the street.
var neverPublic = []string{"dispute", "benefits", "elderly", "care", "mediation"}

var codePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{1,29}$`)

// CategoryInput is a new category; ParentID 0 makes a top-level one.
// The tree has two levels: a parent must be top-level.
type CategoryInput struct {
	ParentID int64  `json:"parent_id,omitempty"`
	Code     string `json:"code"`
	NameZH   string `json:"name_zh"`
	NameEN   string `json:"name_en"`
	Public   bool   `json:"public"`
}

// CategoryChange changes a category; nil fields stay as they are.
type CategoryChange struct {
	NameZH  *string `json:"name_zh,omitempty"`
	NameEN  *string `json:"name_en,omitempty"`
	Public  *bool   `json:"public,omitempty"`
	Retired *bool   `json:"retired,omitempty"` // retired: not offered for new requests
}

// office reports whether p runs community cid (admin, worker, console).
func office(p *accounts.Principal, cid int64) bool {
	if p == nil {
		return false
	}
	if p.System {
		return true
	}
	for _, g := range p.Grants {
		if g.CommunityID == cid && (g.Role == accounts.Admin || g.Role == accounts.Worker) {
			return true
		}
	}
	return false
}

func checkNames(v *apperr.Validation, zh, en string) {
	for field, s := range map[string]string{"name_zh": zh, "name_en": en} {
		if n := utf8.RuneCountInString(s); n < 1 || n > 30 {
			v.Add(field, "request.category.name", nil)
		} else {
			checkText(v, field, s, 30)
		}
	}
}

// checkPublic refuses to make public a category with code under parent
// (0: none) when it or its parent is of a kind never shown, or when its
// parent is not public itself.
func (s *Service) checkPublic(ctx context.Context, v *apperr.Validation, cid, parent int64, code string) error {
	if slices.Contains(neverPublic, code) {
		v.Add("public", "request.category.never_public", nil)
		return nil
	}
	if parent == 0 {
		return nil
	}
	p, ok, err := category(ctx, s.db, cid, parent)
	if err != nil || !ok {
		return err
	}
	switch {
	case slices.Contains(neverPublic, p.Code):
		v.Add("public", "request.category.never_public", nil)
	case !p.Public:
		v.Add("public", "request.category.parent_private", nil)
	}
	return nil
}

// AddCategory adds a category to community cid's tree: the office.
func (s *Service) AddCategory(ctx context.Context, actor *accounts.Principal, cid int64, in CategoryInput) (*Category, error) {
	if !memberOf(actor, cid) {
		return nil, apperr.NotFoundErr()
	}
	if !office(actor, cid) {
		return nil, apperr.ForbiddenErr()
	}
	if err := s.ensure(ctx, cid); err != nil {
		return nil, err
	}
	in.Code, in.NameZH, in.NameEN = strings.TrimSpace(in.Code), cleanText(in.NameZH), cleanText(in.NameEN)
	var v apperr.Validation
	if !codePattern.MatchString(in.Code) {
		v.Add("code", "request.category.code", nil)
	}
	checkNames(&v, in.NameZH, in.NameEN)
	if in.ParentID != 0 {
		p, ok, err := category(ctx, s.db, cid, in.ParentID)
		if err != nil {
			return nil, err
		}
		if !ok || p.ParentID != 0 {
			v.Add("parent_id", "request.category.parent", nil)
		}
	}
	if in.Public && !v.Has("parent_id") {
		if err := s.checkPublic(ctx, &v, cid, in.ParentID, in.Code); err != nil {
			return nil, err
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var id int64
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO request_categories (community_id, parent_id, code, name_zh, name_en, public, position, created_at)
			VALUES (?, ?, ?, ?, ?, ?, (SELECT COALESCE(max(position), 0) + 1 FROM request_categories WHERE community_id = ?), ?) RETURNING id`,
			cid, nullID(in.ParentID), in.Code, in.NameZH, in.NameEN, in.Public, cid, s.clock.Now().UTC()).Scan(&id)
		if db.IsUniqueViolation(err) {
			return apperr.New(apperr.Conflict, "request.category.taken").With(map[string]any{"code": in.Code})
		}
		if err != nil {
			return fmt.Errorf("requests: add category: %w", err)
		}
		return s.recordCategory(ctx, tx, actor, "request.category.add", cid, id, in.Code)
	})
	if err != nil {
		return nil, err
	}
	c, _, err := category(ctx, s.db, cid, id)
	return &c, err
}

// UpdateCategory renames, publishes or retires category id of community
// cid: the office. Codes do not change (Open311 service codes will be
// built from them); a retired category keeps its requests.
func (s *Service) UpdateCategory(ctx context.Context, actor *accounts.Principal, cid, id int64, ch CategoryChange) (*Category, error) {
	if !memberOf(actor, cid) {
		return nil, apperr.NotFoundErr()
	}
	c, ok, err := category(ctx, s.db, cid, id)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, apperr.NotFoundErr()
	}
	if !office(actor, cid) {
		return nil, apperr.ForbiddenErr()
	}
	var v apperr.Validation
	if ch.NameZH != nil {
		c.NameZH = cleanText(*ch.NameZH)
	}
	if ch.NameEN != nil {
		c.NameEN = cleanText(*ch.NameEN)
	}
	checkNames(&v, c.NameZH, c.NameEN)
	if ch.Public != nil {
		if *ch.Public && !c.Public {
			if err := s.checkPublic(ctx, &v, cid, c.ParentID, c.Code); err != nil {
				return nil, err
			}
		}
		c.Public = *ch.Public
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.clock.Now().UTC()
		if _, err := tx.Exec(ctx, `UPDATE request_categories SET name_zh = ?, name_en = ?, public = ? WHERE id = ? AND community_id = ?`,
			c.NameZH, c.NameEN, c.Public, id, cid); err != nil {
			return fmt.Errorf("requests: update category: %w", err)
		}
		if ch.Retired != nil {
			var at any
			if *ch.Retired {
				at = now
			}
			// Retiring a parent retires its children: the form offers
			// neither any more.
			if _, err := tx.Exec(ctx, `UPDATE request_categories SET retired_at = ? WHERE community_id = ? AND (id = ? OR parent_id = ?)`,
				at, cid, id, id); err != nil {
				return fmt.Errorf("requests: retire category: %w", err)
			}
		}
		if !c.Public {
			// A category that is not public has no public children.
			if _, err := tx.Exec(ctx, `UPDATE request_categories SET public = ? WHERE community_id = ? AND parent_id = ?`, false, cid, id); err != nil {
				return fmt.Errorf("requests: unpublish children: %w", err)
			}
		}
		return s.recordCategory(ctx, tx, actor, "request.category.update", cid, id, c.Code)
	})
	if err != nil {
		return nil, err
	}
	out, _, err := category(ctx, s.db, cid, id)
	return &out, err
}

func (s *Service) recordCategory(ctx context.Context, q db.Querier, actor *accounts.Principal, action string, cid, id int64, detail string) error {
	e := actor.Audit(s.clock.Now(), action, cid)
	e.ObjectType, e.ObjectID, e.Detail = "request_category", fmt.Sprint(id), detail
	return audit.Record(ctx, q, e)
}
