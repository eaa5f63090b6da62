package accounts_test

import (
	"strings"
	"testing"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/audit"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/testkit/dbtest"
	"github.com/linli/linli/internal/testkit/fixture"
)

// A 64-character passphrase with Chinese characters and spaces (research
// test 10): allowed for residents, and every character of it counts.
const passphrase = "我家住在建胜路三号楼 楼下有一棵老槐树 每年春天开满白花 we call it our old neighbours tree."

func TestPassphraseIs64Characters(t *testing.T) {
	if n := len([]rune(passphrase)); n != 64 {
		t.Fatalf("passphrase has %d characters, want 64", n)
	}
}

func TestCreateAccountValidation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := fixture.Places(t, d)
		s := w.Accounts
		resident := accounts.Grant{Role: accounts.Resident, CommunityID: w.A.ID, HouseholdID: fixture.HouseholdA}
		worker := accounts.Grant{Role: accounts.Worker, CommunityID: w.A.ID}
		ok := accounts.NewAccount{Username: "wang.fang", DisplayName: "王芳", Password: "Jianshenglu-2025", Grants: []accounts.Grant{resident}}
		with := func(f func(*accounts.NewAccount)) accounts.NewAccount {
			in := ok
			in.Grants = append([]accounts.Grant(nil), ok.Grants...)
			f(&in)
			return in
		}
		cases := []struct {
			name       string
			in         accounts.NewAccount
			field, key string
		}{
			{"one-letter username", with(func(in *accounts.NewAccount) { in.Username = "w" }), "username", "account.username.invalid"},
			{"username with a space", with(func(in *accounts.NewAccount) { in.Username = "wang fang" }), "username", "account.username.invalid"},
			{"Chinese username", with(func(in *accounts.NewAccount) { in.Username = "王芳" }), "username", "account.username.invalid"},
			{"username starting with a dot", with(func(in *accounts.NewAccount) { in.Username = ".wang" }), "username", "account.username.invalid"},
			{"username of 41 characters", with(func(in *accounts.NewAccount) { in.Username = strings.Repeat("w", 41) }), "username", "account.username.invalid"},
			{"username with a newline", with(func(in *accounts.NewAccount) { in.Username = "wang\nadmin" }), "username", "account.username.invalid"},
			{"empty display name", with(func(in *accounts.NewAccount) { in.DisplayName = "" }), "display_name", "account.display_name.invalid"},
			{"blank display name", with(func(in *accounts.NewAccount) { in.DisplayName = "  \t " }), "display_name", "account.display_name.invalid"},
			{"display name of 51 characters", with(func(in *accounts.NewAccount) { in.DisplayName = strings.Repeat("王", 51) }), "display_name", "account.display_name.invalid"},
			{"email without @", with(func(in *accounts.NewAccount) { in.Email = "wang.example.com" }), "email", "account.email.invalid"},
			{"email with a header break", with(func(in *accounts.NewAccount) { in.Email = "a@b.cn\r\nBcc: x@y.cn" }), "email", "account.email.invalid"},
			{"unknown locale", with(func(in *accounts.NewAccount) { in.Locale = "fr" }), "locale", "account.locale.invalid"},
			{"short password", with(func(in *accounts.NewAccount) { in.Password = "Ab1!xyz" }), "password", "password.too_short"},
			{"empty password", with(func(in *accounts.NewAccount) { in.Password = "" }), "password", "password.too_short"},
			{"129-character password", with(func(in *accounts.NewAccount) { in.Password = strings.Repeat("邻里", 64) + "x" }), "password", "password.too_long"},
			{"12345678", with(func(in *accounts.NewAccount) { in.Password = "12345678" }), "password", "password.too_common"},
			{"password", with(func(in *accounts.NewAccount) { in.Password = "password" }), "password", "password.too_common"},
			{"abc12345", with(func(in *accounts.NewAccount) { in.Password = "abc12345" }), "password", "password.too_common"},
			{"Aa123456 (case does not help)", with(func(in *accounts.NewAccount) { in.Password = "Aa123456" }), "password", "password.too_common"},
			{"password = username", with(func(in *accounts.NewAccount) { in.Username, in.Password = "wangfang88", "WangFang88" }), "password", "password.like_name"},
			{"password = display name", with(func(in *accounts.NewAccount) {
				in.DisplayName, in.Password = "王芳王芳王芳王芳", "王芳王芳王芳王芳"
			}), "password", "password.like_name"},
			// Staff need three kinds of character; the same password is
			// fine for a resident (see below).
			{"staff, lower-case only", with(func(in *accounts.NewAccount) {
				in.Password, in.Grants = "correct horse battery", []accounts.Grant{worker}
			}), "password", "password.staff_classes"},
			{"staff, two kinds", with(func(in *accounts.NewAccount) {
				in.Password, in.Grants = "jianshenglu2025", []accounts.Grant{worker}
			}), "password", "password.staff_classes"},
			{"staff role among others", with(func(in *accounts.NewAccount) {
				in.Password, in.Grants = "jianshenglu2025", []accounts.Grant{resident, worker}
			}), "password", "password.staff_classes"},
			{"unknown role", with(func(in *accounts.NewAccount) {
				in.Grants = []accounts.Grant{{Role: "root", CommunityID: w.A.ID}}
			}), "role", "grant.role.invalid"},
			{"grid role without a grid", with(func(in *accounts.NewAccount) {
				in.Grants = []accounts.Grant{{Role: accounts.Grid, CommunityID: w.A.ID}}
			}), "grid_id", "grant.scope.missing"},
			{"role without a community", with(func(in *accounts.NewAccount) {
				in.Grants = []accounts.Grant{{Role: accounts.Volunteer}}
			}), "community_id", "grant.scope.missing"},
			{"street role without a street", with(func(in *accounts.NewAccount) {
				in.Grants = []accounts.Grant{{Role: accounts.Street}}
			}), "street_id", "grant.scope.missing"},
			// These reach the database and must roll back there.
			{"grid of another community", with(func(in *accounts.NewAccount) {
				in.Grants = []accounts.Grant{{Role: accounts.Grid, CommunityID: w.A.ID, GridID: w.B.GridID}}
			}), "grids", "grant.scope.outside"},
			{"team of another community", with(func(in *accounts.NewAccount) {
				in.Grants = []accounts.Grant{{Role: accounts.Leader, CommunityID: w.A.ID, TeamID: w.C.TeamID}}
			}), "teams", "grant.scope.outside"},
			{"organisation of another community", with(func(in *accounts.NewAccount) {
				in.Grants = []accounts.Grant{{Role: accounts.Partner, CommunityID: w.A.ID, OrganisationID: w.B.OrgID}}
			}), "organisations", "grant.scope.outside"},
			{"second grant out of scope", with(func(in *accounts.NewAccount) {
				in.Grants = append(in.Grants, accounts.Grant{Role: accounts.Grid, CommunityID: w.B.ID, GridID: w.A.GridID})
			}), "grids", "grant.scope.outside"},
			{"unknown street", with(func(in *accounts.NewAccount) {
				in.Grants = []accounts.Grant{{Role: accounts.Street, StreetID: 9999}}
			}), "scope", "grant.scope.outside"},
			{"unknown community", with(func(in *accounts.NewAccount) {
				in.Grants = []accounts.Grant{{Role: accounts.Volunteer, CommunityID: 9999}}
			}), "scope", "grant.scope.outside"},
		}
		before := rowCounts(t, d)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				a, err := s.CreateAccount(ctx, w.Console, tc.in)
				if a != nil {
					t.Errorf("returned an account: %+v", a)
				}
				wantField(t, err, tc.field, tc.key)
				if after := rowCounts(t, d); after != before {
					t.Fatalf("rows changed on a refused create:\n before %s\n after  %s", before, after)
				}
			})
		}

		// The console may make an account without grants; an admin may
		// not (they would lose sight of it at once).
		if _, err := s.CreateAccount(ctx, w.Console, with(func(in *accounts.NewAccount) { in.Grants = nil })); err != nil {
			t.Fatalf("console, no grants: %v", err)
		}
	})
}

