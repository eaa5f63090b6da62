package hours_test

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
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/hours"
	"github.com/linli/linli/internal/registry"
	"github.com/linli/linli/internal/secret"
	"github.com/linli/linli/internal/testkit/dbtest"
	"github.com/linli/linli/internal/testkit/fixture"
	"github.com/linli/linli/internal/volunteers"
)

// world: community A of the fixture with five outside-adult volunteers,
// the first three in the fixture leader's team, and a second team.
type world struct {
	*fixture.World
	d      *db.DB
	h      *hours.Service
	vol    *volunteers.Service
	office *accounts.Principal
	leader *accounts.Principal
	vols   []int64
	other  int64 // a team the leader does not lead
}

func setup(t *testing.T, d *db.DB) *world {
	t.Helper()
	f := fixture.New(t, d)
	keys, err := secret.New([]byte(strings.Repeat("h", 40)))
	if err != nil {
		t.Fatal(err)
	}
	reg := registry.New(d, keys, f.Clock)
	w := &world{World: f, d: d, office: f.A.Worker.Principal(), leader: f.A.Leader.Principal()}
	w.vol = volunteers.New(d, keys, f.Clock, reg, f.Accounts)
	w.h = hours.New(d, f.Clock, calendar.New(d, f.Clock), w.vol)
	ctx := context.Background()
	team, err := w.vol.CreateTeam(ctx, w.office, f.A.ID, volunteers.TeamInput{Name: "社区能人先锋队", Category: "convenience"})
	if err != nil {
		t.Fatal(err)
	}
	w.other = team.ID
	// The fixture clock is 2025-03-03 09:00; members joined a year before.
	f.Clock.Set(time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC))
	for i := range 5 {
		v, err := w.vol.Register(ctx, w.office, f.A.ID, volunteers.Input{Person: &volunteers.Person{Name: fmt.Sprintf("志愿者%d", i),
			BirthDate: "1970-05-05", Phone: fmt.Sprintf("1390000000%d", i)}, Consent: volunteers.ConsentInput{General: true}, Grids: []int{1}})
		if err != nil {
			t.Fatal(err)
		}
		w.vols = append(w.vols, v.ID)
		team := f.A.TeamID
		if i >= 3 {
			team = w.other
		}
		if _, err := w.vol.Join(ctx, w.office, team, v.ID, ""); err != nil {
			t.Fatal(err)
		}
	}
	f.Clock.Set(fixture.Start)
	return w
}

func f64(f float64) *float64 { return &f }

// roster is a two-hour Saturday service of the leader's team.
func (w *world) roster(vols ...int64) hours.Input {
	return hours.Input{TeamID: w.A.TeamID, ActivityName: "元宵节做花灯", Date: "2025-03-01", Start: "09:00", End: "11:00", Hours: f64(2),
		Place: "社区活动室", Content: "带领儿童制作花灯", PersonInCharge: "刘静", Volunteers: vols}
}

func wantErr(t *testing.T, what string, err error, code apperr.Code, field string) {
	t.Helper()
	if !apperr.Is(err, code) {
		t.Fatalf("%s: %v, want %s", what, err, code)
	}
	if field != "" {
		if _, ok := apperr.From(err).Fields[field]; !ok {
			t.Fatalf("%s: no error on %q: %+v", what, field, apperr.From(err).Fields)
		}
	}
}

