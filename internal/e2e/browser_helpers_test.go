package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
)

// chromium finds Debian's chromium. Without it the browser test skips
// locally, but fails under CI=true: CI must not pass by skipping.
func chromium(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	const debian = "/usr/bin/chromium"
	if _, err := os.Stat(debian); err == nil {
		return debian
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium not found; CI must install chromium and fonts-wqy-microhei")
	}
	t.Skip("chromium not found; install chromium and fonts-wqy-microhei to run the browser test")
	return ""
}

// newBrowser starts a headless Chromium with a fresh profile, a Chinese
// user's language and a desktop window, bound to ctx. The returned cancel
// stops the browser and waits for it to exit; call it before the test's
// temporary directories are removed.
func newBrowser(ctx context.Context, t *testing.T) (context.Context, context.CancelFunc) {
	t.Helper()
	out := &lockedBuffer{}
	// The defaults already hold some of these flags; they are repeated so
	// that the whole launch line can be read here.
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.Headless,
		chromedp.NoSandbox, // the tests run as root
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		// A browser in 建胜路社区 asks for Chinese. Headless Chromium
		// ignores --lang for Accept-Language; --accept-lang sets it.
		chromedp.Flag("accept-lang", "zh-CN,zh"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
		chromedp.CombinedOutput(out),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelTab := chromedp.NewContext(actx, chromedp.WithErrorf(t.Logf))
	// The window's toolbar area leaves the page only 1280x757; desktop
	// shots get the whole 1280x900.
	if err := chromedp.Do(bctx, desktop()); err != nil { // starts the browser
		cancelTab()
		cancelAlloc()
		t.Fatalf("start chromium: %v\n%s", err, out.String())
	}
	return bctx, func() {
		cancelTab()
		cancelAlloc()
		if t.Failed() && out.Len() > 0 {
			t.Logf("chromium output:\n%s", out.String())
		}
	}
}

// desktop and phone are the two screens the shots are taken on. The phone
// is a small Android one, 360 CSS pixels wide at twice the density.
func desktop() chromedp.Action[chromedp.Void] { return chromedp.EmulateViewport(1280, 900) }

func phone() chromedp.Action[chromedp.Void] {
	return chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile, chromedp.EmulateScale(2))
}

// screenshotDir is where shots go: $LINLI_SCREENSHOTS, or screenshots/ at
// the repository root (go test runs in internal/e2e).
func screenshotDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("LINLI_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join("..", "..", "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	_ = os.Remove(filepath.Join(dir, "99-failure.png")) // from an earlier failed run
	return dir
}

// shot saves a full-page PNG of the current page as dir/name.
func shot(ctx context.Context, t *testing.T, dir, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := writeFile(dir, name, png); err != nil {
		t.Fatal(err)
	}
}

// eval runs a JavaScript expression in the page and fails the test if it
// cannot.
func eval[T any](ctx context.Context, t *testing.T, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// click clicks the element with the given id and waits for the page it
// leads to (forms here post and redirect), returning its HTTP status.
func click(ctx context.Context, t *testing.T, id string) int64 {
	t.Helper()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.ID(id)))
	if err != nil {
		t.Fatalf("click #%s: %v", id, err)
	}
	return resp.Status
}

// text is the visible text of the first element matching a CSS selector,
// or "" if there is none; it does not wait.
func text(ctx context.Context, t *testing.T, css string) string {
	t.Helper()
	return eval[string](ctx, t, "document.querySelector("+strconv.Quote(css)+")?.innerText ?? ''")
}

// rootFontSize is the computed font size of <html> in CSS pixels.
func rootFontSize(ctx context.Context, t *testing.T) float64 {
	t.Helper()
	s := eval[string](ctx, t, "getComputedStyle(document.documentElement).fontSize")
	px, err := strconv.ParseFloat(strings.TrimSuffix(s, "px"), 64)
	if err != nil {
		t.Fatalf("root font-size %q: %v", s, err)
	}
	return px
}

// page is what the test checks on every page it visits.
type page struct {
	URL       string
	Lang      string
	Large     bool
	Resources []resource
}

type resource struct {
	Name   string `json:"name"`
	Status int    `json:"status"` // 0 where the browser does not say
}

func current(ctx context.Context, t *testing.T) page {
	t.Helper()
	var p page
	p.URL = eval[string](ctx, t, "document.URL")
	p.Lang = eval[string](ctx, t, "document.documentElement.lang")
	p.Large = eval[bool](ctx, t, "document.documentElement.classList.contains('large')")
	p.Resources = eval[[]resource](ctx, t,
		"performance.getEntriesByType('resource').map(e => ({name: e.name, status: e.responseStatus || 0}))")
	return p
}

// localOnly fails the test if the page, or anything it loaded, came from
// another host, or if a resource failed: community PCs may be offline and
// nothing may reach a CDN, a web font or analytics.
func (p page) localOnly(t *testing.T, base string) {
	t.Helper()
	if !strings.HasPrefix(p.URL, base+"/") {
		t.Errorf("page %s is not on %s", p.URL, base)
	}
	if len(p.Resources) == 0 {
		t.Errorf("%s: no resources recorded; expected at least the stylesheet", p.URL)
	}
	for _, r := range p.Resources {
		if !strings.HasPrefix(r.Name, base+"/") {
			t.Errorf("%s loaded %s from another host", p.URL, r.Name)
		}
		if r.Status >= 400 {
			t.Errorf("%s: resource %s answered %d", p.URL, r.Name, r.Status)
		}
	}
}

// lockedBuffer collects the browser's output from its copying goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *lockedBuffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Len()
}

func writeFile(dir, name string, b []byte) error {
	return os.WriteFile(filepath.Join(dir, name), b, 0o644)
}
