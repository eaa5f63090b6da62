package bench

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/testkit/server"
)

// TestOpen311Scale times GET /open311/v2/requests.json (the default
// 90-day window, 1,000 rows) over a community holding many requests,
// a year of them, one in ten in each default category (so six in ten
// public), two in three closed:
//
//	LINLI_BENCH_OPEN311_ROWS=1000000 go test ./bench -run TestOpen311Scale -v -timeout 30m
//
// With LINLI_TEST_DATABASE_URL set, PostgreSQL runs too. Skipped
// without the variable: filling a million rows is not a unit test.
func TestOpen311Scale(t *testing.T) {
	rows, _ := strconv.Atoi(os.Getenv("LINLI_BENCH_OPEN311_ROWS"))
	if rows <= 0 {
		t.Skip("LINLI_BENCH_OPEN311_ROWS not set")
	}
	for _, pg := range []bool{false, true} {
		t.Run(map[bool]string{false: "sqlite", true: "postgres"}[pg], func(t *testing.T) {
			s := server.Start(t, server.Options{Postgres: pg})
			start := time.Now()
			fillRequests(t, s, rows)
			t.Logf("%d requests written in %s", rows, time.Since(start).Round(time.Second))
			for _, path := range []string{"/open311/v2/requests.json", "/open311/v2/requests.xml",
				"/open311/v2/requests.json?status=open&service_code=heating,water", "/open311/v2/requests.json?service_request_id=B-5,B-10,B-20"} {
				var ds []time.Duration
				n := 0
				for i := 0; i < 210; i++ {
					t0 := time.Now()
					resp, err := http.Get(s.URL + path)
					if err != nil {
						t.Fatal(err)
					}
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						t.Fatalf("%s: %d %s", path, resp.StatusCode, b)
					}
					if i >= 10 { // warm-up
						ds = append(ds, time.Since(t0))
					}
					n = strings.Count(string(b), "service_request_id") / map[bool]int{true: 2, false: 1}[strings.Contains(path, ".xml")]
				}
				sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
				t.Logf("%-70s rows %4d  p50 %6.1f ms  p99 %6.1f ms  max %6.1f ms", path, n,
					ms(ds[len(ds)/2]), ms(ds[len(ds)*99/100]), ms(ds[len(ds)-1]))
			}
		})
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// fillRequests writes n requests into the demo community in one
// statement, spread back over a year from the server's clock.
func fillRequests(t *testing.T, s *server.Server, n int) {
	t.Helper()
	ctx := t.Context()
	var cid int64
	if err := s.DB.QueryRow(ctx, `SELECT id FROM communities WHERE code = 'jsl'`).Scan(&cid); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Requests.PublicCategories(ctx, cid); err != nil { // writes the default categories
		t.Fatal(err)
	}
	rs, err := s.DB.Query(ctx, `SELECT id FROM request_categories WHERE community_id = ? ORDER BY id`, cid)
	if err != nil {
		t.Fatal(err)
	}
	cat := "CASE i % 10"
	k := 0
	for rs.Next() {
		var id int64
		if err := rs.Scan(&id); err != nil {
			t.Fatal(err)
		}
		cat += fmt.Sprintf(" WHEN %d THEN %d", k, id)
		k++
	}
	rs.Close()
	cat += " END"
	step := int64(365 * 24 * 3600 / n)
	if step < 1 {
		step = 1
	}
	now := s.Clock.Now().UTC()
	cols := `INSERT INTO requests (community_id, number, channel, kind, category_id, address, description, urgency, status,
		last_seq, created_at, updated_at) `
	pick := fmt.Sprintf(`SELECT %d, 'B-' || i, 'web', 'help', %s, '建胜路小区5号楼2单元502室', '垃圾桶满了，电话13800001111', 'general',
		CASE WHEN i %% 3 = 0 THEN 'submitted' ELSE 'closed' END, 1, `, cid, cat)
	var q string
	if s.DB.Dialect() == db.Postgres {
		at := fmt.Sprintf(`TIMESTAMPTZ '%s' - (i * %d) * INTERVAL '1 second'`, now.Format(time.RFC3339), step)
		q = cols + pick + at + `, ` + at + fmt.Sprintf(` FROM generate_series(1, %d) AS i`, n)
	} else {
		at := fmt.Sprintf(`strftime('%%Y-%%m-%%d %%H:%%M:%%S+00:00', '%s', '-' || (i * %d) || ' seconds')`, now.Format("2006-01-02 15:04:05"), step)
		q = fmt.Sprintf(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d) `, n) + cols + pick + at + `, ` + at + ` FROM n`
	}
	if _, err := s.DB.Exec(ctx, q); err != nil {
		t.Fatalf("fill: %v", err)
	}
	if _, err := s.DB.Exec(ctx, `ANALYZE`); err != nil {
		t.Fatal(err)
	}
}
