package accounts_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/testkit/dbtest"
	"github.com/linli/linli/internal/testkit/fixture"
)

// Twenty clients at once: sign-ins, requests that extend their sessions
// (writes), and wrong passwords for one shared account from one address.
// Nothing may fail with anything but the expected answers (research test
// 12: no SQLITE_BUSY or unique-key race reaching a user), and every
// failure must be counted. Run it with -race.
func TestConcurrentLoginAndAuthenticate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := fixture.Places(t, d)
		s := w.Accounts
		const users, clients = 4, 20
		for i := 0; i < users; i++ {
			w.Person(t, fmt.Sprintf("user%d", i), "用户", accounts.Grant{Role: accounts.Volunteer, CommunityID: w.A.ID})
		}
		w.Person(t, "target", "目标", accounts.Grant{Role: accounts.Volunteer, CommunityID: w.A.ID})

		var wg sync.WaitGroup
		errs := make(chan error, clients*10)
		start := make(chan struct{})
		for i := 0; i < clients; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				<-start
				addr := fmt.Sprintf("198.51.100.%d", 10+i)
				sess, p, err := s.Login(ctx, accounts.Credentials{
					Username: fmt.Sprintf("user%d", i%users), Password: fixture.Password, Kind: accounts.KindWeb, ClientAddr: addr,
				})
				if err != nil {
					errs <- fmt.Errorf("client %d login: %w", i, err)
					return
				}
				// Every fifth client also mistypes the shared account's
				// password, all from the same address.
				if i%5 == 0 {
					err := try(s, "target", "typo", "203.0.113.1")
					if !apperr.Is(err, apperr.Unauthenticated) {
						errs <- fmt.Errorf("client %d wrong password: %v, want unauthenticated", i, err)
					}
				}
				for j := 0; j < 5; j++ {
					q, err := s.Authenticate(ctx, sess.Token, accounts.KindWeb)
					if err != nil {
						errs <- fmt.Errorf("client %d request %d: %w", i, j, err)
						return
					}
					if q.AccountID != p.AccountID {
						errs <- fmt.Errorf("client %d got account %d, want %d", i, q.AccountID, p.AccountID)
					}
				}
			}(i)
		}
		// Move the clock while they work so that requests write last-seen
		// times too.
		go func() {
			<-start
			for i := 0; i < 5; i++ {
				time.Sleep(5 * time.Millisecond)
				w.Clock.Advance(time.Minute)
			}
		}()
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if n := fixture.Count(t, d, "sessions"); n != clients {
			t.Errorf("sessions = %d, want %d", n, clients)
		}
		if n := column[int](t, d, `SELECT failures FROM login_throttle WHERE username = 'target'`); n != clients/5 {
			t.Errorf("the shared account's failures were counted %d times, want %d", n, clients/5)
		}
		if n := auditCount(t, d, "account.login", ""); n != clients+clients/5 {
			t.Errorf("sign-in entries = %d, want %d", n, clients+clients/5)
		}
	})
}

// Concurrent wrong passwords for one (user, address) pair still lock it
// after LockAfter of them: racing requests cannot lose failures.
func TestConcurrentFailuresLock(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := fixture.Places(t, d)
		s := w.Accounts
		w.Person(t, "wang", "王", accounts.Grant{Role: accounts.Volunteer, CommunityID: w.A.ID})
		var wg sync.WaitGroup
		errs := make(chan error, 5)
		for i := 0; i < 5; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := try(s, "wang", "typo", addrA); !apperr.Is(err, apperr.Unauthenticated) {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("wrong password: %v, want unauthenticated", err)
		}
		wantCode(t, try(s, "wang", fixture.Password, addrA), apperr.Unauthenticated, "login.failed")
		if n := auditCount(t, d, "account.lock", ""); n != 1 {
			t.Fatalf("locks = %d, want 1", n)
		}
	})
}
