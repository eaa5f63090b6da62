package requests_test

import (
	"context"
	"testing"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/requests"
	"github.com/linli/linli/internal/testkit/dbtest"
	"github.com/linli/linli/internal/testkit/fixture"
)

// TestVolunteerAndExtension: a request dispatched to one volunteer is
// theirs to sign and finish (their account acts); a denied extension
// needs a reason and leaves the due time alone; the answer to a step
// shows the requester masked.
func TestVolunteerAndExtension(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		worker, volunteer := w.A.Worker.Principal(), w.A.Volunteer.Principal()
		var vid int64
		if err := d.QueryRow(ctx, `INSERT INTO volunteers (community_id, number, name, birth_date, account_id, registered_via, registered_at, updated_at)
			VALUES (?, 'JSL-V00001', '赵建国', '1970-05-01', ?, 'worker', ?, ?) RETURNING id`,
			w.A.ID, w.A.Volunteer.Account.ID, w.Clock.Now(), w.Clock.Now()).Scan(&vid); err != nil {
			t.Fatal(err)
		}
		r := w.submit(t, "楼道灯坏了")
		w.do(t, worker, r.ID, requests.Step{Action: requests.ActAccept})
		// Before dispatch the volunteer does not see it.
		if _, err := w.s.Get(ctx, volunteer, r.ID); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("volunteer before dispatch: %v", err)
		}
		got := w.do(t, worker, r.ID, requests.Step{Action: requests.ActDispatch, Handler: &requests.Handler{Kind: requests.HandlerVolunteer, ID: vid}})
		if got.RequesterName != "王*华" || got.Handler.Name != "赵建国" {
			t.Fatalf("the answer to a step: %q, handler %+v", got.RequesterName, got.Handler)
		}
		w.do(t, volunteer, r.ID, requests.Step{Action: requests.ActSign})
		_, err := w.s.Do(ctx, volunteer, r.ID, requests.Step{Action: requests.ActExtension})
		wantErr(t, err, apperr.Invalid, "request.reason.required")
		w.do(t, volunteer, r.ID, requests.Step{Action: requests.ActExtension, Reason: "灯管缺货"})
		before := state(t, d, r.ID)
		_, err = w.s.Do(ctx, worker, r.ID, requests.Step{Action: requests.ActDenyExtension})
		wantErr(t, err, apperr.Invalid, "request.reason.required")
		_, err = w.s.Do(ctx, volunteer, r.ID, requests.Step{Action: requests.ActDenyExtension, Reason: "不行"})
		wantErr(t, err, apperr.Forbidden, "request.side.forbidden")
		if state(t, d, r.ID) != before {
			t.Fatal("refused decisions changed the request")
		}
		prev, err := w.s.Get(ctx, worker, r.ID)
		if err != nil || prev.FeedbackDue == nil {
			t.Fatalf("accepted without a feedback due: %v", err)
		}
		got = w.do(t, worker, r.ID, requests.Step{Action: requests.ActDenyExtension, Reason: "今天之内能买到"})
		// A denial leaves the feedback due where accepting put it.
		if got.Status != requests.InProgress || got.FeedbackDue == nil || !got.FeedbackDue.Equal(*prev.FeedbackDue) {
			t.Fatalf("denied: %s, due %v", got.Status, got.FeedbackDue)
		}
		w.do(t, volunteer, r.ID, requests.Step{Action: requests.ActResult, Note: "已换新灯管"})
		// Another account with a volunteer grant sees nothing of it.
		if _, err := w.s.Get(ctx, w.B.Volunteer.Principal(), r.ID); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("B's volunteer: %v", err)
		}
	})
}

