package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/registry"
	"github.com/linli/linli/internal/requests"
	"github.com/linli/linli/internal/testkit/server"
)

// TestRequestSettingsThroughTheAPI: routing rules and time limits over
// HTTP (the office edits, others read or are refused, bad tables get a
// localised reason and change nothing), a dispatch that follows the
// routing, similar requests on intake, and the overdue filter.
func TestRequestSettingsThroughTheAPI(t *testing.T) {
	for _, pg := range []bool{false, true} {
		name := "sqlite"
		if pg {
			name = "postgres"
		}
		t.Run(name, func(t *testing.T) { requestSettingsThroughTheAPI(t, server.Start(t, server.Options{Postgres: pg})) })
	}
}

func requestSettingsThroughTheAPI(t *testing.T, s *server.Server) {
	ctx := t.Context()
	worker, grid, resident := s.Login(t, "worker"), s.Login(t, "grid"), s.Login(t, "resident")
	want := func(method, path, token string, body any, status int, text string) []byte {
		t.Helper()
		st, b := s.Do(t, method, path, token, body)
		if st != status || !strings.Contains(string(b), text) {
			t.Fatalf("%s %s: %d %s, want %d with %q", method, path, st, b, status, text)
		}
		return b
	}
	// Limits: everyone of the community reads them, the office sets them.
	var dl struct{ Items []requests.Deadlines }
	if b := want("GET", "/api/v1/request-deadlines", resident, nil, 200, `"urgency":"general"`); json.Unmarshal(b, &dl) != nil ||
		len(dl.Items) != 4 || dl.Items[2].Feedback.Days != 7 || dl.Items[0].Dispatch.Hours != 1 {
		t.Fatalf("deadlines: %s", b)
	}
	bad := map[string]any{"deadlines": []map[string]any{{"urgency": "general", "dispatch": map[string]int{"hours": -2},
		"sign": map[string]int{"hours": 2}, "feedback": map[string]int{"days": 5}}}}
	want("PUT", "/api/v1/request-deadlines", worker, bad, 422, "时限不能为负数")
	want("PUT", "/api/v1/request-deadlines", grid, dl, 403, "")
	want("GET", "/api/v1/request-deadlines", worker, nil, 200, `"dispatch":{"hours":24}`)
	good := map[string]any{"deadlines": []map[string]any{{"urgency": "utilities", "dispatch": map[string]int{"hours": 3},
		"sign": map[string]int{"hours": 2}, "feedback": map[string]int{"days": 1}}}}
	want("PUT", "/api/v1/request-deadlines", worker, good, 200, `"dispatch":{"hours":3},"sign":{"hours":2},"feedback":{"days":1},"custom":true`)

	// Routing: the heating company marked, then a bad table refused.
	var org, cid, gridID, heating, water int64
	if err := s.DB.QueryRow(ctx, `SELECT id, community_id FROM organisations WHERE name = '桥西区供热公司'`).Scan(&org, &cid); err != nil {
		t.Fatal(err)
	}
	if err := s.DB.QueryRow(ctx, `SELECT grid_id FROM grants g JOIN accounts a ON a.id = g.account_id WHERE a.username = 'grid'`).Scan(&gridID); err != nil {
		t.Fatal(err)
	}
	var rt requests.Routing
	if b := want("GET", "/api/v1/request-routes", resident, nil, 200, `"defaults":[`); json.Unmarshal(b, &rt) != nil || len(rt.Defaults) != len(requests.DefaultCategories) {
		t.Fatalf("routes: %s", b)
	}
	for _, r := range rt.Defaults {
		switch r.CategoryCode {
		case "heating":
			heating = r.CategoryID
		case "water":
			water = r.CategoryID
		}
	}
	want("PUT", "/api/v1/request-routes", worker, map[string]any{"heating_organisation_id": org,
		"routes": []map[string]any{{"category_id": 999999, "handler": map[string]any{"kind": "grid_worker"}}}}, 422, "请选择本社区的诉求分类")
	want("PUT", "/api/v1/request-routes", grid, map[string]any{"heating_organisation_id": org}, 403, "")
	want("GET", "/api/v1/request-routes", worker, nil, 200, `"routes":[]`)
	b := want("PUT", "/api/v1/request-routes", worker, map[string]any{"heating_organisation_id": org,
		"routes": []map[string]any{{"category_id": water, "handler": map[string]any{"kind": "grid_worker"}}}}, 200, `"kind":"grid_worker"`)
	if !strings.Contains(string(b), fmt.Sprintf(`"category_code":"heating","handler":{"kind":"organisation","id":%d}`, org)) {
		t.Errorf("heating's default is not the heating company: %s", b)
	}

	// A building of the worker's grid to file requests in.
	var building int64
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		var err error
		building, err = s.App.Registry.NewLoader(tx, cid).Building(ctx, registry.Place{Estate: "测试小区", Building: "9", GridID: gridID})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	intake := map[string]any{"channel": "phone", "kind": "help", "category_id": heating, "building_id": building,
		"description": "暖气不热", "urgency": "utilities", "contact_name": "周大爷", "contact_phone": "13900005555"}
	var first, second requests.Request
	if b := want("POST", "/api/v1/requests", worker, intake, 201, `"due_at":`); json.Unmarshal(b, &first) != nil || len(first.Similar) != 0 ||
		!first.DispatchDue.Equal(s.Clock.Now().Add(3*time.Hour)) {
		t.Fatalf("first intake: %s", b)
	}
	if b := want("POST", "/api/v1/requests", worker, intake, 201, `"similar":[`); json.Unmarshal(b, &second) != nil ||
		len(second.Similar) != 1 || second.Similar[0].ID != first.ID {
		t.Fatalf("second intake: %s", b)
	}
	similar := fmt.Sprintf("/api/v1/requests/similar?building=%d&category=%d", building, heating)
	want("GET", similar, worker, nil, 200, `"total":2`)
	want("GET", similar, resident, nil, 403, "")
	want("GET", fmt.Sprintf("/api/v1/requests/similar?building=999999&category=%d", heating), worker, nil, 422, "")
	want("GET", "/api/v1/requests/similar?building=x", worker, nil, 400, "")

	// Dispatch without a handler follows the routing.
	want("POST", fmt.Sprintf("/api/v1/requests/%d/accept", first.ID), worker, nil, 200, "")
	want("POST", fmt.Sprintf("/api/v1/requests/%d/dispatch", first.ID), worker, nil, 200, fmt.Sprintf(`"handler":{"kind":"organisation","id":%d`, org))

	// The heating company signs for it in time (its limit: 2 hours).
	want("POST", fmt.Sprintf("/api/v1/requests/%d/sign", first.ID), s.Login(t, "partner"), nil, 200, `"status":"in_progress"`)
	// Three hours on, the second (never dispatched) is overdue; the first
	// feeds back within one working day (Monday).
	want("GET", "/api/v1/requests?overdue=true", worker, nil, 200, `"total":0`)
	s.Clock.Advance(3*time.Hour + time.Minute)
	worker = s.Login(t, "worker") // the idle session has ended
	b = want("GET", "/api/v1/requests?overdue=true", worker, nil, 200, `"total":1`)
	if !strings.Contains(string(b), fmt.Sprintf(`"id":%d,`, second.ID)) || !strings.Contains(string(b), `"overdue":true`) {
		t.Errorf("overdue list: %s", b)
	}
	want("GET", "/api/v1/requests?overdue=maybe", worker, nil, 400, "overdue")
}
