package api_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/linli/linli/internal/activities"
	"github.com/linli/linli/internal/testkit/server"
)

// The children's team leader plans the last-Saturday series; the volunteer
// signs up for a date and cancels; bad input is refused with reasons.
func TestActivitiesThroughTheAPI(t *testing.T) {
	s := server.Start(t, server.Options{Registry: true})
	leader := s.Login(t, "leader")
	in := map[string]any{"title": "五彩益童心梦·月末活动", "team_id": 1, "open_to": "volunteers", "capacity": 2, "min_age": 5, "max_age": 70,
		"start": "2026-12-26T09:00", "end": "2026-12-26T11:30", "rrule": "FREQ=MONTHLY;BYDAY=-1SA", "risks": "剪刀", "protection": "社工看护"}
	st, b := s.Do(t, "POST", "/api/v1/activities", leader, in)
	var planned struct{ ID int64 }
	if st != 201 || json.Unmarshal(b, &planned) != nil {
		t.Fatalf("plan: %d %s", st, b)
	}
	bad := map[string]any{"title": "x", "capacity": 5, "start": "2026-12-26T09:00", "end": "2026-12-26T08:00", "rrule": "FREQ=NEVER"}
	if st, b := s.Do(t, "POST", "/api/v1/activities", leader, bad); st != 422 || !strings.Contains(string(b), `"team_id"`) {
		t.Errorf("leader plans for no team: %d %s", st, b)
	}
	bad["team_id"] = 2
	if st, b := s.Do(t, "POST", "/api/v1/activities", leader, bad); st != 403 {
		t.Errorf("leader plans for another team: %d %s", st, b)
	}
	bad["team_id"] = 1
	if st, b := s.Do(t, "POST", "/api/v1/activities", leader, bad); st != 422 || !strings.Contains(string(b), `"rrule"`) || !strings.Contains(string(b), `"end"`) {
		t.Errorf("bad series: %d %s", st, b)
	}
	vol := s.Login(t, "volunteer")
	q := url.Values{"from": {"2026-12-01T00:00:00+08:00"}, "to": {"2027-12-01T00:00:00+08:00"}, "team": {"1"}}
	st, b = s.Do(t, "GET", "/api/v1/activities?"+q.Encode(), vol, nil)
	var list struct{ Items []activities.Occurrence }
	if st != 200 || json.Unmarshal(b, &list) != nil {
		t.Fatalf("occurrences: %d %s", st, b)
	}
	// The demo's own series of the team is listed too: keep this one's.
	list.Items = slices.DeleteFunc(list.Items, func(o activities.Occurrence) bool { return o.ActivityID != planned.ID })
	if len(list.Items) != 12 {
		t.Fatalf("occurrences: %d of the new series in %s", len(list.Items), b)
	}
	if list.Items[0].Start.Format("2006-01-02T15:04-07:00") != "2026-12-26T09:00+08:00" || list.Items[11].Start.Format("2006-01-02") != "2027-11-27" {
		t.Errorf("dates: %v … %v", list.Items[0].Start, list.Items[11].Start)
	}
	if st, _ := s.Do(t, "GET", "/api/v1/activities?from=yesterday&to=today", vol, nil); st != 422 {
		t.Errorf("bad period: %d", st)
	}
	first := list.Items[0].ID
	st, b = s.Do(t, "POST", fmt.Sprintf("/api/v1/occurrences/%d/signup", first), vol, nil)
	if st != 201 || !strings.Contains(string(b), `"status":"signed"`) {
		t.Fatalf("sign up: %d %s", st, b)
	}
	if st, _ := s.Do(t, "POST", fmt.Sprintf("/api/v1/occurrences/%d/signup", first), vol, nil); st != 409 {
		t.Errorf("sign up twice: %d", st)
	}
	st, b = s.Do(t, "GET", fmt.Sprintf("/api/v1/occurrences/%d/roster", first), leader, nil)
	if st != 200 || !strings.Contains(string(b), `"signed"`) {
		t.Errorf("roster: %d %s", st, b)
	}
	// Each entry carries its person's record (counted in internal/activities).
	var roster struct{ Items []map[string]any }
	if err := json.Unmarshal(b, &roster); err != nil || len(roster.Items) != 1 {
		t.Fatalf("roster: %s %v", b, err)
	}
	for _, k := range []string{"no_shows", "late_cancels", "attended"} {
		if _, ok := roster.Items[0][k].(float64); !ok {
			t.Errorf("roster entry without %s: %s", k, b)
		}
	}
	if st, _ := s.Do(t, "GET", fmt.Sprintf("/api/v1/occurrences/%d/roster", first), vol, nil); st != 403 {
		t.Errorf("a volunteer reads the roster: %d", st)
	}
	if st, b := s.Do(t, "POST", fmt.Sprintf("/api/v1/occurrences/%d/cancel", first), vol, nil); st != 204 {
		t.Errorf("cancel: %d %s", st, b)
	}

	// Today's smartphone class: sign up, the organiser's code, check in by it.
	st, b = s.Do(t, "POST", "/api/v1/activities", leader, map[string]any{"title": "智能手机课", "team_id": 1, "capacity": 10,
		"start": "2026-11-28T09:20", "end": "2026-11-28T10:30"})
	if st != 201 || json.Unmarshal(b, &planned) != nil {
		t.Fatalf("plan today's class: %d %s", st, b)
	}
	q.Set("from", "2026-11-28T00:00:00+08:00")
	q.Set("to", "2026-11-29T00:00:00+08:00")
	_, b = s.Do(t, "GET", "/api/v1/activities?"+q.Encode(), vol, nil)
	json.Unmarshal(b, &list)
	list.Items = slices.DeleteFunc(list.Items, func(o activities.Occurrence) bool { return o.ActivityID != planned.ID })
	if len(list.Items) != 1 {
		t.Fatalf("today: %s", b)
	}
	today := list.Items[0].ID
	if st, b := s.Do(t, "POST", fmt.Sprintf("/api/v1/occurrences/%d/signup", today), vol, nil); st != 201 {
		t.Fatalf("sign up today: %d %s", st, b)
	}
	st, b = s.Do(t, "GET", fmt.Sprintf("/api/v1/occurrences/%d/code", today), leader, nil)
	var code struct {
		Code, URL string
	}
	if st != 200 || json.Unmarshal(b, &code) != nil || len(code.Code) != 8 || !strings.HasPrefix(code.URL, s.URL+"/checkin/") {
		t.Fatalf("code: %d %s", st, b)
	}
	if st, _ := s.Do(t, "GET", fmt.Sprintf("/api/v1/occurrences/%d/code", today), vol, nil); st != 403 {
		t.Errorf("a volunteer reads the code: %d", st)
	}
	if st, b := s.Do(t, "POST", fmt.Sprintf("/api/v1/occurrences/%d/checkin", today), vol, map[string]string{"code": "WRONG123"}); st != 422 || !strings.Contains(string(b), "签到码无效") {
		t.Errorf("wrong code: %d %s", st, b)
	}
	if st, b := s.Do(t, "POST", fmt.Sprintf("/api/v1/occurrences/%d/checkin", today), vol, map[string]string{"code": code.Code}); st != 201 {
		t.Fatalf("check in: %d %s", st, b)
	}
	if st, _ := s.Do(t, "POST", fmt.Sprintf("/api/v1/occurrences/%d/checkin", today), vol, map[string]string{"code": code.Code}); st != 409 {
		t.Errorf("check in twice: %d", st)
	}
	st, b = s.Do(t, "GET", fmt.Sprintf("/api/v1/occurrences/%d/attendance", today), leader, nil)
	if st != 200 || !strings.Contains(string(b), `"how":"qr"`) {
		t.Errorf("attendance: %d %s", st, b)
	}
}
