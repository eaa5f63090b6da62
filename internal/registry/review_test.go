package registry_test

import (
	"context"
	"strings"
	"testing"

	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/audit"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/registry"
	"github.com/linli/linli/internal/registry/registrytest"
	"github.com/linli/linli/internal/sheets"
	"github.com/linli/linli/internal/testkit/dbtest"
)

// Regressions from the review of the registry.
func TestMaskingLeavesNoSideChannel(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		worker := w.A.Worker.Principal()
		items, _, err := w.reg.List(ctx, worker, registry.Filter{CommunityID: w.A.ID})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range items {
			// A masked ID beside the full birth date is the ID.
			if r.BirthDate != "" {
				t.Fatalf("list shows a birth date beside a masked ID: %+v", r)
			}
			// A child's masked ID must not tell the hidden gender.
			if r.Child && strings.Trim(r.IDNumber, "*") != "" {
				t.Fatalf("child's ID shows digits: %q", r.IDNumber)
			}
		}
		// A filter on a vulnerable status is recorded like a reveal.
		if _, n, err := w.reg.List(ctx, worker, registry.Filter{CommunityID: w.A.ID, Tag: "低保"}); err != nil || n != 1 {
			t.Fatalf("tag filter: %d %v", n, err)
		}
		es, _, _ := audit.List(ctx, d, audit.Filter{Action: "resident.tag_filter"})
		if len(es) != 1 || es[0].Detail != "低保" || es[0].ObjectID != "1" {
			t.Fatalf("tag filter audit: %+v", es)
		}
		// What a masked view shows cannot be saved back as data.
		r, _ := w.reg.Get(ctx, worker, w.child)
		_, err = w.reg.Update(ctx, worker, w.child, registry.Input{HouseholdID: r.HouseholdID, Name: r.Name, Notes: registry.MaskedNote}, nil)
		if !apperr.Is(err, apperr.Invalid) {
			t.Fatalf("masked name saved back: %v", err)
		}
		// Control characters are refused with a reason, on both engines.
		_, err = w.reg.Create(ctx, worker, w.A.ID, registry.Input{HouseholdID: r.HouseholdID, Name: "王\x00明"})
		if !apperr.Is(err, apperr.Invalid) {
			t.Fatalf("NUL in a name: %v", err)
		}
	})
}

func TestImportRefusesMaskedExportAndLeavesNoEmptyFlat(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		admin := w.A.Admin.Principal()
		var masked strings.Builder
		if _, err := w.reg.Export(ctx, admin, registry.ExportOptions{Filter: registry.Filter{CommunityID: w.A.ID}, Format: sheets.CSV}, &masked); err != nil {
			t.Fatal(err)
		}
		_, problems, err := parse(t, "m.csv", []byte(masked.String()), nil)
		if err != nil || !strings.Contains(keys(problems), "import.masked_value") {
			t.Fatalf("masked export re-imported without complaint: %v %v", keys(problems), err)
		}
		before := count(t, d, "households")
		rows := [][]string{{"测试小区", "91", "9", "909", "冒名", "", registrytest.CanaryID, "", "", "", "", ""}}
		parsed, problems, _ := parse(t, "s.xlsx", sheet(t, sheets.XLSX, header, rows), nil)
		rep, err := w.reg.Import(ctx, admin, parsed, problems, registry.ImportOptions{CommunityID: w.A.ID, SkipBad: true})
		if err != nil || rep.Skipped != 1 || count(t, d, "households") != before {
			t.Fatalf("a skipped row created a flat: %+v %v (households %d → %d)", rep, err, before, count(t, d, "households"))
		}
	})
}
