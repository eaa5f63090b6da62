// Command benchsignup measures POST /api/v1/occurrences/{id}/signup on a
// real, seeded Linli next to a bare net/http handler that decodes the same
// body and does one INSERT into the same database, in one run, and prints
// requests per second and p99 latency as ratios (issue 5: at least 0.4).
//
//	go run ./bench/cmd/benchsignup                 # SQLite
//	go run ./bench/cmd/benchsignup -db 'postgres://linli:linli@127.0.0.1:5432/linli_test?sslmode=disable'
//
// Every request is a new sign-up: the community worker signs volunteer v
// up for occurrence o (the office's way of signing up someone without a
// phone, and the same transaction as a volunteer's own: the capacity
// check, the conditional count, the insert), each (o, v) used once, taken
// from one counter shared by all connections. Rounds alternate the two
// targets and swap which goes first. It is a measurement, not a test: it
// exits non-zero on errors and failed requests, never on a ratio.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/linli/linli/bench"
	"github.com/linli/linli/internal/db"
)

type flags struct {
	keep     bool
	db       string
	rounds   int
	duration time.Duration
	warmup   time.Duration
	conns    int
	profile  string
	pattern  string
}

func main() {
	var f flags
	flag.StringVar(&f.db, "db", "", "PostgreSQL base URL (a fresh schema is made and dropped); empty: a SQLite file in a temp dir")
	flag.IntVar(&f.rounds, "rounds", 3, "measured rounds per target, alternating")
	flag.DurationVar(&f.duration, "duration", 5*time.Second, "length of one round")
	flag.DurationVar(&f.warmup, "warmup", time.Second, "an unmeasured round of each target first")
	flag.IntVar(&f.conns, "connections", 16, "keep-alive connections, each sending one request after another")
	flag.StringVar(&f.profile, "cpuprofile", "", "write a CPU profile of the Linli rounds here")
	flag.BoolVar(&f.keep, "keep-schema", false, "PostgreSQL: keep the seeded schema afterwards and print its name (to study the statements with psql or pgbench)")
	flag.StringVar(&f.pattern, "pattern", "hot", "hot: everyone signs up for the same date until it is full of them, then the next; spread: consecutive sign-ups go to different dates")
	flag.Parse()
	if f.pattern != "hot" && f.pattern != "spread" {
		fmt.Fprintln(os.Stderr, "benchsignup: -pattern is hot or spread")
		os.Exit(2)
	}
	if f.rounds < 1 || f.conns < 1 || f.duration < time.Second {
		fmt.Fprintln(os.Stderr, "benchsignup: need -rounds >= 1, -duration >= 1s, -connections >= 1")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, f, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "benchsignup:", err)
		os.Exit(1)
	}
}

func logf(format string, args ...any) { fmt.Fprintf(os.Stderr, "benchsignup: "+format+"\n", args...) }

// pairs hands out each (occurrence, volunteer) once.
// In the "hot" pattern every connection signs people up for the same
// date until everyone is on it, then the next date: the rush when a
// popular activity opens, all on one row. In the "spread" pattern
// consecutive requests go to different dates and different people.
//
// Until 2026-12-01 "spread" kept the person and moved the date: the 16
// connections signed one volunteer up for 16 dates at the same instant,
// which no real load does, and on PostgreSQL every one of them share-
// locked that volunteer's row for its foreign key at once.
type pairs struct {
	next   atomic.Int64
	occ    []int64
	vols   []int64
	spread bool
	wrap   bool // start again when all are taken (the bare handler, which writes no key)
}

func (p *pairs) take() (occ, vol int64, ok bool) {
	i := p.next.Add(1) - 1
	no, nv := int64(len(p.occ)), int64(len(p.vols))
	if i >= no*nv {
		if !p.wrap {
			return 0, 0, false
		}
		i %= no * nv
	}
	if p.spread {
		// Date d takes volunteers q+d (mod nv) for q = 0, 1, ...: each
		// pair once, and the next request is the next date and person.
		d, q := i%no, i/no
		return p.occ[d], p.vols[(q+d)%nv], true
	}
	return p.occ[i/nv], p.vols[i%nv], true
}

