package web_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/testkit/server"
	"github.com/linli/linli/internal/web"
)

type browser struct {
	t *testing.T
	s *server.Server
	c *http.Client
}

func newBrowser(t *testing.T, s *server.Server) *browser {
	return &browser{t: t, s: s, c: s.Client()}
}

// do sends a request as a same-origin browser would (Sec-Fetch-Site
// same-origin on posts) and returns status, Location and body.
func (b *browser) do(method, path string, form url.Values, hdr map[string]string) (int, string, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.s.URL+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.Header.Get("Content-Security-Policy") == "" || resp.Header.Get("X-Frame-Options") != "DENY" {
		b.t.Errorf("%s %s: security headers missing", method, path)
	}
	return resp.StatusCode, resp.Header.Get("Location"), string(out)
}

func (b *browser) login(user, pw string) (int, string) {
	st, loc, body := b.do("POST", "/login", url.Values{"username": {user}, "password": {pw}, "next": {"/"}}, nil)
	if st == http.StatusSeeOther {
		return st, loc
	}
	return st, body
}

func expect(t *testing.T, what string, got int, want int, body string, contains ...string) {
	t.Helper()
	if got != want {
		t.Errorf("%s: status %d, want %d", what, got, want)
	}
	for _, c := range contains {
		if !strings.Contains(body, c) {
			t.Errorf("%s: page lacks %q", what, c)
		}
	}
}

func TestSignInJourney(t *testing.T) {
	s := server.Start(t, server.Options{})
	b := newBrowser(t, s)

	st, loc, _ := b.do("GET", "/", nil, nil)
	if st != http.StatusSeeOther || loc != "/login?next=%2F" {
		t.Fatalf("anonymous home: %d → %q", st, loc)
	}
	st, _, body := b.do("GET", "/login", nil, nil)
	expect(t, "login page", st, 200, body, `<html lang="zh-CN"`, "登录", `name="username"`)
	if strings.Contains(body, "<script") {
		t.Error("login page has a script tag")
	}

	st, body = b.login("worker", "wrong-password")
	expect(t, "wrong password", st, 401, body, "账号或密码不正确", `value="worker"`)

	st, loc = b.login("worker", server.Password)
	if st != http.StatusSeeOther || loc != "/" {
		t.Fatalf("login: %d → %q", st, loc)
	}
	u, _ := url.Parse(s.URL)
	var sess *http.Cookie
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == web.CookieName {
			sess = c
		}
	}
	if sess == nil {
		t.Fatal("no session cookie after login")
	}

	st, _, body = b.do("GET", "/", nil, nil)
	expect(t, "home", st, 200, body, "您好，王芳", "建胜路社区", "社区工作者", "居民档案", "建设中")
	if strings.Contains(body, `href="/users"`) {
		t.Error("a worker's menu shows account management")
	}

	// English, then back: saved to the account.
	st, loc, _ = b.do("POST", "/prefs", url.Values{"lang": {"en"}, "back": {"/"}}, nil)
	if st != http.StatusSeeOther || loc != "/" {
		t.Fatalf("switch language: %d %q", st, loc)
	}
	st, _, body = b.do("GET", "/", nil, nil)
	expect(t, "home in English", st, 200, body, `<html lang="en"`, "Hello, 王芳", "Sign out")

	st, _, body = b.do("GET", "/users", nil, nil)
	expect(t, "worker on /users", st, 403, body, "You are not allowed")

	b.do("POST", "/prefs", url.Values{"lang": {"zh-CN"}, "large_text": {"1"}, "back": {"/settings"}}, nil)
	st, _, body = b.do("GET", "/settings", nil, nil)
	expect(t, "settings large", st, 200, body, `<html lang="zh-CN" class="large"`, "大字（适老模式）")

	st, _, body = b.do("GET", "/no/such/page", nil, nil)
	expect(t, "404", st, 404, body, "找不到页面", `class="large"`)

	// A cross-site form post is refused and changes nothing.
	st, _, body = b.do("POST", "/prefs", url.Values{"lang": {"en"}}, map[string]string{"Sec-Fetch-Site": "cross-site"})
	expect(t, "cross-site post", st, 403, body, "拒绝来自其他网站的请求")
	_, _, body = b.do("GET", "/", nil, nil)
	if !strings.Contains(body, `lang="zh-CN"`) {
		t.Error("cross-site post changed the language")
	}

	// Idle timeout: a worker is staff, 30 minutes.
	s.Clock.Advance(31 * time.Minute)
	st, loc, _ = b.do("GET", "/settings", nil, nil)
	if st != http.StatusSeeOther || !strings.HasPrefix(loc, "/login") {
		t.Fatalf("after 31 idle minutes: %d %q", st, loc)
	}
}

