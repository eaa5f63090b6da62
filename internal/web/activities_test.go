package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/linli/linli/internal/testkit/server"
)

// The activities pages on both databases: the leader plans a series and
// today's class on the form (a bad one refused with reasons), the
// volunteer finds a date on the calendar and signs up, the leader signs
// up her child (waitlisted, then promoted when the volunteer cancels),
// the office signs up someone found by name, and the day is run: the QR
// code's address checks the volunteer in from the phone, a forged code is
// refused, the child is ticked, everyone checked out and the hours posted.
func TestActivityPages(t *testing.T) {
	for _, pg := range []bool{false, true} {
		name := "sqlite"
		if pg {
			name = "postgres"
		}
		t.Run(name, func(t *testing.T) { activityPages(t, server.Start(t, server.Options{Registry: true, Postgres: pg})) })
	}
}

func activityPages(t *testing.T, s *server.Server) {
	l := newBrowser(t, s)
	l.login("leader", server.Password)
	st, _, body := l.do("GET", "/activities/new", nil, nil)
	expect(t, "plan form", st, 200, body, "发布活动", `name="repeat" value="monthly_last"`, "五彩益童心梦")
	team := regexp.MustCompile(`<option value="(\d+)"[^>]*>五彩益童心梦`).FindStringSubmatch(body)
	if team == nil {
		t.Fatal("the leader's team is not offered")
	}
	form := url.Values{"title": {"五彩益童心梦·手工课"}, "team_id": {team[1]}, "date": {"2026-12-26"}, "start_time": {"09:00"}, "end_time": {"08:00"},
		"repeat": {"custom"}, "rrule": {"FREQ=NEVER"}, "capacity": {"1"}, "deadline_hours": {"24"}, "open_to": {"volunteers"}, "visibility": {"members"},
		"risks": {"剪刀划伤"}, "protection": {"社工全程看护"}, "tasks": {"带孩子们做手工"}}
	st, _, body = l.do("POST", "/activities", form, nil)
	expect(t, "bad series", st, 422, body, "结束时间须晚于开始时间", "重复规则无法识别", `value="五彩益童心梦·手工课"`)
	// In English, the same refusal in English.
	l.do("POST", "/prefs", url.Values{"lang": {"en"}, "back": {"/"}}, nil)
	st, _, body = l.do("POST", "/activities", form, nil)
	expect(t, "bad series in English", st, 422, body, "The end must be after the start", "The repeat rule is malformed", "Plan an activity")
	l.do("POST", "/prefs", url.Values{"lang": {"zh-CN"}, "back": {"/"}}, nil)
	form.Set("end_time", "11:30")
	form.Set("repeat", "monthly_last")
	form.Set("weekday", "SA")
	st, loc, _ := l.do("POST", "/activities", form, nil)
	if st != http.StatusSeeOther || !strings.Contains(loc, "month=2026-12") {
		t.Fatalf("plan the series: %d %s", st, loc)
	}
	today := url.Values{"title": {"智能手机课"}, "team_id": {team[1]}, "date": {"2026-11-28"}, "start_time": {"09:20"}, "end_time": {"10:30"},
		"repeat": {"none"}, "capacity": {"10"}, "deadline_hours": {"0"}, "open_to": {"volunteers"}, "visibility": {"members"}}
	if st, loc, _ := l.do("POST", "/activities", today, nil); st != http.StatusSeeOther {
		t.Fatalf("plan today's class: %d %s", st, loc)
	}

	// The volunteer finds the last Saturday of December and signs up.
	v := newBrowser(t, s)
	v.login("volunteer", server.Password)
	if st, _, _ := v.do("GET", "/activities/new", nil, nil); st != http.StatusForbidden {
		t.Errorf("a volunteer plans: %d", st)
	}
	st, _, body = v.do("GET", "/activities?month=2026-12", nil, nil)
	expect(t, "month view", st, 200, body, "2026年12月", `id="month"`, "五彩益童心梦·手工课", "余 1 / 1 名额")
	if strings.Contains(body, `id="plan-link"`) {
		t.Error("a volunteer is offered planning")
	}
	st, _, body = v.do("GET", "/activities?month=2026-12&view=list&team=2", nil, nil)
	expect(t, "another team's list", st, 200, body, "本月没有活动")
	st, _, body = v.do("GET", "/activities?month=2026-12&view=list&team="+team[1], nil, nil)
	expect(t, "list view", st, 200, body, "2026-12-26", "09:00–11:30")
	// The demo's own children's series is on the list too: take ours.
	m := regexp.MustCompile(`href="/activities/(\d+)" class="occ-title"><strong>五彩益童心梦·手工课<`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no date on the list")
	}
	dec := "/activities/" + m[1]
	st, _, body = v.do("GET", dec, nil, nil)
	expect(t, "date page", st, 200, body, "可能的风险", "剪刀划伤", "社工全程看护", "报名截止：2026-12-25 09:00", `id="signup-`)
	if strings.Contains(body, `id="run-link"`) || strings.Contains(body, `id="office-signup"`) {
		t.Error("a volunteer is offered running the day or signing up others")
	}
	me := regexp.MustCompile(`id="signup-(\d+)"`).FindStringSubmatch(body)[1]
	st, loc, _ = v.do("POST", dec+"/signup", url.Values{"volunteer_id": {me}}, nil)
	if st != http.StatusSeeOther || loc != dec {
		t.Fatalf("sign up: %d %s", st, loc)
	}
	st, _, body = v.do("GET", dec, nil, nil)
	expect(t, "signed up", st, 200, body, "报名成功", "已报名", "已满", `id="cancel-`+me+`"`)
	if st, _, body := v.do("POST", dec+"/signup", url.Values{"volunteer_id": {me}}, nil); st != http.StatusConflict || !strings.Contains(body, "已经报过名了") {
		t.Errorf("sign up twice: %d", st)
	}
	if st, _, _ := v.do("GET", dec+"/run", nil, nil); st != http.StatusForbidden {
		t.Errorf("a volunteer runs the day: %d", st)
	}
	if st, _, _ := v.do("GET", dec+"/qr.png", nil, nil); st != http.StatusForbidden {
		t.Errorf("a volunteer reads the QR code: %d", st)
	}

	// The leader signs up her child: the date is full, so the waitlist.
	st, _, body = l.do("GET", dec, nil, nil)
	expect(t, "leader's date page", st, 200, body, `id="run-link"`, "为")
	child := regexp.MustCompile(`<li class="person" id="person-(\d+)">\s*<strong>([^<]+)</strong>`).FindAllStringSubmatch(body, -1)
	if len(child) < 2 {
		t.Fatalf("the leader's child is not offered: %v", child)
	}
	kid, kidName := child[1][1], child[1][2]
	if st, _, _ := l.do("POST", dec+"/signup", url.Values{"volunteer_id": {kid}}, nil); st != http.StatusSeeOther {
		t.Fatalf("sign up the child: %d", st)
	}
	st, _, body = l.do("GET", dec, nil, nil)
	expect(t, "child waitlisted", st, 200, body, "名额已满，已进入候补", "候补第 1 位")
	// Another's child is not hers to sign up.
	if st, _, _ := v.do("POST", dec+"/signup", url.Values{"volunteer_id": {kid}}, nil); st != http.StatusNotFound {
		t.Errorf("a volunteer signs up someone else's child: %d", st)
	}
	// The volunteer cancels from his list; the child moves up.
	st, _, body = v.do("GET", "/me/activities", nil, nil)
	expect(t, "my activities", st, 200, body, "即将参加", "五彩益童心梦·手工课", "已报名", "订阅到手机日历", "/feeds/")
	// The feed it offers is his, and answers: a calendar to subscribe to.
	if i := strings.Index(body, "/feeds/"); i > 0 {
		feed := body[i : i+strings.Index(body[i:], `"`)]
		if st, _, ics := v.do("GET", feed, nil, nil); st != 200 || !strings.Contains(ics, "BEGIN:VCALENDAR") {
			t.Errorf("the offered feed %s: %d %.200s", feed, st, ics)
		}
	}
	if st, loc, _ := v.do("POST", dec+"/cancel", url.Values{"volunteer_id": {me}, "back": {"mine"}}, nil); st != http.StatusSeeOther || loc != "/me/activities" {
		t.Fatalf("cancel: %d %s", st, loc)
	}
	st, _, body = l.do("GET", "/me/activities", nil, nil)
	expect(t, "the child promoted", st, 200, body, kidName, "已报名")
	if strings.Contains(body, "候补第") {
		t.Error("the child is still on the waitlist")
	}

	// A resident who is not a volunteer sees the date but is asked to
	// register first; she cannot run it.
	res := newBrowser(t, s)
	res.login("resident", server.Password)
	st, _, body = res.do("GET", dec, nil, nil)
	expect(t, "resident", st, 200, body, "报名需要先登记为志愿者", "五彩益童心梦·手工课")
	if strings.Contains(body, `id="signup-`) {
		t.Error("a resident without a volunteer profile is offered sign-up")
	}
	if st, _, _ := res.do("GET", dec+"/run", nil, nil); st != http.StatusForbidden {
		t.Errorf("a resident runs the day: %d", st)
	}

	// The office finds the volunteer by name and signs him up again.
	w := newBrowser(t, s)
	w.login("worker", server.Password)
	st, _, body = w.do("GET", dec+"?q=赵建国", nil, nil)
	expect(t, "office search", st, 200, body, `id="found"`, "赵建国")
	if st, _, _ := w.do("POST", dec+"/signup", url.Values{"volunteer_id": {me}}, nil); st != http.StatusSeeOther {
		t.Errorf("the office signs someone up: %d", st)
	}
	st, _, body = l.do("GET", dec+"/run", nil, nil)
	expect(t, "roster", st, 200, body, kidName, "赵建国", "候补第 1 位")

	// Today's class: the volunteer and the child sign up.
	st, _, body = v.do("GET", "/activities?view=list", nil, nil)
	expect(t, "this month", st, 200, body, "智能手机课")
	cls := "/activities/" + regexp.MustCompile(`href="/activities/(\d+)" class="occ-title"><strong>智能手机课`).FindStringSubmatch(body)[1]
	if st, _, _ := v.do("POST", cls+"/signup", url.Values{"volunteer_id": {me}}, nil); st != http.StatusSeeOther {
		t.Fatalf("sign up for today: %d", st)
	}
	if st, _, _ := l.do("POST", cls+"/signup", url.Values{"volunteer_id": {kid}}, nil); st != http.StatusSeeOther {
		t.Fatalf("sign the child up for today: %d", st)
	}
	st, _, body = l.do("GET", cls+"/run", nil, nil)
	expect(t, "run page", st, 200, body, `id="qr"`, "签到二维码", "全部签退", `id="tick-`+kid+`"`)
	u := regexp.MustCompile(`data-checkin-url="([^"]+)"`).FindStringSubmatch(body)
	if u == nil || !strings.HasPrefix(u[1], s.URL+"/checkin/") {
		t.Fatalf("no check-in address on the run page: %v", u)
	}
	resp, err := l.c.Get(s.URL + cls + "/qr.png")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" {
		t.Errorf("qr.png: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	st, _, body = l.do("GET", cls+"/qr.txt", nil, nil)
	if st != 200 || strings.TrimSpace(body) != strings.ReplaceAll(u[1], "&amp;", "&") {
		t.Errorf("qr.txt: %d %q, want %q", st, body, u[1])
	}
	st, _, body = l.do("GET", cls+"/qr", nil, nil)
	expect(t, "QR screen", st, 200, body, "请用手机扫码签到", `http-equiv="refresh"`, "qr.js")

	// The phone opens the address; a visitor not signed in logs in first.
	checkin := strings.TrimPrefix(strings.ReplaceAll(u[1], "&amp;", "&"), s.URL)
	anon := newBrowser(t, s)
	if st, loc, _ := anon.do("GET", checkin, nil, nil); st != http.StatusSeeOther || loc != "/login?next="+url.QueryEscape(checkin) {
		t.Errorf("anonymous check-in: %d %s", st, loc)
	}
	st, _, body = v.do("GET", strings.Split(checkin, "?")[0]+"?c=FORGED12", nil, nil)
	expect(t, "forged code", st, 422, body, "签到码无效或已过期")
	if strings.Contains(body, `id="checkin-confirm"`) {
		t.Error("a forged code offers the confirm button")
	}
	if st, _, body := v.do("POST", strings.Split(checkin, "?")[0], url.Values{"c": {"FORGED12"}}, nil); st != 422 || !strings.Contains(body, "签到码无效") {
		t.Errorf("post a forged code: %d", st)
	}
	st, _, body = v.do("GET", checkin, nil, nil)
	expect(t, "check-in page", st, 200, body, "智能手机课", `id="checkin-confirm"`)
	code := regexp.MustCompile(`name="c" value="([^"]+)"`).FindStringSubmatch(body)[1]
	st, loc, _ = v.do("POST", strings.Split(checkin, "?")[0], url.Values{"c": {code}}, nil)
	if st != http.StatusSeeOther {
		t.Fatalf("check in: %d %s", st, loc)
	}
	st, _, body = v.do("GET", loc, nil, nil)
	expect(t, "checked in", st, 200, body, "签到成功", "签到时间 09:00")
	if st, _, body := v.do("POST", strings.Split(checkin, "?")[0], url.Values{"c": {code}}, nil); st != http.StatusConflict || !strings.Contains(body, "签到成功") {
		t.Errorf("check in twice: %d", st)
	}
	// The API's form of the address leads to the same page.
	if st, loc, _ := v.do("GET", strings.Split(checkin, "?")[0]+"/"+code, nil, nil); st != http.StatusSeeOther || loc != checkin {
		t.Errorf("short address: %d %s", st, loc)
	}

	// The leader ticks the child, checks everyone out an hour later, and
	// posts the hours.
	if st, _, _ := l.do("POST", cls+"/tick", url.Values{"volunteer_id": {kid}, "round": {"15"}}, nil); st != http.StatusSeeOther {
		t.Fatalf("tick: %d", st)
	}
	if st, _, _ := v.do("POST", cls+"/tick", url.Values{"volunteer_id": {me}}, nil); st != http.StatusForbidden {
		t.Errorf("a volunteer ticks: %d", st)
	}
	// Time passes with both signed in (a leader's session idles out after
	// 30 minutes).
	later := func(d time.Duration) {
		for ; d > 0; d -= 20 * time.Minute {
			s.Clock.Advance(20 * time.Minute)
			l.do("GET", "/", nil, nil)
			v.do("GET", "/", nil, nil)
		}
	}
	later(time.Hour)
	if st, loc, _ := l.do("POST", cls+"/checkout", url.Values{"round": {"15"}}, nil); st != http.StatusSeeOther || loc != cls+"/run?round=15" {
		t.Fatalf("check out: %d %s", st, loc)
	}
	st, _, body = l.do("GET", cls+"/run?round=15", nil, nil)
	expect(t, "hours review", st, 200, body, "已全部签退", "09:20", "09:50", "0.50", "代签", "扫码")
	later(time.Hour) // the ledger takes hours once the activity is over
	if st, _, body := l.do("POST", cls+"/post-hours", url.Values{"round": {"15"}}, nil); st != http.StatusSeeOther {
		t.Fatalf("post hours: %d %s", st, regexp.MustCompile(`(?s)<ul class="error".*?</ul>`).FindString(body))
	}
	if st, _, body := l.do("POST", cls+"/post-hours", url.Values{"round": {"15"}}, nil); st < 400 || st >= 500 || !strings.Contains(body, `id="run-errors"`) {
		t.Errorf("post hours twice: %d", st)
	}
	st, _, body = v.do("GET", "/me/activities", nil, nil)
	expect(t, "past with check-in", st, 200, body, "参加过的", "已参加 09:00 – 10:00")
	st, _, body = v.do("GET", "/me/hours", nil, nil)
	expect(t, "hours posted", st, 200, body, "智能手机课")
}
