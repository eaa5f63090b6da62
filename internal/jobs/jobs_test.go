package jobs_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/jobs"
	"github.com/linli/linli/internal/testkit/dbtest"
)

var t0 = time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newRunner(d *db.DB, c clock.Clock, name string) *jobs.Runner {
	return jobs.NewRunner(d, jobs.Config{
		Clock: c, Logger: quiet(), Name: name,
		Backoff: func(int) time.Duration { return time.Minute },
	})
}

func community(t *testing.T, d *db.DB) int64 {
	t.Helper()
	ctx := context.Background()
	var sid, cid int64
	if err := d.QueryRow(ctx, `INSERT INTO streets (code, name, created_at) VALUES ('s1', '街道', ?) RETURNING id`, t0).Scan(&sid); err != nil {
		t.Fatal(err)
	}
	if err := d.QueryRow(ctx, `INSERT INTO communities (street_id, code, name, created_at) VALUES (?, 'c1', '社区', ?) RETURNING id`, sid, t0).Scan(&cid); err != nil {
		t.Fatal(err)
	}
	return cid
}

func find(t *testing.T, d *db.DB, r *jobs.Runner, id int64) jobs.Job {
	t.Helper()
	j, err := r.Queue().Find(context.Background(), d, id)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func runDue(t *testing.T, r *jobs.Runner, want int) {
	t.Helper()
	n, err := r.RunDue(context.Background())
	if err != nil || n != want {
		t.Fatalf("RunDue ran %d (%v), want %d", n, err, want)
	}
}

type greeting struct {
	Name string `json:"name"`
}

func TestEnqueueAndRun(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		fc := clock.NewFake(t0)
		r := newRunner(d, fc, "a")
		cid := community(t, d)
		var got []jobs.Job
		r.Register("greet", func(ctx context.Context, j jobs.Job) error {
			got = append(got, j)
			return nil
		})

		id, created, err := r.Queue().Enqueue(ctx, d, jobs.Job{Kind: "greet", Payload: greeting{"张三"}, CommunityID: cid})
		if err != nil || !created || id == 0 {
			t.Fatalf("Enqueue = %d, %v, %v", id, created, err)
		}
		// Enqueued in a transaction that rolls back: the job never exists.
		boom := errors.New("boom")
		err = d.InTx(ctx, func(tx *db.Tx) error {
			if _, _, err := r.Queue().Enqueue(ctx, tx, jobs.Job{Kind: "greet", Payload: greeting{"rolled back"}}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		// Not yet due.
		if _, _, err := r.Queue().Enqueue(ctx, d, jobs.Job{Kind: "greet", Payload: greeting{"later"}, RunAt: t0.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}

		runDue(t, r, 1)
		if len(got) != 1 || got[0].ID != id || got[0].CommunityID != cid || got[0].Attempts != 1 {
			t.Fatalf("handler got %+v", got)
		}
		var g greeting
		if err := got[0].Decode(&g); err != nil || g.Name != "张三" {
			t.Fatalf("payload %+v (%v)", g, err)
		}
		if j := find(t, d, r, id); j.Status != jobs.Done || j.Attempts != 1 {
			t.Fatalf("job after run: %+v", j)
		}
		runDue(t, r, 0)
		fc.Advance(time.Hour)
		runDue(t, r, 1)
		if err := got[1].Decode(&g); err != nil || g.Name != "later" {
			t.Fatalf("second job payload %+v (%v)", g, err)
		}
		if _, err := r.Queue().Find(ctx, d, 9999); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("Find(missing) = %v", err)
		}
	})
}

func TestRetryThenSucceed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		fc := clock.NewFake(t0)
		r := newRunner(d, fc, "a")
		calls := 0
		r.Register("flaky", func(ctx context.Context, j jobs.Job) error {
			calls++
			if j.Attempts != calls {
				t.Errorf("attempt %d reported as %d", calls, j.Attempts)
			}
			if calls < 3 {
				return errors.New("receiver unavailable")
			}
			return nil
		})
		id, _, err := r.Queue().Enqueue(context.Background(), d, jobs.Job{Kind: "flaky"})
		if err != nil {
			t.Fatal(err)
		}
		runDue(t, r, 1)
		j := find(t, d, r, id)
		if j.Status != jobs.Pending || j.Attempts != 1 || j.LastError != "receiver unavailable" || !j.RunAt.Equal(t0.Add(time.Minute)) {
			t.Fatalf("after first failure: %+v", j)
		}
		runDue(t, r, 0) // backing off
		fc.Advance(time.Minute)
		runDue(t, r, 1)
		fc.Advance(time.Minute)
		runDue(t, r, 1)
		if j := find(t, d, r, id); j.Status != jobs.Done || j.Attempts != 3 || j.LastError != "" || calls != 3 {
			t.Fatalf("after success: %+v, %d calls", j, calls)
		}
	})
}

