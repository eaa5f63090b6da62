package accounts_test

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/audit"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/testkit/dbtest"
	"github.com/linli/linli/internal/testkit/fixture"
)

// sameAnswer fails unless two login errors are indistinguishable from
// outside: same code, key, fields and text.
func sameAnswer(t *testing.T, what string, got, want error) {
	t.Helper()
	if got == nil || want == nil {
		t.Fatalf("%s: got %v, want %v", what, got, want)
	}
	g, w := apperr.From(got), apperr.From(want)
	if g.Code != w.Code || g.Key != w.Key || !reflect.DeepEqual(g.Fields, w.Fields) || !reflect.DeepEqual(g.Args, w.Args) || got.Error() != want.Error() {
		t.Fatalf("%s answers %#v, a wrong password answers %#v", what, g, w)
	}
}

// Research test 9: five failures lock (user, address) for 15 minutes;
// the lock does not follow the user to another address; locked, unknown,
// wrong and disabled all answer alike; every failure and the lock are
// audited.
func TestLoginLockout(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := fixture.Places(t, d)
		s := w.Accounts
		if o := s.Options(); o.LockAfter != 5 || o.LockFor != 15*time.Minute || o.AddrMaxFailures != 30 {
			t.Fatalf("defaults changed: %+v", o)
		}
		w.Person(t, "wang", "王", accounts.Grant{Role: accounts.Worker, CommunityID: w.A.ID})

		wrong := try(s, "wang", "not-the-password", addrA)
		wantCode(t, wrong, apperr.Unauthenticated, "login.failed")
		sameAnswer(t, "unknown user", try(s, "nobody", fixture.Password, addrB), wrong)
		for i := 2; i <= 5; i++ {
			sameAnswer(t, fmt.Sprintf("wrong password %d", i), try(s, "wang", "not-the-password", addrA), wrong)
		}
		// Locked: the right password from A gets the same answer.
		sameAnswer(t, "locked with the right password", try(s, "WANG ", fixture.Password, addrA), wrong)
		// From B the user is not locked out.
		loginAs(t, s, "wang", addrB)
		// Still locked from A a second before the 15 minutes are up.
		w.Clock.Advance(15*time.Minute - time.Second)
		sameAnswer(t, "locked at 14:59", try(s, "wang", fixture.Password, addrA), wrong)
		w.Clock.Advance(time.Second)
		_, p := loginAs(t, s, "wang", addrA)
		if p.Username != "wang" || p.SessionKind != accounts.KindWeb || p.ClientAddr != addrA || !p.Has(accounts.Worker) {
			t.Fatalf("principal after login: %+v", p)
		}

		// The audit trail: 6 failures (5 wrong + unknown), one lock, two
		// refusals while locked, two sign-ins.
		if n := auditCount(t, d, "account.login", audit.Failed); n != 6 {
			t.Errorf("failed sign-ins audited: %d, want 6", n)
		}
		if n := auditCount(t, d, "account.login", audit.Denied); n != 2 {
			t.Errorf("locked sign-ins audited: %d, want 2", n)
		}
		if n := auditCount(t, d, "account.lock", ""); n != 1 {
			t.Errorf("locks audited: %d, want 1", n)
		}
		if n := auditCount(t, d, "account.login", audit.OK); n != 2 {
			t.Errorf("sign-ins audited: %d, want 2", n)
		}
		es, _, _ := audit.List(ctx, d, audit.Filter{Action: "account.lock"})
		if len(es) == 1 && (es[0].ClientAddr != addrA || es[0].ActorName != "wang" || es[0].ObjectID == "") {
			t.Errorf("lock entry: %+v", es[0])
		}
		es, _, _ = audit.List(ctx, d, audit.Filter{Action: "account.login", Limit: 500})
		for _, e := range es {
			if e.Result == audit.Failed && e.ActorName == "nobody" && (e.ActorID != 0 || e.ObjectID != "") {
				t.Errorf("unknown user entry points at an account: %+v", e)
			}
		}

		// After a lock ran out the count starts again: one more wrong
		// password does not lock.
		sameAnswer(t, "wrong after the lock", try(s, "wang", "not-the-password", addrA), wrong)
		loginAs(t, s, "wang", addrA)
		if n := auditCount(t, d, "account.lock", ""); n != 1 {
			t.Errorf("locks audited: %d, want still 1", n)
		}
	})
}

