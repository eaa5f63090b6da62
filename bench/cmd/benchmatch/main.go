// Command benchmatch measures volunteer suggestions for a request (issue 6
// item 4) against the target of the issue: the top 10 among 10,000
// candidate volunteers in under 10 ms at p99.
//
// It builds the demo's foundation and registry (street, community, grids,
// teams, 4,000 residents in their buildings), bulk-loads -volunteers
// active adults (three in ten of them residents, so they live in a
// building; the others serve a grid) with skills, service categories and
// weekly hours, and -requests requests dispatched to random volunteers
// through the requests service. Then it asks for suggestions on random
// requests, in alternating rounds:
//
//   - warm: the service as the app runs it, the community's volunteers
//     kept for a minute (the usual case: a worker dispatching several);
//
//   - cold: a clock that jumps past that minute on every call, so every
//     call reads all the volunteers, their skills and grids again;
//
//   - baseline: SELECT 1 through the same *db.DB.
//
//     go run ./bench/cmd/benchmatch                  # SQLite file in a temp dir
//     go run ./bench/cmd/benchmatch -db 'postgres://linli:linli@127.0.0.1:5432/linli_test?sslmode=disable'
//
// Every answer is checked: limit suggestions, best first, each score the
// sum of its reasons. It is a measurement, not a test: it exits non-zero
// on errors, never because a figure missed its target.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/linli/linli/bench"
	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/app"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/demo"
	"github.com/linli/linli/internal/matching"
	"github.com/linli/linli/internal/requests"
)

type flags struct {
	db         string
	volunteers int
	requests   int
	rounds     int
	iters      int
	seed       int64
	profile    string
}

func main() {
	var f flags
	flag.StringVar(&f.db, "db", "", "PostgreSQL base URL (a fresh schema is made and dropped); empty: a SQLite file in a temp dir")
	flag.IntVar(&f.volunteers, "volunteers", 10_000, "active adult volunteers in the community")
	flag.IntVar(&f.requests, "requests", 400, "requests dispatched to volunteers")
	flag.IntVar(&f.rounds, "rounds", 3, "measured rounds per kind, alternating")
	flag.IntVar(&f.iters, "iters", 300, "calls per round")
	flag.Int64Var(&f.seed, "seed", 1, "random seed")
	flag.StringVar(&f.profile, "cpuprofile", "", "write a CPU profile of the warm calls here")
	flag.Parse()
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	if err := run(ctx, f, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "benchmatch:", err)
		os.Exit(1)
	}
}

func logf(format string, args ...any) { fmt.Fprintf(os.Stderr, "benchmatch: "+format+"\n", args...) }

// jumping is a clock a minute and more later at every reading: the
// matching service never finds its kept volunteers fresh.
type jumping struct{ n atomic.Int64 }

func (j *jumping) Now() time.Time {
	return time.Now().Add(time.Duration(j.n.Add(1)) * 2 * matching.StaticFor)
}

