package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/linli/linli/bench"
	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/app"
	"github.com/linli/linli/internal/demo/gen"
	"github.com/linli/linli/internal/registry"
	"github.com/linli/linli/internal/sheets"
)

// The measured kinds of search, and their bare counterparts: one indexed
// query on residents alone, no joins, no count, nothing to open.
const (
	byName     = "List: name prefix"
	byID       = "List: whole ID number"
	bareName   = "bare: name range on residents"
	bareID     = "bare: id_bidx lookup on residents"
	warmupRuns = 50
)

var kinds = []string{byName, byID, bareName, bareID}

type searchResult struct {
	loaded      bool // false: an existing -search-db was reused
	load        time.Duration
	loadCPU     time.Duration
	communities int
	residents   int // living residents in the whole database
	community   string
	members     int // living residents in the searched community
	dbBytes     int64
	analyzed    bool
	limit       int
	lat         map[string][]time.Duration
	nameTotals  []int
	mismatches  []string
	plans       []string
	loadAvg     [2]string // start and end of the load
	searchAvg   [2]string // start and end of the measured searches
}

// sample is what the searches pick from: the searched community's people
// as its admin would type them.
type sample struct {
	names  []string // real names (a child's too), from an export with reveal
	ids    []string // 18-character ID card numbers
	stored []string // residents.name as stored (a child's masked)
	bidx   []string // residents.id_bidx, for the bare lookup
}

func runSearch(ctx context.Context, e *env, f flags) (*searchResult, error) {
	res := &searchResult{lat: map[string][]time.Duration{}, limit: f.limit}
	a, err := searchApp(ctx, e, f)
	if err != nil {
		return nil, err
	}
	defer a.Close()
	cids, err := benchCommunities(ctx, a)
	if err != nil {
		return nil, err
	}
	if len(cids) == 0 {
		res.loaded = true
		if cids, err = loadCity(ctx, a, f, res); err != nil {
			return nil, err
		}
	} else {
		logf("search: reusing %s with %d communities", a.Config.DatabaseURL, len(cids))
	}
	res.communities = len(cids)
	if err := a.DB.QueryRow(ctx, `SELECT count(*) FROM residents WHERE moved_out_at IS NULL`).Scan(&res.residents); err != nil {
		return nil, err
	}
	k := f.community
	if k < 0 || k >= len(cids) {
		k = len(cids) / 2
	}
	cid := cids[k]
	if err := a.DB.QueryRow(ctx, `SELECT name FROM communities WHERE id = ?`, cid).Scan(&res.community); err != nil {
		return nil, err
	}
	res.community = fmt.Sprintf("%s (community %d of %d)", res.community, k+1, len(cids))
	s, err := sampleOf(ctx, a, cid)
	if err != nil {
		return nil, err
	}
	res.members = len(s.stored)
	if len(s.names) == 0 || len(s.ids) == 0 || len(s.bidx) == 0 {
		return nil, fmt.Errorf("community %d has nothing to search for", cid)
	}
	if f.analyze {
		logf("search: ANALYZE…")
		if _, err := a.DB.Exec(ctx, `ANALYZE`); err != nil {
			return nil, err
		}
		res.analyzed = true
	}
	if err := searchLoop(ctx, a, cid, s, f, res); err != nil {
		return nil, err
	}
	res.plans, err = plans(ctx, a, cid, s)
	if err != nil {
		return nil, err
	}
	if e.postgres() {
		_ = a.DB.QueryRow(ctx, `SELECT COALESCE(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c
			JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind = 'r'`).Scan(&res.dbBytes)
	} else {
		res.dbBytes = fileSize(a.Config.DatabaseURL)
	}
	return res, nil
}

// searchApp opens the search database: -search-db if given (created when
// missing), else a fresh one.
func searchApp(ctx context.Context, e *env, f flags) (*app.App, error) {
	if f.searchDB == "" {
		return e.app(ctx)
	}
	if err := os.MkdirAll(filepath.Dir(f.searchDB), 0o700); err != nil {
		return nil, err
	}
	return bench.NewApp(ctx, e.dir, f.searchDB)
}

