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

// TestBrowserRegistry is a community worker at her desk: she opens the
// buildings of 建胜路社区 (the demo at its real size), finds the elderly
// who live alone, opens one record — masked — and reveals a phone number
// with a reason, as she would before calling to check on him.
func TestBrowserRegistry(t *testing.T) {
	chromium(t)
	s := server.Start(t, server.Options{Registry: true})
	dir := screenshotDir(t)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	ctx, stop := newBrowser(ctx, t)
	defer stop()

	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/login"),
		chromedp.SendKeys(chromedp.ID("username"), "worker"),
		chromedp.SendKeys(chromedp.ID("password"), server.Password)); err != nil {
		t.Fatal(err)
	}
	if st := click(ctx, t, "login-submit"); st != http.StatusOK {
		t.Fatalf("sign in: %d", st)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/buildings")); err != nil {
		t.Fatal(err)
	}
	if h := text(ctx, t, ".chips"); !strings.Contains(h, "2250 户") {
		t.Errorf("buildings header %q, want 2250 户", h)
	}
	current(ctx, t).localOnly(t, s.URL)
	shot(ctx, t, dir, "10-buildings-zh.png")

	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/residents?tag=%E7%8B%AC%E5%B1%85%E8%80%81%E4%BA%BA")); err != nil {
		t.Fatal(err)
	}
	if n := text(ctx, t, "main p.muted"); !strings.Contains(n, "共 120 条") {
		t.Errorf("elderly living alone: %q, want 共 120 条", n)
	}
	body := text(ctx, t, "table.list")
	if !strings.Contains(body, "****") {
		t.Error("the list shows unmasked ID numbers or phones")
	}
	shot(ctx, t, dir, "11-residents-alone-zh.png")

	// Open the first one: masked; reveal the phone with a reason.
	if err := chromedp.Do(ctx, chromedp.Click("table.list tbody tr:first-child a"), chromedp.WaitVisible("#reveal-field")); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.ID("reveal-field"), "phone"),
		chromedp.SendKeys(chromedp.ID("reveal-reason"), "电话回访独居老人")); err != nil {
		t.Fatal(err)
	}
	if st := click(ctx, t, "reveal-submit"); st != http.StatusOK {
		t.Fatalf("reveal: %d", st)
	}
	got := text(ctx, t, "#revealed")
	if !strings.Contains(got, "联系电话") || strings.Contains(got, "*") {
		t.Errorf("revealed %q, want the whole phone number", got)
	}
	current(ctx, t).localOnly(t, s.URL)
	shot(ctx, t, dir, "12-resident-revealed-zh.png")

	// The same record on a phone, in large text.
	if err := chromedp.Do(ctx, phone()); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/residents?q=%E9%99%88")); err != nil {
		t.Fatal(err)
	}
	shot(ctx, t, dir, "13-residents-phone-zh.png")
}
