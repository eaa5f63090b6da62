package accounts

import (
	"context"
	"database/sql"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/audit"
	"github.com/linli/linli/internal/db"
)

// Credentials is a sign-in attempt and where it came from.
type Credentials struct {
	Username, Password string
	Kind               string // KindWeb or KindAPI
	ClientAddr         string
	UserAgent          string
	RequestID          string
}

// errBadLogin is the one answer for an unknown user, a wrong password, a
// disabled account and a locked (user, address) pair, so none of them can
// be told apart from outside.
func errBadLogin() error { return apperr.New(apperr.Unauthenticated, "login.failed") }

// Login checks credentials and opens a session. Throttling: after
// LockAfter failures a (username, address) pair is locked for LockFor,
// while the same user from another address can still sign in; an address
// that fails more than AddrMaxFailures times in AddrWindow across all
// usernames (password spraying) gets RateLimited.
func (s *Service) Login(ctx context.Context, c Credentials) (*Session, *Principal, error) {
	user := NormalizeUsername(c.Username)
	if user == "" || c.Password == "" || utf8.RuneCountInString(user) > 100 || len(c.Password) > 1024 {
		var v apperr.Validation
		if user == "" || utf8.RuneCountInString(user) > 100 {
			v.Add("username", "login.username.required", nil)
		}
		if c.Password == "" || len(c.Password) > 1024 {
			v.Add("password", "login.password.required", nil)
		}
		return nil, nil, v.Err()
	}
	if c.Kind != KindWeb && c.Kind != KindAPI {
		return nil, nil, fmt.Errorf("accounts: login kind %q", c.Kind)
	}
	now := s.clock.Now()
	base := audit.Entry{At: now, Action: "account.login", ActorName: user, ClientAddr: c.ClientAddr, RequestID: c.RequestID, ObjectType: "account"}

	var addrFailures int
	if err := s.db.QueryRow(ctx, `SELECT COALESCE(SUM(failures), 0) FROM login_throttle WHERE client_addr = ? AND last_failed_at > ?`,
		c.ClientAddr, now.Add(-s.opt.AddrWindow)).Scan(&addrFailures); err != nil {
		return nil, nil, fmt.Errorf("accounts: read throttle: %w", err)
	}
	if addrFailures >= s.opt.AddrMaxFailures {
		e := base
		e.Result, e.Detail = audit.Denied, "address rate limited"
		if err := audit.Record(ctx, s.db, e); err != nil {
			return nil, nil, err
		}
		return nil, nil, apperr.New(apperr.RateLimited, "login.rate_limited")
	}

	var lockedUntil sql.NullTime
	err := s.db.QueryRow(ctx, `SELECT locked_until FROM login_throttle WHERE username = ? AND client_addr = ?`, user, c.ClientAddr).Scan(&lockedUntil)
	if err != nil && !isNoRows(err) {
		return nil, nil, fmt.Errorf("accounts: read lock: %w", err)
	}
	locked := lockedUntil.Valid && lockedUntil.Time.After(now)

	var id int64
	var hash string
	var disabled sql.NullTime
	err = s.db.QueryRow(ctx, `SELECT id, password_hash, disabled_at FROM accounts WHERE username = ?`, user).Scan(&id, &hash, &disabled)
	if err != nil && !isNoRows(err) {
		return nil, nil, fmt.Errorf("accounts: find for login: %w", err)
	}
	if id != 0 {
		// File the attempt under the account's community, so that
		// community's admin sees attacks on their people in the log.
		if err := s.db.QueryRow(ctx, `SELECT COALESCE(MIN(community_id), 0) FROM grants WHERE account_id = ?`, id).Scan(&base.CommunityID); err != nil {
			return nil, nil, fmt.Errorf("accounts: community of %d: %w", id, err)
		}
	}
	ok := false
	if locked || id == 0 {
		verifyPassword(c.Password, dummyHash) // same cost as a real check
	} else {
		ok = verifyPassword(c.Password, hash)
	}
	if locked {
		e := base
		e.ActorID, e.ObjectID, e.Result, e.Detail = id, idString(id), audit.Denied, "locked"
		if err := audit.Record(ctx, s.db, e); err != nil {
			return nil, nil, err
		}
		return nil, nil, errBadLogin()
	}
	if !ok || disabled.Valid {
		detail := "wrong password"
		if id == 0 {
			detail = "unknown user"
		} else if ok {
			detail = "account disabled"
		}
		if err := s.recordFailure(ctx, user, c.ClientAddr, now, base, id, detail); err != nil {
			return nil, nil, err
		}
		return nil, nil, errBadLogin()
	}

	a, err := s.FindAccount(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	var sess *Session
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM login_throttle WHERE username = ? AND client_addr = ?`, user, c.ClientAddr); err != nil {
			return fmt.Errorf("accounts: clear throttle: %w", err)
		}
		if sess, err = s.createSession(ctx, tx, a, c.Kind, c.ClientAddr, c.UserAgent, now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE accounts SET last_seen_at = ? WHERE id = ?`, now, id); err != nil {
			return fmt.Errorf("accounts: last seen: %w", err)
		}
		e := base
		e.ActorID, e.ObjectID, e.Detail = id, idString(id), c.Kind
		return audit.Record(ctx, tx, e)
	})
	if err != nil {
		return nil, nil, err
	}
	p := &Principal{AccountID: a.ID, Username: a.Username, DisplayName: a.DisplayName, Locale: a.Locale,
		LargeText: a.LargeText, Grants: a.Grants, SessionKind: c.Kind, ClientAddr: c.ClientAddr, RequestID: c.RequestID}
	return sess, p, nil
}

