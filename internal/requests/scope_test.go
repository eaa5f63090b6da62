package requests_test

import (
	"context"
	"slices"
	"testing"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/requests"
	"github.com/linli/linli/internal/testkit/dbtest"
)

// TestScope: who sees which request. Four requests in A: one in grid 1
// by the worker, one in grid 2, one the resident filed herself (grid 1),
// one dispatched to the team (grid 2). Each actor lists exactly its own
// and is told "not found" for the rest.
func TestScope(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		worker, resident := w.A.Worker.Principal(), w.A.Resident.Principal()
		g1 := w.submit(t, "一号楼漏水")
		in := requests.Input{Channel: requests.ChannelPhone, Kind: requests.KindReport, CategoryID: w.cats["safety"],
			BuildingID: w.b2, Description: "二号楼楼道堆放杂物", ContactName: "孙女士", ContactPhone: "13900002222"}
		g2, err := w.s.Submit(ctx, worker, w.A.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		// The resident files for herself: channel web, her record the
		// requester, whatever she says about someone else.
		own, err := w.s.Submit(ctx, resident, w.A.ID, requests.Input{Kind: requests.KindHelp, CategoryID: w.cats["heating"],
			Description: "暖气不热", ResidentID: w.other, ContactName: "冒名", ContactPhone: "13900003333"})
		if err != nil {
			t.Fatal(err)
		}
		if own.Channel != requests.ChannelWeb || own.ResidentID != w.res || own.RequesterName != "张秀英" || own.HouseholdID != w.h1 {
			t.Fatalf("resident's own request: %+v", own)
		}
		if !slices.Equal(own.Actions, []requests.Action{}) {
			t.Fatalf("a resident is offered %v on a submitted request", own.Actions)
		}
		team, err := w.s.Submit(ctx, worker, w.A.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		w.do(t, worker, team.ID, requests.Step{Action: requests.ActAccept})
		w.do(t, worker, team.ID, requests.Step{Action: requests.ActDispatch, Handler: &requests.Handler{Kind: requests.HandlerTeam, ID: w.A.TeamID}})

		all := []int64{g1.ID, g2.ID, own.ID, team.ID}
		sees := map[string]struct {
			p    *accounts.Principal
			want []int64
		}{
			"admin":     {w.A.Admin.Principal(), all},
			"worker":    {worker, all},
			"grid 1":    {w.A.Grid.Principal(), []int64{g1.ID, own.ID}},
			"leader":    {w.A.Leader.Principal(), []int64{team.ID}},
			"partner":   {w.A.Partner.Principal(), nil},
			"volunteer": {w.A.Volunteer.Principal(), nil},
			"resident":  {resident, []int64{own.ID}},
			"B admin":   {w.B.Admin.Principal(), nil},
		}
		for name, c := range sees {
			page, err := w.s.List(ctx, c.p, requests.Filter{CommunityID: w.A.ID})
			if name == "B admin" {
				if !apperr.Is(err, apperr.NotFound) {
					t.Errorf("B's admin listing A: %v", err)
				}
			} else {
				var got []int64
				for _, r := range page.Items {
					got = append(got, r.ID)
				}
				slices.Sort(got)
				if err != nil || !slices.Equal(got, c.want) || page.Total != len(c.want) {
					t.Errorf("%s lists %v (total %d, %v), want %v", name, got, page.Total, err, c.want)
				}
			}
			for _, id := range all {
				_, err := w.s.Get(ctx, c.p, id)
				_, terr := w.s.Timeline(ctx, c.p, id)
				if slices.Contains(c.want, id) != (err == nil) || (err != nil && !apperr.Is(err, apperr.NotFound)) || (err == nil) != (terr == nil) {
					t.Errorf("%s opening %d: %v / %v", name, id, err, terr)
				}
			}
		}
		// The grid worker takes office steps on its grid's requests only.
		grid := w.A.Grid.Principal()
		w.do(t, grid, g1.ID, requests.Step{Action: requests.ActAccept})
		_, err = w.s.Do(ctx, grid, g2.ID, requests.Step{Action: requests.ActAccept})
		wantErr(t, err, apperr.NotFound, "")
		// The resident may not accept her own request.
		_, err = w.s.Do(ctx, resident, own.ID, requests.Step{Action: requests.ActAccept})
		wantErr(t, err, apperr.Forbidden, "request.side.forbidden")

		// Filters.
		page, err := w.s.List(ctx, worker, requests.Filter{CommunityID: w.A.ID, Status: []requests.Status{requests.Submitted}, CategoryID: w.cats["safety"]})
		if err != nil || page.Total != 1 || page.Items[0].ID != g2.ID {
			t.Fatalf("status and category filter: %+v %v", page, err)
		}
		page, err = w.s.List(ctx, worker, requests.Filter{CommunityID: w.A.ID, Handler: &requests.Handler{Kind: requests.HandlerTeam, ID: w.A.TeamID}})
		if err != nil || page.Total != 1 || page.Items[0].ID != team.ID || page.Items[0].Handler.Name == "" {
			t.Fatalf("handler filter: %+v %v", page, err)
		}
		page, err = w.s.List(ctx, worker, requests.Filter{CommunityID: w.A.ID, Limit: 1, Offset: 1})
		if err != nil || page.Total != 4 || len(page.Items) != 1 {
			t.Fatalf("paging: %+v %v", page, err)
		}
		if _, err := w.s.List(ctx, worker, requests.Filter{CommunityID: w.A.ID, Status: []requests.Status{"lost"}}); !apperr.Is(err, apperr.Invalid) {
			t.Fatalf("unknown status filter: %v", err)
		}
	})
}

