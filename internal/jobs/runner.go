package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/db"
)

// Handler does the work of one job. A returned error (or a panic) counts as
// a failed attempt: the job is retried after a backoff until MaxAttempts,
// unless the error is wrapped with Permanent. ctx ends when the handler
// times out or the worker loses its lease; it does not end when the Runner
// stops, so a handler that is running is allowed to finish.
type Handler func(ctx context.Context, j Job) error

type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent marks err as not worth retrying (a malformed payload, a row
// that no longer exists): the job fails at once.
func Permanent(err error) error { return permanentError{err} }

// Config tunes a Runner. Zero values take the defaults shown.
type Config struct {
	Workers      int           // concurrent handlers in this process; 2
	PollInterval time.Duration // how often an idle worker looks for due jobs; 1s
	// Lease is how long a claim holds before another process may take the
	// job over; a running handler renews it every Lease/3. 5m.
	Lease time.Duration
	// Timeout bounds one handler run. 10m.
	Timeout time.Duration
	// Backoff is the wait before attempt n+1 after attempt n failed;
	// default 30s·2^(n-1) plus up to 10% jitter, at most 1h.
	Backoff func(attempt int) time.Duration
	Clock   clock.Clock  // clock.System
	Logger  *slog.Logger // slog.Default()
	// Name identifies this process in locked_by; default host-pid-random.
	Name string
}

func (c Config) withDefaults() Config {
	if c.Workers <= 0 {
		c.Workers = 2
	}
	if c.PollInterval <= 0 {
		c.PollInterval = time.Second
	}
	if c.Lease <= 0 {
		c.Lease = 5 * time.Minute
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Minute
	}
	if c.Backoff == nil {
		c.Backoff = DefaultBackoff
	}
	if c.Clock == nil {
		c.Clock = clock.System{}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Name == "" {
		host, _ := os.Hostname()
		var b [4]byte
		_, _ = rand.Read(b[:])
		c.Name = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
	}
	return c
}

// DefaultBackoff waits 30s, 1m, 2m, ... up to an hour, with jitter so that
// jobs failing together (a receiver down) do not retry in lockstep.
func DefaultBackoff(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	d := time.Hour
	if attempt <= 8 {
		d = min(30*time.Second<<(attempt-1), time.Hour)
	}
	return d + mrand.N(d/10+1)
}

// Runner claims and runs due jobs of the kinds registered with it. Several
// Runners, in one process or many, may share a database.
type Runner struct {
	db    *db.DB
	cfg   Config
	queue *Queue
	log   *slog.Logger

	mu        sync.Mutex
	handlers  map[string]Handler
	kinds     []string // sorted keys of handlers, for the claim query
	schedules []*schedule
	started   bool
	cancel    context.CancelFunc
	wg        sync.WaitGroup
}

// NewRunner returns a Runner on d. Register handlers, then Start it.
func NewRunner(d *db.DB, cfg Config) *Runner {
	cfg = cfg.withDefaults()
	return &Runner{
		db: d, cfg: cfg, queue: NewQueue(cfg.Clock), log: cfg.Logger.With("component", "jobs", "runner", cfg.Name),
		handlers: map[string]Handler{},
	}
}

// Queue returns a Queue using the Runner's clock.
func (r *Runner) Queue() *Queue { return r.queue }

// Register sets the handler of a kind. Only registered kinds are claimed,
// so during a rolling upgrade an old process leaves a new kind alone.
// It panics on a duplicate kind: that is a wiring mistake.
func (r *Runner) Register(kind string, h Handler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if kind == "" || h == nil {
		panic("jobs: Register needs a kind and a handler")
	}
	if _, dup := r.handlers[kind]; dup {
		panic("jobs: kind registered twice: " + kind)
	}
	r.handlers[kind] = h
	r.kinds = append(r.kinds, kind)
	slices.Sort(r.kinds)
}

func (r *Runner) handler(kind string) Handler {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.handlers[kind]
}

func (r *Runner) registeredKinds() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.kinds) // Register may sort the original meanwhile
}

// Start launches the workers and the scheduler and returns at once. They
// stop claiming when ctx ends or Stop is called; Stop also waits for the
// handlers still running, so call it on shutdown either way.
func (r *Runner) Start(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.started {
		return errors.New("jobs: runner already started")
	}
	r.started = true
	ctx, r.cancel = context.WithCancel(ctx)
	for i := 0; i < r.cfg.Workers; i++ {
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			r.work(ctx)
		}()
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		r.scheduleLoop(ctx)
	}()
	return nil
}

// Stop stops claiming new jobs and waits for running handlers to finish.
// It is safe to call more than once, and before Start.
func (r *Runner) Stop() {
	r.mu.Lock()
	cancel := r.cancel
	r.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	r.wg.Wait()
}

func (r *Runner) work(ctx context.Context) {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		ran, err := r.runOne(ctx)
		if err != nil && ctx.Err() == nil {
			r.log.Error("claim failed", "err", err)
		}
		if ran && err == nil {
			if ctx.Err() != nil {
				return
			}
			continue // there may be more due right now
		}
		t.Reset(r.cfg.PollInterval)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunDue enqueues the current slot of every schedule, then runs due jobs
// one after another in the calling goroutine until none is left, and
// returns how many it ran. Tests use it with a fake clock; a CLI command
// may use it to drain the queue without starting workers.
func (r *Runner) RunDue(ctx context.Context) (int, error) {
	if err := r.tick(ctx); err != nil {
		return 0, err
	}
	n := 0
	for {
		ran, err := r.runOne(ctx)
		if err != nil {
			return n, err
		}
		if !ran {
			return n, nil
		}
		n++
	}
}

// runOne claims one due job and runs it. It reports whether there was one.
func (r *Runner) runOne(ctx context.Context) (bool, error) {
	if ctx.Err() != nil {
		return false, nil
	}
	j, ok, err := r.claim(ctx)
	if err != nil || !ok {
		return false, err
	}
	r.execute(ctx, j)
	return true, nil
}
