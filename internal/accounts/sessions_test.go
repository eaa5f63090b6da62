package accounts_test

import (
	"strings"
	"testing"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/audit"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/testkit/dbtest"
	"github.com/linli/linli/internal/testkit/fixture"
)

func authOK(t *testing.T, s *accounts.Service, token, kind string) *accounts.Principal {
	t.Helper()
	p, err := s.Authenticate(ctx, token, kind)
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	return p
}

func authDead(t *testing.T, s *accounts.Service, token, kind string) {
	t.Helper()
	p, err := s.Authenticate(ctx, token, kind)
	if p != nil || !apperr.Is(err, apperr.Unauthenticated) {
		t.Fatalf("Authenticate = %+v, %v; want unauthenticated", p, err)
	}
}

func TestAuthenticate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := fixture.Places(t, d)
		s := w.Accounts
		u := w.Person(t, "wang", "王芳", accounts.Grant{Role: accounts.Admin, CommunityID: w.A.ID},
			accounts.Grant{Role: accounts.Grid, CommunityID: w.B.ID, GridID: w.B.GridID})
		web, lp := loginAs(t, s, "wang", addrA)
		api, _ := loginWith(t, s, "wang", fixture.Password, addrB, accounts.KindAPI)
		if len(web.Token) < 43 || web.Token == api.Token || web.Kind != accounts.KindWeb || api.Kind != accounts.KindAPI {
			t.Fatalf("sessions: %+v / %+v", web, api)
		}
		if !web.ExpiresAt.Equal(w.Clock.Now().Add(12 * time.Hour)) {
			t.Fatalf("staff session expires at %v, want 12 h from now", web.ExpiresAt)
		}

		p := authOK(t, s, web.Token, accounts.KindWeb)
		if p.AccountID != u.Account.ID || p.Username != "wang" || p.DisplayName != "王芳" || p.Locale != "zh-CN" || p.SessionKind != accounts.KindWeb {
			t.Fatalf("principal %+v", p)
		}
		if len(p.Grants) != 2 || p.Grants[0].Role != accounts.Admin || p.Grants[0].CommunityID != w.A.ID ||
			p.Grants[1].Role != accounts.Grid || p.Grants[1].GridID != w.B.GridID || p.Grants[1].AccountID != u.Account.ID {
			t.Fatalf("grants %+v", p.Grants)
		}
		if len(lp.Grants) != 2 {
			t.Fatalf("login principal grants %+v", lp.Grants)
		}
		if authOK(t, s, api.Token, accounts.KindAPI).SessionKind != accounts.KindAPI {
			t.Fatal("api principal has the wrong kind")
		}
		// A token of one kind is never accepted as the other.
		authDead(t, s, web.Token, accounts.KindAPI)
		authDead(t, s, api.Token, accounts.KindWeb)
		// Garbage, empty, over-long, and a token that differs by one
		// character.
		authDead(t, s, "", accounts.KindWeb)
		authDead(t, s, strings.Repeat("a", 101), accounts.KindWeb)
		flipped := []byte(web.Token)
		flipped[0] ^= 1
		authDead(t, s, string(flipped), accounts.KindWeb)
		authDead(t, s, web.Token+"x", accounts.KindWeb)
		// An account with no grants left still has a session (own data
		// only); the principal simply holds none.
		for _, g := range u.Account.Grants {
			if err := s.RevokeGrant(ctx, w.Console, g.ID); err != nil {
				t.Fatal(err)
			}
		}
		if p := authOK(t, s, web.Token, accounts.KindWeb); len(p.Grants) != 0 || p.AccountID != u.Account.ID {
			t.Fatalf("principal without grants: %+v", p)
		}
	})
}

