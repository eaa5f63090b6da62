package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/audit"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/tenancy"
	"github.com/linli/linli/internal/testkit/server"
)

type scenario struct {
	name     string
	method   string
	path     string
	as       string // demo username, "" for nobody
	body     any
	header   map[string]string
	status   int
	contains []string // must appear in the body
	absent   []string // must not appear (canaries of other scopes)
}

func run(t *testing.T, s *server.Server, tokens map[string]string, sc scenario) {
	t.Helper()
	var rd *strings.Reader
	switch b := sc.body.(type) {
	case nil:
		rd = strings.NewReader("")
	case string:
		rd = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = strings.NewReader(string(j))
	}
	req, _ := http.NewRequest(sc.method, s.URL+sc.path, rd)
	if sc.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok := tokens[sc.as]; tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for k, v := range sc.header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", sc.name, err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 1<<16)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	body := b.String()
	if resp.StatusCode != sc.status {
		t.Errorf("%s: status %d, want %d; body %s", sc.name, resp.StatusCode, sc.status, body)
	}
	for _, c := range sc.contains {
		if !strings.Contains(body, c) {
			t.Errorf("%s: body lacks %q: %s", sc.name, c, body)
		}
	}
	for _, c := range sc.absent {
		if strings.Contains(body, c) {
			t.Errorf("%s: body contains forbidden %q", sc.name, c)
		}
	}
	if resp.Header.Get("Content-Security-Policy") == "" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("%s: security headers missing", sc.name)
	}
	if resp.StatusCode >= 400 && !strings.Contains(body, `"error"`) {
		t.Errorf("%s: error without the error envelope: %s", sc.name, body)
	}
}

