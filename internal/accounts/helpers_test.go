package accounts_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/audit"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/testkit/fixture"
)

var ctx = context.Background()

const (
	addrA = "198.51.100.1"
	addrB = "198.51.100.2"
)

// wantCode fails unless err carries code (and, when key is not "", key).
func wantCode(t *testing.T, err error, code apperr.Code, key string) {
	t.Helper()
	if !apperr.Is(err, code) {
		t.Fatalf("err = %v, want code %s", err, code)
	}
	if key != "" && apperr.From(err).Key != key {
		t.Fatalf("err = %v, want key %s", err, key)
	}
}

// wantField fails unless err is Invalid with key on field.
func wantField(t *testing.T, err error, field, key string) {
	t.Helper()
	e := apperr.From(err)
	if e.Code != apperr.Invalid {
		t.Fatalf("err = %v, want invalid", err)
	}
	if got := e.Fields[field].Key; got != key {
		t.Fatalf("field %s: key %q, want %q (err %v)", field, got, key, err)
	}
}

// loginAs signs in over the web with the fixture password.
func loginAs(t *testing.T, s *accounts.Service, username, addr string) (*accounts.Session, *accounts.Principal) {
	t.Helper()
	return loginWith(t, s, username, fixture.Password, addr, accounts.KindWeb)
}

func loginWith(t *testing.T, s *accounts.Service, username, password, addr, kind string) (*accounts.Session, *accounts.Principal) {
	t.Helper()
	sess, p, err := s.Login(ctx, accounts.Credentials{Username: username, Password: password, Kind: kind, ClientAddr: addr})
	if err != nil {
		t.Fatalf("login %s from %s: %v", username, addr, err)
	}
	return sess, p
}

func try(s *accounts.Service, username, password, addr string) error {
	_, _, err := s.Login(ctx, accounts.Credentials{Username: username, Password: password, Kind: accounts.KindWeb, ClientAddr: addr})
	return err
}

// rowCounts reads the number of rows in the tables accounts touch.
func rowCounts(t *testing.T, d *db.DB) string {
	t.Helper()
	var b strings.Builder
	for _, table := range []string{"accounts", "grants", "sessions", "login_throttle", "audit_log"} {
		fmt.Fprintf(&b, "%s=%d ", table, fixture.Count(t, d, table))
	}
	return b.String()
}

// auditCount counts entries with action and result.
func auditCount(t *testing.T, d *db.DB, action, result string) int {
	t.Helper()
	es, _, err := audit.List(ctx, d, audit.Filter{Action: action, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range es {
		if result == "" || e.Result == result {
			n++
		}
	}
	return n
}

// column reads one value of one row, for checks that go under the API.
func column[T any](t *testing.T, d *db.DB, query string, args ...any) T {
	t.Helper()
	var v T
	if err := d.QueryRow(ctx, query, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return v
}

// allText returns every value of every row of table, as text.
func allText(t *testing.T, d *db.DB, table string) string {
	t.Helper()
	rows, err := d.Query(ctx, `SELECT * FROM `+table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var b strings.Builder
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for _, v := range vals {
			if bs, ok := v.([]byte); ok {
				v = string(bs)
			}
			fmt.Fprintf(&b, "%v\t", v)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func sessionsOf(t *testing.T, d *db.DB, accountID int64) int {
	t.Helper()
	return column[int](t, d, `SELECT count(*) FROM sessions WHERE account_id = ?`, accountID)
}

func nullTime(t *testing.T, d *db.DB, query string, args ...any) sql.NullTime {
	t.Helper()
	return column[sql.NullTime](t, d, query, args...)
}
