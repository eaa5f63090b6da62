package requests_test

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/audit"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/jobs"
	"github.com/linli/linli/internal/notify"
	"github.com/linli/linli/internal/registry"
	"github.com/linli/linli/internal/requests"
	"github.com/linli/linli/internal/secret"
	"github.com/linli/linli/internal/tenancy"
	"github.com/linli/linli/internal/testkit/dbtest"
	"github.com/linli/linli/internal/testkit/fixture"
)

// world is the fixture with a registry: building 1 (grid 1 of A) with a
// household and a resident linked to A's resident account, building 2 in
// a second grid of A, and a building in B.
type world struct {
	*fixture.World
	d          *db.DB
	s          *requests.Service
	reg        *registry.Service
	cats       map[string]int64 // A's categories by code
	b1, b2, bB int64            // buildings: A grid 1, A grid 2, B
	h1         int64            // a household in b1
	res        int64            // the resident of a-resident, in h1
	other      int64            // another resident of h1, with no account
	grid2      int64
}

const residentPhone = "13812345678"

func setup(t *testing.T, d *db.DB) *world {
	t.Helper()
	ctx := context.Background()
	f := fixture.New(t, d)
	keys, _ := secret.New([]byte(strings.Repeat("r", 40)))
	reg := registry.New(d, keys, f.Clock)
	n := notify.New(d, notify.Config{Clock: f.Clock})
	n.Register(jobs.NewRunner(d, jobs.Config{Clock: f.Clock}))
	w := &world{World: f, d: d, s: requests.New(d, keys, f.Clock, reg, n), reg: reg}
	now := f.Clock.Now()
	var err error
	w.grid2, err = f.Tenancy.CreateGrid(ctx, d, tenancy.Grid{CommunityID: f.A.ID, Number: 2, Name: "第二网格"}, now)
	if err != nil {
		t.Fatal(err)
	}
	err = d.InTx(ctx, func(tx *db.Tx) error {
		l := reg.NewLoader(tx, f.A.ID)
		if w.b1, err = l.Building(ctx, registry.Place{Estate: "建胜小区", Building: "1", GridID: f.A.GridID}); err != nil {
			return err
		}
		if w.b2, err = l.Building(ctx, registry.Place{Estate: "建胜小区", Building: "2", GridID: w.grid2}); err != nil {
			return err
		}
		if w.h1, err = l.Household(ctx, w.b1, "1", "101", ""); err != nil {
			return err
		}
		if w.res, _, err = l.Resident(ctx, registry.Input{HouseholdID: w.h1, Name: "张秀英", Phone: residentPhone, Relation: "户主"}, time.Time{}); err != nil {
			return err
		}
		if w.other, _, err = l.Resident(ctx, registry.Input{HouseholdID: w.h1, Name: "李国强", Relation: "配偶"}, time.Time{}); err != nil {
			return err
		}
		if err := reg.LinkAccount(ctx, tx, w.res, f.A.Resident.Account.ID); err != nil {
			return err
		}
		lb := reg.NewLoader(tx, f.B.ID)
		w.bB, err = lb.Building(ctx, registry.Place{Estate: "友谊小区", Building: "1", GridID: f.B.GridID})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	cats, err := w.s.Categories(ctx, f.A.Worker.Principal(), f.A.ID)
	if err != nil {
		t.Fatal(err)
	}
	w.cats = map[string]int64{}
	for _, c := range cats {
		w.cats[c.Code] = c.ID
	}
	return w
}

// submit registers a request by A's worker for a free contact in b1.
func (w *world) submit(t *testing.T, desc string) *requests.Request {
	t.Helper()
	r, err := w.s.Submit(context.Background(), w.A.Worker.Principal(), w.A.ID, requests.Input{
		Channel: requests.ChannelPhone, Kind: requests.KindHelp, CategoryID: w.cats["water"], BuildingID: w.b1,
		Description: desc, Urgency: requests.UrgencyUtilities, ContactName: "王建华", ContactPhone: "139 0000 1234",
	})
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	return r
}

// do takes a step and fails the test on error.
func (w *world) do(t *testing.T, p *accounts.Principal, id int64, st requests.Step) *requests.Request {
	t.Helper()
	r, err := w.s.Do(context.Background(), p, id, st)
	if err != nil {
		t.Fatalf("%s by %s: %v", st.Action, p.Username, err)
	}
	return r
}

// wantErr asserts err carries code and (if key is set) key, on the error
// or one of its fields.
func wantErr(t *testing.T, err error, code apperr.Code, key string) {
	t.Helper()
	if !apperr.Is(err, code) {
		t.Fatalf("got %v, want %s", err, code)
	}
	if key == "" {
		return
	}
	e := apperr.From(err)
	if e.Key == key {
		return
	}
	for _, f := range e.Fields {
		if f.Key == key {
			return
		}
	}
	t.Fatalf("got %v, want key %s", err, key)
}

// state is what must not change when a step is refused.
func state(t *testing.T, d *db.DB, id int64) string {
	t.Helper()
	var st string
	var seq, events int
	if err := d.QueryRow(context.Background(), `SELECT status, last_seq, (SELECT count(*) FROM request_events WHERE request_id = requests.id) FROM requests WHERE id = ?`, id).
		Scan(&st, &seq, &events); err != nil {
		t.Fatal(err)
	}
	return st + "/" + strings.Repeat("e", events) + "/" + strings.Repeat("s", seq)
}

func TestCategoriesDefaults(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		cats, err := w.s.Categories(ctx, w.A.Resident.Principal(), w.A.ID)
		if err != nil || len(cats) != len(requests.DefaultCategories) {
			t.Fatalf("categories = %d, %v", len(cats), err)
		}
		public := map[string]bool{}
		for _, c := range cats {
			public[c.Code] = c.Public
		}
		for _, code := range []string{"dispute", "benefits", "elderly"} {
			if public[code] {
				t.Errorf("%s is public", code)
			}
		}
		if !public["repairs"] || !public["heating"] {
			t.Errorf("repairs and heating should be public: %v", public)
		}
		// Asking again writes nothing more; B gets its own tree.
		again, _ := w.s.Categories(ctx, w.A.Worker.Principal(), w.A.ID)
		b, err := w.s.Categories(ctx, w.B.Worker.Principal(), w.B.ID)
		if err != nil || len(again) != len(cats) || len(b) != len(cats) || b[0].ID == cats[0].ID {
			t.Fatalf("again %d, B %d (%v)", len(again), len(b), err)
		}
		if n := fixture.Count(t, d, "request_categories"); n != 2*len(cats) {
			t.Fatalf("%d category rows", n)
		}
		// Not a member of C: not found.
		if _, err := w.s.Categories(ctx, w.A.Worker.Principal(), w.C.ID); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("A's worker reading C's categories: %v", err)
		}
	})
}

