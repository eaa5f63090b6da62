package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/linli/linli/bench"
	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/demo/gen"
	"github.com/linli/linli/internal/registry"
	"github.com/linli/linli/internal/sheets"
)

// importRound is one import and one bare loop over the same rows, each on
// a fresh database.
type importRound struct {
	order        string        // which went first, second, third
	bare         time.Duration // BEGIN … COMMIT of the bare loop into a plain table
	bareCPU      time.Duration
	tables       time.Duration // BEGIN … COMMIT of the bare loop into Linli's tables
	tablesCPU    time.Duration
	parse, apply time.Duration // sheets.Open+ParseSheet; Service.Import
	parseCPU     time.Duration
	applyCPU     time.Duration
	dbBytes      int64 // SQLite file after the import, 0 on PostgreSQL
	loadStart    string
	loadEnd      string
}

func (r importRound) total() time.Duration { return r.parse + r.apply }

type importResult struct {
	rows, communities int
	sheetBytes        int
	makeSheet         time.Duration
	rounds            []importRound
	profile           string
}

func runImport(ctx context.Context, e *env, f flags) (*importResult, error) {
	anchor := bench.Anchor()
	res := &importResult{rows: f.rows, communities: bench.CommunitiesFor(f.rows) + 1, profile: f.cpuprofile}
	logf("import: generating %d communities and a sheet of %d rows…", res.communities, f.rows)
	t0 := time.Now()
	city := gen.City(res.communities, f.seed, anchor)
	rows, err := bench.SheetRows(city, f.rows)
	if err != nil {
		return nil, err
	}
	file, err := bench.WriteSheet(sheets.XLSX, bench.SheetHeader(), rows)
	if err != nil {
		return nil, err
	}
	res.makeSheet, res.sheetBytes = time.Since(t0), len(file)
	city = nil
	for i := range f.rounds {
		r := importRound{loadStart: bench.LoadAvg()}
		type step struct {
			name string
			run  func() error
		}
		steps := []step{
			{"bare", func() (err error) { r.bare, r.bareCPU, err = bareInsert(ctx, e, rows); return err }},
			{"tables", func() (err error) { r.tables, r.tablesCPU, err = bareTables(ctx, e, rows); return err }},
			{"import", func() error { return importOnce(ctx, e, file, f.rows, &r, i == 0 && f.cpuprofile != "", f.cpuprofile) }},
		}
		// Rotate the order from round to round, so that neither a warm
		// cache nor a busier minute always favours the same one.
		steps = append(steps[i%3:], steps[:i%3]...)
		var names []string
		for _, s := range steps {
			if err := s.run(); err != nil {
				return res, err // with the rounds done so far
			}
			names = append(names, s.name)
		}
		r.order = strings.Join(names, ", ")
		r.loadEnd = bench.LoadAvg()
		logf("import round %d/%d: bare %s, bare into Linli's tables %s, parse %s, apply %s, total %s (%.2f of bare, %.2f of bare into Linli's tables)", i+1, f.rounds,
			r.bare.Round(time.Millisecond), r.tables.Round(time.Millisecond), r.parse.Round(time.Millisecond), r.apply.Round(time.Millisecond),
			r.total().Round(time.Millisecond), r.bare.Seconds()/r.total().Seconds(), r.tables.Seconds()/r.total().Seconds())
		res.rounds = append(res.rounds, r)
	}
	return res, nil
}