func count(t *testing.T, d *db.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := d.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRecordRosterAndTotals(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		recs, err := w.h.Record(ctx, w.leader, w.A.ID, w.roster(w.vols[0], w.vols[1], w.vols[2]))
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 3 || recs[0].Status != hours.StatusCounted || recs[0].Hours != 2 || recs[0].Organiser != w.A.Name+"居民委员会" ||
			recs[0].DueOn != "2025-03-14" || recs[0].Late || recs[0].Volunteer != "志愿者0" || recs[0].Start != "09:00" {
			t.Fatalf("records: %+v", recs[0])
		}
		sum, err := w.h.Summary(ctx, w.office, w.A.ID, w.vols[0])
		if err != nil || sum.MonthHours != 2 || sum.YearHours != 2 || sum.TotalHours != 2 || sum.Services != 1 || sum.Stars != 0 || sum.NextStarAt != 100 {
			t.Fatalf("summary: %+v %v", sum, err)
		}
		// Stars follow the community's thresholds.
		if err := w.h.SetStars(ctx, w.office, w.A.ID, []int{1, 2, 5}); err != nil {
			t.Fatal(err)
		}
		sum, _ = w.h.Summary(ctx, w.office, w.A.ID, w.vols[0])
		if sum.Stars != 2 || sum.NextStarAt != 5 {
			t.Errorf("stars at 2 h with 1/2/5: %+v", sum)
		}
		wantErr(t, "bad stars", w.h.SetStars(ctx, w.office, w.A.ID, []int{5, 2}), apperr.Invalid, "thresholds")
		wantErr(t, "leader sets stars", w.h.SetStars(ctx, w.leader, w.A.ID, []int{1}), apperr.Forbidden, "")
		// The leader's own team only, and only its members then.
		in := w.roster(w.vols[3])
		in.TeamID = w.other
		_, err = w.h.Record(ctx, w.leader, w.A.ID, in)
		wantErr(t, "other team", err, apperr.Forbidden, "")
		_, err = w.h.Record(ctx, w.leader, w.A.ID, w.roster(w.vols[0], w.vols[3]))
		wantErr(t, "non-member in the roster", err, apperr.Invalid, "volunteers")
		// A volunteer sees their own records only; B's worker nothing.
		vol, _, err := w.h.List(ctx, w.office, hours.Filter{CommunityID: w.A.ID})
		if err != nil || len(vol) != 3 {
			t.Fatalf("office list: %d %v", len(vol), err)
		}
		if _, _, err := w.h.List(ctx, w.B.Worker.Principal(), hours.Filter{CommunityID: w.A.ID}); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("B's worker lists A's records: %v", err)
		}
		if _, err := w.h.Summary(ctx, w.A.Volunteer.Principal(), w.A.ID, w.vols[0]); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("another volunteer's summary: %v", err)
		}
		// The matrix counts them, for the street too; not for another street.
		m, err := w.h.Matrix(ctx, w.Supervisor.Principal(), w.A.ID, "category", w.Tenancy.StreetOf)
		if err != nil {
			t.Fatal(err)
		}
		if m.Total.MonthHours != 6 || m.Total.YearHours != 6 || m.Total.Activities != 1 || m.Total.Members != 5 {
			t.Errorf("matrix total: %+v", m.Total)
		}
		g, err := w.h.Matrix(ctx, w.office, w.A.ID, "grid", nil)
		if err != nil || g.Rows[0].YearHours != 6 || g.Rows[0].Cells[0].People != 3 || g.Rows[0].Cells[0].YearHours != 6 {
			t.Errorf("grid matrix: %+v %v", g.Rows, err)
		}
		if _, err := w.h.Matrix(ctx, &accounts.Principal{AccountID: 1 << 40, Grants: []accounts.Grant{{Role: accounts.Admin, CommunityID: w.C.ID}}}, w.A.ID, "category", w.Tenancy.StreetOf); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("C's admin sees A's matrix: %v", err)
		}
	})
}

func TestBadRecordsChangeNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		cases := []struct {
			name  string
			edit  func(*hours.Input)
			field string
		}{
			{"end before start", func(in *hours.Input) { in.End = "08:00"; in.Hours = nil }, "end"},
			{"hours do not match", func(in *hours.Input) { in.Hours = f64(3) }, "hours"},
			{"future date", func(in *hours.Input) { in.Date = "2025-03-04" }, "date"},
			{"impossible date", func(in *hours.Input) { in.Date = "2025-02-30" }, "date"},
			{"bad time", func(in *hours.Input) { in.Start = "9点" }, "start"},
			{"no volunteers", func(in *hours.Input) { in.Volunteers = nil }, "volunteers"},
			{"unknown volunteer", func(in *hours.Input) { in.Volunteers = []int64{999999} }, "volunteers"},
			{"missing statutory fields", func(in *hours.Input) { in.Place, in.Content, in.PersonInCharge = "", "", "" }, "place"},
			{"bad capture", func(in *hours.Input) { in.Captured = "guess" }, "captured"},
		}
		for _, c := range cases {
			in := w.roster(w.vols[0])
			c.edit(&in)
			_, err := w.h.Record(ctx, w.office, w.A.ID, in)
			if !apperr.Is(err, apperr.Invalid) {
				t.Errorf("%s: %v, want invalid", c.name, err)
				continue
			}
			if _, ok := apperr.From(err).Fields[c.field]; !ok {
				t.Errorf("%s: no error on %s: %+v", c.name, c.field, apperr.From(err).Fields)
			}
		}
		if n := count(t, d, `SELECT count(*) FROM service_records`) + count(t, d, `SELECT count(*) FROM hours_rollup`); n != 0 {
			t.Errorf("%d rows written by refused records", n)
		}
		// The same record twice is a double submission.
		if _, err := w.h.Record(ctx, w.office, w.A.ID, w.roster(w.vols[0])); err != nil {
			t.Fatal(err)
		}
		_, err := w.h.Record(ctx, w.office, w.A.ID, w.roster(w.vols[1], w.vols[0]))
		wantErr(t, "duplicate", err, apperr.Conflict, "")
		if n := count(t, d, `SELECT count(*) FROM service_records`); n != 1 {
			t.Errorf("%d records after a refused duplicate in a roster, want 1", n)
		}
		// The ledger refuses edits and deletions at the database.
		if _, err := d.Exec(ctx, `UPDATE service_records SET minutes = 600`); err == nil {
			t.Error("UPDATE of service_records allowed")
		}
		if _, err := d.Exec(ctx, `DELETE FROM service_records`); err == nil {
			t.Error("DELETE of service_records allowed")
		}
	})
}