// TestLifeCycle walks one request through every state, each step by the
// side whose step it is, and reads the timeline back.
func TestLifeCycle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		worker, partner := w.A.Worker.Principal(), w.A.Partner.Principal()
		r := w.submit(t, "楼上漏水到楼下，厨房天花板滴水")
		if !regexp.MustCompile(`^2025-000001$`).MatchString(r.Number) || r.Status != requests.Submitted {
			t.Fatalf("new request: %s %s", r.Number, r.Status)
		}
		if r.GridID != w.A.GridID || r.Place != "建胜小区1号楼" || r.RequesterName != "王建华" || r.RequesterPhone != "139****1234" {
			t.Fatalf("new request's place and requester: %+v", r)
		}
		if !slices.Equal(r.Actions, []requests.Action{requests.ActAccept, requests.ActReject, requests.ActMerge}) {
			t.Fatalf("actions offered: %v", r.Actions)
		}
		if r2 := w.submit(t, "第二件"); r2.Number != "2025-000002" {
			t.Fatalf("second number %s", r2.Number)
		}
		w.do(t, worker, r.ID, requests.Step{Action: requests.ActAccept})
		r = w.do(t, worker, r.ID, requests.Step{Action: requests.ActDispatch, Note: "请物业维修",
			Handler: &requests.Handler{Kind: requests.HandlerOrganisation, ID: w.A.OrgID}})
		if r.Status != requests.Dispatched || r.Handler == nil || r.Handler.Name != "德仁社工" {
			t.Fatalf("dispatched: %+v", r)
		}
		// The partner was told.
		var told int
		if err := d.QueryRow(ctx, `SELECT count(*) FROM notifications WHERE account_id = ? AND kind = 'request.dispatch'`, w.A.Partner.Account.ID).Scan(&told); err != nil || told != 1 {
			t.Fatalf("partner notifications: %d %v", told, err)
		}
		// The partner sees it now, and only handler steps are offered.
		pr, err := w.s.Get(ctx, partner, r.ID)
		if err != nil || !slices.Equal(pr.Actions, []requests.Action{requests.ActSign, requests.ActReturn}) {
			t.Fatalf("partner's view: %v %v", pr, err)
		}
		r = w.do(t, partner, r.ID, requests.Step{Action: requests.ActReturn, Reason: "不属于本单位维修范围"})
		if r.Status != requests.Returned {
			t.Fatalf("returned: %s", r.Status)
		}
		w.do(t, worker, r.ID, requests.Step{Action: requests.ActDispatch, Handler: &requests.Handler{Kind: requests.HandlerOrganisation, ID: w.A.OrgID}})
		w.Clock.Advance(30 * time.Minute)
		r = w.do(t, partner, r.ID, requests.Step{Action: requests.ActSign})
		if r.Status != requests.InProgress || r.SignedAt == nil {
			t.Fatalf("signed: %+v", r)
		}
		w.do(t, partner, r.ID, requests.Step{Action: requests.ActProgress, Note: "已上门查看，需更换水管"})
		until := w.Clock.Now().Add(72 * time.Hour)
		r = w.do(t, partner, r.ID, requests.Step{Action: requests.ActExtension, Reason: "等待配件", Until: &until})
		if r.Status != requests.ExtensionRequested {
			t.Fatalf("extension: %s", r.Status)
		}
		r = w.do(t, worker, r.ID, requests.Step{Action: requests.ActApproveExtension})
		if r.Status != requests.InProgress || r.FeedbackDue == nil || !r.FeedbackDue.Equal(until.UTC()) {
			t.Fatalf("approved extension: %s due %v", r.Status, r.FeedbackDue)
		}
		w.do(t, partner, r.ID, requests.Step{Action: requests.ActResult, Note: "已更换水管"})
		r = w.do(t, worker, r.ID, requests.Step{Action: requests.ActSendBack, Reason: "楼下仍有水渍"})
		if r.Status != requests.InProgress {
			t.Fatalf("sent back: %s", r.Status)
		}
		w.do(t, partner, r.ID, requests.Step{Action: requests.ActResult, Note: "已重新密封"})
		r = w.do(t, worker, r.ID, requests.Step{Action: requests.ActVerify})
		if r.Status != requests.AwaitingCallback {
			t.Fatalf("verified: %s", r.Status)
		}
		no := false
		r = w.do(t, worker, r.ID, requests.Step{Action: requests.ActCallback, Resolved: &no, Satisfaction: requests.Unsatisfied, Note: "电话回访"})
		if r.Status != requests.Closed || r.Resolved == nil || *r.Resolved || r.Satisfaction != requests.Unsatisfied || r.ClosedAt == nil {
			t.Fatalf("closed: %+v", r)
		}
		w.Clock.Advance(6 * 24 * time.Hour)
		r = w.do(t, worker, r.ID, requests.Step{Action: requests.ActReopen, Reason: "居民来电：仍然漏水"})
		if r.Status != requests.InProgress || r.Handler == nil || r.Handler.ID != w.A.OrgID || r.ReopenCount != 1 || r.Resolved != nil || r.ClosedAt != nil {
			t.Fatalf("reopened: %+v", r)
		}
		tl, err := w.s.Timeline(ctx, w.A.Admin.Principal(), r.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for i, e := range tl {
			if e.Seq != int64(i+1) {
				t.Fatalf("event %d has seq %d", i, e.Seq)
			}
			got = append(got, string(e.Action)+":"+string(e.To)+":"+e.ActorRole)
		}
		want := []string{"submit:submitted:worker", "accept:accepted:worker", "dispatch:dispatched:worker", "return:returned:partner",
			"dispatch:dispatched:worker", "sign:in_progress:partner", "progress:in_progress:partner",
			"extension:extension_requested:partner", "extension_approve:in_progress:worker", "result:result_submitted:partner",
			"send_back:in_progress:worker", "result:result_submitted:partner", "verify:awaiting_callback:worker",
			"callback:closed:worker", "reopen:in_progress:worker"}
		if !slices.Equal(got, want) {
			t.Fatalf("timeline\n got %v\nwant %v", got, want)
		}
		if tl[3].Reason != "不属于本单位维修范围" || tl[2].Handler == nil || tl[2].Handler.Kind != requests.HandlerOrganisation ||
			tl[13].Resolved == nil || *tl[13].Resolved || tl[13].Satisfaction != requests.Unsatisfied || tl[7].Until == nil ||
			tl[0].ActorName != "建胜路社区社工" || tl[0].From != "" {
			t.Fatalf("timeline details: %+v", tl)
		}
	})
}

