package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime/pprof"
	"slices"
	"time"

	"github.com/linli/linli/bench"
	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/hours"
)

// The measured operations and the baselines.
const (
	opMatrixCat  = "Matrix by category"
	opMatrixGrid = "Matrix by grid"
	opSummary    = "Summary of one volunteer"
	opTotals     = "PeriodTotals of the year"
	opHTTP       = "GET /api/v1/matrix (HTTP)"
	opNaive      = "baseline: matrix cells from service_records"
	opSelect1    = "baseline: SELECT 1"
)

type op struct {
	name     string
	baseline bool
	iters    int
	fn       func(ctx context.Context) error
}

// session is what the measurements call through: the worker (community
// office) as a principal and as a Bearer token on a loopback server.
type session struct {
	w      *world
	actor  *accounts.Principal
	url    string
	auth   string
	client *http.Client
	rnd    *rand.Rand
}

func newSession(ctx context.Context, w *world, seed int64) (*session, func(), error) {
	srv, err := bench.Serve(w.a.Handler)
	if err != nil {
		return nil, nil, err
	}
	c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	token, err := bench.Login(ctx, c, srv.URL)
	if err != nil {
		srv.Close()
		return nil, nil, err
	}
	p, err := w.a.Accounts.Authenticate(ctx, token, accounts.KindAPI)
	if err != nil {
		srv.Close()
		return nil, nil, err
	}
	s := &session{w: w, actor: p, url: srv.URL, auth: "Bearer " + token, client: c, rnd: rand.New(rand.NewPCG(uint64(seed), 7))}
	return s, func() { srv.Close() }, nil
}

// naiveQuery is the baseline: the matrix's cells (team × category:
// people, the year's minutes, the month's) straight from a year of
// service_records, with the ledger's rule of what counts and the teams
// joined for their names, as a Matrix without the rollup would need.
const naiveQuery = `SELECT t.id, t.name, r.category, count(DISTINCT r.volunteer_id), SUM(r.minutes),
	SUM(CASE WHEN r.service_date >= ? THEN r.minutes ELSE 0 END)
	FROM service_records r JOIN teams t ON t.id = r.team_id
	WHERE r.community_id = ? AND r.service_date >= ? AND ` + counted + `
	GROUP BY t.id, t.name, r.category`

type cell struct {
	people         int
	year, month    int64
	teamID         int64
	team, category string
}

func (s *session) naive(ctx context.Context) ([]cell, error) {
	now := s.w.a.Clock.Now().In(clock.Shanghai)
	rows, err := s.w.a.DB.Query(ctx, naiveQuery, now.Format("2006-01")+"-01", s.w.cid, now.Format("2006")+"-01-01")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []cell
	for rows.Next() {
		var c cell
		if err := rows.Scan(&c.teamID, &c.team, &c.category, &c.people, &c.year, &c.month); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func (s *session) ops(f flags) []op {
	now := s.w.a.Clock.Now().In(clock.Shanghai)
	year := now.Format("2006")
	streetOf := s.w.a.Tenancy.StreetOf
	return []op{
		{opMatrixCat, false, f.iters, func(ctx context.Context) error {
			_, err := s.w.a.Hours.Matrix(ctx, s.actor, s.w.cid, "category", streetOf)
			return err
		}},
		{opMatrixGrid, false, f.iters, func(ctx context.Context) error {
			_, err := s.w.a.Hours.Matrix(ctx, s.actor, s.w.cid, "grid", streetOf)
			return err
		}},
		{opSummary, false, f.iters, func(ctx context.Context) error {
			_, err := s.w.a.Hours.Summary(ctx, s.actor, s.w.cid, s.w.vols[s.rnd.IntN(len(s.w.vols))])
			return err
		}},
		{opTotals, false, f.iters, func(ctx context.Context) error {
			_, err := s.w.a.Hours.PeriodTotals(ctx, s.actor, s.w.cid, year+"-01", year+"-12", streetOf)
			return err
		}},
		{opHTTP, false, f.iters, func(ctx context.Context) error {
			_, err := s.get(ctx, "/api/v1/matrix?by=category")
			return err
		}},
		{opNaive, true, f.baselineIters, func(ctx context.Context) error {
			_, err := s.naive(ctx)
			return err
		}},
		{opSelect1, true, f.iters, func(ctx context.Context) error {
			var n int
			return s.w.a.DB.QueryRow(ctx, `SELECT 1`).Scan(&n)
		}},
	}
}

func (s *session) get(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", s.auth)
	res, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %s", path, res.Status, b)
	}
	return b, nil
}

// agree checks that the measured operations compute the same thing: the
// service's matrix, the HTTP one and the baseline's cells, and the year's
// totals. Otherwise the ratio would compare different work.
func (s *session) agree(ctx context.Context) (*hours.Matrix, error) {
	m, err := s.w.a.Hours.Matrix(ctx, s.actor, s.w.cid, "category", s.w.a.Tenancy.StreetOf)
	if err != nil {
		return nil, err
	}
	cells, err := s.naive(ctx)
	if err != nil {
		return nil, err
	}
	col := map[string]int{}
	for i, c := range m.Columns {
		col[c.Key] = i
	}
	row := map[int64]int{}
	for i, r := range m.Rows {
		row[r.TeamID] = i
	}
	var year int64
	for _, c := range cells {
		i, ok1 := row[c.teamID]
		j, ok2 := col[c.category]
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("baseline cell %s × %s is not in the matrix", c.team, c.category)
		}
		got := m.Rows[i].Cells[j]
		if got.People != c.people || got.YearHours != hoursOf(c.year) || got.MonthHours != hoursOf(c.month) {
			return nil, fmt.Errorf("baseline cell %s × %s: %d people %.1f h (month %.1f h), the matrix says %d people %.1f h (month %.1f h)",
				c.team, c.category, c.people, hoursOf(c.year), hoursOf(c.month), got.People, got.YearHours, got.MonthHours)
		}
		year += c.year
	}
	if m.Total.YearHours != hoursOf(year) {
		return nil, fmt.Errorf("the matrix's year total %.1f h, the baseline's %.1f h", m.Total.YearHours, hoursOf(year))
	}
	b, err := s.get(ctx, "/api/v1/matrix?by=category")
	if err != nil {
		return nil, err
	}
	var hm hours.Matrix
	if err := json.Unmarshal(b, &hm); err != nil {
		return nil, fmt.Errorf("GET /api/v1/matrix: %w", err)
	}
	if hm.Total.YearHours != m.Total.YearHours || len(hm.Rows) != len(m.Rows) {
		return nil, fmt.Errorf("GET /api/v1/matrix: year total %.1f h in %d rows, the service's %.1f h in %d rows",
			hm.Total.YearHours, len(hm.Rows), m.Total.YearHours, len(m.Rows))
	}
	t, err := s.w.a.Hours.PeriodTotals(ctx, s.actor, s.w.cid, m.Year+"-01", m.Year+"-12", s.w.a.Tenancy.StreetOf)
	if err != nil {
		return nil, err
	}
	if t.Community != m.Total.YearHours {
		return nil, fmt.Errorf("PeriodTotals of %s: %.1f h, the matrix's year %.1f h", m.Year, t.Community, m.Total.YearHours)
	}
	return m, nil
}

