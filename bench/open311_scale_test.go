package bench

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/testkit/server"
)

// TestOpen311Scale times what residents' requests answer at city scale
// (issue 6): GET /open311/v2/requests (the default 90-day window, 1,000
// rows), the worker's queue tabs, the partner's inbox, the building view
// and GET /api/v1/requests with its total, over a community holding many
// requests, a year of them:
//
//	LINLI_BENCH_OPEN311_ROWS=1000000 go test ./bench -run TestOpen311Scale -v -timeout 30m
//
// With LINLI_TEST_DATABASE_URL set, PostgreSQL runs too. Skipped
// without the variable: filling a million rows is not a unit test.
// LINLI_BENCH_ONLY=sqlite (or postgres) runs one engine;
// LINLI_BENCH_ROUNDS sets the timed rounds per URL (default 200);
// LINLI_BENCH_MATCH keeps only the URLs containing it;
// LINLI_BENCH_EXPLAIN=1 logs the plans of the queues' main statements
// (EXPLAIN QUERY PLAN on SQLite, EXPLAIN ANALYZE on PostgreSQL).
// LINLI_BENCH_BODY=<part of a URL> logs the start of that URL's body.
// LINLI_BENCH_COMMUNITIES=K spreads the rows over K communities of the
// street, as a city database holds them: the demo community keeps 1/K of
// them (with its buildings, grids and handlers), K-1 more communities,
// each with its own categories, hold the rest. Unset (1), the demo
// community holds all of them: far more open and overdue requests than
// any one community has, the stress case.
func TestOpen311Scale(t *testing.T) {
	rows, _ := strconv.Atoi(os.Getenv("LINLI_BENCH_OPEN311_ROWS"))
	if rows <= 0 {
		t.Skip("LINLI_BENCH_OPEN311_ROWS not set")
	}
	rounds, _ := strconv.Atoi(os.Getenv("LINLI_BENCH_ROUNDS"))
	if rounds <= 0 {
		rounds = 200
	}
	for _, pg := range []bool{false, true} {
		name := map[bool]string{false: "sqlite", true: "postgres"}[pg]
		if only := os.Getenv("LINLI_BENCH_ONLY"); only != "" && only != name {
			continue
		}
		t.Run(name, func(t *testing.T) {
			s := server.Start(t, server.Options{Postgres: pg, Registry: true})
			start := time.Now()
			k, _ := strconv.Atoi(os.Getenv("LINLI_BENCH_COMMUNITIES"))
			fillCity(t, s, rows, max(k, 1))
			t.Logf("%d requests written over %d communities in %s", rows, max(k, 1), time.Since(start).Round(time.Second))
			as := map[string]*http.Client{"": http.DefaultClient}
			for _, who := range []string{"worker", "grid", "partner"} {
				as[who] = webLogin(t, s, who)
			}
			if os.Getenv("LINLI_BENCH_EXPLAIN") != "" {
				explain(t, s)
			}
			token := s.Login(t, "worker")
			for _, u := range []struct{ who, path string }{
				{"", "/open311/v2/requests.json?jurisdiction_id=jsl"},
				{"", "/open311/v2/requests.xml?jurisdiction_id=jsl"},
				{"", "/open311/v2/requests.json?jurisdiction_id=jsl&status=open&service_code=heating,water"},
				{"", "/open311/v2/requests.json?jurisdiction_id=jsl&service_request_id=B-5,B-10,B-20"},
				{"worker", "/requests?tab=open"},
				{"worker", "/requests?tab=open&page=500"},
				{"worker", "/requests?tab=overdue"},
				{"worker", "/requests?tab=mine"},
				{"worker", "/requests?tab=callback"},
				{"worker", "/requests?tab=closed"},
				{"worker", "/requests?tab=closed&page=1000"},
				{"grid", "/requests?tab=grid"},
				{"worker", "/requests/buildings"},
				{"partner", "/requests?tab=open"},
				{"partner", "/requests?tab=sign"},
				{"token", "/api/v1/requests?status=submitted,accepted&per_page=50"},
				{"token", "/api/v1/requests?overdue=true"},
				{"token", "/api/v1/requests?status=closed&page=100"},
			} {
				if m := os.Getenv("LINLI_BENCH_MATCH"); m != "" && !strings.Contains(u.path, m) {
					continue
				}
				var ds []time.Duration
				var body []byte
				for i := 0; i < rounds+10; i++ {
					req, err := http.NewRequest("GET", s.URL+u.path, nil)
					if err != nil {
						t.Fatal(err)
					}
					c := as[u.who]
					if u.who == "token" {
						c = http.DefaultClient
						req.Header.Set("Authorization", "Bearer "+token)
					}
					t0 := time.Now()
					resp, err := c.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					body, _ = io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						t.Fatalf("%s: %d %.300s", u.path, resp.StatusCode, body)
					}
					if i >= 10 { // warm-up
						ds = append(ds, time.Since(t0))
					}
				}
				sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
				if os.Getenv("LINLI_BENCH_BODY") != "" && strings.Contains(u.path, os.Getenv("LINLI_BENCH_BODY")) {
					t.Logf("%.600s", body)
				}
				t.Logf("%-8s %-66s %s  p50 %6.1f ms  p99 %6.1f ms  max %6.1f ms", u.who, u.path, shape(u.path, body),
					ms(ds[len(ds)/2]), ms(ds[len(ds)*99/100]), ms(ds[len(ds)-1]))
			}
		})
	}
}

