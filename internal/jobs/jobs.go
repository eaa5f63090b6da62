// Package jobs is Linli's durable background work: a jobs table, a Runner
// whose workers claim due rows under a lease, retries with exponential
// backoff, and a scheduler for periodic work. It survives restarts (the
// queue is the database) and is safe with several server processes on one
// PostgreSQL: a row is claimed with FOR UPDATE SKIP LOCKED, so two workers
// never take the same job, and a job whose worker died is taken over once
// its lease runs out.
//
// Delivery is at least once. A handler may run again after a crash between
// its side effect and the row being marked done, so handlers must be
// idempotent or carry a stable id the receiver can deduplicate on.
package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/db"
)

// Status is where a job is in its life.
type Status string

const (
	Pending Status = "pending" // waiting for run_at
	Running Status = "running" // claimed; locked_by holds the lease
	Done    Status = "done"
	Failed  Status = "failed" // gave up after MaxAttempts; last_error says why
)

// DefaultMaxAttempts applies when Job.MaxAttempts is 0.
const DefaultMaxAttempts = 5

// Job is one unit of background work.
type Job struct {
	ID   int64
	Kind string // names the handler, e.g. "notify.email"
	// Payload is what the handler needs, as JSON. On Enqueue a
	// json.RawMessage or []byte is stored as is and anything else is
	// marshalled; nil stores {}. A handler receives a json.RawMessage: use
	// Decode. Keep ids here rather than personal data, which belongs in its
	// own table where it can be corrected and erased.
	Payload     any
	CommunityID int64     // 0: not tied to a community
	UniqueKey   string    // optional; a second Enqueue with the same key is a no-op
	RunAt       time.Time // zero: now
	MaxAttempts int       // 0: DefaultMaxAttempts

	// Kept by the queue.
	Status    Status
	Attempts  int // in a handler: this attempt's number, from 1
	LastError string
	CreatedAt time.Time
}

// Decode unmarshals the payload into v.
func (j Job) Decode(v any) error {
	raw, err := payloadBytes(j.Payload)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("jobs: decode payload of job %d (%s): %w", j.ID, j.Kind, err)
	}
	return nil
}

func payloadBytes(p any) ([]byte, error) {
	switch v := p.(type) {
	case nil:
		return []byte("{}"), nil
	case json.RawMessage:
		if len(v) == 0 {
			return []byte("{}"), nil
		}
		return v, nil
	case []byte:
		if len(v) == 0 {
			return []byte("{}"), nil
		}
		return v, nil
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("jobs: marshal payload: %w", err)
	}
	return b, nil
}

// Queue adds jobs. It holds no connection: Enqueue takes the Querier, so a
// job can be enqueued in the transaction that makes it necessary (the
// outbox pattern) and exists exactly when that transaction commits.
type Queue struct {
	clock clock.Clock
}

// NewQueue returns a queue stamping rows with c.
func NewQueue(c clock.Clock) *Queue {
	if c == nil {
		c = clock.System{}
	}
	return &Queue{clock: c}
}

// Enqueue adds j and returns its id. With a UniqueKey already present it
// adds nothing and returns the existing job's id with created false; this
// never aborts the caller's transaction (ON CONFLICT DO NOTHING).
func (qu *Queue) Enqueue(ctx context.Context, q db.Querier, j Job) (id int64, created bool, err error) {
	if j.Kind == "" {
		return 0, false, errors.New("jobs: enqueue: empty kind")
	}
	if j.MaxAttempts < 0 {
		return 0, false, fmt.Errorf("jobs: enqueue %s: negative MaxAttempts", j.Kind)
	}
	if j.MaxAttempts == 0 {
		j.MaxAttempts = DefaultMaxAttempts
	}
	payload, err := payloadBytes(j.Payload)
	if err != nil {
		return 0, false, err
	}
	if !json.Valid(payload) {
		return 0, false, fmt.Errorf("jobs: enqueue %s: payload is not valid JSON", j.Kind)
	}
	now := stamp(qu.clock.Now())
	runAt := now
	if !j.RunAt.IsZero() {
		runAt = stamp(j.RunAt)
	}
	err = q.QueryRow(ctx, `INSERT INTO jobs
		(kind, payload, community_id, unique_key, status, attempts, max_attempts, run_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?)
		ON CONFLICT (unique_key) DO NOTHING RETURNING id`,
		j.Kind, string(payload), nullInt(j.CommunityID), nullString(j.UniqueKey), j.MaxAttempts, runAt, now, now).Scan(&id)
	if err == nil {
		return id, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, false, fmt.Errorf("jobs: enqueue %s: %w", j.Kind, err)
	}
	if err := q.QueryRow(ctx, `SELECT id FROM jobs WHERE unique_key = ?`, j.UniqueKey).Scan(&id); err != nil {
		return 0, false, fmt.Errorf("jobs: enqueue %s: find %q: %w", j.Kind, j.UniqueKey, err)
	}
	return id, false, nil
}

const jobColumns = `id, kind, payload, community_id, unique_key, status, attempts, max_attempts, run_at, last_error, created_at`

func scanJob(row interface{ Scan(...any) error }) (Job, error) {
	var j Job
	var payload string
	var cid sql.NullInt64
	var key sql.NullString
	if err := row.Scan(&j.ID, &j.Kind, &payload, &cid, &key, &j.Status, &j.Attempts, &j.MaxAttempts,
		&j.RunAt, &j.LastError, &j.CreatedAt); err != nil {
		return Job{}, err
	}
	j.Payload = json.RawMessage(payload)
	j.CommunityID = cid.Int64
	j.UniqueKey = key.String
	j.RunAt = j.RunAt.UTC()
	j.CreatedAt = j.CreatedAt.UTC()
	return j, nil
}

// Find loads one job, for admin screens and tests; apperr NotFound if
// there is none.
func (qu *Queue) Find(ctx context.Context, q db.Querier, id int64) (Job, error) {
	j, err := scanJob(q.QueryRow(ctx, `SELECT `+jobColumns+` FROM jobs WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Job{}, apperr.NotFoundErr()
	}
	if err != nil {
		return Job{}, fmt.Errorf("jobs: find %d: %w", id, err)
	}
	return j, nil
}

// Prune deletes done jobs that finished before the given time and returns
// how many. Failed jobs stay for an admin to read. Pruning frees unique
// keys, so keep a margin longer than any producer may retry an old key.
func (qu *Queue) Prune(ctx context.Context, q db.Querier, before time.Time) (int64, error) {
	res, err := q.Exec(ctx, `DELETE FROM jobs WHERE status = 'done' AND finished_at < ?`, stamp(before))
	if err != nil {
		return 0, fmt.Errorf("jobs: prune: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// stamp normalises a time for storage: UTC, microseconds (what PostgreSQL
// keeps), so both engines hold and compare the same value.
func stamp(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func nullInt(v int64) any {
	if v == 0 {
		return nil
	}
	return v
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}
