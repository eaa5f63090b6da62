package accounts

import (
	"strings"
	"testing"
	"time"
)

// The tests run with a tiny hash cost (export_test.go); this one checks
// the cost production uses, OWASP's first argon2id recommendation.
func TestProductionHashParams(t *testing.T) {
	if productionParams != (hashParams{memory: 19 * 1024, time: 2, threads: 1}) {
		t.Fatalf("production argon2id parameters are %+v", productionParams)
	}
	h, err := hashPassword("邻里 passphrase", productionParams)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q", h)
	}
	if !verifyPassword("邻里 passphrase", h) || verifyPassword("邻里 passphrasE", h) || verifyPassword("邻里 passphrase ", h) {
		t.Fatal("verifyPassword disagrees with hashPassword")
	}
}

// A corrupt hash in the database (a hand edit, an import from another
// system) must fail the check, never panic the sign-in handler.
func TestVerifyPasswordRejectsMalformedHashes(t *testing.T) {
	good, _ := hashPassword("secret-password", defaultParams)
	parts := strings.Split(good, "$")
	with := func(i int, v string) string {
		p := append([]string(nil), parts...)
		p[i] = v
		return strings.Join(p, "$")
	}
	for _, h := range []string{
		"", "secret-password", "$argon2i$v=19$m=64,t=1,p=1$c2FsdA$aGFzaA",
		with(1, "bcrypt"),
		with(3, "m=64,t=0,p=1"),      // zero passes: argon2 panics
		with(3, "m=64,t=1,p=0"),      // zero lanes: argon2 panics
		with(3, "m=4194304,t=1,p=1"), // 4 GiB of memory
		with(3, "m=64,t=100,p=1"),    // a hundred passes
		with(3, "m=x,t=1,p=1"),       // not a number
		with(4, "!!!"),               // salt not base64
		with(5, ""),                  // no key
		with(5, "!!!"),               // key not base64
		good + "$extra",              // seven parts
	} {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("verifyPassword(%q) panicked: %v", h, r)
				}
			}()
			if verifyPassword("secret-password", h) {
				t.Errorf("verifyPassword(%q) = true", h)
			}
		}()
	}
	if !verifyPassword("secret-password", good) {
		t.Fatal("the good hash does not verify")
	}
}

func TestCheckPassword(t *testing.T) {
	cases := []struct {
		pw    string
		staff bool
		want  string
	}{
		{"1234567", false, "password.too_short"},
		{"邻里邻里邻里邻", false, "password.too_short"}, // 7 characters, 21 bytes
		{"邻里邻里邻里邻里", false, ""},                  // 8 characters
		{strings.Repeat("a", 128), false, ""},
		{strings.Repeat("a", 129), false, "password.too_long"},
		{"12345678", false, "password.too_common"},
		{"PASSWORD", false, "password.too_common"},
		{"Woaini1314", false, "password.too_common"},
		{"p@ssw0rd", true, "password.too_common"},
		{"zhangwei", false, "password.like_name"},
		{"ZhangWei", false, "password.like_name"},
		{"张伟张伟张伟张伟", false, "password.like_name"},
		{"correct horse battery", false, ""},
		{"correct horse battery", true, "password.staff_classes"},
		{"correcthorse2025", true, "password.staff_classes"},
		{"Correcthorse2025", true, ""},
		{"correct horse 2025", true, ""}, // lower, digits, spaces
		{"邻里守望相助2025ab", true, ""},       // Chinese counts as "other"
		{"ABCDEFGH12", true, "password.staff_classes"},
	}
	for _, tc := range cases {
		name := "zhangwei"
		display := "张伟张伟张伟张伟"
		if got := checkPassword(tc.pw, tc.staff, name, display); got != tc.want {
			t.Errorf("checkPassword(%q, staff=%v) = %q, want %q", tc.pw, tc.staff, got, tc.want)
		}
	}
	// Every entry of the blocklist is refused, whatever its case.
	for pw := range weakPasswords {
		if checkPassword(strings.ToUpper(pw), false, "x", "y") != "password.too_common" {
			t.Errorf("%q is not refused", pw)
		}
	}
}