func TestCreateAccountAccepts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := fixture.Places(t, d)
		s := w.Accounts
		resident := accounts.Grant{Role: accounts.Resident, CommunityID: w.A.ID, HouseholdID: fixture.HouseholdA}
		worker := accounts.Grant{Role: accounts.Worker, CommunityID: w.A.ID}

		// A resident's password needs no mix of characters.
		a, err := s.CreateAccount(ctx, w.Console, accounts.NewAccount{
			Username: "  Zhang.Wei ", DisplayName: " 张伟 ", Email: " zw@example.cn ", Password: "correct horse battery",
			Grants: []accounts.Grant{resident},
		})
		if err != nil {
			t.Fatal(err)
		}
		if a.Username != "zhang.wei" || a.DisplayName != "张伟" || a.Email != "zw@example.cn" || a.Locale != "zh-CN" || a.Disabled {
			t.Fatalf("account = %+v", a)
		}
		if len(a.Grants) != 1 || a.Grants[0].Role != accounts.Resident || a.Grants[0].HouseholdID != fixture.HouseholdA || a.Grants[0].AccountID != a.ID {
			t.Fatalf("grants = %+v", a.Grants)
		}
		if !a.CreatedAt.Equal(w.Clock.Now()) || !a.PasswordChangedAt.Equal(w.Clock.Now()) || a.LastSeenAt != nil {
			t.Fatalf("times: %+v", a)
		}
		if got, err := s.FindByUsername(ctx, "ZHANG.WEI"); err != nil || got.ID != a.ID {
			t.Fatalf("FindByUsername: %v, %v", got, err)
		}
		// The username is taken whatever its case, and the refused
		// create leaves nothing behind.
		before := rowCounts(t, d)
		_, err = s.CreateAccount(ctx, w.Console, accounts.NewAccount{
			Username: "ZHANG.wei", DisplayName: "另一个张伟", Password: "another long one", Grants: []accounts.Grant{resident},
		})
		wantCode(t, err, apperr.Conflict, "account.username.taken")
		if k := apperr.From(err).Fields["username"].Key; k != "account.username.taken" {
			t.Fatalf("conflict field key %q", k)
		}
		if after := rowCounts(t, d); after != before {
			t.Fatalf("a refused create wrote rows:\n before %s\n after  %s", before, after)
		}

		// Staff with three kinds of character, and one more staff
		// password made of Chinese (which counts as "other"), digits and
		// capitals.
		for _, pw := range []string{"Jianshenglu-2025", "邻里Linli2025"} {
			u := "worker" + string(rune('a'+len(pw)%26))
			if _, err := s.CreateAccount(ctx, w.Console, accounts.NewAccount{Username: u, DisplayName: "社工", Password: pw, Grants: []accounts.Grant{worker}}); err != nil {
				t.Fatalf("staff password %q: %v", pw, err)
			}
		}

		// The 64-character passphrase is accepted for a resident and
		// opens the account; one character less does not.
		p, err := s.CreateAccount(ctx, w.Console, accounts.NewAccount{
			Username: "li.na", DisplayName: "李娜", Locale: "en", Password: passphrase, Grants: []accounts.Grant{resident},
		})
		if err != nil {
			t.Fatalf("passphrase: %v", err)
		}
		if p.Locale != "en" {
			t.Fatalf("locale = %q", p.Locale)
		}
		loginWith(t, s, "li.na", passphrase, addrA, accounts.KindWeb)
		short := string([]rune(passphrase)[:63])
		wantCode(t, try(s, "li.na", short, addrA), apperr.Unauthenticated, "login.failed")
		wantCode(t, try(s, "li.na", strings.ReplaceAll(passphrase, " ", ""), addrA), apperr.Unauthenticated, "login.failed")

		// Each create is audited with the fields it set, never values.
		es, _, err := audit.List(ctx, d, audit.Filter{Action: "account.create"})
		if err != nil || len(es) != 4 {
			t.Fatalf("account.create entries: %d, %v", len(es), err)
		}
		for _, e := range es {
			if e.ActorName != "console:fixture" || e.Role != "system" || e.ObjectType != "account" || e.CommunityID != w.A.ID {
				t.Fatalf("entry %+v", e)
			}
		}
	})
}

