// Package db opens Linli's database — an embedded SQLite file by default,
// PostgreSQL when the URL says so — and gives the domain stores one small,
// dialect-aware way to run plain SQL. Statements are written once with `?`
// placeholders; Rebind turns them into `$n` for PostgreSQL.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	_ "modernc.org/sqlite"           // registers "sqlite"
)

// Dialect names the SQL engine behind a DB.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is a handle on the database. It is safe for concurrent use.
type DB struct {
	sql     *sql.DB
	dialect Dialect
	stmts   stmtCache
	// where is a printable description (file path or URL with the password
	// masked); never the raw URL.
	where string
	// writer is SQLite's single writer lock, taken in this process before
	// BEGIN IMMEDIATE (nil on PostgreSQL). Without it, writers that find
	// the lock taken sleep in SQLite's busy handler, which backs off to
	// 100 ms naps, and each holds a pooled connection while it sleeps; with
	// it they wait here, holding nothing, and the next one starts the
	// moment the last commits. Other processes (`linli import` beside a
	// running server) still meet busy_timeout.
	writer chan struct{}
}

// IsPostgresURL reports whether a --db value names a PostgreSQL server.
func IsPostgresURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// Open connects to a SQLite file path or a postgres:// URL and checks that
// the database answers. It does not migrate; see Migrate.
func Open(ctx context.Context, dsn string) (*DB, error) {
	if strings.TrimSpace(dsn) == "" {
		return nil, errors.New("db: empty database location")
	}
	if IsPostgresURL(dsn) {
		return openPostgres(ctx, dsn)
	}
	return openSQLite(ctx, dsn)
}

func openSQLite(ctx context.Context, path string) (*DB, error) {
	if strings.HasPrefix(path, "file:") || strings.Contains(path, "?") {
		return nil, fmt.Errorf("db: give SQLite as a plain file path, not %q", path)
	}
	// Every connection gets the same pragmas. synchronous=FULL because an
	// acknowledged write must survive power loss; _txlock=immediate makes
	// every BeginTx a BEGIN IMMEDIATE, so writers queue on busy_timeout at
	// the start of a transaction instead of failing with SQLITE_BUSY when a
	// read lock is upgraded halfway through. temp_store=MEMORY keeps
	// statement journals (which every write statement inside a
	// transaction keeps, for the foreign keys) and sort scratch in memory:
	// on a file they were a pwrite per page and statement, 8% of a large
	// import's CPU (bench/README.md). Nothing durable is kept there.
	q := url.Values{}
	for _, p := range []string{
		"journal_mode(WAL)", "foreign_keys(1)", "busy_timeout(10000)",
		"synchronous(FULL)", "cache_size(-16000)", "temp_store(MEMORY)",
	} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	q.Set("_time_format", "sqlite")
	sdb, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("db: open sqlite %s: %w", path, err)
	}
	// Reads run in parallel under WAL; writes are serialised by SQLite.
	sdb.SetMaxOpenConns(8)
	sdb.SetMaxIdleConns(8)
	sdb.SetConnMaxIdleTime(5 * time.Minute)
	d := &DB{sql: sdb, dialect: SQLite, where: path, writer: make(chan struct{}, 1)}
	if err := d.ping(ctx); err != nil {
		sdb.Close()
		return nil, err
	}
	return d, nil
}

func openPostgres(ctx context.Context, dsn string) (*DB, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, fmt.Errorf("db: the PostgreSQL URL cannot be parsed")
	}
	sdb, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("db: open postgres %s: %w", u.Redacted(), err)
	}
	// As many idle as open: a smaller idle pool makes a busy server close
	// and reopen connections (a SCRAM handshake and a forked backend
	// each) hundreds of times a second (bench/README.md).
	sdb.SetMaxOpenConns(20)
	sdb.SetMaxIdleConns(20)
	sdb.SetConnMaxIdleTime(5 * time.Minute)
	d := &DB{sql: sdb, dialect: Postgres, where: u.Redacted()}
	if err := d.ping(ctx); err != nil {
		sdb.Close()
		return nil, err
	}
	return d, nil
}

func (d *DB) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := d.sql.PingContext(ctx); err != nil {
		return fmt.Errorf("db: cannot reach %s: %w", d.where, err)
	}
	return nil
}

// Close closes every connection.
func (d *DB) Close() error {
	d.stmts.close()
	return d.sql.Close()
}

// Dialect reports the engine.
func (d *DB) Dialect() Dialect { return d.dialect }

// Where describes the database for logs, with any password masked.
func (d *DB) Where() string { return d.where }

// SQL exposes the underlying pool for the few callers that need it
// (migrations, backups, benchmarks).
func (d *DB) SQL() *sql.DB { return d.sql }

// Ping checks the database answers; /healthz uses it.
func (d *DB) Ping(ctx context.Context) error { return d.sql.PingContext(ctx) }