func TestRoles(t *testing.T) {
	staff := map[Role]bool{Admin: true, Worker: true, Grid: true, Street: true}
	for _, r := range Roles {
		if !r.Valid() {
			t.Errorf("%s not valid", r)
		}
		if r.Staff() != staff[r] {
			t.Errorf("%s.Staff() = %v", r, r.Staff())
		}
	}
	if Role("root").Valid() || Role("").Valid() || Role("Admin").Valid() {
		t.Error("an unknown role is valid")
	}
	for r, scope := range map[Role]string{Street: "street", Grid: "grid", Leader: "team", Partner: "organisation",
		Resident: "household", Admin: "community", Worker: "community", Volunteer: "community"} {
		if r.Scope() != scope {
			t.Errorf("%s.Scope() = %s, want %s", r, r.Scope(), scope)
		}
	}
}

// Templates and middleware ask questions of the principal of an anonymous
// request, which is nil.
func TestNilPrincipal(t *testing.T) {
	var p *Principal
	if p.Has(Admin) || p.Staff() || p.RoleNames() != nil || p.Communities() != nil || p.administers(1) || p.manages(&Account{}) || p.controls(&Account{}) {
		t.Fatal("a nil principal holds something")
	}
	e := p.Audit(time.Unix(0, 0), "x.y", 3)
	if e.ActorID != 0 || e.ActorName != "" || e.Role != "" || e.CommunityID != 3 {
		t.Fatalf("Audit of nil = %+v", e)
	}
}

func TestPrincipalQuestions(t *testing.T) {
	p := &Principal{AccountID: 9, Username: "wang", ClientAddr: "192.0.2.1", RequestID: "r1", Grants: []Grant{
		{Role: Volunteer, CommunityID: 1}, {Role: Admin, CommunityID: 2}, {Role: Volunteer, CommunityID: 2},
		{Role: Street, StreetID: 5},
	}}
	if got := strings.Join(p.RoleNames(), ","); got != "volunteer,admin,street" {
		t.Errorf("RoleNames = %s", got)
	}
	if c := p.Communities(); len(c) != 2 || c[0] != 1 || c[1] != 2 {
		t.Errorf("Communities = %v", c)
	}
	if !p.Staff() || !p.Has(Street) || p.Has(Worker) {
		t.Error("Staff/Has")
	}
	if !p.administers(2) || p.administers(1) || p.administers(0) {
		t.Error("administers")
	}
	// The role written to the log is the strongest held in the entry's
	// community (a street grant counts everywhere).
	for cid, want := range map[int64]string{1: "volunteer", 2: "admin", 0: "admin", 7: "street"} {
		if got := p.Audit(time.Unix(0, 0), "x", cid).Role; got != want {
			t.Errorf("role in %d = %q, want %q", cid, got, want)
		}
	}
	e := p.Audit(time.Unix(0, 0), "x", 2)
	if e.ActorID != 9 || e.ActorName != "wang" || e.ClientAddr != "192.0.2.1" || e.RequestID != "r1" {
		t.Errorf("Audit = %+v", e)
	}
	c := Console("root")
	if e := c.Audit(time.Unix(0, 0), "x", 2); e.Role != "system" || e.ActorName != "console:root" || e.ActorID != 0 {
		t.Errorf("console Audit = %+v", e)
	}

	// manages: any grant in an administered community; controls: all of
	// them, and no street grant.
	admin2 := &Principal{AccountID: 1, Grants: []Grant{{Role: Admin, CommunityID: 2}, {Role: Admin, CommunityID: 3}}}
	for _, tc := range []struct {
		name              string
		grants            []Grant
		manages, controls bool
	}{
		{"only in 2", []Grant{{Role: Volunteer, CommunityID: 2}}, true, true},
		{"in 2 and 3", []Grant{{Role: Volunteer, CommunityID: 2}, {Role: Worker, CommunityID: 3}}, true, true},
		{"in 2 and 4", []Grant{{Role: Volunteer, CommunityID: 2}, {Role: Admin, CommunityID: 4}}, true, false},
		{"in 2 and a street", []Grant{{Role: Volunteer, CommunityID: 2}, {Role: Street, StreetID: 1}}, true, false},
		{"street grant naming 2", []Grant{{Role: Street, StreetID: 1, CommunityID: 2}}, true, false},
		{"only in 4", []Grant{{Role: Volunteer, CommunityID: 4}}, false, false},
		{"no grants", nil, false, false},
	} {
		a := &Account{Grants: tc.grants}
		if admin2.manages(a) != tc.manages || admin2.controls(a) != tc.controls {
			t.Errorf("%s: manages %v controls %v, want %v %v", tc.name, admin2.manages(a), admin2.controls(a), tc.manages, tc.controls)
		}
		if !c.manages(a) || !c.controls(a) {
			t.Errorf("%s: the console does not manage it", tc.name)
		}
	}
}
