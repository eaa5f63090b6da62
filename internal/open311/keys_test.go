package open311

import (
	"strings"
	"testing"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/requests"
	"github.com/linli/linli/internal/testkit/dbtest"
	"github.com/linli/linli/internal/testkit/fixture"
)

// Keys: an admin of the community (or the console) creates, lists and
// revokes; an admin elsewhere does not learn they exist; a worker of the
// community is refused; a revoked key no longer checks; only the hash
// is stored.
func TestKeys(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := t.Context()
		w := fixture.Places(t, d)
		k := NewKeys(d, clock.NewFake(fixture.Start))
		adminA := &accounts.Principal{AccountID: 0, Grants: []accounts.Grant{{Role: accounts.Admin, CommunityID: w.A.ID}}}
		adminB := &accounts.Principal{Grants: []accounts.Grant{{Role: accounts.Admin, CommunityID: w.B.ID}}}
		workerA := &accounts.Principal{Grants: []accounts.Grant{{Role: accounts.Worker, CommunityID: w.A.ID}}}

		if _, err := k.Create(ctx, adminB, w.A.ID, "热线"); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("admin of B creates in A: %v", err)
		}
		if _, err := k.Create(ctx, workerA, w.A.ID, "热线"); !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("worker of A creates: %v", err)
		}
		for _, name := range []string{"", " ", strings.Repeat("名", 61), "a<b>"} {
			if _, err := k.Create(ctx, adminA, w.A.ID, name); !apperr.Is(err, apperr.Invalid) {
				t.Errorf("name %q: %v", name, err)
			}
		}
		nk, err := k.Create(ctx, adminA, w.A.ID, "市民热线")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := k.Create(ctx, accounts.Console("test"), w.B.ID, "B 的测试"); err != nil {
			t.Fatal(err)
		}
		var stored int
		if err := d.QueryRow(ctx, `SELECT count(*) FROM open311_keys WHERE key_hash = ? AND prefix = ?`, hashKey(nk.Secret), nk.Prefix).Scan(&stored); err != nil || stored != 1 {
			t.Fatalf("stored hash: %d %v", stored, err)
		}
		var leaked int
		if err := d.QueryRow(ctx, `SELECT count(*) FROM open311_keys WHERE key_hash = ? OR name = ?`, nk.Secret, nk.Secret).Scan(&leaked); err != nil || leaked != 0 {
			t.Fatalf("the key itself is stored: %d %v", leaked, err)
		}
		got, ok, err := k.check(ctx, nk.Secret)
		if err != nil || !ok || got.ID != nk.ID || got.CommunityID != w.A.ID {
			t.Fatalf("check: %v %v %v", got, ok, err)
		}
		for _, bad := range []string{"", "o311_", nk.Secret + "0", strings.ToUpper(nk.Secret), nk.Prefix} {
			if _, ok, err := k.check(ctx, bad); ok || err != nil {
				t.Errorf("check(%q) = %v %v", bad, ok, err)
			}
		}
		list, err := k.List(ctx, adminA, w.A.ID)
		if err != nil || len(list) != 1 || list[0].LastUsedAt == nil {
			t.Fatalf("list: %v %v", list, err)
		}
		if _, err := k.List(ctx, adminB, w.A.ID); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("admin of B lists A: %v", err)
		}
		if _, err := k.Revoke(ctx, adminB, nk.ID); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("admin of B revokes: %v", err)
		}
		if _, err := k.Revoke(ctx, adminA, 999999); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("revoke a missing key: %v", err)
		}
		r, err := k.Revoke(ctx, adminA, nk.ID)
		if err != nil || r.RevokedAt == nil {
			t.Fatalf("revoke: %v %v", r, err)
		}
		if _, ok, _ := k.check(ctx, nk.Secret); ok {
			t.Fatal("a revoked key still checks")
		}
		if _, err := k.Revoke(ctx, adminA, nk.ID); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("revoke twice: %v", err)
		}
		var audited int
		if err := d.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action IN ('open311.key.create', 'open311.key.revoke')`).Scan(&audited); err != nil || audited != 3 {
			t.Fatalf("audit entries: %d %v", audited, err)
		}
	})
}

func TestLimiter(t *testing.T) {
	c := clock.NewFake(fixture.Start)
	l := newLimiter(RateLimit{Burst: 3, Every: 10 * time.Second}, c)
	for i := 0; i < 3; i++ {
		if ok, _ := l.take(1); !ok {
			t.Fatalf("take %d refused within the burst", i)
		}
	}
	ok, wait := l.take(1)
	if ok || wait != 10*time.Second {
		t.Fatalf("4th take: %v, wait %v", ok, wait)
	}
	if ok, _ := l.take(2); !ok {
		t.Fatal("another key shares the bucket")
	}
	c.Advance(5 * time.Second)
	if ok, wait := l.take(1); ok || wait != 5*time.Second {
		t.Fatalf("half refilled: %v %v", ok, wait)
	}
	c.Advance(5 * time.Second)
	if ok, _ := l.take(1); !ok {
		t.Fatal("refilled token refused")
	}
	c.Advance(time.Hour) // the bucket holds no more than its burst
	for i := 0; i < 3; i++ {
		l.take(1)
	}
	if ok, _ := l.take(1); ok {
		t.Fatal("the bucket grew past its burst")
	}
}

func TestPublicAddress(t *testing.T) {
	cases := []struct {
		p    requests.PublicRequest
		want string
	}{
		{requests.PublicRequest{Building: "建胜路小区3号楼", Address: "3号楼2单元502"}, "建胜路小区3号楼"},
		{requests.PublicRequest{Address: "建胜路小区5号楼2单元502室"}, "建胜路小区5号楼"},
		{requests.PublicRequest{Address: "和平小区12栋1单元301"}, "和平小区12栋"},
		{requests.PublicRequest{Address: "二单元502室门口"}, "门口"},
		{requests.PublicRequest{Address: "小区东门垃圾站"}, "小区东门垃圾站"},
		{requests.PublicRequest{Address: "东门 3-2-502"}, "东门"},
		{requests.PublicRequest{Address: "东门，联系13800001111"}, "东门，联系[号码已隐去]"},
		{requests.PublicRequest{Address: "38.043212, 114.514868"}, ""},
	}
	for _, c := range cases {
		if got := publicAddress(c.p); got != c.want {
			t.Errorf("publicAddress(%q, %q) = %q, want %q", c.p.Building, c.p.Address, got, c.want)
		}
	}
}
