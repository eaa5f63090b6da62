package activities

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/audit"
	"github.com/linli/linli/internal/volunteers"
)

// Sign-ups on PostgreSQL, many in one statement.
//
// One sign-up is one statement (signup_once.go), and what is left of its
// cost is the statement's own: PostgreSQL binds it, opens and locks a dozen
// tables and their indexes, runs it and flushes its commit, and the
// statement does one row's work in between. When many people sign up at
// once, the sign-ups that arrive while statements are running wait, and
// the next statement takes all of them: the same reading, rules and
// writes, one row per sign-up, so the fixed cost is paid once per batch.
// Nobody waits for a batch to fill: a sign-up that finds a statement slot
// free runs at once, alone; only those that would queue for a connection
// anyway are gathered (the way a database groups the commits that wait
// for one flush). Two of this process's statements never run on one
// date (other paths and other processes still may; the lock on the date
// keeps them apart): the second would
// only wait for the first's lock on it, so its sign-ups wait for the
// date's next batch instead (bench/README.md: one hot date went from 0.35
// to 0.43-0.45 of a bare insert handler).
//
// Places are handed out in the order the sign-ups arrived: the statement
// locks the dates it hands places of (in the order of their ids, so that
// two batches never wait on each other crosswise), reads how many are
// left under that lock, and gives them to the first rows of the batch.
// Whoever is refused, finds no place, or is a child (whose birth date only
// Go can read) goes on through SignUp with the facts read, as after the
// one-row statement; a child Go admits comes back to the batcher as a
// decided row, which only takes the place. If the statement fails as a
// whole (two rows of one person and date, a deadlock), each sign-up is
// run again alone, so one person's duplicate never costs another their
// place.

// batchMax caps the sign-ups one statement takes.
const batchMax = 64

type onceJob struct {
	ctx          context.Context
	actor        *accounts.Principal
	cid, id, vid int64
	now          time.Time
	done         chan struct{}
	// decided: Go has admitted vid already (a child, whose birth date SQL
	// cannot read), with accompanied; the statement only takes the place.
	decided, accompanied bool

	su       *Signup
	o        *occ
	f        volunteers.Facts
	admitted bool
	err      error
}

// batcher holds the sign-ups waiting for a statement slot.
type batcher struct {
	mu      sync.Mutex
	queue   []*onceJob
	running int
	busy    map[int64]int // the dates of the running statements
	largest int           // the most sign-ups one statement has taken, for tests
}

// hold counts jobs' dates in (by +1) or out (by -1) of the running
// statements.
func (b *batcher) hold(jobs []*onceJob, by int) {
	if b.busy == nil {
		b.busy = map[int64]int{}
	}
	for _, j := range jobs {
		if b.busy[j.id] += by; b.busy[j.id] == 0 {
			delete(b.busy, j.id)
		}
	}
}

// slots is how many sign-up statements run at once: as many as the
// process has cores, at least two, and at most eight, which leaves most
// of the pool (db: 20 connections) to everything else.
func slots() int { return min(max(2, runtime.GOMAXPROCS(0)), 8) }

// signUpAtOnce runs j in the next statement: at once and alone when a slot
// is free, else with the others that wait. A sign-up for a date that a
// running statement is signing people up for waits too: it would only
// wait there for that statement's lock on the date, holding a connection,
// and it joins the next batch of that date instead.
func (s *Service) signUpAtOnce(j *onceJob) {
	b := &s.batch
	b.mu.Lock()
	if b.running < slots() && b.busy[j.id] == 0 {
		b.running++
		alone := []*onceJob{j}
		b.hold(alone, 1)
		b.mu.Unlock()
		defer s.nextBatch(alone) // the slot passes on, whatever happens
		s.runAlone(j)
		return
	}
	j.done = make(chan struct{})
	b.queue = append(b.queue, j)
	b.mu.Unlock()
	select {
	case <-j.done:
	case <-j.ctx.Done():
		// The caller has gone: out of the queue if it is still there,
		// else its statement is running and its outcome stands.
		b.mu.Lock()
		if i := slices.Index(b.queue, j); i >= 0 {
			b.queue = slices.Delete(b.queue, i, i+1)
			b.mu.Unlock()
			j.err = j.ctx.Err()
			return
		}
		b.mu.Unlock()
		<-j.done
	}
}