// Passwords are stored as salted argon2id hashes: equal passwords make
// different hashes, and no table holds the password itself.
func TestPasswordStorage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := fixture.Places(t, d)
		const pw = "Shared-Secret-1234"
		var ids []int64
		for _, u := range []string{"twin.one", "twin.two"} {
			a, err := w.Accounts.CreateAccount(ctx, w.Console, accounts.NewAccount{
				Username: u, DisplayName: "双胞胎", Password: pw,
				Grants: []accounts.Grant{{Role: accounts.Worker, CommunityID: w.A.ID}},
			})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, a.ID)
		}
		loginWith(t, w.Accounts, "twin.one", pw, addrA, accounts.KindWeb)
		wantCode(t, try(w.Accounts, "twin.two", "wrong-"+pw, addrA), apperr.Unauthenticated, "login.failed")

		h1 := column[string](t, d, `SELECT password_hash FROM accounts WHERE id = ?`, ids[0])
		h2 := column[string](t, d, `SELECT password_hash FROM accounts WHERE id = ?`, ids[1])
		if h1 == h2 {
			t.Fatal("two accounts with the same password have the same hash")
		}
		for _, h := range []string{h1, h2} {
			// The cost is lowered for tests (export_test.go); the
			// production values are checked in TestProductionHashParams.
			if !strings.HasPrefix(h, "$argon2id$v=19$m=") || len(strings.Split(h, "$")) != 6 {
				t.Fatalf("hash %q is not argon2id", h)
			}
		}
		salt1, salt2 := strings.Split(h1, "$")[4], strings.Split(h2, "$")[4]
		if salt1 == salt2 {
			t.Fatal("the salts are equal")
		}
		for _, table := range []string{"accounts", "grants", "sessions", "login_throttle", "audit_log"} {
			if text := allText(t, d, table); strings.Contains(text, pw) || strings.Contains(text, "wrong-") {
				t.Fatalf("table %s holds a password in plain text:\n%s", table, text)
			}
		}
		// The session table keeps only token digests.
		sess, _ := loginWith(t, w.Accounts, "twin.two", pw, addrB, accounts.KindAPI)
		if strings.Contains(allText(t, d, "sessions"), sess.Token) {
			t.Fatal("a session token is stored in plain text")
		}
	})
}

