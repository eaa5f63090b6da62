package registry

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/db"
)

// importBatch is the most rows one multi-row INSERT of an import carries;
// bulkInsert also keeps a statement under maxBindVars values, so the
// widest, residents (21 values a row), go 1,428 at a time. Larger batches
// mean fewer statements and, on SQLite, fewer pages copied into statement
// journals (each page a statement changes is copied once per statement):
// 1,400 rows a statement instead of 500 took a 100,000-row import's
// statement-journal CPU from 0.69 s to 0.39 s. Tests lower it to cross
// batch boundaries with small sheets.
var importBatch = 2000

// maxBindVars is the most values one statement binds, under SQLite's
// 32,766 and PostgreSQL's 65,535.
const maxBindVars = 30000

// An importPlan decides, in memory and in sheet order, what an import
// writes, then writes it in a few multi-row statements. It reads the
// community's places and residents once, up front, instead of looking each
// row up: per-row lookups were most of an import's time (bench/README.md).
// Its decisions are those of Loader.write, row by row: a row matches the
// resident with its ID number's blind index, else (with or without an ID
// number) the lowest-numbered resident without one of the same name in the
// same household; rows earlier in the sheet count as already written.
type importPlan struct {
	l   *Loader
	now time.Time

	units      map[unitKey]int64
	households map[householdKey]int64
	heads      map[int64]int64   // household → head resident (0: none), as the plan leaves it
	heads0     map[int64]int64   // household → head resident before the import, for households that existed
	headOf     map[int64][]int64 // resident → households once given it as head (may be stale: check heads)
	byID       map[string]*planResident
	byName     map[nameKey][]*planResident // residents without an ID number (may be stale: check)

	newEstates    []planEstate
	newBuildings  []planBuilding
	newUnits      []planUnit
	newHouseholds []planHousehold
	inserts       []planInsert
	updates       []planUpdate
	moves         []planMove
	tags          map[int64][]string // resident → tag tokens, the last row's
	tagOrder      []int64            // residents with tags, in the order first given
	clearTags     []int64            // residents that existed, whose tags are replaced
	cleared       map[int64]bool
	ids           map[string]*idAlloc
}

type unitKey struct {
	building int64
	number   string
}

type householdKey struct {
	unit int64
	room string
}

type nameKey struct {
	household int64
	nameBidx  string
}

type planResident struct {
	id, household int64
	nameBidx      string
	idBidx        string // "" for none
	insert        int    // 1 + index into inserts for a resident this import creates, else 0
}

type planEstate struct {
	id   int64
	name string
}

type planBuilding struct {
	id, estate int64
	number     string
}

type planUnit struct {
	id, building int64
	number       string
}

type planHousehold struct {
	id, unit int64
	room     string
}

type planInsert struct {
	id      int64
	cols    map[string]any
	movedIn time.Time
}

type planUpdate struct {
	id   int64
	cols map[string]any
}

type planMove struct {
	resident, from, to int64 // from 0: a move in
	at                 time.Time
}

