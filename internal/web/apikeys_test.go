package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/linli/linli/internal/testkit/server"
)

// The admin's Open311 key page on both databases: a bad name refused
// with its reason, a key created and shown once (not on the list after),
// the key working on POST requests until it is revoked from the page;
// the worker has neither the link nor the page.
func TestAPIKeyPage(t *testing.T) {
	for _, pg := range []bool{false, true} {
		t.Run(map[bool]string{false: "sqlite", true: "postgres"}[pg], func(t *testing.T) {
			apiKeyPage(t, server.Start(t, server.Options{Postgres: pg}))
		})
	}
}

func apiKeyPage(t *testing.T, s *server.Server) {
	w := newBrowser(t, s)
	w.login("admin", server.Password)
	st, _, body := w.do("GET", "/", nil, nil)
	expect(t, "admin's menu", st, 200, body, `id="apikeys-link"`)
	st, _, body = w.do("GET", "/apikeys", nil, nil)
	expect(t, "keys page", st, 200, body, "Open311 API 密钥", `id="add-key"`, "/open311/v2/discovery.xml")
	st, _, body = w.do("POST", "/apikeys", url.Values{"name": {"<b>热线</b>"}}, nil)
	expect(t, "name with HTML", st, 422, body, "请写明密钥给谁用", `value="&lt;b&gt;热线&lt;/b&gt;"`)

	st, _, body = w.do("POST", "/apikeys", url.Values{"name": {"市民热线"}}, nil)
	expect(t, "created", st, 201, body, `id="new-key"`, "只显示这一次")
	key := regexp.MustCompile(`<code id="secret">(o311_[0-9a-f]{64})</code>`).FindStringSubmatch(body)
	if key == nil {
		t.Fatalf("no key on the page:\n%s", body)
	}
	st, _, body = w.do("GET", "/apikeys", nil, nil)
	expect(t, "listed", st, 200, body, "市民热线", key[1][:11])
	if strings.Contains(body, key[1]) {
		t.Fatal("the list shows the whole key again")
	}
	post := func() int {
		form := url.Values{"api_key": {key[1]}, "service_code": {"repairs"}, "address_string": {"3号楼"}, "description": {"楼道灯不亮"}}
		resp, err := http.PostForm(s.URL+"/open311/v2/requests.json", form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := post(); st != 200 {
		t.Fatalf("POST with the new key: %d", st)
	}
	id := regexp.MustCompile(`action="/apikeys/(\d+)/revoke"`).FindStringSubmatch(body)
	if id == nil {
		t.Fatalf("no revoke button:\n%s", body)
	}
	if st, loc, _ := w.do("POST", "/apikeys/"+id[1]+"/revoke", nil, nil); st != http.StatusSeeOther || loc != "/apikeys" {
		t.Fatalf("revoke: %d %s", st, loc)
	}
	st, _, body = w.do("GET", "/apikeys", nil, nil)
	expect(t, "revoked", st, 200, body, "已作废")
	if st := post(); st != 403 {
		t.Fatalf("POST with the revoked key: %d", st)
	}

	wk := newBrowser(t, s)
	wk.login("worker", server.Password)
	st, _, body = wk.do("GET", "/", nil, nil)
	if st != 200 || strings.Contains(body, `id="apikeys-link"`) {
		t.Fatalf("worker's menu: %d, link shown: %v", st, strings.Contains(body, `id="apikeys-link"`))
	}
	if st, _, _ := wk.do("GET", "/apikeys", nil, nil); st != 403 {
		t.Fatalf("worker opens the keys page: %d", st)
	}
	if st, _, _ := wk.do("POST", "/apikeys", url.Values{"name": {"x"}}, nil); st != 403 {
		t.Fatalf("worker creates a key: %d", st)
	}
}
