package tenancy_test

import (
	"context"
	"testing"
	"time"

	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/tenancy"
	"github.com/linli/linli/internal/testkit/dbtest"
	"github.com/linli/linli/internal/testkit/fixture"
)

var now = time.Date(2025, 3, 3, 1, 0, 0, 0, time.UTC)

// mustID returns a function that checks a (id, err) pair and returns id.
func mustID(t *testing.T) func(int64, error) int64 {
	return func(id int64, err error) int64 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		if id == 0 {
			t.Fatal("id 0")
		}
		return id
	}
}

func TestCreateIsIdempotent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := tenancy.NewStore(d)
		must := mustID(t)

		st := must(s.CreateStreet(ctx, d, tenancy.Street{Code: "S1", Name: "东风街道", District: "桥西区", City: "石家庄市"}, now))
		again := must(s.CreateStreet(ctx, d, tenancy.Street{Code: "S1", Name: "another name"}, now))
		if again != st {
			t.Fatalf("street by the same code: %d, want %d", again, st)
		}
		got, err := s.Street(ctx, st)
		if err != nil || got.Name != "东风街道" || got.District != "桥西区" || got.City != "石家庄市" {
			t.Fatalf("Street = %+v, %v (the second create must not overwrite)", got, err)
		}

		c := must(s.CreateCommunity(ctx, d, tenancy.Community{StreetID: st, Code: "C1", Name: "建胜路社区", Address: "建胜路1号"}, now))
		if id := must(s.CreateCommunity(ctx, d, tenancy.Community{StreetID: st, Code: "C1", Name: "x"}, now)); id != c {
			t.Fatalf("community by the same code: %d, want %d", id, c)
		}
		c2 := must(s.CreateCommunity(ctx, d, tenancy.Community{StreetID: st, Code: "C2", Name: "友谊社区"}, now))
		if c2 == c {
			t.Fatal("a new code must make a new community")
		}

		g := must(s.CreateGrid(ctx, d, tenancy.Grid{CommunityID: c, Number: 1, Name: "一网格"}, now))
		if id := must(s.CreateGrid(ctx, d, tenancy.Grid{CommunityID: c, Number: 1, Name: "other"}, now)); id != g {
			t.Fatalf("grid by the same number: %d, want %d", id, g)
		}
		// The same number in another community is another grid.
		if id := must(s.CreateGrid(ctx, d, tenancy.Grid{CommunityID: c2, Number: 1, Name: "一网格"}, now)); id == g {
			t.Fatal("grid 1 of another community reused the first community's grid")
		}

		for _, table := range []string{"party_branches", "teams", "organisations"} {
			u := must(s.CreateUnit(ctx, d, table, tenancy.Unit{CommunityID: c, Name: "晨之美", Kind: "property"}, now))
			if id := must(s.CreateUnit(ctx, d, table, tenancy.Unit{CommunityID: c, Name: "晨之美", Kind: "school"}, now)); id != u {
				t.Fatalf("%s by the same name: %d, want %d", table, id, u)
			}
			if id := must(s.CreateUnit(ctx, d, table, tenancy.Unit{CommunityID: c2, Name: "晨之美", Kind: "property"}, now)); id == u {
				t.Fatalf("%s of another community reused %d", table, u)
			}
		}
		for table, want := range map[string]int{"streets": 1, "communities": 2, "grids": 2, "party_branches": 2, "teams": 2, "organisations": 2} {
			if n := fixture.Count(t, d, table); n != want {
				t.Errorf("%s has %d rows, want %d", table, n, want)
			}
		}
	})
}

func TestCreateUnitRefusesOtherTables(t *testing.T) {
	d := dbtest.SQLite(t)
	s := tenancy.NewStore(d)
	for _, table := range []string{"accounts", "teams; DROP TABLE accounts", ""} {
		if _, err := s.CreateUnit(context.Background(), d, table, tenancy.Unit{CommunityID: 1, Name: "x"}, now); err == nil {
			t.Errorf("CreateUnit(%q) succeeded", table)
		}
		if _, err := s.Units(context.Background(), table, 1); err == nil {
			t.Errorf("Units(%q) succeeded", table)
		}
	}
}

// A community must belong to a street that exists: the foreign key holds on
// both engines.
func TestCreateCommunityNeedsStreet(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := tenancy.NewStore(d)
		if _, err := s.CreateCommunity(context.Background(), d, tenancy.Community{StreetID: 999, Code: "X", Name: "x"}, now); err == nil {
			t.Fatal("community with an unknown street was created")
		}
	})
}

