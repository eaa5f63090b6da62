package audit_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/linli/linli/internal/audit"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/testkit/dbtest"
)

var t0 = time.Date(2025, 3, 3, 1, 0, 0, 0, time.UTC)

func record(t *testing.T, q db.Querier, e audit.Entry) {
	t.Helper()
	if err := audit.Record(context.Background(), q, e); err != nil {
		t.Fatalf("Record(%s): %v", e.Action, err)
	}
}

func list(t *testing.T, q db.Querier, f audit.Filter) ([]audit.Entry, int) {
	t.Helper()
	es, n, err := audit.List(context.Background(), q, f)
	if err != nil {
		t.Fatalf("List(%+v): %v", f, err)
	}
	return es, n
}

func TestRecordRoundTrip(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		at := time.Date(2025, 3, 3, 9, 30, 15, 123456000, time.FixedZone("CST", 8*3600))
		record(t, d, audit.Entry{
			At: at, ActorID: 7, ActorName: "wang", Role: "admin", CommunityID: 3, Action: "account.create",
			ObjectType: "account", ObjectID: "42", Fields: []string{"username", "password"},
			ClientAddr: "192.0.2.1", RequestID: "req-1", Detail: "made by hand",
		})
		record(t, d, audit.Entry{At: at, Action: "system.start"}) // anonymous, no community
		es, total := list(t, d, audit.Filter{})
		if total != 2 || len(es) != 2 {
			t.Fatalf("List = %d entries, total %d; want 2", len(es), total)
		}
		// Newest first.
		if es[0].Action != "system.start" || es[1].Action != "account.create" {
			t.Fatalf("order: %s, %s", es[0].Action, es[1].Action)
		}
		e := es[1]
		want := audit.Entry{
			ID: e.ID, At: at.UTC(), ActorID: 7, ActorName: "wang", Role: "admin", CommunityID: 3, Action: "account.create",
			ObjectType: "account", ObjectID: "42", Fields: []string{"username", "password"}, Result: audit.OK,
			ClientAddr: "192.0.2.1", RequestID: "req-1", Detail: "made by hand",
		}
		if fmt.Sprintf("%+v", e) != fmt.Sprintf("%+v", want) {
			t.Fatalf("read back\n got  %+v\n want %+v", e, want)
		}
		if e.At.Location() != time.UTC {
			t.Fatalf("At is in %v, want UTC", e.At.Location())
		}
		if a := es[0]; a.ActorID != 0 || a.CommunityID != 0 || a.Fields != nil || a.Result != audit.OK {
			t.Fatalf("anonymous entry read back as %+v", a)
		}
	})
}

func TestRecordNeedsAction(t *testing.T) {
	d := dbtest.SQLite(t)
	if err := audit.Record(context.Background(), d, audit.Entry{At: t0}); err == nil {
		t.Fatal("an entry without an action was recorded")
	}
}

// A crafted name must not be able to forge log lines or send terminal
// escapes to whoever reads an exported log (ASVS 16.4.1; research test 34).
func TestRecordStripsControlCharacters(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		evil := "mallory\r\n2025-03-03 admin account.login ok\x1b[2J\x1b]0;pwned\x07\x00\x7f\u0085\u009b31m\u2028\u2029\u202e"
		record(t, d, audit.Entry{
			At: t0, Action: "account.login", ActorName: evil, ObjectID: evil, ClientAddr: evil,
			RequestID: evil, Detail: evil, Result: audit.Failed,
		})
		es, _ := list(t, d, audit.Filter{})
		if len(es) != 1 {
			t.Fatalf("%d entries", len(es))
		}
		e := es[0]
		for name, v := range map[string]string{"actor_name": e.ActorName, "object_id": e.ObjectID,
			"client_addr": e.ClientAddr, "request_id": e.RequestID, "detail": e.Detail} {
			for _, r := range v {
				if r < 0x20 || (r >= 0x7f && r <= 0x9f) || r == '\u2028' || r == '\u2029' || r == '\u202e' {
					t.Errorf("%s keeps control character %U: %q", name, r, v)
				}
			}
			if !strings.HasPrefix(v, "mallory") {
				t.Errorf("%s lost its printable text: %q", name, v)
			}
		}
		if !strings.Contains(e.ActorName, "[2J") {
			t.Errorf("printable characters after ESC were dropped: %q", e.ActorName)
		}
	})
}

