package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/linli/linli/internal/audit"
	"github.com/linli/linli/internal/hours"
	"github.com/linli/linli/internal/sheets"
	"github.com/linli/linli/internal/testkit/server"
)

// The export for the national volunteer system: the statutory fields of
// every counted record of the period, one a row, with real names and ID
// numbers; the office only, with a reason, audited once.
func TestNationalExport(t *testing.T) {
	s := server.Start(t, server.Options{Registry: true})
	worker := s.Login(t, "worker")
	body := map[string]string{"from": "2026-10-01", "to": "2026-10-31", "reason": "上传全国志愿服务信息系统"}
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", s.URL+"/api/v1/service-records/export", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+worker)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	file, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Disposition"), "service-records-2026-10-01-2026-10-31.xlsx") {
		t.Fatalf("export: %d %s %s", resp.StatusCode, resp.Header, file)
	}
	rd, err := sheets.Open("export.xlsx", bytes.NewReader(file), int64(len(file)), sheets.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	if head := rd.Header(); strings.Join(head, ",") != strings.Join(hours.ExportColumns, ",") {
		t.Fatalf("header: %v", head)
	}
	var rows int64
	for {
		row, ok := rd.Next()
		if !ok {
			break
		}
		rows++
		cells := row.Cells
		if cells[0] == "" || strings.Contains(cells[0], "*") || cells[5] < "2026-10-01" || cells[5] > "2026-10-31" || cells[4] == "" || cells[11] == "" {
			t.Fatalf("row %d: %q", rows, cells)
		}
		if cells[1] == "居民身份证" && (len(cells[2]) != 18 || strings.Contains(cells[2], "*")) {
			t.Fatalf("row %d: ID number %q", rows, cells[2])
		}
	}
	if err := rd.Err(); err != nil {
		t.Fatal(err)
	}
	var want int64
	s.DB.QueryRow(t.Context(), `SELECT count(*) FROM service_records r WHERE r.service_date BETWEEN '2026-10-01' AND '2026-10-31' AND r.reverses_id IS NULL
		AND NOT EXISTS (SELECT 1 FROM service_records x WHERE x.reverses_id = r.id)
		AND (r.captured <> 'backfill' OR EXISTS (SELECT 1 FROM record_decisions d WHERE d.record_id = r.id AND d.decision = 'confirm'))`).Scan(&want)
	if rows != want || rows < 100 {
		t.Errorf("%d rows, want %d counted records of October", rows, want)
	}
	es, _, _ := audit.List(t.Context(), s.DB, audit.Filter{Action: "records.export"})
	if len(es) != 1 || es[0].ObjectID != itoa(want) || len(es[0].Fields) != 2 {
		t.Errorf("audit: %+v", es)
	}
	// No reason, no export; a leader may not export at all.
	body["reason"] = ""
	if st, b := s.Do(t, "POST", "/api/v1/service-records/export", worker, body); st != 422 || !strings.Contains(string(b), `"reason"`) {
		t.Errorf("no reason: %d %s", st, b)
	}
	body["reason"] = "想看看"
	if st, _ := s.Do(t, "POST", "/api/v1/service-records/export", s.Login(t, "leader"), body); st != 403 {
		t.Errorf("leader exports: %d", st)
	}
}