func idString(id int64) string {
	if id == 0 {
		return ""
	}
	return fmt.Sprint(id)
}

// recordFailure counts a failure for (user, addr) and locks the pair when
// it reaches LockAfter; the count restarts after a lock has run out. The
// row is created if missing and then counted with one UPDATE, so failures
// racing each other queue on the row lock and every one is counted (a read
// followed by DELETE and INSERT lost counts, and on PostgreSQL failed with
// a duplicate key, when two arrived at once).
func (s *Service) recordFailure(ctx context.Context, user, addr string, now time.Time, base audit.Entry, id int64, detail string) error {
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO login_throttle (username, client_addr, failures, first_failed_at, last_failed_at)
			VALUES (?, ?, 0, ?, ?) ON CONFLICT (username, client_addr) DO NOTHING`, user, addr, now, now); err != nil {
			return fmt.Errorf("accounts: throttle: %w", err)
		}
		var failures int
		var locked bool
		err := tx.QueryRow(ctx, `UPDATE login_throttle SET
				failures = CASE WHEN locked_until IS NOT NULL AND locked_until <= ? THEN 1 ELSE failures + 1 END,
				first_failed_at = CASE WHEN locked_until IS NOT NULL AND locked_until <= ? THEN ? ELSE first_failed_at END,
				locked_until = CASE WHEN locked_until IS NOT NULL AND locked_until <= ? THEN NULL ELSE locked_until END,
				last_failed_at = ?
			WHERE username = ? AND client_addr = ?
			RETURNING failures, locked_until IS NOT NULL`, now, now, now, now, now, user, addr).Scan(&failures, &locked)
		if err != nil {
			return fmt.Errorf("accounts: throttle: %w", err)
		}
		lock := failures >= s.opt.LockAfter && !locked // a running lock is not renewed
		if lock {
			if _, err := tx.Exec(ctx, `UPDATE login_throttle SET locked_until = ? WHERE username = ? AND client_addr = ?`,
				now.Add(s.opt.LockFor), user, addr); err != nil {
				return fmt.Errorf("accounts: throttle: %w", err)
			}
		}
		e := base
		e.ActorID, e.ObjectID, e.Result, e.Detail = id, idString(id), audit.Failed, detail
		if err := audit.Record(ctx, tx, e); err != nil {
			return err
		}
		if lock {
			e.Action, e.Result, e.Detail = "account.lock", audit.OK, fmt.Sprintf("locked for %s after %d failures", s.opt.LockFor, failures)
			return audit.Record(ctx, tx, e)
		}
		return nil
	})
}
