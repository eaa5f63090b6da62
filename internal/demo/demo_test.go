package demo_test

import (
	"context"
	"testing"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/demo"
	"github.com/linli/linli/internal/registry"
	"github.com/linli/linli/internal/testkit/server"
)

// The demo community has its real size, and seeding twice adds nothing.
func TestDemoCommunityAtRealSize(t *testing.T) {
	s := server.Start(t, server.Options{Registry: true, Now: time.Date(2026, 11, 28, 9, 0, 0, 0, clock.Shanghai)})
	ctx := context.Background()
	cs, err := s.Tenancy.Communities(ctx, 0)
	if err != nil || len(cs) != 1 || cs[0].Name != "建胜路社区" {
		t.Fatalf("communities: %v %v", cs, err)
	}
	st, err := s.Registry.Stats(ctx, accounts.Console("test"), cs[0].ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Households != 2250 || st.Residents < 3950 || st.Residents > 4250 || st.Children < 300 || st.Tags["独居老人"] < 80 {
		t.Fatalf("demo registry: %+v", st)
	}
	// The resident login lives in a household of the registry, as 陈秀英.
	acc, err := s.Accounts.FindByUsername(ctx, "resident")
	if err != nil || len(acc.Grants) != 1 {
		t.Fatal(err)
	}
	items, _, err := s.Registry.List(ctx, accounts.Console("test"), registry.Filter{CommunityID: cs[0].ID, HouseholdID: acc.Grants[0].HouseholdID})
	if err != nil || len(items) != 2 || items[0].Name != "陈秀英" || items[0].Relation != "户主" {
		t.Fatalf("resident's household: %+v %v", items, err)
	}
	var n int
	if err := s.DB.QueryRow(ctx, `SELECT count(*) FROM seed_steps`).Scan(&n); err != nil || n != len(demo.Steps) {
		t.Fatalf("%d seed steps recorded (%v)", n, err)
	}
	// A second start seeds nothing more.
	again := &demo.Seeder{DB: s.DB, Accounts: s.Accounts, Tenancy: s.Tenancy, Notify: s.Notify, Registry: s.Registry,
		Anchor: s.Clock.Now(), Seed: 1, Password: server.Password}
	if err := again.Run(ctx); err != nil || len(again.Created) != 0 {
		t.Fatalf("second run: %v, created %v", err, again.Created)
	}
	st2, _ := s.Registry.Stats(ctx, accounts.Console("test"), cs[0].ID, nil)
	if st2.Residents != st.Residents || st2.Households != st.Households {
		t.Fatalf("second run changed the registry: %+v", st2)
	}
}
