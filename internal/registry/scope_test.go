package registry_test

import (
	"context"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/audit"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/policy"
	"github.com/linli/linli/internal/registry"
	"github.com/linli/linli/internal/registry/registrytest"
	"github.com/linli/linli/internal/testkit/dbtest"
)

// The policy table and the field table must agree: a role the policy
// lets browse, edit, reveal or export the registry is one the field table
// lets see, edit, reveal or export some field, and the other way round.
func TestPolicyAgreesWithFieldTable(t *testing.T) {
	union := func(col func(registry.Field) []accounts.Role) []accounts.Role {
		var out []accounts.Role
		for _, f := range registry.Fields {
			for _, r := range col(f) {
				if !slices.Contains(out, r) {
					out = append(out, r)
				}
			}
		}
		slices.Sort(out)
		return out
	}
	for action, col := range map[policy.Action]func(registry.Field) []accounts.Role{
		policy.RegistryRead:   func(f registry.Field) []accounts.Role { return f.See },
		policy.RegistryEdit:   func(f registry.Field) []accounts.Role { return f.Edit },
		policy.RegistryReveal: func(f registry.Field) []accounts.Role { return f.Reveal },
		policy.RegistryExport: func(f registry.Field) []accounts.Role { return f.Export },
		policy.ErasureManage:  func(f registry.Field) []accounts.Role { return f.Export },
	} {
		rule, _ := policy.Lookup(action)
		want := slices.Sorted(slices.Values(rule.Roles))
		if got := union(col); !slices.Equal(got, want) {
			t.Errorf("%s: policy roles %v, field table %v", action, want, got)
		}
	}
	for _, f := range registry.Fields {
		for _, r := range f.Reveal {
			if !slices.Contains(f.See, r) {
				t.Errorf("%s: %s may reveal what it may not see", f.Name, r)
			}
		}
	}
}

// A grid worker's counts are of their own grids, like their rows.
func TestGridWorkerCountsOwnGrid(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		admin, grid := w.A.Admin.Principal(), w.A.Grid.Principal()
		all, err := w.reg.Stats(ctx, admin, w.A.ID, w.Tenancy.StreetOf)
		if err != nil || all.Households != 2 || all.Residents != 2 || all.Children != 1 || all.Tags["未成年"] != 1 || all.Tags["低保"] != 1 {
			t.Fatalf("admin stats: %+v %v", all, err)
		}
		own, err := w.reg.Stats(ctx, grid, w.A.ID, w.Tenancy.StreetOf)
		if err != nil || own.Households != 1 || own.Residents != 1 || own.Children != 0 || own.Tags["未成年"] != 0 || own.Tags["低保"] != 1 {
			t.Fatalf("grid worker stats: %+v %v (the child lives outside their grid)", own, err)
		}
		if _, n, _ := w.reg.List(ctx, grid, registry.Filter{CommunityID: w.A.ID}); n != own.Residents {
			t.Fatalf("grid worker lists %d, counts %d", n, own.Residents)
		}
		for _, c := range []struct {
			p    *accounts.Principal
			want int
		}{{admin, 1}, {grid, 0}} {
			tags, err := w.reg.TagList(ctx, c.p, w.A.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, tg := range tags {
				if tg.Name == "未成年" && tg.Residents != c.want {
					t.Errorf("%s: 未成年 carried by %d, want %d", c.p.Username, tg.Residents, c.want)
				}
			}
		}
		// Leaders and the like count nothing; the street sees the whole.
		if _, err := w.reg.Stats(ctx, w.A.Leader.Principal(), w.A.ID, w.Tenancy.StreetOf); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("leader stats: %v", err)
		}
		if st, err := w.reg.Stats(ctx, w.Supervisor.Principal(), w.A.ID, w.Tenancy.StreetOf); err != nil || st.Residents != 2 {
			t.Errorf("street stats: %+v %v", st, err)
		}
	})
}

