package requests_test

import (
	"context"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/calendar"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/requests"
	"github.com/linli/linli/internal/testkit/dbtest"
)

// sh is a Shanghai wall-clock time.
func sh(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, clock.Shanghai).UTC()
}

// submitIn registers a request by A's worker for a free contact.
func (w *world) submitIn(t *testing.T, building int64, cat string, u requests.Urgency) *requests.Request {
	t.Helper()
	r, err := w.s.Submit(context.Background(), w.A.Worker.Principal(), w.A.ID, requests.Input{
		Channel: requests.ChannelPhone, Kind: requests.KindHelp, CategoryID: w.cats[cat], BuildingID: building,
		Description: "测试诉求 " + cat, Urgency: u, ContactName: "王建华", ContactPhone: "13900001234",
	})
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	return r
}

func wantTime(t *testing.T, what string, got *time.Time, want time.Time) {
	t.Helper()
	if got == nil || !got.Equal(want) {
		t.Errorf("%s = %v, want %v", what, got, want.In(clock.Shanghai))
	}
}

// TestDeadlinesAcrossWeekendAndHoliday: hour limits are clock hours, day
// limits working days of the holiday calendar; accepting sets the
// feedback due, dispatching the sign-for due, and an approved extension
// moves the feedback due by the working days given.
func TestDeadlinesAcrossWeekendAndHoliday(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		worker := w.A.Worker.Principal()
		// Friday 7 March 2025, 16:00; Monday the 10th is a holiday.
		w.Clock.Set(sh(2025, 3, 7, 16, 0))
		if _, err := calendar.New(d, w.Clock).Set(ctx, w.A.Admin.Principal(), w.A.ID, "2025-03-10", calendar.Holiday, "测试假日"); err != nil {
			t.Fatal(err)
		}
		r := w.submitIn(t, w.b1, "environment", requests.UrgencyGeneral)
		wantTime(t, "general dispatch due", r.DispatchDue, sh(2025, 3, 8, 16, 0)) // 24 clock hours, Saturday
		wantTime(t, "due_at", r.DueAt, sh(2025, 3, 8, 16, 0))
		r = w.do(t, worker, r.ID, requests.Step{Action: requests.ActAccept})
		// Seven working days: not the weekend, not the holiday Monday.
		wantTime(t, "general feedback due", r.FeedbackDue, sh(2025, 3, 19, 16, 0))
		r = w.do(t, worker, r.ID, requests.Step{Action: requests.ActDispatch, Handler: &requests.Handler{Kind: requests.HandlerTeam, ID: w.A.TeamID}})
		wantTime(t, "sign due", r.SignDue, sh(2025, 3, 8, 16, 0))
		wantTime(t, "due_at while dispatched", r.DueAt, sh(2025, 3, 8, 16, 0))
		leader := w.A.Leader.Principal()
		r = w.do(t, leader, r.ID, requests.Step{Action: requests.ActSign})
		wantTime(t, "due_at in progress", r.DueAt, sh(2025, 3, 19, 16, 0))
		w.do(t, leader, r.ID, requests.Step{Action: requests.ActExtension, Reason: "需要等配件"})
		for _, days := range []int{-1, requests.MaxExtensionDays + 1} {
			_, err := w.s.Do(ctx, worker, r.ID, requests.Step{Action: requests.ActApproveExtension, Days: days})
			wantErr(t, err, apperr.Invalid, "request.days.invalid")
		}
		if got, _ := w.s.Get(ctx, worker, r.ID); got.Status != requests.ExtensionRequested || !got.FeedbackDue.Equal(sh(2025, 3, 19, 16, 0)) {
			t.Fatalf("a refused approval changed the request: %s %v", got.Status, got.FeedbackDue)
		}
		r = w.do(t, worker, r.ID, requests.Step{Action: requests.ActApproveExtension, Days: 3})
		// Wednesday the 19th + 3 working days: Thursday, Friday, Monday.
		wantTime(t, "feedback due after extension", r.FeedbackDue, sh(2025, 3, 24, 16, 0))

		// An emergency counts in hours, weekend or not.
		w.Clock.Set(sh(2025, 3, 8, 22, 30))
		e := w.submitIn(t, w.b1, "safety", requests.UrgencyEmergency)
		wantTime(t, "emergency dispatch due", e.DispatchDue, sh(2025, 3, 8, 23, 30))
		e = w.do(t, worker, e.ID, requests.Step{Action: requests.ActAccept})
		wantTime(t, "emergency feedback due", e.FeedbackDue, sh(2025, 3, 9, 0, 30))
		// A complex request: fifteen working days from Saturday night.
		c := w.submitIn(t, w.b1, "dispute", requests.UrgencyComplex)
		c = w.do(t, worker, c.ID, requests.Step{Action: requests.ActAccept})
		wantTime(t, "complex feedback due", c.FeedbackDue, sh(2025, 3, 31, 22, 30))

		// Reopened, the general request gets a fresh feedback limit.
		w.do(t, leader, r.ID, requests.Step{Action: requests.ActResult, Note: "已清理"})
		w.do(t, worker, r.ID, requests.Step{Action: requests.ActVerify})
		no := false
		w.do(t, worker, r.ID, requests.Step{Action: requests.ActCallback, Resolved: &no, Satisfaction: requests.Unsatisfied})
		w.Clock.Set(sh(2025, 3, 11, 10, 0))
		r = w.do(t, worker, r.ID, requests.Step{Action: requests.ActReopen, Reason: "又堵了"})
		wantTime(t, "feedback due after reopening", r.FeedbackDue, sh(2025, 3, 20, 10, 0))
	})
}