// TestGridIntake: a grid worker registers for residents of its grids,
// not for others (whose names it may not see), and keeps sight of what
// it registered at a free address.
func TestGridIntake(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		grid := w.A.Grid.Principal()
		in := requests.Input{Channel: requests.ChannelGridPatrol, Kind: requests.KindReport, CategoryID: w.cats["safety"],
			Description: "电动车在楼道充电", ResidentID: w.res}
		r, err := w.s.Submit(ctx, grid, w.A.ID, in)
		if err != nil || r.GridID != w.A.GridID || r.RequesterName != "张*英" {
			t.Fatalf("grid intake for its resident: %+v %v", r, err)
		}
		// A grid worker of another grid: the resident is not found.
		other := w.Person(t, "a-grid2", "第二网格网格员", gridGrant(w.A.ID, w.grid2))
		_, err = w.s.Submit(ctx, other.Principal(), w.A.ID, in)
		e := apperr.From(err)
		if !apperr.Is(err, apperr.Invalid) || e.Fields["resident_id"].Key != "request.resident.unknown" {
			t.Fatalf("grid 2 worker for grid 1's resident: %v", err)
		}
		in.ResidentID, in.Address, in.ContactName, in.ContactPhone = 0, "建胜路口", "路人", "13900006666"
		free, err := w.s.Submit(ctx, other.Principal(), w.A.ID, in)
		if err != nil || free.GridID != 0 {
			t.Fatalf("free address: %+v %v", free, err)
		}
		if _, err := w.s.Do(ctx, other.Principal(), free.ID, requests.Step{Action: requests.ActAccept}); err != nil {
			t.Fatalf("the grid worker accepts what it registered: %v", err)
		}
		if _, err := w.s.Get(ctx, grid, free.ID); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("grid 1 sees grid 2's free-address request: %v", err)
		}
	})
}

// TestNumbersByYear: numbers restart with the year in Shanghai.
func TestNumbersByYear(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		if r := w.submit(t, "年末"); r.Number != "2025-000001" {
			t.Fatalf("first: %s", r.Number)
		}
		// 2026-01-01 00:30 in Shanghai is still 2025 in UTC.
		w.Clock.Set(time.Date(2026, 1, 1, 0, 30, 0, 0, clock.Shanghai))
		if r := w.submit(t, "新年"); r.Number != "2026-000001" {
			t.Fatalf("new year: %s", r.Number)
		}
		if r := w.submit(t, "新年二"); r.Number != "2026-000002" {
			t.Fatalf("new year, second: %s", r.Number)
		}
	})
}

func gridGrant(cid, grid int64) accounts.Grant {
	return accounts.Grant{Role: accounts.Grid, CommunityID: cid, GridID: grid}
}

// TestLinks: the office links related requests once; a request it cannot
// see, itself or nothing are refused; a handler may not link.
func TestLinks(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		worker := w.A.Worker.Principal()
		a, b := w.submit(t, "楼上漏水"), w.submit(t, "天花板渗水")
		r, err := w.s.Link(ctx, worker, b.ID, a.ID)
		if err != nil || len(r.Links) != 1 || r.Links[0].ID != a.ID || r.Links[0].Kind != "related" {
			t.Fatalf("link: %+v %v", r, err)
		}
		if _, err := w.s.Link(ctx, worker, a.ID, b.ID); err != nil {
			t.Fatalf("linking again: %v", err)
		}
		if n := fixture.Count(t, d, "request_links"); n != 1 {
			t.Fatalf("%d links", n)
		}
		for _, other := range []int64{0, a.ID, 999999} {
			_, err := w.s.Link(ctx, worker, a.ID, other)
			wantErr(t, err, apperr.Invalid, "request.link.target")
		}
		// Grid 1's worker cannot link to a request of grid 2.
		in := requests.Input{Channel: requests.ChannelPhone, Kind: requests.KindHelp, CategoryID: w.cats["water"], BuildingID: w.b2,
			Description: "二号楼漏水", ContactName: "吴女士", ContactPhone: "13900008888"}
		g2, err := w.s.Submit(ctx, worker, w.A.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		_, err = w.s.Link(ctx, w.A.Grid.Principal(), a.ID, g2.ID)
		wantErr(t, err, apperr.Invalid, "request.link.target")
		// The resident may not link, nor name another flat than her own.
		own, err := w.s.Submit(ctx, w.A.Resident.Principal(), w.A.ID, requests.Input{Kind: requests.KindHelp, CategoryID: w.cats["water"],
			Description: "厨房漏水", HouseholdID: w.h1})
		if err != nil || own.HouseholdID != w.h1 {
			t.Fatalf("own flat: %+v %v", own, err)
		}
		_, err = w.s.Link(ctx, w.A.Resident.Principal(), own.ID, a.ID)
		wantErr(t, err, apperr.Forbidden, "")
		var other int64
		err = d.InTx(ctx, func(tx *db.Tx) error {
			var err error
			other, err = w.reg.NewLoader(tx, w.A.ID).Household(ctx, w.b1, "1", "201", "")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		_, err = w.s.Submit(ctx, w.A.Resident.Principal(), w.A.ID, requests.Input{Kind: requests.KindHelp, CategoryID: w.cats["water"],
			Description: "楼上漏水", HouseholdID: other})
		if e := apperr.From(err); e.Fields["household_id"].Key != "request.place.unknown" {
			t.Fatalf("resident names another flat: %v", err)
		}
	})
}