func TestAdminCreatesOnlyInOwnCommunity(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := fixture.Places(t, d)
		s := w.Accounts
		adminA := w.Person(t, "a-admin", "管理员", accounts.Grant{Role: accounts.Admin, CommunityID: w.A.ID}).Principal()
		in := func(gs ...accounts.Grant) accounts.NewAccount {
			return accounts.NewAccount{Username: "new.person", DisplayName: "新人", Password: "Jianshenglu-2025", Grants: gs}
		}
		before := rowCounts(t, d)
		for name, gs := range map[string][]accounts.Grant{
			"volunteer in B":          {{Role: accounts.Volunteer, CommunityID: w.B.ID}},
			"admin in C":              {{Role: accounts.Admin, CommunityID: w.C.ID}},
			"A and B":                 {{Role: accounts.Volunteer, CommunityID: w.A.ID}, {Role: accounts.Volunteer, CommunityID: w.B.ID}},
			"street over A":           {{Role: accounts.Street, StreetID: w.Street}},
			"street with community A": {{Role: accounts.Street, StreetID: w.Street, CommunityID: w.A.ID}},
		} {
			_, err := s.CreateAccount(ctx, adminA, in(gs...))
			if !apperr.Is(err, apperr.Forbidden) {
				t.Errorf("%s: err = %v, want forbidden", name, err)
			}
		}
		// No grant at all: refused, so the admin cannot make accounts
		// that nobody administers.
		_, err := s.CreateAccount(ctx, adminA, in())
		wantField(t, err, "role", "grant.role.invalid")
		// A grid of B slipped into a grant of A.
		_, err = s.CreateAccount(ctx, adminA, in(accounts.Grant{Role: accounts.Grid, CommunityID: w.A.ID, GridID: w.B.GridID}))
		wantField(t, err, "grids", "grant.scope.outside")
		if after := rowCounts(t, d); after != before {
			t.Fatalf("refused creates wrote rows:\n before %s\n after  %s", before, after)
		}
		// Inside A, every community role is allowed, admin included.
		a, err := s.CreateAccount(ctx, adminA, in(accounts.Grant{Role: accounts.Grid, CommunityID: w.A.ID, GridID: w.A.GridID},
			accounts.Grant{Role: accounts.Admin, CommunityID: w.A.ID}))
		if err != nil {
			t.Fatal(err)
		}
		es, _, _ := audit.List(ctx, d, audit.Filter{Action: "account.create", ActorID: adminA.AccountID})
		if len(es) != 1 || es[0].ObjectID == "" || es[0].Role != "admin" || es[0].CommunityID != w.A.ID {
			t.Fatalf("audit of the admin's create: %+v", es)
		}
		by := column[int64](t, d, `SELECT created_by FROM grants WHERE account_id = ? LIMIT 1`, a.ID)
		if by != adminA.AccountID {
			t.Fatalf("grant created_by = %d, want the admin %d", by, adminA.AccountID)
		}
	})
}