// TestOverdueFlags: due_soon and overdue are computed on every read and
// flip as the clock passes; the overdue filter finds exactly the late.
func TestOverdueFlags(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		worker := w.A.Worker.Principal()
		e := w.submitIn(t, w.b1, "safety", requests.UrgencyEmergency)
		g := w.submitIn(t, w.b1, "environment", requests.UrgencyGeneral)
		if e.Overdue || e.DueSoon {
			t.Fatalf("fresh request flagged: %+v", e)
		}
		overdue := func() []int64 {
			t.Helper()
			p, err := w.s.List(ctx, worker, requests.Filter{CommunityID: w.A.ID, Overdue: true})
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, r := range p.Items {
				if !r.Overdue {
					t.Errorf("listed as overdue but not flagged: %d", r.ID)
				}
				ids = append(ids, r.ID)
			}
			if p.Total != len(ids) {
				t.Errorf("total %d, items %d", p.Total, len(ids))
			}
			return ids
		}
		if ids := overdue(); len(ids) != 0 {
			t.Fatalf("overdue at intake: %v", ids)
		}
		w.Clock.Advance(50 * time.Minute) // 10 of 60 minutes left
		if r, _ := w.s.Get(ctx, worker, e.ID); !r.DueSoon || r.Overdue {
			t.Errorf("50 minutes in: due_soon %v overdue %v", r.DueSoon, r.Overdue)
		}
		if r, _ := w.s.Get(ctx, worker, g.ID); r.DueSoon || r.Overdue {
			t.Errorf("general request flagged after 50 minutes")
		}
		w.Clock.Advance(11 * time.Minute)
		if r, _ := w.s.Get(ctx, worker, e.ID); !r.Overdue || r.DueSoon {
			t.Errorf("past due: due_soon %v overdue %v", r.DueSoon, r.Overdue)
		}
		if ids := overdue(); !reflect.DeepEqual(ids, []int64{e.ID}) {
			t.Errorf("overdue list %v, want [%d]", ids, e.ID)
		}
		// Accepted, it is still late to dispatch; dispatched, the sign-for
		// and feedback limits count instead and it is no longer late.
		if r := w.do(t, worker, e.ID, requests.Step{Action: requests.ActAccept}); !r.Overdue {
			t.Error("accepted but undispatched past the dispatch due: not overdue")
		}
		r := w.do(t, worker, e.ID, requests.Step{Action: requests.ActDispatch, Handler: &requests.Handler{Kind: requests.HandlerTeam, ID: w.A.TeamID}})
		if r.Overdue {
			t.Errorf("dispatched: still overdue, due_at %v", r.DueAt)
		}
		if ids := overdue(); len(ids) != 0 {
			t.Errorf("overdue after dispatch: %v", ids)
		}
		w.Clock.Advance(time.Hour + time.Minute) // the sign-for hour has passed
		if ids := overdue(); !reflect.DeepEqual(ids, []int64{e.ID}) {
			t.Errorf("not signed for in time: overdue %v", ids)
		}
		// A grid worker's overdue list is still within their grid.
		p, err := w.s.List(ctx, w.B.Grid.Principal(), requests.Filter{CommunityID: w.A.ID, Overdue: true})
		if !apperr.Is(err, apperr.NotFound) || p != nil {
			t.Errorf("another community's grid worker: %v", err)
		}
	})
}

