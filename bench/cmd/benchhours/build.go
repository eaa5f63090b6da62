package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/linli/linli/bench"
	"github.com/linli/linli/internal/app"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/demo"
	"github.com/linli/linli/internal/volunteers"
)

// The eleven teams of the demo foundation, in the order it creates them:
// the category each serves most, a second and third it also serves, and
// its weight (the demo's member counts), which sets its share of the
// volunteers and of the sessions.
var teamPlan = []struct {
	main, second, third string
	weight              int
}{
	{"children", "education", "culture", 46},
	{"environment", "community", "safety", 30},
	{"environment", "community", "convenience", 36},
	{"community", "safety", "elderly", 56},
	{"convenience", "elderly", "community", 20},
	{"elderly", "disabled", "health", 38},
	{"health", "elderly", "disabled", 24},
	{"education", "elderly", "culture", 24},
	{"civic", "community", "emergency", 52},
	{"culture", "children", "elderly", 34},
	{"convenience", "emergency", "elderly", 20},
}

// world is the built community and what the measurements need of it.
type world struct {
	a      *app.App
	cid    int64
	grids  []int64
	teams  []int64 // in teamPlan order
	vols   []int64
	worker int64 // the worker's account, recorded_by of every record

	// Counts of what was written, for the report and the checks.
	records, reversals, batches, confirmed, refused, pending int
	memberships, gridRows, rollupRows                        int
	yearRecords                                              int
	countedMinutes, countedRecords                           int64 // expected from the generator
	from, to                                                 time.Time
	phases                                                   []phase
}

type phase struct {
	name string
	took time.Duration
}

func (w *world) timed(name string, fn func() error) error {
	t0 := time.Now()
	err := fn()
	w.phases = append(w.phases, phase{name, time.Since(t0)})
	logf("build: %s %s", name, time.Since(t0).Round(time.Millisecond))
	return err
}

// member is one current or past team membership.
type member struct {
	vid          int64
	joined, left string // left "" while a member
}

