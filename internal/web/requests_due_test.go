package web_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/linli/linli/internal/testkit/server"
)

// TestRequestsOverdueTab: a request not dispatched within its limit shows
// as overdue in the worker's queue (its own tab and a badge) and on its
// page; before the limit it is in neither.
func TestRequestsOverdueTab(t *testing.T) {
	for _, pg := range []bool{false, true} {
		t.Run(map[bool]string{false: "sqlite", true: "postgres"}[pg], func(t *testing.T) {
			s := server.Start(t, server.Options{Registry: true, Postgres: pg})
			w := newBrowser(t, s)
			w.login("worker", server.Password)
			_, _, body := w.do("GET", "/requests/new", nil, nil)
			repairs := match(t, "categories", `<option value="(\d+)">维修</option>`, body)
			form := url.Values{"channel": {"phone"}, "kind": {"help"}, "urgency": {"general"}, "category_id": {repairs},
				"description": {"楼道灯坏了"}, "contact_name": {"王大爷"}, "contact_phone": {"13800001111"}, "address": {"平安小区2号楼楼道"}}
			st, loc, body := w.do("POST", "/requests", form, nil)
			if st != 303 {
				t.Fatalf("intake: %d %s", st, body)
			}
			_, _, page := w.do("GET", loc, nil, nil)
			number := match(t, "number", `id="request-number">([^<]+)<`, page)
			if !strings.Contains(page, `id="request-due"`) || strings.Contains(page, "已超时") {
				t.Fatalf("a new request's page: its limit shown, not overdue")
			}
			_, _, q := w.do("GET", "/requests?tab=overdue", nil, nil)
			if strings.Contains(q, number) {
				t.Fatalf("overdue tab lists %s before its limit", number)
			}
			// General requests are dispatched within 24 hours.
			s.Clock.Advance(25 * time.Hour)
			w.login("worker", server.Password) // the session has idled out
			_, _, q = w.do("GET", "/requests?tab=overdue", nil, nil)
			if !strings.Contains(q, number) || !strings.Contains(q, `class="tag flag overdue"`) {
				t.Fatalf("overdue tab after 25 hours: %s missing or without its badge", number)
			}
			_, _, page = w.do("GET", loc, nil, nil)
			if !strings.Contains(page, "已超时") {
				t.Fatalf("the request's page does not say it is overdue")
			}
		})
	}
}

// TestRequestPageSuggestsVolunteers: the dispatch form lists the best
// volunteers with their reasons in words, and one click dispatches.
func TestRequestPageSuggestsVolunteers(t *testing.T) {
	for _, pg := range []bool{false, true} {
		t.Run(map[bool]string{false: "sqlite", true: "postgres"}[pg], func(t *testing.T) {
			s := server.Start(t, server.Options{Registry: true, Postgres: pg})
			w := newBrowser(t, s)
			w.login("worker", server.Password)
			_, _, body := w.do("GET", "/requests/new", nil, nil)
			repairs := match(t, "categories", `<option value="(\d+)">维修</option>`, body)
			form := url.Values{"channel": {"phone"}, "kind": {"help"}, "urgency": {"general"}, "category_id": {repairs},
				"description": {"电水壶不加热"}, "contact_name": {"王大爷"}, "contact_phone": {"13800001111"}, "address": {"平安小区2号楼"}}
			st, loc, body := w.do("POST", "/requests", form, nil)
			if st != 303 {
				t.Fatalf("intake: %d %s", st, body)
			}
			st, _, body = w.do("POST", loc+"/accept", url.Values{}, nil)
			if st != 303 {
				t.Fatalf("accept: %d %s", st, body)
			}
			_, _, page := w.do("GET", loc, nil, nil)
			// The demo's volunteers: the skilled ones for a repair first.
			name := match(t, "suggestion", `id="suggestions"><li>([^<]+?) <small class="mono muted">[^<]+</small>`, page)
			vid := match(t, "suggestion", `id="dispatch-suggested-(\d+)"`, page)
			if !strings.Contains(page, "推荐志愿者") || !strings.Contains(page, "技能对口") || !strings.Contains(page, `<option value="rule">`) {
				t.Fatalf("the dispatch form without its suggestions, their reasons or the routing option")
			}
			st, _, body = w.do("POST", loc+"/dispatch", url.Values{"handler": {"volunteer:" + vid}}, nil)
			if st != 303 {
				t.Fatalf("dispatch to the suggested volunteer: %d %s", st, body)
			}
			_, _, page = w.do("GET", loc, nil, nil)
			// Named as the suggestion named them, no longer by number.
			if !strings.Contains(page, `id="handler">`+name+"（志愿者）") {
				i := strings.Index(page, `id="handler"`)
				t.Fatalf("the request is not with the suggested volunteer %q: %q", name, page[max(0, i):min(len(page), i+80)])
			}
		})
	}
}