// otherCommunity adds a second community with its own admin and a canary
// account, to prove nothing crosses between communities.
func otherCommunity(t *testing.T, s *server.Server) {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		st, err := s.Tenancy.CreateStreet(ctx, tx, tenancy.Street{Code: "xinhua", Name: "新华街道"}, now)
		if err != nil {
			return err
		}
		_, err = s.Tenancy.CreateCommunity(ctx, tx, tenancy.Community{StreetID: st, Code: "hp", Name: "和平社区"}, now)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	cs, _ := s.Tenancy.Communities(ctx, 0)
	var hp int64
	for _, c := range cs {
		if c.Code == "hp" {
			hp = c.ID
		}
	}
	console := accounts.Console("test")
	for _, u := range []struct{ name, display string }{{"hpadmin", "和平管理员"}, {"canary-hp", "金丝雀CANARY"}} {
		if _, err := s.Accounts.CreateAccount(ctx, console, accounts.NewAccount{Username: u.name, DisplayName: u.display,
			Password: server.Password, Grants: []accounts.Grant{{Role: accounts.Admin, CommunityID: hp}}}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestScenarios(t *testing.T) {
	s := server.Start(t, server.Options{})
	otherCommunity(t, s)
	tokens := map[string]string{}
	for _, u := range []string{"admin", "worker", "resident", "hpadmin"} {
		tokens[u] = s.Login(t, u)
	}
	// The id of an account in the other community, which demo admins must
	// not see.
	canary, err := s.Accounts.FindByUsername(context.Background(), "canary-hp")
	if err != nil {
		t.Fatal(err)
	}
	canaryPath := "/api/v1/users/" + itoa(canary.ID)
	big := `{"username":"` + strings.Repeat("x", 2<<20) + `"}`

	for _, sc := range []scenario{
		{name: "me as worker", method: "GET", path: "/api/v1/me", as: "worker", status: 200,
			contains: []string{`"username":"worker"`, `"roles":["worker"]`, "王芳"}, absent: []string{"password"}},
		{name: "me anonymous", method: "GET", path: "/api/v1/me", status: 401, contains: []string{`"unauthenticated"`}},
		{name: "me with a bogus token", method: "GET", path: "/api/v1/me", status: 401,
			header: map[string]string{"Authorization": "Bearer not-a-token"}},
		{name: "login wrong content type", method: "POST", path: "/api/v1/login", body: "username=a",
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, status: 415},
		{name: "login malformed json", method: "POST", path: "/api/v1/login", body: `{"username":`, status: 400, contains: []string{`"malformed"`}},
		{name: "login unknown field", method: "POST", path: "/api/v1/login", body: `{"username":"a","password":"b","admin":true}`, status: 400},
		{name: "login two objects", method: "POST", path: "/api/v1/login", body: `{"username":"a","password":"b"}{}`, status: 400},
		{name: "login empty fields", method: "POST", path: "/api/v1/login", body: `{"username":"","password":""}`, status: 422,
			contains: []string{`"username"`, `"password"`}},
		{name: "login too large", method: "POST", path: "/api/v1/login", body: big, status: 413},
		{name: "login chinese error", method: "POST", path: "/api/v1/login", body: `{"username":"worker","password":"wrong-pass"}`, status: 401,
			contains: []string{"账号或密码不正确"}},
		{name: "login english error", method: "POST", path: "/api/v1/login", body: `{"username":"worker","password":"wrong-pass"}`, status: 401,
			header: map[string]string{"Accept-Language": "en-US,en;q=0.9"}, contains: []string{"Wrong username or password"}},
		{name: "session cookie refused by the API", method: "GET", path: "/api/v1/me", status: 401,
			header: map[string]string{"Cookie": "linli_session=" + tokens["worker"]}},
		{name: "unknown api path", method: "GET", path: "/api/v1/nothing-here", as: "worker", status: 404, contains: []string{`"not_found"`}},
		{name: "per_page 0", method: "GET", path: "/api/v1/users?per_page=0", as: "admin", status: 400, contains: []string{`"per_page"`}},
		{name: "per_page 501", method: "GET", path: "/api/v1/users?per_page=501", as: "admin", status: 400},
		{name: "per_page 500", method: "GET", path: "/api/v1/users?per_page=500", as: "admin", status: 200,
			contains: []string{`"per_page":500`, `"total":7`, `"page":1`, "worker"}, absent: []string{"canary-hp", "CANARY"}},
		{name: "page abc", method: "GET", path: "/api/v1/users?page=abc", as: "admin", status: 400},
		{name: "users as worker", method: "GET", path: "/api/v1/users", as: "worker", status: 403},
		{name: "admin reads other community's account", method: "GET", path: canaryPath, as: "admin", status: 404, absent: []string{"CANARY", "canary"}},
		{name: "admin lists other community", method: "GET", path: "/api/v1/users?community_id=2", as: "admin", status: 404, absent: []string{"CANARY"}},
		{name: "admin disables other community's account", method: "PATCH", path: canaryPath, as: "admin", body: map[string]any{"disabled": true}, status: 404},
		{name: "other admin sees own community only", method: "GET", path: "/api/v1/users?community_id=2", as: "hpadmin", status: 200,
			contains: []string{"canary-hp"}, absent: []string{"王芳", `"worker"`}},
		{name: "create user invalid", method: "POST", path: "/api/v1/users", as: "admin",
			body: map[string]any{"username": "A B", "display_name": "", "password": "123", "grant": map[string]any{"role": "worker"}}, status: 422,
			contains: []string{`"username"`, `"display_name"`, `"password"`}},
		{name: "create user weak staff password", method: "POST", path: "/api/v1/users", as: "admin",
			body: map[string]any{"username": "newworker", "display_name": "新社工", "password": "abcdefghij", "grant": map[string]any{"role": "worker"}}, status: 422,
			contains: []string{"三种"}},
		{name: "create user in other community", method: "POST", path: "/api/v1/users?community_id=2", as: "admin",
			body: map[string]any{"username": "sneaky", "display_name": "x", "password": server.Password, "grant": map[string]any{"role": "worker"}}, status: 403},
		{name: "create user", method: "POST", path: "/api/v1/users", as: "admin",
			body: map[string]any{"username": "newworker", "display_name": "新社工", "password": server.Password, "grant": map[string]any{"role": "worker"}}, status: 201,
			contains: []string{`"username":"newworker"`, `"role":"worker"`}, absent: []string{"argon2", server.Password}},
		{name: "create user duplicate", method: "POST", path: "/api/v1/users", as: "admin",
			body: map[string]any{"username": "newworker", "display_name": "又一个", "password": server.Password, "grant": map[string]any{"role": "worker"}}, status: 409},
		{name: "grant without scope", method: "POST", path: "/api/v1/users/2/grants", as: "admin", body: map[string]any{"role": "grid"}, status: 422,
			contains: []string{`"grid_id"`}},
		{name: "grant street role", method: "POST", path: "/api/v1/users/2/grants", as: "admin", body: map[string]any{"role": "street"}, status: 422},
		{name: "grant unknown role", method: "POST", path: "/api/v1/users/2/grants", as: "admin", body: map[string]any{"role": "king"}, status: 422},
		{name: "patch nothing", method: "PATCH", path: "/api/v1/users/2", as: "admin", body: map[string]any{}, status: 422},
		{name: "bad preferences", method: "PATCH", path: "/api/v1/me", as: "resident", body: map[string]any{"locale": "fr"}, status: 422},
		{name: "preferences", method: "PATCH", path: "/api/v1/me", as: "resident", body: map[string]any{"locale": "en", "large_text": true}, status: 200,
			contains: []string{`"locale":"en"`, `"large_text":true`}},
		{name: "english after preference", method: "GET", path: "/api/v1/users", as: "resident", status: 403, contains: []string{"You are not allowed"}},
	} {
		run(t, s, tokens, sc)
	}

	// Nothing was half-written by the failures above: exactly one account
	// was created, and the failed logins were audited.
	ctx := context.Background()
	items, total, err := s.Accounts.ListAccounts(ctx, accounts.Console("test"), accounts.AccountFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	if total != 11 { // 8 demo + 2 other community + newworker
		t.Errorf("%d accounts after the scenarios, want 11: %v", total, items)
	}
	entries, _, err := audit.List(ctx, s.DB, audit.Filter{Action: "account.login"})
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, e := range entries {
		if e.Result == audit.Failed {
			failed++
		}
	}
	if failed < 2 {
		t.Errorf("%d failed logins audited, want at least 2", failed)
	}
}

func TestUnknownAndWrongAnswerAlike(t *testing.T) {
	s := server.Start(t, server.Options{})
	st1, b1 := s.Do(t, "POST", "/api/v1/login", "", map[string]string{"username": "nobody-here", "password": "whatever-1"})
	st2, b2 := s.Do(t, "POST", "/api/v1/login", "", map[string]string{"username": "worker", "password": "whatever-1"})
	if st1 != st2 || string(b1) != string(b2) {
		t.Fatalf("unknown user %d %s vs wrong password %d %s", st1, b1, st2, b2)
	}
	// Disable worker: the right password now gets the same answer, and
	// the live token dies at once.
	tok := s.Login(t, "worker")
	admin := s.Login(t, "admin")
	acc, _ := s.Accounts.FindByUsername(context.Background(), "worker")
	if st, b := s.Do(t, "PATCH", "/api/v1/users/"+itoa(acc.ID), admin, map[string]any{"disabled": true}); st != 200 {
		t.Fatalf("disable: %d %s", st, b)
	}
	if st, _ := s.Do(t, "GET", "/api/v1/me", tok, nil); st != 401 {
		t.Fatalf("token of a disabled account: %d", st)
	}
	st3, b3 := s.Do(t, "POST", "/api/v1/login", "", map[string]string{"username": "worker", "password": server.Password})
	if st3 != st1 || string(b3) != string(b1) {
		t.Fatalf("disabled account answered differently: %d %s", st3, b3)
	}
}

func TestLogoutEndsToken(t *testing.T) {
	s := server.Start(t, server.Options{})
	tok := s.Login(t, "volunteer")
	if st, _ := s.Do(t, "POST", "/api/v1/logout", tok, nil); st != 204 {
		t.Fatalf("logout: %d", st)
	}
	if st, _ := s.Do(t, "GET", "/api/v1/me", tok, nil); st != 401 {
		t.Fatalf("token after logout: %d", st)
	}
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// A refused request leaves an audit entry naming who, what and where.
func TestDenialsAreAudited(t *testing.T) {
	s := server.Start(t, server.Options{})
	tok := s.Login(t, "volunteer")
	if st, _ := s.Do(t, "GET", "/api/v1/users", tok, nil); st != 403 {
		t.Fatalf("volunteer listing users: %d", st)
	}
	entries, _, err := audit.List(context.Background(), s.DB, audit.Filter{Action: "permission.denied"})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].ActorName != "volunteer" || entries[0].ObjectID != "GET /api/v1/users" ||
		entries[0].Result != audit.Denied || entries[0].Detail != "users.list" || entries[0].CommunityID == 0 {
		t.Fatalf("denial entries: %+v", entries)
	}
}

func TestHealthz(t *testing.T) {
	s := server.Start(t, server.Options{})
	st, body := s.Do(t, "GET", "/healthz", "", nil)
	if st != 200 || strings.TrimSpace(string(body)) != `{"status":"ok"}` {
		t.Fatalf("healthz: %d %s", st, body)
	}
}