// Querier is what both DB and Tx offer, so a store method can run inside or
// outside a transaction.
type Querier interface {
	Exec(ctx context.Context, query string, args ...any) (sql.Result, error)
	Query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRow(ctx context.Context, query string, args ...any) *sql.Row
	Dialect() Dialect
}

func (d *DB) Exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if st := d.stmts.get(d, q); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return d.sql.ExecContext(ctx, Rebind(d.dialect, q), args...)
}

func (d *DB) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := d.stmts.get(d, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return d.sql.QueryContext(ctx, Rebind(d.dialect, q), args...)
}

func (d *DB) QueryRow(ctx context.Context, q string, args ...any) *sql.Row {
	if st := d.stmts.get(d, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return d.sql.QueryRowContext(ctx, Rebind(d.dialect, q), args...)
}

// Tx is a transaction begun by InTx.
type Tx struct {
	tx      *sql.Tx
	conn    *sql.Conn // PostgreSQL: the connection tx runs on, for CopyFrom
	dialect Dialect
}

func (t *Tx) Dialect() Dialect { return t.dialect }

func (t *Tx) Exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(ctx, Rebind(t.dialect, q), args...)
}

func (t *Tx) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(ctx, Rebind(t.dialect, q), args...)
}

func (t *Tx) QueryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(ctx, Rebind(t.dialect, q), args...)
}

// Prepare prepares q (with `?` placeholders) on the transaction's
// connection, for a statement a long transaction runs many times:
// modernc.org/sqlite otherwise parses and plans it on every run. The
// statement is closed with the transaction; Close it sooner if you like.
func (t *Tx) Prepare(ctx context.Context, q string) (*sql.Stmt, error) {
	return t.tx.PrepareContext(ctx, Rebind(t.dialect, q))
}

// CanCopy reports whether CopyFrom works on this transaction: on
// PostgreSQL.
func (t *Tx) CanCopy() bool { return t.conn != nil }

// CopyFrom loads n rows into table's columns with PostgreSQL's COPY,
// inside the transaction: for large loads, much less work per row for
// the server than INSERT statements. row(i) gives row i's values, in the
// Go types of the columns (int64, string, bool, time.Time, nil for NULL).
func (t *Tx) CopyFrom(ctx context.Context, table string, cols []string, n int, row func(i int) ([]any, error)) error {
	if t.conn == nil {
		return errors.New("db: CopyFrom needs PostgreSQL")
	}
	return t.conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("db: CopyFrom: a %T is not a pgx connection", dc)
		}
		_, err := c.Conn().CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromSlice(n, row))
		return err
	})
}

// InTx runs fn in a write transaction and commits when fn returns nil. On
// SQLite the transaction starts with BEGIN IMMEDIATE (see openSQLite), so
// keep fn short: it holds the single writer lock.
//
// InTx must not be called from inside fn of another InTx: on SQLite it
// would wait for itself.
func (d *DB) InTx(ctx context.Context, fn func(tx *Tx) error) (err error) {
	if d.writer != nil {
		select {
		case d.writer <- struct{}{}:
			defer func() { <-d.writer }()
		case <-ctx.Done():
			return fmt.Errorf("db: wait to write: %w", ctx.Err())
		}
	}
	var conn *sql.Conn
	var stx *sql.Tx
	if d.dialect == Postgres {
		// On a connection of its own, so CopyFrom can reach it.
		if conn, err = d.sql.Conn(ctx); err != nil {
			return fmt.Errorf("db: begin: %w", err)
		}
		defer conn.Close()
		stx, err = conn.BeginTx(ctx, nil)
	} else {
		stx, err = d.sql.BeginTx(ctx, nil)
	}
	if err != nil {
		return fmt.Errorf("db: begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = stx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = stx.Rollback()
		}
	}()
	if err = fn(&Tx{tx: stx, conn: conn, dialect: d.dialect}); err != nil {
		return err
	}
	if err = stx.Commit(); err != nil {
		return fmt.Errorf("db: commit: %w", err)
	}
	return nil
}

// Rebind turns `?` placeholders into `$1, $2, ...` for PostgreSQL. It skips
// question marks inside single-quoted literals and leaves SQLite untouched.
func Rebind(d Dialect, q string) string {
	if d != Postgres || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 8)
	n, inQuote := 0, false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'':
			inQuote = !inQuote
			b.WriteByte(c)
		case c == '?' && !inQuote:
			n++
			b.WriteByte('$')
			b.WriteString(fmt.Sprint(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// IsUniqueViolation reports whether err is a unique-constraint failure on
// either engine, so stores can turn it into a conflict error.
func IsUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "UNIQUE constraint failed") || // SQLite
		strings.Contains(s, "SQLSTATE 23505") // PostgreSQL
}

// IsForeignKeyViolation reports a foreign-key failure on either engine.
func IsForeignKeyViolation(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "FOREIGN KEY constraint failed") || strings.Contains(s, "SQLSTATE 23503")
}