func TestGrants(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := fixture.Places(t, d)
		s := w.Accounts
		admin := w.Person(t, "a-admin", "管理员A", accounts.Grant{Role: accounts.Admin, CommunityID: w.A.ID})
		adminA := admin.Principal()
		volA := w.Person(t, "a-vol", "志愿者A", accounts.Grant{Role: accounts.Volunteer, CommunityID: w.A.ID})
		volB := w.Person(t, "b-vol", "志愿者B", accounts.Grant{Role: accounts.Volunteer, CommunityID: w.B.ID})
		super := w.Person(t, "supervisor", "督导", accounts.Grant{Role: accounts.Street, StreetID: w.Street})

		// AddGrant inside A.
		a, err := s.AddGrant(ctx, adminA, volA.Account.ID, accounts.Grant{Role: accounts.Leader, CommunityID: w.A.ID, TeamID: w.A.TeamID})
		if err != nil || len(a.Grants) != 2 || a.Grants[1].Role != accounts.Leader || a.Grants[1].TeamID != w.A.TeamID {
			t.Fatalf("AddGrant: %+v, %v", a, err)
		}
		_, err = s.AddGrant(ctx, adminA, volA.Account.ID, accounts.Grant{Role: accounts.Leader, CommunityID: w.A.ID, TeamID: w.A.TeamID})
		wantCode(t, err, apperr.Conflict, "grant.exists")
		// A grant in B for someone in A; a street grant; an account the
		// admin cannot see; a team of another community.
		_, err = s.AddGrant(ctx, adminA, volA.Account.ID, accounts.Grant{Role: accounts.Volunteer, CommunityID: w.B.ID})
		wantCode(t, err, apperr.Forbidden, "")
		_, err = s.AddGrant(ctx, adminA, volA.Account.ID, accounts.Grant{Role: accounts.Street, StreetID: w.Street})
		wantCode(t, err, apperr.Forbidden, "")
		_, err = s.AddGrant(ctx, adminA, volB.Account.ID, accounts.Grant{Role: accounts.Volunteer, CommunityID: w.A.ID})
		wantCode(t, err, apperr.NotFound, "")
		_, err = s.AddGrant(ctx, adminA, volA.Account.ID, accounts.Grant{Role: accounts.Leader, CommunityID: w.A.ID, TeamID: w.B.TeamID})
		wantField(t, err, "teams", "grant.scope.outside")
		if n := column[int](t, d, `SELECT count(*) FROM grants WHERE account_id = ?`, volA.Account.ID); n != 2 {
			t.Fatalf("volunteer A has %d grants after refused adds, want 2", n)
		}

		// RevokeGrant outside the admin's scope is "not found", and
		// changes nothing.
		for name, gid := range map[string]int64{
			"B's grant":     volB.Account.Grants[0].ID,
			"street grant":  super.Account.Grants[0].ID,
			"no such grant": 999999,
		} {
			if err := s.RevokeGrant(ctx, adminA, gid); !apperr.Is(err, apperr.NotFound) || apperr.From(err).Key != "error.not_found" {
				t.Errorf("revoke %s: %v, want not_found", name, err)
			}
		}
		if n := fixture.Count(t, d, "grants"); n != 5 {
			t.Fatalf("grants = %d after refused revokes, want 5", n)
		}
		// An admin cannot drop their own admin grant.
		wantCode(t, s.RevokeGrant(ctx, adminA, admin.Account.Grants[0].ID), apperr.Conflict, "grant.self_admin")
		// But can revoke inside A, and the holder loses it on the next
		// request.
		sess, _ := loginAs(t, s, "a-vol", addrA)
		leader := a.Grants[1].ID
		if err := s.RevokeGrant(ctx, adminA, leader); err != nil {
			t.Fatal(err)
		}
		p, err := s.Authenticate(ctx, sess.Token, accounts.KindWeb)
		if err != nil || len(p.Grants) != 1 || p.Has(accounts.Leader) {
			t.Fatalf("after revoke the session still has %+v (%v)", p, err)
		}
		wantCode(t, s.RevokeGrant(ctx, adminA, leader), apperr.NotFound, "")
		// The console can revoke anything.
		if err := s.RevokeGrant(ctx, w.Console, super.Account.Grants[0].ID); err != nil {
			t.Fatal(err)
		}
		if n := auditCount(t, d, "grant.add", audit.OK); n != 1 {
			t.Fatalf("grant.add entries = %d, want 1", n)
		}
		if n := auditCount(t, d, "grant.revoke", audit.OK); n != 2 {
			t.Fatalf("grant.revoke entries = %d, want 2", n)
		}
	})
}