func benchCommunities(ctx context.Context, a *app.App) ([]int64, error) {
	rows, err := a.DB.Query(ctx, `SELECT id FROM communities WHERE code LIKE 'bench-%' ORDER BY code`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// loadCity loads the generated city the way `linli gen` does.
func loadCity(ctx context.Context, a *app.App, f flags, res *searchResult) ([]int64, error) {
	n := bench.CommunitiesFor(f.residents)
	anchor := bench.Anchor()
	logf("search: generating %d communities…", n)
	city := gen.City(n, f.seed, anchor)
	logf("search: loading them like `linli gen --communities %d` (one transaction each)…", n)
	res.loadAvg[0] = bench.LoadAvg()
	t0, c0 := time.Now(), cpuTime()
	ids, _, err := bench.LoadCity(ctx, a, city, anchor, func(done, residents int) {
		if done%10 == 0 || done == n {
			el := time.Since(t0)
			logf("search: %d/%d communities, %d residents, %s, %.0f residents/s, load average %s",
				done, n, residents, el.Round(time.Second), float64(residents)/el.Seconds(), bench.LoadAvg())
		}
	})
	res.load, res.loadCPU, res.loadAvg[1] = time.Since(t0), cpuTime()-c0, bench.LoadAvg()
	return ids, err
}

var idCardRE = regexp.MustCompile(`^[0-9]{17}[0-9X]$`)

// sampleOf reads the community's people: what is stored, and — through an
// export with reveal, as a worker would read them off a form — their real
// names and ID numbers.
func sampleOf(ctx context.Context, a *app.App, cid int64) (*sample, error) {
	s := &sample{}
	rows, err := a.DB.Query(ctx, `SELECT name, COALESCE(id_bidx, '') FROM residents WHERE community_id = ? AND moved_out_at IS NULL`, cid)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var name, bidx string
		if err := rows.Scan(&name, &bidx); err != nil {
			rows.Close()
			return nil, err
		}
		s.stored = append(s.stored, name)
		if bidx != "" {
			s.bidx = append(s.bidx, bidx)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := a.Registry.Export(ctx, accounts.Console("bench"), registry.ExportOptions{Filter: registry.Filter{CommunityID: cid},
		Format: sheets.CSV, Reveal: true, Reason: "benchmark search sample"}, &buf); err != nil {
		return nil, err
	}
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(buf.Bytes(), []byte("\uFEFF")))).ReadAll()
	if err != nil {
		return nil, err
	}
	for _, r := range recs[1:] {
		if len(r) < 8 {
			continue
		}
		if r[4] != "" {
			s.names = append(s.names, r[4])
		}
		if idCardRE.MatchString(r[7]) {
			s.ids = append(s.ids, r[7])
		}
	}
	return s, nil
}

// prefix is the first one or two characters of a name, as a worker types
// the surname, or the surname and the first given character.
func prefix(rnd *rand.Rand, name string) string {
	rs := []rune(name)
	n := 1
	if len(rs) > 1 && rnd.IntN(2) == 1 {
		n = 2
	}
	return string(rs[:n])
}

func countPrefix(stored []string, p string) int {
	n := 0
	for _, s := range stored {
		if strings.HasPrefix(s, p) {
			n++
		}
	}
	return n
}

// searchLoop runs the four kinds one after another, in an order rotated
// every time, so whatever else the cores do hits all of them alike. Each
// search is a fresh random choice.
func searchLoop(ctx context.Context, a *app.App, cid int64, s *sample, f flags, res *searchResult) error {
	actor := &accounts.Principal{AccountID: 1, Username: "bench-admin", SessionKind: "web",
		Grants: []accounts.Grant{{Role: accounts.Admin, CommunityID: cid}}}
	rnd := rand.New(rand.NewPCG(uint64(f.seed), uint64(cid)))
	run := func(kind string, check bool) (time.Duration, error) {
		switch kind {
		case byName, byID:
			q := prefix(rnd, s.names[rnd.IntN(len(s.names))])
			if kind == byID {
				q = s.ids[rnd.IntN(len(s.ids))]
			}
			t0 := time.Now()
			page, total, err := a.Registry.List(ctx, actor, registry.Filter{CommunityID: cid, Query: q, Limit: f.limit})
			d := time.Since(t0)
			if err != nil {
				return 0, err
			}
			if !check {
				return d, nil
			}
			if kind == byID && (total != 1 || len(page) != 1) {
				res.mismatches = append(res.mismatches, fmt.Sprintf("ID %s…: %d found", q[:6], total))
			}
			if kind == byName {
				res.nameTotals = append(res.nameTotals, total)
				// A child's stored name is masked, and found by the
				// whole real name through its blind index: a two-
				// character query may find one more than the prefix.
				if want := countPrefix(s.stored, q); total < want || total > want+1 || len(page) != min(total, f.limit) {
					res.mismatches = append(res.mismatches, fmt.Sprintf("%q: %d found, %d names start so, page of %d", q, total, want, len(page)))
				}
			}
			return d, nil
		case bareName:
			q := prefix(rnd, s.names[rnd.IntN(len(s.names))])
			c := byteOrder(a.DB.Dialect()) // the name index compares bytes
			return bareQuery(ctx, a, `SELECT r.id, r.name FROM residents r WHERE r.community_id = ? AND r.moved_out_at IS NULL
				AND r.name`+c+` >= ? AND r.name`+c+` < ? ORDER BY r.name`+c+` LIMIT ?`, cid, q, q+"\U0010FFFF", f.limit)
		case bareID:
			return bareQuery(ctx, a, `SELECT r.id, r.name FROM residents r WHERE r.community_id = ? AND r.id_bidx = ?`, cid, s.bidx[rnd.IntN(len(s.bidx))])
		}
		return 0, errors.New("unknown kind " + kind)
	}
	logf("search: warm-up, %d of each kind…", warmupRuns)
	for range warmupRuns {
		for _, k := range kinds {
			if _, err := run(k, false); err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
		}
	}
	logf("search: %d of each kind in community %s…", f.searches, res.community)
	res.searchAvg[0] = bench.LoadAvg()
	for i := range f.searches {
		for j := range kinds {
			k := kinds[(i+j)%len(kinds)]
			d, err := run(k, true)
			if err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
			res.lat[k] = append(res.lat[k], d)
		}
	}
	for _, k := range kinds {
		slices.Sort(res.lat[k])
	}
	res.searchAvg[1] = bench.LoadAvg()
	return nil
}

func bareQuery(ctx context.Context, a *app.App, q string, args ...any) (time.Duration, error) {
	t0 := time.Now()
	rows, err := a.DB.Query(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	n := 0
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			rows.Close()
			return 0, err
		}
		n++
	}
	rows.Close()
	return time.Since(t0), rows.Err()
}

