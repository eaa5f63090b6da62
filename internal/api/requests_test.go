package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/linli/linli/internal/requests"
	"github.com/linli/linli/internal/testkit/server"
)

// TestRequestsThroughTheAPI walks a request through its life cycle over
// HTTP, as each role, with the refusals issue 6 names: each with its
// status and a localised reason, and nothing changed.
func TestRequestsThroughTheAPI(t *testing.T) {
	for _, pg := range []bool{false, true} {
		name := "sqlite"
		if pg {
			name = "postgres"
		}
		t.Run(name, func(t *testing.T) { requestsThroughTheAPI(t, server.Start(t, server.Options{Postgres: pg})) })
	}
}

func requestsThroughTheAPI(t *testing.T, s *server.Server) {
	ctx := t.Context()
	worker, partner, leader, resident := s.Login(t, "worker"), s.Login(t, "partner"), s.Login(t, "leader"), s.Login(t, "resident")
	grid, vol := s.Login(t, "grid"), s.Login(t, "volunteer")
	var cats struct {
		Items []requests.Category
		Total int
	}
	st, b := s.Do(t, "GET", "/api/v1/request-categories", resident, nil)
	if st != 200 || json.Unmarshal(b, &cats) != nil || cats.Total != len(requests.DefaultCategories) {
		t.Fatalf("categories: %d %s", st, b)
	}
	cat := map[string]int64{}
	for _, c := range cats.Items {
		cat[c.Code] = c.ID
	}
	// The office manages the tree; others are refused by the policy.
	if st, b := s.Do(t, "POST", "/api/v1/request-categories", worker, map[string]any{"parent_id": cat["heating"], "code": "radiators",
		"name_zh": "暖气片", "name_en": "Radiators", "public": true}); st != 201 || !strings.Contains(string(b), `"parent_id":`) {
		t.Errorf("add category: %d %s", st, b)
	}
	if st, _ := s.Do(t, "POST", "/api/v1/request-categories", leader, map[string]any{"code": "x", "name_zh": "x", "name_en": "x"}); st != 403 {
		t.Errorf("leader adds a category: %d", st)
	}
	if st, b := s.Do(t, "PATCH", fmt.Sprintf("/api/v1/request-categories/%d", cat["dispute"]), worker, map[string]any{"public": true}); st != 422 || !strings.Contains(string(b), "不能公开") {
		t.Errorf("publish disputes: %d %s", st, b)
	}
	count := func() int {
		var n int
		if err := s.DB.QueryRow(ctx, `SELECT count(*) FROM requests`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	good := map[string]any{"channel": "phone", "kind": "help", "category_id": cat["heating"], "address": "平安小区3号楼",
		"description": "暖气不热，家里只有14度", "urgency": "utilities", "contact_name": "周大爷", "contact_phone": "13900005555"}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for kk, vv := range good {
			m[kk] = vv
		}
		m[k] = v
		return m
	}
	for _, c := range []struct {
		name string
		body any
		want int
		text string
	}{
		{"too long", with("description", strings.Repeat("冷", 4001)), 422, "不能超过4000个字"},
		{"html", with("description", `暖气<a href="http://x">点此</a>`), 422, "不能含有网页代码"},
		{"unknown category", with("category_id", 999999), 422, "请选择本社区的诉求分类"},
		{"no place", with("address", ""), 422, "请填写地点"},
		{"unknown field", with("priority", 1), 400, ""},
		{"not json", "kind=help", 400, ""},
	} {
		if st, b := s.Do(t, "POST", "/api/v1/requests", worker, c.body); st != c.want || !strings.Contains(string(b), c.text) {
			t.Errorf("%s: %d %s, want %d with %q", c.name, st, b, c.want, c.text)
		}
	}
	if n := count(); n != 0 {
		t.Fatalf("refused intakes wrote %d requests", n)
	}
	// The partner may not register requests at all.
	if st, _ := s.Do(t, "POST", "/api/v1/requests", partner, good); st != 403 {
		t.Errorf("partner intake: %d", st)
	}
	var r requests.Request
	st, b = s.Do(t, "POST", "/api/v1/requests", worker, good)
	if st != 201 || json.Unmarshal(b, &r) != nil || r.Number != "2026-000001" || r.Status != requests.Submitted || r.RequesterPhone != "139****5555" {
		t.Fatalf("intake: %d %s", st, b)
	}
	path := func(step string) string { return fmt.Sprintf("/api/v1/requests/%d/%s", r.ID, step) }
	step := func(token, name string, body any, want int, text string) []byte {
		t.Helper()
		st, b := s.Do(t, "POST", path(name), token, body)
		if st != want || !strings.Contains(string(b), text) {
			t.Fatalf("%s: %d %s, want %d with %q", name, st, b, want, text)
		}
		return b
	}
	timeline := func() int {
		t.Helper()
		var tl struct{ Total int }
		st, b := s.Do(t, "GET", path("timeline"), worker, nil)
		if st != 200 || json.Unmarshal(b, &tl) != nil {
			t.Fatalf("timeline: %d %s", st, b)
		}
		return tl.Total
	}
	// Refused steps change nothing.
	step(worker, "sign", nil, 409, "诉求当前的状态不允许这一步")
	step(worker, "reject", map[string]any{}, 422, "请填写理由")
	step(worker, "reject", map[string]any{"reason": "<i>x</i>"}, 422, "不能含有网页代码")
	step(partner, "sign", nil, 404, "")                   // not dispatched to the partner
	step(resident, "callback", map[string]any{}, 404, "") // not the resident's
	step(partner, "accept", nil, 403, "")                 // the policy: not the partner's kind of step
	if tl := timeline(); tl != 1 {
		t.Fatalf("refused steps wrote the timeline: %d events", tl)
	}
	step(worker, "accept", nil, 200, `"status":"accepted"`)
	var org, team int64
	if err := s.DB.QueryRow(ctx, `SELECT id FROM organisations WHERE name = '桥西区供热公司'`).Scan(&org); err != nil {
		t.Fatal(err)
	}
	if err := s.DB.QueryRow(ctx, `SELECT id FROM teams WHERE name = '五彩益童心梦'`).Scan(&team); err != nil {
		t.Fatal(err)
	}
	step(worker, "dispatch", map[string]any{"handler": map[string]any{"kind": "organisation", "id": 999999}}, 422, "本社区没有这个承办方")
	step(worker, "dispatch", map[string]any{"handler": map[string]any{"kind": "organisation", "id": org}}, 200, `"status":"dispatched"`)
	// The partner now sees it, masked, and only it.
	var list struct {
		Items []requests.Request
		Total int
	}
	st, b = s.Do(t, "GET", "/api/v1/requests?status=dispatched", partner, nil)
	if st != 200 || json.Unmarshal(b, &list) != nil || list.Total != 1 || list.Items[0].RequesterName != "周*爷" {
		t.Fatalf("partner's inbox: %d %s", st, b)
	}
	if st, b := s.Do(t, "GET", fmt.Sprintf("/api/v1/requests/%d", r.ID), partner, nil); st != 200 || strings.Contains(string(b), "周大爷") {
		t.Fatalf("partner opens it: %d %s", st, b)
	}
	if st, b := s.Do(t, "GET", fmt.Sprintf("/api/v1/requests/%d", r.ID), worker, nil); st != 200 || !strings.Contains(string(b), "周大爷") {
		t.Fatalf("worker opens it: %d %s", st, b)
	}
	step(partner, "reveal", map[string]any{"reason": "联系住户上门"}, 200, "13900005555")
	step(leader, "sign", nil, 404, "") // dispatched to the partner, not the team
	step(partner, "extension", map[string]any{"reason": "等配件", "until": "not a date"}, 400, "")
	step(partner, "sign", nil, 200, `"status":"in_progress"`)
	step(partner, "verify", nil, 403, "")
	step(partner, "result", map[string]any{}, 422, "请填写办理情况")
	step(partner, "result", map[string]any{"note": "已排气，温度恢复到20度"}, 200, `"status":"result_submitted"`)
	step(worker, "verify", nil, 200, `"status":"awaiting_callback"`)
	step(worker, "callback", map[string]any{"resolved": true, "satisfaction": "很好"}, 422, "请选择满意")
	step(worker, "callback", map[string]any{"resolved": true, "satisfaction": "satisfied"}, 200, `"status":"closed"`)
	if tl := timeline(); tl != 7 {
		t.Fatalf("timeline has %d events, want 7", tl)
	}

	// A resident files her own; she lists only it, and the grid worker
	// (its address names no building of a grid) and a volunteer see none.
	st, b = s.Do(t, "POST", "/api/v1/requests", resident, map[string]any{"kind": "help", "category_id": cat["repairs"],
		"address": "平安小区1号楼1单元101", "description": "水壶坏了，老人没法烧水"})
	var own requests.Request
	if st != 201 || json.Unmarshal(b, &own) != nil || own.Channel != requests.ChannelWeb {
		t.Fatalf("resident files: %d %s", st, b)
	}
	for _, c := range []struct {
		token string
		want  int
	}{{resident, 1}, {worker, 2}, {grid, 0}, {vol, 0}, {leader, 0}} {
		st, b := s.Do(t, "GET", "/api/v1/requests", c.token, nil)
		if st != 200 || json.Unmarshal(b, &list) != nil || list.Total != c.want {
			t.Errorf("list: %d %s, want total %d", st, b, c.want)
		}
	}
	if st, b := s.Do(t, "POST", path("links"), worker, map[string]any{"linked_id": own.ID}); st != 200 || !strings.Contains(string(b), `"kind":"related"`) {
		t.Errorf("link: %d %s", st, b)
	}
	if st, _ := s.Do(t, "POST", path("links"), partner, map[string]any{"linked_id": own.ID}); st != 403 {
		t.Errorf("partner links: %d", st)
	}
	if st, _ := s.Do(t, "GET", "/api/v1/requests?status=lost", worker, nil); st != 422 {
		t.Errorf("unknown status filter: %d", st)
	}

	// English for an English-speaking account.
	if st, b := s.Do(t, "PATCH", "/api/v1/me", worker, map[string]any{"locale": "en"}); st != 200 {
		t.Fatalf("locale: %d %s", st, b)
	}
	worker = s.Login(t, "worker")
	if st, b := s.Do(t, "POST", "/api/v1/requests", worker, with("description", "<b>cold</b>")); st != 422 || !strings.Contains(string(b), "Plain text only") {
		t.Errorf("English refusal: %d %s", st, b)
	}
	if st, b := s.Do(t, "POST", path("reopen"), worker, map[string]any{}); st != 422 || !strings.Contains(string(b), "Give a reason") {
		t.Errorf("English reopen without reason: %d %s", st, b)
	}
}
