package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/linli/linli/internal/testkit/server"
)

// The hours pages: the leader records a roster and a back-fill, the
// worker confirms the back-fill, the matrix counts it, the volunteer sees
// a year of hours and a star.
func TestHoursPages(t *testing.T) {
	s := server.Start(t, server.Options{Registry: true})
	l := newBrowser(t, s)
	l.login("leader", server.Password)
	st, _, body := l.do("GET", "/records", nil, nil)
	expect(t, "leader records", st, 200, body, "登记服务时长", "五彩益童心梦", "参加的志愿者", `id="record-form"`)
	ids := regexp.MustCompile(`name="volunteers" value="(\d+)"`).FindAllStringSubmatch(body, 3)
	if len(ids) < 3 {
		t.Fatalf("no members to tick: %d", len(ids))
	}
	team := regexp.MustCompile(`name="team_id" value="(\d+)"`).FindStringSubmatch(body)[1]
	day := s.Clock.Now().AddDate(0, 0, -2).Format("2006-01-02")
	form := url.Values{"team_id": {team}, "activity_name": {"冬至包饺子"}, "date": {day}, "start": {"09:00"}, "end": {"08:00"},
		"place": {"社区活动室"}, "content": {"包饺子送独居老人"}, "person_in_charge": {"刘静"}, "captured": {"roster"},
		"volunteers": {ids[1][1], ids[2][1]}}
	st, _, body = l.do("POST", "/records", form, nil)
	expect(t, "end before start", st, 422, body, "结束时间须晚于开始时间", `value="冬至包饺子"`)
	form.Set("end", "11:00")
	st, loc, _ := l.do("POST", "/records", form, nil)
	if st != http.StatusSeeOther || !strings.HasPrefix(loc, "/records?team=") {
		t.Fatalf("record: %d %s", st, loc)
	}
	st, _, body = l.do("GET", loc, nil, nil)
	expect(t, "after recording", st, 200, body, "冬至包饺子", "已计入")
	// A back-fill by the leader waits; she cannot confirm her own entry.
	form.Set("captured", "backfill")
	form.Set("start", "14:00")
	form.Set("end", "16:00")
	if st, _, _ := l.do("POST", "/records", form, nil); st != http.StatusSeeOther {
		t.Fatalf("back-fill: %d", st)
	}
	st, _, body = l.do("GET", "/records?review=1", nil, nil)
	expect(t, "review", st, 200, body, "待确认")
	rec := regexp.MustCompile(`action="/records/(\d+)/decide"`).FindStringSubmatch(body)
	if rec == nil {
		t.Fatal("no pending record to decide")
	}
	st, _, body = l.do("POST", "/records/"+rec[1]+"/decide", url.Values{"decision": {"confirm"}}, nil)
	expect(t, "self-confirm", st, 403, body, "不能由登记人本人确认")
	w := newBrowser(t, s)
	w.login("worker", server.Password)
	if st, loc, _ := w.do("POST", "/records/"+rec[1]+"/decide", url.Values{"decision": {"confirm"}}, nil); st != http.StatusSeeOther {
		t.Fatalf("worker confirms: %d %s", st, loc)
	}
	// The matrix page: headline figures, bars, the heat table.
	st, _, body = w.do("GET", "/matrix", nil, nil)
	expect(t, "matrix", st, 200, body, "志愿服务矩阵", "五彩益童心梦", "社区能人先锋队", "关爱儿童", `<svg class="bars"`, `id="matrix"`)
	st, _, body = w.do("GET", "/matrix?by=grid", nil, nil)
	expect(t, "matrix by grid", st, 200, body, "第一网格")
	// The street supervisor sees it too, without names.
	sp := newBrowser(t, s)
	sp.login("street", server.Password)
	st, loc, _ = sp.do("GET", "/matrix", nil, nil)
	if st != http.StatusSeeOther {
		t.Fatalf("street matrix: %d", st)
	}
	st, _, body = sp.do("GET", loc, nil, nil)
	expect(t, "street matrix", st, 200, body, "志愿服务矩阵")
	if strings.Contains(body, "刘静") || strings.Contains(body, "赵建国") {
		t.Error("the street's matrix names people")
	}
	if st, _, _ := sp.do("GET", "/records", nil, nil); st != http.StatusForbidden {
		t.Errorf("street /records: %d", st)
	}
	// 赵建国 sees his year of repairs and his star.
	v := newBrowser(t, s)
	v.login("volunteer", server.Password)
	st, _, body = v.do("GET", "/me/hours", nil, nil)
	expect(t, "my hours", st, 200, body, "今年时长", "星级志愿者", `class="lit"`, "上门")
	if st, _, _ := v.do("POST", "/records", form, nil); st != http.StatusForbidden {
		t.Errorf("volunteer records hours: %d", st)
	}
}
