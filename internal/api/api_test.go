package api_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/api"
	"github.com/linli/linli/internal/policy"
	"github.com/linli/linli/internal/testkit/server"
)

// The OpenAPI document and the registered routes must list the same
// operations with the same policy actions, so neither can drift.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	s := server.Start(t, server.Options{})
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(api.OpenAPI(), &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi version %q", doc.OpenAPI)
	}
	var documented, registered []string
	for path, ops := range doc.Paths {
		for method, op := range ops {
			documented = append(documented, fmt.Sprintf("%s %s %v", strings.ToUpper(method), path, op["x-linli-action"]))
		}
	}
	for _, r := range s.API.Router.Routes() {
		if r.Method == "*" {
			continue // the JSON 404 catch-all
		}
		registered = append(registered, fmt.Sprintf("%s %s %s", r.Method, r.Path, r.Action))
	}
	sort.Strings(documented)
	sort.Strings(registered)
	if strings.Join(documented, "\n") != strings.Join(registered, "\n") {
		t.Fatalf("openapi.json and routes differ\ndocumented:\n%s\nregistered:\n%s", strings.Join(documented, "\n"), strings.Join(registered, "\n"))
	}
	status, body := s.Do(t, "GET", "/api/v1/openapi.json", "", nil)
	if status != 200 || !json.Valid(body) {
		t.Fatalf("GET openapi.json: %d", status)
	}
}

// Every route of both front doors names an action with a policy rule.
func TestEveryRouteHasAPolicyRule(t *testing.T) {
	s := server.Start(t, server.Options{})
	routes := append(s.API.Router.Routes(), s.Web.Router.Routes()...)
	if len(routes) < 20 {
		t.Fatalf("only %d routes registered", len(routes))
	}
	for _, r := range routes {
		if _, ok := policy.Lookup(r.Action); !ok {
			t.Errorf("%s %s: action %q has no rule", r.Method, r.Path, r.Action)
		}
	}
}

var demoRoles = []string{"admin", "worker", "grid", "leader", "volunteer", "resident", "partner", "street"}

// samplePath fills path parameters with ids that exist in the demo.
func samplePath(p string) string {
	return regexp.MustCompile(`\{[a-z_]+(\.\.\.)?\}`).ReplaceAllString(p, "2")
}

// TestAuthorizationMatrix sends every API route as every demo role and as
// nobody. A role the policy denies gets 403 (401 when anonymous); a role
// it allows never does. The expectations for the admin-only routes are also
// written out by hand, so a wrong policy table fails here too.
func TestAuthorizationMatrix(t *testing.T) {
	for _, pg := range []bool{false, true} {
		name := "sqlite"
		if pg {
			name = "postgres"
		}
		t.Run(name, func(t *testing.T) {
			s := server.Start(t, server.Options{Postgres: pg})
			tokens := map[string]string{}
			principals := map[string]*accounts.Principal{}
			for _, role := range demoRoles {
				tokens[role] = s.Login(t, role)
				acc, err := s.Accounts.FindByUsername(t.Context(), role)
				if err != nil {
					t.Fatal(err)
				}
				principals[role] = &accounts.Principal{AccountID: acc.ID, Grants: acc.Grants}
			}
			adminOnly := []policy.Action{policy.UsersList, policy.UsersCreate, policy.UsersUpdate, policy.UsersGrant}
			for _, r := range s.API.Router.Routes() {
				if r.Method == "*" || r.Action == policy.Login || r.Action == policy.Logout {
					continue
				}
				path := samplePath(r.Path)
				if r.Method == "DELETE" {
					// Deleting a real grant would change the roles under test.
					path = strings.ReplaceAll(path, "/2", "/999999")
				}
				for _, role := range append([]string{""}, demoRoles...) {
					body := any(nil)
					if r.Method == "POST" || r.Method == "PATCH" {
						body = map[string]any{}
					}
					status, resp := s.Do(t, r.Method, path, tokens[role], body)
					rule, _ := policy.Lookup(r.Action)
					switch {
					case rule.Public:
						if status == 401 || status == 403 {
							t.Errorf("%s %s as %q: public route answered %d", r.Method, path, role, status)
						}
					case role == "":
						if status != 401 {
							t.Errorf("%s %s anonymous: %d, want 401 (%s)", r.Method, path, status, resp)
						}
					case !policy.Permits(principals[role], r.Action):
						if status != 403 {
							t.Errorf("%s %s as %s: %d, want 403 (%s)", r.Method, path, role, status, resp)
						}
					default:
						if status == 401 || status == 403 {
							t.Errorf("%s %s as %s: %d, but the policy allows it (%s)", r.Method, path, role, status, resp)
						}
					}
					if slices.Contains(adminOnly, r.Action) && role != "admin" && role != "" && status != 403 {
						t.Errorf("%s %s as %s: %d, want 403 for an admin-only route", r.Method, path, role, status)
					}
				}
			}
		})
	}
}
