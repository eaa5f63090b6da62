package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/demo/gen"
	"github.com/linli/linli/internal/registry"
)

// LoadRegistry writes a generated registry (internal/demo/gen) into
// community cid on tx through the registry's loader, so it is sealed and
// indexed as if typed in: the demo seed and `linli gen` share it. gridIDs
// maps grid numbers 1..n to the community's grid ids. It returns the
// residents written.
func LoadRegistry(ctx context.Context, s *registry.Service, tx *db.Tx, cid int64, reg *gen.Registry, gridIDs []int64) (int, error) {
	l := s.NewLoader(tx, cid)
	estateAddr := map[string]string{}
	for _, e := range reg.Estates {
		estateAddr[e.Name] = e.Address
	}
	buildings := map[string]int64{}
	for _, b := range reg.Buildings {
		var grid int64
		if b.Grid >= 1 && b.Grid <= len(gridIDs) {
			grid = gridIDs[b.Grid-1]
		}
		id, err := l.Building(ctx, registry.Place{Estate: b.Estate, EstateAddress: estateAddr[b.Estate], Building: b.Number,
			BuildingAddress: b.Address, GridID: grid, YearBuilt: b.Year, Floors: b.Floors})
		if err != nil {
			return 0, err
		}
		buildings[b.Key] = id
	}
	households := map[string]int64{}
	for _, h := range reg.Households {
		id, err := l.Household(ctx, buildings[h.Building], h.Unit, h.Room, h.Phone)
		if err != nil {
			return 0, err
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
			return i, fmt.Errorf("demo: resident %s: %w", r.Key, err)
		}
	}
	return len(reg.Residents), nil
}