// newImportPlan reads what the community has: estates and buildings (into
// the loader's caches), units, households with their heads, and residents'
// household, name index and ID index.
func newImportPlan(ctx context.Context, l *Loader) (*importPlan, error) {
	p := &importPlan{l: l, now: l.now,
		units: map[unitKey]int64{}, households: map[householdKey]int64{}, heads: map[int64]int64{}, heads0: map[int64]int64{},
		headOf: map[int64][]int64{}, byID: map[string]*planResident{}, byName: map[nameKey][]*planResident{},
		tags: map[int64][]string{}, cleared: map[int64]bool{}, ids: map[string]*idAlloc{}}
	q := func(query string, scan func(*sql.Rows) error) error {
		rows, err := l.tx.Query(ctx, query, l.cid)
		if err != nil {
			return fmt.Errorf("registry: import: read: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				return err
			}
		}
		return rows.Err()
	}
	err := q(`SELECT id, name FROM estates WHERE community_id = ?`, func(r *sql.Rows) error {
		var id int64
		var name string
		err := r.Scan(&id, &name)
		l.estates[name] = id
		return err
	})
	if err == nil {
		err = q(`SELECT b.id, e.name, b.number FROM buildings b JOIN estates e ON e.id = b.estate_id WHERE b.community_id = ?`, func(r *sql.Rows) error {
			var id int64
			var estate, number string
			err := r.Scan(&id, &estate, &number)
			l.buildings[estate+"/"+number] = id
			return err
		})
	}
	if err == nil {
		err = q(`SELECT id, building_id, number FROM units WHERE community_id = ?`, func(r *sql.Rows) error {
			var u planUnit
			err := r.Scan(&u.id, &u.building, &u.number)
			p.units[unitKey{u.building, u.number}] = u.id
			return err
		})
	}
	if err == nil {
		err = q(`SELECT id, unit_id, room, COALESCE(head_resident_id, 0) FROM households WHERE community_id = ?`, func(r *sql.Rows) error {
			var h planHousehold
			var head int64
			err := r.Scan(&h.id, &h.unit, &h.room, &head)
			p.households[householdKey{h.unit, h.room}] = h.id
			p.heads[h.id], p.heads0[h.id] = head, head
			if head != 0 {
				p.headOf[head] = append(p.headOf[head], h.id)
			}
			return err
		})
	}
	if err == nil {
		err = q(`SELECT id, household_id, name_bidx, COALESCE(id_bidx, '') FROM residents WHERE community_id = ? ORDER BY id`, func(r *sql.Rows) error {
			pr := &planResident{}
			err := r.Scan(&pr.id, &pr.household, &pr.nameBidx, &pr.idBidx)
			p.index(pr)
			return err
		})
	}
	if err != nil {
		return nil, err
	}
	return p, nil
}

// index files a resident under its ID index, or its household and name.
func (p *importPlan) index(r *planResident) {
	if r.idBidx != "" {
		p.byID[r.idBidx] = r
		return
	}
	k := nameKey{r.household, r.nameBidx}
	p.byName[k] = append(p.byName[k], r)
}

// sameName is `SELECT min(id) FROM residents WHERE household_id = ? AND
// name_bidx = ? AND id_bidx IS NULL`.
func (p *importPlan) sameName(hid int64, nameBidx string) *planResident {
	var best *planResident
	for _, r := range p.byName[nameKey{hid, nameBidx}] {
		if r.household == hid && r.nameBidx == nameBidx && r.idBidx == "" && (best == nil || r.id < best.id) {
			best = r
		}
	}
	return best
}

// otherPerson reports whether the ID index belongs to a resident with
// another name: a typo or a real conflict, for a person to look at rather
// than an update to apply.
func (p *importPlan) otherPerson(idBidx, nameBidx string) bool {
	r := p.byID[idBidx]
	return idBidx != "" && r != nil && r.nameBidx != nameBidx
}

// building returns the id of a building, making it and its estate when
// missing (written by flush) as Loader.Building does for a Place with no
// more than the two names: no address, grid, year or floors.
func (p *importPlan) building(ctx context.Context, estate, number string) (int64, error) {
	l := p.l
	key := estate + "/" + number
	if id, ok := l.buildings[key]; ok {
		return id, nil
	}
	eid, ok := l.estates[estate]
	if !ok {
		var err error
		if eid, err = p.newID(ctx, "estates"); err != nil {
			return 0, err
		}
		l.estates[estate] = eid
		p.newEstates = append(p.newEstates, planEstate{eid, estate})
	}
	bid, err := p.newID(ctx, "buildings")
	if err != nil {
		return 0, err
	}
	l.buildings[key] = bid
	p.newBuildings = append(p.newBuildings, planBuilding{bid, eid, number})
	return bid, nil
}

// household returns the id of the household at building/unit/room, making
// the unit and household when missing (written by flush).
func (p *importPlan) household(ctx context.Context, building int64, unit, room string) (int64, error) {
	uk := unitKey{building, unit}
	uid, ok := p.units[uk]
	if !ok {
		var err error
		if uid, err = p.newID(ctx, "units"); err != nil {
			return 0, err
		}
		p.units[uk] = uid
		p.newUnits = append(p.newUnits, planUnit{uid, building, unit})
	}
	hk := householdKey{uid, room}
	hid, ok := p.households[hk]
	if !ok {
		var err error
		if hid, err = p.newID(ctx, "households"); err != nil {
			return 0, err
		}
		p.households[hk] = hid
		p.heads[hid] = 0
		p.newHouseholds = append(p.newHouseholds, planHousehold{hid, uid, room})
	}
	return hid, nil
}