// TestRefusals: steps the machine does not allow, steps without their
// reason, reopening too late: each refused with its key, nothing changed.
func TestRefusals(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		worker := w.A.Worker.Principal()
		r := w.submit(t, "路灯不亮")
		before := state(t, d, r.ID)
		cases := []struct {
			step      requests.Step
			code      apperr.Code
			key       string
			principal *accounts.Principal
		}{
			{requests.Step{Action: requests.ActSign}, apperr.Conflict, "request.transition.invalid", worker},
			{requests.Step{Action: requests.ActVerify}, apperr.Conflict, "request.transition.invalid", worker},
			{requests.Step{Action: requests.ActReopen, Reason: "没修好"}, apperr.Conflict, "request.transition.invalid", worker},
			{requests.Step{Action: "approve_everything"}, apperr.Invalid, "request.action.unknown", worker},
			{requests.Step{Action: requests.ActReject}, apperr.Invalid, "request.reason.required", worker},
			{requests.Step{Action: requests.ActReject, Reason: " "}, apperr.Invalid, "request.reason.required", worker},
			{requests.Step{Action: requests.ActReject, Reason: "<b>不予受理</b>"}, apperr.Invalid, "request.text.html", worker},
			{requests.Step{Action: requests.ActMerge}, apperr.Invalid, "request.merge.target", worker},
			{requests.Step{Action: requests.ActMerge, Into: r.ID}, apperr.Invalid, "request.merge.target", worker},
			// The partner cannot see a request not dispatched to it.
			{requests.Step{Action: requests.ActSign}, apperr.NotFound, "error.not_found", w.A.Partner.Principal()},
			{requests.Step{Action: requests.ActAccept}, apperr.NotFound, "error.not_found", w.B.Admin.Principal()},
		}
		for _, c := range cases {
			_, err := w.s.Do(ctx, c.principal, r.ID, c.step)
			wantErr(t, err, c.code, c.key)
			if after := state(t, d, r.ID); after != before {
				t.Fatalf("%s changed the request: %s -> %s", c.step.Action, before, after)
			}
		}
		w.do(t, worker, r.ID, requests.Step{Action: requests.ActAccept})
		before = state(t, d, r.ID)
		// (No handler at all follows the routing: deadlines_test.go.)
		for _, h := range []*requests.Handler{{Kind: "plumber", ID: 1}, {Kind: requests.HandlerTeam, ID: w.B.TeamID},
			{Kind: requests.HandlerOrganisation, ID: 99999}, {Kind: requests.HandlerAccount, ID: w.A.Resident.Account.ID}} {
			_, err := w.s.Do(ctx, worker, r.ID, requests.Step{Action: requests.ActDispatch, Handler: h})
			if !apperr.Is(err, apperr.Invalid) || state(t, d, r.ID) != before {
				t.Fatalf("dispatch to %+v: %v", h, err)
			}
		}
		// Walk to closed, then try to reopen on day 8.
		w.do(t, worker, r.ID, requests.Step{Action: requests.ActDispatch, Handler: &requests.Handler{Kind: requests.HandlerTeam, ID: w.A.TeamID}})
		leader := w.A.Leader.Principal()
		// A partner with a request dispatched elsewhere: not found.
		_, err := w.s.Do(ctx, w.A.Partner.Principal(), r.ID, requests.Step{Action: requests.ActSign})
		wantErr(t, err, apperr.NotFound, "")
		w.do(t, leader, r.ID, requests.Step{Action: requests.ActSign})
		// The leader may not take office steps.
		_, err = w.s.Do(ctx, leader, r.ID, requests.Step{Action: requests.ActVerify})
		wantErr(t, err, apperr.Forbidden, "request.side.forbidden")
		_, err = w.s.Do(ctx, leader, r.ID, requests.Step{Action: requests.ActResult})
		wantErr(t, err, apperr.Invalid, "request.note.required")
		past := w.Clock.Now().Add(-time.Hour)
		_, err = w.s.Do(ctx, leader, r.ID, requests.Step{Action: requests.ActExtension, Reason: "人手不足", Until: &past})
		wantErr(t, err, apperr.Invalid, "request.until.past")
		w.do(t, leader, r.ID, requests.Step{Action: requests.ActResult, Note: "已修好路灯"})
		w.do(t, worker, r.ID, requests.Step{Action: requests.ActVerify})
		before = state(t, d, r.ID)
		_, err = w.s.Do(ctx, worker, r.ID, requests.Step{Action: requests.ActCallback, Satisfaction: requests.Satisfied})
		wantErr(t, err, apperr.Invalid, "request.resolved.required")
		yes := true
		_, err = w.s.Do(ctx, worker, r.ID, requests.Step{Action: requests.ActCallback, Resolved: &yes, Satisfaction: "很好"})
		wantErr(t, err, apperr.Invalid, "request.satisfaction.invalid")
		if state(t, d, r.ID) != before {
			t.Fatal("a refused callback changed the request")
		}
		w.do(t, worker, r.ID, requests.Step{Action: requests.ActCallback, Resolved: &yes, Satisfaction: requests.BasicSatisfied})
		w.Clock.Advance(7*24*time.Hour + time.Minute)
		before = state(t, d, r.ID)
		_, err = w.s.Do(ctx, worker, r.ID, requests.Step{Action: requests.ActReopen, Reason: "又坏了"})
		wantErr(t, err, apperr.Conflict, "request.reopen.expired")
		if state(t, d, r.ID) != before {
			t.Fatal("a late reopen changed the request")
		}
	})
}

