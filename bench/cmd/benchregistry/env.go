package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"github.com/linli/linli/bench"
	"github.com/linli/linli/internal/app"
	"github.com/linli/linli/internal/db"
)

// env hands out fresh databases of one engine: SQLite files in a temp dir,
// or new schemas on one PostgreSQL server, all removed by close.
type env struct {
	base    string // PostgreSQL base URL, or "" for SQLite
	dir     string
	name    string // for the report
	n       int
	cleanup []func()
}

func newEnv(ctx context.Context, base string) (*env, error) {
	dir, err := os.MkdirTemp("", "linli-benchregistry-")
	if err != nil {
		return nil, err
	}
	e := &env{base: base, dir: dir, name: "SQLite (files in a temp dir, Linli's pragmas: WAL, synchronous=FULL)"}
	e.cleanup = append(e.cleanup, func() { os.RemoveAll(dir) })
	if base != "" {
		if !db.IsPostgresURL(base) {
			e.close()
			return nil, fmt.Errorf("-db %q is not a postgres:// URL (SQLite is the default)", base)
		}
		d, err := db.Open(ctx, base)
		if err != nil {
			e.close()
			return nil, err
		}
		var v string
		if err := d.QueryRow(ctx, `SHOW server_version`).Scan(&v); err != nil {
			v = "version unknown"
		}
		d.Close()
		e.name = "PostgreSQL " + v + " (fresh schemas, dropped afterwards)"
	}
	return e, nil
}

func (e *env) postgres() bool { return e.base != "" }

// location returns a fresh, empty database location: a new SQLite path or
// a URL whose search_path is a new schema.
func (e *env) location(ctx context.Context) (string, error) {
	e.n++
	if !e.postgres() {
		return filepath.Join(e.dir, fmt.Sprintf("db%d", e.n), "linli.db"), os.MkdirAll(filepath.Join(e.dir, fmt.Sprintf("db%d", e.n)), 0o700)
	}
	u, drop, err := bench.PostgresSchema(ctx, e.base)
	if err != nil {
		return "", err
	}
	e.cleanup = append(e.cleanup, drop)
	return u, nil
}

// app builds a Linli with no data on a fresh database.
func (e *env) app(ctx context.Context) (*app.App, error) {
	loc, err := e.location(ctx)
	if err != nil {
		return nil, err
	}
	return bench.NewApp(ctx, e.dir, loc)
}

func (e *env) close() {
	for _, f := range slices.Backward(e.cleanup) {
		f()
	}
}

// fileSize is the size of a SQLite database with its WAL, or 0.
func fileSize(path string) int64 {
	var n int64
	for _, p := range []string{path, path + "-wal"} {
		if st, err := os.Stat(p); err == nil {
			n += st.Size()
		}
	}
	return n
}

// cpuTime is this process's user+system CPU time so far. On PostgreSQL it
// leaves out the server's own work.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// quantile of sorted durations, nearest rank.
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "benchregistry: "+format+"\n", args...)
}