// TestEscalationOncePerLevel: an overdue request climbs to the grid
// worker, the admins and the street, one level per further span of its
// limit, each exactly once even with two runners at the same time; the
// timeline says so and the status stays.
func TestEscalationOncePerLevel(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		e := w.submitIn(t, w.b1, "safety", requests.UrgencyEmergency) // dispatch within 1 h
		w.submitIn(t, w.b1, "environment", requests.UrgencyGeneral)   // not late
		told := func(p accounts.Role) int {
			t.Helper()
			acct := w.Supervisor.Account.ID
			if p != accounts.Street {
				acct = w.A.People()[p].Account.ID
			}
			var n int
			if err := d.QueryRow(ctx, `SELECT count(*) FROM notifications WHERE account_id = ? AND kind = 'request.escalated'`, acct).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		runTwice := func() int {
			t.Helper()
			var wg sync.WaitGroup
			made := make([]int, 2)
			errs := make([]error, 2)
			for i := range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					made[i], errs[i] = w.s.Escalate(ctx)
				}()
			}
			wg.Wait()
			for _, err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			return made[0] + made[1]
		}
		if n := runTwice(); n != 0 {
			t.Fatalf("escalated before the due: %d", n)
		}
		w.Clock.Advance(61 * time.Minute)
		if n := runTwice(); n != 1 || told(accounts.Grid) != 1 || told(accounts.Admin) != 0 {
			t.Fatalf("level 1: made %d, grid told %d, admin told %d", n, told(accounts.Grid), told(accounts.Admin))
		}
		w.Clock.Advance(time.Hour)
		if n := runTwice(); n != 1 || told(accounts.Admin) != 1 || told(accounts.Street) != 0 {
			t.Fatalf("level 2: made %d, admin told %d, street told %d", n, told(accounts.Admin), told(accounts.Street))
		}
		w.Clock.Advance(5 * time.Hour)
		if n := runTwice(); n != 1 || told(accounts.Street) != 1 {
			t.Fatalf("level 3: made %d, street told %d", n, told(accounts.Street))
		}
		if n := runTwice(); n != 0 || told(accounts.Grid) != 1 {
			t.Fatalf("again: made %d, grid told %d", n, told(accounts.Grid))
		}
		r, err := w.s.Get(ctx, w.A.Worker.Principal(), e.ID)
		if err != nil || r.Status != requests.Submitted || !r.Overdue {
			t.Fatalf("escalation changed the request: %v %+v", err, r)
		}
		events, err := w.s.Timeline(ctx, w.A.Worker.Principal(), e.ID)
		if err != nil {
			t.Fatal(err)
		}
		var esc []string
		for _, ev := range events {
			if ev.Action == requests.ActEscalated {
				esc = append(esc, ev.Note)
				if ev.From != requests.Submitted || ev.To != requests.Submitted || ev.ActorRole != "system" {
					t.Errorf("escalation event: %+v", ev)
				}
			}
		}
		want := []string{"派单超时，督办：网格员", "派单超时，督办：社区管理员", "派单超时，督办：街道"}
		if !reflect.DeepEqual(esc, want) {
			t.Errorf("timeline escalations %q, want %q", esc, want)
		}
		// Accepting leaves the dispatch due counting (already escalated);
		// once dispatched, nothing more is late until the sign-for hour.
		w.do(t, w.A.Worker.Principal(), e.ID, requests.Step{Action: requests.ActAccept})
		w.do(t, w.A.Worker.Principal(), e.ID, requests.Step{Action: requests.ActDispatch, Handler: &requests.Handler{Kind: requests.HandlerTeam, ID: w.A.TeamID}})
		if n := runTwice(); n != 0 {
			t.Errorf("escalated after dispatch: %d", n)
		}
	})
}

