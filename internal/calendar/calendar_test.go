package calendar_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/audit"
	"github.com/linli/linli/internal/calendar"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/testkit/dbtest"
)

var t0 = time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC)

type world struct {
	d                             *db.DB
	s                             *calendar.Service
	cid, other, street            int64
	admin, volunteer, otherAdmin  *accounts.Principal
	streetSupervisor, otherStreet *accounts.Principal
}

func setup(t *testing.T, d *db.DB) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{d: d, s: calendar.New(d, clock.NewFake(t0))}
	var s2 int64
	must(t, d.QueryRow(ctx, `INSERT INTO streets (code, name, created_at) VALUES ('s1', '幸福街道', ?) RETURNING id`, t0).Scan(&w.street))
	must(t, d.QueryRow(ctx, `INSERT INTO streets (code, name, created_at) VALUES ('s2', '光明街道', ?) RETURNING id`, t0).Scan(&s2))
	must(t, d.QueryRow(ctx, `INSERT INTO communities (street_id, code, name, created_at) VALUES (?, 'c1', '和平社区', ?) RETURNING id`, w.street, t0).Scan(&w.cid))
	must(t, d.QueryRow(ctx, `INSERT INTO communities (street_id, code, name, created_at) VALUES (?, 'c2', '团结社区', ?) RETURNING id`, s2, t0).Scan(&w.other))
	w.admin = principal(t, d, "admin", accounts.Grant{Role: accounts.Admin, CommunityID: w.cid})
	w.volunteer = principal(t, d, "vol", accounts.Grant{Role: accounts.Volunteer, CommunityID: w.cid})
	w.otherAdmin = principal(t, d, "admin2", accounts.Grant{Role: accounts.Admin, CommunityID: w.other})
	w.streetSupervisor = principal(t, d, "street", accounts.Grant{Role: accounts.Street, StreetID: w.street})
	w.otherStreet = principal(t, d, "street2", accounts.Grant{Role: accounts.Street, StreetID: s2})
	return w
}

func principal(t *testing.T, d *db.DB, username string, g accounts.Grant) *accounts.Principal {
	t.Helper()
	var id int64
	must(t, d.QueryRow(context.Background(), `INSERT INTO accounts
		(username, display_name, password_hash, password_changed_at, created_at, updated_at)
		VALUES (?, ?, 'x', ?, ?, ?) RETURNING id`, username, username, t0, t0, t0).Scan(&id))
	g.AccountID = id
	return &accounts.Principal{AccountID: id, Username: username, Grants: []accounts.Grant{g}}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (w *world) seed(t *testing.T) {
	t.Helper()
	must(t, w.d.InTx(context.Background(), func(tx *db.Tx) error {
		n, err := calendar.SeedChina(context.Background(), tx, w.cid, t0)
		if err == nil && n != len(calendar.ChinaDays()) {
			t.Errorf("seeded %d days, want %d", n, len(calendar.ChinaDays()))
		}
		return err
	}))
}

func sh(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, clock.Shanghai)
}

