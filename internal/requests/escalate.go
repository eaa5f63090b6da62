package requests

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/jobs"
	"github.com/linli/linli/internal/notify"
)

// KindEscalate is the hourly job that escalates overdue requests (督办).
const KindEscalate = "requests.escalate"

// ActEscalated is the timeline event of an escalation: a flag on the
// request's history, not a transition (its status stays).
const ActEscalated Action = "escalated"

// Escalation levels: who is told when a request is overdue. Level 1 when
// a due passes, each next one a further span of the same limit later
// (the time the limit allowed), so an emergency climbs in hours and a
// general request in days.
const (
	LevelGrid   = 1 // the grid's worker (the community's workers if the grid has none)
	LevelAdmin  = 2 // the community's admins
	LevelStreet = 3 // the street's supervisors
)

var levelNames = map[int]string{LevelGrid: "网格员", LevelAdmin: "社区管理员", LevelStreet: "街道"}
var deadlineNames = map[string]string{"dispatch": "派单", "sign": "签收", "feedback": "反馈"}

// Register adds the escalation job and schedules it hourly. The
// scheduler deduplicates slots across processes; Escalate itself is safe
// to run twice at once.
func (s *Service) Register(r *jobs.Runner) {
	r.Register(KindEscalate, func(ctx context.Context, _ jobs.Job) error {
		_, err := s.Escalate(ctx)
		return err
	})
	r.Every("requests-escalate", time.Hour, KindEscalate, nil)
}

// Escalate escalates every overdue request to the levels its lateness
// has reached and returns how many escalations it made. Exactly once per
// request, deadline, due and level however often and however
// concurrently it runs: request_escalations' key is the lock, and the
// timeline event and notifications are written in the same transaction
// as its row. A due that arises anew (reopened, re-dispatched, extended)
// climbs the levels again from the first when it passes.
func (s *Service) Escalate(ctx context.Context) (int, error) {
	now := s.clock.Now().UTC()
	cond, args := overdueCondition(now)
	rows, err := s.db.Query(ctx, `SELECT `+rowColumns+rowJoins+` WHERE `+cond+` ORDER BY q.id`, args...)
	if err != nil {
		return 0, fmt.Errorf("requests: escalate: %w", err)
	}
	var late []*row
	for rows.Next() {
		r, err := scanRow(rows)
		if err != nil {
			rows.Close()
			return 0, fmt.Errorf("requests: escalate: %w", err)
		}
		late = append(late, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("requests: escalate: %w", err)
	}
	made := 0
	var errs []error
	for _, r := range late {
		for _, p := range pendingDues(r) {
			if !now.After(p.due) {
				continue
			}
			for level := LevelGrid; level <= reached(p, now); level++ {
				ok, err := s.escalate(ctx, r, p, level, now)
				if err != nil {
					errs = append(errs, fmt.Errorf("requests: escalate %d: %w", r.id, err))
					break
				}
				if ok {
					made++
				}
			}
		}
	}
	return made, errors.Join(errs...)
}

// reached is the level a due p has reached at now: 1 at the due, one
// more for each further span of the limit (at least an hour), at most
// LevelStreet.
func reached(p pending, now time.Time) int {
	span := p.due.Sub(p.start)
	if p.start.IsZero() || span < time.Hour {
		span = time.Hour
	}
	return min(LevelStreet, LevelGrid+int(now.Sub(p.due)/span))
}

// escalate records one escalation unless it was already made, and
// reports whether it made it.
func (s *Service) escalate(ctx context.Context, r *row, p pending, level int, now time.Time) (bool, error) {
	made := false
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, `INSERT INTO request_escalations (request_id, deadline, level, due_at, at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (request_id, deadline, level, due_at) DO NOTHING`, r.id, p.deadline, level, p.due, now)
		if err != nil {
			return fmt.Errorf("escalation row: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // another runner made it
		}
		// The status is read again under the row's update: a request
		// closed since the list was read is not escalated (rolled back).
		var seq int64
		var status string
		err = tx.QueryRow(ctx, `UPDATE requests SET last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq, status`, r.id).Scan(&seq, &status)
		if err != nil {
			return fmt.Errorf("timeline seq: %w", err)
		}
		if status != r.status {
			return errChanged
		}
		note := fmt.Sprintf("%s超时，督办：%s", deadlineNames[p.deadline], levelNames[level])
		sys := accounts.Console("requests.escalate")
		if err := s.event(ctx, tx, sys, r.cid, r.id, seq, event{action: ActEscalated, from: Status(status), to: Status(status),
			note: note, reason: p.deadline}, now); err != nil {
			return err
		}
		if err := s.record(ctx, tx, sys, "request.escalate", r.cid, r.id, fmt.Sprintf("%s:%d:%s", p.deadline, level, p.due.Format(time.RFC3339))); err != nil {
			return err
		}
		to, err := escalationAccounts(ctx, tx, r, level)
		if err != nil {
			return err
		}
		if s.notify != nil {
			for _, a := range to {
				kind := "request.escalated"
				if _, _, err := s.notify.Send(ctx, tx, notify.Notification{CommunityID: r.cid, AccountID: a, Kind: kind,
					EventID: fmt.Sprintf("%s:%d:%s:%d:%d:account:%d", kind, r.id, p.deadline, p.due.Unix(), level, a),
					Title:   "督办 " + r.number + " " + note, Link: fmt.Sprintf("/requests/%d", r.id)}); err != nil {
					return err
				}
			}
		}
		made = true
		return nil
	})
	if errors.Is(err, errChanged) {
		return false, nil
	}
	return made, err
}

var errChanged = errors.New("requests: changed while escalating")

// escalationAccounts are whom level tells about r: its grid's workers
// (the community's workers when it has no grid or the grid no worker),
// the community's admins, or the supervisors of its street.
func escalationAccounts(ctx context.Context, q db.Querier, r *row, level int) ([]int64, error) {
	var query string
	var args []any
	switch level {
	case LevelGrid:
		ids, err := accountsOf(ctx, q, `SELECT DISTINCT g.account_id FROM grants g JOIN accounts a ON a.id = g.account_id
			WHERE g.community_id = ? AND g.role = 'grid' AND g.grid_id = ? AND a.disabled_at IS NULL ORDER BY 1`, r.cid, r.gridID)
		if err != nil || len(ids) > 0 {
			return ids, err
		}
		query, args = `SELECT DISTINCT g.account_id FROM grants g JOIN accounts a ON a.id = g.account_id
			WHERE g.community_id = ? AND g.role = 'worker' AND a.disabled_at IS NULL ORDER BY 1`, []any{r.cid}
	case LevelAdmin:
		query, args = `SELECT DISTINCT g.account_id FROM grants g JOIN accounts a ON a.id = g.account_id
			WHERE g.community_id = ? AND g.role = 'admin' AND a.disabled_at IS NULL ORDER BY 1`, []any{r.cid}
	default:
		query, args = `SELECT DISTINCT g.account_id FROM grants g JOIN accounts a ON a.id = g.account_id
			JOIN communities c ON c.street_id = g.street_id
			WHERE c.id = ? AND g.role = 'street' AND a.disabled_at IS NULL ORDER BY 1`, []any{r.cid}
	}
	return accountsOf(ctx, q, query, args...)
}

func accountsOf(ctx context.Context, q db.Querier, query string, args ...any) ([]int64, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("requests: escalation accounts: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("requests: escalation accounts: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