func TestIntakeRefusals(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		worker := w.A.Worker.Principal()
		ok := requests.Input{Channel: requests.ChannelWalkIn, Kind: requests.KindComplaint, CategoryID: w.cats["environment"],
			Address: "建胜路与新华路路口", Description: "垃圾桶满了没人清", ContactName: "赵先生", ContactPhone: "13900001111"}
		bCats, err := w.s.Categories(ctx, w.B.Worker.Principal(), w.B.ID)
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name  string
			edit  func(*requests.Input)
			field string
			key   string
		}{
			{"long description", func(in *requests.Input) { in.Description = strings.Repeat("水", requests.MaxDescription+1) }, "description", "request.text.long"},
			{"html", func(in *requests.Input) { in.Description = `漏水<script>alert(1)</script>` }, "description", "request.text.html"},
			{"html img", func(in *requests.Input) { in.Description = `看图 <img src=x onerror=alert(1)>` }, "description", "request.text.html"},
			{"empty description", func(in *requests.Input) { in.Description = "  " }, "description", "request.description.required"},
			{"unknown category", func(in *requests.Input) { in.CategoryID = 99999 }, "category_id", "request.category.unknown"},
			{"B's category", func(in *requests.Input) { in.CategoryID = bCats[0].ID }, "category_id", "request.category.unknown"},
			{"no category", func(in *requests.Input) { in.CategoryID = 0 }, "category_id", "request.category.unknown"},
			{"no place", func(in *requests.Input) { in.Address = "" }, "address", "request.place.required"},
			{"B's building", func(in *requests.Input) { in.BuildingID = w.bB }, "building_id", "request.place.unknown"},
			{"no requester", func(in *requests.Input) { in.ContactName = "" }, "contact_name", "request.requester.required"},
			{"bad phone", func(in *requests.Input) { in.ContactPhone = "call me" }, "contact_phone", "request.phone.invalid"},
			{"bad channel", func(in *requests.Input) { in.Channel = "fax" }, "channel", "request.channel.invalid"},
			{"open311 channel", func(in *requests.Input) { in.Channel = requests.ChannelOpen311 }, "channel", "request.channel.invalid"},
			{"bad kind", func(in *requests.Input) { in.Kind = "praise" }, "kind", "request.kind.invalid"},
			{"bad urgency", func(in *requests.Input) { in.Urgency = "asap" }, "urgency", "request.urgency.invalid"},
		}
		for _, c := range cases {
			in := ok
			c.edit(&in)
			_, err := w.s.Submit(ctx, worker, w.A.ID, in)
			e := apperr.From(err)
			if !apperr.Is(err, apperr.Invalid) || e.Fields[c.field].Key != c.key {
				t.Errorf("%s: %v, want %s on %s", c.name, err, c.key, c.field)
			}
		}
		if n := fixture.Count(t, d, "requests"); n != 0 {
			t.Fatalf("%d requests written by refused intakes", n)
		}
		// Exactly 4,000 characters pass.
		in := ok
		in.Description = strings.Repeat("水", requests.MaxDescription)
		if _, err := w.s.Submit(ctx, worker, w.A.ID, in); err != nil {
			t.Fatalf("4000 characters: %v", err)
		}
		// A partner and a volunteer cannot register requests; B's worker not in A.
		for _, p := range []*accounts.Principal{w.A.Partner.Principal(), w.A.Volunteer.Principal()} {
			if _, err := w.s.Submit(ctx, p, w.A.ID, ok); !apperr.Is(err, apperr.Forbidden) {
				t.Errorf("%s submitted: %v", p.Username, err)
			}
		}
		if _, err := w.s.Submit(ctx, w.B.Worker.Principal(), w.A.ID, ok); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("B's worker submitted in A: %v", err)
		}
	})
}

