// Package tenancy holds the levels above the registry: streets (街道),
// communities (社区, the tenant), grids (网格), and the party branches,
// teams and partner organisations that grants are scoped to. Every
// community-owned row in Linli carries community_id, so one PostgreSQL can
// serve a whole city.
package tenancy

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/db"
)

type Street struct {
	ID       int64  `json:"id"`
	Code     string `json:"code"`
	Name     string `json:"name"`
	District string `json:"district"`
	City     string `json:"city"`
}

type Community struct {
	ID       int64  `json:"id"`
	StreetID int64  `json:"street_id"`
	Code     string `json:"code"`
	Name     string `json:"name"`
	Address  string `json:"address"`
}

type Grid struct {
	ID          int64  `json:"id"`
	CommunityID int64  `json:"community_id"`
	Number      int    `json:"number"`
	Name        string `json:"name"`
}

// Unit is a named thing inside a community: a party branch, a team or a
// partner organisation.
type Unit struct {
	ID          int64  `json:"id"`
	CommunityID int64  `json:"community_id"`
	Name        string `json:"name"`
	Kind        string `json:"kind,omitempty"` // organisations only
}

// Store reads and writes tenancy rows. Streets and communities change
// rarely, so the street of each community is cached after the first read.
type Store struct {
	db *db.DB

	mu       sync.RWMutex
	streetOf map[int64]int64
}

func NewStore(d *db.DB) *Store { return &Store{db: d, streetOf: map[int64]int64{}} }

// CreateStreet inserts a street, or returns the existing one with that code.
func (s *Store) CreateStreet(ctx context.Context, q db.Querier, st Street, now time.Time) (int64, error) {
	var id int64
	err := q.QueryRow(ctx, `SELECT id FROM streets WHERE code = ?`, st.Code).Scan(&id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("tenancy: find street: %w", err)
	}
	err = q.QueryRow(ctx, `INSERT INTO streets (code, name, district, city, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
		st.Code, st.Name, st.District, st.City, now).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("tenancy: create street: %w", err)
	}
	return id, nil
}

// CreateCommunity inserts a community, or returns the one with that code.
func (s *Store) CreateCommunity(ctx context.Context, q db.Querier, c Community, now time.Time) (int64, error) {
	var id int64
	err := q.QueryRow(ctx, `SELECT id FROM communities WHERE code = ?`, c.Code).Scan(&id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("tenancy: find community: %w", err)
	}
	err = q.QueryRow(ctx, `INSERT INTO communities (street_id, code, name, address, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
		c.StreetID, c.Code, c.Name, c.Address, now).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("tenancy: create community: %w", err)
	}
	return id, nil
}

// CreateGrid inserts a grid, or returns the one with that number.
func (s *Store) CreateGrid(ctx context.Context, q db.Querier, g Grid, now time.Time) (int64, error) {
	var id int64
	err := q.QueryRow(ctx, `SELECT id FROM grids WHERE community_id = ? AND number = ?`, g.CommunityID, g.Number).Scan(&id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("tenancy: find grid: %w", err)
	}
	err = q.QueryRow(ctx, `INSERT INTO grids (community_id, number, name, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
		g.CommunityID, g.Number, g.Name, now).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("tenancy: create grid: %w", err)
	}
	return id, nil
}

// unitTables are the tables CreateUnit and Units may touch.
var unitTables = map[string]bool{"party_branches": true, "teams": true, "organisations": true}

// CreateUnit inserts a party branch, team or organisation by name, or
// returns the existing one.
func (s *Store) CreateUnit(ctx context.Context, q db.Querier, table string, u Unit, now time.Time) (int64, error) {
	if !unitTables[table] {
		return 0, fmt.Errorf("tenancy: no unit table %q", table)
	}
	var id int64
	err := q.QueryRow(ctx, `SELECT id FROM `+table+` WHERE community_id = ? AND name = ?`, u.CommunityID, u.Name).Scan(&id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("tenancy: find %s: %w", table, err)
	}
	if table == "organisations" {
		err = q.QueryRow(ctx, `INSERT INTO organisations (community_id, name, kind, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
			u.CommunityID, u.Name, u.Kind, now).Scan(&id)
	} else {
		err = q.QueryRow(ctx, `INSERT INTO `+table+` (community_id, name, created_at) VALUES (?, ?, ?) RETURNING id`,
			u.CommunityID, u.Name, now).Scan(&id)
	}
	if err != nil {
		return 0, fmt.Errorf("tenancy: create %s: %w", table, err)
	}
	return id, nil
}