func TestLoginDisabledAndValidation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := fixture.Places(t, d)
		s := w.Accounts
		p := w.Person(t, "wang", "王", accounts.Grant{Role: accounts.Volunteer, CommunityID: w.A.ID})
		wrong := try(s, "wang", "not-the-password", addrA)
		if err := s.SetDisabled(ctx, w.Console, p.Account.ID, true); err != nil {
			t.Fatal(err)
		}
		sameAnswer(t, "disabled, right password", try(s, "wang", fixture.Password, addrB), wrong)
		sameAnswer(t, "disabled, wrong password", try(s, "wang", "not-the-password", addrB), wrong)
		if err := s.SetDisabled(ctx, w.Console, p.Account.ID, false); err != nil {
			t.Fatal(err)
		}
		loginAs(t, s, "wang", addrB)

		// Malformed input is a validation error, before any lookup.
		for _, c := range []accounts.Credentials{
			{Username: "", Password: "x", Kind: accounts.KindWeb},
			{Username: "   ", Password: "x", Kind: accounts.KindWeb},
			{Username: "wang", Password: "", Kind: accounts.KindWeb},
			{Username: string(make([]byte, 101)), Password: "x", Kind: accounts.KindWeb},
			{Username: "wang", Password: string(make([]byte, 1025)), Kind: accounts.KindWeb},
		} {
			_, _, err := s.Login(ctx, c)
			wantCode(t, err, apperr.Invalid, "")
		}
		if _, _, err := s.Login(ctx, accounts.Credentials{Username: "wang", Password: fixture.Password, Kind: "cookie"}); err == nil || apperr.Is(err, apperr.Unauthenticated) {
			t.Fatalf("unknown session kind: %v", err)
		}
	})
}

// A success clears the failures of its (user, address), so a user who
// mistypes now and then is never locked.
func TestLoginSuccessClearsThrottle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := fixture.Places(t, d)
		s := w.Accounts
		w.Person(t, "wang", "王", accounts.Grant{Role: accounts.Volunteer, CommunityID: w.A.ID})
		for i := 0; i < 4; i++ {
			wantCode(t, try(s, "wang", "typo", addrA), apperr.Unauthenticated, "login.failed")
		}
		if n := column[int](t, d, `SELECT failures FROM login_throttle WHERE username = 'wang'`); n != 4 {
			t.Fatalf("failures = %d, want 4", n)
		}
		loginAs(t, s, "wang", addrA)
		if n := fixture.Count(t, d, "login_throttle"); n != 0 {
			t.Fatalf("throttle rows after success: %d", n)
		}
		for i := 0; i < 4; i++ {
			wantCode(t, try(s, "wang", "typo", addrA), apperr.Unauthenticated, "login.failed")
		}
		loginAs(t, s, "wang", addrA)
		if n := auditCount(t, d, "account.lock", ""); n != 0 {
			t.Fatalf("locks: %d, want 0", n)
		}
	})
}

// Password spraying: one address trying one password on many usernames is
// throttled as a whole (HTTP 429), for every username, until the window
// has passed.
func TestLoginSpraying(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := fixture.Places(t, d)
		s := w.Accounts
		w.Person(t, "wang", "王", accounts.Grant{Role: accounts.Volunteer, CommunityID: w.A.ID})
		const sprayer = "203.0.113.66"
		for i := 0; i < 30; i++ {
			wantCode(t, try(s, fmt.Sprintf("user%02d", i), "Summer2025!", sprayer), apperr.Unauthenticated, "login.failed")
		}
		if n := fixture.Count(t, d, "login_throttle"); n != 30 {
			t.Fatalf("throttle rows: %d, want 30 (no username locked, each failed once)", n)
		}
		// Now every attempt from that address is refused, even a right one.
		for _, u := range []string{"user99", "wang"} {
			pw := "Summer2025!"
			if u == "wang" {
				pw = fixture.Password
			}
			wantCode(t, try(s, u, pw, sprayer), apperr.RateLimited, "login.rate_limited")
		}
		if n := auditCount(t, d, "account.login", audit.Denied); n != 2 {
			t.Fatalf("rate-limited attempts audited: %d, want 2", n)
		}
		// Other addresses are not affected.
		loginAs(t, s, "wang", addrA)
		// Once the failures are older than the window the address may try
		// again.
		w.Clock.Advance(s.Options().AddrWindow + time.Second)
		loginAs(t, s, "wang", sprayer)
	})
}

// Options are honoured: a smaller limit locks sooner and for the set time.
func TestLoginOptions(t *testing.T) {
	d := dbtest.SQLite(t)
	w := fixture.Places(t, d)
	w.Person(t, "wang", "王", accounts.Grant{Role: accounts.Volunteer, CommunityID: w.A.ID})
	s := accounts.New(d, w.Clock, accounts.Options{LockAfter: 2, LockFor: time.Hour})
	try(s, "wang", "typo", addrA)
	try(s, "wang", "typo", addrA)
	wantCode(t, try(s, "wang", fixture.Password, addrA), apperr.Unauthenticated, "login.failed")
	w.Clock.Advance(59 * time.Minute)
	wantCode(t, try(s, "wang", fixture.Password, addrA), apperr.Unauthenticated, "login.failed")
	w.Clock.Advance(time.Minute)
	loginAs(t, s, "wang", addrA)
}
