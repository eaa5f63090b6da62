package web_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/testkit/server"
)

// TestRequestMetricsPage: the figures page shows what the service counts
// from the events (itself checked against a recount in internal/requests),
// with its definitions; a grid worker sees their grids' share; others are
// refused.
func TestRequestMetricsPage(t *testing.T) {
	for _, pg := range []bool{false, true} {
		t.Run(map[bool]string{false: "sqlite", true: "postgres"}[pg], func(t *testing.T) {
			s := server.Start(t, server.Options{Registry: true, Postgres: pg})
			ctx := t.Context()
			figures := func(user string) (int, string) {
				t.Helper()
				a, err := s.Accounts.FindByUsername(ctx, user)
				if err != nil {
					t.Fatal(err)
				}
				p := &accounts.Principal{AccountID: a.ID, Username: a.Username, Grants: a.Grants}
				m, err := s.Requests.Metrics(ctx, p, a.Grants[0].CommunityID, time.Time{}, time.Time{})
				if err != nil {
					t.Fatal(err)
				}
				o := m.Overall
				if o.SatisfactionRate == nil || o.ResolutionRate == nil {
					t.Fatalf("%s's figures without rates: %+v", user, o)
				}
				return o.Requests, fmt.Sprintf("%.1f%%", *o.SatisfactionRate*100) + "|" + fmt.Sprintf("%.1f%%", *o.ResolutionRate*100)
			}
			w := newBrowser(t, s)
			w.login("worker", server.Password)
			st, _, body := w.do("GET", "/requests/metrics", nil, nil)
			n, rates := figures("worker")
			sat, res, _ := strings.Cut(rates, "|")
			overall := body[strings.Index(body, `id="metrics-overall"`):]
			overall = overall[:strings.Index(overall, "</table>")]
			expect(t, "metrics page", st, 200, overall, fmt.Sprintf(">%d<", n), sat, res)
			expect(t, "metrics page", st, 200, body, "响应率", "解决率", "满意率", `id="metrics-definitions"`, "按网格", "按承办人", "供暖")
			if n < 500 {
				t.Fatalf("the demo's year counts %d requests", n)
			}
			g := newBrowser(t, s)
			g.login("grid", server.Password)
			st, _, body = g.do("GET", "/requests/metrics", nil, nil)
			gn, _ := figures("grid")
			if st != 200 || gn >= n || !strings.Contains(body, fmt.Sprintf(">%d<", gn)) {
				t.Errorf("grid worker: %d, %d of %d requests", st, gn, n)
			}
			for _, user := range []string{"partner", "resident"} {
				b := newBrowser(t, s)
				b.login(user, server.Password)
				if st, _, _ := b.do("GET", "/requests/metrics", nil, nil); st != 403 {
					t.Errorf("%s opens the figures: %d", user, st)
				}
			}
		})
	}
}