// Research test 12 / 等保 "超时自动退出": staff sessions die after 30 idle
// minutes, residents' after 7 idle days; neither outlives its absolute
// lifetime however busy it is.
func TestSessionTimeouts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := fixture.Places(t, d)
		s := w.Accounts
		w.Person(t, "worker", "社工", accounts.Grant{Role: accounts.Worker, CommunityID: w.A.ID})
		w.Person(t, "resident", "居民", accounts.Grant{Role: accounts.Resident, CommunityID: w.A.ID, HouseholdID: fixture.HouseholdA})

		// Idle: staff.
		staff, _ := loginAs(t, s, "worker", addrA)
		res, _ := loginAs(t, s, "resident", addrA)
		if !res.ExpiresAt.Equal(w.Clock.Now().Add(30 * 24 * time.Hour)) {
			t.Fatalf("resident session expires at %v, want 30 days from now", res.ExpiresAt)
		}
		w.Clock.Advance(29 * time.Minute)
		authOK(t, s, staff.Token, accounts.KindWeb) // activity moves the idle deadline
		w.Clock.Advance(29 * time.Minute)
		authOK(t, s, staff.Token, accounts.KindWeb)
		w.Clock.Advance(31 * time.Minute)
		authDead(t, s, staff.Token, accounts.KindWeb)
		// Idle: resident, same 31 minutes (and more) later, still in.
		authOK(t, s, res.Token, accounts.KindWeb)
		w.Clock.Advance(7*24*time.Hour - time.Minute)
		authOK(t, s, res.Token, accounts.KindWeb)
		w.Clock.Advance(7*24*time.Hour + time.Second)
		authDead(t, s, res.Token, accounts.KindWeb)

		// Absolute: a busy staff session ends at 12 h.
		staff, _ = loginAs(t, s, "worker", addrA)
		start := w.Clock.Now()
		for w.Clock.Now().Before(start.Add(12*time.Hour - 20*time.Minute)) {
			w.Clock.Advance(20 * time.Minute)
			authOK(t, s, staff.Token, accounts.KindWeb)
		}
		w.Clock.Set(start.Add(12 * time.Hour))
		authDead(t, s, staff.Token, accounts.KindWeb)
		// A busy resident session ends at 30 days.
		res, _ = loginAs(t, s, "resident", addrA)
		start = w.Clock.Now()
		for w.Clock.Now().Before(start.Add(30*24*time.Hour - 6*24*time.Hour)) {
			w.Clock.Advance(6 * 24 * time.Hour)
			authOK(t, s, res.Token, accounts.KindWeb)
		}
		w.Clock.Set(start.Add(30*24*time.Hour - time.Second))
		authOK(t, s, res.Token, accounts.KindWeb)
		w.Clock.Advance(time.Second)
		authDead(t, s, res.Token, accounts.KindWeb)
	})
}

// A resident who becomes staff gets the staff idle timeout from the next
// request on.
func TestSessionBecomesStaff(t *testing.T) {
	d := dbtest.SQLite(t)
	w := fixture.Places(t, d)
	s := w.Accounts
	u := w.Person(t, "resident", "居民", accounts.Grant{Role: accounts.Resident, CommunityID: w.A.ID, HouseholdID: fixture.HouseholdA})
	sess, _ := loginAs(t, s, "resident", addrA)
	if _, err := s.AddGrant(ctx, w.Console, u.Account.ID, accounts.Grant{Role: accounts.Worker, CommunityID: w.A.ID}); err != nil {
		t.Fatal(err)
	}
	w.Clock.Advance(2 * time.Minute)
	if p := authOK(t, s, sess.Token, accounts.KindWeb); !p.Staff() {
		t.Fatalf("principal is not staff after the grant: %+v", p)
	}
	w.Clock.Advance(31 * time.Minute)
	authDead(t, s, sess.Token, accounts.KindWeb)
}

// Authenticate runs on every request; it writes last-seen times at most
// once a minute.
func TestLastSeenWrittenOncePerMinute(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := fixture.Places(t, d)
		s := w.Accounts
		u := w.Person(t, "wang", "王", accounts.Grant{Role: accounts.Worker, CommunityID: w.A.ID})
		sess, _ := loginAs(t, s, "wang", addrA)
		t0 := w.Clock.Now()
		read := func() (sessionSeen, idle, accountSeen time.Time) {
			t.Helper()
			sessionSeen = column[time.Time](t, d, `SELECT last_seen_at FROM sessions WHERE account_id = ?`, u.Account.ID)
			idle = column[time.Time](t, d, `SELECT idle_expires_at FROM sessions WHERE account_id = ?`, u.Account.ID)
			accountSeen = nullTime(t, d, `SELECT last_seen_at FROM accounts WHERE id = ?`, u.Account.ID).Time
			return
		}
		check := func(when string, want time.Time) {
			t.Helper()
			ss, idle, as := read()
			if !ss.Equal(want) || !as.Equal(want) || !idle.Equal(want.Add(30*time.Minute)) {
				t.Fatalf("%s: session seen %v, account seen %v, idle until %v; want %v", when, ss, as, idle, want)
			}
		}
		check("after login", t0)
		for i := 0; i < 5; i++ {
			w.Clock.Advance(11 * time.Second)
			authOK(t, s, sess.Token, accounts.KindWeb)
		}
		check("55 s later, 5 requests", t0)
		w.Clock.Advance(5 * time.Second) // exactly one minute
		authOK(t, s, sess.Token, accounts.KindWeb)
		t1 := w.Clock.Now()
		check("at one minute", t1)
		w.Clock.Advance(59 * time.Second)
		authOK(t, s, sess.Token, accounts.KindWeb)
		check("59 s after the write", t1)
		if a, _ := s.FindAccount(ctx, u.Account.ID); a.LastSeenAt == nil || !a.LastSeenAt.Equal(t1) {
			t.Fatalf("Account.LastSeenAt = %v, want %v", a.LastSeenAt, t1)
		}
	})
}