func TestBackfillReversalAndFlags(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		// A worker back-fills a month-old service for five people, whole
		// hours: pending, late, and flagged as a bulk round back-fill.
		in := w.roster(w.vols[0], w.vols[1], w.vols[2])
		in.TeamID, in.Date, in.Captured = 0, "2025-01-18", hours.CapturedBackfill
		in.Volunteers = w.vols
		recs, err := w.h.Record(ctx, w.office, w.A.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		r := recs[0]
		if r.Status != hours.StatusPending || !r.Late || strings.Join(r.Flags, ",") != "bulk_round,late" {
			t.Fatalf("back-fill: %+v", r)
		}
		if sum, _ := w.h.Summary(ctx, w.office, w.A.ID, w.vols[0]); sum.TotalHours != 0 || sum.PendingHours != 2 {
			t.Errorf("pending counted: %+v", sum)
		}
		// Its recorder cannot confirm it; another office member can.
		_, err = w.h.Decide(ctx, w.office, r.ID, "confirm", "")
		wantErr(t, "self-confirm", err, apperr.Forbidden, "")
		got, err := w.h.Decide(ctx, w.A.Admin.Principal(), r.ID, "confirm", "核对签到表")
		if err != nil || got.Status != hours.StatusCounted {
			t.Fatalf("confirm: %+v %v", got, err)
		}
		_, err = w.h.Decide(ctx, w.A.Admin.Principal(), r.ID, "refuse", "")
		wantErr(t, "decide twice", err, apperr.Conflict, "")
		if _, err := w.h.Decide(ctx, w.A.Admin.Principal(), recs[1].ID, "refuse", "当天不在"); err != nil {
			t.Fatal(err)
		}
		if sum, _ := w.h.Summary(ctx, w.office, w.A.ID, w.vols[0]); sum.TotalHours != 2 {
			t.Errorf("after confirm: %+v", sum)
		}
		if sum, _ := w.h.Summary(ctx, w.office, w.A.ID, w.vols[1]); sum.TotalHours != 0 || sum.PendingHours != 0 {
			t.Errorf("after refusal: %+v", sum)
		}
		// Reversal: a new entry, the total drops, the record stays.
		_, err = w.h.Reverse(ctx, w.office, r.ID, "")
		wantErr(t, "no reason", err, apperr.Invalid, "reason")
		rev, err := w.h.Reverse(ctx, w.office, r.ID, "重复登记")
		if err != nil || rev.Status != hours.StatusReversal || rev.Minutes != -120 || rev.ReversesID != r.ID {
			t.Fatalf("reversal: %+v %v", rev, err)
		}
		_, err = w.h.Reverse(ctx, w.office, r.ID, "再来一次")
		wantErr(t, "twice", err, apperr.Conflict, "")
		_, err = w.h.Reverse(ctx, w.office, rev.ID, "撤销冲正")
		wantErr(t, "reverse a reversal", err, apperr.Conflict, "")
		_, err = w.h.Reverse(ctx, w.office, recs[1].ID, "已拒绝的")
		wantErr(t, "reverse a refused back-fill", err, apperr.Conflict, "")
		if sum, _ := w.h.Summary(ctx, w.office, w.A.ID, w.vols[0]); sum.TotalHours != 0 {
			t.Errorf("after reversal: %+v", sum)
		}
		if n := count(t, d, `SELECT count(*) FROM service_records WHERE id = ?`, r.ID); n != 1 {
			t.Error("the reversed record is gone")
		}
		// Overlap and more than 12 hours in a day are flagged for review.
		a := w.roster(w.vols[0])
		a.Start, a.End, a.Hours = "08:00", "18:00", nil
		if _, err := w.h.Record(ctx, w.office, w.A.ID, a); err != nil {
			t.Fatal(err)
		}
		b := w.roster(w.vols[0])
		b.Start, b.End, b.Hours = "17:00", "21:00", nil
		recs, err = w.h.Record(ctx, w.office, w.A.ID, b)
		if err != nil || strings.Join(recs[0].Flags, ",") != "overlap,over12h" || recs[0].Status != hours.StatusCounted {
			t.Fatalf("flags: %+v %v", recs, err)
		}
		// Review: the three back-fills still pending and the flagged
		// record; not the confirmed-then-reversed one nor the refused one.
		review, n, err := w.h.List(ctx, w.office, hours.Filter{CommunityID: w.A.ID, Review: true})
		if err != nil || n != 4 || review[0].ID != recs[0].ID {
			t.Errorf("review list: %d %v", n, err)
		}
		for _, x := range review[1:] {
			if x.Status != hours.StatusPending {
				t.Errorf("review holds %d (%s)", x.ID, x.Status)
			}
		}
	})
}

func TestConcurrentLedger(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		// Twenty recordings on different days race; the rollup equals the ledger.
		var wg sync.WaitGroup
		errs := make(chan error, 40)
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				in := w.roster(w.vols[0], w.vols[1], w.vols[2])
				in.Date = fmt.Sprintf("2025-02-%02d", i+1)
				if _, err := w.h.Record(ctx, w.office, w.A.ID, in); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		recs, _, err := w.h.List(ctx, w.office, hours.Filter{CommunityID: w.A.ID, VolunteerID: w.vols[0], Limit: 100})
		if err != nil || len(recs) != 20 {
			t.Fatalf("records: %d %v", len(recs), err)
		}
		// Two reversals of one record race: one wins.
		var conflicts, ok int
		var mu sync.Mutex
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := w.h.Reverse(ctx, w.office, recs[0].ID, "并发冲正")
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
				case apperr.Is(err, apperr.Conflict):
					conflicts++
				default:
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if ok != 1 || conflicts != 3 {
			t.Errorf("reversal race: %d ok, %d conflicts", ok, conflicts)
		}
		ledger := count(t, d, `SELECT COALESCE(SUM(minutes), 0) FROM service_records`)
		rolled := count(t, d, `SELECT COALESCE(SUM(minutes), 0) FROM hours_rollup`)
		if ledger != rolled || ledger != 59*120 {
			t.Errorf("ledger %d min, rollup %d min, want both %d", ledger, rolled, 59*120)
		}
	})
}