func TestListingsAndStreetOf(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		w := fixture.Places(t, d)
		s := w.Tenancy

		all, err := s.Communities(ctx, 0)
		if err != nil || len(all) != 3 {
			t.Fatalf("Communities(0) = %v, %v; want 3", all, err)
		}
		inStreet, err := s.Communities(ctx, w.Street)
		if err != nil || len(inStreet) != 2 || inStreet[0].ID != w.A.ID || inStreet[1].ID != w.B.ID {
			t.Fatalf("Communities(street) = %+v, %v; want A and B in order", inStreet, err)
		}
		if inStreet[0].Name != "建胜路社区" || inStreet[0].StreetID != w.Street || inStreet[0].Code != w.A.Code {
			t.Fatalf("community A read back as %+v", inStreet[0])
		}
		if none, err := s.Communities(ctx, 9999); err != nil || len(none) != 0 {
			t.Fatalf("Communities(unknown street) = %v, %v", none, err)
		}

		// Grids are listed by number, whatever the order of creation.
		if _, err := s.CreateGrid(ctx, d, tenancy.Grid{CommunityID: w.A.ID, Number: 3, Name: "三网格"}, now); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateGrid(ctx, d, tenancy.Grid{CommunityID: w.A.ID, Number: 2, Name: "二网格"}, now); err != nil {
			t.Fatal(err)
		}
		grids, err := s.Grids(ctx, w.A.ID)
		if err != nil || len(grids) != 3 {
			t.Fatalf("Grids(A) = %v, %v", grids, err)
		}
		for i, g := range grids {
			if g.Number != i+1 || g.CommunityID != w.A.ID {
				t.Fatalf("Grids(A)[%d] = %+v", i, g)
			}
		}
		if grids[0].ID != w.A.GridID {
			t.Fatalf("grid 1 is %d, want %d", grids[0].ID, w.A.GridID)
		}
		if gb, _ := s.Grids(ctx, w.B.ID); len(gb) != 1 || gb[0].ID != w.B.GridID {
			t.Fatalf("Grids(B) = %+v: another community's grids leaked in or are missing", gb)
		}

		orgs, err := s.Units(ctx, "organisations", w.A.ID)
		if err != nil || len(orgs) != 1 || orgs[0].ID != w.A.OrgID || orgs[0].Kind != "social_work" || orgs[0].Name != "德仁社工" {
			t.Fatalf("Units(organisations, A) = %+v, %v", orgs, err)
		}
		teams, err := s.Units(ctx, "teams", w.B.ID)
		if err != nil || len(teams) != 1 || teams[0].ID != w.B.TeamID || teams[0].Kind != "" {
			t.Fatalf("Units(teams, B) = %+v, %v", teams, err)
		}
		if pb, err := s.Units(ctx, "party_branches", w.A.ID); err != nil || len(pb) != 0 {
			t.Fatalf("Units(party_branches, A) = %+v, %v", pb, err)
		}

		if c, err := s.Community(ctx, w.C.ID); err != nil || c.StreetID != w.OtherStreet {
			t.Fatalf("Community(C) = %+v, %v", c, err)
		}
		if _, err := s.Community(ctx, 9999); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("Community(unknown) err = %v, want not_found", err)
		}
		if _, err := s.Street(ctx, 9999); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("Street(unknown) err = %v, want not_found", err)
		}

		for _, tc := range []struct{ community, street int64 }{
			{w.A.ID, w.Street}, {w.B.ID, w.Street}, {w.C.ID, w.OtherStreet}, {9999, 0}, {0, 0},
		} {
			// Twice: the second answer comes from the cache.
			for i := 0; i < 2; i++ {
				if got := s.StreetOf(tc.community); got != tc.street {
					t.Errorf("StreetOf(%d) = %d, want %d", tc.community, got, tc.street)
				}
			}
		}
		// An unknown community is not cached as "no street": once it
		// exists, StreetOf finds it.
		id, err := s.CreateCommunity(ctx, d, tenancy.Community{StreetID: w.OtherStreet, Code: "late", Name: "后建社区"}, now)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.StreetOf(id); got != w.OtherStreet {
			t.Fatalf("StreetOf(new community) = %d, want %d", got, w.OtherStreet)
		}
	})
}

// StreetOf is called from every request; it must be safe to share.
func TestStreetOfConcurrent(t *testing.T) {
	d := dbtest.SQLite(t)
	w := fixture.Places(t, d)
	s := tenancy.NewStore(d)
	done := make(chan int64)
	for i := 0; i < 16; i++ {
		go func(i int) {
			c := []int64{w.A.ID, w.B.ID, w.C.ID}[i%3]
			done <- s.StreetOf(c)
		}(i)
	}
	for i := 0; i < 16; i++ {
		if got := <-done; got != w.Street && got != w.OtherStreet {
			t.Errorf("StreetOf = %d", got)
		}
	}
}
