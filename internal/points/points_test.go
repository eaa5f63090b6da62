package points_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/calendar"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/hours"
	"github.com/linli/linli/internal/points"
	"github.com/linli/linli/internal/registry"
	"github.com/linli/linli/internal/secret"
	"github.com/linli/linli/internal/testkit/dbtest"
	"github.com/linli/linli/internal/testkit/fixture"
	"github.com/linli/linli/internal/volunteers"
)

type world struct {
	*fixture.World
	d      *db.DB
	h      *hours.Service
	p      *points.Service
	office *accounts.Principal
	vols   []int64 // vols[0] leads the fixture team; all are members
}

func setup(t *testing.T, d *db.DB) *world {
	t.Helper()
	f := fixture.New(t, d)
	keys, _ := secret.New([]byte(strings.Repeat("p", 40)))
	reg := registry.New(d, keys, f.Clock)
	vol := volunteers.New(d, keys, f.Clock, reg, f.Accounts)
	w := &world{World: f, d: d, office: f.A.Worker.Principal()}
	w.h = hours.New(d, f.Clock, calendar.New(d, f.Clock), vol)
	w.p = points.New(d, f.Clock, vol)
	ctx := context.Background()
	f.Clock.Set(time.Date(2023, 1, 2, 9, 0, 0, 0, clock.Shanghai))
	for i := range 4 {
		v, err := vol.Register(ctx, w.office, f.A.ID, volunteers.Input{Person: &volunteers.Person{Name: fmt.Sprintf("志愿者%d", i),
			BirthDate: "1970-05-05", Phone: fmt.Sprintf("1390000000%d", i)}, Consent: volunteers.ConsentInput{General: true}})
		if err != nil {
			t.Fatal(err)
		}
		role := ""
		if i == 0 {
			role = volunteers.RoleLeader
		}
		if _, err := vol.Join(ctx, w.office, f.A.TeamID, v.ID, role); err != nil {
			t.Fatal(err)
		}
		w.vols = append(w.vols, v.ID)
	}
	f.Clock.Set(fixture.Start)
	return w
}

