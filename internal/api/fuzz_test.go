package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/linli/linli/internal/testkit/server"
)

// FuzzLogin posts arbitrary bodies to the login endpoint of a real server.
// Every answer must be a client error or a success, never a 5xx.
func FuzzLogin(f *testing.F) {
	s := server.Start(f, server.Options{})
	for _, seed := range []string{
		`{"username":"worker","password":"Linli-test-2026"}`,
		`{"username":"worker","password":"x"}`,
		`{"username":"","password":""}`,
		`{"username":"` + strings.Repeat("a", 200) + `","password":"x"}`,
		`{"username":"王芳","password":"密码"}`,
		`{"username":null}`, `{`, `[]`, ``, `{"username":"a\u0000b","password":"p"}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		req, _ := http.NewRequest("POST", s.URL+"/api/v1/login", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		switch resp.StatusCode {
		case 200, 400, 401, 413, 422, 429:
		default:
			t.Fatalf("body %q: status %d", body, resp.StatusCode)
		}
	})
}
