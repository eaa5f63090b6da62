package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/linli/linli/internal/testkit/server"
)

// TestBrowserJourney is what 王芳, a community worker, does in a real
// browser: she mistypes her password, signs in, reads the page in English
// and back in Chinese, turns on large text, finds it still on after a
// reload and in her settings, looks at Linli on her phone, and signs out.
// Screenshots of each step go to screenshots/ for review by eye.
func TestBrowserJourney(t *testing.T) {
	chromium(t) // skip (or fail under CI) before starting anything
	start := time.Now()
	s := server.Start(t, server.Options{})
	dir := screenshotDir(t)

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	ctx, stop := newBrowser(ctx, t)
	defer stop()
	defer func() {
		if t.Failed() { // the page where the failing test stopped
			if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
				t.Logf("page at failure saved as 99-failure.png (%d bytes)", len(png))
				_ = writeFile(dir, "99-failure.png", png)
			}
		}
	}()

	// A visitor is sent to the sign-in page, in Chinese.
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/")); err != nil {
		t.Fatalf("open /: %v", err)
	}
	p := current(ctx, t)
	if !strings.HasPrefix(p.URL, s.URL+"/login") {
		t.Fatalf("/ as a visitor: at %s, want the sign-in page", p.URL)
	}
	if p.Lang != "zh-CN" {
		t.Errorf("sign-in page: <html lang=%q>, want zh-CN", p.Lang)
	}
	if h := text(ctx, t, "h1"); !strings.Contains(h, "登录") {
		t.Errorf("sign-in page heading %q, want 登录", h)
	}
	if b := text(ctx, t, "#login-submit"); b != "登录" {
		t.Errorf("sign-in button %q, want 登录", b)
	}
	p.localOnly(t, s.URL)
	shot(ctx, t, dir, "01-login-zh.png")

	// A wrong password: a plain Chinese message, the account name kept.
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("username"), "worker"),
		chromedp.SendKeys(chromedp.ID("password"), "not-the-password"),
	); err != nil {
		t.Fatalf("fill sign-in form: %v", err)
	}
	if st := click(ctx, t, "login-submit"); st != http.StatusUnauthorized {
		t.Errorf("wrong password: status %d, want %d", st, http.StatusUnauthorized)
	}
	if msg := text(ctx, t, ".error[role=alert]"); !strings.Contains(msg, "账号或密码不正确") {
		t.Errorf("wrong password: error %q, want 账号或密码不正确…", msg)
	}
	if u := eval[string](ctx, t, "document.getElementById('username').value"); u != "worker" {
		t.Errorf("wrong password: username field %q, want it kept as worker", u)
	}
	current(ctx, t).localOnly(t, s.URL)
	shot(ctx, t, dir, "02-login-error-zh.png")

	// The right password lands on the home page, greeting her by name.
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("password"), server.Password)); err != nil {
		t.Fatalf("type password: %v", err)
	}
	if st := click(ctx, t, "login-submit"); st != http.StatusOK {
		t.Fatalf("sign in: status %d", st)
	}
	p = current(ctx, t)
	if p.URL != s.URL+"/" {
		t.Fatalf("after sign-in: at %s, want /", p.URL)
	}
	if h := text(ctx, t, "h1"); !strings.Contains(h, "您好") || !strings.Contains(h, "王芳") {
		t.Errorf("home greeting %q, want 您好，王芳…", h)
	}
	if l := text(ctx, t, "#logout"); l != "退出" {
		t.Errorf("sign-out button %q, want 退出", l)
	}
	if p.Lang != "zh-CN" || p.Large {
		t.Errorf("home: lang %q large %v, want zh-CN and normal text", p.Lang, p.Large)
	}
	p.localOnly(t, s.URL)
	normal := rootFontSize(ctx, t)
	shot(ctx, t, dir, "03-home-zh.png")

	// English, and back to Chinese.
	click(ctx, t, "lang-switch")
	p = current(ctx, t)
	if p.Lang != "en" {
		t.Errorf("after English: <html lang=%q>, want en", p.Lang)
	}
	if h := text(ctx, t, "h1"); !strings.HasPrefix(h, "Hello") || !strings.Contains(h, "王芳") {
		t.Errorf("English greeting %q, want Hello, 王芳…", h)
	}
	if l := text(ctx, t, "#logout"); l != "Sign out" {
		t.Errorf("English sign-out button %q, want Sign out", l)
	}
	if b := text(ctx, t, "#lang-switch"); b != "中文" {
		t.Errorf("English page offers %q, want 中文 to switch back", b)
	}
	p.localOnly(t, s.URL)
	shot(ctx, t, dir, "04-home-en.png")

	click(ctx, t, "lang-switch")
	if l := current(ctx, t).Lang; l != "zh-CN" {
		t.Errorf("back to Chinese: <html lang=%q>, want zh-CN", l)
	}
	if h := text(ctx, t, "h1"); !strings.Contains(h, "您好") {
		t.Errorf("back to Chinese: greeting %q, want 您好…", h)
	}

	// Large text: a class on <html> and a visibly larger root size.
	if b := text(ctx, t, "#text-switch"); b != "大字模式" {
		t.Errorf("text switch %q, want 大字模式", b)
	}
	click(ctx, t, "text-switch")
	p = current(ctx, t)
	if !p.Large {
		t.Errorf("after 大字模式: <html> has no class large")
	}
	large := rootFontSize(ctx, t)
	if large <= normal {
		t.Errorf("root font-size %.1fpx in large text, %.1fpx before: want larger", large, normal)
	}
	if b := text(ctx, t, "#text-switch"); b != "标准字号" {
		t.Errorf("large text: switch %q, want 标准字号 to go back", b)
	}
	p.localOnly(t, s.URL)
	shot(ctx, t, dir, "05-home-zh-large.png")

	// It is saved to her account, not only to this browser: without the
	// large_text cookie a reload still shows large text.
	if _, err := chromedp.Call(ctx, network.DeleteCookies, network.DeleteCookiesParams{Name: "large_text", URL: s.URL}); err != nil {
		t.Fatalf("delete large_text cookie: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
		t.Fatalf("reload: %v", err)
	}
	if p := current(ctx, t); !p.Large || p.Lang != "zh-CN" {
		t.Errorf("after reload: large %v lang %q, want large text in zh-CN", p.Large, p.Lang)
	}

	// Settings show the choice; saving it again is harmless.
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/settings")); err != nil {
		t.Fatalf("open /settings: %v", err)
	}
	if !eval[bool](ctx, t, "document.getElementById('large-text-on').checked") {
		t.Errorf("settings: large text radio not checked")
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("large-text-on"))); err != nil {
		t.Fatalf("choose large text: %v", err)
	}
	click(ctx, t, "save-preferences")
	p = current(ctx, t)
	if p.URL != s.URL+"/settings" || !p.Large {
		t.Errorf("after saving settings: at %s large %v, want /settings in large text", p.URL, p.Large)
	}
	if f := text(ctx, t, ".flash"); f != "已保存。" {
		t.Errorf("after saving settings: flash %q, want 已保存。", f)
	}
	p.localOnly(t, s.URL)
	shot(ctx, t, dir, "06-settings-large.png")

	// On a 360 px phone the large-text home page fits the screen's width.
	if err := chromedp.Do(ctx, phone(), chromedp.Navigate(s.URL+"/")); err != nil {
		t.Fatalf("phone viewport: %v", err)
	}
	if w := eval[int](ctx, t, "window.innerWidth"); w != 360 {
		t.Errorf("phone: innerWidth %d, want 360", w)
	}
	if sw := eval[int](ctx, t, "document.documentElement.scrollWidth"); sw > 360 {
		t.Errorf("phone: page is %dpx wide on a 360px screen (scrolls sideways)", sw)
	}
	if !current(ctx, t).Large {
		t.Errorf("phone: large text is off")
	}
	shot(ctx, t, dir, "07-home-phone-large.png")
	if err := chromedp.Do(ctx, desktop()); err != nil {
		t.Fatalf("desktop viewport: %v", err)
	}

	// Sign out: back at the sign-in page, and / no longer lets her in.
	click(ctx, t, "logout")
	p = current(ctx, t)
	if !strings.HasPrefix(p.URL, s.URL+"/login") {
		t.Errorf("after sign-out: at %s, want the sign-in page", p.URL)
	}
	if f := text(ctx, t, ".flash"); f != "您已安全退出。" {
		t.Errorf("after sign-out: flash %q, want 您已安全退出。", f)
	}
	if eval[bool](ctx, t, "document.getElementById('logout') !== null") {
		t.Errorf("after sign-out: the page still offers 退出")
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/settings")); err != nil {
		t.Fatalf("open /settings after sign-out: %v", err)
	}
	if u := eval[string](ctx, t, "document.URL"); !strings.HasPrefix(u, s.URL+"/login") {
		t.Errorf("/settings after sign-out: at %s, want the sign-in page", u)
	}
	t.Logf("journey took %s; screenshots in %s", time.Since(start).Round(time.Millisecond), dir)
}
