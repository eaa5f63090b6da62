package notify

import (
	"context"
	"fmt"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/policy"
)

// The inbox belongs to its account: every method reads and changes the
// actor's own rows only, and someone else's notification is reported as
// not found, never touched.

func signedIn(actor *accounts.Principal, a policy.Action) error {
	if actor == nil || actor.AccountID == 0 {
		return apperr.UnauthenticatedErr()
	}
	if !policy.Permits(actor, a) {
		return apperr.ForbiddenErr()
	}
	return nil
}

// List returns the actor's notifications, newest first, and how many match
// in all. limit defaults to 20 and is at most 100.
func (s *Service) List(ctx context.Context, actor *accounts.Principal, onlyUnread bool, limit, offset int) ([]Notification, int, error) {
	if err := signedIn(actor, policy.Notifications); err != nil {
		return nil, 0, err
	}
	if limit <= 0 || limit > 100 {
		limit = 20
	}
	offset = max(offset, 0)
	cond := ` WHERE account_id = ?`
	if onlyUnread {
		cond += ` AND read_at IS NULL`
	}
	var total int
	if err := s.db.QueryRow(ctx, `SELECT count(*) FROM notifications`+cond, actor.AccountID).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("notify: count: %w", err)
	}
	rows, err := s.db.Query(ctx, `SELECT `+columns+` FROM notifications`+cond+` ORDER BY id DESC LIMIT ? OFFSET ?`,
		actor.AccountID, limit, offset)
	if err != nil {
		return nil, 0, fmt.Errorf("notify: list: %w", err)
	}
	defer rows.Close()
	var out []Notification
	for rows.Next() {
		n, err := scan(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("notify: scan: %w", err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("notify: list: %w", err)
	}
	return out, total, nil
}

// UnreadCount is the number on the bell. It takes an account id rather than
// a principal because the layout asks on every page for the signed-in
// account only.
func (s *Service) UnreadCount(ctx context.Context, accountID int64) (int, error) {
	var n int
	err := s.db.QueryRow(ctx, `SELECT count(*) FROM notifications WHERE account_id = ? AND read_at IS NULL`, accountID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("notify: unread count: %w", err)
	}
	return n, nil
}

// MarkRead marks one of the actor's notifications read. Marking a read one
// again is fine; an id that is not the actor's is apperr NotFound.
func (s *Service) MarkRead(ctx context.Context, actor *accounts.Principal, id int64) error {
	if err := signedIn(actor, policy.NotificationsMark); err != nil {
		return err
	}
	now := s.clock.Now().UTC()
	res, err := s.db.Exec(ctx, `UPDATE notifications SET read_at = ? WHERE id = ? AND account_id = ? AND read_at IS NULL`,
		now, id, actor.AccountID)
	if err != nil {
		return fmt.Errorf("notify: mark %d read: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	var c int
	if err := s.db.QueryRow(ctx, `SELECT count(*) FROM notifications WHERE id = ? AND account_id = ?`, id, actor.AccountID).Scan(&c); err != nil {
		return fmt.Errorf("notify: mark %d read: %w", id, err)
	}
	if c == 0 {
		return apperr.NotFoundErr()
	}
	return nil
}

// MarkAllRead marks every unread notification of the actor read and
// returns how many there were.
func (s *Service) MarkAllRead(ctx context.Context, actor *accounts.Principal) (int64, error) {
	if err := signedIn(actor, policy.NotificationsMark); err != nil {
		return 0, err
	}
	res, err := s.db.Exec(ctx, `UPDATE notifications SET read_at = ? WHERE account_id = ? AND read_at IS NULL`,
		s.clock.Now().UTC(), actor.AccountID)
	if err != nil {
		return 0, fmt.Errorf("notify: mark all read: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
