package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/linli/linli/internal/certs"
	"github.com/linli/linli/internal/testkit/server"
)

// The example: POST /api/v1/certificates with an empty body
// issues the caller's certificate of all records to date and answers
// with its number and an absolute verify_url; the check needs no login
// and shows only the name, period, hours and issuer.
func TestCertificatesThroughTheAPI(t *testing.T) {
	s := server.Start(t, server.Options{Registry: true})
	vol := s.Login(t, "volunteer")
	req, _ := http.NewRequest("POST", s.URL+"/api/v1/certificates", nil)
	req.Header.Set("Authorization", "Bearer "+vol)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var c certs.Certificate
	if resp.StatusCode != 201 || json.Unmarshal(b, &c) != nil {
		t.Fatalf("issue: %d %s", resp.StatusCode, b)
	}
	if c.Name != "赵建国" || c.Hours < 80 || !strings.HasPrefix(c.VerifyURL, s.URL+"/verify/JSL-") || len(c.Lines) == 0 {
		t.Fatalf("certificate: %+v", c)
	}
	// A period narrows it.
	st, b := s.Do(t, "POST", "/api/v1/certificates", vol, map[string]string{"from": "2026-11-01", "to": "2026-11-27"})
	var nov certs.Certificate
	if st != 201 || json.Unmarshal(b, &nov) != nil || nov.Hours >= c.Hours || nov.From != "2026-11-01" {
		t.Fatalf("November: %d %s", st, b)
	}
	st, b = s.Do(t, "POST", "/api/v1/certificates", vol, map[string]string{"from": "2026-11-27", "to": "2026-11-01"})
	if st != 422 || !strings.Contains(string(b), "截止日期须不早于起始日期") {
		t.Errorf("reversed period: %d %s", st, b)
	}
	// The public check, without a token.
	resp, err = http.Get(c.VerifyURL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "证明真实有效") || !strings.Contains(string(page), "赵建国") {
		t.Fatalf("verify page: %d", resp.StatusCode)
	}
	resp, _ = http.Get(s.URL + "/api/v1/verify/" + c.Number)
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || strings.Contains(string(b), "JSL-V") || strings.Contains(string(b), "volunteer_id") {
		t.Errorf("public check shows more than it should: %d %s", resp.StatusCode, b)
	}
	tampered := c.Number[:len(c.Number)-1] + "0"
	if strings.HasSuffix(c.Number, "0") {
		tampered = c.Number[:len(c.Number)-1] + "1"
	}
	for _, n := range []string{tampered, "JSL-2026-AAAAAAAAAAAA-A", "../../etc/passwd"} {
		resp, _ := http.Get(s.URL + "/api/v1/verify/" + n)
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Errorf("verify %q: %d, want 404", n, resp.StatusCode)
		}
	}
	// The PDF, for the volunteer only.
	req, _ = http.NewRequest("GET", s.URL+"/api/v1/certificates/"+c.Number+"/pdf", nil)
	req.Header.Set("Authorization", "Bearer "+vol)
	resp, _ = http.DefaultClient.Do(req)
	pdf, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Errorf("pdf: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	leader := s.Login(t, "leader")
	if st, _ := s.Do(t, "GET", "/api/v1/certificates/"+c.Number, leader, nil); st != 404 {
		t.Errorf("someone else's certificate: %d", st)
	}
	// A resident who is no volunteer has nothing to certify.
	if st, _ := s.Do(t, "POST", "/api/v1/certificates", s.Login(t, "resident"), map[string]string{}); st != 404 {
		t.Errorf("a non-volunteer's certificate: %d", st)
	}
}