func (w *world) record(t *testing.T, date, start, end string, vids ...int64) []hours.Record {
	t.Helper()
	recs, err := w.h.Record(context.Background(), w.office, w.A.ID, hours.Input{TeamID: w.A.TeamID, ActivityName: "集中维修日", Date: date,
		Start: start, End: end, Place: "社区广场", Content: "维修小家电", PersonInCharge: "赵建国", Volunteers: vids})
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func (w *world) balance(t *testing.T, vid int64) int {
	t.Helper()
	s, err := w.p.SummaryOf(context.Background(), w.office, w.A.ID, vid)
	if err != nil {
		t.Fatal(err)
	}
	return s.Balance
}

// invariant: every transaction sums to zero, and the cached balances are
// the sums of the volunteer accounts, never below zero.
func invariant(t *testing.T, d *db.DB) {
	t.Helper()
	ctx := context.Background()
	var bad int
	d.QueryRow(ctx, `SELECT count(*) FROM (SELECT txn FROM point_entries GROUP BY txn HAVING SUM(amount) <> 0) x`).Scan(&bad)
	if bad != 0 {
		t.Errorf("%d unbalanced transactions", bad)
	}
	d.QueryRow(ctx, `SELECT count(*) FROM point_balances b WHERE b.balance < 0 OR b.balance <> (SELECT COALESCE(SUM(e.amount), 0)
		FROM point_entries e WHERE e.volunteer_id = b.volunteer_id AND e.account = 'volunteer')`).Scan(&bad)
	if bad != 0 {
		t.Errorf("%d balances disagree with the ledger or are negative", bad)
	}
}

func TestEarnByRulesAndReverse(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		recs := w.record(t, "2025-03-01", "09:00", "11:30", w.vols[0], w.vols[1])
		// 2.5 h × 10 = 25; the leader earns 5 more.
		if b := w.balance(t, w.vols[0]); b != 30 {
			t.Errorf("leader: %d points, want 30", b)
		}
		if b := w.balance(t, w.vols[1]); b != 25 {
			t.Errorf("member: %d points, want 25", b)
		}
		// Settling again earns nothing more.
		if b := w.balance(t, w.vols[1]); b != 25 {
			t.Errorf("after a second settlement: %d", b)
		}
		// A long day is capped at 50.
		w.record(t, "2025-03-01", "13:00", "18:00", w.vols[1])
		if b := w.balance(t, w.vols[1]); b != 50 {
			t.Errorf("capped day: %d points, want 50", b)
		}
		// Points follow a reversal back out.
		if _, err := w.h.Reverse(ctx, w.office, recs[1].ID, "当天请假"); err != nil {
			t.Fatal(err)
		}
		if b := w.balance(t, w.vols[1]); b != 25 {
			t.Errorf("after reversal: %d points, want 25", b)
		}
		// Tiers weigh categories: an emergency hour is worth 15 at 150%.
		rules := points.DefaultRules
		rules.Tiers = map[string]int{"emergency": 150}
		if err := w.p.SetRules(ctx, w.office, w.A.ID, rules); err != nil {
			t.Fatal(err)
		}
		if _, err := w.h.Record(ctx, w.office, w.A.ID, hours.Input{TeamID: w.A.TeamID, ActivityName: "雪后扫雪", Date: "2025-03-02",
			Start: "08:00", End: "10:00", Place: "主干道", Content: "清扫积雪", PersonInCharge: "赵建国", Category: "emergency", Volunteers: []int64{w.vols[2]}}); err != nil {
			t.Fatal(err)
		}
		if b := w.balance(t, w.vols[2]); b != 30 {
			t.Errorf("two emergency hours at 150%%: %d points, want 30", b)
		}
		if err := w.p.SetRules(ctx, w.office, w.A.ID, points.Rules{PerHour: 10, DailyCap: 50, Tiers: map[string]int{"karaoke": 200}}); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("a tier of an unknown category: %v", err)
		}
		// Rules are the office's; bad ones are refused.
		if err := w.p.SetRules(ctx, w.A.Leader.Principal(), w.A.ID, points.DefaultRules); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("leader sets rules: %v", err)
		}
		if err := w.p.SetRules(ctx, w.office, w.A.ID, points.Rules{PerHour: -1, DailyCap: 0}); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("bad rules: %v", err)
		}
		invariant(t, d)
	})
}

func TestShop(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		w.record(t, "2025-03-01", "09:00", "11:00", w.vols[1]) // 20 points
		oil, err := w.p.SaveItem(ctx, w.office, w.A.ID, points.Item{Name: "食用油一桶", Cost: 15, Stock: 3, Active: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.p.SaveItem(ctx, w.office, w.A.ID, points.Item{Name: "", Cost: 0, Stock: -1}); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("bad item: %v", err)
		}
		// More than held: refused, nothing taken.
		_, err = w.p.Redeem(ctx, w.office, w.A.ID, w.vols[1], oil.ID, 2)
		if !apperr.Is(err, apperr.Conflict) || apperr.From(err).Key != "points.insufficient" {
			t.Fatalf("redeem 30 with 20: %v", err)
		}
		items, _ := w.p.Items(ctx, w.office, w.A.ID)
		if items[0].Stock != 3 || w.balance(t, w.vols[1]) != 20 {
			t.Errorf("a refused redemption changed stock %d or balance", items[0].Stock)
		}
		red, err := w.p.Redeem(ctx, w.office, w.A.ID, w.vols[1], oil.ID, 1)
		if err != nil || red.Points != 15 || w.balance(t, w.vols[1]) != 5 {
			t.Fatalf("redeem: %+v %v", red, err)
		}
		// Another volunteer may not spend someone's points.
		if _, err := w.p.Redeem(ctx, w.A.Volunteer.Principal(), w.A.ID, w.vols[1], oil.ID, 1); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("spending another's points: %v", err)
		}
		// A return gives points and stock back, once.
		if _, err := w.p.Return(ctx, w.office, red.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := w.p.Return(ctx, w.office, red.ID); !apperr.Is(err, apperr.Conflict) {
			t.Errorf("second return: %v", err)
		}
		items, _ = w.p.Items(ctx, w.office, w.A.ID)
		if items[0].Stock != 3 || w.balance(t, w.vols[1]) != 20 {
			t.Errorf("after return: stock %d, balance %d", items[0].Stock, w.balance(t, w.vols[1]))
		}
		invariant(t, d)
	})
}