func TestListAndGetAccounts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := fixture.Places(t, d)
		s := w.Accounts
		adminA := w.Person(t, "a-admin", "管理员A", accounts.Grant{Role: accounts.Admin, CommunityID: w.A.ID}).Principal()
		w.Person(t, "zhang.wei", "Zhang Wei", accounts.Grant{Role: accounts.Volunteer, CommunityID: w.A.ID})
		w.Person(t, "li_na", "李娜", accounts.Grant{Role: accounts.Volunteer, CommunityID: w.A.ID})
		volB := w.Person(t, "b-vol", "志愿者B", accounts.Grant{Role: accounts.Volunteer, CommunityID: w.B.ID})

		list := func(f accounts.AccountFilter) []string {
			t.Helper()
			as, total, err := s.ListAccounts(ctx, adminA, f)
			if err != nil {
				t.Fatalf("ListAccounts(%+v): %v", f, err)
			}
			if total < len(as) {
				t.Fatalf("total %d < %d listed", total, len(as))
			}
			var names []string
			for _, a := range as {
				names = append(names, a.Username)
			}
			return names
		}
		if got := strings.Join(list(accounts.AccountFilter{CommunityID: w.A.ID}), ","); got != "a-admin,li_na,zhang.wei" {
			t.Fatalf("list A = %s", got)
		}
		// Search ignores case on both engines, in usernames and names.
		for _, q := range []string{"ZHANG", "zhang wei", "Wei", "李"} {
			if got := list(accounts.AccountFilter{CommunityID: w.A.ID, Query: q}); len(got) != 1 {
				t.Errorf("query %q found %v, want one", q, got)
			}
		}
		if got := list(accounts.AccountFilter{CommunityID: w.A.ID, Limit: 2, Offset: 2}); len(got) != 1 || got[0] != "zhang.wei" {
			t.Fatalf("page 2 = %v", got)
		}
		_, _, err := s.ListAccounts(ctx, adminA, accounts.AccountFilter{CommunityID: w.B.ID})
		wantCode(t, err, apperr.NotFound, "")
		_, _, err = s.ListAccounts(ctx, adminA, accounts.AccountFilter{})
		wantCode(t, err, apperr.NotFound, "")
		if all, total, err := s.ListAccounts(ctx, w.Console, accounts.AccountFilter{}); err != nil || total != 4 || len(all) != 4 {
			t.Fatalf("console list: %d/%d, %v", len(all), total, err)
		}

		_, err = s.GetAccount(ctx, adminA, volB.Account.ID)
		wantCode(t, err, apperr.NotFound, "")
		_, err = s.GetAccount(ctx, adminA, 999999)
		wantCode(t, err, apperr.NotFound, "")
		if a, err := s.GetAccount(ctx, w.Console, volB.Account.ID); err != nil || a.Username != "b-vol" {
			t.Fatalf("console GetAccount: %v, %v", a, err)
		}
	})
}