func (res *searchResult) report(w io.Writer, e *env) {
	fmt.Fprintf(w, "\n### Search among %d residents\n\n", res.residents)
	if res.loaded {
		fmt.Fprintf(w, "- database: %d communities, %d residents, loaded like `linli gen --communities %d` in **%s** (%.0f residents/s; this process's CPU %s; load average %s → %s)\n",
			res.communities, res.residents, res.communities, res.load.Round(time.Second), float64(res.residents)/res.load.Seconds(),
			res.loadCPU.Round(time.Second), res.loadAvg[0], res.loadAvg[1])
	} else {
		fmt.Fprintf(w, "- database: %d communities, %d residents, reused from -search-db (load not timed in this run)\n", res.communities, res.residents)
	}
	fmt.Fprintf(w, "- size: %.0f MB (%s)\n", float64(res.dbBytes)/(1<<20), map[bool]string{true: "tables and indexes of the schema", false: "SQLite file and WAL"}[e.postgres()])
	fmt.Fprintf(w, "- searched: %s, %d living residents; the search is scoped to it (r.community_id = ?)\n", res.community, res.members)
	fmt.Fprintf(w, "- actor: a Principal with an admin grant of that community; page of %d; ANALYZE run first: %v\n", res.limit, res.analyzed)
	fmt.Fprintf(w, "- %d searches of each kind after %d unmeasured, one at a time, the four kinds rotated; load average %s → %s\n",
		len(res.lat[byName]), warmupRuns, res.searchAvg[0], res.searchAvg[1])
	fmt.Fprintf(w, "- name prefix: 1 or 2 characters of a random resident's real name; ID number: a random resident's whole ID card number\n\n")
	fmt.Fprintln(w, "| search | p50 ms | p90 ms | p99 ms | max ms | p99 vs 20 ms |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---|")
	for _, k := range kinds {
		l := res.lat[k]
		verdict := "meets"
		if quantile(l, 0.99) >= 20*time.Millisecond {
			verdict = "**misses**"
		}
		if strings.HasPrefix(k, "bare") {
			verdict = "(baseline)"
		}
		fmt.Fprintf(w, "| %s | %.2f | %.2f | %.2f | %.2f | %s |\n", k, ms(quantile(l, 0.5)), ms(quantile(l, 0.9)),
			ms(quantile(l, 0.99)), ms(l[len(l)-1]), verdict)
	}
	fmt.Fprintln(w)
	for _, p := range [][2]string{{byName, bareName}, {byID, bareID}} {
		fmt.Fprintf(w, "- %s vs %s: p50 ratio bare/List %.2f, p99 %.2f\n", p[0], p[1],
			ms(quantile(res.lat[p[1]], 0.5))/ms(quantile(res.lat[p[0]], 0.5)), ms(quantile(res.lat[p[1]], 0.99))/ms(quantile(res.lat[p[0]], 0.99)))
	}
	t := slices.Clone(res.nameTotals)
	slices.Sort(t)
	if len(t) > 0 {
		fmt.Fprintf(w, "- residents found by a name prefix: median %d, p90 %d, max %d\n", t[len(t)/2], t[len(t)*9/10], t[len(t)-1])
	}
	fmt.Fprintf(w, "- results checked (ID: exactly one; name: the count of stored names with the prefix): %d wrong\n", len(res.mismatches))
	for i, m := range res.mismatches {
		if i == 5 {
			break
		}
		fmt.Fprintf(w, "  - %s\n", m)
	}
	fmt.Fprintf(w, "\nPlans of the statements List runs (copied from internal/registry/service.go):\n\n```\n%s```\n", strings.Join(res.plans, ""))
}