func run(ctx context.Context, f flags, out io.Writer) error {
	dir, err := os.MkdirTemp("", "linli-benchmatch-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	loc, dbName := "", "SQLite (file in a temp dir)"
	if f.db != "" {
		if !db.IsPostgresURL(f.db) {
			return fmt.Errorf("-db %q is not a postgres:// URL", f.db)
		}
		u, drop, err := bench.PostgresSchema(ctx, f.db)
		if err != nil {
			return err
		}
		defer drop()
		loc, dbName = u, "PostgreSQL (fresh schema, dropped afterwards)"
	}
	loadStart := bench.LoadAvg()
	a, err := bench.NewApp(ctx, dir, loc)
	if err != nil {
		return err
	}
	defer a.Close()
	t0 := time.Now()
	w, err := build(ctx, a, f)
	if err != nil {
		return fmt.Errorf("build: %w", err)
	}
	logf("built in %s: %d candidates, %d requests", time.Since(t0).Round(time.Second), f.volunteers, len(w.reqs))

	warm := a.Matching
	cold := matching.New(a.DB, &jumping{}, a.Requests)
	r := rand.New(rand.NewPCG(uint64(f.seed), 7))
	kinds := []struct {
		name string
		call func() error
	}{
		{"warm", func() error { return w.check(ctx, warm, w.reqs[r.IntN(len(w.reqs))]) }},
		{"cold", func() error { return w.check(ctx, cold, w.reqs[r.IntN(len(w.reqs))]) }},
		{"SELECT 1", func() error {
			var one int
			return a.DB.QueryRow(ctx, `SELECT 1`).Scan(&one)
		}},
	}
	// One unmeasured call of each: the first warm call reads the pool.
	for _, k := range kinds {
		if err := k.call(); err != nil {
			return fmt.Errorf("%s: %w", k.name, err)
		}
	}
	if f.profile != "" {
		pf, err := os.Create(f.profile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
		for range f.iters {
			if err := kinds[0].call(); err != nil {
				return err
			}
		}
		pprof.StopCPUProfile()
		pf.Close()
	}
	res := map[string][]time.Duration{}
	for round := range f.rounds {
		order := slices.Clone(kinds)
		if round%2 == 1 {
			slices.Reverse(order)
		}
		for _, k := range order {
			for range f.iters {
				t := time.Now()
				if err := k.call(); err != nil {
					return fmt.Errorf("%s: %w", k.name, err)
				}
				res[k.name] = append(res[k.name], time.Since(t))
			}
		}
		logf("round %d/%d done", round+1, f.rounds)
	}
	fmt.Fprintf(out, "\n## Volunteer suggestions: top 10 among %d candidates\n\n", f.volunteers)
	fmt.Fprintf(out, "- database: %s; %d requests dispatched to volunteers\n", dbName, len(w.reqs))
	fmt.Fprintf(out, "- %d rounds × %d calls per kind, alternating; load average %s → %s\n\n", f.rounds, f.iters, loadStart, bench.LoadAvg())
	fmt.Fprintln(out, "| kind | p50 ms | p99 ms | max ms |")
	fmt.Fprintln(out, "|---|---:|---:|---:|")
	for _, k := range kinds {
		ds := res[k.name]
		slices.Sort(ds)
		fmt.Fprintf(out, "| %s | %.2f | %.2f | %.2f |\n", k.name, ms(q(ds, 0.5)), ms(q(ds, 0.99)), ms(ds[len(ds)-1]))
	}
	fmt.Fprintln(out, "\nEvery answer checked: 10 suggestions, best first, each score the sum of its reasons.")
	return nil
}

func q(sorted []time.Duration, p float64) time.Duration {
	return sorted[min(len(sorted)-1, int(float64(len(sorted))*p))]
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

type world struct {
	a      *app.App
	cid    int64
	worker *accounts.Principal
	reqs   []int64
}

// check asks for ten suggestions for request id and checks the answer.
func (w *world) check(ctx context.Context, m *matching.Service, id int64) error {
	got, err := m.Suggest(ctx, w.worker, id, 10)
	if err != nil {
		return err
	}
	if len(got) != 10 {
		return fmt.Errorf("request %d: %d suggestions, want 10", id, len(got))
	}
	for i, s := range got {
		sum := 0.0
		for _, r := range s.Reasons {
			sum += r.Points
		}
		if d := sum - s.Score; d > 0.5 || d < -0.5 {
			return fmt.Errorf("request %d: volunteer %d scores %v, its reasons add to %v", id, s.VolunteerID, s.Score, sum)
		}
		if i > 0 && s.Score > got[i-1].Score {
			return fmt.Errorf("request %d: suggestions out of order", id)
		}
	}
	return nil
}

var skillNames = []string{"家电维修", "水电维修", "医护", "绘画", "编程", "舞蹈", "摄影", "手机教学", "书法", "理发", "法律咨询", "心理疏导", "烹饪", "缝纫", "园艺", "手工", "驾驶", "英语"}

var serviceCats = []string{"community", "elderly", "disabled", "children", "education", "health", "culture", "environment", "safety", "emergency", "civic", "convenience"}

func build(ctx context.Context, a *app.App, f flags) (*world, error) {
	r := rand.New(rand.NewPCG(uint64(f.seed), 20261201))
	now := time.Now()
	s := &demo.Seeder{DB: a.DB, Accounts: a.Accounts, Tenancy: a.Tenancy, Notify: a.Notify, Registry: a.Registry, Calendar: a.Calendar,
		Anchor: now, Seed: f.seed, Password: bench.Password,
		Skip: map[string]bool{demo.VolunteersStep: true, demo.HoursStep: true, demo.PointsStep: true, demo.ActivitiesStep: true, demo.RequestsStep: true}}
	if err := s.Run(ctx); err != nil {
		return nil, fmt.Errorf("demo foundation and registry: %w", err)
	}
	w := &world{a: a, cid: s.CommunityID}
	var workerID int64
	if err := a.DB.QueryRow(ctx, `SELECT id FROM accounts WHERE username = ?`, bench.User).Scan(&workerID); err != nil {
		return nil, err
	}
	acct, err := a.Accounts.FindAccount(ctx, workerID)
	if err != nil {
		return nil, err
	}
	w.worker = &accounts.Principal{AccountID: acct.ID, Username: acct.Username, DisplayName: acct.DisplayName, Grants: acct.Grants}
	// Adult residents to be volunteers: three in ten candidates.
	adult := now.In(clock.Shanghai).AddDate(-18, 0, 0).Format(time.DateOnly)
	rows, err := a.DB.Query(ctx, `SELECT id FROM residents WHERE community_id = ? AND NOT child AND moved_out_at IS NULL AND birth_date <= ? ORDER BY id`, w.cid, adult)
	if err != nil {
		return nil, err
	}
	var residents []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		residents = append(residents, id)
	}
	rows.Close()
	r.Shuffle(len(residents), func(i, j int) { residents[i], residents[j] = residents[j], residents[i] })
	residents = residents[:min(len(residents), f.volunteers*3/10)]
	err = a.DB.InTx(ctx, func(tx *db.Tx) error {
		skill := map[string]int64{}
		for _, n := range skillNames {
			var id int64
			if err := tx.QueryRow(ctx, `INSERT INTO skills (community_id, name, created_at) VALUES (?, ?, ?) RETURNING id`, w.cid, n, now).Scan(&id); err != nil {
				return err
			}
			skill[n] = id
		}
		for i := range f.volunteers {
			var rid any
			name, birth := "", any(nil)
			if i < len(residents) {
				rid = residents[i]
			} else {
				name, birth = fmt.Sprintf("志愿者%05d", i), fmt.Sprintf("%d-%02d-%02d", 1950+r.IntN(50), 1+r.IntN(12), 1+r.IntN(28))
			}
			cats := []string{serviceCats[r.IntN(len(serviceCats))]}
			if r.IntN(3) == 0 {
				cats = append(cats, serviceCats[r.IntN(len(serviceCats))])
			}
			var id int64
			if err := tx.QueryRow(ctx, `INSERT INTO volunteers (community_id, number, resident_id, name, birth_date, categories, availability, registered_via, registered_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, 'worker', ?, ?) RETURNING id`, w.cid, fmt.Sprintf("BM-%05d", i), rid, name, birth,
				strings.Join(slices.Compact(cats), ","), r.Int64N(1<<21), now, now).Scan(&id); err != nil {
				return fmt.Errorf("volunteer %d: %w", i, err)
			}
			for _, k := range r.Perm(len(skillNames))[:1+r.IntN(3)] {
				if _, err := tx.Exec(ctx, `INSERT INTO volunteer_skills (volunteer_id, skill_id) VALUES (?, ?)`, id, skill[skillNames[k]]); err != nil {
					return err
				}
			}
			if rid == nil {
				if _, err := tx.Exec(ctx, `INSERT INTO volunteer_grids (volunteer_id, grid_id) VALUES (?, ?)`, id, s.Grids[r.IntN(len(s.Grids))]); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Requests in random buildings and categories, each accepted and
	// dispatched to a random volunteer.
	cats, err := a.Requests.Categories(ctx, w.worker, w.cid)
	if err != nil {
		return nil, err
	}
	var buildings []int64
	rows, err = a.DB.Query(ctx, `SELECT b.id FROM buildings b JOIN estates e ON e.id = b.estate_id WHERE e.community_id = ? ORDER BY b.id`, w.cid)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		buildings = append(buildings, id)
	}
	rows.Close()
	var vids []int64
	rows, err = a.DB.Query(ctx, `SELECT id FROM volunteers WHERE community_id = ?`, w.cid)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		vids = append(vids, id)
	}
	rows.Close()
	for i := range f.requests {
		c := cats[r.IntN(len(cats))]
		rq, err := a.Requests.Submit(ctx, w.worker, w.cid, requests.Input{Channel: requests.ChannelPhone, Kind: requests.KindHelp,
			CategoryID: c.ID, BuildingID: buildings[r.IntN(len(buildings))], Description: fmt.Sprintf("基准测试诉求 %d", i),
			Urgency: requests.UrgencyGeneral, ContactName: "王大爷", ContactPhone: "13900001111"})
		if err != nil {
			return nil, fmt.Errorf("submit: %w", err)
		}
		if _, err := a.Requests.Do(ctx, w.worker, rq.ID, requests.Step{Action: requests.ActAccept}); err != nil {
			return nil, err
		}
		if i%4 != 0 { // a quarter stay undispatched
			h := &requests.Handler{Kind: requests.HandlerVolunteer, ID: vids[r.IntN(len(vids))]}
			if _, err := a.Requests.Do(ctx, w.worker, rq.ID, requests.Step{Action: requests.ActDispatch, Handler: h}); err != nil {
				return nil, err
			}
		}
		w.reqs = append(w.reqs, rq.ID)
	}
	return w, nil
}
