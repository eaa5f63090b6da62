package registry_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/audit"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/idcard"
	"github.com/linli/linli/internal/registry"
	"github.com/linli/linli/internal/registry/registrytest"
	"github.com/linli/linli/internal/secret"
	"github.com/linli/linli/internal/testkit/dbtest"
	"github.com/linli/linli/internal/testkit/fixture"
)

type world struct {
	*fixture.World
	reg          *registry.Service
	adult, child int64
}

func setup(t *testing.T, d *db.DB) *world {
	t.Helper()
	f := fixture.New(t, d)
	keys, err := secret.New([]byte(strings.Repeat("r", 40)))
	if err != nil {
		t.Fatal(err)
	}
	w := &world{World: f, reg: registry.New(d, keys, f.Clock)}
	// The adult canary lives in the grid of A's grid worker; the child in
	// a building of no grid of theirs.
	w.adult, w.child, err = registrytest.SeedCanaries(context.Background(), w.reg, d, f.Clock.Now(), f.A.ID, f.A.GridID, 0)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// rawContains reports whether any text column of the registry tables holds s.
func rawContains(t *testing.T, d *db.DB, s string) bool {
	t.Helper()
	for _, q := range []string{
		`SELECT name || name_bidx || gender || COALESCE(birth_date,'') || child_enc || id_enc || COALESCE(id_bidx,'') || phone_enc || phone_bidx || tags_enc || notes_enc FROM residents`,
		`SELECT phone_enc || phone_bidx FROM households`, `SELECT token FROM resident_tags`,
		`SELECT actor_name || object_id || fields || detail FROM audit_log`,
	} {
		rows, err := d.Query(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var v string
			rows.Scan(&v)
			if strings.Contains(v, s) {
				rows.Close()
				return true
			}
		}
		rows.Close()
	}
	return false
}

func TestPersonalDataIsSealedAtRest(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		for _, s := range []string{registrytest.CanaryID, registrytest.CanaryPhone, registrytest.CanaryNote, "低保", "独居老人",
			registrytest.CanaryChild, "87650001"} {
			if rawContains(t, d, s) {
				t.Errorf("%q is stored in the clear", s)
			}
		}
		// An adult's name is clear (lists need it); a child's is not.
		if !rawContains(t, d, registrytest.CanaryName) {
			t.Error("the adult canary's name is not in the residents table at all")
		}
		_ = w
	})
}

func TestMaskedByDefaultAndRevealAudited(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		worker := w.A.Worker.Principal()
		items, total, err := w.reg.List(ctx, worker, registry.Filter{CommunityID: w.A.ID})
		if err != nil || total != 2 {
			t.Fatalf("list: %d %v", total, err)
		}
		for _, r := range items {
			if r.Name == registrytest.CanaryChild || strings.Contains(r.IDNumber, registrytest.CanaryID) || r.Phone == registrytest.CanaryPhone {
				t.Fatalf("list shows unmasked data: %+v", r)
			}
		}
		before := count(t, d, "audit_log")
		r, err := w.reg.Get(ctx, worker, w.adult)
		if err != nil {
			t.Fatal(err)
		}
		if r.IDNumber != "1301**********"+registrytest.CanaryID[14:] || r.Phone != "139****5678" || r.Notes != registry.MaskedNote {
			t.Fatalf("get not masked: %+v", r)
		}
		if strings.Join(r.Tags, ",") != registry.MaskedTag+","+registry.MaskedTag || r.Age == nil || *r.Age != idcard.Age(time.Date(1958, 3, 2, 0, 0, 0, 0, time.UTC), w.Clock.Now()) {
			t.Fatalf("tags/age: %v %v", r.Tags, r.Age)
		}
		if count(t, d, "audit_log") != before+1 {
			t.Fatal("opening a record wrote no audit entry")
		}
		// Reveal needs a reason.
		if _, err := w.reg.Reveal(ctx, worker, w.adult, "id_number", ""); !apperr.Is(err, apperr.Invalid) {
			t.Fatalf("reveal without reason: %v", err)
		}
		v, err := w.reg.Reveal(ctx, worker, w.adult, "id_number", "核对低保申请")
		if err != nil || v != registrytest.CanaryID {
			t.Fatalf("reveal: %q %v", v, err)
		}
		es, _, _ := audit.List(ctx, d, audit.Filter{Action: "resident.reveal"})
		if len(es) != 1 || es[0].Detail != "核对低保申请" || es[0].Fields[0] != "id_number" || es[0].ActorID != w.A.Worker.Account.ID {
			t.Fatalf("reveal audit: %+v", es)
		}
		// A child: personal fields hidden even from staff until revealed,
		// and every read audited as a child's.
		c, err := w.reg.Get(ctx, worker, w.child)
		if err != nil || !c.Child || c.Name == registrytest.CanaryChild || c.BirthDate != "" || c.Age != nil {
			t.Fatalf("child view: %+v %v", c, err)
		}
		if es, _, _ := audit.List(ctx, d, audit.Filter{Action: "child.view"}); len(es) != 1 {
			t.Fatalf("child view audit: %d", len(es))
		}
		if v, err := w.reg.Reveal(ctx, worker, w.child, "name", "联系监护人"); err != nil || v != registrytest.CanaryChild {
			t.Fatalf("child reveal: %q %v", v, err)
		}
		// Search by the child's whole name still works, through its index.
		if _, n, _ := w.reg.List(ctx, worker, registry.Filter{CommunityID: w.A.ID, Query: registrytest.CanaryChild}); n != 1 {
			t.Fatalf("child name search found %d", n)
		}
		if _, n, _ := w.reg.List(ctx, worker, registry.Filter{CommunityID: w.A.ID, Query: registrytest.CanaryID}); n != 1 {
			t.Fatalf("ID search found %d", n)
		}
		if _, n, _ := w.reg.List(ctx, worker, registry.Filter{CommunityID: w.A.ID, Tag: "低保"}); n != 1 {
			t.Fatalf("tag filter found %d", n)
		}
	})
}