func TestLogoutAndAdminPages(t *testing.T) {
	s := server.Start(t, server.Options{})
	b := newBrowser(t, s)
	if st, _ := b.login("admin", server.Password); st != http.StatusSeeOther {
		t.Fatalf("admin login: %d", st)
	}
	st, _, body := b.do("GET", "/users", nil, nil)
	expect(t, "users", st, 200, body, "王芳", "共 7 条", "第一网格（平安小区东区）", "五彩益童心梦")

	st, _, body = b.do("POST", "/users", url.Values{"username": {"Bad Name"}, "display_name": {""}, "password": {"123"}, "role": {"worker"}}, nil)
	expect(t, "create invalid", st, 422, body, "账号须为", "请填写姓名", "密码至少 8 位")
	_, _, body = b.do("GET", "/users", nil, nil)
	expect(t, "nothing created", 200, 200, body, "共 7 条")

	st, loc, _ := b.do("POST", "/users", url.Values{"username": {"zhaoxia"}, "display_name": {"赵霞"}, "password": {server.Password}, "role": {"grid"}, "grid_id": {"2"}}, nil)
	if st != http.StatusSeeOther || !strings.HasPrefix(loc, "/users/") {
		t.Fatalf("create: %d %q", st, loc)
	}
	st, _, body = b.do("GET", loc, nil, nil)
	expect(t, "new user page", st, 200, body, "赵霞", "网格员", "第二网格（平安小区西区）", "账号已创建")

	st, _, body = b.do("GET", "/users/999999", nil, nil)
	expect(t, "missing user", st, 404, body, "找不到")

	st, loc, _ = b.do("POST", "/logout", url.Values{}, nil)
	if st != http.StatusSeeOther || loc != "/login" {
		t.Fatalf("logout: %d %q", st, loc)
	}
	st, loc, _ = b.do("GET", "/users", nil, nil)
	if st != http.StatusSeeOther || !strings.HasPrefix(loc, "/login") {
		t.Fatalf("after logout: %d %q", st, loc)
	}
}

func TestStaticAssetsAreEmbeddedAndCached(t *testing.T) {
	s := server.Start(t, server.Options{})
	b := newBrowser(t, s)
	_, _, page := b.do("GET", "/login", nil, nil)
	i := strings.Index(page, "/static/app.css?v=")
	if i < 0 {
		t.Fatal("no hashed stylesheet link")
	}
	href := page[i : i+strings.IndexByte(page[i:], '"')]
	req, _ := http.NewRequest("GET", s.URL+href, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") {
		t.Fatalf("stylesheet: %d %q %q", resp.StatusCode, resp.Header.Get("Cache-Control"), resp.Header.Get("Content-Type"))
	}
	if st, _, _ := b.do("GET", "/static/../web.go", nil, nil); st == 200 {
		t.Fatal("path traversal served a file")
	}
	for _, p := range []string{"http://", "https://"} {
		if strings.Contains(page, `src="`+p) || strings.Contains(page, `href="`+p) {
			t.Errorf("page loads something from another host")
		}
	}
}

// TestSessionCookieSurvivesClockSkew signs in to a server whose clock is years
// away from the browser's, both ways. With an absolute Expires the browser
// would drop the cookie at once (server behind) or keep it for years (ahead);
// Max-Age is counted from when the browser receives it.
func TestSessionCookieSurvivesClockSkew(t *testing.T) {
	for _, now := range []time.Time{
		time.Date(2020, 1, 6, 9, 0, 0, 0, clock.Shanghai),
		time.Date(2031, 6, 2, 9, 0, 0, 0, clock.Shanghai),
	} {
		s := server.Start(t, server.Options{Now: now})
		b := newBrowser(t, s)
		if st, loc := b.login("worker", server.Password); st != http.StatusSeeOther || loc != "/" {
			t.Fatalf("%s: login: %d → %q", now.Format("2006"), st, loc)
		}
		st, _, body := b.do("GET", "/", nil, nil)
		expect(t, now.Format("2006")+": home after login", st, 200, body, "您好，王芳")
	}
	s := server.Start(t, server.Options{})
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(s.URL+"/login", url.Values{"username": {"worker"}, "password": {server.Password}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	found := false
	for _, c := range resp.Cookies() {
		if c.Name != web.CookieName {
			continue
		}
		found = true
		if c.MaxAge != 12*60*60 || !c.Expires.IsZero() {
			t.Errorf("session cookie: Max-Age %d, Expires %v; want Max-Age 43200 (12 h staff), no Expires", c.MaxAge, c.Expires)
		}
	}
	if !found {
		t.Errorf("login set no session cookie (status %d)", resp.StatusCode)
	}
}
