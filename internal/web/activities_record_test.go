package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/linli/linli/internal/activities"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/testkit/server"
)

// A person's month view and the roster's record, on both databases: the
// volunteer's who=me calendar shows his dates and not another, the team
// month view answers the leader and a member, and after he skips two of
// the Mondays he signed up for and cancels one late, the leader's run
// page flags him; he cannot see it.
func TestMyMonthAndRosterRecord(t *testing.T) {
	for _, pg := range []bool{false, true} {
		name := "sqlite"
		if pg {
			name = "postgres"
		}
		t.Run(name, func(t *testing.T) { myMonthAndRecord(t, server.Start(t, server.Options{Registry: true, Postgres: pg})) })
	}
}

func myMonthAndRecord(t *testing.T, s *server.Server) {
	l := newBrowser(t, s)
	l.login("leader", server.Password)
	_, _, body := l.do("GET", "/activities/new", nil, nil)
	team := regexp.MustCompile(`<option value="(\d+)"[^>]*>五彩益童心梦`).FindStringSubmatch(body)
	if team == nil {
		t.Fatal("the leader's team is not offered")
	}
	plan := func(title, date, repeat string) {
		t.Helper()
		f := url.Values{"title": {title}, "team_id": {team[1]}, "date": {date}, "start_time": {"19:00"}, "end_time": {"20:30"},
			"repeat": {repeat}, "weekday": {"MO"}, "capacity": {"5"}, "deadline_hours": {"24"}, "open_to": {"volunteers"}, "visibility": {"members"}}
		if st, loc, body := l.do("POST", "/activities", f, nil); st != http.StatusSeeOther {
			t.Fatalf("plan %s: %d %s %.300s", title, st, loc, body)
		}
	}
	plan("夜间巡逻培训", "2026-11-30", "weekly")
	plan("别人的讲座", "2026-12-09", "none")
	// The Mondays, from the API.
	tok := s.Login(t, "leader")
	q := url.Values{"from": {"2026-11-30T00:00:00+08:00"}, "to": {"2027-01-01T00:00:00+08:00"}, "team": {team[1]}}
	st, b := s.Do(t, "GET", "/api/v1/activities?"+q.Encode(), tok, nil)
	var list struct{ Items []activities.Occurrence }
	if st != 200 || json.Unmarshal(b, &list) != nil {
		t.Fatalf("occurrences: %d %s", st, b)
	}
	var mondays []string
	for _, o := range list.Items {
		if o.Title == "夜间巡逻培训" {
			mondays = append(mondays, fmt.Sprintf("/activities/%d", o.ID))
		}
	}
	if len(mondays) != 5 { // 11-30, 12-07, 12-14, 12-21, 12-28
		t.Fatalf("%d Mondays in %s", len(mondays), b)
	}

	// The volunteer signs himself up for the five Mondays.
	v := newBrowser(t, s)
	v.login("volunteer", server.Password)
	for _, m := range mondays {
		if st, loc, _ := v.do("POST", m+"/signup", url.Values{}, nil); st != http.StatusSeeOther {
			t.Fatalf("sign up for %s: %d %s", m, st, loc)
		}
	}
	_, _, body = v.do("GET", mondays[0], nil, nil)
	me := regexp.MustCompile(`id="cancel-(\d+)"`).FindStringSubmatch(body)
	if me == nil {
		t.Fatal("no cancel button for the volunteer")
	}

	// His month: his Mondays, not the talk he did not sign up for; the
	// community's month has both, with the toggle between them.
	st, _, body = v.do("GET", "/activities?month=2026-12&who=me", nil, nil)
	expect(t, "my month", st, 200, body, `id="month"`, "夜间巡逻培训", `id="who-all"`, "<strong>我的</strong>")
	if strings.Contains(body, "别人的讲座") {
		t.Error("my month shows a date I am not signed up for")
	}
	st, _, body = v.do("GET", "/activities?month=2026-12&view=list&who=me&team="+team[1], nil, nil)
	expect(t, "my list of the team", st, 200, body, "2026-12-07", "夜间巡逻培训",
		`href="/activities?month=2026-12&amp;team=`+team[1]+`&amp;view=list" id="who-all"`,
		`href="/activities?month=2027-01&amp;team=`+team[1]+`&amp;view=list&amp;who=me" id="next-month"`)
	if strings.Contains(body, "别人的讲座") {
		t.Error("my list shows a date I am not signed up for")
	}
	st, _, body = v.do("GET", "/activities?month=2026-12", nil, nil)
	expect(t, "the community's month", st, 200, body, "夜间巡逻培训", "别人的讲座", `id="who-me"`, "<strong>全部</strong>")
	st, _, body = v.do("GET", "/me/activities", nil, nil)
	expect(t, "my activities", st, 200, body, `href="/activities?who=me" id="my-month"`)
	// The leader has none of these dates herself.
	st, _, body = l.do("GET", "/activities?month=2026-12&view=list&who=me&team="+team[1], nil, nil)
	expect(t, "the leader's own month", st, 200, body, "本月没有您或孩子报名的活动")

	// The team's month, for the leader and for a member; another team's
	// month does not show it.
	other := ""
	for _, o := range regexp.MustCompile(`<option value="(\d+)"`).FindAllStringSubmatch(body, -1) {
		if o[1] != team[1] {
			other = o[1]
			break
		}
	}
	if other == "" {
		t.Fatal("no other team in the filter")
	}
	for who, b := range map[string]*browser{"leader": l, "member": v} {
		st, _, body := b.do("GET", "/activities?month=2026-12&team="+team[1], nil, nil)
		expect(t, who+"'s team month", st, 200, body, `id="month"`, "夜间巡逻培训", "别人的讲座", `<option value="`+team[1]+`" selected>`)
		st, _, body = b.do("GET", "/activities?month=2026-12&team="+other, nil, nil)
		if st != 200 || strings.Contains(body, "夜间巡逻培训") {
			t.Errorf("%s's month of another team: %d, shows our series: %v", who, st, strings.Contains(body, "夜间巡逻培训"))
		}
	}

	// He comes to the first Monday (the leader ticks him in) and not to
	// the next two; he cancels the fourth on the day: late.
	s.Clock.Set(time.Date(2026, 11, 30, 19, 5, 0, 0, clock.Shanghai))
	if st, _, body := l.do("POST", mondays[0]+"/tick", url.Values{"volunteer_id": {me[1]}, "round": {"15"}}, nil); st != http.StatusSeeOther {
		t.Fatalf("tick: %d %.300s", st, body)
	}
	// Three weeks on, the sessions have expired: both sign in again.
	s.Clock.Set(time.Date(2026, 12, 21, 10, 0, 0, 0, clock.Shanghai))
	v.login("volunteer", server.Password)
	l.login("leader", server.Password)
	if st, _, _ := v.do("POST", mondays[3]+"/cancel", url.Values{}, nil); st != http.StatusSeeOther {
		t.Fatalf("late cancel: %d", st)
	}
	s.Clock.Set(time.Date(2026, 12, 22, 9, 0, 0, 0, clock.Shanghai))
	st, _, body = l.do("GET", mondays[4]+"/run", nil, nil)
	expect(t, "run page", st, 200, body, `id="roster-`+me[1]+`"`)
	row := regexp.MustCompile(`(?s)<tr id="roster-` + me[1] + `">.*?</tr>`).FindString(body)
	for _, want := range []string{"近一年爽约 2 次", "近一年截止后取消 1 次", "近一年到场 1 次"} {
		if !strings.Contains(row, want) {
			t.Errorf("his roster row lacks %q: %s", want, row)
		}
	}
	// In English too.
	l.do("POST", "/prefs", url.Values{"lang": {"en"}, "back": {"/"}}, nil)
	_, _, body = l.do("GET", mondays[4]+"/run", nil, nil)
	expect(t, "run page in English", 200, 200, body, "2 no-shows in the past year", "Late cancels in the past year: 1", "Attended in the past year: 1")
	// Only the organiser sees it.
	if st, _, body := v.do("GET", mondays[4]+"/run", nil, nil); st != http.StatusForbidden || strings.Contains(body, "爽约") {
		t.Errorf("the volunteer reads the run page: %d", st)
	}
}