func run(ctx context.Context, f flags, out io.Writer) error {
	dir, err := os.MkdirTemp("", "linli-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	opt := bench.Options{Dir: dir, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	dbName := "SQLite (file in a temp dir)"
	if f.db != "" {
		if !db.IsPostgresURL(f.db) {
			return fmt.Errorf("-db %q is not a postgres:// URL", f.db)
		}
		u, drop, err := bench.PostgresSchema(ctx, f.db)
		if err != nil {
			return err
		}
		if f.keep {
			logf("keeping the schema: %s", u)
		} else {
			defer drop()
		}
		opt.DatabaseURL, dbName = u, "PostgreSQL (fresh schema, dropped afterwards)"
	}
	logf("building and seeding Linli on %s…", dbName)
	a, err := bench.NewLinli(ctx, opt)
	if err != nil {
		return err
	}
	defer a.Close()
	linli, err := bench.Serve(a.Handler)
	if err != nil {
		return err
	}
	defer linli.Close()
	c := &http.Client{Timeout: 30 * time.Second}
	token, err := bench.Login(ctx, c, linli.URL)
	if err != nil {
		return err
	}
	auth := "Bearer " + token

	// A daily activity open to all volunteers, with room for everyone: the
	// measured path is a sign-up that succeeds, not the waitlist.
	start := time.Now().In(time.FixedZone("CST", 8*3600)).AddDate(0, 0, 2)
	day := start.Format("2006-01-02")
	plan := map[string]any{"title": "基准测试·每日值守", "open_to": "volunteers", "capacity": 10000,
		"start": day + "T09:00", "end": day + "T11:00", "rrule": "FREQ=DAILY", "risks": "无", "protection": "无"}
	var created struct {
		ID int64 `json:"id"`
	}
	if err := call(ctx, c, "POST", linli.URL+"/api/v1/activities", auth, plan, &created, http.StatusCreated); err != nil {
		return fmt.Errorf("plan the activity: %w", err)
	}
	p := &pairs{spread: f.pattern == "spread"}
	rows, err := a.DB.Query(ctx, `SELECT id FROM occurrences WHERE activity_id = ? ORDER BY starts_at`, created.ID)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		p.occ = append(p.occ, id)
	}
	rows.Close()
	if len(p.occ) < 2 {
		return fmt.Errorf("the daily series has %d occurrences", len(p.occ))
	}
	// Who may sign up: every demo volunteer the first date takes. Those it
	// refuses (too young without a guardian, consent withdrawn, ...) are
	// left out of the measured pairs.
	var all []int64
	rows, err = a.DB.Query(ctx, `SELECT v.id FROM volunteers v JOIN communities c ON c.id = v.community_id ORDER BY v.id`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		all = append(all, id)
	}
	rows.Close()
	var sample []byte
	for _, v := range all {
		var raw json.RawMessage
		err := call(ctx, c, "POST", fmt.Sprintf("%s/api/v1/occurrences/%d/signup", linli.URL, p.occ[0]), auth, map[string]int64{"volunteer_id": v}, &raw, http.StatusCreated)
		if err == nil {
			p.vols, sample = append(p.vols, v), raw
		}
	}
	p.occ = p.occ[1:]
	logf("%d of %d volunteers may sign up; %d dates; %d sign-ups available", len(p.vols), len(all), len(p.occ), len(p.occ)*len(p.vols))
	if len(p.vols) < 50 {
		return fmt.Errorf("only %d volunteers could sign up", len(p.vols))
	}

	bare, err := bareServer(ctx, a.DB, sample)
	if err != nil {
		return err
	}
	defer bare.Close()
	targets := []target{
		{"bare", func(o, v int64) string { return fmt.Sprintf("%s/bare/%d/signup", bare.URL, o) }},
		{"linli", func(o, v int64) string { return fmt.Sprintf("%s/api/v1/occurrences/%d/signup", linli.URL, o) }},
	}
	bareP := &pairs{occ: p.occ, vols: p.vols, spread: p.spread, wrap: true}
	loadStart := bench.LoadAvg()
	// A round of each, unmeasured, first: every pooled connection
	// prepares its statements (PostgreSQL plans a prepared statement
	// afresh for its first five runs on each connection) before the clock
	// starts, for both targets alike.
	var warmed int64
	if f.warmup > 0 {
		for _, t := range targets {
			tp := p
			if t.name == "bare" {
				tp = bareP
			}
			l, err := drive(ctx, t, tp, auth, f.conns, f.warmup)
			if err == nil && l.failed > 0 {
				err = fmt.Errorf("%d requests failed (%s)", l.failed, l.firstErr)
			}
			if err != nil {
				return fmt.Errorf("warm-up %s: %w", t.name, err)
			}
			if t.name == "linli" {
				warmed = l.ok
			}
		}
	}
	results := map[string][]load{}
	for i := range f.rounds {
		order := targets
		if i%2 == 1 {
			order = []target{targets[1], targets[0]}
		}
		for _, t := range order {
			if t.name == "linli" && f.profile != "" {
				stop, err := startProfile(f.profile, i)
				if err != nil {
					return err
				}
				defer stop()
			}
			// The bare handler writes no key, so it walks the pairs on a
			// counter of its own and leaves Linli's sign-ups to Linli.
			tp := p
			if t.name == "bare" {
				tp = bareP
			}
			l, err := drive(ctx, t, tp, auth, f.conns, f.duration)
			if t.name == "linli" {
				pprof.StopCPUProfile()
			}
			if err != nil {
				return fmt.Errorf("%s: %w", t.name, err)
			}
			if l.failed > 0 {
				return fmt.Errorf("%s: %d requests failed (%s)", t.name, l.failed, l.firstErr)
			}
			results[t.name] = append(results[t.name], l)
			logf("round %d/%d %-5s %7.0f req/s  p50 %-9s p99 %-9s cpu %.0f µs/req", i+1, f.rounds, t.name, l.rps(),
				l.p50.Round(time.Microsecond), l.p99.Round(time.Microsecond), l.cpuPerReq())
		}
	}
	// The sign-ups Linli answered 201 must all be there, and no more.
	var n int
	if err := a.DB.QueryRow(ctx, `SELECT count(*) FROM signups s JOIN occurrences o ON o.id = s.occurrence_id WHERE o.activity_id = ? AND s.status = 'signed'`, created.ID).Scan(&n); err != nil {
		return err
	}
	want := int64(len(p.vols)) + warmed
	for _, l := range results["linli"] {
		want += l.ok
	}
	if int64(n) != want {
		return fmt.Errorf("%d sign-ups in the database, %d answered 201", n, want)
	}
	report(out, f, dbName, loadStart, len(p.vols), results)
	return nil
}

