package jobs_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/jobs"
	"github.com/linli/linli/internal/testkit/dbtest"
)

func TestSlotStart(t *testing.T) {
	sh := clock.Shanghai
	cases := []struct {
		at       time.Time
		interval time.Duration
		want     time.Time
	}{
		// 01:30 Beijing on the 28th is still the 28th in Beijing (27th UTC).
		{time.Date(2026, 11, 28, 1, 30, 0, 0, sh), 24 * time.Hour, time.Date(2026, 11, 28, 0, 0, 0, 0, sh)},
		{time.Date(2026, 11, 28, 23, 59, 0, 0, sh), 24 * time.Hour, time.Date(2026, 11, 28, 0, 0, 0, 0, sh)},
		{time.Date(2026, 11, 28, 10, 59, 59, 0, sh), time.Hour, time.Date(2026, 11, 28, 10, 0, 0, 0, sh)},
		{time.Date(2026, 11, 28, 10, 7, 0, 0, sh), 15 * time.Minute, time.Date(2026, 11, 28, 10, 0, 0, 0, sh)},
		// 2026-11-28 is a Saturday; weekly slots start on Monday the 23rd.
		{time.Date(2026, 11, 28, 10, 0, 0, 0, sh), 7 * 24 * time.Hour, time.Date(2026, 11, 23, 0, 0, 0, 0, sh)},
	}
	for _, c := range cases {
		got := jobs.SlotStart(c.at, c.interval)
		if !got.Equal(c.want) || got.Location() != time.UTC {
			t.Errorf("SlotStart(%v, %v) = %v, want %v in UTC", c.at, c.interval, got, c.want.UTC())
		}
	}
}

// Two processes running the same schedule enqueue each slot once.
func TestEveryRunsOncePerSlotAcrossProcesses(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		fc := clock.NewFake(time.Date(2026, 11, 28, 1, 0, 0, 0, clock.Shanghai))
		var runs atomic.Int32
		var slots []string
		var rs []*jobs.Runner
		for _, name := range []string{"p1", "p2"} {
			r := newRunner(d, fc, name)
			r.Register("daily-report", func(ctx context.Context, j jobs.Job) error {
				runs.Add(1)
				var p struct{ Day string }
				if err := j.Decode(&p); err != nil {
					return err
				}
				slots = append(slots, p.Day)
				return nil
			})
			r.Every("daily-report", 24*time.Hour, "daily-report", func(slot time.Time) any {
				return struct{ Day string }{slot.In(clock.Shanghai).Format("2006-01-02")}
			})
			rs = append(rs, r)
		}
		step := func() {
			for _, r := range rs {
				if _, err := r.RunDue(ctx); err != nil {
					t.Fatal(err)
				}
			}
		}
		step()
		fc.Advance(3 * time.Hour)
		step()
		if runs.Load() != 1 {
			t.Fatalf("%d runs in one slot", runs.Load())
		}
		fc.Advance(24 * time.Hour)
		step()
		if runs.Load() != 2 || len(slots) != 2 || slots[0] != "2026-11-28" || slots[1] != "2026-11-29" {
			t.Fatalf("runs %d, slots %v", runs.Load(), slots)
		}
		var n int
		if err := d.QueryRow(ctx, `SELECT count(*) FROM jobs WHERE unique_key = ?`,
			jobs.SlotKey("daily-report", time.Date(2026, 11, 29, 0, 0, 0, 0, clock.Shanghai))).Scan(&n); err != nil || n != 1 {
			t.Fatalf("slot rows %d (%v)", n, err)
		}
	})
}
