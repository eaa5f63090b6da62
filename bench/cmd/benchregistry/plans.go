package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/linli/linli/internal/app"
	"github.com/linli/linli/internal/db"
)

// The two statements registry.Service.List runs for a search by an admin,
// copied from internal/registry/service.go (List, residentColumns,
// residentJoins) so the plans can be shown. Keep them in step.
const (
	listJoins = ` FROM residents r
	JOIN households h ON h.id = r.household_id
	JOIN units u ON u.id = h.unit_id
	JOIN buildings b ON b.id = u.building_id
	JOIN estates e ON e.id = b.estate_id`
	listColumns = `r.id, r.community_id, r.household_id,
	e.name || b.number || '号楼' || u.number || '单元' || h.room,
	r.name, r.gender, COALESCE(r.birth_date, ''), r.child, r.doc_type, r.relation, r.party,
	r.moved_in_at, r.moved_out_at, r.id_enc, r.phone_enc, r.tags_enc, r.notes_enc, r.child_enc, b.grid_id`
	whereIDBlind = ` WHERE r.community_id = ? AND r.moved_out_at IS NULL AND r.id_bidx = ?`
)

// byteOrder is registry's: names compare by their bytes on both engines.
func byteOrder(d db.Dialect) string {
	if d == db.Postgres {
		return ` COLLATE "C"`
	}
	return ""
}

func listOrder(d db.Dialect) string {
	c := byteOrder(d)
	return ` ORDER BY e.name` + c + `, length(b.number), b.number` + c + `, u.number` + c + `, length(h.room), h.room` + c + `, r.id LIMIT ? OFFSET ?`
}

// whereName is a name prefix or a child's whole name, as two index
// lookups joined by UNION.
func whereName(d db.Dialect) string {
	c := byteOrder(d)
	return ` WHERE r.community_id = ? AND r.moved_out_at IS NULL AND r.id IN (SELECT x.id FROM residents x WHERE x.community_id = ? AND x.name` + c +
		` >= ? AND x.name` + c + ` < ? UNION SELECT y.id FROM residents y WHERE y.community_id = ? AND y.name_bidx = ?)`
}

// plans explains List's count and page statements for both searches: the
// query plan on SQLite, EXPLAIN ANALYZE on PostgreSQL.
func plans(ctx context.Context, a *app.App, cid int64, s *sample) ([]string, error) {
	q := string([]rune(s.names[0])[:1]) // a surname: the widest prefix search
	// The name's blind index as the registry's sealer makes it
	// (internal/registry/seal.go bidx); only its shape matters here.
	nameBidx := a.Keys.BlindIndex("registry.name:"+strconv.FormatInt(cid, 10), strings.ToUpper(q))
	nameArgs := []any{cid, cid, q, q + "\U0010FFFF", cid, nameBidx}
	d := a.DB.Dialect()
	idArgs := []any{cid, s.bidx[0]}
	stmts := []struct {
		name string
		sql  string
		args []any
	}{
		{"name prefix " + strconv.Quote(q) + ", count", `SELECT count(*)` + listJoins + whereName(d), nameArgs},
		{"name prefix " + strconv.Quote(q) + ", page", `SELECT ` + listColumns + listJoins + whereName(d) + listOrder(d), append(slices.Clone(nameArgs), 30, 0)},
		{"ID number, count", `SELECT count(*)` + listJoins + whereIDBlind, idArgs},
		{"ID number, page", `SELECT ` + listColumns + listJoins + whereIDBlind + listOrder(d), append(slices.Clone(idArgs), 30, 0)},
	}
	var out []string
	for _, st := range stmts {
		var b strings.Builder
		fmt.Fprintf(&b, "%s:\n", st.name)
		if err := explain(ctx, a.DB, st.sql, st.args, &b); err != nil {
			return nil, fmt.Errorf("explain %s: %w", st.name, err)
		}
		out = append(out, b.String())
	}
	return out, nil
}

func explain(ctx context.Context, d *db.DB, q string, args []any, w io.Writer) error {
	if d.Dialect() == db.Postgres {
		rows, err := d.SQL().QueryContext(ctx, `EXPLAIN (ANALYZE, BUFFERS) `+db.Rebind(db.Postgres, q), args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				return err
			}
			fmt.Fprintf(w, "    %s\n", line)
		}
		return rows.Err()
	}
	rows, err := d.SQL().QueryContext(ctx, `EXPLAIN QUERY PLAN `+q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	depth := map[int64]int{}
	for rows.Next() {
		var id, parent, unused int64
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			return err
		}
		depth[id] = depth[parent] + 1
		fmt.Fprintf(w, "    %s%s\n", strings.Repeat("  ", depth[id]-1), detail)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	// The plan alone does not say how long; time the statement once.
	t0 := time.Now()
	r2, err := d.SQL().QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	n := 0
	for r2.Next() {
		n++
	}
	r2.Close()
	fmt.Fprintf(w, "    (ran once: %d rows in %.2f ms)\n", n, ms(time.Since(t0)))
	return r2.Err()
}