// resident plans one prepared row into household hid, as Loader.write
// would write it, and reports whether it makes a new resident.
func (p *importPlan) resident(ctx context.Context, pr prepared, hid int64) (bool, error) {
	c, cols := pr.c, pr.cols // each row is planned once: its map is the plan's now
	cols["household_id"] = hid
	nameBidx, _ := cols["name_bidx"].(string)
	idBidx, _ := cols["id_bidx"].(string)
	var r *planResident
	if c.in.IDNumber != "" {
		if r = p.byID[idBidx]; r == nil {
			r = p.sameName(hid, nameBidx)
		}
	} else {
		r = p.sameName(hid, nameBidx)
	}
	created := r == nil
	if created {
		id, err := p.newID(ctx, "residents")
		if err != nil {
			return false, err
		}
		r = &planResident{id: id, household: hid, nameBidx: nameBidx, idBidx: idBidx, insert: len(p.inserts) + 1}
		p.inserts = append(p.inserts, planInsert{id: id, cols: cols, movedIn: p.now.UTC()})
		p.moves = append(p.moves, planMove{resident: id, to: hid, at: p.now.UTC()})
		p.index(r)
	} else {
		if r.household != hid {
			p.moves = append(p.moves, planMove{resident: r.id, from: r.household, to: hid, at: p.now})
			for _, h := range p.headOf[r.id] {
				if p.heads[h] == r.id {
					p.heads[h] = 0
				}
			}
		}
		if r.insert > 0 {
			p.inserts[r.insert-1].cols = cols // created by this sheet: write it as it ends
		} else {
			p.updates = append(p.updates, planUpdate{id: r.id, cols: cols})
			if !p.cleared[r.id] {
				p.cleared[r.id] = true
				p.clearTags = append(p.clearTags, r.id)
			}
		}
		r.household, r.nameBidx = hid, nameBidx
		if idBidx != "" {
			r.idBidx = idBidx
		}
		p.index(r)
	}
	tokens := pr.tags
	if _, seen := p.tags[r.id]; !seen {
		p.tagOrder = append(p.tagOrder, r.id)
	}
	p.tags[r.id] = tokens
	if c.in.Relation == "户主" {
		p.heads[hid] = r.id
		p.headOf[r.id] = append(p.headOf[r.id], hid)
	}
	return created, nil
}

// idAlloc hands out ids for rows the plan writes with explicit ids.
type idAlloc struct {
	next  int64   // SQLite: the next id (the transaction holds the write lock)
	ids   []int64 // PostgreSQL: taken from the table's sequence
	chunk int
}

