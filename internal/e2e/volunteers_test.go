package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/linli/linli/internal/testkit/server"
)

// signIn signs in as user in the browser, ending any session before.
func signIn(ctx context.Context, t *testing.T, base, user string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/")); err != nil {
		t.Fatal(err)
	}
	if eval[bool](ctx, t, "document.getElementById('logout') !== null") {
		click(ctx, t, "logout")
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(chromedp.ID("username"), user),
		chromedp.SendKeys(chromedp.ID("password"), server.Password)); err != nil {
		t.Fatal(err)
	}
	if st := click(ctx, t, "login-submit"); st != http.StatusOK {
		t.Fatalf("sign in as %s: %d", user, st)
	}
}

// TestBrowserVolunteers is the matrix as people meet it: the party
// secretary's picture on a desk and on a phone, the children's team
// leader's member list, the electrician's hours and star in large text,
// and 陈秀英 signing up as a volunteer on her phone.
func TestBrowserVolunteers(t *testing.T) {
	chromium(t)
	s := server.Start(t, server.Options{Registry: true})
	dir := screenshotDir(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	ctx, stop := newBrowser(ctx, t)
	defer stop()

	signIn(ctx, t, s.URL, "admin")
	if err := chromedp.Do(ctx, desktop(), chromedp.Navigate(s.URL+"/matrix")); err != nil {
		t.Fatal(err)
	}
	if got := text(ctx, t, "#total-members"); got == "" || got == "0" {
		t.Errorf("matrix headline: %q volunteers in teams", got)
	}
	if rows := eval[int](ctx, t, "document.querySelectorAll('#matrix tbody tr').length"); rows != 11 {
		t.Errorf("matrix rows: %d, want 11 teams", rows)
	}
	current(ctx, t).localOnly(t, s.URL)
	shot(ctx, t, dir, "20-matrix-zh.png")
	// On a phone the page itself does not scroll sideways; the table does.
	if err := chromedp.Do(ctx, phone(), chromedp.Navigate(s.URL+"/matrix")); err != nil {
		t.Fatal(err)
	}
	if w := eval[int](ctx, t, "document.documentElement.scrollWidth"); w > 380 {
		t.Errorf("matrix on a phone is %d px wide", w)
	}
	shot(ctx, t, dir, "21-matrix-phone-zh.png")
	if err := chromedp.Do(ctx, desktop(), chromedp.Navigate(s.URL+"/teams")); err != nil {
		t.Fatal(err)
	}
	shot(ctx, t, dir, "22-teams-zh.png")

	// The children's team leader: her members, phones masked.
	signIn(ctx, t, s.URL, "leader")
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/teams/1")); err != nil {
		t.Fatal(err)
	}
	members := text(ctx, t, "#members")
	if !strings.Contains(members, "队长") || !strings.Contains(members, "需监护人陪同") {
		t.Errorf("leader's member list: %.200q", members)
	}
	shot(ctx, t, dir, "23-team-leader-zh.png")

	// 赵建国 on a phone, in large text: his hours and star.
	signIn(ctx, t, s.URL, "volunteer")
	if err := chromedp.Do(ctx, phone(), chromedp.Navigate(s.URL+"/me/hours")); err != nil {
		t.Fatal(err)
	}
	click(ctx, t, "text-switch")
	if px := rootFontSize(ctx, t); px < 20 {
		t.Errorf("large text: %.0f px", px)
	}
	if lit := eval[int](ctx, t, "document.querySelectorAll('.stars .lit').length"); lit < 1 {
		t.Error("no star lit for a year of repairs")
	}
	shot(ctx, t, dir, "24-my-hours-phone-large-zh.png")
	click(ctx, t, "text-switch")

	// 陈秀英 signs up as a volunteer on her phone.
	signIn(ctx, t, s.URL, "resident")
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/me/volunteer")); err != nil {
		t.Fatal(err)
	}
	if st := click(ctx, t, "become"); st != http.StatusOK {
		t.Fatalf("open the form: %d", st)
	}
	if err := chromedp.Do(ctx, chromedp.Click(`input[name=skills][value="手机教学"]`), chromedp.Click(`input[name=availability][value="sat_am"]`),
		chromedp.Click(chromedp.ID("consent-general"))); err != nil {
		t.Fatal(err)
	}
	shot(ctx, t, dir, "25-volunteer-form-phone-zh.png")
	if st := click(ctx, t, "register-volunteer"); st != http.StatusOK {
		t.Fatalf("register: %d", st)
	}
	if got := text(ctx, t, "main"); !strings.Contains(got, "JSL-V") {
		t.Errorf("after signing up: %.200q", got)
	}
	current(ctx, t).localOnly(t, s.URL)
	shot(ctx, t, dir, "26-my-volunteering-phone-zh.png")
}