func TestLogoutDisableAndPurge(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := fixture.Places(t, d)
		s := w.Accounts
		admin := w.Person(t, "a-admin", "管理员", accounts.Grant{Role: accounts.Admin, CommunityID: w.A.ID}).Principal()
		u := w.Person(t, "wang", "王", accounts.Grant{Role: accounts.Volunteer, CommunityID: w.A.ID})
		w.Person(t, "li", "李", accounts.Grant{Role: accounts.Volunteer, CommunityID: w.A.ID})

		// Logout ends that session at once, and only that one.
		one, p := loginAs(t, s, "wang", addrA)
		two, _ := loginWith(t, s, "wang", fixture.Password, addrB, accounts.KindAPI)
		if err := s.Logout(ctx, p, one.Token); err != nil {
			t.Fatal(err)
		}
		authDead(t, s, one.Token, accounts.KindWeb)
		authOK(t, s, two.Token, accounts.KindAPI)
		if n := auditCount(t, d, "account.logout", audit.OK); n != 1 {
			t.Fatalf("logouts audited: %d", n)
		}

		// Disabling ends every session and token at once.
		three, _ := loginAs(t, s, "wang", addrA)
		keep, _ := loginAs(t, s, "li", addrA)
		if err := s.SetDisabled(ctx, admin, u.Account.ID, true); err != nil {
			t.Fatal(err)
		}
		authDead(t, s, two.Token, accounts.KindAPI)
		authDead(t, s, three.Token, accounts.KindWeb)
		if n := sessionsOf(t, d, u.Account.ID); n != 0 {
			t.Fatalf("%d sessions left after disable", n)
		}
		authOK(t, s, keep.Token, accounts.KindWeb)
		if a, _ := s.FindAccount(ctx, u.Account.ID); !a.Disabled {
			t.Fatal("account not marked disabled")
		}
		// Enabling does not bring old sessions back.
		if err := s.SetDisabled(ctx, admin, u.Account.ID, false); err != nil {
			t.Fatal(err)
		}
		authDead(t, s, three.Token, accounts.KindWeb)
		loginAs(t, s, "wang", addrA)
		// An admin cannot disable themselves, nor anyone outside their
		// communities.
		wantCode(t, s.SetDisabled(ctx, admin, admin.AccountID, true), apperr.Conflict, "account.disable_self")
		outsider := w.Person(t, "b-vol", "外人", accounts.Grant{Role: accounts.Volunteer, CommunityID: w.B.ID})
		wantCode(t, s.SetDisabled(ctx, admin, outsider.Account.ID, true), apperr.NotFound, "")
		if n := auditCount(t, d, "account.disable", audit.OK) + auditCount(t, d, "account.enable", audit.OK); n != 2 {
			t.Fatalf("disable/enable audited: %d, want 2", n)
		}

		// PurgeExpired removes dead sessions and old throttle rows, and
		// nothing alive.
		try(s, "li", "typo", addrB)
		for i := 0; i < 5; i++ {
			try(s, "li", "typo", "203.0.113.9") // locked pair
		}
		w.Clock.Advance(8 * 24 * time.Hour) // every 7-day idle session is dead
		fresh, _ := loginAs(t, s, "li", addrA)
		try(s, "li", "typo", "203.0.113.10") // a recent failure
		dead := fixture.Count(t, d, "sessions") - 1
		n, err := s.PurgeExpired(ctx)
		if err != nil || n != int64(dead) || dead < 2 {
			t.Fatalf("PurgeExpired = %d, %v; want %d", n, err, dead)
		}
		authOK(t, s, fresh.Token, accounts.KindWeb)
		if rows := fixture.Count(t, d, "login_throttle"); rows != 1 {
			t.Fatalf("throttle rows after purge: %d, want only the recent one", rows)
		}
		if n, err := s.PurgeExpired(ctx); err != nil || n != 0 {
			t.Fatalf("second purge = %d, %v", n, err)
		}
	})
}

// PurgeExpired keeps a throttle row while its lock runs, however old the
// failures.
func TestPurgeKeepsRunningLocks(t *testing.T) {
	d := dbtest.SQLite(t)
	w := fixture.Places(t, d)
	s := accounts.New(d, w.Clock, accounts.Options{LockFor: 48 * time.Hour})
	for i := 0; i < 5; i++ {
		try(s, "ghost", "typo", addrA)
	}
	w.Clock.Advance(25 * time.Hour)
	if _, err := s.PurgeExpired(ctx); err != nil {
		t.Fatal(err)
	}
	if n := fixture.Count(t, d, "login_throttle"); n != 1 {
		t.Fatalf("a running lock was purged")
	}
}