// shape says how much a response held, to show the URL did real work:
// rows for Open311, the total for the API, the page's "共 N 条".
func shape(path string, b []byte) string {
	s := string(b)
	switch {
	case strings.Contains(path, ".xml"):
		return fmt.Sprintf("rows %6d", strings.Count(s, "<service_request_id>"))
	case strings.HasPrefix(path, "/open311"):
		return fmt.Sprintf("rows %6d", strings.Count(s, "service_request_id"))
	case strings.HasPrefix(path, "/api"):
		if i := strings.Index(s, `"total":`); i >= 0 {
			j := strings.IndexAny(s[i+8:], ",}")
			return fmt.Sprintf("tot %7s", s[i+8:i+8+j])
		}
	case strings.Contains(s, "共 "):
		i := strings.Index(s, "共 ")
		j := strings.Index(s[i:], " 条")
		if j > 0 {
			return fmt.Sprintf("tot %7s", s[i+len("共 "):i+j])
		}
	}
	return fmt.Sprintf("%5d KB", len(b)/1024)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// webLogin signs a demo user in through the login form and returns a
// client that carries the session cookie.
func webLogin(t *testing.T, s *server.Server, who string) *http.Client {
	t.Helper()
	c := s.Client()
	req, _ := http.NewRequest("POST", s.URL+"/login", strings.NewReader(url.Values{"username": {who}, "password": {server.Password}, "next": {"/"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login %s: %d", who, resp.StatusCode)
	}
	return c
}

// fillRequests writes n requests into the demo community in one
// statement, spread back over a year from the server's clock (request
// B-1 is the newest). One in ten is in each default category (six in
// ten public); each description carries a phone number to redact. They
// spread over the community's buildings and their grids. Of the last 90
// days one in three is still open, spread over the open statuses, the
// rest (and everything older) closed; the ones that went past the office
// are handled by the heating company (the partner's inbox), the worker
// (her "mine" tab), a team or the grid worker. Deadlines follow the
// defaults' shape, so old open ones are overdue.
func fillRequests(t *testing.T, s *server.Server, n int) {
	t.Helper()
	var cid int64
	if err := s.DB.QueryRow(t.Context(), `SELECT id FROM communities WHERE code = 'jsl'`).Scan(&cid); err != nil {
		t.Fatal(err)
	}
	fillCommunity(t, s, cid, n, true)
	settle(t, s)
}

// fillCity writes n requests over k communities of the demo's street:
// the demo community's share with fillRequests' shape, and k-1 new
// communities' shares (their own default categories; no buildings, and
// no handlers, which the demo community's queues never read).
func fillCity(t *testing.T, s *server.Server, n, k int) {
	t.Helper()
	if k <= 1 {
		fillRequests(t, s, n)
		return
	}
	ctx := t.Context()
	var cid, street int64
	if err := s.DB.QueryRow(ctx, `SELECT id, street_id FROM communities WHERE code = 'jsl'`).Scan(&cid, &street); err != nil {
		t.Fatal(err)
	}
	fillCommunity(t, s, cid, n-(k-1)*(n/k), true)
	for j := 1; j < k; j++ {
		var other int64
		if err := s.DB.QueryRow(ctx, `INSERT INTO communities (street_id, code, name, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
			street, fmt.Sprintf("bench-%03d", j), fmt.Sprintf("基准社区%03d", j), s.Clock.Now()).Scan(&other); err != nil {
			t.Fatal(err)
		}
		fillCommunity(t, s, other, n/k, false)
	}
	settle(t, s)
}

// fillCommunity writes n requests into community cid (see fillRequests);
// placed: with the community's buildings, grids and handlers.
func fillCommunity(t *testing.T, s *server.Server, cid int64, n int, placed bool) {
	t.Helper()
	ctx := t.Context()
	var org, worker, gridAcc, team int64
	for q, v := range map[string]*int64{
		`SELECT g.organisation_id FROM grants g JOIN accounts a ON a.id = g.account_id WHERE a.username = 'partner' AND g.organisation_id IS NOT NULL`: &org,
		`SELECT id FROM accounts WHERE username = 'worker'`: &worker,
		`SELECT id FROM accounts WHERE username = 'grid'`:   &gridAcc,
		`SELECT min(id) FROM teams WHERE community_id = ?`:  &team,
	} {
		if !placed {
			break
		}
		var err error
		if strings.Contains(q, "?") {
			err = s.DB.QueryRow(ctx, q, cid).Scan(v)
		} else {
			err = s.DB.QueryRow(ctx, q).Scan(v)
		}
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if _, err := s.Requests.PublicCategories(ctx, cid); err != nil { // writes the default categories
		t.Fatal(err)
	}
	cases := func(q, mod string) string {
		rs, err := s.DB.Query(ctx, q, cid)
		if err != nil {
			t.Fatal(err)
		}
		defer rs.Close()
		out := "CASE " + mod
		k := 0
		for rs.Next() {
			var v string
			if err := rs.Scan(&v); err != nil {
				t.Fatal(err)
			}
			out += fmt.Sprintf(" WHEN %d THEN %s", k, v)
			k++
		}
		if k == 0 {
			t.Fatalf("nothing for %s", q)
		}
		return strings.Replace(out, "#", strconv.Itoa(k), 1) + " END"
	}
	cat := cases(`SELECT CAST(id AS TEXT) FROM request_categories WHERE community_id = ? AND parent_id IS NULL ORDER BY id`, "i % 10")
	bld, grid := "NULL", "NULL"
	if placed {
		bld = cases(`SELECT CAST(b.id AS TEXT) FROM buildings b JOIN estates e ON e.id = b.estate_id WHERE e.community_id = ? ORDER BY b.id`, "i % #")
		grid = cases(`SELECT COALESCE(CAST(b.grid_id AS TEXT), 'NULL') FROM buildings b JOIN estates e ON e.id = b.estate_id WHERE e.community_id = ? ORDER BY b.id`, "i % #")
	}
	step := int64(365 * 24 * 3600 / n)
	if step < 1 {
		step = 1
	}
	now := s.Clock.Now().UTC()
	at := func(plus int64) string { // created_at plus some seconds
		if s.DB.Dialect() == db.Postgres {
			return fmt.Sprintf(`(TIMESTAMPTZ '%s' - (i * %d - %d) * INTERVAL '1 second')`, now.Format(time.RFC3339), step, plus)
		}
		return fmt.Sprintf(`strftime('%%Y-%%m-%%d %%H:%%M:%%S+00:00', '%s', ((%d - i * %d)) || ' seconds')`, now.Format("2006-01-02 15:04:05"), plus, step)
	}
	open := fmt.Sprintf(`(i %% 3 = 0 AND i * %d < %d)`, step, 90*24*3600)
	// The open statuses in life-cycle order; 2, 4..7 went past the office.
	status := fmt.Sprintf(`CASE WHEN %s THEN CASE (i / 3) %% 8 WHEN 0 THEN 'submitted' WHEN 1 THEN 'accepted' WHEN 2 THEN 'dispatched'
		WHEN 3 THEN 'returned' WHEN 4 THEN 'in_progress' WHEN 5 THEN 'extension_requested' WHEN 6 THEN 'result_submitted'
		ELSE 'awaiting_callback' END WHEN i %% 50 = 1 THEN 'rejected' ELSE 'closed' END`, open)
	handled := fmt.Sprintf(`(NOT %s AND i %% 50 <> 1 OR %s AND (i / 3) %% 8 IN (2, 4, 5, 6, 7))`, open, open)
	if !placed {
		handled = "FALSE"
	}
	hkind := fmt.Sprintf(`CASE WHEN %s THEN CASE (i / 24) %% 4 WHEN 0 THEN 'organisation' WHEN 1 THEN 'account' WHEN 2 THEN 'team' ELSE 'account' END END`, handled)
	hid := fmt.Sprintf(`CASE WHEN %s THEN CASE (i / 24) %% 4 WHEN 0 THEN %d WHEN 1 THEN %d WHEN 2 THEN %d ELSE %d END END`, handled, org, worker, team, gridAcc)
	closed := fmt.Sprintf(`CASE WHEN NOT %s THEN %s END`, open, at(3*24*3600))
	q := fmt.Sprintf(`INSERT INTO requests (community_id, number, channel, kind, category_id, building_id, grid_id, address, description, urgency,
		status, handler_kind, handler_id, last_seq, created_at, updated_at, closed_at, dispatch_due, sign_due, feedback_due)
		SELECT %d, 'B-' || i, 'web', 'help', %s, %s, %s, '建胜路小区5号楼2单元502室', '垃圾桶满了，电话13800001111', 'general',
		%s, %s, %s, 1, %s, %s, %s, %s, %s, %s`,
		cid, cat, bld, grid, status, hkind, hid, at(0), at(0), closed, at(2*3600), at(4*3600), at(7*24*3600))
	if s.DB.Dialect() == db.Postgres {
		q += fmt.Sprintf(` FROM generate_series(1, %d) AS i`, n)
	} else {
		q = fmt.Sprintf(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d) `, n) + q + ` FROM n`
	}
	if _, err := s.DB.Exec(ctx, q); err != nil {
		t.Fatalf("fill: %v", err)
	}
}

// settle gives the planner its statistics once the rows are in.
func settle(t *testing.T, s *server.Server) {
	t.Helper()
	ctx := t.Context()
	if s.DB.Dialect() == db.Postgres {
		// VACUUM sets the visibility map, so counts can read the index
		// alone, as they would on a database that lived a year.
		if _, err := s.DB.Exec(ctx, `VACUUM ANALYZE requests`); err != nil {
			t.Fatal(err)
		}
	} else if _, err := s.DB.Exec(ctx, `ANALYZE`); err != nil {
		t.Fatal(err)
	}
}

// explain logs the plans of the statements the slow URLs ran before
// migration 0022, written out with the arguments the pages use.
func explain(t *testing.T, s *server.Server) {
	t.Helper()
	ctx := t.Context()
	var cid, org, partner, worker, grid, gridAcc int64
	if err := s.DB.QueryRow(ctx, `SELECT id FROM communities WHERE code = 'jsl'`).Scan(&cid); err != nil {
		t.Fatal(err)
	}
	if err := s.DB.QueryRow(ctx, `SELECT g.organisation_id, a.id FROM grants g JOIN accounts a ON a.id = g.account_id
		WHERE a.username = 'partner' AND g.organisation_id IS NOT NULL`).Scan(&org, &partner); err != nil {
		t.Fatal(err)
	}
	if err := s.DB.QueryRow(ctx, `SELECT a.id, g.grid_id FROM grants g JOIN accounts a ON a.id = g.account_id
		WHERE a.username = 'grid' AND g.grid_id IS NOT NULL`).Scan(&gridAcc, &grid); err != nil {
		t.Fatal(err)
	}
	if err := s.DB.QueryRow(ctx, `SELECT id FROM accounts WHERE username = 'worker'`).Scan(&worker); err != nil {
		t.Fatal(err)
	}
	open := `q.status IN ('submitted','accepted','dispatched','returned','in_progress','extension_requested','result_submitted','awaiting_callback')`
	now := s.Clock.Now().UTC()
	for _, e := range []struct {
		what, q string
		args    []any
	}{
		{"open tab, page 500", `SELECT q.id FROM requests q WHERE q.community_id = ? AND ` + open +
			` ORDER BY q.created_at DESC, q.id DESC LIMIT 30 OFFSET 14970`, []any{cid}},
		{"closed tab total", `SELECT CAST(COALESCE(sum(n), 0) AS BIGINT) FROM request_counts WHERE community_id = ? AND status IN ('closed','rejected','merged')`, []any{cid}},
		{"overdue total", `SELECT count(*) FROM requests q WHERE q.community_id = ? AND ` + open + ` AND ((q.dispatch_due < ? AND q.status IN ('submitted','accepted','returned'))
			OR (q.sign_due < ? AND q.status IN ('dispatched')) OR (q.feedback_due < ? AND q.status IN ('accepted','returned','dispatched','in_progress','extension_requested')))`, []any{cid, now, now, now}},
		{"mine total", `SELECT count(*) FROM requests q WHERE q.community_id = ? AND ` + open + ` AND q.handler_kind = 'account' AND q.handler_id = ?`, []any{cid, worker}},
		{"grid total", `SELECT count(*) FROM requests q WHERE q.community_id = ? AND (q.grid_id IN (?) OR (q.handler_kind = 'account' AND q.handler_id IN (?))
			OR q.created_by = ? OR q.requester_account_id = ?) AND ` + open + ` AND q.grid_id = ?`, []any{cid, grid, gridAcc, gridAcc, gridAcc, grid}},
		{"grid page", `SELECT q.id FROM requests q WHERE q.community_id = ? AND (q.grid_id IN (?) OR (q.handler_kind = 'account' AND q.handler_id IN (?))
			OR q.created_by = ? OR q.requester_account_id = ?) AND ` + open + ` AND q.grid_id = ? ORDER BY q.created_at DESC, q.id DESC LIMIT 30`, []any{cid, grid, gridAcc, gridAcc, gridAcc, grid}},
		{"partner's open page", `SELECT q.id FROM requests q WHERE q.community_id = ? AND ((q.handler_kind = 'organisation' AND q.handler_id IN (?))
			OR (q.handler_kind = 'account' AND q.handler_id IN (?)) OR q.created_by = ? OR q.requester_account_id = ?) AND ` + open +
			` ORDER BY q.created_at DESC, q.id DESC LIMIT 30`, []any{cid, org, partner, partner, partner}},
		{"building view", `SELECT q.building_id, count(*) FROM requests q WHERE q.community_id = ? AND q.building_id IS NOT NULL AND ` + open + ` GROUP BY q.building_id`, []any{cid}},
		{"partner's open total", `SELECT count(*) FROM requests q WHERE q.community_id = ? AND ((q.handler_kind = 'organisation' AND q.handler_id IN (?))
			OR (q.handler_kind = 'account' AND q.handler_id IN (?)) OR q.created_by = ? OR q.requester_account_id = ?) AND ` + open, []any{cid, org, partner, partner, partner}},
		{"Open311 list", `SELECT q.number, q.status, q.description, q.created_at FROM requests q WHERE q.community_id = ?
			AND q.category_id IN (SELECT id FROM request_categories WHERE community_id = ? AND public = ?) AND q.created_at >= ? AND q.created_at < ?
			ORDER BY q.created_at DESC, q.id DESC LIMIT 1000`, []any{cid, cid, true, now.Add(-90 * 24 * time.Hour), now}},
	} {
		q := "EXPLAIN QUERY PLAN " + e.q
		if s.DB.Dialect() == db.Postgres {
			q = "EXPLAIN (ANALYZE, BUFFERS) " + e.q
		}
		rs, err := s.DB.Query(ctx, q, e.args...)
		if err != nil {
			t.Fatalf("%s: %v", e.what, err)
		}
		cols, _ := rs.Columns()
		var plan []string
		for rs.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rs.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, fmt.Sprint(vals[len(vals)-1]))
		}
		rs.Close()
		t.Logf("plan, %s:\n    %s", e.what, strings.Join(plan, "\n    "))
	}
}
