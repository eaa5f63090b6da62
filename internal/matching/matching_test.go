package matching_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/jobs"
	"github.com/linli/linli/internal/matching"
	"github.com/linli/linli/internal/notify"
	"github.com/linli/linli/internal/registry"
	"github.com/linli/linli/internal/requests"
	"github.com/linli/linli/internal/secret"
	"github.com/linli/linli/internal/tenancy"
	"github.com/linli/linli/internal/testkit/dbtest"
	"github.com/linli/linli/internal/testkit/fixture"
)

type world struct {
	*fixture.World
	d      *db.DB
	req    *requests.Service
	m      *matching.Service
	b1, b2 int64
	cats   map[string]int64
	vols   map[string]int64 // by name
}

// setup: building 1 in A's grid, building 2 in a second grid, and these
// volunteers of A (and one of B):
//
//	电工老赵  家电维修, lives in b1, free every morning
//	水电小钱  水电维修, lives in b2
//	邻居孙姐  no skill, lives in b1
//	忙碌老李  家电维修, lives in b1, free every morning (given open requests in tests)
//	小明      a child in b1 with a skill: never a candidate
//	歇着的周  家电维修 in b1, inactive: never a candidate
//	外社区吴  家电维修, of community B
func setup(t *testing.T, d *db.DB) *world {
	t.Helper()
	ctx := context.Background()
	f := fixture.New(t, d)
	keys, _ := secret.New([]byte(strings.Repeat("m", 40)))
	reg := registry.New(d, keys, f.Clock)
	n := notify.New(d, notify.Config{Clock: f.Clock})
	n.Register(jobs.NewRunner(d, jobs.Config{Clock: f.Clock}))
	req := requests.New(d, keys, f.Clock, reg, n)
	w := &world{World: f, d: d, req: req, m: matching.New(d, f.Clock, req), vols: map[string]int64{}}
	now := f.Clock.Now()
	grid2, err := f.Tenancy.CreateGrid(ctx, d, tenancy.Grid{CommunityID: f.A.ID, Number: 2, Name: "第二网格"}, now)
	if err != nil {
		t.Fatal(err)
	}
	mornings := int64(0)
	for day := range 7 {
		mornings |= 1 << (day * 3)
	}
	err = d.InTx(ctx, func(tx *db.Tx) error {
		skill := map[string]int64{}
		for _, cid := range []int64{f.A.ID, f.B.ID} {
			for _, name := range []string{"家电维修", "水电维修", "书法"} {
				var id int64
				if err := tx.QueryRow(ctx, `INSERT INTO skills (community_id, name, created_at) VALUES (?, ?, ?) RETURNING id`, cid, name, now).Scan(&id); err != nil {
					return err
				}
				skill[fmt.Sprint(cid, name)] = id
			}
		}
		l := reg.NewLoader(tx, f.A.ID)
		if w.b1, err = l.Building(ctx, registry.Place{Estate: "建胜小区", Building: "1", GridID: f.A.GridID}); err != nil {
			return err
		}
		if w.b2, err = l.Building(ctx, registry.Place{Estate: "建胜小区", Building: "2", GridID: grid2}); err != nil {
			return err
		}
		h1, err := l.Household(ctx, w.b1, "1", "101", "")
		if err != nil {
			return err
		}
		h2, err := l.Household(ctx, w.b2, "1", "201", "")
		if err != nil {
			return err
		}
		n := 0
		add := func(cid, household int64, name, birth, status string, avail int64, skills ...string) error {
			n++
			var rid any
			if household != 0 {
				id, _, err := l.Resident(ctx, registry.Input{HouseholdID: household, Name: name, BirthDate: birth, Relation: "其他"}, time.Time{})
				if err != nil {
					return fmt.Errorf("resident %s: %w", name, err)
				}
				rid = id
			}
			var id int64
			if err := tx.QueryRow(ctx, `INSERT INTO volunteers (community_id, number, resident_id, name, birth_date, availability, status, registered_via, registered_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, 'worker', ?, ?) RETURNING id`, cid, fmt.Sprintf("M-%03d", n), rid, map[bool]string{true: name, false: ""}[rid == nil],
				map[bool]any{true: birth, false: nil}[rid == nil], avail, status, now, now).Scan(&id); err != nil {
				return fmt.Errorf("volunteer %s: %w", name, err)
			}
			for _, s := range skills {
				if _, err := tx.Exec(ctx, `INSERT INTO volunteer_skills (volunteer_id, skill_id) VALUES (?, ?)`, id, skill[fmt.Sprint(cid, s)]); err != nil {
					return err
				}
			}
			w.vols[name] = id
			return nil
		}
		for _, v := range []struct {
			cid, h      int64
			name, birth string
			status      string
			avail       int64
			skills      []string
		}{
			{f.A.ID, h1, "电工老赵", "1965-04-02", "active", mornings, []string{"家电维修", "书法"}},
			{f.A.ID, h2, "水电小钱", "1990-08-15", "active", 0, []string{"水电维修"}},
			{f.A.ID, h1, "邻居孙姐", "1970-01-20", "active", 0, nil},
			{f.A.ID, h1, "忙碌老李", "1962-11-11", "active", mornings, []string{"家电维修"}},
			{f.A.ID, h1, "小明", "2016-06-01", "active", mornings, []string{"家电维修"}},
			{f.A.ID, h1, "歇着的周", "1960-03-03", "retired", mornings, []string{"家电维修"}},
			{f.B.ID, 0, "外社区吴", "1970-05-05", "active", mornings, []string{"家电维修"}},
		} {
			if err := add(v.cid, v.h, v.name, v.birth, v.status, v.avail, v.skills...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	cats, err := req.Categories(ctx, f.A.Worker.Principal(), f.A.ID)
	if err != nil {
		t.Fatal(err)
	}
	w.cats = map[string]int64{}
	for _, c := range cats {
		w.cats[c.Code] = c.ID
	}
	return w
}

func (w *world) submit(t *testing.T, cat string, building int64) int64 {
	t.Helper()
	r, err := w.req.Submit(context.Background(), w.A.Worker.Principal(), w.A.ID, requests.Input{
		Channel: requests.ChannelPhone, Kind: requests.KindHelp, CategoryID: w.cats[cat], BuildingID: building,
		Description: "电水壶不加热了", Urgency: requests.UrgencyGeneral, ContactName: "王大爷", ContactPhone: "13900001111",
	})
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	return r.ID
}

func (w *world) dispatchTo(t *testing.T, id, vid int64) {
	t.Helper()
	ctx := context.Background()
	p := w.A.Worker.Principal()
	for _, st := range []requests.Step{{Action: requests.ActAccept},
		{Action: requests.ActDispatch, Handler: &requests.Handler{Kind: requests.HandlerVolunteer, ID: vid}}} {
		if _, err := w.req.Do(ctx, p, id, st); err != nil {
			t.Fatalf("%s: %v", st.Action, err)
		}
	}
}

func names(w *world, ss []matching.Suggestion) []string {
	by := map[int64]string{}
	for n, id := range w.vols {
		by[id] = n
	}
	var out []string
	for _, s := range ss {
		out = append(out, by[s.VolunteerID])
	}
	return out
}

func reasons(s matching.Suggestion) map[string]matching.Reason {
	out := map[string]matching.Reason{}
	for _, r := range s.Reasons {
		out[r.Key] = r
	}
	return out
}

func TestSuggestionsAreRankedAndExplained(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		// A Monday morning, so that the morning volunteers are free.
		for w.Clock.Now().In(time.FixedZone("CST", 8*3600)).Weekday() != time.Monday || w.Clock.Now().In(time.FixedZone("CST", 8*3600)).Hour() != 9 {
			w.Clock.Advance(time.Hour)
		}
		repair := w.submit(t, "repairs", w.b1)
		// 忙碌老李 already has two open requests and was asked today.
		for range 2 {
			w.dispatchTo(t, w.submit(t, "repairs", w.b2), w.vols["忙碌老李"])
		}
		got, err := w.m.Suggest(ctx, w.A.Worker.Principal(), repair, 10)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"电工老赵", "忙碌老李", "水电小钱", "邻居孙姐"}
		if g := names(w, got); strings.Join(g, ",") != strings.Join(want, ",") {
			t.Fatalf("suggested %v, want %v (children, the inactive and B's never)", g, want)
		}
		// Each score is the sum of its reasons, and the reasons say why.
		wantScores := []float64{
			matching.WeightSkill + matching.WeightBuilding + matching.WeightAvailable + matching.WeightFairness,
			matching.WeightSkill + matching.WeightBuilding + matching.WeightAvailable + 2*matching.WeightLoad,
			matching.WeightSkill + matching.WeightFairness,
			matching.WeightBuilding + matching.WeightFairness,
		}
		for i, s := range got {
			sum := 0.0
			for _, r := range s.Reasons {
				sum += r.Points
			}
			if s.Score != wantScores[i] || sum != s.Score {
				t.Errorf("%s: score %v (reasons add to %v), want %v; reasons %+v", want[i], s.Score, sum, wantScores[i], s.Reasons)
			}
		}
		zhao := reasons(got[0])
		if zhao["match.skill"].Args["skills"] != "家电维修" || zhao["match.same_building"].Key == "" || zhao["match.available_now"].Key == "" || zhao["match.never_asked"].Key == "" {
			t.Errorf("老赵's reasons: %+v", got[0].Reasons)
		}
		li := reasons(got[1])
		if li["match.open_load"].Args["open"] != 2 || li["match.asked_recently"].Args["days"] != 0 {
			t.Errorf("老李's reasons: %+v", got[1].Reasons)
		}
		if got[2].Name != "水电小钱" || got[2].Number == "" {
			t.Errorf("suggestion without its volunteer's name and number: %+v", got[2])
		}
		// Water for building 2: 水电小钱 lives there and fits.
		water := w.submit(t, "water", w.b2)
		got, err = w.m.Suggest(ctx, w.A.Worker.Principal(), water, 1)
		if err != nil || len(got) != 1 || got[0].VolunteerID != w.vols["水电小钱"] {
			t.Fatalf("water in b2: %v %v, want 水电小钱 alone", names(w, got), err)
		}
	})
}

// After a dispatch, the one asked drops by the load and the fairness
// they had: the next similar request goes to someone else.
func TestSuggestionsAreFair(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		first := w.submit(t, "repairs", w.b1)
		got, err := w.m.Suggest(ctx, w.A.Worker.Principal(), first, 2)
		if err != nil || len(got) != 2 {
			t.Fatalf("suggest: %v %v", got, err)
		}
		top, second := got[0], got[1]
		w.dispatchTo(t, first, top.VolunteerID)
		next := w.submit(t, "repairs", w.b1)
		again, err := w.m.Suggest(ctx, w.A.Worker.Principal(), next, 2)
		if err != nil || len(again) != 2 {
			t.Fatalf("suggest again: %v %v", again, err)
		}
		if again[0].VolunteerID != second.VolunteerID || again[1].VolunteerID != top.VolunteerID {
			t.Fatalf("after dispatching to %d: %v, want %d first", top.VolunteerID, names(w, again), second.VolunteerID)
		}
		if drop := top.Score - again[1].Score; drop != -matching.WeightLoad+matching.WeightFairness {
			t.Fatalf("the one asked dropped by %v, want %v", drop, -matching.WeightLoad+matching.WeightFairness)
		}
	})
}

func TestSuggestionsOnlyForDispatchers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		id := w.submit(t, "repairs", w.b1)
		for _, c := range []struct {
			who  string
			p    *accounts.Principal
			code apperr.Code
		}{
			{"B's worker", w.B.Worker.Principal(), apperr.NotFound},
			{"A's partner", w.A.Partner.Principal(), apperr.NotFound},
			{"A's resident", w.A.Resident.Principal(), apperr.NotFound},
			{"A's volunteer", w.A.Volunteer.Principal(), apperr.NotFound},
		} {
			_, err := w.m.Suggest(ctx, c.p, id, 10)
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Code != c.code {
				t.Errorf("%s: %v, want %v", c.who, err, c.code)
			}
		}
		if got, err := w.m.Suggest(ctx, w.A.Grid.Principal(), id, 3); err != nil || len(got) != 3 {
			t.Errorf("A's grid worker on a request of their grid: %v %v", got, err)
		}
		_, err := w.m.Suggest(ctx, w.A.Worker.Principal(), id, 51)
		var ae *apperr.Error
		if !errors.As(err, &ae) || ae.Code != apperr.Invalid {
			t.Errorf("limit 51: %v, want invalid", err)
		}
	})
}