func TestChangeAndSetPassword(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := fixture.Places(t, d)
		s := w.Accounts
		admin := w.Person(t, "a-admin", "管理员", accounts.Grant{Role: accounts.Admin, CommunityID: w.A.ID}).Principal()
		u := w.Person(t, "wang", "王", accounts.Grant{Role: accounts.Worker, CommunityID: w.A.ID})

		here, p := loginAs(t, s, "wang", addrA)
		there, _ := loginWith(t, s, "wang", fixture.Password, addrB, accounts.KindAPI)
		// The current password is required; a wrong one is counted and
		// audited like a failed sign-in (and writes nothing else).
		err := s.ChangePassword(ctx, p, "not-it", "New-Password-2025", here.Token)
		wantField(t, err, "current_password", "password.current_wrong")
		if n := fixture.Count(t, d, "login_throttle"); n != 1 {
			t.Fatalf("wrong current password: %d throttle rows, want 1", n)
		}
		before := rowCounts(t, d)
		// The new one must pass the staff rules.
		err = s.ChangePassword(ctx, p, fixture.Password, "onlylowercase", here.Token)
		wantField(t, err, "password", "password.staff_classes")
		if after := rowCounts(t, d); after != before {
			t.Fatalf("refused changes wrote rows:\n before %s\n after  %s", before, after)
		}
		authOK(t, s, there.Token, accounts.KindAPI)

		w.Clock.Advance(10 * time.Minute)
		if err := s.ChangePassword(ctx, p, fixture.Password, "New-Password-2025", here.Token); err != nil {
			t.Fatal(err)
		}
		authOK(t, s, here.Token, accounts.KindWeb) // the session that changed it stays
		authDead(t, s, there.Token, accounts.KindAPI)
		if a, _ := s.FindAccount(ctx, u.Account.ID); !a.PasswordChangedAt.Equal(w.Clock.Now()) {
			t.Fatalf("password_changed_at = %v", a.PasswordChangedAt)
		}
		wantCode(t, try(s, "wang", fixture.Password, addrB), apperr.Unauthenticated, "login.failed")
		loginWith(t, s, "wang", "New-Password-2025", addrB, accounts.KindWeb)

		// An admin's reset ends every session, the admin's choice of
		// password must pass the rules too.
		wantField(t, s.SetPassword(ctx, admin, u.Account.ID, "12345678"), "password", "password.too_common")
		authOK(t, s, here.Token, accounts.KindWeb)
		if err := s.SetPassword(ctx, admin, u.Account.ID, "Reset-By-Admin-9"); err != nil {
			t.Fatal(err)
		}
		authDead(t, s, here.Token, accounts.KindWeb)
		if n := sessionsOf(t, d, u.Account.ID); n != 0 {
			t.Fatalf("%d sessions left after the reset", n)
		}
		loginWith(t, s, "wang", "Reset-By-Admin-9", addrA, accounts.KindWeb)
		if n := auditCount(t, d, "account.password_change", audit.OK); n != 1 {
			t.Fatalf("password changes audited: %d", n)
		}
		if n := auditCount(t, d, "account.password_reset", audit.OK); n != 1 {
			t.Fatalf("password resets audited: %d", n)
		}
	})
}

func TestSetPreferences(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := fixture.Places(t, d)
		s := w.Accounts
		u := w.Person(t, "wang", "王", accounts.Grant{Role: accounts.Volunteer, CommunityID: w.A.ID})
		p := u.Principal()
		en, yes, bad := "en", true, "de"
		wantField(t, s.SetPreferences(ctx, p, accounts.Preferences{Locale: &bad}), "locale", "account.locale.invalid")
		if err := s.SetPreferences(ctx, p, accounts.Preferences{}); err != nil {
			t.Fatal(err)
		}
		if n := auditCount(t, d, "account.preferences", ""); n != 0 {
			t.Fatalf("an empty change was audited")
		}
		if err := s.SetPreferences(ctx, p, accounts.Preferences{Locale: &en, LargeText: &yes}); err != nil {
			t.Fatal(err)
		}
		a, _ := s.FindAccount(ctx, u.Account.ID)
		if a.Locale != "en" || !a.LargeText {
			t.Fatalf("preferences not saved: %+v", a)
		}
		sess, _ := loginAs(t, s, "wang", addrA)
		if p := authOK(t, s, sess.Token, accounts.KindWeb); p.Locale != "en" || !p.LargeText {
			t.Fatalf("session does not carry the preferences: %+v", p)
		}
	})
}
