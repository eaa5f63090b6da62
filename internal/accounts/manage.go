package accounts

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/audit"
	"github.com/linli/linli/internal/db"
)

// SetDisabled disables or re-enables an account. Disabling ends all its
// sessions and API tokens in the same transaction. An admin may do it only
// to accounts whose every grant lies in communities they administer
// (Forbidden otherwise); the console to any.
func (s *Service) SetDisabled(ctx context.Context, actor *Principal, id int64, disabled bool) error {
	defer s.cache.clear() // the change must reach every session at once
	a, err := s.GetAccount(ctx, actor, id)
	if err != nil {
		return err
	}
	if !actor.controls(a) {
		return apperr.ForbiddenErr()
	}
	if a.ID == actor.AccountID && disabled {
		return apperr.New(apperr.Conflict, "account.disable_self")
	}
	now := s.clock.Now()
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		var at any
		action := "account.enable"
		if disabled {
			at, action = now, "account.disable"
			if err := endSessions(ctx, tx, id, ""); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE accounts SET disabled_at = ?, updated_at = ? WHERE id = ?`, at, now, id); err != nil {
			return fmt.Errorf("accounts: disable: %w", err)
		}
		e := actor.Audit(now, action, firstCommunity(a.Grants))
		e.ObjectType, e.ObjectID, e.Fields = "account", fmt.Sprint(id), []string{"disabled_at"}
		return audit.Record(ctx, tx, e)
	})
}

// SetPassword sets another account's password (an admin's reset, or the
// console) and ends all of that account's sessions. The same reach as
// SetDisabled.
func (s *Service) SetPassword(ctx context.Context, actor *Principal, id int64, password string) error {
	a, err := s.GetAccount(ctx, actor, id)
	if err != nil {
		return err
	}
	if !actor.controls(a) {
		return apperr.ForbiddenErr()
	}
	return s.writePassword(ctx, actor, a, password, "", "account.password_reset")
}

// ChangePassword is the holder changing their own password: the current one
// is required, and every other session of the account ends.
func (s *Service) ChangePassword(ctx context.Context, actor *Principal, current, next, keepToken string) error {
	// Wrong current passwords count against the same (user, address)
	// throttle as sign-ins, so a stolen session cannot guess without limit.
	now := s.clock.Now()
	var lockedUntil sql.NullTime
	err := s.db.QueryRow(ctx, `SELECT locked_until FROM login_throttle WHERE username = ? AND client_addr = ?`,
		actor.Username, actor.ClientAddr).Scan(&lockedUntil)
	if err != nil && !isNoRows(err) {
		return fmt.Errorf("accounts: read lock: %w", err)
	}
	if lockedUntil.Valid && lockedUntil.Time.After(now) {
		return apperr.New(apperr.RateLimited, "login.rate_limited")
	}
	var hash string
	if err := s.db.QueryRow(ctx, `SELECT password_hash FROM accounts WHERE id = ?`, actor.AccountID).Scan(&hash); err != nil {
		return fmt.Errorf("accounts: read hash: %w", err)
	}
	if !verifyPassword(current, hash) {
		e := actor.Audit(now, "account.password_change", 0)
		e.ObjectType = "account"
		if err := s.recordFailure(ctx, actor.Username, actor.ClientAddr, now, e, actor.AccountID, "current password wrong"); err != nil {
			return err
		}
		return apperr.New(apperr.Invalid, "error.invalid").Field("current_password", "password.current_wrong", nil)
	}
	a, err := s.FindAccount(ctx, actor.AccountID)
	if err != nil {
		return err
	}
	return s.writePassword(ctx, actor, a, next, keepToken, "account.password_change")
}

func (s *Service) writePassword(ctx context.Context, actor *Principal, a *Account, pw, keepToken, action string) error {
	defer s.cache.clear() // the change must reach every session at once
	staff := false
	for _, g := range a.Grants {
		staff = staff || g.Role.Staff()
	}
	if k := checkPassword(pw, staff, a.Username, a.DisplayName); k != "" {
		return apperr.New(apperr.Invalid, "error.invalid").Field("password", k, nil)
	}
	hash, err := hashPassword(pw, defaultParams)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE accounts SET password_hash = ?, password_changed_at = ?, updated_at = ? WHERE id = ?`,
			hash, now, now, a.ID); err != nil {
			return fmt.Errorf("accounts: set password: %w", err)
		}
		if err := endSessions(ctx, tx, a.ID, keepToken); err != nil {
			return err
		}
		e := actor.Audit(now, action, firstCommunity(a.Grants))
		e.ObjectType, e.ObjectID, e.Fields = "account", fmt.Sprint(a.ID), []string{"password"}
		return audit.Record(ctx, tx, e)
	})
}

// Preferences are what a user sets for themselves.
type Preferences struct {
	Locale    *string `json:"locale,omitempty"`
	LargeText *bool   `json:"large_text,omitempty"`
}

// SetPreferences changes the actor's own language and text size.
func (s *Service) SetPreferences(ctx context.Context, actor *Principal, p Preferences) error {
	defer s.cache.clear() // the change must reach every session at once
	if p.Locale != nil && !validLocale(*p.Locale) {
		return apperr.New(apperr.Invalid, "error.invalid").Field("locale", "account.locale.invalid", nil)
	}
	now := s.clock.Now()
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		var fields []string
		if p.Locale != nil {
			if _, err := tx.Exec(ctx, `UPDATE accounts SET locale = ?, updated_at = ? WHERE id = ?`, *p.Locale, now, actor.AccountID); err != nil {
				return fmt.Errorf("accounts: set locale: %w", err)
			}
			fields = append(fields, "locale")
		}
		if p.LargeText != nil {
			if _, err := tx.Exec(ctx, `UPDATE accounts SET large_text = ?, updated_at = ? WHERE id = ?`, *p.LargeText, now, actor.AccountID); err != nil {
				return fmt.Errorf("accounts: set large text: %w", err)
			}
			fields = append(fields, "large_text")
		}
		if len(fields) == 0 {
			return nil
		}
		e := actor.Audit(now, "account.preferences", 0)
		e.ObjectType, e.ObjectID, e.Fields = "account", fmt.Sprint(actor.AccountID), fields
		return audit.Record(ctx, tx, e)
	})
}