// TestRoutingDefaultsAndOverride: a dispatch without a handler follows
// the office's route, then the defaults (skilled team, heating company,
// the grid's worker); a worker's own choice wins; bad tables are refused
// whole.
func TestRoutingDefaultsAndOverride(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		worker, admin := w.A.Worker.Principal(), w.A.Admin.Principal()
		dispatch := func(building int64, cat string, h *requests.Handler) (*requests.Request, error) {
			t.Helper()
			r := w.submitIn(t, building, cat, requests.UrgencyGeneral)
			w.do(t, worker, r.ID, requests.Step{Action: requests.ActAccept})
			return w.s.Do(ctx, worker, r.ID, requests.Step{Action: requests.ActDispatch, Handler: h})
		}
		want := func(building int64, cat string, kind requests.HandlerKind, id int64) {
			t.Helper()
			r, err := dispatch(building, cat, nil)
			if err != nil {
				t.Fatalf("%s: %v", cat, err)
			}
			if r.Handler == nil || r.Handler.Kind != kind || r.Handler.ID != id {
				t.Errorf("%s dispatched to %+v, want %s %d", cat, r.Handler, kind, id)
			}
		}
		gridWorker := w.A.Grid.Account.ID
		// Nothing marked: everything goes to the grid's worker.
		want(w.b1, "water", requests.HandlerAccount, gridWorker)
		want(w.b1, "heating", requests.HandlerAccount, gridWorker)
		rt, err := w.s.SetRouting(ctx, admin, w.A.ID, requests.Routing{SkilledTeamID: w.A.TeamID, HeatingOrgID: w.A.OrgID})
		if err != nil {
			t.Fatal(err)
		}
		if len(rt.Defaults) != len(requests.DefaultCategories) || len(rt.Routes) != 0 {
			t.Fatalf("routing: %+v", rt)
		}
		want(w.b1, "water", requests.HandlerTeam, w.A.TeamID)
		want(w.b1, "repairs", requests.HandlerTeam, w.A.TeamID)
		want(w.b1, "electricity", requests.HandlerTeam, w.A.TeamID)
		want(w.b1, "heating", requests.HandlerOrganisation, w.A.OrgID)
		want(w.b1, "environment", requests.HandlerAccount, gridWorker)
		// The second grid has no worker: nobody to route to, said clearly.
		before := w.submitIn(t, w.b2, "environment", requests.UrgencyGeneral)
		w.do(t, worker, before.ID, requests.Step{Action: requests.ActAccept})
		_, err = w.s.Do(ctx, worker, before.ID, requests.Step{Action: requests.ActDispatch})
		wantErr(t, err, apperr.Invalid, "request.route.none")
		if r, _ := w.s.Get(ctx, worker, before.ID); r.Status != requests.Accepted || r.Handler != nil {
			t.Fatalf("refused dispatch changed the request: %+v", r)
		}
		// The office's routes: environment of grid 2 to the partner, all
		// environment elsewhere to the grid's worker, disputes to a worker.
		if _, err := w.s.SetRouting(ctx, worker, w.A.ID, requests.Routing{SkilledTeamID: w.A.TeamID, HeatingOrgID: w.A.OrgID, Routes: []requests.Route{
			{CategoryID: w.cats["environment"], GridID: w.grid2, Handler: requests.Handler{Kind: requests.HandlerOrganisation, ID: w.A.OrgID}},
			{CategoryID: w.cats["environment"], Handler: requests.Handler{Kind: requests.HandlerGridWorker}},
			{CategoryID: w.cats["dispute"], Handler: requests.Handler{Kind: requests.HandlerAccount, ID: w.A.Worker.Account.ID}},
		}}); err != nil {
			t.Fatal(err)
		}
		want(w.b2, "environment", requests.HandlerOrganisation, w.A.OrgID)
		want(w.b1, "environment", requests.HandlerAccount, gridWorker)
		want(w.b2, "dispute", requests.HandlerAccount, w.A.Worker.Account.ID)
		// A worker overrides the route.
		r, err := dispatch(w.b1, "water", &requests.Handler{Kind: requests.HandlerOrganisation, ID: w.A.OrgID})
		if err != nil || r.Handler.Kind != requests.HandlerOrganisation {
			t.Fatalf("override: %v %+v", err, r)
		}

		// Bad tables: refused with the field, nothing changed.
		saved, err := w.s.Routing(ctx, worker, w.A.ID)
		if err != nil {
			t.Fatal(err)
		}
		bCats, err := w.s.Categories(ctx, w.B.Worker.Principal(), w.B.ID)
		if err != nil {
			t.Fatal(err)
		}
		team := requests.Handler{Kind: requests.HandlerTeam, ID: w.A.TeamID}
		for _, c := range []struct {
			name  string
			in    requests.Routing
			field string
			key   string
		}{
			{"another community's category", requests.Routing{Routes: []requests.Route{{CategoryID: bCats[0].ID, Handler: team}}}, "routes[0].category_id", "request.category.unknown"},
			{"no category", requests.Routing{Routes: []requests.Route{{Handler: team}}}, "routes[0].category_id", "request.category.unknown"},
			{"another community's team", requests.Routing{Routes: []requests.Route{{CategoryID: w.cats["water"], Handler: requests.Handler{Kind: requests.HandlerTeam, ID: w.B.TeamID}}}}, "routes[0].handler", "request.handler.unknown"},
			{"unknown kind", requests.Routing{Routes: []requests.Route{{CategoryID: w.cats["water"], Handler: requests.Handler{Kind: "street", ID: 1}}}}, "routes[0].handler", "request.handler.invalid"},
			{"a volunteer", requests.Routing{Routes: []requests.Route{{CategoryID: w.cats["water"], Handler: requests.Handler{Kind: requests.HandlerVolunteer, ID: 1}}}}, "routes[0].handler", "request.handler.invalid"},
			{"another community's grid", requests.Routing{Routes: []requests.Route{{CategoryID: w.cats["water"], GridID: w.B.GridID, Handler: team}}}, "routes[0].grid_id", "request.route.grid"},
			{"twice", requests.Routing{Routes: []requests.Route{{CategoryID: w.cats["water"], Handler: team}, {CategoryID: w.cats["water"], Handler: team}}}, "routes[1].category_id", "request.route.duplicate"},
			{"heating company of B", requests.Routing{HeatingOrgID: w.B.OrgID}, "heating_organisation_id", "request.handler.unknown"},
		} {
			_, err := w.s.SetRouting(ctx, worker, w.A.ID, c.in)
			if e := apperr.From(err); !apperr.Is(err, apperr.Invalid) || e.Fields[c.field].Key != c.key {
				t.Errorf("%s: %v, want %s on %s", c.name, err, c.key, c.field)
			}
		}
		_, err = w.s.SetRouting(ctx, w.A.Grid.Principal(), w.A.ID, requests.Routing{})
		wantErr(t, err, apperr.Forbidden, "")
		_, err = w.s.SetRouting(ctx, w.B.Admin.Principal(), w.A.ID, requests.Routing{})
		wantErr(t, err, apperr.NotFound, "")
		if now, _ := w.s.Routing(ctx, worker, w.A.ID); !reflect.DeepEqual(now, saved) {
			t.Errorf("refused tables changed the routing:\n%+v\n%+v", now, saved)
		}
	})
}

