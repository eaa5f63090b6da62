package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/linli/linli/internal/clock"
)

// schedule is periodic work registered with Every.
type schedule struct {
	name     string
	interval time.Duration
	kind     string
	payload  func(slot time.Time) any
	last     time.Time // slot this process last enqueued
}

// Every enqueues a job of kind once per slot of the given interval. Slots
// are aligned to midnight in Asia/Shanghai (clock.Shanghai): with 24h a
// slot starts at 00:00 Beijing time, with 1h on the hour, with 7·24h on
// Monday. The job's UniqueKey is "schedule:<name>:<slot start>", so when
// several processes run the same schedule only the first enqueue of a slot
// counts and the work runs once. payload (which may be nil) receives the
// slot start in UTC.
//
// Only the current slot is enqueued: a slot that passed while every
// process was down is skipped, not caught up. A process starting in the
// middle of a slot enqueues it if nobody has, so a daily job still runs on
// a day the server was restarted. The kind needs a Register'ed handler.
func (r *Runner) Every(name string, interval time.Duration, kind string, payload func(slot time.Time) any) {
	if name == "" || kind == "" || interval < time.Minute {
		panic(fmt.Sprintf("jobs: Every(%q, %v, %q): need a name, a kind and an interval of a minute or more", name, interval, kind))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.schedules {
		if s.name == name {
			panic("jobs: schedule registered twice: " + name)
		}
	}
	r.schedules = append(r.schedules, &schedule{name: name, interval: interval, kind: kind, payload: payload})
}

// SlotStart returns the start of the slot of the given interval that
// contains t, aligned as Every describes, in UTC.
func SlotStart(t time.Time, interval time.Duration) time.Time {
	_, off := t.In(clock.Shanghai).Zone()
	shift := time.Duration(off) * time.Second
	// Truncate counts from the zero time, a Monday at 00:00 UTC; shifting
	// by the zone offset moves that to 00:00 in Shanghai.
	return t.UTC().Add(shift).Truncate(interval).Add(-shift)
}

// SlotKey is the UniqueKey of a schedule's job for one slot.
func SlotKey(name string, slot time.Time) string {
	return "schedule:" + name + ":" + slot.UTC().Format(time.RFC3339)
}

// tick enqueues the current slot of each schedule not yet enqueued by this
// process, and fails jobs abandoned on their last attempt.
func (r *Runner) tick(ctx context.Context) error {
	now := r.cfg.Clock.Now()
	r.mu.Lock()
	scheds := append([]*schedule(nil), r.schedules...)
	r.mu.Unlock()
	var errs []error
	for _, s := range scheds {
		slot := SlotStart(now, s.interval)
		r.mu.Lock()
		seen := s.last.Equal(slot)
		r.mu.Unlock()
		if seen {
			continue
		}
		var payload any
		if s.payload != nil {
			payload = s.payload(slot)
		}
		_, _, err := r.queue.Enqueue(ctx, r.db, Job{Kind: s.kind, Payload: payload, RunAt: slot, UniqueKey: SlotKey(s.name, slot)})
		if err != nil {
			errs = append(errs, fmt.Errorf("jobs: schedule %s: %w", s.name, err))
			continue
		}
		r.mu.Lock()
		s.last = slot
		r.mu.Unlock()
	}
	if err := r.sweep(ctx); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (r *Runner) scheduleLoop(ctx context.Context) {
	t := time.NewTicker(r.cfg.PollInterval)
	defer t.Stop()
	for {
		if err := r.tick(ctx); err != nil && ctx.Err() == nil {
			r.log.Error("scheduler tick failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