// nextBatch hands the slot of the statement that ran done to the
// sign-ups that queued meanwhile, those of dates no other statement is
// on, or frees it. The batch runs in a goroutine of its own, so the
// caller answers its own request without waiting for others'.
func (s *Service) nextBatch(done []*onceJob) {
	b := &s.batch
	b.mu.Lock()
	b.hold(done, -1)
	var jobs []*onceJob
	rest := b.queue[:0]
	for _, j := range b.queue {
		if len(jobs) < batchMax && b.busy[j.id] == 0 {
			jobs = append(jobs, j)
		} else {
			rest = append(rest, j)
		}
	}
	clear(b.queue[len(rest):])
	b.queue = rest
	if len(jobs) == 0 {
		b.running--
		b.mu.Unlock()
		return
	}
	b.hold(jobs, 1)
	b.largest = max(b.largest, len(jobs))
	b.mu.Unlock()
	go func() {
		defer s.nextBatch(jobs)
		defer func() {
			// Whatever happens, nobody is left waiting: a panic here would
			// otherwise hang every request of the batch.
			if r := recover(); r != nil {
				err := fmt.Errorf("activities: sign up a batch: %v", r)
				s.log.Error("activities: a batch of sign-ups panicked", "err", err, "stack", string(debug.Stack()))
				for _, j := range jobs {
					if j.su == nil && j.o == nil && j.err == nil {
						j.err = err
					}
				}
			}
			for _, j := range jobs {
				close(j.done)
			}
		}()
		s.runBatch(jobs)
	}()
}

// runBatch runs jobs in one statement, or alone when they are one or the
// statement fails.
func (s *Service) runBatch(jobs []*onceJob) {
	live := jobs[:0:0]
	for _, j := range jobs {
		if err := j.ctx.Err(); err != nil {
			j.err = err // the caller has gone: sign nobody up for them
			continue
		}
		live = append(live, j)
	}
	if len(live) > 1 {
		err := s.signUpBatch(live)
		if err == nil {
			return
		}
		s.log.Warn("activities: a batch of sign-ups failed; signing them up one by one", "err", err, "size", len(live))
	}
	for _, j := range live {
		s.runAlone(j)
	}
}

// runAlone runs j in a statement of its own: the one-row sign-up, or for
// a volunteer Go has admitted, the place alone.
func (s *Service) runAlone(j *onceJob) {
	if !j.decided {
		j.su, j.o, j.f, j.admitted, j.err = s.signUpOnce(j.ctx, j.actor, j.cid, j.id, j.vid, j.now)
		return
	}
	out := Signup{OccurrenceID: j.id, VolunteerID: j.vid, Accompanied: j.accompanied}
	e := j.actor.Audit(j.now, "activity.signup", j.cid)
	e.ObjectType, e.ObjectID = "occurrence", fmt.Sprint(j.id)
	taken, err := s.takePlace(j.ctx, j.cid, &out, j.actor, e, j.now)
	switch {
	case err != nil:
		j.err = err
	case taken:
		j.su = &out
	}
}

// batchColumns are the columns b holds per sign-up, in the order of
// batchArgs' arrays.
const batchColumns = `b_i, b_occ, b_cid, b_mode, b_vid, b_account, b_office, b_decided, b_acc, b_at, b_name, b_role, b_client, b_request, b_detail`

