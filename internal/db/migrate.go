package db

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Migrations live in migrations/<dialect>/NNNN_name.sql, one folder per
// dialect with the same numbers in both, so a reader can put the two side
// by side. They are embedded in the binary and applied in order, each in
// its own transaction together with its row in schema_migrations.
//
//go:embed migrations
var migrationFS embed.FS

// Migration is one numbered schema step.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations lists the embedded migrations of a dialect in order.
func Migrations(d Dialect) ([]Migration, error) {
	dir := path.Join("migrations", string(d))
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, fmt.Errorf("db: read migrations: %w", err)
	}
	var ms []Migration
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, rest, ok := strings.Cut(strings.TrimSuffix(name, ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("db: migration file %s is not named NNNN_name.sql", name)
		}
		body, err := fs.ReadFile(migrationFS, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("db: read %s: %w", name, err)
		}
		ms = append(ms, Migration{Version: v, Name: rest, SQL: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i := 1; i < len(ms); i++ {
		if ms[i].Version == ms[i-1].Version {
			return nil, fmt.Errorf("db: two migrations numbered %d", ms[i].Version)
		}
	}
	return ms, nil
}

// Migrate applies every migration not yet applied and returns how many it
// applied. Several processes may call it at once: on PostgreSQL an advisory
// lock serialises them, on SQLite the immediate transaction does.
func (d *DB) Migrate(ctx context.Context) (int, error) {
	ms, err := Migrations(d.dialect)
	if err != nil {
		return 0, err
	}
	create := `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY,
		name TEXT NOT NULL,
		applied_at TIMESTAMP NOT NULL)`
	if d.dialect == Postgres {
		create = strings.Replace(create, "TIMESTAMP", "TIMESTAMPTZ", 1)
		// Two servers starting at once would race on CREATE TABLE too.
		if err := d.InTx(ctx, func(tx *Tx) error {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(7262657)`); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, create)
			return err
		}); err != nil {
			return 0, fmt.Errorf("db: create schema_migrations: %w", err)
		}
	} else if _, err := d.Exec(ctx, create); err != nil {
		return 0, fmt.Errorf("db: create schema_migrations: %w", err)
	}

	applied := 0
	for _, m := range ms {
		did := false
		err := d.InTx(ctx, func(tx *Tx) error {
			if d.dialect == Postgres {
				if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(7262657)`); err != nil {
					return err
				}
			}
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.Version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
				m.Version, m.Name, time.Now().UTC()); err != nil {
				return err
			}
			did = true
			return nil
		})
		if err != nil {
			return applied, fmt.Errorf("db: migration %04d_%s: %w", m.Version, m.Name, err)
		}
		if did {
			applied++
		}
	}
	return applied, nil
}

// Version reports the highest applied migration, 0 for an empty database.
func (d *DB) Version(ctx context.Context) (int, error) {
	var v int
	err := d.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("db: read schema version: %w", err)
	}
	return v, nil
}
