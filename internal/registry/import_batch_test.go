package registry_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/registry"
	"github.com/linli/linli/internal/registry/registrytest"
	"github.com/linli/linli/internal/sheets"
	"github.com/linli/linli/internal/testkit/dbtest"
)

// batchSheets are two sheets for one estate: a first import, and a second
// that moves people, changes heads and tags, fills in an ID number and adds
// people. Rows without an ID number match by name within their flat.
func batchSheets() (first, second [][]string) {
	tagA, tagB := registry.DefaultTags[0].Name, registry.DefaultTags[8].Name
	id := func(k int, year int) string {
		return registrytest.MakeID("130104", fmt.Sprintf("%d0%d1%d", year, 1+k%9, k%10), fmt.Sprintf("%03d", 100+k))
	}
	row := func(room, name, idn, rel, tags, note string) []string {
		birth := ""
		if strings.HasPrefix(name, "孩子") {
			birth = "2019-05-01" // a child: every field sealed
		}
		return []string{"批量小区", "7", "1", room, name, "", idn, "", birth, rel, tags, note}
	}
	for k := range 9 {
		room := fmt.Sprint(101 + k)
		tags := ""
		if k%3 == 0 {
			tags = tagA
		} else if k%3 == 1 {
			tags = tagA + "," + tagB
		}
		first = append(first,
			row(room, fmt.Sprintf("户主%d", k), id(k, 1960), "户主", tags, ""),
			row(room, fmt.Sprintf("配偶%d", k), id(k+20, 1962), "配偶", "", "note"),
			row(room, fmt.Sprintf("孩子%d", k), "", "子女", "", ""))
	}
	first = append(first,
		row("101", "同名", "", "其他", tagB, "first"),
		row("101", "同名", "", "其他", "", "second: the same person"),
		row("102", "补号", "", "租户", "", ""),
		row("102", "补号", id(40, 1980), "租户", tagA, "now with an ID number"))
	second = [][]string{
		row("201", "户主0", id(0, 1960), "户主", "", "moved to a new flat"), // moves; 101 loses its head
		row("102", "配偶1", id(21, 1962), "户主", tagB, ""),                 // the spouse becomes head of 102
		row("102", "户主1", id(1, 1960), "配偶", "", ""),
		row("103", "孩子2", "", "子女", tagA, "tags now"),
		row("202", "补号", id(40, 1980), "租户", "", "moved, tags gone"),
	}
	for k := range 11 {
		second = append(second, row(fmt.Sprint(301+k%4), fmt.Sprintf("新人%d", k), id(50+k, 1990), map[bool]string{true: "户主", false: "子女"}[k < 4], "", ""))
	}
	return first, second
}

// dump describes community cid's registry without ids or blind indexes, so
// two communities written the same way compare equal.
func dump(t *testing.T, d *db.DB, cid int64) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	place := `e.name || '/' || bl.number || '/' || u.number || '/' || h.room`
	joins := ` JOIN units u ON u.id = h.unit_id JOIN buildings bl ON bl.id = u.building_id JOIN estates e ON e.id = bl.estate_id`
	places := `households h` + joins
	for _, q := range []string{
		`SELECT ` + place + ` || ' head ' || COALESCE((SELECT r.name || ':' || r.relation FROM residents r WHERE r.id = h.head_resident_id), '-')
			FROM ` + places + ` WHERE h.community_id = ? ORDER BY h.id`,
		`SELECT r.name || ' ' || r.gender || ' ' || COALESCE(r.birth_date, '-') || ' ' || r.relation || ' ' || r.doc_type || ' id:' ||
			CASE WHEN r.id_bidx IS NULL THEN 'no' ELSE 'yes' END || ' child:' || CASE WHEN r.child THEN 'y' ELSE 'n' END ||
			' tags:' || (SELECT count(*) FROM resident_tags t WHERE t.resident_id = r.id) || ' at ' || ` + place + `
			FROM residents r JOIN households h ON h.id = r.household_id` + joins + ` WHERE r.community_id = ? ORDER BY r.id`,
		`SELECT r.name || ' ' || m.kind || ' ' || COALESCE((SELECT ` + place + ` FROM ` + places + ` WHERE h.id = m.from_household_id), '-') ||
			' > ' || (SELECT ` + place + ` FROM ` + places + ` WHERE h.id = m.to_household_id)
			FROM resident_moves m JOIN residents r ON r.id = m.resident_id WHERE m.community_id = ? ORDER BY m.id`,
	} {
		rows, err := d.Query(ctx, q, cid)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			b.WriteString(s + "\n")
		}
		rows.Close()
		b.WriteString("--\n")
	}
	return b.String()
}

