package requests_test

import (
	"context"
	"testing"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/requests"
	"github.com/linli/linli/internal/testkit/dbtest"
)

// TestVolunteerHandlerByName: a resident volunteer handling a request is
// named as the registry names them, not by number: whole to the office
// and to the volunteer, masked to the requester, on the request, in the
// list and on the timeline's dispatch.
func TestVolunteerHandlerByName(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		worker, resident, volunteer := w.A.Worker.Principal(), w.A.Resident.Principal(), w.A.Volunteer.Principal()
		var vid int64
		// 李国强 of the registry (w.other) volunteers; the row has no name.
		if err := d.QueryRow(ctx, `INSERT INTO volunteers (community_id, number, resident_id, account_id, registered_via, registered_at, updated_at)
			VALUES (?, 'JSL-V00042', ?, ?, 'worker', ?, ?) RETURNING id`,
			w.A.ID, w.other, w.A.Volunteer.Account.ID, w.Clock.Now(), w.Clock.Now()).Scan(&vid); err != nil {
			t.Fatal(err)
		}
		own, err := w.s.Submit(ctx, resident, w.A.ID, requests.Input{Kind: requests.KindHelp, CategoryID: w.cats["repairs"], Description: "水壶坏了"})
		if err != nil {
			t.Fatal(err)
		}
		w.do(t, worker, own.ID, requests.Step{Action: requests.ActAccept})
		w.do(t, worker, own.ID, requests.Step{Action: requests.ActDispatch, Handler: &requests.Handler{Kind: requests.HandlerVolunteer, ID: vid}})
		for _, c := range []struct {
			who  string
			p    *accounts.Principal
			want string
		}{{"worker", worker, "李国强"}, {"the volunteer", volunteer, "李国强"}, {"the requester", resident, "李*强"}} {
			r, err := w.s.Get(ctx, c.p, own.ID)
			if err != nil || r.Handler == nil || r.Handler.Name != c.want {
				t.Errorf("%s's request: %+v %v, want %q", c.who, r.Handler, err, c.want)
			}
			page, err := w.s.List(ctx, c.p, requests.Filter{CommunityID: w.A.ID})
			if err != nil || page.Total != 1 || page.Items[0].Handler.Name != c.want {
				t.Errorf("%s's list: %v %+v", c.who, err, page)
			}
			tl, err := w.s.Timeline(ctx, c.p, own.ID)
			if err != nil {
				t.Fatal(err)
			}
			var named string
			for _, e := range tl {
				if e.Action == requests.ActDispatch {
					named = e.Handler.Name
				}
			}
			if named != c.want {
				t.Errorf("%s's timeline names the handler %q, want %q", c.who, named, c.want)
			}
		}
		// Teams and workers keep their names for everyone.
		w.do(t, volunteer, own.ID, requests.Step{Action: requests.ActReturn, Reason: "这周不在家"})
		w.do(t, worker, own.ID, requests.Step{Action: requests.ActDispatch, Handler: &requests.Handler{Kind: requests.HandlerTeam, ID: w.A.TeamID}})
		if r, err := w.s.Get(ctx, resident, own.ID); err != nil || r.Handler.Name != "五彩益童心梦" {
			t.Errorf("team handler: %+v %v", r.Handler, err)
		}
	})
}