func TestAddWorkingDays(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		w := setup(t, d)
		w.seed(t)
		cases := []struct {
			name string
			from time.Time
			n    int
			want time.Time
		}{
			{"Friday + 1 skips the weekend", sh(2025, 11, 14, 17, 30), 1, sh(2025, 11, 17, 17, 30)},
			{"Friday + 5", sh(2025, 11, 14, 9, 0), 5, sh(2025, 11, 21, 9, 0)},
			{"Saturday after midnight counts from Saturday", sh(2025, 11, 15, 0, 30), 1, sh(2025, 11, 17, 0, 30)},
			{"zero is from itself", sh(2025, 11, 15, 10, 0), 0, sh(2025, 11, 15, 10, 0)},
			// 国庆中秋 2025: off 10/1-10/8, make-up workdays Sun 9/28 and Sat 10/11.
			{"Friday before 国庆 + 1 is the make-up Sunday", sh(2025, 9, 26, 10, 0), 1, sh(2025, 9, 28, 10, 0)},
			{"into 国庆 + 1", sh(2025, 9, 30, 10, 0), 1, sh(2025, 10, 9, 10, 0)},
			{"into 国庆 + 3 is the make-up Saturday", sh(2025, 9, 30, 10, 0), 3, sh(2025, 10, 11, 10, 0)},
			{"into 国庆 + 4", sh(2025, 9, 30, 10, 0), 4, sh(2025, 10, 13, 10, 0)},
			// 春节 2026: off 2/15-2/23, make-up Saturdays 2/14 and 2/28.
			{"Friday before 春节 2026 + 1", sh(2026, 2, 13, 9, 0), 1, sh(2026, 2, 14, 9, 0)},
			{"across 春节 2026", sh(2026, 2, 13, 9, 0), 2, sh(2026, 2, 24, 9, 0)},
			{"many working days", sh(2025, 1, 1, 9, 0), 40, sh(2025, 3, 4, 9, 0)},
		}
		for _, c := range cases {
			got, err := w.s.AddWorkingDays(ctx, w.cid, c.from.UTC(), c.n)
			if err != nil || !got.Equal(c.want) || got.Location() != time.UTC {
				t.Errorf("%s: AddWorkingDays(%v, %d) = %v (%v), want %v", c.name, c.from, c.n, got.In(clock.Shanghai), err, c.want)
			}
		}
		// Another community without a calendar has an ordinary week.
		got, err := w.s.AddWorkingDays(ctx, w.other, sh(2025, 9, 30, 10, 0), 1)
		if err != nil || !got.Equal(sh(2025, 10, 1, 10, 0)) {
			t.Errorf("unseeded community: %v (%v)", got, err)
		}
		if _, err := w.s.AddWorkingDays(ctx, w.cid, t0, -1); err == nil {
			t.Error("negative count accepted")
		}
		for _, c := range []struct {
			day  time.Time
			want bool
		}{
			{sh(2025, 10, 11, 12, 0), true}, {sh(2025, 10, 3, 12, 0), false}, {sh(2025, 11, 16, 12, 0), false},
			{sh(2025, 11, 17, 12, 0), true}, {sh(2026, 2, 14, 12, 0), true}, {sh(2026, 1, 1, 12, 0), false},
			// 16:30 UTC on 10/10 is 00:30 on Saturday 10/11 in Shanghai.
			{time.Date(2025, 10, 10, 16, 30, 0, 0, time.UTC), true},
		} {
			if got, err := w.s.IsWorkday(ctx, w.cid, c.day); err != nil || got != c.want {
				t.Errorf("IsWorkday(%v) = %v (%v), want %v", c.day, got, err, c.want)
			}
		}
	})
}

func TestSetValidationChangesNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		w := setup(t, d)
		cases := []struct {
			day   string
			kind  calendar.Kind
			name  string
			field string
			key   string
		}{
			{"2025-02-30", calendar.Holiday, "x", "day", "calendar.day.invalid"},
			{"2025/10/01", calendar.Holiday, "x", "day", "calendar.day.invalid"},
			{"", calendar.Holiday, "x", "day", "calendar.day.invalid"},
			{"2025-10-01", "vacation", "x", "kind", "calendar.kind.invalid"},
			{"2025-10-01", calendar.Holiday, strings.Repeat("国", calendar.MaxNameLen+1), "name", "calendar.name.too_long"},
			{"2025-10-01", calendar.Holiday, "国庆\n节", "name", "calendar.name.invalid"},
		}
		for _, c := range cases {
			_, err := w.s.Set(ctx, w.admin, w.cid, c.day, c.kind, c.name)
			e := apperr.From(err)
			if e.Code != apperr.Invalid || e.Fields[c.field].Key != c.key {
				t.Errorf("Set(%q, %q, %q) = %v, want %s on %s", c.day, c.kind, c.name, err, c.key, c.field)
			}
		}
		if _, err := w.s.Set(ctx, w.admin, w.cid, strings.Repeat("x", 3), "bad", ""); len(apperr.From(err).Fields) != 2 {
			t.Errorf("two bad fields reported as %v", err)
		}
		if _, err := w.s.Set(ctx, w.admin, w.cid, "2025-10-01", calendar.Holiday, strings.Repeat("国", calendar.MaxNameLen)); err != nil {
			t.Errorf("a name of exactly %d characters: %v", calendar.MaxNameLen, err)
		}
		var days, entries int
		must(t, d.QueryRow(ctx, `SELECT count(*) FROM calendar_days`).Scan(&days))
		must(t, d.QueryRow(ctx, `SELECT count(*) FROM audit_log`).Scan(&entries))
		if days != 1 || entries != 1 {
			t.Fatalf("after invalid sets and one valid: %d days, %d audit entries", days, entries)
		}
	})
}