// build makes the community with the demo's foundation step (street,
// community, 8 grids, 11 teams, the demo logins), then bulk-loads the
// volunteers, their teams and grids, the service records with their
// batches, decisions and reversals, and the rollup aggregated from the
// ledger, and checks the rollup against what the generator counted.
func build(ctx context.Context, a *app.App, f flags) (*world, error) {
	w := &world{a: a}
	rnd := rand.New(rand.NewPCG(uint64(f.seed), 20261201))
	now := time.Now()
	today := now.In(clock.Shanghai)
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, clock.Shanghai)
	w.to, w.from = today, today.AddDate(0, -f.months, 0)

	err := w.timed("foundation (demo.Seeder: street, community, grids, teams, logins, calendar)", func() error {
		s := &demo.Seeder{DB: a.DB, Accounts: a.Accounts, Tenancy: a.Tenancy, Notify: a.Notify, Registry: a.Registry, Calendar: a.Calendar,
			Anchor: now, Seed: f.seed, Password: bench.Password,
			Skip: map[string]bool{demo.RegistryStep: true, demo.VolunteersStep: true, demo.HoursStep: true, demo.PointsStep: true, demo.ActivitiesStep: true, demo.RequestsStep: true}}
		if err := s.Run(ctx); err != nil {
			return err
		}
		w.cid, w.grids = s.CommunityID, s.Grids
		rows, err := a.DB.Query(ctx, `SELECT id FROM teams WHERE community_id = ? ORDER BY id`, w.cid)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			w.teams = append(w.teams, id)
		}
		rows.Close()
		if len(w.teams) != len(teamPlan) {
			return fmt.Errorf("the foundation made %d teams, want %d", len(w.teams), len(teamPlan))
		}
		for i, id := range w.teams {
			if _, err := a.DB.Exec(ctx, `UPDATE teams SET category = ? WHERE id = ?`, teamPlan[i].main, id); err != nil {
				return err
			}
		}
		return a.DB.QueryRow(ctx, `SELECT id FROM accounts WHERE username = ?`, bench.User).Scan(&w.worker)
	})
	if err != nil {
		return nil, err
	}

	var byTeam [][]member
	err = w.timed(fmt.Sprintf("%d volunteers, team_members, volunteer_grids", f.volunteers), func() error {
		var err error
		byTeam, err = w.loadVolunteers(ctx, rnd, f.volunteers, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	var gen *generated
	err = w.timed(fmt.Sprintf("%d service_records and record_batches", f.records), func() error {
		gen = w.generate(rnd, byTeam, f.records, now)
		return w.loadRecords(ctx, gen)
	})
	if err != nil {
		return nil, err
	}
	err = w.timed("record_decisions and reversals", func() error { return w.loadCorrections(ctx, gen) })
	if err != nil {
		return nil, err
	}
	err = w.timed("hours_rollup (INSERT … SELECT from the ledger)", func() error { return w.loadRollup(ctx) })
	if err != nil {
		return nil, err
	}
	if a.DB.Dialect() == db.Postgres || f.analyze {
		// PostgreSQL's autovacuum analyzes tables this size within a
		// minute of the load; doing it now keeps the plan from changing
		// in the middle of the measurement. SQLite analyzes nothing on its
		// own and Linli never asks it to, so only -analyze does there.
		err = w.timed("ANALYZE", func() error { _, err := a.DB.Exec(ctx, `ANALYZE`); return err })
		if err != nil {
			return nil, err
		}
	}
	return w, w.check(ctx)
}

var (
	surnames = []rune("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段漕钱汤尹黎易常武乔贺赖龚文")
	given    = []rune("建国华芳伟敏静丽强磊军洋勇艳杰娟涛明超秀英霞平刚桂兰玉珍凤云红梅鹏飞志宏海燕春雪东亮晓晨欣怡子涵浩宇文博思远佳琪")
)

func chineseName(r *rand.Rand) string {
	n := string(surnames[r.IntN(len(surnames))]) + string(given[r.IntN(len(given))])
	if r.IntN(3) > 0 {
		n += string(given[r.IntN(len(given))])
	}
	return n
}

func weighted(r *rand.Rand) int {
	total := 0
	for _, t := range teamPlan {
		total += t.weight
	}
	n := r.IntN(total)
	for i, t := range teamPlan {
		if n < t.weight {
			return i
		}
		n -= t.weight
	}
	return len(teamPlan) - 1
}

// insertRows writes rows with multi-row INSERTs of up to per rows each.
func insertRows(ctx context.Context, tx *db.Tx, head string, cols int, rows [][]any, per int) error {
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", cols), ", ") + ")"
	for i := 0; i < len(rows); i += per {
		chunk := rows[i:min(i+per, len(rows))]
		args := make([]any, 0, len(chunk)*cols)
		for _, r := range chunk {
			args = append(args, r...)
		}
		q := head + " VALUES " + strings.TrimSuffix(strings.Repeat(one+", ", len(chunk)), ", ")
		if _, err := tx.Exec(ctx, q, args...); err != nil {
			return fmt.Errorf("%s: %w", strings.Fields(head)[2], err)
		}
	}
	return nil
}

// loadVolunteers writes n outside adults, each in one team (three in ten
// in two), one grid (one in twelve in two). Most joined before the window;
// some joined during it, and some left a team during it. It returns each
// team's memberships.
func (w *world) loadVolunteers(ctx context.Context, r *rand.Rand, n int, now time.Time) ([][]member, error) {
	day := func(t time.Time) string { return t.In(clock.Shanghai).Format(time.DateOnly) }
	var vrows [][]any
	for i := range n {
		cats := teamPlan[r.IntN(len(teamPlan))].main
		gender := []string{"男", "女"}[r.IntN(2)]
		birth := fmt.Sprintf("%d-%02d-%02d", 1950+r.IntN(50), 1+r.IntN(12), 1+r.IntN(28))
		at := now.AddDate(-2-r.IntN(5), 0, -r.IntN(300)).UTC()
		vrows = append(vrows, []any{w.cid, fmt.Sprintf("BH%06d", i+1), chineseName(r), gender, birth, cats, r.IntN(128),
			"active", volunteers.ViaWorker, w.worker, at, at})
	}
	byTeam := make([][]member, len(teamPlan))
	err := w.a.DB.InTx(ctx, func(tx *db.Tx) error {
		if err := insertRows(ctx, tx, `INSERT INTO volunteers (community_id, number, name, gender, birth_date, categories, availability,
			status, registered_via, registered_by, registered_at, updated_at)`, 12, vrows, 200); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT id FROM volunteers WHERE community_id = ? ORDER BY number`, w.cid)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			w.vols = append(w.vols, id)
		}
		rows.Close()
		if len(w.vols) != n {
			return fmt.Errorf("wrote %d volunteers, read back %d", n, len(w.vols))
		}
		var mrows, grows [][]any
		span := int(w.to.Sub(w.from).Hours() / 24)
		for _, vid := range w.vols {
			teams := []int{weighted(r)}
			if r.IntN(10) < 3 {
				if t := weighted(r); t != teams[0] {
					teams = append(teams, t)
				}
			}
			for _, t := range teams {
				m := member{vid: vid, joined: day(w.from.AddDate(0, 0, -30-r.IntN(1500)))}
				if r.IntN(100) < 15 { // joined during the window
					m.joined = day(w.from.AddDate(0, 0, r.IntN(span)))
				}
				if r.IntN(100) < 6 { // left a team during the window
					if l := day(w.from.AddDate(0, 0, r.IntN(span))); l > m.joined {
						m.left = l
					}
				}
				role := "member"
				if len(byTeam[t]) == 0 {
					role = "leader"
				}
				byTeam[t] = append(byTeam[t], m)
				var left any
				if m.left != "" {
					left = m.left
				}
				mrows = append(mrows, []any{w.cid, w.teams[t], vid, role, m.joined, left, w.worker, now.UTC()})
			}
			g := r.IntN(len(w.grids))
			grows = append(grows, []any{vid, w.grids[g]})
			if r.IntN(12) == 0 {
				grows = append(grows, []any{vid, w.grids[(g+1+r.IntN(len(w.grids)-1))%len(w.grids)]})
			}
		}
		w.memberships, w.gridRows = len(mrows), len(grows)
		if err := insertRows(ctx, tx, `INSERT INTO team_members (community_id, team_id, volunteer_id, role, joined_on, left_on, added_by, created_at)`,
			8, mrows, 250); err != nil {
			return err
		}
		return insertRows(ctx, tx, `INSERT INTO volunteer_grids (volunteer_id, grid_id)`, 2, grows, 500)
	})
	return byTeam, err
}

// generated is the ledger to write.
type generated struct {
	records [][]any  // service_records rows
	batches [][]any  // record_batches rows
	confirm []string // batches of back-fills a leader confirmed
	refuse  []string // ... or refused
	reverse []reversal
}

type reversal struct {
	batch, date string
	vid         int64
}

var activities = []string{"例行服务", "主题活动", "入户走访", "集中服务日", "培训", "巡查", "节日慰问"}

// generate makes sessions until there are n records: a team (by weight)
// on a day of the window, 3 to about 40% of its members of that day,
// everyone the same hours. One session in twelve is a back-fill (those
// older than two weeks decided, nine in ten confirmed); one in a hundred a
// check-in sheet; four in a hundred recorded late. One record in three
// hundred is later reversed.
func (w *world) generate(r *rand.Rand, byTeam [][]member, n int, now time.Time) *generated {
	g := &generated{}
	span := int(w.to.Sub(w.from).Hours() / 24)
	year := w.to.Format("2006") + "-01-01"
	organiser := "建胜路社区居民委员会"
	for len(g.records) < n {
		t := weighted(r)
		d := w.from.AddDate(0, 0, r.IntN(span+1))
		date := d.Format(time.DateOnly)
		var present []int64
		for _, m := range byTeam[t] {
			if m.joined <= date && (m.left == "" || m.left >= date) {
				present = append(present, m.vid)
			}
		}
		if len(present) == 0 {
			continue
		}
		r.Shuffle(len(present), func(i, j int) { present[i], present[j] = present[j], present[i] })
		k := min(len(present), 3+r.IntN(max(1, len(present)*2/5)), n-len(g.records))
		present = present[:k]
		cat := teamPlan[t].main
		switch x := r.IntN(10); {
		case x == 8:
			cat = teamPlan[t].second
		case x == 9:
			cat = teamPlan[t].third
		}
		startMin := (6+r.IntN(14))*60 + 30*r.IntN(2)
		dur := 60 + 30*r.IntN(7)
		start := d.Add(time.Duration(startMin) * time.Minute)
		end := start.Add(time.Duration(dur) * time.Minute)
		if !end.Before(now) {
			continue // not yet over
		}
		captured := "roster"
		at := d.Add(time.Duration(18+r.IntN(3))*time.Hour).AddDate(0, 0, r.IntN(4))
		late, flags := false, ""
		switch x := r.IntN(100); {
		case x < 4:
			at, late, flags = d.AddDate(0, 0, 16+r.IntN(10)).Add(10*time.Hour), true, "late"
		case x < 12:
			captured = "backfill"
			at = d.AddDate(0, 0, 3+r.IntN(5)).Add(16 * time.Hour)
		case x < 13:
			captured = "checkin"
			at = end.Add(5 * time.Minute)
		}
		if at.After(now) {
			at = now.Add(-time.Minute)
		}
		var b [8]byte
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		batch := hex.EncodeToString(b[:])
		name := fmt.Sprintf("%s·%s", activities[r.IntN(len(activities))], date[5:])
		due := d.AddDate(0, 0, 14).Format(time.DateOnly) // ten working days, about
		inCharge := chineseName(r)
		counts := captured != "backfill"
		if captured == "backfill" && at.Before(now.AddDate(0, 0, -14)) {
			if r.IntN(10) == 0 {
				g.refuse = append(g.refuse, batch)
			} else {
				g.confirm = append(g.confirm, batch)
				counts = true
			}
		} else if captured == "backfill" {
			w.pending += k
		}
		for _, vid := range present {
			g.records = append(g.records, []any{w.cid, vid, w.teams[t], name, date, "建胜路社区", "服务内容：" + name, start.UTC(), end.UTC(),
				dur, organiser, inCharge, cat, captured, "", nil, batch, w.worker, at.UTC(), due, late, flags})
			if date >= year {
				w.yearRecords++
			}
			if counts {
				w.countedMinutes += int64(dur)
				w.countedRecords++
				if captured == "roster" && r.IntN(300) == 0 {
					g.reverse = append(g.reverse, reversal{batch, date, vid})
					w.countedMinutes -= int64(dur)
					w.countedRecords--
					if date >= year {
						w.yearRecords++
					}
				}
			}
		}
		g.batches = append(g.batches, []any{batch, w.cid, w.teams[t], cat, name, date, k, at.UTC()})
	}
	w.records, w.batches, w.reversals = len(g.records), len(g.batches), len(g.reverse)
	return g
}

// loadRecords writes the records and batches, 10,000 records to a
// transaction.
func (w *world) loadRecords(ctx context.Context, g *generated) error {
	const perTx = 10_000
	for i := 0; i < len(g.records); i += perTx {
		err := w.a.DB.InTx(ctx, func(tx *db.Tx) error {
			return insertRows(ctx, tx, `INSERT INTO service_records (community_id, volunteer_id, team_id, activity_name, service_date, place, content,
				started_at, ended_at, minutes, organiser, person_in_charge, category, captured, serves_kind, serves_id, batch,
				recorded_by, recorded_at, due_on, late, flags)`, 22, g.records[i:min(i+perTx, len(g.records))], 200)
		})
		if err != nil {
			return err
		}
	}
	return w.a.DB.InTx(ctx, func(tx *db.Tx) error {
		return insertRows(ctx, tx, `INSERT INTO record_batches (batch, community_id, team_id, category, activity_name, service_date, people, recorded_at)`,
			8, g.batches, 500)
	})
}

// loadCorrections writes the leaders' decisions on old back-fills and the
// reversing entries, as Decide and Reverse would.
func (w *world) loadCorrections(ctx context.Context, g *generated) error {
	// "+reverses_id": without ANALYZE, SQLite takes the unique index on
	// reverses_id for IS NULL, which matches every record but the
	// reversals; the unary plus keeps it to the volunteer's index.
	return w.a.DB.InTx(ctx, func(tx *db.Tx) error {
		// service_records has no index on batch (the service never looks
		// records up by it): decide the batches 500 to a statement.
		for _, set := range []struct {
			decision string
			batches  []string
		}{{"confirm", g.confirm}, {"refuse", g.refuse}} {
			for i := 0; i < len(set.batches); i += 500 {
				chunk := set.batches[i:min(i+500, len(set.batches))]
				args := []any{set.decision, w.worker}
				for _, b := range chunk {
					args = append(args, b)
				}
				// dated at the recording: nothing measured reads decided_at
				res, err := tx.Exec(ctx, `INSERT INTO record_decisions (community_id, record_id, decision, note, decided_by, decided_at)
					SELECT community_id, id, ?, '', ?, recorded_at FROM service_records WHERE batch IN (`+strings.TrimSuffix(strings.Repeat("?,", len(chunk)), ",")+`)
					AND +reverses_id IS NULL`, args...)
				if err != nil {
					return fmt.Errorf("decision: %w", err)
				}
				n, _ := res.RowsAffected()
				if set.decision == "confirm" {
					w.confirmed += int(n)
				} else {
					w.refused += int(n)
				}
			}
		}
		for _, rv := range g.reverse {
			res, err := tx.Exec(ctx, `INSERT INTO service_records (community_id, volunteer_id, team_id, activity_name, service_date, place, content,
				started_at, ended_at, minutes, organiser, person_in_charge, category, captured, serves_kind, serves_id, batch,
				recorded_by, recorded_at, due_on, late, flags, reverses_id, reason)
				SELECT community_id, volunteer_id, team_id, activity_name, service_date, place, content, started_at, ended_at, -minutes,
				organiser, person_in_charge, category, captured, serves_kind, serves_id, batch, recorded_by, recorded_at, due_on, ?, '', id, ?
				FROM service_records WHERE volunteer_id = ? AND service_date = ? AND batch = ? AND +reverses_id IS NULL`, false, "当天未到，误登记", rv.vid, rv.date, rv.batch)
			if err != nil {
				return fmt.Errorf("reversal: %w", err)
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return fmt.Errorf("reversal of %s/%d wrote %d rows", rv.batch, rv.vid, n)
			}
		}
		return nil
	})
}

// counted is the ledger's rule of what counts, as SQL over alias r: not a
// back-fill, or a back-fill a leader confirmed (a reversing entry follows
// the record it reverses). Record, Decide and Reverse keep hours_rollup
// equal to the counted records' sums.
const counted = `(r.captured <> 'backfill' OR EXISTS (SELECT 1 FROM record_decisions d
	WHERE d.record_id = COALESCE(r.reverses_id, r.id) AND d.decision = 'confirm'))`

// loadRollup aggregates the counted records into hours_rollup: what
// hours.Rollup would have written record by record.
func (w *world) loadRollup(ctx context.Context) error {
	return w.a.DB.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO hours_rollup (community_id, volunteer_id, team_id, category, month, minutes, records)
			SELECT r.community_id, r.volunteer_id, COALESCE(r.team_id, 0), r.category, substr(r.service_date, 1, 7), SUM(r.minutes),
			SUM(CASE WHEN r.reverses_id IS NULL THEN 1 ELSE -1 END)
			FROM service_records r WHERE r.community_id = ? AND `+counted+`
			GROUP BY r.community_id, r.volunteer_id, COALESCE(r.team_id, 0), r.category, substr(r.service_date, 1, 7)`, w.cid)
		return err
	})
}

