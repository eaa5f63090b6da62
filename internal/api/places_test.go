package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/linli/linli/internal/activities"
	"github.com/linli/linli/internal/testkit/server"
)

// Places through the API on both databases: everyone lists them, the
// office adds, resizes and retires them, a leader's plan must fit the
// place and may not choose a retired one.
func TestPlacesThroughTheAPI(t *testing.T) {
	for _, pg := range []bool{false, true} {
		name := "sqlite"
		if pg {
			name = "postgres"
		}
		t.Run(name, func(t *testing.T) { placesThroughTheAPI(t, server.Start(t, server.Options{Postgres: pg})) })
	}
}

func placesThroughTheAPI(t *testing.T, s *server.Server) {
	worker, leader, vol := s.Login(t, "worker"), s.Login(t, "leader"), s.Login(t, "volunteer")
	st, b := s.Do(t, "POST", "/api/v1/places", worker, map[string]any{"name": "社区书屋", "capacity": 12})
	var room activities.Place
	if st != 201 || json.Unmarshal(b, &room) != nil || room.ID == 0 || room.Capacity != 12 {
		t.Fatalf("add place: %d %s", st, b)
	}
	for _, c := range []struct {
		body any
		want int
		text string
	}{
		{map[string]any{"name": "社区书屋", "capacity": 5}, 409, "已有名为「社区书屋」的场地"},
		{map[string]any{"name": "", "capacity": 5}, 422, `"name"`},
		{map[string]any{"name": "大礼堂", "capacity": 20000}, 422, `"capacity"`},
	} {
		if st, b := s.Do(t, "POST", "/api/v1/places", worker, c.body); st != c.want || !strings.Contains(string(b), c.text) {
			t.Errorf("add %v: %d %s, want %d with %s", c.body, st, b, c.want, c.text)
		}
	}
	// Only the office manages them: the policy refuses the others.
	if st, _ := s.Do(t, "POST", "/api/v1/places", leader, map[string]any{"name": "队部", "capacity": 5}); st != 403 {
		t.Errorf("leader adds a place: %d", st)
	}
	if st, _ := s.Do(t, "PATCH", fmt.Sprintf("/api/v1/places/%d", room.ID), vol, map[string]any{"capacity": 50}); st != 403 {
		t.Errorf("volunteer resizes a place: %d", st)
	}
	if st, _ := s.Do(t, "PATCH", "/api/v1/places/999999", worker, map[string]any{"capacity": 50}); st != 404 {
		t.Errorf("no such place: %d", st)
	}
	// The leader's plan must fit the room.
	plan := map[string]any{"title": "读书会", "team_id": 1, "place_id": room.ID, "capacity": 13,
		"start": "2026-12-05T14:00", "end": "2026-12-05T16:00", "rrule": "FREQ=WEEKLY;COUNT=3"}
	if st, b := s.Do(t, "POST", "/api/v1/activities", leader, plan); st != 422 || !strings.Contains(string(b), "最多容纳 12 人") {
		t.Errorf("plan 13 in a room for 12: %d %s", st, b)
	}
	plan["capacity"] = 12
	if st, b := s.Do(t, "POST", "/api/v1/activities", leader, plan); st != 201 {
		t.Fatalf("plan 12 in a room for 12: %d %s", st, b)
	}
	st, b = s.Do(t, "PATCH", fmt.Sprintf("/api/v1/places/%d", room.ID), worker, map[string]any{"retired": true})
	if st != 200 || json.Unmarshal(b, &room) != nil || !room.Retired || room.Coming != 3 {
		t.Errorf("retire: %d %s", st, b)
	}
	plan["title"], plan["capacity"] = "读书会（二）", 5
	if st, b := s.Do(t, "POST", "/api/v1/activities", leader, plan); st != 422 || !strings.Contains(string(b), "已停用") {
		t.Errorf("plan at a retired place: %d %s", st, b)
	}
	st, b = s.Do(t, "GET", "/api/v1/places", vol, nil)
	var list struct{ Items []activities.Place }
	if st != 200 || json.Unmarshal(b, &list) != nil || len(list.Items) == 0 {
		t.Fatalf("volunteer lists places: %d %s", st, b)
	}
	if last := list.Items[len(list.Items)-1]; last.ID != room.ID || !last.Retired {
		t.Errorf("the retired room is not last: %+v", list.Items)
	}
}
