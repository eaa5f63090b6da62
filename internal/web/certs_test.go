package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/linli/linli/internal/testkit/server"
)

// 赵建国 prints his certificate; anyone checks it without signing in.
func TestCertificatePages(t *testing.T) {
	s := server.Start(t, server.Options{Registry: true})
	v := newBrowser(t, s)
	v.login("volunteer", server.Password)
	st, _, body := v.do("GET", "/me/certificates", nil, nil)
	expect(t, "certificates", st, 200, body, "开具证明", "赵建国")
	st, _, body = v.do("POST", "/me/certificates", url.Values{"from": {"2026-12-01"}, "to": {"2026-11-01"}}, nil)
	expect(t, "bad period", st, 422, body, "截止日期")
	st, loc, _ := v.do("POST", "/me/certificates", url.Values{}, nil)
	if st != http.StatusSeeOther || !strings.HasPrefix(loc, "/certificates/JSL-") {
		t.Fatalf("issue: %d %s", st, loc)
	}
	number := strings.TrimPrefix(loc, "/certificates/")
	st, _, body = v.do("GET", loc, nil, nil)
	expect(t, "certificate", st, 200, body, "志愿服务记录证明", "兹证明 赵建国", "累计服务时长", "不得用于任何商业用途", `src="data:image/png;base64,`, s.URL+"/verify/"+number)
	req, _ := http.NewRequest("GET", s.URL+loc+"/pdf", nil)
	resp, err := v.c.Do(req)
	if err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("pdf: %v %v", resp, err)
	}
	resp.Body.Close()
	// Anyone, signed out: the public check.
	anon := newBrowser(t, s)
	st, _, body = anon.do("GET", "/verify/"+number, nil, nil)
	expect(t, "verify", st, 200, body, "证明真实有效", "赵建国", "建胜路社区居民委员会")
	if regexp.MustCompile(`JSL-V\d+|1\d\d\*\*\*\*\d{4}`).MatchString(body) {
		t.Error("the public check shows the volunteer number or a phone")
	}
	st, _, body = anon.do("GET", "/verify?number="+url.QueryEscape(strings.ToLower(number)), nil, nil)
	expect(t, "verify typed in lower case", st, 200, body, "证明真实有效")
	last := "0"
	if strings.HasSuffix(number, "0") {
		last = "1"
	}
	st, _, body = anon.do("GET", "/verify/"+number[:len(number)-1]+last, nil, nil)
	expect(t, "tampered", st, 404, body, "没有这份证明")
	if st, _, _ := anon.do("GET", loc, nil, nil); st != http.StatusSeeOther {
		t.Errorf("the certificate page without signing in: %d", st)
	}
}