// Units lists the party branches, teams or organisations of a community.
func (s *Store) Units(ctx context.Context, table string, communityID int64) ([]Unit, error) {
	if !unitTables[table] {
		return nil, fmt.Errorf("tenancy: no unit table %q", table)
	}
	kind := "''"
	if table == "organisations" {
		kind = "kind"
	}
	rows, err := s.db.Query(ctx, `SELECT id, community_id, name, `+kind+` FROM `+table+` WHERE community_id = ? ORDER BY id`, communityID)
	if err != nil {
		return nil, fmt.Errorf("tenancy: list %s: %w", table, err)
	}
	defer rows.Close()
	var out []Unit
	for rows.Next() {
		var u Unit
		if err := rows.Scan(&u.ID, &u.CommunityID, &u.Name, &u.Kind); err != nil {
			return nil, fmt.Errorf("tenancy: scan %s: %w", table, err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// Community loads one community.
func (s *Store) Community(ctx context.Context, id int64) (*Community, error) {
	var c Community
	err := s.db.QueryRow(ctx, `SELECT id, street_id, code, name, address FROM communities WHERE id = ?`, id).
		Scan(&c.ID, &c.StreetID, &c.Code, &c.Name, &c.Address)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFoundErr()
	}
	if err != nil {
		return nil, fmt.Errorf("tenancy: community %d: %w", id, err)
	}
	return &c, nil
}

// Communities lists communities, of one street when streetID is not 0.
func (s *Store) Communities(ctx context.Context, streetID int64) ([]Community, error) {
	q := `SELECT id, street_id, code, name, address FROM communities`
	var args []any
	if streetID != 0 {
		q += ` WHERE street_id = ?`
		args = append(args, streetID)
	}
	rows, err := s.db.Query(ctx, q+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("tenancy: communities: %w", err)
	}
	defer rows.Close()
	var out []Community
	for rows.Next() {
		var c Community
		if err := rows.Scan(&c.ID, &c.StreetID, &c.Code, &c.Name, &c.Address); err != nil {
			return nil, fmt.Errorf("tenancy: scan community: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Street loads one street.
func (s *Store) Street(ctx context.Context, id int64) (*Street, error) {
	var st Street
	err := s.db.QueryRow(ctx, `SELECT id, code, name, district, city FROM streets WHERE id = ?`, id).
		Scan(&st.ID, &st.Code, &st.Name, &st.District, &st.City)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFoundErr()
	}
	if err != nil {
		return nil, fmt.Errorf("tenancy: street %d: %w", id, err)
	}
	return &st, nil
}

// Grids lists the grids of a community.
func (s *Store) Grids(ctx context.Context, communityID int64) ([]Grid, error) {
	rows, err := s.db.Query(ctx, `SELECT id, community_id, number, name FROM grids WHERE community_id = ? ORDER BY number`, communityID)
	if err != nil {
		return nil, fmt.Errorf("tenancy: grids: %w", err)
	}
	defer rows.Close()
	var out []Grid
	for rows.Next() {
		var g Grid
		if err := rows.Scan(&g.ID, &g.CommunityID, &g.Number, &g.Name); err != nil {
			return nil, fmt.Errorf("tenancy: scan grid: %w", err)
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// StreetOf returns the street of a community (0 if none), for
// policy.PermitsIn. Cached: a community never changes street.
func (s *Store) StreetOf(communityID int64) int64 {
	s.mu.RLock()
	id, ok := s.streetOf[communityID]
	s.mu.RUnlock()
	if ok {
		return id
	}
	c, err := s.Community(context.Background(), communityID)
	if err != nil {
		return 0
	}
	s.mu.Lock()
	s.streetOf[communityID] = c.StreetID
	s.mu.Unlock()
	return c.StreetID
}
