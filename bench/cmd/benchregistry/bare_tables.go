package main

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/linli/linli/bench"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/demo/gen"
	"github.com/linli/linli/internal/registry"
)

// bareTables is the second baseline: the same rows, as they are in the
// sheet, inserted with plain prepared INSERTs into Linli's own tables of a
// fresh migrated database — an estate, building, unit and household the
// first time a flat is seen (found again through Go maps), then the
// resident, with every index and foreign key the import also pays for.
// What it leaves out is exactly what the import adds: parsing, validation,
// matching against the residents already there, sealing, blind indexes,
// the move history and tag rows. The raw ID number and phone go where the
// import writes their ciphertext and blind index, so the indexes hold
// keys of about the same count (a little shorter).
func bareTables(ctx context.Context, e *env, rows [][]string) (time.Duration, time.Duration, error) {
	a, err := e.app(ctx)
	if err != nil {
		return 0, 0, err
	}
	defer a.Close()
	var cid int64
	err = a.DB.InTx(ctx, func(tx *db.Tx) error {
		cid, _, err = bench.CreateCommunity(ctx, a, tx, "bare-target", &gen.Registry{Community: "导入社区", District: "桥西区"}, time.Now())
		return err
	})
	if err != nil {
		return 0, 0, err
	}
	col := make(map[string]int, len(registry.SheetColumns))
	for i, c := range registry.SheetColumns {
		col[c.Key] = i
	}
	d := a.DB.SQL()
	dialect := a.DB.Dialect()
	prep := func(tx *sql.Tx, q string) (*sql.Stmt, error) { return tx.PrepareContext(ctx, db.Rebind(dialect, q)) }
	logf("bare (Linli's tables): inserting %d rows…", len(rows))
	t0, c0 := time.Now(), cpuTime()
	tx, err := d.BeginTx(ctx, nil)
	if err != nil {
		return 0, 0, err
	}
	defer tx.Rollback()
	var stmts [5]*sql.Stmt
	for i, q := range []string{
		`INSERT INTO estates (community_id, name, created_at) VALUES (?, ?, ?) RETURNING id`,
		`INSERT INTO buildings (community_id, estate_id, number, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
		`INSERT INTO units (community_id, building_id, number) VALUES (?, ?, ?) RETURNING id`,
		`INSERT INTO households (community_id, unit_id, room, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
		`INSERT INTO residents (community_id, household_id, name, name_bidx, gender, birth_date, doc_type, id_enc, id_bidx,
			phone_enc, phone_bidx, relation, tags_enc, notes_enc, moved_in_at, created_at, updated_at)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
	} {
		if stmts[i], err = prep(tx, q); err != nil {
			return 0, 0, fmt.Errorf("bare tables: prepare: %w", err)
		}
		defer stmts[i].Close()
	}
	now := time.Now().UTC()
	ids := map[string]int64{}
	// get returns the id of the thing named key, inserting it the first time.
	get := func(key string, st *sql.Stmt, args ...any) (int64, error) {
		if id, ok := ids[key]; ok {
			return id, nil
		}
		var id int64
		if err := st.QueryRowContext(ctx, args...).Scan(&id); err != nil {
			return 0, err
		}
		ids[key] = id
		return id, nil
	}
	nullable := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	for _, r := range rows {
		c := func(k string) string { return r[col[k]] }
		est, err := get("e\x00"+c("estate"), stmts[0], cid, c("estate"), now)
		if err != nil {
			return 0, 0, err
		}
		bk := fmt.Sprintf("b\x00%d\x00%s", est, c("building"))
		bld, err := get(bk, stmts[1], cid, est, c("building"), now)
		if err != nil {
			return 0, 0, err
		}
		uk := fmt.Sprintf("u\x00%d\x00%s", bld, c("unit"))
		unit, err := get(uk, stmts[2], cid, bld, c("unit"))
		if err != nil {
			return 0, 0, err
		}
		hk := fmt.Sprintf("h\x00%d\x00%s", unit, c("room"))
		hh, err := get(hk, stmts[3], cid, unit, c("room"), now, now)
		if err != nil {
			return 0, 0, err
		}
		if _, err := stmts[4].ExecContext(ctx, cid, hh, c("name"), c("name"), c("gender"), nullable(c("birth_date")), c("doc_type"),
			c("id_number"), nullable(c("id_number")), c("phone"), c("phone"), c("relation"), c("tags"), c("notes"), now, now, now); err != nil {
			return 0, 0, fmt.Errorf("bare tables: resident: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, 0, err
	}
	return time.Since(t0), cpuTime() - c0, nil
}