func TestPermissions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		w := setup(t, d)
		for _, c := range []struct {
			who  *accounts.Principal
			cid  int64
			code apperr.Code
		}{
			{nil, w.cid, apperr.Unauthenticated},
			{w.volunteer, w.cid, apperr.Forbidden},
			{w.streetSupervisor, w.cid, apperr.Forbidden},
			{w.otherAdmin, w.cid, apperr.NotFound},
			{w.otherStreet, w.cid, apperr.NotFound},
			{w.admin, w.other, apperr.NotFound},
			{w.admin, 424242, apperr.NotFound},
		} {
			if _, err := w.s.Set(ctx, c.who, c.cid, "2025-10-01", calendar.Holiday, "国庆节"); apperr.CodeOf(err) != c.code {
				t.Errorf("Set by %v in %d = %v, want %s", c.who, c.cid, err, c.code)
			}
			if err := w.s.Delete(ctx, c.who, c.cid, "2025-10-01"); apperr.CodeOf(err) != c.code {
				t.Errorf("Delete by %v in %d = %v, want %s", c.who, c.cid, err, c.code)
			}
		}
		var n int
		must(t, d.QueryRow(ctx, `SELECT count(*) FROM calendar_days`).Scan(&n))
		if n != 0 {
			t.Fatalf("%d days written by people who may not", n)
		}
		denied, _, err := audit.List(ctx, d, audit.Filter{Action: "calendar."})
		if err != nil || len(denied) != 4 || denied[0].Result != audit.Denied || denied[0].ActorID != w.streetSupervisor.AccountID {
			t.Fatalf("denials audited: %+v (%v)", denied, err)
		}
		// Readers: members and the street supervisor over the community.
		w.seed(t)
		for _, who := range []*accounts.Principal{w.admin, w.volunteer, w.streetSupervisor} {
			days, err := w.s.List(ctx, who, w.cid, 2026)
			if err != nil || len(days) != 39 {
				t.Errorf("List by %s: %d days (%v)", who.Username, len(days), err)
			}
		}
		if _, err := w.s.List(ctx, w.otherAdmin, w.cid, 2026); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("List by another community's admin = %v", err)
		}
		if _, err := w.s.List(ctx, w.admin, w.cid, 0); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("List of year 0 = %v", err)
		}
	})
}