func TestRecordTruncatesLongValues(t *testing.T) {
	d := dbtest.SQLite(t)
	long := strings.Repeat("长", 1000)
	record(t, d, audit.Entry{At: t0, Action: "x.y", ActorName: long, Detail: long, ObjectID: long, RequestID: long})
	es, _ := list(t, d, audit.Filter{})
	for name, tc := range map[string]struct {
		v   string
		max int
	}{"actor_name": {es[0].ActorName, 100}, "detail": {es[0].Detail, 500}, "object_id": {es[0].ObjectID, 100}, "request_id": {es[0].RequestID, 64}} {
		if n := len([]rune(tc.v)); n != tc.max {
			t.Errorf("%s kept %d runes, want %d", name, n, tc.max)
		}
	}
}

func TestListFilters(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		// 30 entries, one a minute: communities 1, 2, 3 in turn; actors 10
		// and 11 in turn; actions cycling through four names.
		actions := []string{"account.login", "account.logout", "accounting.export", "grant.add"}
		for i := 0; i < 30; i++ {
			record(t, d, audit.Entry{
				At: t0.Add(time.Duration(i) * time.Minute), Action: actions[i%4],
				CommunityID: int64(i%3 + 1), ActorID: int64(10 + i%2), ActorName: fmt.Sprint("u", i),
			})
		}
		count := func(pred func(i int) bool) int {
			n := 0
			for i := 0; i < 30; i++ {
				if pred(i) {
					n++
				}
			}
			return n
		}
		cases := []struct {
			name string
			f    audit.Filter
			want func(i int) bool
		}{
			{"all", audit.Filter{}, func(int) bool { return true }},
			{"community 1", audit.Filter{CommunityIDs: []int64{1}}, func(i int) bool { return i%3 == 0 }},
			{"communities 1 and 3", audit.Filter{CommunityIDs: []int64{1, 3}}, func(i int) bool { return i%3 != 1 }},
			{"empty community list", audit.Filter{CommunityIDs: []int64{}}, func(int) bool { return false }},
			{"actor 11", audit.Filter{ActorID: 11}, func(i int) bool { return i%2 == 1 }},
			{"exact action", audit.Filter{Action: "account.login"}, func(i int) bool { return i%4 == 0 }},
			// "account." must not match "accounting.export".
			{"action prefix", audit.Filter{Action: "account."}, func(i int) bool { return i%4 < 2 }},
			// A prefix is matched exactly, on both engines: no case folding,
			// and "_" is no wildcard.
			{"prefix in capitals", audit.Filter{Action: "Account."}, func(int) bool { return false }},
			{"prefix with a wildcard", audit.Filter{Action: "gran_."}, func(int) bool { return false }},
			{"exact action in capitals", audit.Filter{Action: "ACCOUNT.LOGIN"}, func(int) bool { return false }},
			{"since (inclusive)", audit.Filter{Since: t0.Add(10 * time.Minute)}, func(i int) bool { return i >= 10 }},
			{"until (exclusive)", audit.Filter{Until: t0.Add(10 * time.Minute)}, func(i int) bool { return i < 10 }},
			{"since and until in another zone", audit.Filter{
				Since: t0.Add(5 * time.Minute).In(time.FixedZone("CST", 8*3600)),
				Until: t0.Add(15 * time.Minute).In(time.FixedZone("CST", 8*3600)),
			}, func(i int) bool { return i >= 5 && i < 15 }},
			{"everything at once", audit.Filter{CommunityIDs: []int64{1, 2}, ActorID: 10, Action: "account.", Since: t0.Add(2 * time.Minute)},
				func(i int) bool { return i%3 != 2 && i%2 == 0 && i%4 < 2 && i >= 2 }},
		}
		for _, tc := range cases {
			es, total := list(t, d, tc.f)
			want := count(tc.want)
			if total != want || len(es) != want {
				t.Errorf("%s: %d entries, total %d; want %d", tc.name, len(es), total, want)
				continue
			}
			for _, e := range es {
				i := 0
				fmt.Sscanf(e.ActorName, "u%d", &i)
				if !tc.want(i) {
					t.Errorf("%s: entry %d should not match", tc.name, i)
				}
			}
		}

		// Paging: newest first, pages do not overlap, total counts all.
		var seen []string
		for off := 0; off < 30; off += 7 {
			es, total := list(t, d, audit.Filter{Limit: 7, Offset: off})
			if total != 30 {
				t.Fatalf("total on page at %d = %d", off, total)
			}
			if want := min(7, 30-off); len(es) != want {
				t.Fatalf("page at %d has %d entries, want %d", off, len(es), want)
			}
			for _, e := range es {
				seen = append(seen, e.ActorName)
			}
		}
		want := make([]string, 30)
		for i := range want {
			want[i] = fmt.Sprint("u", 29-i)
		}
		if !slices.Equal(seen, want) {
			t.Fatalf("pages read %v, want %v", seen, want)
		}

		// Default and maximum page sizes.
		for i := 30; i < 600; i++ {
			record(t, d, audit.Entry{At: t0.Add(time.Hour), Action: "bulk.write"})
		}
		for _, tc := range []struct{ limit, want int }{{0, 50}, {-1, 50}, {10, 10}, {500, 500}, {501, 500}, {100000, 500}} {
			if es, total := list(t, d, audit.Filter{Limit: tc.limit}); len(es) != tc.want || total != 600 {
				t.Errorf("Limit %d: %d entries (total %d), want %d", tc.limit, len(es), total, tc.want)
			}
		}
	})
}

