// Command benchregistry measures the resident registry at scale, in one
// run on one machine.
//
// Import: 100,000 resident rows from an .xlsx through the real path
// (sheets.Open, registry.ParseSheet, Service.Import: validation, AES-GCM
// sealing, blind indexes) as rows per second, next to a bare loop that
// inserts the same rows as plain text into a plain table of the same
// engine (one transaction, one prepared INSERT).
//
// Search: p50/p99 of Service.List by name prefix and by whole ID number
// inside one community of a database of 1,000,000 residents loaded the way
// `linli gen` loads them, next to bare indexed queries.
//
//	go run ./bench/cmd/benchregistry                   # SQLite files in a temp dir
//	go run ./bench/cmd/benchregistry -db 'postgres://linli:linli@127.0.0.1:5432/linli_test?sslmode=disable'
//	go run ./bench/cmd/benchregistry -only search -search-db /tmp/city.db   # keep (or reuse) the 1M database
//
// It exits non-zero on errors and when an import or search does not do
// what it should (the figures would then be of something else), never
// because a figure missed its target: it is a measurement, not a test.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/linli/linli/bench"
)

type flags struct {
	db         string
	only       string
	rows       int
	rounds     int
	residents  int
	searches   int
	limit      int
	community  int
	seed       int64
	searchDB   string
	analyze    bool
	cpuprofile string
}

func main() {
	var f flags
	flag.StringVar(&f.db, "db", "", "PostgreSQL base URL (fresh schemas are made and dropped); empty: SQLite files in a temp dir")
	flag.StringVar(&f.only, "only", "", "run only \"import\" or \"search\"; empty runs both")
	flag.IntVar(&f.rows, "rows", 100_000, "resident rows in the imported sheet")
	flag.IntVar(&f.rounds, "rounds", 1, "import rounds, each a fresh bare database and a fresh Linli, alternating which goes first")
	flag.IntVar(&f.residents, "residents", 1_000_000, "residents in the searched database (communities of about 4,100)")
	flag.IntVar(&f.searches, "searches", 2000, "measured searches of each kind")
	flag.IntVar(&f.limit, "limit", 30, "page size of a search (the web list shows 30)")
	flag.IntVar(&f.community, "community", -1, "which community to search in, by position (default: the middle one)")
	flag.Int64Var(&f.seed, "seed", 1, "seed of the generated residents and of the random choices")
	flag.StringVar(&f.searchDB, "search-db", "", "SQLite file for the search database: loaded and kept if missing, reused if present")
	flag.BoolVar(&f.analyze, "analyze", false, "run ANALYZE on the search database before searching (Linli never does)")
	flag.StringVar(&f.cpuprofile, "cpuprofile", "", "write a CPU profile of the first round's import (parse and apply) here")
	flag.Parse()
	if f.rows < 1 || f.rounds < 1 || f.residents < 1 || f.searches < 1 || f.limit < 1 || f.limit > 500 {
		fmt.Fprintln(os.Stderr, "benchregistry: -rows, -rounds, -residents, -searches must be >= 1, -limit 1-500")
		os.Exit(2)
	}
	if f.only != "" && f.only != "import" && f.only != "search" {
		fmt.Fprintln(os.Stderr, "benchregistry: -only takes import or search")
		os.Exit(2)
	}
	if f.searchDB != "" && f.db != "" {
		fmt.Fprintln(os.Stderr, "benchregistry: -search-db is a SQLite file; it cannot be used with -db")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, f); err != nil {
		fmt.Fprintln(os.Stderr, "benchregistry:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, f flags) error {
	env, err := newEnv(ctx, f.db)
	if err != nil {
		return err
	}
	defer env.close()
	out := os.Stdout
	fmt.Fprintf(out, "\n## Registry: %s\n\n", env.name)
	fmt.Fprintf(out, "- machine: %s\n", bench.Machine())
	fmt.Fprintf(out, "- load average at start: %s\n", bench.LoadAvg())
	if f.only != "search" {
		r, err := runImport(ctx, env, f)
		if r != nil && len(r.rounds) > 0 {
			r.report(out, env)
		}
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
	}
	if f.only != "import" {
		r, err := runSearch(ctx, env, f)
		if err != nil {
			return fmt.Errorf("search: %w", err)
		}
		r.report(out, env)
	}
	fmt.Fprintf(out, "\n- load average at end: %s\n", bench.LoadAvg())
	return nil
}