// TestSetDeadlines: the office changes a class's limits and new requests
// follow them; bad limits are refused whole.
func TestSetDeadlines(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		admin := w.A.Admin.Principal()
		def, err := w.s.Deadlines(ctx, w.A.Resident.Principal(), w.A.ID)
		if err != nil || len(def) != 4 || def[0].Urgency != requests.UrgencyEmergency || def[0].Dispatch.Hours != 1 ||
			def[0].Feedback.Hours != 2 || def[1].Dispatch.Hours != 2 || def[1].Feedback.Hours != 24 ||
			def[2].Dispatch.Hours != 24 || def[2].Feedback.Days != 7 || def[3].Dispatch.Hours != 24 || def[3].Feedback.Days != 15 {
			t.Fatalf("defaults: %v %+v", err, def)
		}
		lim := func(h, days int) requests.Limit { return requests.Limit{Hours: h, Days: days} }
		for _, c := range []struct {
			name  string
			in    []requests.Deadlines
			field string
			key   string
		}{
			{"negative hours", []requests.Deadlines{{Urgency: requests.UrgencyGeneral, Dispatch: lim(-4, 0), Sign: lim(1, 0), Feedback: lim(0, 5)}}, "deadlines[0].dispatch", "request.deadline.negative"},
			{"both units", []requests.Deadlines{{Urgency: requests.UrgencyGeneral, Dispatch: lim(4, 0), Sign: lim(1, 0), Feedback: lim(2, 5)}}, "deadlines[0].feedback", "request.deadline.unit"},
			{"no limit", []requests.Deadlines{{Urgency: requests.UrgencyGeneral, Dispatch: lim(4, 0), Feedback: lim(0, 5)}}, "deadlines[0].sign", "request.deadline.unit"},
			{"too long", []requests.Deadlines{{Urgency: requests.UrgencyGeneral, Dispatch: lim(4, 0), Sign: lim(1, 0), Feedback: lim(0, 61)}}, "deadlines[0].feedback", "request.deadline.long"},
			{"unknown class", []requests.Deadlines{{Urgency: "urgent", Dispatch: lim(4, 0), Sign: lim(1, 0), Feedback: lim(0, 5)}}, "deadlines[0].urgency", "request.urgency.invalid"},
			{"twice", []requests.Deadlines{{Urgency: requests.UrgencyGeneral, Dispatch: lim(4, 0), Sign: lim(1, 0), Feedback: lim(0, 5)},
				{Urgency: requests.UrgencyGeneral, Dispatch: lim(4, 0), Sign: lim(1, 0), Feedback: lim(0, 5)}}, "deadlines[1].urgency", "request.deadline.duplicate"},
			{"nothing", nil, "deadlines", "request.deadline.empty"},
		} {
			_, err := w.s.SetDeadlines(ctx, admin, w.A.ID, c.in)
			if e := apperr.From(err); !apperr.Is(err, apperr.Invalid) || e.Fields[c.field].Key != c.key {
				t.Errorf("%s: %v, want %s on %s", c.name, err, c.key, c.field)
			}
		}
		_, err = w.s.SetDeadlines(ctx, w.A.Grid.Principal(), w.A.ID, def)
		wantErr(t, err, apperr.Forbidden, "")
		if now, _ := w.s.Deadlines(ctx, admin, w.A.ID); !reflect.DeepEqual(now, def) {
			t.Fatalf("refused limits changed them: %+v", now)
		}
		got, err := w.s.SetDeadlines(ctx, admin, w.A.ID, []requests.Deadlines{{Urgency: requests.UrgencyGeneral, Dispatch: lim(4, 0), Sign: lim(0, 1), Feedback: lim(0, 5)}})
		if err != nil || !got[2].Custom || got[2].Dispatch.Hours != 4 || got[0].Custom || got[0].Dispatch.Hours != 1 {
			t.Fatalf("set: %v %+v", err, got)
		}
		r := w.submitIn(t, w.b1, "environment", requests.UrgencyGeneral)
		wantTime(t, "dispatch due with the community's limit", r.DispatchDue, w.Clock.Now().Add(4*time.Hour))
		// B's limits are its own.
		if b, _ := w.s.Deadlines(ctx, w.B.Admin.Principal(), w.B.ID); b[2].Dispatch.Hours != 24 {
			t.Errorf("B's general dispatch limit: %+v", b[2])
		}
	})
}