// hoursOf is hours.hoursOf: minutes as hours with one decimal.
func hoursOf(minutes int64) float64 { return math.Round(float64(minutes)/6) / 10 }

// measurement is every latency of every op, round by round.
type measurement struct {
	ops    []op
	rounds []map[string][]time.Duration
	load   [2]string
	httpN  int // bytes of the matrix over HTTP
}

// measure runs warm-up, then rounds alternating the ops, rotating which
// goes first each round so none always follows the same neighbour.
func measure(ctx context.Context, s *session, f flags) (*measurement, error) {
	m := &measurement{ops: s.ops(f)}
	if b, err := s.get(ctx, "/api/v1/matrix?by=category"); err == nil {
		m.httpN = len(b)
	}
	for _, o := range m.ops {
		for range max(3, o.iters/10) {
			if err := o.fn(ctx); err != nil {
				return nil, fmt.Errorf("warm-up %s: %w", o.name, err)
			}
		}
	}
	m.load[0] = bench.LoadAvg()
	for r := range f.rounds {
		lat := map[string][]time.Duration{}
		for k := range m.ops {
			o := m.ops[(k+r)%len(m.ops)]
			ds := make([]time.Duration, 0, o.iters)
			for range o.iters {
				t0 := time.Now()
				if err := o.fn(ctx); err != nil {
					return nil, fmt.Errorf("%s: %w", o.name, err)
				}
				ds = append(ds, time.Since(t0))
			}
			lat[o.name] = ds
			slices.Sort(ds)
			logf("round %d/%d %-46s p50 %8.3f ms  p99 %8.3f ms", r+1, f.rounds, o.name, ms(quantile(ds, 0.5)), ms(quantile(ds, 0.99)))
		}
		m.rounds = append(m.rounds, lat)
	}
	m.load[1] = bench.LoadAvg()
	if f.cpuprofile != "" {
		fh, err := os.Create(f.cpuprofile)
		if err != nil {
			return nil, err
		}
		defer fh.Close()
		if err := pprof.StartCPUProfile(fh); err != nil {
			return nil, err
		}
		for _, o := range m.ops {
			if o.baseline {
				continue
			}
			for range o.iters {
				if err := o.fn(ctx); err != nil {
					pprof.StopCPUProfile()
					return nil, err
				}
			}
		}
		pprof.StopCPUProfile()
	}
	return m, nil
}

// all is every latency of op over all rounds, sorted.
func (m *measurement) all(name string) []time.Duration {
	var out []time.Duration
	for _, r := range m.rounds {
		out = append(out, r[name]...)
	}
	slices.Sort(out)
	return out
}

// perRound is q of op in each round.
func (m *measurement) perRound(name string, q float64) []float64 {
	var out []float64
	for _, r := range m.rounds {
		out = append(out, ms(quantile(r[name], q)))
	}
	return out
}
