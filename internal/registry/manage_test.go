package registry_test

import (
	"context"
	"testing"

	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/registry"
	"github.com/linli/linli/internal/testkit/dbtest"
)

func TestHouseholdsAndTags(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		admin, grid := w.A.Admin.Principal(), w.A.Grid.Principal()
		bs, err := w.reg.Buildings(ctx, admin, w.A.ID)
		if err != nil || len(bs) != 2 {
			t.Fatalf("buildings: %v %v", bs, err)
		}
		inGrid, outside := bs[0], bs[1]
		if inGrid.GridID != w.A.GridID {
			inGrid, outside = outside, inGrid
		}
		h, err := w.reg.CreateHousehold(ctx, grid, w.A.ID, inGrid.ID, "2单元", "301室", "0311 8765 4321")
		if err != nil || h.Unit != "2" || h.Room != "301" || h.Phone == "" || h.Phone == "0311-87654321" {
			t.Fatalf("create household: %+v %v", h, err)
		}
		if _, err := w.reg.CreateHousehold(ctx, grid, w.A.ID, inGrid.ID, "2", "301", ""); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("duplicate household: %v", err)
		}
		if _, err := w.reg.CreateHousehold(ctx, grid, w.A.ID, outside.ID, "1", "501", ""); !apperr.Is(err, apperr.Invalid) {
			t.Fatalf("household outside the grid: %v", err)
		}
		if _, err := w.reg.CreateHousehold(ctx, w.B.Admin.Principal(), w.A.ID, inGrid.ID, "1", "502", ""); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("another community's admin: %v", err)
		}
		// Tags: admins only; a tag in use cannot go.
		if _, err := w.reg.AddTag(ctx, w.A.Worker.Principal(), w.A.ID, "困境儿童", true); !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("worker adds a tag: %v", err)
		}
		tag, err := w.reg.AddTag(ctx, admin, w.A.ID, "困境儿童", true)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.reg.AddTag(ctx, admin, w.A.ID, "困境儿童", true); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("duplicate tag: %v", err)
		}
		list, _ := w.reg.TagList(ctx, admin, w.A.ID)
		var dibao registry.Tag
		for _, x := range list {
			if x.Name == "低保" {
				dibao = x
			}
		}
		if dibao.Residents != 1 || !dibao.Sensitive {
			t.Fatalf("低保 tag: %+v", dibao)
		}
		if err := w.reg.RemoveTag(ctx, admin, dibao.ID); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("removing a used tag: %v", err)
		}
		if err := w.reg.RemoveTag(ctx, w.B.Admin.Principal(), tag.ID); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("another community's admin removes a tag: %v", err)
		}
		if err := w.reg.RemoveTag(ctx, admin, tag.ID); err != nil {
			t.Fatal(err)
		}
	})
}