func (p *importPlan) newID(ctx context.Context, table string) (int64, error) {
	a := p.ids[table]
	tx := p.l.tx
	if a == nil {
		a = &idAlloc{chunk: 64}
		p.ids[table] = a
		if tx.Dialect() == db.SQLite {
			// BEGIN IMMEDIATE: no other writer until commit.
			if err := tx.QueryRow(ctx, `SELECT COALESCE(max(id), 0) + 1 FROM `+table).Scan(&a.next); err != nil {
				return 0, fmt.Errorf("registry: import: ids of %s: %w", table, err)
			}
		}
	}
	if tx.Dialect() == db.SQLite {
		a.next++
		return a.next - 1, nil
	}
	if len(a.ids) == 0 {
		rows, err := tx.Query(ctx, `SELECT nextval(pg_get_serial_sequence(?, 'id')) FROM generate_series(1, ?)`, table, a.chunk)
		if err != nil {
			return 0, fmt.Errorf("registry: import: ids of %s: %w", table, err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return 0, err
			}
			a.ids = append(a.ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, fmt.Errorf("registry: import: ids of %s: %w", table, err)
		}
		if len(a.ids) == 0 {
			return 0, fmt.Errorf("registry: import: no ids from the sequence of %s", table)
		}
		a.chunk = min(a.chunk*2, 8192)
	}
	id := a.ids[0]
	a.ids = a.ids[1:]
	return id, nil
}

// flush writes the plan: units, households (with their heads), new
// residents, changed residents, moves, tags, and the heads of households
// that existed.
func (p *importPlan) flush(ctx context.Context) error {
	tx, cid, now := p.l.tx, p.l.cid, p.now
	if err := bulkInsert(ctx, tx, "estates", []string{"id", "community_id", "name", "address", "created_at"}, len(p.newEstates), func(i int, a []any) []any {
		e := p.newEstates[i]
		return append(a, e.id, cid, e.name, "", now)
	}); err != nil {
		return fmt.Errorf("registry: create estates: %w", err)
	}
	if err := bulkInsert(ctx, tx, "buildings", []string{"id", "community_id", "estate_id", "grid_id", "number", "address", "year_built", "floors", "created_at"}, len(p.newBuildings), func(i int, a []any) []any {
		b := p.newBuildings[i]
		return append(a, b.id, cid, b.estate, nil, b.number, "", nil, nil, now)
	}); err != nil {
		return fmt.Errorf("registry: create buildings: %w", err)
	}
	if err := bulkInsert(ctx, tx, "units", []string{"id", "community_id", "building_id", "number"}, len(p.newUnits), func(i int, a []any) []any {
		u := p.newUnits[i]
		return append(a, u.id, cid, u.building, u.number)
	}); err != nil {
		return fmt.Errorf("registry: create units: %w", err)
	}
	if err := bulkInsert(ctx, tx, "households", []string{"id", "community_id", "unit_id", "room", "phone_enc", "phone_bidx", "head_resident_id", "created_at", "updated_at"}, len(p.newHouseholds), func(i int, a []any) []any {
		h := p.newHouseholds[i]
		return append(a, h.id, cid, h.unit, h.room, "", "", nullID(p.heads[h.id]), now, now)
	}); err != nil {
		return fmt.Errorf("registry: create households: %w", err)
	}
	residentCols := append(append([]string{"id", "community_id"}, columnOrder...), "moved_in_at", "created_at", "updated_at")
	if err := bulkInsert(ctx, tx, "residents", residentCols, len(p.inserts), func(i int, a []any) []any {
		r := p.inserts[i]
		a = append(a, r.id, cid)
		for _, k := range columnOrder {
			a = append(a, r.cols[k])
		}
		return append(a, r.movedIn, now, now)
	}); err != nil {
		return fmt.Errorf("registry: insert residents: %w", err)
	}
	if len(p.updates) > 0 {
		var sets []string
		for _, k := range columnOrder {
			sets = append(sets, k+" = ?")
		}
		st, err := tx.Prepare(ctx, `UPDATE residents SET `+strings.Join(sets, ", ")+`, updated_at = ? WHERE id = ?`)
		if err != nil {
			return fmt.Errorf("registry: update resident: %w", err)
		}
		defer st.Close()
		args := make([]any, 0, len(columnOrder)+2)
		for _, u := range p.updates {
			args = args[:0]
			for _, k := range columnOrder {
				args = append(args, u.cols[k])
			}
			if _, err := st.ExecContext(ctx, append(args, now, u.id)...); err != nil {
				return fmt.Errorf("registry: update resident: %w", err)
			}
		}
	}
	if err := bulkInsert(ctx, tx, "resident_moves", []string{"community_id", "resident_id", "kind", "from_household_id", "to_household_id", "at"}, len(p.moves), func(i int, a []any) []any {
		m := p.moves[i]
		kind := "move"
		if m.from == 0 {
			kind = "in"
		}
		return append(a, cid, m.resident, kind, nullID(m.from), m.to, m.at)
	}); err != nil {
		return fmt.Errorf("registry: moves: %w", err)
	}
	if len(p.clearTags) > 0 {
		st, err := tx.Prepare(ctx, `DELETE FROM resident_tags WHERE resident_id = ?`)
		if err != nil {
			return fmt.Errorf("registry: clear tags: %w", err)
		}
		defer st.Close()
		for _, id := range p.clearTags {
			if _, err := st.ExecContext(ctx, id); err != nil {
				return fmt.Errorf("registry: clear tags: %w", err)
			}
		}
	}
	type tag struct {
		resident int64
		token    string
	}
	var tags []tag
	for _, id := range p.tagOrder {
		for _, t := range p.tags[id] {
			tags = append(tags, tag{id, t})
		}
	}
	if err := bulkInsert(ctx, tx, "resident_tags", []string{"community_id", "resident_id", "token"}, len(tags), func(i int, a []any) []any {
		return append(a, cid, tags[i].resident, tags[i].token)
	}); err != nil {
		return fmt.Errorf("registry: tag: %w", err)
	}
	for hid, before := range p.heads0 {
		if after := p.heads[hid]; after != before {
			if _, err := tx.Exec(ctx, `UPDATE households SET head_resident_id = ? WHERE id = ?`, nullID(after), hid); err != nil {
				return fmt.Errorf("registry: set head: %w", err)
			}
		}
	}
	return nil
}

// bulkInsert writes n rows into table's columns: with COPY on
// PostgreSQL, else as INSERTs of importBatch rows (at most, and at most
// maxBindVars values) a statement. fill appends row i's values to args.
func bulkInsert(ctx context.Context, tx *db.Tx, table string, cols []string, n int, fill func(i int, args []any) []any) error {
	if n == 0 {
		return nil
	}
	width := len(cols)
	if tx.CanCopy() {
		return tx.CopyFrom(ctx, table, cols, n, func(i int) ([]any, error) {
			return fill(i, make([]any, 0, width)), nil
		})
	}
	head := `INSERT INTO ` + table + ` (` + strings.Join(cols, ", ") + `)`
	per := max(1, min(importBatch, maxBindVars/width))
	var full *sql.Stmt
	defer func() {
		if full != nil {
			full.Close()
		}
	}()
	args := make([]any, 0, min(n, per)*width)
	for start := 0; start < n; start += per {
		end := min(start+per, n)
		args = args[:0]
		for i := start; i < end; i++ {
			args = fill(i, args)
		}
		var err error
		if end-start == per {
			if full == nil {
				if full, err = tx.Prepare(ctx, valuesFor(head, width, per)); err != nil {
					return err
				}
			}
			_, err = full.ExecContext(ctx, args...)
		} else {
			_, err = tx.Exec(ctx, valuesFor(head, width, end-start), args...)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func valuesFor(head string, width, rows int) string {
	row := "(?" + strings.Repeat(", ?", width-1) + ")"
	var b strings.Builder
	b.Grow(len(head) + 8 + rows*(len(row)+2))
	b.WriteString(head)
	b.WriteString(" VALUES ")
	for i := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	return b.String()
}

// preparedRow is one sheet row validated and sealed, or why it cannot be.
type preparedRow struct {
	p   prepared
	err *apperr.Error
}

// prepareRows validates and seals the rows not already bad, spread over
// GOMAXPROCS goroutines: sealing and blind indexes are CPU work that needs
// no database. Rows keep their order; progress, if given, is told from
// this goroutine as blocks finish (the first half of an import).
func prepareRows(sl sealer, rows []SheetRow, now time.Time, progress func(done, total int)) ([]preparedRow, error) {
	out := make([]preparedRow, len(rows))
	const block = 1000
	blocks := (len(rows) + block - 1) / block
	work := make(chan int, blocks)
	for b := range blocks {
		work <- b
	}
	close(work)
	type result struct{ err error }
	done := make(chan result, blocks)
	workers := max(1, min(runtime.GOMAXPROCS(0), blocks))
	for range workers {
		go func() {
			for b := range work {
				var failed error
				for i := b * block; i < min((b+1)*block, len(rows)); i++ {
					if rows[i].bad {
						continue
					}
					p, err := prepare(sl, rows[i].Input, now)
					var ae *apperr.Error
					switch {
					case err == nil:
						p.tags = make([]string, len(p.c.in.Tags))
						for k, t := range p.c.in.Tags {
							p.tags[k] = sl.tagToken(t)
						}
						out[i].p = p
					case errors.As(err, &ae):
						out[i].err = ae
					default:
						failed = err
					}
				}
				done <- result{failed}
			}
		}()
	}
	var first error
	for b := range blocks {
		r := <-done
		if r.err != nil && first == nil {
			first = r.err
		}
		if progress != nil {
			progress(min((b+1)*block, len(rows))/2, len(rows))
		}
	}
	if first != nil {
		return nil, first
	}
	return out, nil
}