// TestAudit: opening a request audits the requester's data; the phone is
// shown masked and revealed only with a reason, audited.
func TestAudit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		worker := w.A.Worker.Principal()
		r, err := w.s.Submit(ctx, worker, w.A.ID, requests.Input{Channel: requests.ChannelPhone, Kind: requests.KindHelp,
			CategoryID: w.cats["elderly"], ResidentID: w.res, Description: "需要帮忙买菜"})
		if err != nil {
			t.Fatal(err)
		}
		if r.HouseholdID != w.h1 || r.Place != "建胜小区1号楼1单元101" {
			t.Fatalf("the resident's home is the default place: %+v", r)
		}
		page, err := w.s.List(ctx, worker, requests.Filter{CommunityID: w.A.ID})
		if err != nil || page.Total != 1 || page.Items[0].RequesterName != "张*英" || page.Items[0].RequesterPhone != "138****5678" {
			t.Fatalf("list: %+v %v", page, err)
		}
		got, err := w.s.Get(ctx, worker, r.ID)
		if err != nil || got.RequesterName != "张秀英" || got.RequesterPhone != "138****5678" {
			t.Fatalf("get: %+v %v", got, err)
		}
		if _, err := w.s.RevealPhone(ctx, worker, r.ID, ""); !apperr.Is(err, apperr.Invalid) {
			t.Fatalf("reveal without a reason: %v", err)
		}
		phone, err := w.s.RevealPhone(ctx, worker, r.ID, "回访核实")
		if err != nil || phone != residentPhone {
			t.Fatalf("reveal: %q %v", phone, err)
		}
		// The requester herself may read but not reveal (she knows it).
		if _, err := w.s.RevealPhone(ctx, w.A.Resident.Principal(), r.ID, "看看"); !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("resident reveal: %v", err)
		}
		entries, _, err := audit.List(ctx, d, audit.Filter{Action: "request."})
		if err != nil {
			t.Fatal(err)
		}
		var acts []string
		for _, e := range entries {
			acts = append(acts, e.Action+":"+strings.Join(e.Fields, "+")+":"+e.Detail)
		}
		want := []string{"request.reveal:requester_phone:回访核实", "request.view:requester_name+requester_phone_masked:",
			"request.submit::" + r.Number}
		if !slices.Equal(acts, want) {
			t.Fatalf("audit\n got %v\nwant %v", acts, want)
		}
	})
}

