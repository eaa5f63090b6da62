package web_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/requests"
	"github.com/linli/linli/internal/testkit/server"
)

// TestStreetRequestPages: the street supervisor's requests are its
// street's figures (a row per community and the street's, each
// community's figures a click away, no one named); its queue leads
// there; it opens a request escalated to the street with no step form,
// no reveal and the requester masked, and nothing else.
func TestStreetRequestPages(t *testing.T) {
	for _, pg := range []bool{false, true} {
		t.Run(map[bool]string{false: "sqlite", true: "postgres"}[pg], func(t *testing.T) {
			s := server.Start(t, server.Options{Registry: true, Postgres: pg})
			ctx := t.Context()
			var cid, sid int64
			if err := s.DB.QueryRow(ctx, `SELECT id, street_id FROM communities WHERE code = 'jsl'`).Scan(&cid, &sid); err != nil {
				t.Fatal(err)
			}
			sm, err := s.Requests.StreetMetrics(ctx, consoleP(), sid, time.Time{}, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			b := newBrowser(t, s)
			b.login("street", server.Password)
			if st, loc, _ := b.do("GET", "/requests", nil, nil); st != 303 || loc != "/requests/metrics" {
				t.Errorf("queue: %d %q", st, loc)
			}
			st, _, body := b.do("GET", "/requests/metrics", nil, nil)
			expect(t, "street figures", st, 200, body, `id="metrics-street"`, "建胜路社区", "东风街道合计",
				fmt.Sprintf(`href="/requests/metrics?community_id=%d"`, cid), fmt.Sprintf(">%d<", sm.Overall.Requests),
				fmt.Sprintf("%.1f%%", *sm.Overall.SatisfactionRate*100), `id="metrics-definitions"`)
			st, _, body = b.do("GET", fmt.Sprintf("/requests/metrics?community_id=%d", cid), nil, nil)
			expect(t, "a community's figures", st, 200, body, `id="metrics-community"`, "按承办人", "全部志愿者（合计）", "按网格")
			// What the office sees named, the street does not.
			office, err := s.Requests.Metrics(ctx, consoleP(), cid, time.Time{}, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			for _, g := range office.ByHandler {
				if (g.Kind == "volunteer" || g.Kind == "account") && g.Name != "" && strings.Contains(body, ">"+g.Name+"（") {
					t.Errorf("the street's page names %s %q", g.Kind, g.Name)
				}
			}
			for _, path := range []string{"/requests/metrics?community_id=999999", "/requests/metrics?community_id=x"} {
				if st, _, _ := b.do("GET", path, nil, nil); st != 404 {
					t.Errorf("%s: %d, want 404", path, st)
				}
			}

			if _, err := s.Requests.Escalate(ctx); err != nil {
				t.Fatal(err)
			}
			var up, down int64
			if err := s.DB.QueryRow(ctx, `SELECT min(request_id) FROM request_escalations WHERE level = 3`).Scan(&up); err != nil || up == 0 {
				t.Fatalf("no request escalated to the street: %v", err)
			}
			if err := s.DB.QueryRow(ctx, `SELECT min(id) FROM requests WHERE id NOT IN (SELECT request_id FROM request_escalations WHERE level = 3)`).Scan(&down); err != nil {
				t.Fatal(err)
			}
			r, err := s.Requests.Get(ctx, consoleP(), up)
			if err != nil {
				t.Fatal(err)
			}
			st, _, body = b.do("GET", fmt.Sprintf("/requests/%d", up), nil, nil)
			expect(t, "escalated request", st, 200, body, r.Number, requests.MaskName(r.RequesterName), "督办")
			for _, not := range []string{`id="reveal-form"`, `class="step stack"`, ">" + r.RequesterName + "<"} {
				if strings.Contains(body, not) {
					t.Errorf("escalated request page shows %q to the street", not)
				}
			}
			if st, _, _ := b.do("GET", fmt.Sprintf("/requests/%d", down), nil, nil); st != 404 {
				t.Errorf("a request not escalated: %d, want 404", st)
			}
			// The street's work list: every request escalated to it, linked;
			// none other; and nobody else's to read.
			st, _, body = b.do("GET", "/requests/metrics", nil, nil)
			expect(t, "the street's work list", st, 200, body, `id="street-escalated"`,
				fmt.Sprintf(`id="street-escalated-%d"`, up), fmt.Sprintf(`href="/requests/%d"`, up), r.Number)
			if strings.Contains(body, fmt.Sprintf(`id="street-escalated-%d"`, down)) {
				t.Error("the work list shows a request not escalated to the street")
			}
			var escalated int
			if err := s.DB.QueryRow(ctx, `SELECT count(DISTINCT e.request_id) FROM request_escalations e JOIN requests q ON q.id = e.request_id
				JOIN communities c ON c.id = q.community_id WHERE e.level = 3 AND c.street_id = ?`, sid).Scan(&escalated); err != nil {
				t.Fatal(err)
			}
			list, err := s.Requests.StreetEscalations(ctx, consoleP(), sid, "zh-CN")
			if err != nil || len(list) != min(escalated, 200) || strings.Count(body, `id="street-escalated-`) != len(list) {
				t.Errorf("work list: %d rows (%v), %d on the page, %d escalated", len(list), err, strings.Count(body, `id="street-escalated-`), escalated)
			}
			admin := &accounts.Principal{AccountID: 1, Grants: []accounts.Grant{{Role: accounts.Admin, CommunityID: cid}}}
			if _, err := s.Requests.StreetEscalations(ctx, admin, sid, "zh-CN"); !apperr.Is(err, apperr.NotFound) {
				t.Errorf("a community's admin reads the street's list: %v", err)
			}
		})
	}
}

// TestRequestPageNamesTheVolunteer: a request handled by a resident
// volunteer names them on the page, as the registry does, where the
// number used to stand; in the handler line and on the dispatch step.
func TestRequestPageNamesTheVolunteer(t *testing.T) {
	for _, pg := range []bool{false, true} {
		t.Run(map[bool]string{false: "sqlite", true: "postgres"}[pg], func(t *testing.T) {
			s := server.Start(t, server.Options{Registry: true, Postgres: pg})
			ctx := t.Context()
			var id int64
			var name, number string
			err := s.DB.QueryRow(ctx, `SELECT q.id, r.name, v.number FROM requests q
				JOIN volunteers v ON v.id = q.handler_id JOIN residents r ON r.id = v.resident_id
				WHERE q.handler_kind = 'volunteer' AND v.name = '' ORDER BY q.id LIMIT 1`).Scan(&id, &name, &number)
			if err != nil {
				t.Fatalf("no request of the demo handled by a resident volunteer: %v", err)
			}
			b := newBrowser(t, s)
			b.login("worker", server.Password)
			st, _, body := b.do("GET", fmt.Sprintf("/requests/%d", id), nil, nil)
			expect(t, "request page", st, 200, body, `<dd id="handler">`+name+"（志愿者）", name+"（志愿者）</")
			if strings.Contains(body, number+"（志愿者）") {
				t.Errorf("the page still names the volunteer by number %s", number)
			}
		})
	}
}
