// Package registrytest seeds canary residents for tests of the registry
// and of every front door that shows it.
package registrytest

import (
	"context"
	"fmt"
	"time"

	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/idcard"
	"github.com/linli/linli/internal/registry"
)

// Canary values: tests seed a resident holding them and assert that no
// response to a role without the right ever contains them.
const (
	CanaryName  = "金丝雀甲"
	CanaryPhone = "13912345678"
	CanaryNote  = "CANARY-NOTE-7f3a"
	CanaryChild = "金丝雀童"
)

// CanaryHouseholdPhone is the phone of the adult canary's household; its
// last eight digits are what a response must not show.
const CanaryHouseholdPhone = "0311-87650001"

// CanaryBirth is the adult canary's date of birth (revealed, never shown).
const CanaryBirth = "1958-03-02"

// ChildID is the child canary's ID number when seeded at now.
func ChildID(now time.Time) string {
	return MakeID("130104", now.AddDate(-9, 0, 0).Format("20060102"), "882")
}

// CanaryID is a valid ID number for the canary (born 1958-03-02, male).
var CanaryID = MakeID("130104", "19580302", "771")

// MakeID builds a valid 18-character ID number from an area, a birth date
// and a sequence, for tests and generated data (never a real person's).
func MakeID(area, birth, seq string) string {
	c, err := idcard.CheckDigit(area + birth + seq)
	if err != nil {
		panic(err)
	}
	return area + birth + seq + string(c)
}

// SeedCanaries writes an estate with two buildings into community cid (the
// first in grid gridA, the second in gridB), an adult canary with every
// sensitive field filled in the first, and a child canary in the second.
// It returns the two residents' ids.
func SeedCanaries(ctx context.Context, s *registry.Service, d *db.DB, now time.Time, cid, gridA, gridB int64) (adult, child int64, err error) {
	err = d.InTx(ctx, func(tx *db.Tx) error {
		if err := registry.EnsureDefaultTags(ctx, tx, cid, now); err != nil {
			return err
		}
		l := s.NewLoader(tx, cid)
		b1, err := l.Building(ctx, registry.Place{Estate: "测试小区", Building: "91", GridID: gridA})
		if err != nil {
			return err
		}
		b2, err := l.Building(ctx, registry.Place{Estate: "测试小区", Building: "92", GridID: gridB})
		if err != nil {
			return err
		}
		h1, err := l.Household(ctx, b1, "1", "101", CanaryHouseholdPhone)
		if err != nil {
			return err
		}
		h2, err := l.Household(ctx, b2, "1", "101", "")
		if err != nil {
			return err
		}
		if adult, _, err = l.Resident(ctx, registry.Input{HouseholdID: h1, Name: CanaryName, IDNumber: CanaryID, Phone: CanaryPhone,
			Relation: "户主", Tags: []string{"低保", "独居老人"}, Notes: CanaryNote}, time.Time{}); err != nil {
			return fmt.Errorf("adult canary: %w", err)
		}
		if child, _, err = l.Resident(ctx, registry.Input{HouseholdID: h2, Name: CanaryChild, IDNumber: ChildID(now),
			Relation: "子女", Tags: []string{"未成年"}}, time.Time{}); err != nil {
			return fmt.Errorf("child canary: %w", err)
		}
		return nil
	})
	return adult, child, err
}