// bareServer is the baseline: decode the same JSON body, one INSERT into
// a table of the same database through the same pool, answer 201 with a
// body as long as Linli's.
func bareServer(ctx context.Context, d *db.DB, sample []byte) (*bench.Server, error) {
	if _, err := d.Exec(ctx, `CREATE TABLE bench_signups (occurrence_id BIGINT NOT NULL, volunteer_id BIGINT NOT NULL, created_at TIMESTAMP NOT NULL)`); err != nil {
		return nil, err
	}
	body := bytes.Repeat([]byte(" "), len(sample))
	copy(body, `{"ok":true}`)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /bare/{id}/signup", func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		var in struct {
			VolunteerID int64 `json:"volunteer_id"`
		}
		if err != nil || json.NewDecoder(r.Body).Decode(&in) != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		if _, err := d.Exec(r.Context(), `INSERT INTO bench_signups (occurrence_id, volunteer_id, created_at) VALUES (?, ?, ?)`, id, in.VolunteerID, time.Now().UTC()); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write(body)
	})
	return bench.Serve(mux)
}

type target struct {
	name string
	url  func(occ, vol int64) string
}

type load struct {
	ok, failed int64
	elapsed    time.Duration
	p50, p99   time.Duration
	cpu        time.Duration
	firstErr   string
}

func (l load) rps() float64 { return float64(l.ok) / l.elapsed.Seconds() }
func (l load) cpuPerReq() float64 {
	if l.ok == 0 {
		return 0
	}
	return float64(l.cpu.Microseconds()) / float64(l.ok)
}