// batchFacts is the batch's reading part: b, one row per sign-up, and the
// date's and volunteer's facts for each (factsSQL). Its arguments are
// batchArgs.
var batchFacts = func() string {
	want, _ := volunteers.ActsForBatch("u.b_mode", "u.b_vid", "u.b_cid", "u.b_account")
	_, allowed := volunteers.ActsForBatch("b.b_mode", "b.b_vid", "b.b_cid", "b.b_account")
	return `b AS (
		SELECT u.*, ` + want + ` AS b_want
		FROM unnest(?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::boolean[], ?::boolean[], ?::boolean[], ?::timestamptz[],
			?::text[], ?::text[], ?::text[], ?::text[], ?::text[]) AS u(` + batchColumns + `)),
	` + factsSQL("b.*, ", "b JOIN occurrences oc ON oc.id = b.b_occ AND oc.community_id = b.b_cid",
		"v.id = b.b_want AND "+allowed, "true", "b_at", "b_office", "b_decided", "b_acc")
}()

// batchStatement reads, admits and writes a batch. lk locks the dates
// (by id) and reads the places left under the lock. one leaves out who is
// on the date already and a person's second row, which would otherwise
// fail the whole statement on the unique key (they go on through SignUp,
// which tells them they are signed up already), and ranks the rest by
// date in the order they came. g are the rows that get a place; place, s
// and logged write them. one and g are materialized so that joining them
// to lk never reruns the ranking once per date.
var batchStatement = `WITH ` + batchFacts + `,
	lk AS MATERIALIZED (
		SELECT o.id, o.capacity - o.signed AS free FROM occurrences o
		WHERE o.id IN (SELECT occ FROM ok) AND NOT o.cancelled ORDER BY o.id FOR NO KEY UPDATE),
	one AS MATERIALIZED (
		SELECT u.*, row_number() OVER (PARTITION BY u.occ ORDER BY u.b_i) AS rk FROM (
			SELECT DISTINCT ON (occ, f_vid) * FROM ok
			WHERE NOT EXISTS (SELECT 1 FROM signups x WHERE x.occurrence_id = ok.occ AND x.volunteer_id = ok.f_vid AND x.status <> 'cancelled')
			ORDER BY occ, f_vid, b_i) u),
	g AS MATERIALIZED (
		SELECT one.* FROM one JOIN lk ON lk.id = one.occ WHERE one.rk <= lk.free),
	place AS (
		UPDATE occurrences o SET signed = o.signed + n.n FROM (SELECT occ, count(*) AS n FROM g GROUP BY occ) n WHERE o.id = n.occ),
	s AS (
		INSERT INTO signups (community_id, occurrence_id, volunteer_id, status, position, accompanied, signed_by, created_at, changed_at)
		SELECT cid, occ, f_vid, 'signed', 0, f_accompanied, NULLIF(b_account, 0), b_at, b_at FROM g
		RETURNING id, occurrence_id, volunteer_id, accompanied),
	logged AS (
		INSERT INTO audit_log ` + audit.Columns + `
		SELECT g.b_at, NULLIF(g.b_account, 0), g.b_name, g.b_role, g.cid, 'activity.signup', 'occurrence', g.occ::text, '', '` + audit.OK + `',
			g.b_client, g.b_request, replace(g.b_detail, '{volunteer}', s.volunteer_id::text)
		FROM s JOIN g ON g.occ = s.occurrence_id AND g.f_vid = s.volunteer_id)
	SELECT e.b_i, ` + onceColumns + `, EXISTS (SELECT 1 FROM ok WHERE ok.b_i = e.b_i), s.id, s.accompanied
	FROM e LEFT JOIN g ON g.b_i = e.b_i LEFT JOIN s ON s.occurrence_id = g.occ AND s.volunteer_id = g.f_vid`

