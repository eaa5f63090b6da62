package accounts

import (
	"context"
	"fmt"
	"time"

	"github.com/linli/linli/internal/audit"
	"github.com/linli/linli/internal/db"
)

// CreateDemoAccount writes a demo login inside the seeding transaction tx,
// so a whole demo step commits at once. Only the demo seed calls it; it
// applies the same password rules as CreateAccount.
func (s *Service) CreateDemoAccount(ctx context.Context, tx *db.Tx, username, name, password string, g Grant, now time.Time) error {
	if k := checkPassword(password, g.Role.Staff(), username, name); k != "" {
		return fmt.Errorf("accounts: demo password for %s breaks rule %s", username, k)
	}
	if err := validateGrant(g); err != nil {
		return fmt.Errorf("accounts: demo grant for %s: %w", username, err)
	}
	hash, err := hashPassword(password, defaultParams)
	if err != nil {
		return err
	}
	var id int64
	if err := tx.QueryRow(ctx, `INSERT INTO accounts (username, display_name, password_hash, locale, password_changed_at, created_at, updated_at)
		VALUES (?, ?, ?, 'zh-CN', ?, ?, ?) RETURNING id`, username, name, hash, now, now, now).Scan(&id); err != nil {
		return fmt.Errorf("accounts: demo account %s: %w", username, err)
	}
	g.AccountID = id
	actor := Console("demo-seed")
	if err := insertGrant(ctx, tx, actor, g, now); err != nil {
		return err
	}
	e := actor.Audit(now, "account.create", g.CommunityID)
	e.ObjectType, e.ObjectID, e.Detail = "account", fmt.Sprint(id), "demo"
	return audit.Record(ctx, tx, e)
}