// importOnce builds a fresh Linli with one empty community and imports the
// sheet into it as `linli import residents --create-buildings` does.
func importOnce(ctx context.Context, e *env, file []byte, want int, r *importRound, profile bool, profilePath string) error {
	a, err := e.app(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	var cid int64
	err = a.DB.InTx(ctx, func(tx *db.Tx) error {
		var err error
		cid, _, err = bench.CreateCommunity(ctx, a, tx, "import-target", &gen.Registry{Community: "导入社区", District: "桥西区"}, time.Now())
		return err
	})
	if err != nil {
		return err
	}
	if profile {
		pf, err := os.Create(profilePath)
		if err != nil {
			return err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	logf("import: parsing and importing %d rows…", want)
	t0, c0 := time.Now(), cpuTime()
	rd, err := sheets.Open("residents.xlsx", bytes.NewReader(file), int64(len(file)), sheets.ReadOptions{})
	if err != nil {
		return err
	}
	rows, problems, err := registry.ParseSheet(rd, time.Now())
	rd.Close()
	if err != nil {
		return err
	}
	t1, c1 := time.Now(), cpuTime()
	rep, err := a.Registry.Import(ctx, accounts.Console("bench"), rows, problems, registry.ImportOptions{CommunityID: cid, CreateBuildings: true})
	if err != nil {
		return err
	}
	t2, c2 := time.Now(), cpuTime()
	r.parse, r.apply, r.parseCPU, r.applyCPU = t1.Sub(t0), t2.Sub(t1), c1-c0, c2-c1
	if !rep.Applied || rep.Created != want || len(rep.Problems) > 0 {
		var b strings.Builder
		for i, p := range rep.Problems {
			if i == 10 {
				break
			}
			fmt.Fprintf(&b, "\n  row %d %s: %s %v", p.Row, p.Column, p.Key, p.Args)
		}
		return fmt.Errorf("import applied=%v, created %d of %d rows, %d problems:%s", rep.Applied, rep.Created, want, len(rep.Problems), b.String())
	}
	var n int
	if err := a.DB.QueryRow(ctx, `SELECT count(*) FROM residents WHERE community_id = ?`, cid).Scan(&n); err != nil {
		return err
	}
	if n != want {
		return fmt.Errorf("import: the community holds %d residents, not %d", n, want)
	}
	if !e.postgres() {
		r.dbBytes = fileSize(a.Config.DatabaseURL)
	}
	return nil
}

// bareInsert is the baseline: the same rows as plain text into a plain
// table with the sheet's columns on a fresh database of the same engine,
// in one transaction with one prepared INSERT. No lookups, no validation,
// no sealing, no blind indexes, no other tables.
func bareInsert(ctx context.Context, e *env, rows [][]string) (time.Duration, time.Duration, error) {
	loc, err := e.location(ctx)
	if err != nil {
		return 0, 0, err
	}
	d, err := db.Open(ctx, loc) // Linli's pragmas and pool
	if err != nil {
		return 0, 0, err
	}
	defer d.Close()
	cols := make([]string, len(registry.SheetColumns))
	for i, c := range registry.SheetColumns {
		cols[i] = c.Key
	}
	if _, err := d.Exec(ctx, `CREATE TABLE bare_residents (`+strings.Join(cols, " TEXT NOT NULL, ")+` TEXT NOT NULL)`); err != nil {
		return 0, 0, err
	}
	insert := db.Rebind(d.Dialect(), `INSERT INTO bare_residents (`+strings.Join(cols, ", ")+`) VALUES (?`+strings.Repeat(", ?", len(cols)-1)+`)`)
	logf("bare: inserting %d rows…", len(rows))
	t0, c0 := time.Now(), cpuTime()
	tx, err := d.SQL().BeginTx(ctx, nil)
	if err != nil {
		return 0, 0, err
	}
	defer tx.Rollback()
	st, err := tx.PrepareContext(ctx, insert)
	if err != nil {
		return 0, 0, err
	}
	args := make([]any, len(cols))
	for _, r := range rows {
		for i := range args {
			args[i] = r[i]
		}
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return 0, 0, err
		}
	}
	if err := st.Close(); err != nil {
		return 0, 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, 0, err
	}
	return time.Since(t0), cpuTime() - c0, nil
}

func (res *importResult) report(w io.Writer, e *env) {
	n := float64(res.rows)
	rps := func(d time.Duration) float64 { return n / d.Seconds() }
	fmt.Fprintf(w, "\n### Import of %d rows from .xlsx vs a bare insert loop\n\n", res.rows)
	fmt.Fprintf(w, "- sheet: %d rows from %d generated communities into one community, %.1f MB .xlsx, written in memory in %s\n",
		res.rows, res.communities, float64(res.sheetBytes)/(1<<20), res.makeSheet.Round(time.Millisecond))
	fmt.Fprintf(w, "- import: sheets.Open + registry.ParseSheet (parse), Service.Import with CreateBuildings (apply), into a fresh Linli\n")
	fmt.Fprintf(w, "- bare (plain table): the same rows as text into a plain %d-column table with no index of a fresh database, one transaction, one prepared INSERT\n", len(registry.SheetColumns))
	fmt.Fprintf(w, "- bare (Linli's tables): the same rows as text into a fresh migrated Linli, one transaction, plain prepared INSERTs: an estate, building, unit and household the first time a flat is seen, then the resident, with all their indexes and foreign keys; no parsing, validation, matching, sealing, blind indexes, move history or tag rows\n")
	fmt.Fprintf(w, "- CPU is this process's; on PostgreSQL the server's work is not in it\n\n")
	fmt.Fprintln(w, "| round | order | load avg | bare plain s | bare Linli's tables s | parse s | apply s | import total s | import rows/s | import/bare plain | import/bare Linli's tables | CPU s: bare plain, bare tables, parse, apply |")
	fmt.Fprintln(w, "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
	var ratios, tratios, totals []float64
	for i, r := range res.rounds {
		ratio := r.bare.Seconds() / r.total().Seconds()
		tratio := r.tables.Seconds() / r.total().Seconds()
		ratios, tratios, totals = append(ratios, ratio), append(tratios, tratio), append(totals, r.total().Seconds())
		fmt.Fprintf(w, "| %d | %s | %s → %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.0f | **%.3f** | **%.3f** | %.1f, %.1f, %.1f, %.1f |\n",
			i+1, r.order, r.loadStart, r.loadEnd, r.bare.Seconds(), r.tables.Seconds(), r.parse.Seconds(),
			r.apply.Seconds(), r.total().Seconds(), rps(r.total()), ratio, tratio,
			r.bareCPU.Seconds(), r.tablesCPU.Seconds(), r.parseCPU.Seconds(), r.applyCPU.Seconds())
	}
	if !e.postgres() && len(res.rounds) > 0 && res.rounds[0].dbBytes > 0 {
		fmt.Fprintf(w, "\nSQLite file after the import: %.0f MB.\n", float64(res.rounds[0].dbBytes)/(1<<20))
	}
	ratio, total := median(ratios), median(totals)
	verdict := func(ok bool) string {
		if ok {
			return "meets"
		}
		return "misses"
	}
	fmt.Fprintf(w, "\nimport/bare (plain table) rows/s %.3f (min %.3f, max %.3f over %d rounds) %s 0.3.\n",
		ratio, slices.Min(ratios), slices.Max(ratios), len(ratios), verdict(ratio >= 0.3))
	tratio := median(tratios)
	fmt.Fprintf(w, "import/bare (Linli's tables) rows/s %.3f (min %.3f, max %.3f over %d rounds) %s 0.3.\n",
		tratio, slices.Min(tratios), slices.Max(tratios), len(tratios), verdict(tratio >= 0.3))
	if !e.postgres() {
		fmt.Fprintf(w, "Import total %.1f s %s the SQLite target of under 20 s.\n", total, verdict(total < 20))
	}
	if res.profile != "" {
		fmt.Fprintf(w, "CPU profile of round 1's import written to %s (go tool pprof -top %s).\n", res.profile, res.profile)
	}
}