// Two volunteers race for the last item; one volunteer races with
// herself to spend more than she has. Stock and balances never go below
// zero, on both databases.
func TestConcurrentRedemptions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		w.record(t, "2025-03-01", "09:00", "12:00", w.vols[1], w.vols[2], w.vols[3]) // 30 each
		last, err := w.p.SaveItem(ctx, w.office, w.A.ID, points.Item{Name: "电饭煲", Cost: 10, Stock: 1, Active: true})
		if err != nil {
			t.Fatal(err)
		}
		soap, _ := w.p.SaveItem(ctx, w.office, w.A.ID, points.Item{Name: "洗衣液", Cost: 7, Stock: 100, Active: true})
		for _, v := range w.vols[1:] {
			w.balance(t, v) // settled before the race
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		won, outOfStock, poor := 0, 0, 0
		tally := func(err error) {
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won++
			case apperr.Is(err, apperr.Conflict) && apperr.From(err).Key == "points.out_of_stock":
				outOfStock++
			case apperr.Is(err, apperr.Conflict) && apperr.From(err).Key == "points.insufficient":
				poor++
			default:
				t.Error(err)
			}
		}
		for _, v := range w.vols[2:] {
			wg.Add(1)
			go func() { defer wg.Done(); tally(must(w.p.Redeem(ctx, w.office, w.A.ID, v, last.ID, 1))) }()
		}
		wg.Wait()
		if won != 1 || outOfStock != 1 {
			t.Errorf("race for the last item: %d won, %d out of stock", won, outOfStock)
		}
		won, poor = 0, 0
		for range 8 { // 8 × 7 = 56 > 30
			wg.Add(1)
			go func() { defer wg.Done(); tally(must(w.p.Redeem(ctx, w.office, w.A.ID, w.vols[1], soap.ID, 1))) }()
		}
		wg.Wait()
		if won != 4 || poor != 4 || w.balance(t, w.vols[1]) != 2 {
			t.Errorf("spending race: %d won, %d refused, balance %d; want 4, 4, 2", won, poor, w.balance(t, w.vols[1]))
		}
		items, _ := w.p.Items(ctx, w.office, w.A.ID)
		for _, it := range items {
			if (it.ID == last.ID && it.Stock != 0) || (it.ID == soap.ID && it.Stock != 96) {
				t.Errorf("stock of %s: %d", it.Name, it.Stock)
			}
		}
		invariant(t, d)
	})
}

// must keeps only the error of a call.
func must[T any](_ T, err error) error { return err }

func TestYearlyExpiry(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		rules := points.DefaultRules
		rules.ExpireYearly = true
		if err := w.p.SetRules(ctx, w.office, w.A.ID, rules); err != nil {
			t.Fatal(err)
		}
		w.Clock.Set(time.Date(2023, 5, 10, 12, 0, 0, 0, clock.Shanghai))
		w.record(t, "2023-05-06", "09:00", "11:00", w.vols[1]) // 20, earned 2023
		w.balance(t, w.vols[1])
		w.Clock.Set(time.Date(2024, 6, 10, 12, 0, 0, 0, clock.Shanghai))
		w.record(t, "2024-06-08", "09:00", "10:00", w.vols[1]) // 10, earned 2024
		if b := w.balance(t, w.vols[1]); b != 30 {
			t.Fatalf("2024: %d", b)
		}
		// In 2025 what was earned in 2023 is gone; 2024's stays to its end.
		w.Clock.Set(time.Date(2025, 1, 2, 9, 0, 0, 0, clock.Shanghai))
		s, err := w.p.SummaryOf(ctx, w.office, w.A.ID, w.vols[1])
		if err != nil || s.Balance != 10 || s.Expired != 20 {
			t.Fatalf("2025: %+v %v", s, err)
		}
		if b := w.balance(t, w.vols[1]); b != 10 {
			t.Errorf("expiry ran twice: %d", b)
		}
		invariant(t, d)
	})
}
