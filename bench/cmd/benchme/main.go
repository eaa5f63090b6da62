// Command benchme measures authenticated GET /api/v1/me on a real, seeded
// Linli against a bare net/http handler that writes the same bytes, in one
// run on one machine, and prints throughput and p99 latency as ratios.
//
//	go run ./bench/cmd/benchme                       # SQLite, wrk if installed
//	go run ./bench/cmd/benchme -gen=go -rounds=3     # the built-in generator
//	go run ./bench/cmd/benchme -db 'postgres://linli:linli@127.0.0.1:5432/linli_test?sslmode=disable'
//
// Rounds alternate between the two targets (and swap which goes first), so
// whatever else the shared cores are doing hits both. It exits non-zero on
// errors and when any request failed (the figures are then suspect), never
// because a ratio missed a target: it is a measurement, not a test.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/linli/linli/bench"
	"github.com/linli/linli/internal/db"
)

type flags struct {
	db          string
	gen         string
	rounds      int
	duration    time.Duration
	warmup      time.Duration
	conns       int
	threads     int
	bareHeaders bool
	cpuprofile  string
}

func main() {
	var f flags
	flag.StringVar(&f.db, "db", "", "PostgreSQL base URL (a fresh schema is made and dropped); empty: a SQLite file in a temp dir")
	flag.StringVar(&f.gen, "gen", "auto", "load generator: wrk, go, or auto (wrk when on PATH)")
	flag.IntVar(&f.rounds, "rounds", 5, "measured rounds per target, alternating")
	flag.DurationVar(&f.duration, "duration", 10*time.Second, "length of one round (wrk takes whole seconds)")
	flag.DurationVar(&f.warmup, "warmup", 2*time.Second, "unmeasured warm-up per target before the rounds; 0 for none")
	flag.IntVar(&f.conns, "connections", 32, "keep-alive connections held open by the generator")
	flag.IntVar(&f.threads, "threads", 2, "wrk threads")
	flag.BoolVar(&f.bareHeaders, "bare-headers", false, "let the bare handler also send every header Linli sends (prices the headers separately)")
	flag.StringVar(&f.cpuprofile, "cpuprofile", "", "after the rounds, run one more Linli round under the CPU profiler and write it here")
	flag.Parse()
	if f.rounds < 1 || f.conns < 1 || f.threads < 1 || f.conns < f.threads || f.duration < time.Second {
		fmt.Fprintln(os.Stderr, "benchme: need -rounds >= 1, -duration >= 1s, -connections >= -threads >= 1")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	failed, err := run(ctx, f, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchme:", err)
		os.Exit(1)
	}
	if failed > 0 {
		fmt.Fprintf(os.Stderr, "benchme: %d requests failed; the figures above are suspect\n", failed)
		os.Exit(1)
	}
}

func pickGenerator(name string, threads int) (Generator, error) {
	switch name {
	case "go":
		return goGen{}, nil
	case "wrk", "auto":
		p, err := exec.LookPath("wrk")
		if err == nil {
			return wrk{path: p, threads: threads}, nil
		}
		if name == "wrk" {
			return nil, errors.New("wrk is not on PATH (apt-get install wrk), or use -gen=go")
		}
		return goGen{}, nil
	}
	return nil, fmt.Errorf("unknown -gen %q: want wrk, go or auto", name)
}

// target is one server under load.
type target struct {
	name, url string
}

func run(ctx context.Context, f flags, out io.Writer) (failed int64, err error) {
	gen, err := pickGenerator(f.gen, f.threads)
	if err != nil {
		return 0, err
	}
	facts := machineFacts(gen)

	dir, err := os.MkdirTemp("", "linli-bench-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	opt := bench.Options{Dir: dir,
		Log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))} // as `linli serve` logs
	dbName, postgres := "SQLite (file in a temp dir)", f.db != ""
	if postgres {
		if !db.IsPostgresURL(f.db) {
			return 0, fmt.Errorf("-db %q is not a postgres:// URL (SQLite is the default)", f.db)
		}
		u, drop, err := bench.PostgresSchema(ctx, f.db)
		if err != nil {
			return 0, err
		}
		defer drop()
		opt.DatabaseURL = u
		dbName = "PostgreSQL (fresh schema, dropped afterwards)"
	}

	fmt.Fprintf(os.Stderr, "benchme: building and seeding Linli on %s…\n", dbName)
	a, err := bench.NewLinli(ctx, opt)
	if err != nil {
		return 0, err
	}
	defer a.Close()
	if postgres {
		dbName += ", " + serverVersion(ctx, a.DB)
	}
	linli, err := bench.Serve(a.Handler)
	if err != nil {
		return 0, err
	}
	defer linli.Close()
	c := &http.Client{Timeout: 30 * time.Second}
	token, err := bench.Login(ctx, c, linli.URL)
	if err != nil {
		return 0, err
	}
	me, err := bench.FetchMe(ctx, c, linli.URL, token)
	if err != nil {
		return 0, err
	}
	bare, err := bench.Serve(bench.Bare(me, f.bareHeaders))
	if err != nil {
		return 0, err
	}
	defer bare.Close()
	auth := "Bearer " + token
	targets := []target{{"bare", bare.URL + bench.MePath}, {"linli", linli.URL + bench.MePath}}

	if f.warmup > 0 {
		for _, t := range targets {
			fmt.Fprintf(os.Stderr, "benchme: warm-up %s %s\n", t.name, f.warmup)
			if _, err := gen.Run(ctx, t.url, auth, f.conns, max(f.warmup, time.Second)); err != nil {
				return 0, err
			}
		}
	}
	loads := map[string][]Sample{}
	for i := range f.rounds {
		order := targets
		if i%2 == 1 { // swap who goes first, so neither always follows a warm cache
			order = []target{targets[1], targets[0]}
		}
		for _, t := range order {
			s, err := measure(ctx, gen, t, auth, f.conns, f.duration)
			if err != nil {
				return 0, err
			}
			failed += s.Failed
			loads[t.name] = append(loads[t.name], s)
			fmt.Fprintf(os.Stderr, "benchme: round %d/%d %-5s %9.0f req/s  p99 %-9s cpu %5.1f µs/req  failed %d %s\n",
				i+1, f.rounds, t.name, s.RPS(), s.P99.Round(time.Microsecond), s.CPUPerReq(), s.Failed, s.Detail)
		}
	}
	facts.loadEnd = bench.LoadAvg()

	report(out, f, gen, facts, dbName, me, loads)

	if f.cpuprofile != "" {
		if err := profile(ctx, f, gen, targets[1], auth); err != nil {
			return failed, err
		}
		fmt.Fprintf(out, "\nCPU profile of one more %s Linli round written to %s (go tool pprof -top %s)\n", f.duration, f.cpuprofile, f.cpuprofile)
	}
	return failed, nil
}