// batchArgs are the arrays b is read from, one element per job, or an
// error of the job's own (an actor outside the community: not found)
// left in the job, which then takes no row.
func batchArgs(jobs []*onceJob) ([]any, []*onceJob) {
	n := len(jobs)
	var (
		is, occs, cids, modes, vids, accounts = make([]int64, 0, n), make([]int64, 0, n), make([]int64, 0, n), make([]int64, 0, n), make([]int64, 0, n), make([]int64, 0, n)
		office, decided, acc                  = make([]bool, 0, n), make([]bool, 0, n), make([]bool, 0, n)
		at                                    = make([]time.Time, 0, n)
		names, roles, clients, requests, det  = make([]string, 0, n), make([]string, 0, n), make([]string, 0, n), make([]string, 0, n), make([]string, 0, n)
	)
	var in []*onceJob
	for i, j := range jobs {
		mode, err := volunteers.ActsForMode(j.actor, j.cid, 0, j.vid)
		if err != nil {
			j.err = err
			continue
		}
		e := j.actor.Audit(j.now, "activity.signup", j.cid)
		e.ObjectType, e.ObjectID, e.Detail = "occurrence", fmt.Sprint(j.id), "volunteer {volunteer} "+Signed
		ea, err := e.Args()
		if err != nil {
			j.err = err
			continue
		}
		in = append(in, j)
		is, occs, cids, modes, vids = append(is, int64(i)), append(occs, j.id), append(cids, j.cid), append(modes, int64(mode)), append(vids, j.vid)
		accounts, office, at = append(accounts, j.actor.AccountID), append(office, volunteers.Office(j.actor, j.cid)), append(at, j.now)
		decided, acc = append(decided, j.decided), append(acc, j.accompanied)
		// The audit entry's cleaned values, as audit.Record would write them.
		names, roles = append(names, ea[2].(string)), append(roles, ea[3].(string))
		clients, requests, det = append(clients, ea[10].(string)), append(requests, ea[11].(string)), append(det, ea[12].(string))
	}
	return []any{is, occs, cids, modes, vids, accounts, office, decided, acc, at, names, roles, clients, requests, det}, in
}

// signUpBatch runs jobs in one statement and fills in each job's outcome,
// as signUpOnce would have. When the statement fails it writes nothing
// and returns the error, having filled in only the errors of jobs that
// never reached it (an actor outside the community).
func (s *Service) signUpBatch(jobs []*onceJob) error {
	args, in := batchArgs(jobs)
	if len(in) == 0 {
		return nil
	}
	if s.batchFault != nil {
		if err := s.batchFault(); err != nil {
			return fmt.Errorf("activities: sign up a batch: %w", err)
		}
	}
	// The batch is everyone's: no caller's going away, request id or
	// principal belongs to it.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rows, err := s.db.Query(ctx, batchStatement, args...)
	if err != nil {
		return fmt.Errorf("activities: sign up a batch: %w", err)
	}
	defer rows.Close()
	type outcome struct {
		o        occ
		f        volunteers.Facts
		admitted bool
		sid      sql.NullInt64
		acc      sql.NullBool
	}
	got := make(map[int64]*outcome, len(in))
	for rows.Next() {
		var i int64
		r := &outcome{}
		if err := rows.Scan(append(append([]any{&i}, scanOnce(&r.o, &r.f)...), &r.admitted, &r.sid, &r.acc)...); err != nil {
			// The statement has written (it commits as rows are read to
			// the end): running the sign-ups again would find them taken,
			// so each is told what went wrong.
			err = fmt.Errorf("activities: sign up a batch: %w", err)
			s.log.Error("activities: a batch of sign-ups was written but not read back", "err", err, "size", len(in))
			for _, j := range in {
				j.err = err
			}
			return nil
		}
		got[i] = r
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("activities: sign up a batch: %w", err)
	}
	for i, j := range jobs {
		if j.err != nil {
			continue
		}
		r, ok := got[int64(i)]
		switch {
		case !ok:
			j.err = apperr.NotFoundErr() // no such date in the actor's community
		case r.sid.Valid:
			j.su = &Signup{ID: r.sid.Int64, OccurrenceID: j.id, VolunteerID: r.f.VolunteerID, Status: Signed, Accompanied: r.acc.Bool}
			j.f, j.admitted = r.f, true
		default:
			o := r.o
			j.o, j.f, j.admitted = &o, r.f, r.admitted
		}
	}
	return nil
}
