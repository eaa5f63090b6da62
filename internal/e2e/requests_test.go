package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/linli/linli/internal/demo"
	"github.com/linli/linli/internal/testkit/phototest"
	"github.com/linli/linli/internal/testkit/server"
)

// TestBrowserRequests is issue 6's residents' side on a phone: 陈秀英
// reports the heating on her phone (390 px) with a photo from its
// gallery (shown on the timeline, stored without its EXIF GPS), the
// office takes it through to the callback over the API, and she answers
// the callback and rates it on her phone; the page says it is closed and
// its timeline shows it.
func TestBrowserRequests(t *testing.T) {
	chromium(t)
	s := server.Start(t, server.Options{Registry: true, Skip: []string{demo.RequestsStep}})
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
	// A photo of the thermometer from her phone's gallery, with the
	// EXIF a phone writes (the flat's GPS position).
	photo := filepath.Join(t.TempDir(), "IMG_2031.jpg")
	if err := os.WriteFile(photo, phototest.WithGPS(phototest.JPEG(t, 480, 360)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(phoneCtx, chromedp.SetValue(chromedp.ID("f-category"), heating),
		chromedp.SendKeys(chromedp.ID("f-description"), "暖气不热，家里只有16度，老伴腿脚不好"),
		chromedp.SetUploadFiles("#f-photo", []string{photo})); err != nil {
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
	// Her photo is on the timeline, under the intake, and loads; what
	// the server keeps of it has no EXIF left.
	const thumb = "#event-1 .req-photos img"
	if err := chromedp.Do(phoneCtx, chromedp.ScrollIntoView(thumb)); err != nil {
		t.Errorf("no photo on the timeline: %v", err)
	}
	w, err := chromedp.Run(phoneCtx, chromedp.Poll[int](`(() => { const i = document.querySelector("`+thumb+`"); return i.complete && i.naturalWidth })()`, chromedp.WithPollingTimeout(10*time.Second)))
	if err != nil || w != 480 {
		t.Errorf("the intake's photo on the timeline: %d px wide (%v), want 480", w, err)
	}
	var file string
	if err := s.DB.QueryRow(t.Context(), `SELECT file FROM request_photos WHERE request_id = ? AND seq = 1`, id).Scan(&file); err != nil {
		t.Errorf("the intake's photo row: %v", err)
	}
	stored, _ := os.ReadFile(filepath.Join(s.Config.DataDir, "photos", file))
	if len(stored) == 0 || phototest.HasEXIF(stored) {
		t.Errorf("the stored photo: %d bytes, EXIF %v", len(stored), phototest.HasEXIF(stored))
	}
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

	// The office on a desk takes a call: 王大爷 is not in the registry, so
	// a contact name and phone; the flat by building, unit and room.
	signIn(ctx, t, s.URL, "worker")
	if err := chromedp.Do(ctx, desktop(), chromedp.Navigate(s.URL+"/requests/new")); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("q"), "王大爷"+kb.Enter), chromedp.WaitVisible(chromedp.ID("found"))); err != nil {
		t.Fatal(err)
	}
	b1 := eval[string](ctx, t, `[...document.querySelectorAll('#f-building option')].find(o => o.textContent === '平安小区1号楼')?.value ?? ''`)
	if b1 == "" {
		t.Fatal("no building 1 on the form")
	}
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("f-contact_name"), "王大爷"),
		chromedp.SendKeys(chromedp.ID("f-contact_phone"), "13800001111"),
		chromedp.SetValue(chromedp.ID("f-category"), heating), chromedp.SetValue(chromedp.ID("f-urgency"), "utilities"),
		chromedp.SetValue(chromedp.ID("f-building"), b1), chromedp.SendKeys(chromedp.ID("f-unit"), "2"),
		chromedp.SendKeys(chromedp.ID("f-room"), "301"), chromedp.SendKeys(chromedp.ID("f-description"), "楼上漏水，顺着灯往下滴")); err != nil {
		t.Fatal(err)
	}
	shot(ctx, t, dir, "44-request-intake-zh.png")
	if st := click(ctx, t, "request-save"); st != http.StatusOK {
		t.Fatalf("register: %d", st)
	}
	if got := text(ctx, t, "#facts"); !strings.Contains(got, "平安小区1号楼2单元301") || !strings.Contains(got, "138****1111") {
		t.Errorf("the registered request: %.300q", got)
	}
	leak := strings.TrimPrefix(eval[string](ctx, t, "location.pathname"), "/requests/")
	var org int64
	if err := s.DB.QueryRow(t.Context(), `SELECT id FROM organisations WHERE name = '桥西区供热公司'`).Scan(&org); err != nil {
		t.Fatal(err)
	}
	// Accepted, the page offers the dispatch form: the teams, partners and
	// workers to choose from, and a search for a volunteer.
	if st := click(ctx, t, "do-accept"); st != http.StatusOK {
		t.Fatalf("accept: %d", st)
	}
	if !eval[bool](ctx, t, "document.getElementById('form-dispatch') !== null && document.getElementById('form-accept') === null") {
		t.Errorf("after accepting: %.300q", text(ctx, t, "#steps"))
	}
	shot(ctx, t, dir, "48-request-page-zh.png")
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.ID("dispatch-handler"), fmt.Sprintf("organisation:%d", org))); err != nil {
		t.Fatal(err)
	}
	if st := click(ctx, t, "do-dispatch"); st != http.StatusOK {
		t.Fatalf("dispatch: %d", st)
	}
	if got := text(ctx, t, "#handler"); !strings.Contains(got, "桥西区供热公司") {
		t.Errorf("dispatched to: %q", got)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/requests")); err != nil {
		t.Fatal(err)
	}
	if got := text(ctx, t, "#queue-total"); !strings.Contains(got, "共 1 条") {
		t.Errorf("the open queue: %q", got)
	}
	shot(ctx, t, dir, "45-request-queue-zh.png")
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/requests/buildings")); err != nil {
		t.Fatal(err)
	}
	if got := text(ctx, t, "#open-total"); !strings.Contains(got, "1") {
		t.Errorf("the building view: %q", got)
	}
	shot(ctx, t, dir, "46-request-buildings-zh.png")

	// The heating company's staff signs for it from the inbox on a phone.
	signIn(phoneCtx, t, s.URL, "partner")
	if err := chromedp.Do(phoneCtx, chromedp.Navigate(s.URL+"/requests")); err != nil {
		t.Fatal(err)
	}
	if w := eval[int](phoneCtx, t, "document.documentElement.scrollWidth"); w > 400 {
		t.Errorf("the inbox on a phone is %d px wide", w)
	}
	shot(phoneCtx, t, dir, "47-request-inbox-phone-zh.png")
	if st := click(phoneCtx, t, "sign-"+leak); st != http.StatusOK {
		t.Fatalf("sign: %d", st)
	}
	if got := text(phoneCtx, t, "#request-status"); got != "办理中" {
		t.Errorf("after signing: %q", got)
	}
}
