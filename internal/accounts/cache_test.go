package accounts_test

import (
	"testing"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/testkit/dbtest"
	"github.com/linli/linli/internal/testkit/fixture"
)

// The session cache: in the process that made a change, revocation is
// immediate; in another process (the linli user command, a second
// server) it takes at most Options.SessionCache.
func TestSessionCacheRevocation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := fixture.Places(t, d)
		here := w.Accounts                                    // one process…
		there := accounts.New(d, w.Clock, accounts.Options{}) // …and another on the same database
		w.Person(t, "li", "李", accounts.Grant{Role: accounts.Worker, CommunityID: w.A.ID})
		sess, _ := loginAs(t, here, "li", addrA)
		p, err := here.Authenticate(ctx, sess.Token, accounts.KindWeb)
		if err != nil {
			t.Fatal(err)
		}
		// The cached principal is a copy: changing it changes nothing.
		p.ClientAddr, p.Grants[0].Role = "x", accounts.Admin
		if again, _ := here.Authenticate(ctx, sess.Token, accounts.KindWeb); again.ClientAddr == "x" || again.Grants[0].Role != accounts.Worker {
			t.Fatal("the cache handed out a shared principal")
		}
		// Disabled by the other process: seen within the cache's second.
		if err := there.SetDisabled(ctx, accounts.Console("test"), p.AccountID, true); err != nil {
			t.Fatal(err)
		}
		w.Clock.Advance(time.Second)
		if _, err := here.Authenticate(ctx, sess.Token, accounts.KindWeb); !apperr.Is(err, apperr.Unauthenticated) {
			t.Fatalf("a second after another process disabled the account: %v", err)
		}
		// Enabled again and logged in: a local logout is immediate.
		there.SetDisabled(ctx, accounts.Console("test"), p.AccountID, false)
		sess, p = loginAs(t, here, "li", addrA)
		here.Authenticate(ctx, sess.Token, accounts.KindWeb)
		if err := here.Logout(ctx, p, sess.Token); err != nil {
			t.Fatal(err)
		}
		if _, err := here.Authenticate(ctx, sess.Token, accounts.KindWeb); !apperr.Is(err, apperr.Unauthenticated) {
			t.Fatalf("right after logout: %v", err)
		}
		// With the cache off, even another process's change is seen at once.
		off := accounts.New(d, w.Clock, accounts.Options{SessionCache: -1})
		sess, p = loginAs(t, off, "li", addrA)
		off.Authenticate(ctx, sess.Token, accounts.KindWeb)
		there.SetDisabled(ctx, accounts.Console("test"), p.AccountID, true)
		if _, err := off.Authenticate(ctx, sess.Token, accounts.KindWeb); !apperr.Is(err, apperr.Unauthenticated) {
			t.Fatalf("cache off: %v", err)
		}
	})
}
