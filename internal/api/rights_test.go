package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/linli/linli/internal/registry"
	"github.com/linli/linli/internal/testkit/server"
)

// A resident sees and downloads their own data; an erasure request is
// recorded and carried out by anonymising, and the record stays.
func TestDataSubjectRights(t *testing.T) {
	s := server.Start(t, server.Options{Registry: true})
	res := s.Login(t, "resident")
	st, b := s.Do(t, "GET", "/api/v1/me/data", res, nil)
	var d registry.SubjectData
	if st != 200 || json.Unmarshal(b, &d) != nil || d.Resident == nil {
		t.Fatalf("me/data: %d %s", st, b)
	}
	if d.Resident.Name != "陈秀英" || len(d.Resident.IDNumber) != 18 || strings.Contains(d.Resident.IDNumber, "*") || d.Household != 1 {
		t.Fatalf("own data not complete and unmasked: %+v", d.Resident)
	}
	if strings.Contains(string(b), "argon2") || strings.Contains(string(b), "password_hash") {
		t.Fatal("me/data shows the password hash")
	}
	// Someone else's data is not theirs to see.
	if st, _ := s.Do(t, "GET", fmt.Sprintf("/api/v1/residents/%d", d.Resident.ID+1), res, nil); st != 403 {
		t.Fatalf("resident opened a housemate's record: %d", st)
	}
	st, b = s.Do(t, "POST", "/api/v1/me/erasure", res, map[string]string{"reason": "已搬走"})
	if st != 201 {
		t.Fatalf("request erasure: %d %s", st, b)
	}
	if st, _ := s.Do(t, "POST", "/api/v1/me/erasure", res, map[string]string{"reason": "again"}); st != 409 {
		t.Fatalf("second request: %d", st)
	}
	worker := s.Login(t, "worker")
	st, b = s.Do(t, "GET", "/api/v1/erasure-requests", worker, nil)
	if st != 200 || !strings.Contains(string(b), `"status":"open"`) {
		t.Fatalf("list requests: %d %s", st, b)
	}
	var list struct{ Items []registry.ErasureRequest }
	json.Unmarshal(b, &list)
	if st, _ := s.Do(t, "POST", fmt.Sprintf("/api/v1/erasure-requests/%d/decide", list.Items[0].ID), worker,
		map[string]any{"carry_out": false, "note": ""}); st != 422 {
		t.Fatalf("refusal without a note: %d", st)
	}
	if st, _ := s.Do(t, "POST", fmt.Sprintf("/api/v1/erasure-requests/%d/decide", list.Items[0].ID), worker,
		map[string]any{"carry_out": true}); st != 204 {
		t.Fatalf("carry out: %d", st)
	}
	st, b = s.Do(t, "GET", fmt.Sprintf("/api/v1/residents/%d", d.Resident.ID), worker, nil)
	if st != 200 || strings.Contains(string(b), "陈秀英") || !strings.Contains(string(b), "已注销居民") || !strings.Contains(string(b), "moved_out_at") {
		t.Fatalf("after erasure: %d %s", st, b)
	}
	// The anonymised record no longer belongs to the login.
	st, b = s.Do(t, "GET", "/api/v1/me/data", res, nil)
	if st != 200 || strings.Contains(string(b), `"resident":{`) {
		t.Fatalf("me/data after erasure: %d %s", st, b)
	}
}

// Office staff link a resident's login to their record; then the person
// sees their own data.
func TestLinkResidentAccount(t *testing.T) {
	s := server.Start(t, server.Options{Registry: true})
	admin := s.Login(t, "admin")
	st, b := s.Do(t, "GET", "/api/v1/residents?q="+"%E7%8E%8B&per_page=1", admin, nil)
	var list struct{ Items []registry.Resident }
	if st != 200 || json.Unmarshal(b, &list) != nil || len(list.Items) != 1 {
		t.Fatalf("find a resident: %d %s", st, b)
	}
	r := list.Items[0]
	st, b = s.Do(t, "POST", "/api/v1/users", admin, map[string]any{"username": "wang-login", "display_name": r.Name,
		"password": server.Password, "grant": map[string]any{"role": "resident", "household_id": r.HouseholdID}})
	if st != 201 {
		t.Fatalf("create login: %d %s", st, b)
	}
	var acc struct{ ID int64 }
	json.Unmarshal(b, &acc)
	worker := s.Login(t, "worker")
	if st, b := s.Do(t, "POST", fmt.Sprintf("/api/v1/residents/%d/account", r.ID), worker, map[string]any{"account_id": 1}); st != 422 {
		t.Fatalf("linking a staff login: %d %s", st, b)
	}
	if st, b := s.Do(t, "POST", fmt.Sprintf("/api/v1/residents/%d/account", r.ID), worker, map[string]any{"account_id": acc.ID}); st != 204 {
		t.Fatalf("link: %d %s", st, b)
	}
	tok := s.Login(t, "wang-login")
	st, b = s.Do(t, "GET", "/api/v1/me/data", tok, nil)
	if st != 200 || !strings.Contains(string(b), `"resident":{`) || !strings.Contains(string(b), r.Name) {
		t.Fatalf("me/data after linking: %d %s", st, b)
	}
}