func TestScopeByRole(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		grid := w.A.Grid.Principal()
		if _, n, err := w.reg.List(ctx, grid, registry.Filter{CommunityID: w.A.ID}); err != nil || n != 1 {
			t.Fatalf("grid worker sees %d (%v), want only their grid's 1", n, err)
		}
		if _, err := w.reg.Get(ctx, grid, w.child); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("grid worker opened a resident outside their grid: %v", err)
		}
		for _, p := range []*accounts.Principal{w.A.Leader.Principal(), w.A.Volunteer.Principal(), w.A.Resident.Principal(),
			w.A.Partner.Principal(), w.B.Admin.Principal(), w.B.Worker.Principal(), w.Supervisor.Principal()} {
			if _, _, err := w.reg.List(ctx, p, registry.Filter{CommunityID: w.A.ID}); !apperr.Is(err, apperr.NotFound) {
				t.Errorf("%s listed community A's residents: %v", p.Username, err)
			}
			if _, err := w.reg.Get(ctx, p, w.adult); !apperr.Is(err, apperr.NotFound) {
				t.Errorf("%s opened a resident: %v", p.Username, err)
			}
			if _, err := w.reg.Reveal(ctx, p, w.adult, "phone", "好奇"); !apperr.Is(err, apperr.NotFound) {
				t.Errorf("%s revealed a phone: %v", p.Username, err)
			}
		}
		// The street supervisor of A's street sees counts, no rows.
		st, err := w.reg.Stats(ctx, w.Supervisor.Principal(), w.A.ID, w.Tenancy.StreetOf)
		if err != nil || st.Residents != 2 || st.Children != 1 || st.Tags["低保"] != 1 {
			t.Fatalf("street stats: %+v %v", st, err)
		}
	})
}

