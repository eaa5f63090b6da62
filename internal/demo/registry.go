package demo

import (
	"context"
	"fmt"
	"time"

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
	l := s.Registry.NewLoader(tx, s.CommunityID)
	estateAddr := map[string]string{}
	for _, e := range reg.Estates {
		estateAddr[e.Name] = e.Address
	}
	buildings := map[string]int64{}
	for _, b := range reg.Buildings {
		var grid int64
		if b.Grid >= 1 && b.Grid <= len(grids) {
			grid = grids[b.Grid-1].ID
		}
		id, err := l.Building(ctx, registry.Place{Estate: b.Estate, EstateAddress: estateAddr[b.Estate], Building: b.Number,
			BuildingAddress: b.Address, GridID: grid, YearBuilt: b.Year, Floors: b.Floors})
		if err != nil {
			return err
		}
		buildings[b.Key] = id
	}
	households := map[string]int64{}
	for _, h := range reg.Households {
		id, err := l.Household(ctx, buildings[h.Building], h.Unit, h.Room, h.Phone)
		if err != nil {
			return err
		}
		households[h.Key] = id
	}
	for i, r := range reg.Residents {
		// Moved in between 1985 and last year, spread by position so the
		// history looks lived-in and stays deterministic.
		movedIn := time.Date(1985+i%39, time.Month(1+i%12), 1+i%28, 0, 0, 0, 0, time.UTC)
		if movedIn.Before(r.Birth) {
			movedIn = r.Birth
		}
		in := registry.Input{HouseholdID: households[r.Household], Name: r.Name, Gender: r.Gender,
			BirthDate: r.Birth.Format("2006-01-02"), DocType: r.DocType, IDNumber: r.IDNumber, Phone: r.Phone,
			Relation: r.Relation, Party: r.Party, Tags: r.Tags, Notes: r.Note}
		if _, _, err := l.Resident(ctx, in, movedIn); err != nil {
			return fmt.Errorf("demo: resident %s: %w", r.Key, err)
		}
	}
	var account, resident int64
	if err := tx.QueryRow(ctx, `SELECT id FROM accounts WHERE username = 'resident'`).Scan(&account); err != nil {
		return fmt.Errorf("demo: resident login: %w", err)
	}
	if err := tx.QueryRow(ctx, `SELECT id FROM residents WHERE household_id = ? AND name = ?`, households[home], ResidentName).Scan(&resident); err != nil {
		return fmt.Errorf("demo: %s: %w", ResidentName, err)
	}
	if _, err := tx.Exec(ctx, `UPDATE grants SET household_id = ? WHERE role = 'resident' AND account_id = ?`, households[home], account); err != nil {
		return fmt.Errorf("demo: resident's household: %w", err)
	}
	if err := s.Registry.LinkAccount(ctx, tx, resident, account); err != nil {
		return err
	}
	return nil
}
