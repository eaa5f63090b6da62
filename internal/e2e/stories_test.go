package e2e

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/linli/linli/internal/testkit/server"
)

// TestBrowserStoryForm: the children's team leader, on her phone, opens
// the run page of the team's last past date, taps "写活动故事", rewrites
// the summary, chooses a photo and who is in it, and lands on the story.
// A photo over the limit is stopped in the page before anything is sent.
func TestBrowserStoryForm(t *testing.T) {
	chromium(t)
	s := server.Start(t, server.Options{Registry: true})
	dir := screenshotDir(t)
	ctx := context.Background()
	var occ int64
	if err := s.DB.QueryRow(ctx, `SELECT o.id FROM occurrences o JOIN activities a ON a.id = o.activity_id
		WHERE a.team_id = 1 AND o.ends_at < ? AND NOT o.cancelled ORDER BY o.starts_at DESC LIMIT 1`, s.Clock.Now().UTC()).Scan(&occ); err != nil {
		t.Fatal(err)
	}
	// A photo from the phone's gallery, and one too large to send.
	img := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for x := range 640 {
		for y := range 480 {
			img.Set(x, y, color.RGBA{uint8(x / 3), 90, uint8(y / 2), 255})
		}
	}
	var buf bytes.Buffer
	jpeg.Encode(&buf, img, nil)
	files := t.TempDir()
	small, big := filepath.Join(files, "IMG_0420.jpg"), filepath.Join(files, "IMG_0421.jpg")
	if err := os.WriteFile(small, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(big, append(buf.Bytes(), make([]byte, 12<<20)...), 0o644); err != nil {
		t.Fatal(err)
	}

	bctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	bctx, stop := newBrowser(bctx, t)
	defer stop()
	if err := chromedp.Do(bctx, handset()); err != nil {
		t.Fatal(err)
	}
	signIn(bctx, t, s.URL, "leader")
	if err := chromedp.Do(bctx, chromedp.Navigate(s.URL+"/activities/"+itoa(occ)+"/run")); err != nil {
		t.Fatal(err)
	}
	if st := click(bctx, t, "story-write"); st != http.StatusOK {
		t.Fatalf("story form: %d", st)
	}
	if got := text(bctx, t, "h1"); got != "修改活动故事" {
		t.Errorf("heading %q (the demo wrote this date's story)", got)
	}
	if w := eval[int](bctx, t, "document.documentElement.scrollWidth"); w > 400 {
		t.Errorf("the story form on a phone is %d px wide", w)
	}
	current(bctx, t).localOnly(t, s.URL)

	// Too large: the page says so at once and the form does not go.
	if err := chromedp.Do(bctx, chromedp.SetUploadFiles("#photo", []string{big})); err != nil {
		t.Fatal(err)
	}
	if got := eval[string](bctx, t, "document.getElementById('photo').validationMessage"); !strings.Contains(got, "照片不能超过 10 MB") {
		t.Errorf("too large a photo in the page: %q", got)
	}
	if eval[bool](bctx, t, "document.getElementById('story-form').checkValidity()") {
		t.Error("the form would send a 12 MB photo")
	}

	eval[bool](bctx, t, "(() => { document.getElementById('summary').value = ''; return true })()")
	if err := chromedp.Do(bctx,
		chromedp.SetUploadFiles("#photo", []string{small}),
		chromedp.SendKeys(chromedp.ID("summary"), "小志愿者们做了灯笼，送给楼里的老人。"),
		chromedp.Click(chromedp.ID("visibility-public")),
	); err != nil {
		t.Fatal(err)
	}
	if !eval[bool](bctx, t, "(() => { const c = document.querySelector('input[name=people]'); if (c) c.checked = true; return c !== null })()") {
		t.Error("nobody to tag: the demo's date has check-ins")
	}
	shot(bctx, t, dir, "38-story-form-phone-zh.png")
	if st := click(bctx, t, "save-story"); st != http.StatusOK {
		t.Fatalf("publish: %d", st)
	}
	if u := eval[string](bctx, t, "location.pathname"); !strings.HasPrefix(u, "/stories/") {
		t.Fatalf("after publishing: %s", u)
	}
	if got := text(bctx, t, "main"); !strings.Contains(got, "活动故事已发布") || !strings.Contains(got, "小志愿者们做了灯笼") {
		t.Errorf("story page: %.300q", got)
	}
	shot(bctx, t, dir, "39-story-phone-zh.png")
	var photos int
	s.DB.QueryRow(ctx, `SELECT count(*) FROM story_photos ph JOIN stories st ON st.id = ph.story_id WHERE st.occurrence_id = ?`, occ).Scan(&photos)
	if photos < 2 {
		t.Errorf("photos of the date after the upload: %d (the demo's one and ours)", photos)
	}
}
