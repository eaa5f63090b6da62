package server

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
)

// Login signs a demo user in through the API and returns the Bearer token.
func (s *Server) Login(t testing.TB, username string) string {
	t.Helper()
	status, body := s.Do(t, "POST", "/api/v1/login", "", map[string]string{"username": username, "password": Password})
	if status != http.StatusOK {
		t.Fatalf("login %s: %d %s", username, status, body)
	}
	var out struct{ Token string }
	if err := json.Unmarshal(body, &out); err != nil || out.Token == "" {
		t.Fatalf("login %s: no token in %s", username, body)
	}
	return out.Token
}

// Do sends a JSON API request (body marshalled unless it is a string or
// []byte) with an optional Bearer token and returns status and body.
func (s *Server) Do(t testing.TB, method, path, token string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}