// check fails the run when the rollup does not hold what the generator
// counted, or the ledger does not hold what was generated.
func (w *world) check(ctx context.Context) error {
	var rows int
	var minutes, records, ledger int64
	d := w.a.DB
	if err := d.QueryRow(ctx, `SELECT count(*), COALESCE(SUM(minutes), 0), COALESCE(SUM(records), 0) FROM hours_rollup WHERE community_id = ?`, w.cid).
		Scan(&rows, &minutes, &records); err != nil {
		return err
	}
	if err := d.QueryRow(ctx, `SELECT COALESCE(SUM(r.minutes), 0) FROM service_records r WHERE r.community_id = ? AND `+counted, w.cid).Scan(&ledger); err != nil {
		return err
	}
	w.rollupRows = rows
	if minutes != w.countedMinutes || ledger != w.countedMinutes || records != w.countedRecords {
		return fmt.Errorf("rollup check: rollup %d minutes in %d records, ledger %d counted minutes, generator %d minutes in %d records",
			minutes, records, ledger, w.countedMinutes, w.countedRecords)
	}
	var n, b int
	if err := d.QueryRow(ctx, `SELECT (SELECT count(*) FROM service_records WHERE community_id = ?), (SELECT count(*) FROM record_batches WHERE community_id = ?)`,
		w.cid, w.cid).Scan(&n, &b); err != nil {
		return err
	}
	if n != w.records+w.reversals || b != w.batches {
		return fmt.Errorf("ledger check: %d records and %d batches, want %d and %d", n, b, w.records+w.reversals, w.batches)
	}
	logf("build: rollup checked: %d rows, %d counted minutes (%.0f hours) in %d records = the ledger's counted records", rows, minutes, float64(minutes)/60, records)
	return nil
}