// drive sends sign-ups on conns keep-alive connections for d. The
// generator runs in this process, so it shares the cores with both
// servers equally.
func drive(ctx context.Context, t target, p *pairs, auth string, conns int, d time.Duration) (load, error) {
	type result struct {
		ok, failed int64
		lat        []time.Duration
		err        string
		exhausted  bool
	}
	res := make([]result, conns)
	c0 := cpuTime()
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for i := range conns {
		wg.Add(1)
		go func(r *result) {
			defer wg.Done()
			tr := &http.Transport{MaxIdleConnsPerHost: 1, MaxConnsPerHost: 1, DisableCompression: true}
			defer tr.CloseIdleConnections()
			c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
			for time.Now().Before(deadline) && ctx.Err() == nil {
				o, v, ok := p.take()
				if !ok {
					r.exhausted = true
					return
				}
				req, _ := http.NewRequestWithContext(ctx, "POST", t.url(o, v), bytes.NewReader([]byte(`{"volunteer_id":`+strconv.FormatInt(v, 10)+`}`)))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", auth)
				t0 := time.Now()
				resp, err := c.Do(req)
				if err != nil {
					r.failed++
					if r.err == "" {
						r.err = err.Error()
					}
					continue
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				r.lat = append(r.lat, time.Since(t0))
				if resp.StatusCode != http.StatusCreated {
					r.failed++
					if r.err == "" {
						r.err = fmt.Sprintf("%s: %.200s", resp.Status, b)
					}
					continue
				}
				r.ok++
			}
		}(&res[i])
	}
	wg.Wait()
	l := load{elapsed: time.Since(start), cpu: cpuTime() - c0}
	var all []time.Duration
	for _, r := range res {
		if r.exhausted {
			return l, errors.New("ran out of (date, volunteer) pairs: use fewer rounds or a shorter -duration")
		}
		l.ok, l.failed = l.ok+r.ok, l.failed+r.failed
		all = append(all, r.lat...)
		if l.firstErr == "" {
			l.firstErr = r.err
		}
	}
	slices.Sort(all)
	l.p50, l.p99 = quantile(all, 0.5), quantile(all, 0.99)
	return l, ctx.Err()
}

func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func call(ctx context.Context, c *http.Client, method, url, auth string, in, out any, want int) error {
	b, _ := json.Marshal(in)
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", auth)
	res, err := c.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		return fmt.Errorf("%s %s: %s: %.300s", method, url, res.Status, body)
	}
	return json.Unmarshal(body, out)
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func report(w io.Writer, f flags, dbName, loadStart string, vols int, res map[string][]load) {
	fmt.Fprintf(w, "\n## POST /api/v1/occurrences/{id}/signup: Linli vs a bare insert handler\n\n")
	fmt.Fprintf(w, "- machine: %s\n- database: %s\n", bench.Machine(), dbName)
	fmt.Fprintf(w, "- load: the Go generator in this process, %d keep-alive connections, %d rounds of %s per target, alternating; every request a new sign-up (%d volunteers × a daily series), pattern %q\n",
		f.conns, f.rounds, f.duration, vols, f.pattern)
	fmt.Fprintf(w, "- bare: decode the same JSON body, one INSERT into a table of the same database through the same pool, 201 with a body of the same length\n")
	fmt.Fprintf(w, "- load average: %s → %s\n\n", loadStart, bench.LoadAvg())
	fmt.Fprintln(w, "| round | bare req/s | bare p99 ms | Linli req/s | Linli p99 ms | Linli/bare req/s |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|")
	var ratios, bp99, lp99 []float64
	for i := range res["linli"] {
		b, l := res["bare"][i], res["linli"][i]
		ratios = append(ratios, l.rps()/b.rps())
		bp99, lp99 = append(bp99, float64(b.p99)/1e6), append(lp99, float64(l.p99)/1e6)
		fmt.Fprintf(w, "| %d | %.0f | %.2f | %.0f | %.2f | **%.2f** |\n", i+1, b.rps(), float64(b.p99)/1e6, l.rps(), float64(l.p99)/1e6, l.rps()/b.rps())
	}
	verdict := "misses"
	if median(ratios) >= 0.4 {
		verdict = "meets"
	}
	fmt.Fprintf(w, "\nLinli/bare req/s: median %.2f (min %.2f, max %.2f) %s the 0.4 target; p99 median: bare %.2f ms, Linli %.2f ms.\n",
		median(ratios), slices.Min(ratios), slices.Max(ratios), verdict, median(bp99), median(lp99))
}

// startProfile profiles round i's Linli run into path.i.
func startProfile(path string, i int) (func(), error) {
	f, err := os.Create(fmt.Sprintf("%s.%d", path, i+1))
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { f.Close() }, nil
}
