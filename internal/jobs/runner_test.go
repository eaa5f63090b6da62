package jobs_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/jobs"
	"github.com/linli/linli/internal/testkit/dbtest"
)

// A worker that stalls past its lease (as if its process died) loses the
// job to another process, and its late outcome is discarded.
func TestExpiredLeaseIsReclaimed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		fc := clock.NewFake(t0)
		cfg := jobs.Config{Clock: fc, Logger: quiet(), Lease: time.Minute, PollInterval: 5 * time.Millisecond, Workers: 1}
		cfg.Name = "stalled"
		a := jobs.NewRunner(d, cfg)
		started, release := make(chan struct{}), make(chan struct{})
		a.Register("work", func(ctx context.Context, j jobs.Job) error {
			close(started)
			<-release
			return errors.New("late failure") // must not overwrite b's success
		})
		cfg.Name = "healthy"
		b := jobs.NewRunner(d, cfg)
		var bRuns atomic.Int32
		b.Register("work", func(ctx context.Context, j jobs.Job) error {
			if j.Attempts != 2 {
				t.Errorf("takeover attempt numbered %d, want 2", j.Attempts)
			}
			bRuns.Add(1)
			return nil
		})
		id, _, err := a.Queue().Enqueue(ctx, d, jobs.Job{Kind: "work"})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Start(ctx); err != nil {
			t.Fatal(err)
		}
		<-started
		runDue(t, b, 0) // lease still valid
		fc.Advance(time.Minute + time.Second)
		runDue(t, b, 1)
		close(release)
		a.Stop()
		j := find(t, d, b, id)
		if j.Status != jobs.Done || j.Attempts != 2 || bRuns.Load() != 1 {
			t.Fatalf("after takeover: %+v, b ran %d", j, bRuns.Load())
		}
		var lockedBy *string
		if err := d.QueryRow(ctx, `SELECT locked_by FROM jobs WHERE id = ?`, id).Scan(&lockedBy); err != nil || lockedBy != nil {
			t.Fatalf("locked_by = %v (%v)", lockedBy, err)
		}
	})
}

// A job abandoned on its last attempt is failed, not retried for ever.
func TestExpiredLeaseOnLastAttemptFails(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		fc := clock.NewFake(t0)
		r := newRunner(d, fc, "a")
		r.Register("work", func(ctx context.Context, j jobs.Job) error { return nil })
		id, _, _ := r.Queue().Enqueue(ctx, d, jobs.Job{Kind: "work", MaxAttempts: 1})
		// Simulate a claim by a process that then died.
		if _, err := d.Exec(ctx, `UPDATE jobs SET status = 'running', attempts = 1, locked_by = 'dead', locked_until = ? WHERE id = ?`,
			t0.Add(time.Minute), id); err != nil {
			t.Fatal(err)
		}
		runDue(t, r, 0)
		if j := find(t, d, r, id); j.Status != jobs.Running {
			t.Fatalf("failed before the lease expired: %+v", j)
		}
		fc.Advance(2 * time.Minute)
		runDue(t, r, 0)
		if j := find(t, d, r, id); j.Status != jobs.Failed || j.LastError == "" {
			t.Fatalf("abandoned job: %+v", j)
		}
	})
}

func TestStopWaitsForRunningHandlers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		r := jobs.NewRunner(d, jobs.Config{Logger: quiet(), PollInterval: 5 * time.Millisecond})
		started := make(chan struct{})
		var finished atomic.Bool
		r.Register("slow", func(hctx context.Context, j jobs.Job) error {
			close(started)
			time.Sleep(100 * time.Millisecond)
			if hctx.Err() != nil {
				t.Error("handler context cancelled by Stop")
			}
			finished.Store(true)
			return nil
		})
		id, _, _ := r.Queue().Enqueue(ctx, d, jobs.Job{Kind: "slow"})
		if err := r.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if err := r.Start(ctx); err == nil {
			t.Fatal("second Start succeeded")
		}
		<-started
		r.Stop()
		if !finished.Load() {
			t.Fatal("Stop returned before the handler finished")
		}
		if j := find(t, d, r, id); j.Status != jobs.Done {
			t.Fatalf("job after Stop: %+v", j)
		}
		r.Stop() // idempotent
	})
}

// Two processes (two connection pools on one database), several workers
// each: every one of 200 jobs runs exactly once.
func TestTwoProcessesRunEachJobOnce(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "shared.db")
		twoProcesses(t, openDB(t, path), openDB(t, path))
	})
	t.Run("postgres", func(t *testing.T) {
		url := dbtest.PostgresURL(t)
		twoProcesses(t, openDB(t, url), openDB(t, url))
	})
}

func openDB(t *testing.T, dsn string) *db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return d
}

func twoProcesses(t *testing.T, d1, d2 *db.DB) {
	const total = 200
	ctx := context.Background()
	var runs [total]atomic.Int32
	var done atomic.Int32
	handler := func(ctx context.Context, j jobs.Job) error {
		var p struct{ N int }
		if err := j.Decode(&p); err != nil {
			return err
		}
		runs[p.N].Add(1)
		done.Add(1)
		return nil
	}
	var runners []*jobs.Runner
	for i, d := range []*db.DB{d1, d2} {
		r := jobs.NewRunner(d, jobs.Config{Workers: 4, PollInterval: 2 * time.Millisecond, Logger: quiet(), Name: []string{"p1", "p2"}[i]})
		r.Register("count", handler)
		runners = append(runners, r)
	}
	for n := 0; n < total; n++ {
		if _, _, err := runners[n%2].Queue().Enqueue(ctx, []*db.DB{d1, d2}[n%2], jobs.Job{Kind: "count", Payload: struct{ N int }{n}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range runners {
		if err := r.Start(ctx); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for done.Load() < total && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	for _, r := range runners {
		r.Stop()
	}
	for n := range runs {
		if c := runs[n].Load(); c != 1 {
			t.Errorf("job %d ran %d times", n, c)
		}
	}
	rows, err := d1.Query(ctx, `SELECT status, attempts, locked_by, count(*) FROM jobs GROUP BY status, attempts, locked_by`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var status string
		var attempts, n int
		var lockedBy *string
		if err := rows.Scan(&status, &attempts, &lockedBy, &n); err != nil {
			t.Fatal(err)
		}
		if status != "done" || attempts != 1 || lockedBy != nil || n != total {
			t.Errorf("jobs table: %d rows with status %s, attempts %d, locked_by %v", n, status, attempts, lockedBy)
		}
	}
}
