package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/linli/linli/internal/db"
)

// errLeaseLost cancels a handler whose job was taken over by another
// worker after the lease ran out; its outcome will be discarded.
var errLeaseLost = errors.New("jobs: lease lost")

// claim takes the oldest due job of a registered kind: a pending job whose
// run_at has come, or a running job whose lease expired (its worker
// died). Claiming increments attempts, which is also the fencing token
// every later update of this claim checks.
//
// On PostgreSQL, FOR UPDATE SKIP LOCKED lets concurrent workers pass over a
// row another is claiming instead of queueing on it. SQLite has a single
// writer, so the same statement in a BEGIN IMMEDIATE transaction is enough.
func (r *Runner) claim(ctx context.Context) (Job, bool, error) {
	kinds := r.registeredKinds()
	if len(kinds) == 0 {
		return Job{}, false, nil
	}
	now := stamp(r.cfg.Clock.Now())
	lock := ""
	if r.db.Dialect() == db.Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	query := `UPDATE jobs SET status = 'running', locked_by = ?, locked_until = ?, attempts = attempts + 1, updated_at = ?
		WHERE id = (
			SELECT id FROM jobs
			WHERE kind IN (` + strings.TrimSuffix(strings.Repeat("?,", len(kinds)), ",") + `)
			  AND attempts < max_attempts
			  AND ((status = 'pending' AND run_at <= ?) OR (status = 'running' AND locked_until <= ?))
			ORDER BY run_at, id
			LIMIT 1` + lock + `)
		RETURNING ` + jobColumns
	args := []any{r.cfg.Name, now.Add(r.cfg.Lease), now}
	for _, k := range kinds {
		args = append(args, k)
	}
	args = append(args, now, now)

	var j Job
	err := r.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		j, err = scanJob(tx.QueryRow(ctx, query, args...))
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return Job{}, false, nil
	}
	if err != nil {
		return Job{}, false, fmt.Errorf("jobs: claim: %w", err)
	}
	return j, true, nil
}

// execute runs the handler of a claimed job and records the outcome.
func (r *Runner) execute(ctx context.Context, j Job) {
	h := r.handler(j.Kind)
	// The handler's context survives Stop (a running job may finish) but
	// not its timeout or the loss of its lease.
	hctx, cancelTimeout := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.Timeout)
	hctx, cancel := context.WithCancelCause(hctx)
	defer cancelTimeout()

	beat := make(chan struct{})
	go r.heartbeat(hctx, j, cancel, beat)
	err := call(hctx, h, j)
	cancel(nil)
	<-beat
	if cause := context.Cause(hctx); errors.Is(cause, errLeaseLost) {
		r.log.Warn("lease lost while running; outcome discarded", "job", j.ID, "kind", j.Kind)
		return
	}
	r.finish(context.WithoutCancel(ctx), j, err)
}

// call runs h, turning a panic into an error so one bad job cannot take
// the worker (or the server) down.
func call(ctx context.Context, h Handler, j Job) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
		}
	}()
	if h == nil {
		return Permanent(fmt.Errorf("no handler for kind %q", j.Kind))
	}
	return h(ctx, j)
}

// heartbeat renews the lease while the handler runs, and cancels the
// handler if the job was taken over (this process stalled past its lease).
func (r *Runner) heartbeat(ctx context.Context, j Job, cancel context.CancelCauseFunc, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(r.cfg.Lease / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := stamp(r.cfg.Clock.Now())
		res, err := r.db.Exec(ctx, `UPDATE jobs SET locked_until = ?, updated_at = ?
			WHERE id = ? AND status = 'running' AND locked_by = ? AND attempts = ?`,
			now.Add(r.cfg.Lease), now, j.ID, r.cfg.Name, j.Attempts)
		if err != nil {
			if ctx.Err() == nil {
				r.log.Warn("lease renewal failed", "job", j.ID, "err", err)
			}
			continue
		}
		if n, _ := res.RowsAffected(); n == 0 {
			cancel(errLeaseLost)
			return
		}
	}
}

// finish records the outcome of an attempt, unless the claim was fenced
// off meanwhile. A failure to record is logged; the lease then expires and
// the job runs again, which at-least-once allows.
func (r *Runner) finish(ctx context.Context, j Job, herr error) {
	now := stamp(r.cfg.Clock.Now())
	var res interface{ RowsAffected() (int64, error) }
	var err error
	var perm permanentError
	switch {
	case herr == nil:
		res, err = r.db.Exec(ctx, `UPDATE jobs SET status = 'done', last_error = '', locked_by = NULL, locked_until = NULL,
			finished_at = ?, updated_at = ?
			WHERE id = ? AND status = 'running' AND locked_by = ? AND attempts = ?`,
			now, now, j.ID, r.cfg.Name, j.Attempts)
	case j.Attempts >= j.MaxAttempts || errors.As(herr, &perm):
		r.log.Error("job failed for good", "job", j.ID, "kind", j.Kind, "attempt", j.Attempts, "err", herr)
		res, err = r.db.Exec(ctx, `UPDATE jobs SET status = 'failed', last_error = ?, locked_by = NULL, locked_until = NULL,
			finished_at = ?, updated_at = ?
			WHERE id = ? AND status = 'running' AND locked_by = ? AND attempts = ?`,
			truncate(herr.Error(), 2000), now, now, j.ID, r.cfg.Name, j.Attempts)
	default:
		next := now.Add(r.cfg.Backoff(j.Attempts))
		r.log.Warn("job attempt failed; will retry", "job", j.ID, "kind", j.Kind, "attempt", j.Attempts, "retry_at", next, "err", herr)
		res, err = r.db.Exec(ctx, `UPDATE jobs SET status = 'pending', last_error = ?, run_at = ?, locked_by = NULL, locked_until = NULL,
			updated_at = ?
			WHERE id = ? AND status = 'running' AND locked_by = ? AND attempts = ?`,
			truncate(herr.Error(), 2000), stamp(next), now, j.ID, r.cfg.Name, j.Attempts)
	}
	if err != nil {
		r.log.Error("recording job outcome failed", "job", j.ID, "err", err)
		return
	}
	if n, _ := res.RowsAffected(); n == 0 {
		r.log.Warn("job was taken over by another worker; outcome discarded", "job", j.ID, "kind", j.Kind)
	}
}

// sweep fails running jobs whose lease expired on their last allowed
// attempt: claim no longer takes them, and they must not stay "running".
func (r *Runner) sweep(ctx context.Context) error {
	now := stamp(r.cfg.Clock.Now())
	_, err := r.db.Exec(ctx, `UPDATE jobs SET status = 'failed', locked_by = NULL, locked_until = NULL,
		last_error = CASE WHEN last_error = '' THEN 'lease expired on the last attempt' ELSE last_error END,
		finished_at = ?, updated_at = ?
		WHERE status = 'running' AND locked_until <= ? AND attempts >= max_attempts`, now, now, now)
	if err != nil {
		return fmt.Errorf("jobs: sweep: %w", err)
	}
	return nil
}

func truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	// Cut on a rune boundary so PostgreSQL accepts the text.
	for max > 0 && (s[max]&0xC0) == 0x80 {
		max--
	}
	return s[:max]
}
