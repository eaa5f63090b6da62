package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/linli/linli/internal/matching"
	"github.com/linli/linli/internal/requests"
	"github.com/linli/linli/internal/testkit/server"
)

// TestSuggestionsThroughTheAPI asks for volunteers for a request over
// HTTP: the office gets them with their reasons; the request's partner
// and a resident find nothing; a bad limit is refused.
func TestSuggestionsThroughTheAPI(t *testing.T) {
	for _, pg := range []bool{false, true} {
		name := "sqlite"
		if pg {
			name = "postgres"
		}
		t.Run(name, func(t *testing.T) {
			s := server.Start(t, server.Options{Postgres: pg})
			worker, partner, resident := s.Login(t, "worker"), s.Login(t, "partner"), s.Login(t, "resident")
			var cats struct{ Items []requests.Category }
			if st, b := s.Do(t, "GET", "/api/v1/request-categories", worker, nil); st != 200 || json.Unmarshal(b, &cats) != nil {
				t.Fatalf("categories: %d %s", st, b)
			}
			var repairs int64
			for _, c := range cats.Items {
				if c.Code == "repairs" {
					repairs = c.ID
				}
			}
			var r struct{ ID int64 }
			st, b := s.Do(t, "POST", "/api/v1/requests", worker, map[string]any{"channel": "phone", "kind": "help", "category_id": repairs,
				"address": "平安小区3号楼", "description": "电水壶坏了", "urgency": "general", "contact_name": "周大爷", "contact_phone": "13900005555"})
			if st != 201 || json.Unmarshal(b, &r) != nil {
				t.Fatalf("submit: %d %s", st, b)
			}
			// Three adult volunteers of the request's community.
			for i := range 3 {
				if _, err := s.DB.Exec(t.Context(), `INSERT INTO volunteers (community_id, number, name, birth_date, registered_via, registered_at, updated_at)
					SELECT community_id, ?, ?, '1970-01-01', 'worker', created_at, created_at FROM requests WHERE id = ?`,
					fmt.Sprintf("API-%d", i), fmt.Sprintf("志愿者%d", i), r.ID); err != nil {
					t.Fatal(err)
				}
			}
			var vols int
			if err := s.DB.QueryRow(t.Context(), `SELECT count(*) FROM volunteers WHERE status = 'active'`).Scan(&vols); err != nil {
				t.Fatal(err)
			}
			if vols < 3 {
				t.Fatalf("the test server has %d active volunteers: nothing to suggest", vols)
			}
			var got struct {
				Items []matching.Suggestion
				Total int
			}
			st, b = s.Do(t, "GET", fmt.Sprintf("/api/v1/requests/%d/suggestions?limit=3", r.ID), worker, nil)
			if st != 200 || json.Unmarshal(b, &got) != nil || got.Total != len(got.Items) || len(got.Items) != 3 {
				t.Fatalf("suggestions: %d %s", st, b)
			}
			for _, sg := range got.Items {
				if sg.Name == "" || len(sg.Reasons) == 0 {
					t.Errorf("suggestion without a name or reasons: %+v", sg)
				}
			}
			for who, tok := range map[string]string{"partner": partner, "resident": resident} {
				if st, _ := s.Do(t, "GET", fmt.Sprintf("/api/v1/requests/%d/suggestions", r.ID), tok, nil); st != 403 && st != 404 {
					t.Errorf("%s asks for suggestions: %d", who, st)
				}
			}
			for _, bad := range []string{"0", "51", "x"} {
				if st, b := s.Do(t, "GET", fmt.Sprintf("/api/v1/requests/%d/suggestions?limit=%s", r.ID, bad), worker, nil); st != 422 || !strings.Contains(string(b), "50") {
					t.Errorf("limit %s: %d %s", bad, st, b)
				}
			}
		})
	}
}