// TestSimilarRequests: intake offers the open requests of the same
// building and category family from the last 30 days, within reach.
func TestSimilarRequests(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		worker := w.A.Worker.Principal()
		first := w.submitIn(t, w.b1, "water", requests.UrgencyUtilities)
		if len(first.Similar) != 0 {
			t.Fatalf("first request has similar ones: %+v", first.Similar)
		}
		w.submitIn(t, w.b2, "water", requests.UrgencyUtilities)   // another building
		w.submitIn(t, w.b1, "heating", requests.UrgencyUtilities) // another category
		w.Clock.Advance(time.Hour)
		second := w.submitIn(t, w.b1, "water", requests.UrgencyUtilities)
		if len(second.Similar) != 1 || second.Similar[0].ID != first.ID || second.Similar[0].Number != first.Number {
			t.Fatalf("similar at intake: %+v", second.Similar)
		}
		list, err := w.s.SimilarTo(ctx, worker, w.A.ID, w.b1, w.cats["water"])
		if err != nil || len(list) != 2 || list[0].ID != second.ID || list[1].ID != first.ID {
			t.Fatalf("similar: %v %+v", err, list)
		}
		// Merged, the duplicate is no longer offered.
		w.do(t, worker, second.ID, requests.Step{Action: requests.ActMerge, Into: first.ID})
		if list, _ := w.s.SimilarTo(ctx, worker, w.A.ID, w.b1, w.cats["water"]); len(list) != 1 || list[0].ID != first.ID {
			t.Errorf("after merge: %+v", list)
		}
		// The grid worker of grid 1 sees its grid's; not another grid's.
		if list, err := w.s.SimilarTo(ctx, w.A.Grid.Principal(), w.A.ID, w.b2, w.cats["water"]); err != nil || len(list) != 0 {
			t.Errorf("grid worker, other grid: %v %+v", err, list)
		}
		_, err = w.s.SimilarTo(ctx, w.A.Resident.Principal(), w.A.ID, w.b1, w.cats["water"])
		wantErr(t, err, apperr.Forbidden, "")
		_, err = w.s.SimilarTo(ctx, worker, w.A.ID, w.bB, w.cats["water"])
		wantErr(t, err, apperr.Invalid, "request.place.unknown")
		_, err = w.s.SimilarTo(ctx, worker, w.A.ID, w.b1, 0)
		wantErr(t, err, apperr.Invalid, "request.category.unknown")
		// A month later the old one is history, not a duplicate.
		w.Clock.Advance(31 * 24 * time.Hour)
		if list, _ := w.s.SimilarTo(ctx, worker, w.A.ID, w.b1, w.cats["water"]); len(list) != 0 {
			t.Errorf("a month later: %+v", list)
		}
	})
}
