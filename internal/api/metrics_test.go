package api_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/linli/linli/internal/requests"
	"github.com/linli/linli/internal/testkit/server"
)

// TestMetricsThroughTheAPI: the office gets the demo year's figures, the
// same as the service counts; partners and residents are refused; a bad
// period is refused with its reason.
func TestMetricsThroughTheAPI(t *testing.T) {
	for _, pg := range []bool{false, true} {
		t.Run(map[bool]string{false: "sqlite", true: "postgres"}[pg], func(t *testing.T) {
			s := server.Start(t, server.Options{Postgres: pg, Registry: true})
			worker, partner, resident := s.Login(t, "worker"), s.Login(t, "partner"), s.Login(t, "resident")
			var m requests.Metrics
			st, b := s.Do(t, "GET", "/api/v1/metrics/requests", worker, nil)
			if st != 200 || json.Unmarshal(b, &m) != nil {
				t.Fatalf("metrics: %d %s", st, b)
			}
			var n int
			if err := s.DB.QueryRow(t.Context(), `SELECT count(*) FROM requests WHERE created_at >= ? AND created_at < ?`, m.From, m.To).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if m.Overall.Requests != n || n < 500 || m.Overall.SatisfactionRate == nil || len(m.ByCategory) == 0 || len(m.ByHandler) == 0 || len(m.ByGrid) == 0 {
				t.Fatalf("metrics of %d requests: %s", n, b)
			}
			for who, tok := range map[string]string{"partner": partner, "resident": resident} {
				if st, _ := s.Do(t, "GET", "/api/v1/metrics/requests", tok, nil); st != 403 {
					t.Errorf("%s: %d, want 403", who, st)
				}
			}
			if st, b := s.Do(t, "GET", "/api/v1/metrics/requests?from=2026-12-01T00:00:00%2B08:00&to=2026-01-01T00:00:00%2B08:00", worker, nil); st != 422 || !strings.Contains(string(b), "结束须晚于开始") {
				t.Errorf("to before from: %d %s", st, b)
			}
			if st, _ := s.Do(t, "GET", "/api/v1/metrics/requests?from=yesterday", worker, nil); st != 422 {
				t.Errorf("from=yesterday: %d", st)
			}
		})
	}
}