func TestSetDeleteListAudit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		w := setup(t, d)
		w.seed(t)
		// An admin corrects a seeded day (upsert), adds a local one, removes one.
		day, err := w.s.Set(ctx, w.admin, w.cid, "2026-10-10", calendar.Holiday, " 社区调整 ")
		if err != nil || day.Name != "社区调整" || day.ID == 0 {
			t.Fatalf("Set = %+v (%v)", day, err)
		}
		if _, err := w.s.Set(ctx, w.admin, w.cid, "2026-12-31", calendar.Holiday, "社区活动日"); err != nil {
			t.Fatal(err)
		}
		must(t, w.s.Delete(ctx, w.admin, w.cid, "2026-10-07"))
		if err := w.s.Delete(ctx, w.admin, w.cid, "2026-10-07"); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("second Delete = %v", err)
		}

		days, err := w.s.List(ctx, w.volunteer, w.cid, 2026)
		if err != nil {
			t.Fatal(err)
		}
		byDay := map[string]calendar.Day{}
		for i, x := range days {
			if i > 0 && days[i-1].Day >= x.Day {
				t.Fatalf("List out of order at %s", x.Day)
			}
			if !strings.HasPrefix(x.Day, "2026-") {
				t.Fatalf("List(2026) returned %s", x.Day)
			}
			byDay[x.Day] = x
		}
		if x := byDay["2026-10-10"]; x.Kind != calendar.Holiday || x.Name != "社区调整" || x.CreatedBy != w.admin.AccountID {
			t.Fatalf("corrected day %+v", x)
		}
		if _, ok := byDay["2026-10-07"]; ok {
			t.Fatal("deleted day still listed")
		}
		if x := byDay["2026-12-31"]; x.Kind != calendar.Holiday || !x.CreatedAt.Equal(t0) {
			t.Fatalf("added day %+v", x)
		}
		if x := byDay["2026-02-15"]; x.Name != "春节" || x.CreatedBy != 0 {
			t.Fatalf("seeded day %+v", x)
		}
		if ok, _ := w.s.IsWorkday(ctx, w.cid, sh(2026, 10, 10, 12, 0)); ok {
			t.Fatal("the corrected Saturday is still a workday")
		}
		if ok, _ := w.s.IsWorkday(ctx, w.cid, sh(2026, 10, 7, 12, 0)); !ok {
			t.Fatal("the deleted Wednesday holiday is still off")
		}

		// Seeding again keeps the admin's corrections.
		must(t, d.InTx(ctx, func(tx *db.Tx) error {
			n, err := calendar.SeedChina(ctx, tx, w.cid, t0)
			if n != 1 { // only the deleted 2026-10-07 comes back
				t.Errorf("reseed added %d", n)
			}
			return err
		}))
		if ok, _ := w.s.IsWorkday(ctx, w.cid, sh(2026, 10, 10, 12, 0)); ok {
			t.Fatal("reseed undid the correction")
		}

		entries, _, err := audit.List(ctx, d, audit.Filter{Action: "calendar.", CommunityIDs: []int64{w.cid}})
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range entries {
			actions = append(actions, e.Action+":"+e.ObjectID)
		}
		want := "calendar.seed:,calendar.delete:2026-10-07,calendar.set:2026-12-31,calendar.set:2026-10-10,calendar.seed:"
		if strings.Join(actions, ",") != want {
			t.Fatalf("audit %v, want %s", actions, want)
		}
		if e := entries[3]; e.ActorID != w.admin.AccountID || e.Role != "admin" || e.Result != audit.OK || !e.At.Equal(t0) {
			t.Fatalf("set entry %+v", e)
		}
	})
}

func TestChinaDays(t *testing.T) {
	days := calendar.ChinaDays()
	seen := map[string]bool{}
	for _, d := range days {
		if seen[d.Day] {
			t.Fatalf("%s twice", d.Day)
		}
		seen[d.Day] = true
		wd := mustParse(t, d.Day).Weekday()
		weekend := wd == time.Saturday || wd == time.Sunday
		if d.Kind == calendar.Workday && !weekend {
			t.Errorf("make-up workday %s is a %s", d.Day, wd)
		}
	}
	// 2026 lists 39 days: 3+9+3+5+3+3+7 off and 6 make-up workdays.
	n := 0
	for _, d := range days {
		if strings.HasPrefix(d.Day, "2026-") {
			n++
		}
	}
	if n != 39 {
		t.Fatalf("2026 has %d days", n)
	}
}

func mustParse(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := time.Parse(calendar.DateLayout, s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// The operator at the console (the demo seed) may edit any community.
func TestConsoleMayEdit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		if _, err := w.s.Set(context.Background(), accounts.Console("root"), w.other, "2026-12-31", calendar.Holiday, "x"); err != nil {
			t.Fatalf("console Set = %v", err)
		}
	})
}