func TestCreateUpdateMoveOut(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		admin := w.A.Admin.Principal()
		hs, _, err := w.reg.Households(ctx, admin, registry.HouseholdFilter{CommunityID: w.A.ID})
		if err != nil || len(hs) != 2 {
			t.Fatalf("households: %v %v", hs, err)
		}
		hid := hs[0].ID
		rows := count(t, d, "residents")
		// Bad input: every problem reported, nothing written.
		_, err = w.reg.Create(ctx, admin, w.A.ID, registry.Input{HouseholdID: hid, Name: "", IDNumber: "130104195803027710",
			Phone: "12345", Relation: "邻居", BirthDate: "1990-02-30"})
		e := apperr.From(err)
		if e.Code != apperr.Invalid || len(e.Fields) < 4 {
			t.Fatalf("bad input: %v", err)
		}
		if count(t, d, "residents") != rows {
			t.Fatal("a refused create wrote a row")
		}
		// Duplicate ID number.
		if _, err := w.reg.Create(ctx, admin, w.A.ID, registry.Input{HouseholdID: hid, Name: "冒名", IDNumber: registrytest.CanaryID}); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("duplicate id: %v", err)
		}
		id := registrytest.MakeID("130104", "19800101", "123")
		r, err := w.reg.Create(ctx, admin, w.A.ID, registry.Input{HouseholdID: hid, Name: "王建新", IDNumber: id, Phone: "138 0013 8000", Relation: "配偶"})
		if err != nil || r.Gender != "M" || r.BirthDate != "" || r.Age == nil || r.Phone != "138****8000" {
			t.Fatalf("create: %+v %v", r, err)
		}
		// Correct the phone, keeping the sealed ID number the form showed masked.
		r, err = w.reg.Update(ctx, admin, r.ID, registry.Input{HouseholdID: hid, Name: "王建新", Phone: "13900139000", Relation: "配偶"}, []string{"id_number"})
		if err != nil || r.Phone != "139****9000" || !strings.HasSuffix(r.IDNumber, id[14:]) {
			t.Fatalf("update: %+v %v", r, err)
		}
		if err := w.reg.MoveOut(ctx, admin, r.ID, "搬至女儿家"); err != nil {
			t.Fatal(err)
		}
		if err := w.reg.MoveOut(ctx, admin, r.ID, "again"); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("second move out: %v", err)
		}
		if _, n, _ := w.reg.List(ctx, admin, registry.Filter{CommunityID: w.A.ID}); n != 2 {
			t.Fatalf("moved-out resident still listed: %d", n)
		}
		if _, n, _ := w.reg.List(ctx, admin, registry.Filter{CommunityID: w.A.ID, IncludeMovedOut: true}); n != 3 {
			t.Fatalf("moved-out resident lost from the records: %d", n)
		}
		if n := count(t, d, "resident_moves"); n != 4 {
			t.Fatalf("%d moves recorded, want 4 (3 in, 1 out)", n)
		}
		// The grid worker cannot create in a household outside their grid.
		if _, err := w.reg.Create(ctx, w.A.Grid.Principal(), w.A.ID, registry.Input{HouseholdID: hs[1].ID, Name: "越界"}); err == nil {
			t.Fatal("grid worker created a resident outside their grid")
		}
	})
}

func count(t *testing.T, d *db.DB, table string) int {
	t.Helper()
	var n int
	if err := d.QueryRow(context.Background(), `SELECT count(*) FROM `+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A child who turns 14 gets an adult's record; until then nothing changes.
func TestChildrenAgeOut(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		if n, err := w.reg.AgeOutChildren(ctx); err != nil || n != 0 {
			t.Fatalf("age out now: %d %v", n, err)
		}
		w.Clock.Advance(5 * 366 * 24 * time.Hour) // the canary child was 9
		if n, err := w.reg.AgeOutChildren(ctx); err != nil || n != 1 {
			t.Fatalf("age out five years on: %d %v", n, err)
		}
		r, err := w.reg.Get(ctx, w.A.Worker.Principal(), w.child)
		if err != nil || r.Child || r.Name != registrytest.CanaryChild || r.Age == nil || *r.Age != 14 {
			t.Fatalf("grown-up record: %+v %v", r, err)
		}
	})
}

// A baby born today in Shanghai is registered at any hour: between 16:00
// and 24:00 UTC that date is "tomorrow" in UTC, and was refused as future.
func TestBornTodayInShanghai(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		w.Clock.Set(time.Date(2026, 12, 1, 18, 30, 0, 0, time.UTC)) // 02:30 on 2 December in Shanghai
		hs, _, err := w.reg.Households(ctx, w.A.Admin.Principal(), registry.HouseholdFilter{CommunityID: w.A.ID})
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range []registry.Input{
			{HouseholdID: hs[0].ID, Name: "王小宝", BirthDate: "2026-12-02", Relation: "子女"},
			{HouseholdID: hs[0].ID, Name: "王二宝", IDNumber: registrytest.MakeID("130104", "20261202", "335"), Relation: "子女"},
		} {
			if _, err := w.reg.Create(ctx, w.A.Admin.Principal(), w.A.ID, in); err != nil {
				t.Errorf("born today in Shanghai (%s): %v", in.Name, err)
			}
		}
		_, err = w.reg.Create(ctx, w.A.Admin.Principal(), w.A.ID, registry.Input{HouseholdID: hs[0].ID, Name: "王三宝", BirthDate: "2026-12-03", Relation: "子女"})
		if !apperr.Is(err, apperr.Invalid) {
			t.Errorf("born tomorrow: %v", err)
		}
	})
}