func TestGiveUpAfterMaxAttempts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		fc := clock.NewFake(t0)
		r := newRunner(d, fc, "a")
		var calls atomic.Int32
		r.Register("doomed", func(ctx context.Context, j jobs.Job) error {
			calls.Add(1)
			return errors.New("always broken")
		})
		r.Register("hopeless", func(ctx context.Context, j jobs.Job) error {
			return jobs.Permanent(errors.New("no such row"))
		})
		id, _, _ := r.Queue().Enqueue(ctx, d, jobs.Job{Kind: "doomed", MaxAttempts: 3})
		for i := 0; i < 5; i++ {
			if _, err := r.RunDue(ctx); err != nil {
				t.Fatal(err)
			}
			fc.Advance(time.Hour)
		}
		j := find(t, d, r, id)
		if j.Status != jobs.Failed || j.Attempts != 3 || j.LastError != "always broken" || calls.Load() != 3 {
			t.Fatalf("after giving up: %+v, %d calls", j, calls.Load())
		}
		pid, _, _ := r.Queue().Enqueue(ctx, d, jobs.Job{Kind: "hopeless"})
		runDue(t, r, 1)
		if j := find(t, d, r, pid); j.Status != jobs.Failed || j.Attempts != 1 || j.LastError != "no such row" {
			t.Fatalf("permanent error: %+v", j)
		}
	})
}

func TestPanicIsAnError(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		fc := clock.NewFake(t0)
		r := newRunner(d, fc, "a")
		r.Register("explode", func(ctx context.Context, j jobs.Job) error {
			var m map[string]int
			m["x"]++ // nil map write
			return nil
		})
		id, _, _ := r.Queue().Enqueue(context.Background(), d, jobs.Job{Kind: "explode", MaxAttempts: 2})
		runDue(t, r, 1)
		j := find(t, d, r, id)
		if j.Status != jobs.Pending || !strings.HasPrefix(j.LastError, "panic: assignment to entry in nil map") {
			t.Fatalf("after one panic: %+v", j)
		}
		fc.Advance(time.Minute)
		runDue(t, r, 1)
		if j := find(t, d, r, id); j.Status != jobs.Failed || j.Attempts != 2 {
			t.Fatalf("after second panic: %+v", j)
		}
	})
}

func TestUniqueKey(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		fc := clock.NewFake(t0)
		r := newRunner(d, fc, "a")
		runs := 0
		r.Register("report", func(ctx context.Context, j jobs.Job) error { runs++; return nil })
		key := "daily-report:2026-11-28"
		id1, c1, err1 := r.Queue().Enqueue(ctx, d, jobs.Job{Kind: "report", UniqueKey: key})
		// The duplicate inside a transaction must not abort it.
		var id2 int64
		var c2 bool
		err2 := d.InTx(ctx, func(tx *db.Tx) error {
			var err error
			id2, c2, err = r.Queue().Enqueue(ctx, tx, jobs.Job{Kind: "report", UniqueKey: key})
			if err != nil {
				return err
			}
			_, err = tx.Exec(ctx, `INSERT INTO instance_settings (key, value, updated_at) VALUES ('after', 'dup', ?)`, t0)
			return err
		})
		if err1 != nil || err2 != nil || !c1 || c2 || id1 != id2 {
			t.Fatalf("enqueues: (%d %v %v) (%d %v %v)", id1, c1, err1, id2, c2, err2)
		}
		runDue(t, r, 1)
		if _, c3, _ := r.Queue().Enqueue(ctx, d, jobs.Job{Kind: "report", UniqueKey: key}); c3 {
			t.Fatal("a done job's key was enqueued again")
		}
		runDue(t, r, 0)
		var n int
		if err := d.QueryRow(ctx, `SELECT count(*) FROM jobs`).Scan(&n); err != nil || n != 1 || runs != 1 {
			t.Fatalf("%d rows, %d runs (%v)", n, runs, err)
		}
	})
}

func TestUnregisteredKindIsLeftAlone(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		r := newRunner(d, clock.NewFake(t0), "old-version")
		r.Register("known", func(ctx context.Context, j jobs.Job) error { return nil })
		id, _, _ := r.Queue().Enqueue(context.Background(), d, jobs.Job{Kind: "brand-new"})
		runDue(t, r, 0)
		if j := find(t, d, r, id); j.Status != jobs.Pending || j.Attempts != 0 {
			t.Fatalf("unknown kind touched: %+v", j)
		}
	})
}

func TestEnqueueRejectsBadJobs(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		q := jobs.NewQueue(clock.NewFake(t0))
		ctx := context.Background()
		for _, j := range []jobs.Job{{}, {Kind: "x", MaxAttempts: -1}, {Kind: "x", Payload: []byte("{not json")}, {Kind: "x", Payload: func() {}}} {
			if _, _, err := q.Enqueue(ctx, d, j); err == nil {
				t.Errorf("Enqueue(%+v) succeeded", j)
			}
		}
	})
}
