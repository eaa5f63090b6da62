package activities

import (
	"context"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/volunteers"
)

// SetGap makes s call f between a method's first reads and its
// transaction (see Service.gap), so a test can run a rival change there.
func SetGap(s *Service, f func(at string)) { s.gap = f }

// AtOnce reports whether SignUp's one statement (signUpOnce) admits vid
// to occurrence id for actor, writing nothing, next to what the
// three-round-trip path decides (nil: admitted). ok is false for an
// actor the one statement is not for.
func AtOnce(ctx context.Context, s *Service, actor *accounts.Principal, id, vid int64) (admitted bool, slow error, ok bool, err error) {
	now := s.clock.Now()
	slow = func() error {
		o, err := s.occurrence(ctx, s.db, id)
		if err != nil {
			return err
		}
		if !volunteers.Member(actor, o.cid) {
			return apperr.NotFoundErr()
		}
		if err := s.admissible(o, actor, now); err != nil {
			return err
		}
		_, err = s.vol.EligibleFor(ctx, actor, o.ask(vid))
		return err
	}()
	cid := onceCommunity(actor)
	if cid == 0 {
		return false, slow, false, nil
	}
	cond, args, err := volunteers.ActsForCond(actor, cid, 0, vid)
	if err != nil {
		return false, slow, true, nil
	}
	args = append(args, id, cid, now, volunteers.Office(actor, cid), now)
	err = s.db.QueryRow(ctx, `WITH `+onceFacts(cond)+` SELECT EXISTS (SELECT 1 FROM ok)`, args...).Scan(&admitted)
	return admitted, slow, true, err
}

// LargestBatch is the most sign-ups one statement has taken on s.
func LargestBatch(s *Service) int {
	s.batch.mu.Lock()
	defer s.batch.mu.Unlock()
	return s.batch.largest
}

// Job is one sign-up for a batch: actor signs vid (0: themselves) up for
// occurrence Occ.
type Job struct {
	Actor    *accounts.Principal
	Occ, Vid int64
	// Decided: Go has admitted Vid (as for a child), Accompanied or not;
	// the batch only takes the place.
	Decided, Accompanied bool
	Gone                 bool // for RunBatch: the caller has gone away
}

// Outcome is what a batch made of a Job: the sign-up written, or whether
// the rules in SQL admitted the volunteer (nothing written: no place, or
// left to Go), or the job's error.
type Outcome struct {
	Signup   *Signup
	Admitted bool
	Err      error
}

func toJobs(ctx context.Context, s *Service, in []Job) []*onceJob {
	now := s.clock.Now()
	out := make([]*onceJob, len(in))
	for i, j := range in {
		cid := onceCommunity(j.Actor)
		out[i] = &onceJob{ctx: ctx, actor: j.Actor, cid: cid, id: j.Occ, vid: j.Vid, now: now, decided: j.Decided, accompanied: j.Accompanied}
	}
	return out
}

// Batch runs in as one batch statement, as the batcher does when sign-ups
// queue. It returns the statement's error as a whole (nothing written).
func Batch(ctx context.Context, s *Service, in []Job) ([]Outcome, error) {
	js := toJobs(ctx, s, in)
	if err := s.signUpBatch(js); err != nil {
		return nil, err
	}
	out := make([]Outcome, len(js))
	for i, j := range js {
		out[i] = Outcome{Signup: j.su, Admitted: j.admitted, Err: j.err}
	}
	return out, nil
}

// FailBatches makes s's batch statements fail with err before they run
// (nil: run them again).
func FailBatches(s *Service, err error) {
	if err == nil {
		s.batchFault = nil
		return
	}
	s.batchFault = func() error { return err }
}

// RunBatch runs in as the batcher does: as one statement, or each alone
// when the statement fails. A job whose Gone is set has a caller that
// went away while it waited.
func RunBatch(ctx context.Context, s *Service, in []Job) []Outcome {
	js := toJobs(ctx, s, in)
	for i, j := range in {
		if j.Gone {
			c, cancel := context.WithCancel(ctx)
			cancel()
			js[i].ctx = c
		}
	}
	s.runBatch(js)
	out := make([]Outcome, len(js))
	for i, j := range js {
		out[i] = Outcome{Signup: j.su, Admitted: j.admitted, Err: j.err}
	}
	return out
}

// AdmittedInBatch reports, writing nothing, whether the batch statement's
// reading part admits each job (false for a job without a row: not found).
func AdmittedInBatch(ctx context.Context, s *Service, in []Job) ([]bool, error) {
	js := toJobs(ctx, s, in)
	args, _ := batchArgs(js)
	rows, err := s.db.Query(ctx, `WITH `+batchFacts+` SELECT e.b_i, EXISTS (SELECT 1 FROM ok WHERE ok.b_i = e.b_i) FROM e`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]bool, len(in))
	for rows.Next() {
		var i int64
		var ok bool
		if err := rows.Scan(&i, &ok); err != nil {
			return nil, err
		}
		out[i] = ok
	}
	return out, rows.Err()
}
