package httpx

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/linli/linli/internal/apperr"
)

type sample struct {
	Username string `json:"username"`
	Count    int    `json:"count"`
}

func decode(body, ctype string, limit int64) error {
	r := httptest.NewRequest("POST", "/", strings.NewReader(body))
	r.Header.Set("Content-Type", ctype)
	r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, limit)
	var s sample
	return DecodeJSON(r, &s)
}

func TestDecodeJSONClassifies(t *testing.T) {
	for _, c := range []struct {
		body, ctype string
		want        apperr.Code
	}{
		{`{"username":"a","count":1}`, "application/json", ""},
		{`{"username":"a"}`, "application/json; charset=utf-8", ""},
		{`{"username":"a"}`, "text/plain", apperr.Unsupported},
		{`{"username":"a"}`, "", apperr.Unsupported},
		{`{"username":`, "application/json", apperr.Malformed},
		{`{"username":"a","extra":1}`, "application/json", apperr.Malformed},
		{`{"count":"many"}`, "application/json", apperr.Malformed},
		{`{} {}`, "application/json", apperr.Malformed},
		{`[]`, "application/json", apperr.Malformed},
		{`{"username":"` + strings.Repeat("x", 2000) + `"}`, "application/json", apperr.TooLarge},
	} {
		if got := apperr.CodeOf(decode(c.body, c.ctype, 1000)); got != c.want {
			t.Errorf("%.40q (%s): %q, want %q", c.body, c.ctype, got, c.want)
		}
	}
}

// FuzzDecodeJSON: whatever arrives, decoding answers nil or a user error
// (malformed, too large), never a panic or an internal error.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"username":"a","count":1}`, `{`, `null`, `{"count":1e999}`, "\xff\xfe", `{"username":"\u0000"}`, `{"a":{"b":[1,2,{"c":null}]}}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		err := decode(body, "application/json", 4096)
		if err == nil {
			return
		}
		if c := apperr.CodeOf(err); c != apperr.Malformed && c != apperr.TooLarge {
			t.Fatalf("body %q gave %s: %v", body, c, err)
		}
	})
}

func TestParsePage(t *testing.T) {
	for q, ok := range map[string]bool{"": true, "page=2&per_page=500": true, "per_page=0": false, "per_page=501": false,
		"page=0": false, "page=-1": false, "page=x": false, "per_page=1": true} {
		_, err := ParsePage(httptest.NewRequest("GET", "/?"+q, nil))
		if (err == nil) != ok {
			t.Errorf("ParsePage(%q) = %v", q, err)
		}
	}
}

// A feed's token is its credential: neither the access log nor an
// internal error's log line carries it.
func TestLogsLeaveFeedTokensOut(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h := AccessLog(log)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		status, body := Describe(log, r, "zh-CN", errors.New("disk on fire"))
		w.WriteHeader(status)
		_ = body
	}))
	const token = "Zx9secretTOKENvalue"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/feeds/"+token+".ics", nil))
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status %d", rec.Code)
	}
	if out := buf.String(); strings.Contains(out, token) || !strings.Contains(out, "/feeds/…") || !strings.Contains(out, "internal error") {
		t.Errorf("logged:\n%s", out)
	}
}