// An ID number held by someone the actor cannot see is refused like any
// other held number — the answer names no one — and the attempt is in the
// audit log with the holder, for the office.
func TestIDConflictNamesNoOneAndIsAudited(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		grid := w.A.Grid.Principal()
		mine, _, err := w.reg.List(ctx, grid, registry.Filter{CommunityID: w.A.ID})
		if err != nil || len(mine) != 1 {
			t.Fatal(mine, err)
		}
		childID := registrytest.ChildID(w.Clock.Now())
		_, errCreate := w.reg.Create(ctx, grid, w.A.ID, registry.Input{HouseholdID: mine[0].HouseholdID, Name: "冒名", IDNumber: childID})
		_, errUpdate := w.reg.Update(ctx, grid, w.adult, registry.Input{HouseholdID: mine[0].HouseholdID, Name: registrytest.CanaryName,
			Relation: "户主", IDNumber: childID}, []string{"phone", "notes", "tags"})
		for _, err := range []error{errCreate, errUpdate} {
			e := apperr.From(err)
			if e.Code != apperr.Conflict || strings.Contains(err.Error(), registrytest.CanaryChild) || len(e.Args) != 0 {
				t.Fatalf("conflict: %v %+v", err, e)
			}
		}
		es, _, err := audit.List(ctx, d, audit.Filter{Action: "resident.id_conflict", Limit: 10})
		if err != nil || len(es) != 2 {
			t.Fatalf("%d conflicts audited (%v), want 2", len(es), err)
		}
		for _, e := range es {
			if e.ObjectID != strconv.FormatInt(w.child, 10) || e.ActorID != grid.AccountID || e.Detail != "outside the actor's reach" {
				t.Errorf("conflict entry %+v", e)
			}
		}
		// Office staff see the holder: the entry says so.
		if _, err := w.reg.Create(ctx, w.A.Admin.Principal(), w.A.ID, registry.Input{HouseholdID: mine[0].HouseholdID, Name: "冒名",
			IDNumber: childID}); !apperr.Is(err, apperr.Conflict) {
			t.Fatal(err)
		}
		es, _, _ = audit.List(ctx, d, audit.Filter{Action: "resident.id_conflict", Limit: 10})
		if len(es) != 3 || es[0].Detail != "" && es[2].Detail != "" {
			t.Errorf("office conflict entry: %+v", es)
		}
	})
}

// useLocaleCollation gives the registry's text columns a locale's
// collation on PostgreSQL, as a server created with one would: ICU's
// root if the server has it. The queries must order and match by bytes
// all the same.
func useLocaleCollation(t *testing.T, d *db.DB) {
	t.Helper()
	if d.Dialect() != db.Postgres {
		return
	}
	ctx := context.Background()
	var coll string
	err := d.QueryRow(ctx, `SELECT collname FROM pg_collation WHERE collname IN ('und-x-icu', 'en_US.utf8', 'en_US.UTF-8', 'en_US')
		ORDER BY collname = 'und-x-icu' DESC LIMIT 1`).Scan(&coll)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no locale collation on the test server: %v", err)
		}
		t.Skipf("no locale collation on the test server (%v)", err)
	}
	for _, col := range []string{"residents.name", "estates.name", "buildings.number", "units.number", "households.room"} {
		table, column, _ := strings.Cut(col, ".")
		if _, err := d.Exec(ctx, `ALTER TABLE `+table+` ALTER COLUMN `+column+` TYPE text COLLATE "`+coll+`"`); err != nil {
			t.Fatalf("collate %s: %v", col, err)
		}
	}
}

// Name prefix search and the order of lists are those of bytes on both
// engines, whatever collation PostgreSQL would use by default.
func TestNameSearchAndOrderByBytesOnBothEngines(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		useLocaleCollation(t, d)
		ctx := context.Background()
		admin := w.A.Admin.Principal()
		err := d.InTx(ctx, func(tx *db.Tx) error {
			l := w.reg.NewLoader(tx, w.A.ID)
			for _, e := range []string{"alpha小区", "Beta小区"} {
				b, err := l.Building(ctx, registry.Place{Estate: e, Building: "1", GridID: w.A.GridID})
				if err != nil {
					return err
				}
				for i, n := range []string{"alice", "Bob", "bob", "张三", "张三丰", "张四"} {
					h, err := l.Household(ctx, b, "1", strconv.Itoa(101+i), "")
					if err != nil {
						return err
					}
					if _, _, err := l.Resident(ctx, registry.Input{HouseholdID: h, Name: n}, w.Clock.Now()); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		names := func(q string) []string {
			rs, _, err := w.reg.List(ctx, admin, registry.Filter{CommunityID: w.A.ID, Query: q, Limit: 500})
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, r := range rs {
				out = append(out, r.Address+" "+r.Name)
			}
			return out
		}
		for q, want := range map[string][]string{
			"B":  {"Beta小区1号楼1单元102 Bob", "alpha小区1号楼1单元102 Bob"},
			"张三": {"Beta小区1号楼1单元104 张三", "Beta小区1号楼1单元105 张三丰", "alpha小区1号楼1单元104 张三", "alpha小区1号楼1单元105 张三丰"},
		} {
			if got := names(q); !slices.Equal(got, want) {
				t.Errorf("search %q: %q, want %q", q, got, want)
			}
		}
		all := names("")
		if !slices.IsSorted(all) || len(all) != 14 {
			t.Errorf("list not in byte order: %q", all)
		}
		bs, err := w.reg.Buildings(ctx, admin, w.A.ID)
		if err != nil {
			t.Fatal(err)
		}
		var estates []string
		for _, b := range bs {
			estates = append(estates, b.Estate)
		}
		if !slices.IsSorted(estates) {
			t.Errorf("buildings not in byte order: %q", estates)
		}
		hs, _, err := w.reg.Households(ctx, admin, registry.HouseholdFilter{CommunityID: w.A.ID, Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		var addrs []string
		for _, h := range hs {
			addrs = append(addrs, h.Address)
		}
		if !slices.IsSorted(addrs) {
			t.Errorf("households not in byte order: %q", addrs)
		}
	})
}
