package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/linli/linli/internal/hours"
	"github.com/linli/linli/internal/testkit/server"
	"github.com/linli/linli/internal/volunteers"
)

// The hours ledger through the API: the children's team leader records a
// roster, bad input is refused with reasons and writes nothing, a
// correction reverses, and the matrix counts it for the street.
func TestHoursThroughTheAPI(t *testing.T) {
	s := server.Start(t, server.Options{Registry: true})
	leader := s.Login(t, "leader")
	st, b := s.Do(t, "GET", "/api/v1/teams", leader, nil)
	var teams struct{ Items []volunteers.Team }
	if st != 200 || json.Unmarshal(b, &teams) != nil || len(teams.Items) != 11 {
		t.Fatalf("teams: %d %s", st, b)
	}
	kids := teams.Items[0]
	st, b = s.Do(t, "GET", fmt.Sprintf("/api/v1/volunteers?team=%d&per_page=5", kids.ID), leader, nil)
	var members struct{ Items []volunteers.Volunteer }
	if st != 200 || json.Unmarshal(b, &members) != nil || len(members.Items) < 3 {
		t.Fatalf("members: %d %s", st, b)
	}
	ids := []int64{members.Items[1].ID, members.Items[2].ID}
	day := s.Clock.Now().AddDate(0, 0, -3).Format("2006-01-02")
	in := map[string]any{"team_id": kids.ID, "activity_name": "防溺水安全课", "date": day, "start": "09:00", "end": "11:30", "hours": 2.5,
		"place": "社区活动室", "content": "讲解防溺水知识并演练", "person_in_charge": "刘静", "volunteers": ids}
	before := ledgerMinutes(t, s)
	bad := map[string]any{}
	for k, v := range in {
		bad[k] = v
	}
	bad["hours"], bad["end"] = 3, "11:00"
	st, b = s.Do(t, "POST", "/api/v1/service-records", leader, bad)
	if st != 422 || !strings.Contains(string(b), `"hours"`) || !strings.Contains(string(b), "时长与起止时间不符") {
		t.Fatalf("mismatched hours: %d %s", st, b)
	}
	bad["end"], bad["hours"] = "08:00", nil
	if st, b = s.Do(t, "POST", "/api/v1/service-records", leader, bad); st != 422 || !strings.Contains(string(b), "结束时间须晚于开始时间") {
		t.Fatalf("end before start: %d %s", st, b)
	}
	if ledgerMinutes(t, s) != before {
		t.Fatal("a refused record changed the ledger")
	}
	st, b = s.Do(t, "POST", "/api/v1/service-records", leader, in)
	var created struct{ Items []hours.Record }
	if st != 201 || json.Unmarshal(b, &created) != nil || len(created.Items) != 2 || created.Items[0].Minutes != 150 {
		t.Fatalf("record: %d %s", st, b)
	}
	// A volunteer may not record; the leader may not record for another team.
	vol := s.Login(t, "volunteer")
	if st, _ := s.Do(t, "POST", "/api/v1/service-records", vol, in); st != 403 {
		t.Errorf("volunteer records: %d", st)
	}
	other := map[string]any{}
	for k, v := range in {
		other[k] = v
	}
	other["team_id"] = teams.Items[10].ID
	if st, _ := s.Do(t, "POST", "/api/v1/service-records", leader, other); st != 403 {
		t.Errorf("leader records for another team: %d", st)
	}
	// The volunteer login sees their own hours, and a year of them.
	st, b = s.Do(t, "GET", "/api/v1/me/hours", vol, nil)
	var sum hours.Summary
	if st != 200 || json.Unmarshal(b, &sum) != nil {
		t.Fatalf("me/hours: %d %s", st, b)
	}
	// Correction by reversal.
	st, b = s.Do(t, "POST", fmt.Sprintf("/api/v1/service-records/%d/reverse", created.Items[0].ID), leader, map[string]string{"reason": "当天请假未到"})
	if st != 201 || !strings.Contains(string(b), `"status":"reversal"`) {
		t.Fatalf("reverse: %d %s", st, b)
	}
	if got := ledgerMinutes(t, s); got != before+150 {
		t.Errorf("ledger after record and reversal: %d, want %d", got, before+150)
	}
	// The street supervisor sees the matrix, counts only.
	street := s.Login(t, "street")
	st, b = s.Do(t, "GET", "/api/v1/matrix?community_id=1", street, nil)
	var m hours.Matrix
	if st != 200 || json.Unmarshal(b, &m) != nil || len(m.Rows) != 11 || len(m.Columns) != len(volunteers.Categories) {
		t.Fatalf("matrix: %d %s", st, b)
	}
	if strings.Contains(string(b), members.Items[1].Name) {
		t.Error("the matrix names a volunteer")
	}
	if st, _ := s.Do(t, "GET", "/api/v1/service-records?community_id=1", street, nil); st != 403 {
		t.Errorf("street lists records: %d", st)
	}
}

func ledgerMinutes(t *testing.T, s *server.Server) int {
	t.Helper()
	var n int
	if err := s.DB.QueryRow(t.Context(), `SELECT COALESCE(SUM(minutes), 0) FROM service_records`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
