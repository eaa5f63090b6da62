package accounts_test

import (
	"context"
	"testing"

	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/audit"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/testkit/dbtest"
	"github.com/linli/linli/internal/testkit/fixture"
)

// Guessing the current password through a stolen session is throttled
// like sign-in, and each wrong guess is audited.
func TestChangePasswordGuessesAreThrottled(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := fixture.New(t, d)
		p := f.A.Worker.Principal()
		p.ClientAddr = "198.51.100.7"
		for i := 0; i < 5; i++ {
			err := f.Accounts.ChangePassword(ctx, p, "wrong-guess", "Another-pass-2026", "")
			if !apperr.Is(err, apperr.Invalid) {
				t.Fatalf("guess %d: %v", i, err)
			}
		}
		err := f.Accounts.ChangePassword(ctx, p, fixture.Password, "Another-pass-2026", "")
		if !apperr.Is(err, apperr.RateLimited) {
			t.Fatalf("after 5 wrong guesses, the right one: %v", err)
		}
		entries, _, err := audit.List(ctx, d, audit.Filter{Action: "account.password_change"})
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 5 || entries[0].Result != audit.Failed {
			t.Fatalf("audited %d password-change failures: %+v", len(entries), entries)
		}
	})
}