// Sample is one round with the process CPU time it cost.
type Sample struct {
	Load
	CPU time.Duration // user+system time of this process during the round
}

// CPUPerReq is this process's CPU per successful request, in µs. With wrk
// the process is only the two servers (one idle), so it is the server's
// cost per request, and much steadier than req/s on shared cores; with
// -gen=go it includes the client's cost too.
func (s Sample) CPUPerReq() float64 {
	if s.Requests == 0 {
		return 0
	}
	return float64(s.CPU.Microseconds()) / float64(s.Requests)
}

func measure(ctx context.Context, gen Generator, t target, auth string, conns int, d time.Duration) (Sample, error) {
	c0 := cpuTime()
	l, err := gen.Run(ctx, t.url, auth, conns, d)
	if err != nil {
		return Sample{}, fmt.Errorf("%s: %w", t.name, err)
	}
	l.Target = t.name
	return Sample{Load: l, CPU: cpuTime() - c0}, nil
}

func profile(ctx context.Context, f flags, gen Generator, t target, auth string) error {
	pf, err := os.Create(f.cpuprofile)
	if err != nil {
		return err
	}
	defer pf.Close()
	if err := pprof.StartCPUProfile(pf); err != nil {
		return err
	}
	_, err = gen.Run(ctx, t.url, auth, f.conns, f.duration)
	pprof.StopCPUProfile()
	return err
}

func serverVersion(ctx context.Context, d *db.DB) string {
	var v string
	if err := d.QueryRow(ctx, `SHOW server_version`).Scan(&v); err != nil {
		return "version unknown"
	}
	return "server " + v
}

// goVersion is the toolchain that built this program.
func goVersion() string { return runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH }
