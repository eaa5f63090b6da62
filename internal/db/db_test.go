package db_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/testkit/dbtest"
)

func TestRebind(t *testing.T) {
	got := db.Rebind(db.Postgres, `SELECT '?' , a FROM t WHERE a = ? AND b = ?`)
	want := `SELECT '?' , a FROM t WHERE a = $1 AND b = $2`
	if got != want {
		t.Fatalf("Rebind = %q, want %q", got, want)
	}
	if s := db.Rebind(db.SQLite, "a = ?"); s != "a = ?" {
		t.Fatalf("sqlite rebind changed the query: %q", s)
	}
}

// columns lists table.column:kind for every table of the current schema, with
// kinds folded to what both engines must agree on.
func columns(t *testing.T, d *db.DB) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	if d.Dialect() == db.SQLite {
		rows, err := d.Query(ctx, `SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p
			WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var tbl, col string
			if err := rows.Scan(&tbl, &col); err != nil {
				t.Fatal(err)
			}
			out = append(out, tbl+"."+col)
		}
	} else {
		rows, err := d.Query(ctx, `SELECT table_name, column_name FROM information_schema.columns
			WHERE table_schema = current_schema()`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var tbl, col string
			if err := rows.Scan(&tbl, &col); err != nil {
				t.Fatal(err)
			}
			out = append(out, tbl+"."+col)
		}
	}
	sort.Strings(out)
	return out
}

// Both dialects must end up with the same tables and columns, or a store
// that works on one will break on the other.
func TestMigrationsAgree(t *testing.T) {
	lite := dbtest.SQLite(t)
	pg := dbtest.Postgres(t)
	a, b := columns(t, lite), columns(t, pg)
	if strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Fatalf("schemas differ\nsqlite:   %v\npostgres: %v", a, b)
	}
	if len(a) < 20 {
		t.Fatalf("suspiciously small schema: %v", a)
	}
	for _, d := range []db.Dialect{db.SQLite, db.Postgres} {
		ms, err := db.Migrations(d)
		if err != nil {
			t.Fatal(err)
		}
		v, err := map[db.Dialect]*db.DB{db.SQLite: lite, db.Postgres: pg}[d].Version(context.Background())
		if err != nil || v != ms[len(ms)-1].Version {
			t.Fatalf("%s at version %d (%v), want %d", d, v, err, ms[len(ms)-1].Version)
		}
	}
	ls, _ := db.Migrations(db.SQLite)
	ps, _ := db.Migrations(db.Postgres)
	if len(ls) != len(ps) {
		t.Fatalf("%d sqlite migrations, %d postgres", len(ls), len(ps))
	}
	for i := range ls {
		if ls[i].Version != ps[i].Version || ls[i].Name != ps[i].Name {
			t.Fatalf("migration %d differs: %s vs %s", i, ls[i].Name, ps[i].Name)
		}
	}
}

func TestMigrateTwiceAndConcurrently(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		n, err := d.Migrate(ctx)
		if err != nil || n != 0 {
			t.Fatalf("second Migrate applied %d (%v), want 0", n, err)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for i := 0; i < 4; i++ {
			wg.Add(1)
			go func() { defer wg.Done(); _, err := d.Migrate(ctx); errs <- err }()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
	})
}

func TestInTxRollsBackAndWritersDoNotFail(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Now().UTC()
		boom := errors.New("boom")
		err := d.InTx(ctx, func(tx *db.Tx) error {
			if _, err := tx.Exec(ctx, `INSERT INTO instance_settings (key, value, updated_at) VALUES (?, ?, ?)`, "k", "v", now); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx = %v, want boom", err)
		}
		var n int
		if err := d.QueryRow(ctx, `SELECT count(*) FROM instance_settings`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("after rollback %d rows (%v)", n, err)
		}
		// 40 goroutines each run a read-then-write transaction; with
		// BEGIN IMMEDIATE none may fail with "database is locked".
		var wg sync.WaitGroup
		errs := make(chan error, 40)
		for i := 0; i < 40; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				errs <- d.InTx(ctx, func(tx *db.Tx) error {
					var c int
					if err := tx.QueryRow(ctx, `SELECT count(*) FROM instance_settings`).Scan(&c); err != nil {
						return err
					}
					_, err := tx.Exec(ctx, `INSERT INTO instance_settings (key, value, updated_at) VALUES (?, ?, ?)`,
						fmt.Sprintf("k%d", i), fmt.Sprint(c), now)
					return err
				})
			}(i)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("concurrent writer failed: %v", err)
			}
		}
		if err := d.QueryRow(ctx, `SELECT count(*) FROM instance_settings`).Scan(&n); err != nil || n != 40 {
			t.Fatalf("%d rows after 40 writers (%v)", n, err)
		}
	})
}

func TestAuditLogIsAppendOnly(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if _, err := d.Exec(ctx, `INSERT INTO audit_log (at, action, result) VALUES (?, 'x', 'ok')`, time.Now().UTC()); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Exec(ctx, `UPDATE audit_log SET result = 'changed'`); err == nil {
			t.Fatal("UPDATE of audit_log succeeded")
		}
		if _, err := d.Exec(ctx, `DELETE FROM audit_log`); err == nil {
			t.Fatal("DELETE of audit_log succeeded")
		}
	})
}

func TestOpenRejectsBadLocations(t *testing.T) {
	ctx := context.Background()
	for _, dsn := range []string{"", "file:x.db?mode=ro", "/nonexistent-dir/x/y.db", "postgres://127.0.0.1:1/nodb?connect_timeout=1"} {
		if d, err := db.Open(ctx, dsn); err == nil {
			d.Close()
			t.Errorf("Open(%q) succeeded", dsn)
		}
	}
}

// Writers waiting for SQLite's single writer lock hold no pooled
// connection while they wait, so reads go on however many queue; and a
// waiting writer whose request is gone stops waiting at once.
func TestWaitingWritersLeaveThePoolToReaders(t *testing.T) {
	// SQLite only: PostgreSQL has no single writer lock.
	d := dbtest.SQLite(t)
	ctx := context.Background()
	holding, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- d.InTx(ctx, func(tx *db.Tx) error {
			close(holding)
			<-release
			return nil
		})
	}()
	<-holding
	// More writers than the pool has connections (8).
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = d.InTx(ctx, func(tx *db.Tx) error { return nil })
		}()
	}
	time.Sleep(200 * time.Millisecond) // let them queue
	rctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	var one int
	if err := d.QueryRow(rctx, `SELECT 1`).Scan(&one); err != nil || one != 1 {
		t.Errorf("a read while 20 writers wait: %v", err)
	}
	wctx, wcancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer wcancel()
	t0 := time.Now()
	err := d.InTx(wctx, func(tx *db.Tx) error { return errors.New("must not run") })
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(t0) > 2*time.Second {
		t.Errorf("a writer whose context ends while waiting: %v after %s", err, time.Since(t0))
	}
	close(release)
	wg.Wait()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