// TestResidentSide: the resident answers the callback on her own request
// and reopens it; on someone else's she is told "not found".
func TestResidentSide(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		worker, resident := w.A.Worker.Principal(), w.A.Resident.Principal()
		own, err := w.s.Submit(ctx, resident, w.A.ID, requests.Input{Kind: requests.KindHelp, CategoryID: w.cats["repairs"], Description: "水壶坏了"})
		if err != nil {
			t.Fatal(err)
		}
		other := w.submit(t, "别人的诉求")
		for _, id := range []int64{own.ID, other.ID} {
			w.do(t, worker, id, requests.Step{Action: requests.ActAccept})
			w.do(t, worker, id, requests.Step{Action: requests.ActDispatch, Handler: &requests.Handler{Kind: requests.HandlerAccount, ID: w.A.Worker.Account.ID}})
			w.do(t, worker, id, requests.Step{Action: requests.ActSign})
			w.do(t, worker, id, requests.Step{Action: requests.ActResult, Note: "已修好"})
			w.do(t, worker, id, requests.Step{Action: requests.ActVerify})
		}
		var told int
		if err := d.QueryRow(ctx, `SELECT count(*) FROM notifications WHERE account_id = ? AND kind = 'request.verify'`, w.A.Resident.Account.ID).Scan(&told); err != nil || told != 1 {
			t.Fatalf("resident told %d times (%v)", told, err)
		}
		yes := true
		before := state(t, d, other.ID)
		_, err = w.s.Do(ctx, resident, other.ID, requests.Step{Action: requests.ActCallback, Resolved: &yes, Satisfaction: requests.Satisfied})
		wantErr(t, err, apperr.NotFound, "")
		if state(t, d, other.ID) != before {
			t.Fatal("rating someone else's request changed it")
		}
		r := w.do(t, resident, own.ID, requests.Step{Action: requests.ActCallback, Resolved: &yes, Satisfaction: requests.Satisfied})
		if r.Status != requests.Closed || !slices.Equal(r.Actions, []requests.Action{requests.ActReopen}) {
			t.Fatalf("after callback: %s %v", r.Status, r.Actions)
		}
		r = w.do(t, resident, own.ID, requests.Step{Action: requests.ActReopen, Reason: "又不出水了"})
		if r.Status != requests.InProgress || r.Handler.ID != w.A.Worker.Account.ID {
			t.Fatalf("reopened: %+v", r)
		}
		tl, err := w.s.Timeline(ctx, resident, own.ID)
		if err != nil || tl[len(tl)-1].ActorRole != "resident" || tl[len(tl)-1].ActorName != "建*****民" {
			t.Fatalf("resident's timeline: %+v %v", tl[len(tl)-1], err)
		}
	})
}
