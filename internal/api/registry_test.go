package api_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/linli/linli/internal/audit"
	"github.com/linli/linli/internal/registry/registrytest"
	"github.com/linli/linli/internal/testkit/server"
)

// canaries are the seeded values that must never reach a role without the
// right; the adult's name may reach staff who see the adult's row.
var canaries = []string{registrytest.CanaryID, registrytest.CanaryPhone, registrytest.CanaryNote, registrytest.CanaryChild, "87650001"}

// TestRegistryCanaries sends every registry route, API and pages, as every
// demo role, on both databases, and checks what each response may contain.
func TestRegistryCanaries(t *testing.T) {
	for _, pg := range []bool{false, true} {
		name := map[bool]string{false: "sqlite", true: "postgres"}[pg]
		t.Run(name, func(t *testing.T) {
			s := server.Start(t, server.Options{Postgres: pg})
			ctx := context.Background()
			cs, _ := s.Tenancy.Communities(ctx, 0)
			grids, _ := s.Tenancy.Grids(ctx, cs[0].ID)
			adult, child, err := registrytest.SeedCanaries(ctx, s.Registry, s.DB, s.Clock.Now(), cs[0].ID, grids[0].ID, grids[1].ID)
			if err != nil {
				t.Fatal(err)
			}
			apiPaths := []string{
				"GET /api/v1/residents", "GET /api/v1/residents?per_page=500&moved_out=1",
				"GET /api/v1/residents?q=" + url.QueryEscape(registrytest.CanaryName),
				"GET /api/v1/residents?q=" + registrytest.CanaryID, "GET /api/v1/residents?tag=" + url.QueryEscape("低保"),
				fmt.Sprintf("GET /api/v1/residents/%d", adult), fmt.Sprintf("GET /api/v1/residents/%d", child),
				"GET /api/v1/households?per_page=500", "GET /api/v1/buildings", "GET /api/v1/registry/stats", "GET /api/v1/tags",
				fmt.Sprintf("PUT /api/v1/residents/%d", adult),
			}
			seesAdult := map[string]bool{"admin": true, "worker": true, "grid": true}
			for _, role := range demoRoles {
				tok := s.Login(t, role)
				for _, rp := range apiPaths {
					method, path, _ := strings.Cut(rp, " ")
					var body any
					if method == "PUT" {
						body = map[string]any{"name": ""}
					}
					status, b := s.Do(t, method, path, tok, body)
					text := string(b)
					for _, c := range canaries {
						if strings.Contains(text, c) {
							t.Errorf("%s %s as %s: response contains canary %q", method, path, role, c)
						}
					}
					if !seesAdult[role] && strings.Contains(text, registrytest.CanaryName) {
						t.Errorf("%s %s as %s: response names the canary", method, path, role)
					}
					if status >= 500 {
						t.Errorf("%s %s as %s: %d", method, path, role, status)
					}
				}
				// The list shows the adult to those who may see them.
				_, b := s.Do(t, "GET", "/api/v1/residents?per_page=500", tok, nil)
				if seesAdult[role] != strings.Contains(string(b), registrytest.CanaryName) {
					t.Errorf("GET residents as %s: canary listed = %v, want %v", role, !seesAdult[role], seesAdult[role])
				}
				// Reveals: allowed roles get exactly the field; others nothing.
				for _, field := range []string{"id_number", "phone", "notes"} {
					status, b := s.Do(t, "POST", fmt.Sprintf("/api/v1/residents/%d/reveal", adult), tok,
						map[string]string{"field": field, "reason": "核对信息"})
					want := map[string]string{"id_number": registrytest.CanaryID, "phone": registrytest.CanaryPhone, "notes": registrytest.CanaryNote}[field]
					if seesAdult[role] != (status == 200 && strings.Contains(string(b), want)) {
						t.Errorf("reveal %s as %s: %d %s", field, role, status, b)
					}
				}
				status, b := s.Do(t, "POST", fmt.Sprintf("/api/v1/residents/%d/reveal", child), tok, map[string]string{"field": "name", "reason": "联系监护人"})
				if wantOK := role == "admin" || role == "worker"; wantOK != (status == 200 && strings.Contains(string(b), registrytest.CanaryChild)) {
					t.Errorf("child reveal as %s: %d %s", role, status, b)
				}
				// The pages, signed in with a cookie.
				c := s.Client()
				form := url.Values{"username": {role}, "password": {server.Password}}
				req, _ := http.NewRequest("POST", s.URL+"/login", strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Sec-Fetch-Site", "same-origin")
				if resp, err := c.Do(req); err != nil || resp.StatusCode != 303 {
					t.Fatalf("web login %s: %v", role, err)
				}
				for _, p := range []string{"/residents", "/buildings", fmt.Sprintf("/residents/%d", adult), fmt.Sprintf("/residents/%d", child),
					"/residents?q=" + url.QueryEscape(registrytest.CanaryName)} {
					resp, err := c.Get(s.URL + p)
					if err != nil {
						t.Fatal(err)
					}
					page, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					for _, cn := range canaries {
						if strings.Contains(string(page), cn) {
							t.Errorf("page %s as %s contains canary %q", p, role, cn)
						}
					}
					if !seesAdult[role] && strings.Contains(string(page), registrytest.CanaryName) {
						t.Errorf("page %s as %s names the canary", p, role)
					}
					if resp.StatusCode >= 500 {
						t.Errorf("page %s as %s: %d", p, role, resp.StatusCode)
					}
				}
			}
			// Every reveal that succeeded is in the audit log with its reason.
			es, _, err := audit.List(ctx, s.DB, audit.Filter{Action: "resident.reveal", Limit: 500})
			if err != nil {
				t.Fatal(err)
			}
			if len(es) != 9 { // admin, worker, grid × 3 fields
				t.Errorf("%d reveals audited, want 9", len(es))
			}
			for _, e := range es {
				if e.Detail != "核对信息" || len(e.Fields) != 1 {
					t.Errorf("reveal entry %+v", e)
				}
			}
		})
	}
}
