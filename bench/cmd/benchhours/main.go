// Command benchhours measures the hours ledger's reads at the size of
// issue 4 — a community with 1,000 volunteers and 200,000 service records —
// against a p99 target of 50 ms, and against baselines measured in the
// same run.
//
// It builds the community with the demo's foundation step, bulk-loads the
// volunteers (outside adults, with teams and grids), 18 months of service
// records with their batches, decisions and reversals, and hours_rollup
// aggregated from the ledger (checked against what the generator
// counted). Then it measures, in alternating rounds, Matrix by category
// and by grid, Summary of random volunteers, PeriodTotals of the year and
// GET /api/v1/matrix through the real handler on a loopback port, next to
// the same matrix's cells computed straight from service_records and a
// SELECT 1 through the same *db.DB.
//
//	go run ./bench/cmd/benchhours                  # SQLite file in a temp dir
//	go run ./bench/cmd/benchhours -db 'postgres://linli:linli@127.0.0.1:5432/linli_test?sslmode=disable'
//
// It exits non-zero on errors and when the figures would be of something
// else (the rollup disagrees with the ledger, the baseline with the
// matrix), never because a figure missed its target: it is a measurement,
// not a test.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"time"

	"github.com/linli/linli/bench"
	"github.com/linli/linli/internal/db"
)

type flags struct {
	db            string
	volunteers    int
	records       int
	months        int
	rounds        int
	iters         int
	baselineIters int
	seed          int64
	target        time.Duration
	analyze       bool
	cpuprofile    string
	keep          bool
}

