package requests_test

import (
	"context"
	"testing"

	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/requests"
	"github.com/linli/linli/internal/testkit/dbtest"
	"github.com/linli/linli/internal/testkit/fixture"
)

// TestManagingCategories: the office grows the tree one level deep; the
// kinds never shown stay private, children follow their parent, codes
// are unique, retired categories are refused at intake.
func TestManagingCategories(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		worker := w.A.Worker.Principal()
		doors, err := w.s.AddCategory(ctx, worker, w.A.ID, requests.CategoryInput{ParentID: w.cats["repairs"], Code: "doors",
			NameZH: "门窗", NameEN: "Doors and windows", Public: true})
		if err != nil || doors.ParentID != w.cats["repairs"] || !doors.Public {
			t.Fatalf("add doors: %+v %v", doors, err)
		}
		rows := fixture.Count(t, d, "request_categories")
		for _, c := range []struct {
			in    requests.CategoryInput
			field string
			key   string
		}{
			{requests.CategoryInput{Code: "mediation", NameZH: "调解", NameEN: "Mediation", Public: true}, "public", "request.category.never_public"},
			{requests.CategoryInput{ParentID: w.cats["dispute"], Code: "noise", NameZH: "噪音", NameEN: "Noise", Public: true}, "public", "request.category.never_public"},
			{requests.CategoryInput{ParentID: w.cats["other"], Code: "lost", NameZH: "失物", NameEN: "Lost", Public: true}, "public", "request.category.parent_private"},
			{requests.CategoryInput{ParentID: doors.ID, Code: "locks", NameZH: "门锁", NameEN: "Locks"}, "parent_id", "request.category.parent"},
			{requests.CategoryInput{Code: "Bad Code", NameZH: "坏", NameEN: "Bad"}, "code", "request.category.code"},
			{requests.CategoryInput{Code: "nameless", NameEN: "Nameless"}, "name_zh", "request.category.name"},
			{requests.CategoryInput{Code: "html", NameZH: "<b>粗</b>", NameEN: "Bold"}, "name_zh", "request.text.html"},
		} {
			_, err := w.s.AddCategory(ctx, worker, w.A.ID, c.in)
			if e := apperr.From(err); !apperr.Is(err, apperr.Invalid) || e.Fields[c.field].Key != c.key {
				t.Errorf("add %+v: %v, want %s on %s", c.in, err, c.key, c.field)
			}
		}
		_, err = w.s.AddCategory(ctx, worker, w.A.ID, requests.CategoryInput{Code: "doors", NameZH: "门", NameEN: "Doors"})
		wantErr(t, err, apperr.Conflict, "request.category.taken")
		_, err = w.s.AddCategory(ctx, w.A.Grid.Principal(), w.A.ID, requests.CategoryInput{Code: "x1", NameZH: "x", NameEN: "x"})
		wantErr(t, err, apperr.Forbidden, "")
		_, err = w.s.AddCategory(ctx, w.B.Admin.Principal(), w.A.ID, requests.CategoryInput{Code: "x2", NameZH: "x", NameEN: "x"})
		wantErr(t, err, apperr.NotFound, "")
		if n := fixture.Count(t, d, "request_categories"); n != rows {
			t.Fatalf("refused additions wrote %d rows", n-rows)
		}
		// Unpublishing the parent unpublishes the child; the elderly
		// category cannot be published.
		f := false
		if _, err := w.s.UpdateCategory(ctx, worker, w.A.ID, w.cats["repairs"], requests.CategoryChange{Public: &f}); err != nil {
			t.Fatal(err)
		}
		cats, _ := w.s.Categories(ctx, worker, w.A.ID)
		for _, c := range cats {
			if c.ID == doors.ID && c.Public {
				t.Fatal("a child stayed public under a private parent")
			}
		}
		tr := true
		_, err = w.s.UpdateCategory(ctx, worker, w.A.ID, w.cats["elderly"], requests.CategoryChange{Public: &tr})
		wantErr(t, err, apperr.Invalid, "request.category.never_public")
		_, err = w.s.UpdateCategory(ctx, worker, w.A.ID, 999999, requests.CategoryChange{Public: &tr})
		wantErr(t, err, apperr.NotFound, "")
		// Retiring the parent retires the child; intake refuses both.
		name := "维修服务"
		c, err := w.s.UpdateCategory(ctx, worker, w.A.ID, w.cats["repairs"], requests.CategoryChange{NameZH: &name, Retired: &tr})
		if err != nil || !c.Retired || c.NameZH != "维修服务" {
			t.Fatalf("retire: %+v %v", c, err)
		}
		for _, id := range []int64{w.cats["repairs"], doors.ID} {
			_, err := w.s.Submit(ctx, worker, w.A.ID, requests.Input{Channel: requests.ChannelPhone, Kind: requests.KindHelp, CategoryID: id,
				Address: "社区", Description: "修门", ContactName: "甲", ContactPhone: "13900007777"})
			if e := apperr.From(err); e.Fields["category_id"].Key != "request.category.unknown" {
				t.Errorf("intake in retired category %d: %v", id, err)
			}
		}
	})
}