// Entries written in a transaction that rolls back are gone with it: the
// change and its entry commit together or not at all.
func TestRecordInRolledBackTx(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		err := d.InTx(context.Background(), func(tx *db.Tx) error {
			record(t, tx, audit.Entry{At: t0, Action: "x.y"})
			return fmt.Errorf("boom")
		})
		if err == nil {
			t.Fatal("InTx returned nil")
		}
		if _, total := list(t, d, audit.Filter{}); total != 0 {
			t.Fatalf("%d entries survived the rollback", total)
		}
	})
}

// The log is append-only in the database itself, so neither a bug nor an
// admin with SQL access through the app can rewrite history.
func TestAuditLogIsAppendOnly(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		record(t, d, audit.Entry{At: t0, Action: "account.login", ActorName: "wang"})
		for _, stmt := range []string{
			`UPDATE audit_log SET actor_name = 'someone else'`,
			`UPDATE audit_log SET result = 'ok' WHERE id = 1`,
			`DELETE FROM audit_log`,
			`DELETE FROM audit_log WHERE action = 'account.login'`,
		} {
			if _, err := d.Exec(ctx, stmt); err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: err = %v, want the append-only refusal", stmt, err)
			}
			// Also inside a transaction.
			err := d.InTx(ctx, func(tx *db.Tx) error {
				_, err := tx.Exec(ctx, stmt)
				return err
			})
			if err == nil {
				t.Errorf("%s in a transaction succeeded", stmt)
			}
		}
		if d.Dialect() == db.Postgres {
			if _, err := d.Exec(ctx, `TRUNCATE audit_log`); err == nil {
				t.Errorf("TRUNCATE audit_log succeeded")
			}
		}
		es, total := list(t, d, audit.Filter{})
		if total != 1 || es[0].ActorName != "wang" {
			t.Fatalf("the log changed: %+v", es)
		}
		// Appending still works after the refusals.
		record(t, d, audit.Entry{At: t0, Action: "account.logout"})
		if _, total := list(t, d, audit.Filter{}); total != 2 {
			t.Fatalf("total = %d after one more entry", total)
		}
	})
}
