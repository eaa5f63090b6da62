package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/linli/linli/internal/activities"
	"github.com/linli/linli/internal/testkit/server"
)

// handset is a common phone, 390x844 CSS pixels at three times the density.
func handset() chromedp.Action[chromedp.Void] {
	return chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(3))
}

// TestBrowserActivities is the "done when" of issue 5 in a real browser:
// 赵建国 finds this morning's smartphone class on his phone and signs up;
// the children's team leader opens the run page on the office PC, which
// shows the check-in QR code; his phone opens the address the code holds,
// he confirms, and he is checked in. The leader's roster says so.
func TestBrowserActivities(t *testing.T) {
	chromium(t)
	s := server.Start(t, server.Options{Registry: true})
	dir := screenshotDir(t)
	// The leader plans this morning's class and the last-Saturday series
	// (the demo clock stands at 2026-11-28 09:00).
	leader := s.Login(t, "leader")
	for _, in := range []map[string]any{
		{"title": "智能手机课", "team_id": 1, "capacity": 12, "start": "2026-11-28T09:20", "end": "2026-11-28T10:30",
			"tasks": "教老人用手机挂号、视频通话", "risks": "久坐", "protection": "每40分钟休息"},
		{"title": "五彩益童心梦·月末活动", "team_id": 1, "capacity": 20, "min_age": 5, "start": "2026-11-29T09:00", "end": "2026-11-29T11:30",
			"rrule": "FREQ=MONTHLY;BYDAY=-1SU", "risks": "剪刀", "protection": "社工看护"},
	} {
		if st, b := s.Do(t, "POST", "/api/v1/activities", leader, in); st != http.StatusCreated {
			t.Fatalf("plan %s: %d %s", in["title"], st, b)
		}
	}
	q := url.Values{"from": {"2026-11-28T00:00:00+08:00"}, "to": {"2026-11-29T00:00:00+08:00"}}
	_, b := s.Do(t, "GET", "/api/v1/activities?"+q.Encode(), leader, nil)
	var list struct{ Items []activities.Occurrence }
	if err := json.Unmarshal(b, &list); err != nil {
		t.Fatalf("today: %s", b)
	}
	// The demo's children's team meets today too: the class is ours.
	var class int64
	for _, o := range list.Items {
		if o.Title == "智能手机课" {
			class = o.ID
		}
	}
	if class == 0 {
		t.Fatalf("today's class: %s", b)
	}
	// What November's grid must show: the demo's dates and ours.
	q = url.Values{"from": {"2026-11-01T00:00:00+08:00"}, "to": {"2026-12-01T00:00:00+08:00"}}
	_, b = s.Do(t, "GET", "/api/v1/activities?"+q.Encode()+"&per_page=100", leader, nil)
	var november struct{ Items []activities.Occurrence }
	if err := json.Unmarshal(b, &november); err != nil || len(november.Items) < 2 {
		t.Fatalf("November: %s", b)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	ctx, stop := newBrowser(ctx, t)
	defer stop()
	// The volunteer's phone is a browser context of its own: its own
	// cookies, its own screen.
	phoneCtx, closePhone := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer closePhone()
	if err := chromedp.Do(phoneCtx, handset()); err != nil {
		t.Fatal(err)
	}

	// 赵建国 on his phone: the month, then the list, then the class.
	signIn(phoneCtx, t, s.URL, "volunteer")
	if err := chromedp.Do(phoneCtx, chromedp.Navigate(s.URL+"/activities")); err != nil {
		t.Fatal(err)
	}
	if got := text(phoneCtx, t, "#month-title"); got != "2026年11月" {
		t.Errorf("month title: %q", got)
	}
	if n := eval[int](phoneCtx, t, "document.querySelectorAll('#month a.occ').length"); n != len(november.Items) {
		t.Errorf("dates in the month grid: %d, want %d", n, len(november.Items))
	}
	if w := eval[int](phoneCtx, t, "document.documentElement.scrollWidth"); w > 400 {
		t.Errorf("the calendar on a phone is %d px wide", w)
	}
	current(phoneCtx, t).localOnly(t, s.URL)
	shot(phoneCtx, t, dir, "30-activities-month-phone-zh.png")
	if st := click(phoneCtx, t, "view-list"); st != http.StatusOK {
		t.Fatalf("list view: %d", st)
	}
	if got := text(phoneCtx, t, "#occurrences"); !strings.Contains(got, "智能手机课") || !strings.Contains(got, "余 12 / 12 名额") {
		t.Errorf("list: %.300q", got)
	}
	shot(phoneCtx, t, dir, "31-activities-list-phone-zh.png")
	if err := chromedp.Do(phoneCtx, chromedp.Navigate(s.URL+"/activities/"+itoa(class))); err != nil {
		t.Fatal(err)
	}
	signup := eval[string](phoneCtx, t, "document.querySelector('button[id^=signup-]')?.id ?? ''")
	if signup == "" {
		t.Fatalf("no sign-up button: %.300q", text(phoneCtx, t, "main"))
	}
	if st := click(phoneCtx, t, signup); st != http.StatusOK {
		t.Fatalf("sign up: %d", st)
	}
	if got := text(phoneCtx, t, "#my-action"); !strings.Contains(got, "已报名") {
		t.Errorf("after signing up: %.300q", got)
	}
	shot(phoneCtx, t, dir, "32-activity-signed-phone-zh.png")

	// The leader's run page on the office PC: the QR code and its address.
	signIn(ctx, t, s.URL, "leader")
	if err := chromedp.Do(ctx, desktop(), chromedp.Navigate(s.URL+"/activities")); err != nil {
		t.Fatal(err)
	}
	if n := eval[int](ctx, t, "document.querySelectorAll('#month a.occ').length"); n != len(november.Items) {
		t.Errorf("dates in the desktop month grid: %d, want %d", n, len(november.Items))
	}
	shot(ctx, t, dir, "36-activities-month-zh.png")
	if st := click(ctx, t, "plan-link"); st != http.StatusOK {
		t.Fatalf("plan form: %d", st)
	}
	shot(ctx, t, dir, "37-activity-plan-zh.png")
	if err := chromedp.Do(ctx, desktop(), chromedp.Navigate(s.URL+"/activities/"+itoa(class)+"/run")); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.WaitReady("#qr")); err != nil {
		t.Fatal(err)
	}
	if w := eval[int](ctx, t, "document.getElementById('qr').naturalWidth"); w < 200 {
		t.Errorf("the QR image did not load: %d px", w)
	}
	if got := text(ctx, t, "#roster"); !strings.Contains(got, "赵建国") || !strings.Contains(got, "代签到") {
		t.Errorf("roster before: %.300q", got)
	}
	checkin := eval[string](ctx, t, "document.getElementById('qr').dataset.checkinUrl")
	if !strings.HasPrefix(checkin, s.URL+"/checkin/"+itoa(class)+"?c=") {
		t.Fatalf("check-in address: %q", checkin)
	}
	if link := eval[string](ctx, t, "document.getElementById('checkin-url').href"); link != checkin {
		t.Errorf("printed link %q differs from the QR's %q", link, checkin)
	}
	current(ctx, t).localOnly(t, s.URL)
	shot(ctx, t, dir, "33-activity-run-qr-zh.png")

	// His phone opens what the camera read, and he confirms.
	if err := chromedp.Do(phoneCtx, chromedp.Navigate(checkin)); err != nil {
		t.Fatal(err)
	}
	shot(phoneCtx, t, dir, "34-checkin-confirm-phone-zh.png")
	if st := click(phoneCtx, t, "checkin-confirm"); st != http.StatusOK {
		t.Fatalf("confirm: %d", st)
	}
	if got := text(phoneCtx, t, "#checkin-done"); !strings.Contains(got, "签到成功") {
		t.Fatalf("after confirming: %.300q", text(phoneCtx, t, "main"))
	}
	if px := eval[float64](phoneCtx, t, "parseFloat(getComputedStyle(document.getElementById('checkin-done')).fontSize)"); px < 30 {
		t.Errorf("the success message is %.0f px, not big", px)
	}
	current(phoneCtx, t).localOnly(t, s.URL)
	shot(phoneCtx, t, dir, "35-checkin-done-phone-zh.png")
	// A forged code says so.
	if err := chromedp.Do(phoneCtx, chromedp.Navigate(s.URL+"/checkin/"+itoa(class)+"?c=FORGED12")); err != nil {
		t.Fatal(err)
	}
	// Already checked in: the success screen stands, whatever the code.
	if got := text(phoneCtx, t, "main"); !strings.Contains(got, "签到成功") {
		t.Errorf("forged code after checking in: %.200q", got)
	}

	// A minute on, the code has changed: qr.js (here on a tap, otherwise
	// at the turn of the minute) swaps the image, the code and the link.
	before := text(ctx, t, "#checkin-code")
	s.Clock.Advance(2 * time.Minute)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("qr"))); err != nil {
		t.Fatal(err)
	}
	after := before
	for i := 0; i < 50 && after == before; i++ {
		time.Sleep(100 * time.Millisecond)
		after = text(ctx, t, "#checkin-code")
	}
	if after == before || !strings.HasSuffix(eval[string](ctx, t, "document.getElementById('checkin-url').href"), "?c="+after) ||
		!strings.Contains(eval[string](ctx, t, "document.getElementById('qr').src"), "c="+after) {
		t.Errorf("the QR code did not refresh: %q → %q", before, after)
	}

	// The roster on the leader's screen shows him in.
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/activities/"+itoa(class)+"/run")); err != nil {
		t.Fatal(err)
	}
	if got := text(ctx, t, "#roster"); !strings.Contains(got, "09:00") || !strings.Contains(got, "扫码") {
		t.Errorf("roster after: %.300q", got)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
