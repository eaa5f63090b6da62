package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/linli/linli/internal/testkit/server"
	"github.com/linli/linli/internal/volunteers"
)

// The volunteer pages, as the demo's people use them: the worker at her
// desk, the children's team leader, a grandmother signing up, a partner.
func TestVolunteerPagesByRole(t *testing.T) {
	s := server.Start(t, server.Options{Registry: true})
	ctx := t.Context()
	cid := consoleP()
	teams, err := s.Volunteers.Teams(ctx, cid, 1)
	if err != nil || len(teams) != 11 {
		t.Fatalf("teams: %v", err)
	}
	kids := teams[0]
	members, _, err := s.Volunteers.List(ctx, cid, volunteers.Filter{CommunityID: 1, TeamID: kids.ID, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var child, leaderV volunteers.Volunteer
	for _, m := range members {
		if m.Child && child.ID == 0 {
			child = m
		}
		if m.Name == "刘静" {
			leaderV = m
		}
	}
	if child.ID == 0 || leaderV.ID == 0 {
		t.Fatalf("demo children's team lacks a child or 刘静: %+v", members[:2])
	}
	outsider, _, _ := s.Volunteers.List(ctx, cid, volunteers.Filter{CommunityID: 1, TeamID: teams[1].ID, Limit: 1})

	// The worker: the teams, the volunteer list, a child's profile with
	// the guardian, a reveal, and the partners with a new commitment.
	w := newBrowser(t, s)
	w.login("worker", server.Password)
	st, _, body := w.do("GET", "/teams", nil, nil)
	expect(t, "worker teams", st, 200, body, "五彩益童心梦", "刘静", "5–14 岁", "德仁社会工作服务中心", "社区能人先锋队", "新建志愿服务队")
	st, _, body = w.do("GET", "/volunteers?team="+itoa(kids.ID), nil, nil)
	expect(t, "worker list", st, 200, body, "JSL-V", "刘静")
	if !regexp.MustCompile(`共 4\d 条`).MatchString(body) {
		t.Errorf("children's team list total: %s", regexp.MustCompile(`共 \d+ 条`).FindString(body))
	}
	st, _, body = w.do("GET", "/volunteers/"+itoa(child.ID), nil, nil)
	expect(t, "worker child", st, 200, body, "监护人", "需监护人陪同", "同意记录")
	st, _, body = w.do("POST", "/volunteers/"+itoa(leaderV.ID)+"/reveal", url.Values{"reason": {"通知活动"}}, nil)
	expect(t, "worker reveal", st, 200, body, `id="revealed"`)
	if !regexp.MustCompile(`<strong class="mono">1\d{10}</strong>`).MatchString(body) {
		t.Error("reveal shows no full phone")
	}
	st, _, body = w.do("GET", "/organisations", nil, nil)
	expect(t, "worker orgs", st, 200, body, "桥西区供热公司", "供热报修2小时内响应", "孙磊")
	var heat int64
	orgs, _ := s.Volunteers.Organisations(ctx, cid, 1)
	for _, o := range orgs {
		if o.Name == "桥西区供热公司" {
			heat = o.ID
		}
	}
	st, loc, _ := w.do("POST", "/organisations/"+itoa(heat)+"/commitments", url.Values{"year": {"2026"}, "text": {"春节前入户检查独居老人暖气"}}, nil)
	if st != http.StatusSeeOther || loc != "/organisations" {
		t.Errorf("add commitment: %d %s", st, loc)
	}
	st, _, body = w.do("POST", "/organisations/"+itoa(heat)+"/commitments", url.Values{"year": {"1990"}, "text": {""}}, nil)
	expect(t, "bad commitment", st, 422, body, "年份不正确", "请填写承诺内容")

	// The leader: her team's members with masked phones, nobody else.
	l := newBrowser(t, s)
	l.login("leader", server.Password)
	st, _, body = l.do("GET", "/teams/"+itoa(kids.ID), nil, nil)
	expect(t, "leader team", st, 200, body, "队员名单", child.Name, "添加队员")
	if !regexp.MustCompile(`1\d\d\*\*\*\*\d{4}`).MatchString(body) {
		t.Error("leader's member list shows no masked phone")
	}
	st, _, body = l.do("GET", "/volunteers", nil, nil)
	expect(t, "leader list", st, 200, body, child.Name)
	if len(outsider) == 1 && strings.Contains(body, outsider[0].Number) {
		t.Error("leader's list shows a volunteer of another team")
	}
	if len(outsider) == 1 {
		st, _, _ = l.do("GET", "/volunteers/"+itoa(outsider[0].ID), nil, nil)
		if st != http.StatusNotFound {
			t.Errorf("leader opens a non-member: %d", st)
		}
	}
	st, _, body = l.do("POST", "/volunteers/"+itoa(child.ID)+"/reveal", url.Values{"reason": {""}}, nil)
	expect(t, "leader reveal without reason", st, 422, body, "请填写理由")

	// 陈秀英, a resident: not a volunteer yet; she registers herself.
	r := newBrowser(t, s)
	r.login("resident", server.Password)
	st, _, body = r.do("GET", "/me/volunteer", nil, nil)
	expect(t, "resident before", st, 200, body, "成为志愿者", `id="become"`)
	href := regexp.MustCompile(`href="(/volunteers/new\?resident=\d+)" id="become"`).FindStringSubmatch(body)
	if href == nil {
		t.Fatal("no registration link")
	}
	st, _, body = r.do("GET", href[1], nil, nil)
	expect(t, "resident form", st, 200, body, "登记志愿者", "陈秀英", "手机教学", "周六")
	rid := strings.TrimPrefix(href[1], "/volunteers/new?resident=")
	form := url.Values{"resident_id": {rid}, "skills": {"手机教学"}, "categories": {"elderly"}, "availability": {"sat_am"}, "grids": {"1"}}
	st, _, body = r.do("POST", "/volunteers", form, nil)
	expect(t, "no consent", st, 422, body, "须记录本人同意")
	form.Set("consent_general", "1")
	st, loc, _ = r.do("POST", "/volunteers", form, nil)
	if st != http.StatusSeeOther || loc != "/me/volunteer" {
		_, _, b := r.do("POST", "/volunteers", form, nil)
		t.Fatalf("register self: %d %s %s", st, loc, regexp.MustCompile(`(?s)<ul class="error".*?</ul>`).FindString(b))
	}
	st, _, body = r.do("GET", "/me/volunteer", nil, nil)
	expect(t, "resident after", st, 200, body, "JSL-V", "手机教学", "还没有加入服务队")
	st, _, _ = r.do("GET", "/volunteers/"+itoa(child.ID), nil, nil)
	if st != http.StatusNotFound {
		t.Errorf("resident opens someone's child: %d", st)
	}
	st, _, body = r.do("GET", "/volunteers", nil, nil)
	if st != 200 || !strings.Contains(body, "共 1 条") {
		t.Errorf("resident's volunteer list: %d %s", st, regexp.MustCompile(`共 \d+ 条`).FindString(body))
	}

	// A partner sees their own organisation only; the street supervisor
	// does not see team pages (aggregates come with the matrix).
	pt := newBrowser(t, s)
	pt.login("partner", server.Password)
	st, _, body = pt.do("GET", "/organisations", nil, nil)
	expect(t, "partner orgs", st, 200, body, "桥西区供热公司")
	if strings.Contains(body, "德仁社会工作服务中心</h2>") {
		t.Error("partner sees another organisation")
	}
	sp := newBrowser(t, s)
	sp.login("street", server.Password)
	if st, _, _ := sp.do("GET", "/teams", nil, nil); st != http.StatusForbidden {
		t.Errorf("street /teams: %d", st)
	}
}