func TestMerge(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		worker := w.A.Worker.Principal()
		first, dup, closed := w.submit(t, "2号楼停水"), w.submit(t, "2号楼没水了"), w.submit(t, "已处理")
		w.do(t, worker, closed.ID, requests.Step{Action: requests.ActReject, Reason: "重复来电"})
		before := state(t, d, dup.ID)
		for _, into := range []int64{closed.ID, dup.ID, 99999} {
			_, err := w.s.Do(ctx, worker, dup.ID, requests.Step{Action: requests.ActMerge, Into: into})
			wantErr(t, err, apperr.Invalid, "request.merge.target")
		}
		if state(t, d, dup.ID) != before {
			t.Fatal("a refused merge changed the request")
		}
		r := w.do(t, worker, dup.ID, requests.Step{Action: requests.ActMerge, Into: first.ID})
		if r.Status != requests.Merged || r.MergedInto != first.ID || len(r.Links) != 1 || r.Links[0].ID != first.ID || r.Links[0].Kind != "duplicate" {
			t.Fatalf("merged: %+v", r)
		}
		f, err := w.s.Get(ctx, worker, first.ID)
		if err != nil || len(f.Links) != 1 || f.Links[0].ID != dup.ID || f.Status != requests.Submitted {
			t.Fatalf("target: %+v %v", f, err)
		}
		tl, _ := w.s.Timeline(ctx, worker, first.ID)
		if len(tl) != 2 || tl[1].Action != "absorb" || tl[1].Note != dup.Number {
			t.Fatalf("target timeline: %+v", tl)
		}
		// A merged request takes no more steps.
		_, err = w.s.Do(ctx, worker, dup.ID, requests.Step{Action: requests.ActAccept})
		wantErr(t, err, apperr.Conflict, "request.transition.invalid")
	})
}