// The import plans in memory and writes in multi-row batches; the result
// must be what the row-by-row loader writes, across batch boundaries.
func TestImportBatchesMatchRowByRow(t *testing.T) {
	defer registry.SetImportBatch(4)()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		if err := d.InTx(ctx, func(tx *db.Tx) error {
			for _, cid := range []int64{w.B.ID, w.C.ID} {
				if err := registry.EnsureDefaultTags(ctx, tx, cid, w.Clock.Now()); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		first, second := batchSheets()
		for i, rows := range [][][]string{first, second} {
			parsed, problems, err := parse(t, "b.xlsx", sheet(t, sheets.XLSX, header, rows), nil)
			if err != nil || len(problems) != 0 {
				t.Fatalf("sheet %d: %v %v", i+1, keys(problems), err)
			}
			// The batched import into B…
			rep, err := w.reg.Import(ctx, w.B.Admin.Principal(), parsed, problems,
				registry.ImportOptions{CommunityID: w.B.ID, CreateBuildings: true})
			if err != nil || !rep.Applied || len(rep.Problems) != 0 || rep.Created+rep.Updated != len(rows) {
				t.Fatalf("sheet %d: %+v %v", i+1, rep, err)
			}
			// …and the row-by-row loader into C.
			created := 0
			if err := d.InTx(ctx, func(tx *db.Tx) error {
				l := w.reg.NewLoader(tx, w.C.ID)
				for _, r := range parsed {
					bid, err := l.Building(ctx, registry.Place{Estate: r.Estate, Building: r.Building})
					if err != nil {
						return err
					}
					in := r.Input
					if in.HouseholdID, err = l.Household(ctx, bid, r.Unit, r.Room, ""); err != nil {
						return err
					}
					_, isNew, err := l.Resident(ctx, in, time.Time{})
					if err != nil {
						return err
					}
					if isNew {
						created++
					}
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if rep.Created != created {
				t.Errorf("sheet %d: import created %d, the loader %d", i+1, rep.Created, created)
			}
			if testing.Verbose() {
				t.Logf("sheet %d:\n%s", i+1, dump(t, d, w.B.ID))
			}
			if b, c := dump(t, d, w.B.ID), dump(t, d, w.C.ID); b != c {
				t.Fatalf("sheet %d: the import wrote\n%s\nthe loader\n%s", i+1, b, c)
			}
		}
		// A third import of the second sheet changes nothing and adds no one.
		before := dump(t, d, w.B.ID)
		parsed, problems, _ := parse(t, "b.xlsx", sheet(t, sheets.XLSX, header, second), nil)
		rep, err := w.reg.Import(ctx, w.B.Admin.Principal(), parsed, problems, registry.ImportOptions{CommunityID: w.B.ID})
		if err != nil || rep.Created != 0 || rep.Updated != len(second) {
			t.Fatalf("re-import: %+v %v", rep, err)
		}
		if after := dump(t, d, w.B.ID); after != before {
			t.Fatalf("re-import changed the registry:\n%s\n%s", before, after)
		}
	})
}

// A sheet larger than one statement's share of bound values (1,428
// residents at 21 values each) goes in several statements, at the default
// batch size, and comes back whole on a second import.
func TestImportCrossesTheBindLimit(t *testing.T) {
	const n = 1500
	var rows [][]string
	for i := range n {
		birth := time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i*7)
		id := registrytest.MakeID("130104", birth.Format("20060102"), fmt.Sprintf("%03d", i%1000))
		rows = append(rows, []string{"大表小区", fmt.Sprint(1 + i/300), "1", fmt.Sprint(101 + i%150), fmt.Sprintf("居民%04d", i),
			"", id, "", "", map[bool]string{true: "户主", false: "其他"}[i%3 == 0], "", ""})
	}
	b := sheet(t, sheets.XLSX, header, rows)
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		before := count(t, d, "residents")
		for round, want := range []string{"created", "updated"} {
			parsed, problems, err := parse(t, "big.xlsx", b, nil)
			if err != nil || len(problems) != 0 {
				t.Fatalf("parse: %v %v", keys(problems), err)
			}
			rep, err := w.reg.Import(ctx, w.A.Admin.Principal(), parsed, problems,
				registry.ImportOptions{CommunityID: w.A.ID, CreateBuildings: true})
			if err != nil || !rep.Applied || len(rep.Problems) != 0 {
				t.Fatalf("round %d: %+v %v", round+1, rep, err)
			}
			if got := map[string]int{"created": rep.Created, "updated": rep.Updated}[want]; got != n {
				t.Fatalf("round %d: %s %d of %d: %+v", round+1, want, got, n, rep)
			}
			if c := count(t, d, "residents"); c != before+n {
				t.Fatalf("round %d: %d residents, want %d", round+1, c, before+n)
			}
		}
	})
}