func main() {
	var f flags
	flag.StringVar(&f.db, "db", "", "PostgreSQL base URL (a fresh schema is made and dropped); empty: a SQLite file in a temp dir")
	flag.IntVar(&f.volunteers, "volunteers", 1000, "volunteers in the community")
	flag.IntVar(&f.records, "records", 200_000, "service records in the ledger (reversing entries come on top)")
	flag.IntVar(&f.months, "months", 18, "months of history the records are spread over, up to today")
	flag.IntVar(&f.rounds, "rounds", 5, "measured rounds, each running every operation in turn")
	flag.IntVar(&f.iters, "iters", 300, "calls of each operation per round")
	flag.IntVar(&f.baselineIters, "baseline-iters", 30, "calls of the slow baseline (the matrix from service_records) per round")
	flag.Int64Var(&f.seed, "seed", 1, "seed of the generated data and of the random volunteers")
	flag.DurationVar(&f.target, "target", 50*time.Millisecond, "the issue's p99 target")
	flag.BoolVar(&f.analyze, "analyze", false, "run ANALYZE on SQLite after the load too (Linli never does; PostgreSQL is always analyzed, as autovacuum would)")
	flag.StringVar(&f.cpuprofile, "cpuprofile", "", "write a CPU profile of one extra, unmeasured round of the measured operations here")
	flag.BoolVar(&f.keep, "keep", false, "keep the SQLite database (its path is printed) for a look with sqlite3")
	flag.Parse()
	if f.volunteers < 20 || f.records < 1 || f.months < 1 || f.rounds < 1 || f.iters < 1 || f.baselineIters < 1 {
		fmt.Fprintln(os.Stderr, "benchhours: -volunteers >= 20; -records, -months, -rounds, -iters, -baseline-iters >= 1")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, f, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "benchhours:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, f flags, out io.Writer) error {
	dir, err := os.MkdirTemp("", "linli-benchhours-")
	if err != nil {
		return err
	}
	if f.keep && f.db == "" {
		defer logf("kept %s", filepath.Join(dir, "linli.db"))
	} else {
		defer os.RemoveAll(dir)
	}
	loc, dbName := filepath.Join(dir, "linli.db"), "SQLite (file in a temp dir, Linli's pragmas: WAL, synchronous=FULL)"
	if f.db != "" {
		if !db.IsPostgresURL(f.db) {
			return fmt.Errorf("-db %q is not a postgres:// URL (SQLite is the default)", f.db)
		}
		u, drop, err := bench.PostgresSchema(ctx, f.db)
		if err != nil {
			return err
		}
		defer drop()
		loc, dbName = u, "PostgreSQL (fresh schema, dropped afterwards)"
	}
	loadStart := bench.LoadAvg()
	logf("building on %s…", dbName)
	a, err := bench.NewApp(ctx, dir, loc)
	if err != nil {
		return err
	}
	defer a.Close()
	if a.DB.Dialect() == db.Postgres {
		var v string
		if err := a.DB.QueryRow(ctx, `SHOW server_version`).Scan(&v); err == nil {
			dbName += ", " + v
		}
	}
	t0 := time.Now()
	w, err := build(ctx, a, f)
	if err != nil {
		return fmt.Errorf("build: %w", err)
	}
	buildTook := time.Since(t0)
	a.SetReady()
	s, closeSrv, err := newSession(ctx, w, f.seed)
	if err != nil {
		return err
	}
	defer closeSrv()
	mx, err := s.agree(ctx)
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	logf("checked: matrix, HTTP matrix, baseline cells and PeriodTotals agree (%s: %.1f h)", mx.Year, mx.Total.YearHours)
	m, err := measure(ctx, s, f)
	if err != nil {
		return err
	}
	report(out, f, dbName, loadStart, buildTook, w, m)
	if f.cpuprofile != "" {
		fmt.Fprintf(out, "\nCPU profile of one more round of the measured operations written to %s (go tool pprof -top %s)\n", f.cpuprofile, f.cpuprofile)
	}
	return nil
}

func report(out io.Writer, f flags, dbName, loadStart string, buildTook time.Duration, w *world, m *measurement) {
	fmt.Fprintf(out, "\n## Hours: %s\n\n", dbName)
	fmt.Fprintf(out, "- machine: %s\n", bench.Machine())
	fmt.Fprintf(out, "- load average: %s before the build, %s at the start of the measurement, %s at the end\n", loadStart, m.load[0], m.load[1])
	fmt.Fprintf(out, "- data: 1 community, %d grids, %d teams, %d volunteers (%d team memberships, %d grid rows)\n",
		len(w.grids), len(w.teams), len(w.vols), w.memberships, w.gridRows)
	fmt.Fprintf(out, "- ledger: %d service records in %d recordings over %s – %s, plus %d reversing entries; back-fills: %d records confirmed, %d refused, %d pending; %d ledger rows in %s (the matrix's year)\n",
		w.records, w.batches, w.from.Format(time.DateOnly), w.to.Format(time.DateOnly), w.reversals, w.confirmed, w.refused, w.pending, w.yearRecords, w.to.Format("2006"))
	fmt.Fprintf(out, "- hours_rollup: %d rows, %.0f counted hours, equal to the ledger's counted minutes and to the generator's\n", w.rollupRows, float64(w.countedMinutes)/60)
	fmt.Fprintf(out, "- build: %s in all\n", buildTook.Round(100*time.Millisecond))
	for _, p := range w.phases {
		fmt.Fprintf(out, "  - %s: %s\n", p.name, p.took.Round(10*time.Millisecond))
	}
	fmt.Fprintf(out, "- measurement: %d rounds, alternating, the first op rotating; per round %d calls of each operation (%d of the slow baseline), one at a time, after %d%% as warm-up; GET /api/v1/matrix as the worker with a Bearer token over loopback, %d bytes of JSON\n\n",
		f.rounds, f.iters, f.baselineIters, 10, m.httpN)

	fmt.Fprintf(out, "| operation | calls | p50 ms | p99 ms | p99 ms per round (min–max) | mean ms | p99 < %s |\n|---|---:|---:|---:|---:|---:|:---:|\n", f.target)
	for _, o := range m.ops {
		ds := m.all(o.name)
		pr := m.perRound(o.name, 0.99)
		verdict := "—"
		if !o.baseline {
			verdict = "**yes**"
			if quantile(ds, 0.99) >= f.target {
				verdict = "**no**"
			}
		}
		fmt.Fprintf(out, "| %s | %d | %.3f | %.3f | %.3f–%.3f | %.3f | %s |\n", o.name, len(ds), ms(quantile(ds, 0.5)), ms(quantile(ds, 0.99)),
			slices.Min(pr), slices.Max(pr), ms(mean(ds)), verdict)
	}
	fmt.Fprintf(out, "\n| ratio | of pooled figures | per round: median (min–max) |\n|---|---:|---:|\n")
	ratio := func(label, num, den string, q float64) {
		a, b := m.perRound(num, q), m.perRound(den, q)
		var rs []float64
		for i := range a {
			rs = append(rs, a[i]/b[i])
		}
		fmt.Fprintf(out, "| %s | %.1f | %.1f (%.1f–%.1f) |\n", label, ms(quantile(m.all(num), q))/ms(quantile(m.all(den), q)),
			median(rs), slices.Min(rs), slices.Max(rs))
	}
	ratio("p50 matrix from service_records / Matrix by category (what the rollup buys)", opNaive, opMatrixCat, 0.5)
	ratio("p99 matrix from service_records / Matrix by category", opNaive, opMatrixCat, 0.99)
	ratio("p50 Matrix by category / SELECT 1", opMatrixCat, opSelect1, 0.5)
	ratio("p50 Matrix by grid / SELECT 1", opMatrixGrid, opSelect1, 0.5)
	ratio("p50 Summary / SELECT 1", opSummary, opSelect1, 0.5)
	ratio("p50 PeriodTotals / SELECT 1", opTotals, opSelect1, 0.5)
	ratio("p50 GET /api/v1/matrix / Matrix by category (HTTP, auth, JSON)", opHTTP, opMatrixCat, 0.5)
}

func mean(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	var t time.Duration
	for _, d := range ds {
		t += d
	}
	return t / time.Duration(len(ds))
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
	fmt.Fprintf(os.Stderr, "benchhours: "+format+"\n", args...)
}