// An admin of one community must not be able to take over an account that
// also holds rights elsewhere (a street supervisor who volunteers in A, an
// admin of B who lives in A) by resetting its password or disabling it.
func TestAdminCannotTakeOverWiderAccounts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := fixture.Places(t, d)
		s := w.Accounts
		adminA := w.Person(t, "a-admin", "管理员A", accounts.Grant{Role: accounts.Admin, CommunityID: w.A.ID}).Principal()
		super := w.Person(t, "supervisor", "督导", accounts.Grant{Role: accounts.Street, StreetID: w.Street},
			accounts.Grant{Role: accounts.Volunteer, CommunityID: w.A.ID})
		adminB := w.Person(t, "b-admin", "管理员B", accounts.Grant{Role: accounts.Admin, CommunityID: w.B.ID},
			accounts.Grant{Role: accounts.Resident, CommunityID: w.A.ID, HouseholdID: fixture.HouseholdA})
		volA := w.Person(t, "a-vol", "志愿者A", accounts.Grant{Role: accounts.Volunteer, CommunityID: w.A.ID})

		for _, p := range []fixture.Person{super, adminB} {
			// Admin A sees them (they are members of A) ...
			if _, err := s.GetAccount(ctx, adminA, p.Account.ID); err != nil {
				t.Fatalf("GetAccount(%s): %v", p.Username, err)
			}
			// ... but cannot seize or lock them.
			wantCode(t, s.SetPassword(ctx, adminA, p.Account.ID, "Seized-Account-1"), apperr.Forbidden, "")
			wantCode(t, s.SetDisabled(ctx, adminA, p.Account.ID, true), apperr.Forbidden, "")
			loginAs(t, s, p.Username, addrA)
		}
		// Accounts only in A remain theirs to manage.
		if err := s.SetPassword(ctx, adminA, volA.Account.ID, "Reset-By-Admin-1"); err != nil {
			t.Fatal(err)
		}
		if err := s.SetDisabled(ctx, adminA, volA.Account.ID, true); err != nil {
			t.Fatal(err)
		}
		// The console is not limited.
		if err := s.SetDisabled(ctx, w.Console, super.Account.ID, true); err != nil {
			t.Fatal(err)
		}
	})
}
