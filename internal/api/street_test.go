package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/linli/linli/internal/requests"
	"github.com/linli/linli/internal/testkit/server"
)

// TestStreetThroughTheAPI: the street supervisor of the demo gets its
// street's figures (every community and the whole) and a community's with
// no one named; another street, a bad street_id or both scopes at once
// are refused; of the requests it opens only those escalated to the
// street, read-only and masked, and the queue is not found.
func TestStreetThroughTheAPI(t *testing.T) {
	for _, pg := range []bool{false, true} {
		t.Run(map[bool]string{false: "sqlite", true: "postgres"}[pg], func(t *testing.T) {
			s := server.Start(t, server.Options{Postgres: pg, Registry: true})
			ctx := t.Context()
			street, worker := s.Login(t, "street"), s.Login(t, "worker")
			var cid, sid int64
			if err := s.DB.QueryRow(ctx, `SELECT id, street_id FROM communities WHERE code = 'jsl'`).Scan(&cid, &sid); err != nil {
				t.Fatal(err)
			}
			var office requests.Metrics
			if st, b := s.Do(t, "GET", "/api/v1/metrics/requests", worker, nil); st != 200 || json.Unmarshal(b, &office) != nil {
				t.Fatalf("office figures: %d %s", st, b)
			}
			var sm requests.StreetMetrics
			st, b := s.Do(t, "GET", "/api/v1/metrics/requests", street, nil)
			if st != 200 || json.Unmarshal(b, &sm) != nil || sm.StreetID != sid || len(sm.Communities) == 0 {
				t.Fatalf("street figures: %d %s", st, b)
			}
			var jsl *requests.CommunityRates
			total := 0
			for i, c := range sm.Communities {
				total += c.Rates.Requests
				if c.CommunityID == cid {
					jsl = &sm.Communities[i]
				}
			}
			if jsl == nil || jsl.Rates.Requests != office.Overall.Requests || jsl.Rates.Satisfied != office.Overall.Satisfied ||
				*jsl.Rates.SatisfactionRate != *office.Overall.SatisfactionRate || sm.Overall.Requests != total {
				t.Errorf("street figures %s disagree with the office's %+v", b, office.Overall)
			}
			if st, b2 := s.Do(t, "GET", fmt.Sprintf("/api/v1/metrics/requests?street_id=%d", sid), street, nil); st != 200 || string(b2) != string(b) {
				t.Errorf("street_id given: %d %s", st, b2)
			}
			// A community's figures: by handler, but no volunteer or worker named.
			var m requests.Metrics
			st, b = s.Do(t, "GET", fmt.Sprintf("/api/v1/metrics/requests?community_id=%d", cid), street, nil)
			if st != 200 || json.Unmarshal(b, &m) != nil || m.Overall.Requests != office.Overall.Requests || len(m.ByHandler) == 0 {
				t.Fatalf("community figures: %d %s", st, b)
			}
			for _, g := range office.ByHandler {
				if (g.Kind == "volunteer" || g.Kind == "account") && g.Name != "" && strings.Contains(string(b), `"`+g.Name+`"`) {
					t.Errorf("the street's figures name %s %q", g.Kind, g.Name)
				}
			}
			for _, c := range []struct {
				path string
				want int
				text string
			}{
				{"/api/v1/metrics/requests?street_id=999999", 404, ""},
				{"/api/v1/metrics/requests?community_id=999999", 404, ""},
				{"/api/v1/metrics/requests?street_id=abc", 422, "街道编号须为正整数"},
				{fmt.Sprintf("/api/v1/metrics/requests?street_id=%d&community_id=%d", sid, cid), 422, "只能选一个"},
				{"/api/v1/requests", 404, ""},
				{fmt.Sprintf("/api/v1/requests?community_id=%d", cid), 404, ""},
				{fmt.Sprintf("/api/v1/request-categories?community_id=%d", cid), 404, ""},
			} {
				if st, b := s.Do(t, "GET", c.path, street, nil); st != c.want || !strings.Contains(string(b), c.text) {
					t.Errorf("%s: %d %s, want %d %q", c.path, st, b, c.want, c.text)
				}
			}
			if st, b := s.Do(t, "GET", fmt.Sprintf("/api/v1/metrics/requests?street_id=%d", sid), worker, nil); st != 404 {
				t.Errorf("a worker asks for the street: %d %s", st, b)
			}

			// The hourly job escalates the demo's overdue requests.
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
			var r requests.Request
			st, b = s.Do(t, "GET", fmt.Sprintf("/api/v1/requests/%d", up), street, nil)
			if st != 200 || json.Unmarshal(b, &r) != nil || len(r.Actions) != 0 || !strings.Contains(r.RequesterName, "*") {
				t.Fatalf("escalated request: %d %s", st, b)
			}
			if st, _ := s.Do(t, "GET", fmt.Sprintf("/api/v1/requests/%d/timeline", up), street, nil); st != 200 {
				t.Errorf("its timeline: %d", st)
			}
			for _, path := range []string{"reveal", "accept"} {
				if st, _ := s.Do(t, "POST", fmt.Sprintf("/api/v1/requests/%d/%s", up, path), street, map[string]any{"reason": "督办"}); st != 403 {
					t.Errorf("%s: %d, want 403", path, st)
				}
			}
			for _, path := range []string{"", "/timeline"} {
				if st, _ := s.Do(t, "GET", fmt.Sprintf("/api/v1/requests/%d%s", down, path), street, nil); st != 404 {
					t.Errorf("not escalated %s: %d, want 404", path, st)
				}
			}
		})
	}
}
