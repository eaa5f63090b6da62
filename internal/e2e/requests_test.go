package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/linli/linli/internal/testkit/server"
)

// TestBrowserRequests is issue 6's residents' side on a phone: 陈秀英
// reports the heating on her phone (390 px), the office takes it through
// to the callback over the API, and she answers the callback and rates it
// on her phone; the page says it is closed and its timeline shows it.
func TestBrowserRequests(t *testing.T) {
	chromium(t)
	s := server.Start(t, server.Options{Registry: true})
	dir := screenshotDir(t)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	ctx, stop := newBrowser(ctx, t)
	defer stop()
	phoneCtx, closePhone := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer closePhone()
	if err := chromedp.Do(phoneCtx, handset()); err != nil {
		t.Fatal(err)
	}
	signIn(phoneCtx, t, s.URL, "resident")
	if err := chromedp.Do(phoneCtx, chromedp.Navigate(s.URL+"/requests")); err != nil {
		t.Fatal(err)
	}
	if st := click(phoneCtx, t, "new-request"); st != http.StatusOK {
		t.Fatalf("the form: %d", st)
	}
	if got := text(phoneCtx, t, "#request-form"); !strings.Contains(got, "在我家") || !strings.Contains(got, "平安小区1号楼1单元101") {
		t.Errorf("the form: %.300q", got)
	}
	heating := eval[string](phoneCtx, t, `[...document.querySelectorAll('#f-category option')].find(o => o.textContent === '供暖')?.value ?? ''`)
	if heating == "" {
		t.Fatal("no heating category on the form")
	}
	if err := chromedp.Do(phoneCtx, chromedp.SetValue(chromedp.ID("f-category"), heating),
		chromedp.SendKeys(chromedp.ID("f-description"), "暖气不热，家里只有16度，老伴腿脚不好")); err != nil {
		t.Fatal(err)
	}
	if w := eval[int](phoneCtx, t, "document.documentElement.scrollWidth"); w > 400 {
		t.Errorf("the form on a phone is %d px wide", w)
	}
	current(phoneCtx, t).localOnly(t, s.URL)
	shot(phoneCtx, t, dir, "40-request-new-phone-zh.png")
	if st := click(phoneCtx, t, "request-save"); st != http.StatusOK {
		t.Fatalf("submit: %d", st)
	}
	if got := text(phoneCtx, t, "#request-status"); got != "待受理" {
		t.Errorf("after submitting: %q", got)
	}
	path := eval[string](phoneCtx, t, "location.pathname")
	id := strings.TrimPrefix(path, "/requests/")
	if w := eval[int](phoneCtx, t, "document.documentElement.scrollWidth"); w > 400 {
		t.Errorf("the request page on a phone is %d px wide", w)
	}
	shot(phoneCtx, t, dir, "41-request-submitted-phone-zh.png")

	// The office accepts it, handles it itself and verifies, over the API.
	worker := s.Login(t, "worker")
	acc, err := s.Accounts.FindByUsername(t.Context(), "worker")
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		path string
		body any
	}{
		{"accept", nil},
		{"dispatch", map[string]any{"handler": map[string]any{"kind": "account", "id": acc.ID}}},
		{"sign", nil},
		{"result", map[string]any{"note": "供热公司已排气检修，室温升到20度"}},
		{"verify", nil},
	} {
		st, b := s.Do(t, "POST", fmt.Sprintf("/api/v1/requests/%s/%s", id, step.path), worker, step.body)
		if st != http.StatusOK {
			t.Fatalf("%s: %d %s", step.path, st, b)
		}
		var r struct{ Status string }
		_ = json.Unmarshal(b, &r)
	}

	// 陈秀英 answers the callback on her phone.
	if err := chromedp.Do(phoneCtx, chromedp.Navigate(s.URL+path)); err != nil {
		t.Fatal(err)
	}
	if got := text(phoneCtx, t, "#request-status"); got != "待回访" {
		t.Errorf("before the callback: %q", got)
	}
	if err := chromedp.Do(phoneCtx, chromedp.Click(chromedp.ID("resolved-yes")), chromedp.Click(chromedp.ID("sat-satisfied"))); err != nil {
		t.Fatal(err)
	}
	shot(phoneCtx, t, dir, "42-request-callback-phone-zh.png")
	if st := click(phoneCtx, t, "do-callback"); st != http.StatusOK {
		t.Fatalf("callback: %d", st)
	}
	if got := text(phoneCtx, t, "#request-status"); got != "已办结" {
		t.Errorf("after the callback: %q", got)
	}
	tl := text(phoneCtx, t, "#timeline")
	for _, want := range []string{"登记", "受理", "派单", "签收", "供热公司已排气检修", "核查", "回访", "满意"} {
		if !strings.Contains(tl, want) {
			t.Errorf("the timeline lacks %q: %.500q", want, tl)
		}
	}
	if !eval[bool](phoneCtx, t, "document.getElementById('form-reopen') !== null") {
		t.Error("no reopen form right after closing")
	}
	if w := eval[int](phoneCtx, t, "document.documentElement.scrollWidth"); w > 400 {
		t.Errorf("the closed request on a phone is %d px wide", w)
	}
	shot(phoneCtx, t, dir, "43-request-closed-phone-zh.png")
}
