package demo

import (
	"context"
	"fmt"

	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/demo/gen"
	"github.com/linli/linli/internal/registry"
)

// ResidentName is the demo resident login's person, as the registry
// records her.
const ResidentName = "陈秀英"

// registryStep fills 建胜路社区 with its 2,250 households and about 4,100
// residents (internal/demo/gen), through the registry's own loader so
// everything is sealed and indexed as if typed in, and points the demo
// resident login at her household.
func registryStep(ctx context.Context, s *Seeder, tx *db.Tx) error {
	if s.Registry == nil {
		return fmt.Errorf("demo: the registry step needs the registry service")
	}
	if err := s.ids(ctx, tx); err != nil {
		return err
	}
	if err := registry.EnsureDefaultTags(ctx, tx, s.CommunityID, s.Anchor); err != nil {
		return err
	}
	grids, err := s.Tenancy.Grids(ctx, s.CommunityID)
	if err != nil {
		return err
	}
	reg := gen.Community(s.Seed, s.Anchor)
	// The demo resident login is a person of the registry: the generator
	// always puts 陈秀英 in 平安小区1号楼1单元101.
	home := ""
	for _, r := range reg.Residents {
		if r.Name == ResidentName {
			home = r.Household
			break
		}
	}
	if home == "" {
		return fmt.Errorf("demo: the generated registry has no %s", ResidentName)
	}
	gridIDs := make([]int64, len(grids))
	for i, g := range grids {
		gridIDs[i] = g.ID
	}
	if _, err := LoadRegistry(ctx, s.Registry, tx, s.CommunityID, reg, gridIDs); err != nil {
		return err
	}
	var hid int64
	if err := tx.QueryRow(ctx, `SELECT h.id FROM households h JOIN units u ON u.id = h.unit_id JOIN buildings b ON b.id = u.building_id
		JOIN estates e ON e.id = b.estate_id WHERE e.community_id = ? AND e.name || '/' || b.number || '/' || u.number || '/' || h.room = ?`,
		s.CommunityID, home).Scan(&hid); err != nil {
		return fmt.Errorf("demo: %s's household: %w", ResidentName, err)
	}
	var account, resident int64
	if err := tx.QueryRow(ctx, `SELECT id FROM accounts WHERE username = 'resident'`).Scan(&account); err != nil {
		return fmt.Errorf("demo: resident login: %w", err)
	}
	if err := tx.QueryRow(ctx, `SELECT id FROM residents WHERE household_id = ? AND name = ?`, hid, ResidentName).Scan(&resident); err != nil {
		return fmt.Errorf("demo: %s: %w", ResidentName, err)
	}
	if _, err := tx.Exec(ctx, `UPDATE grants SET household_id = ? WHERE role = 'resident' AND account_id = ?`, hid, account); err != nil {
		return fmt.Errorf("demo: resident's household: %w", err)
	}
	if err := s.Registry.LinkAccount(ctx, tx, resident, account); err != nil {
		return err
	}
	return nil
}
