package web_test

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/linli/linli/internal/demo"
	"github.com/linli/linli/internal/testkit/phototest"
	"github.com/linli/linli/internal/testkit/server"
)

// photoPost posts a form as a phone's browser does: the fields in the
// page's order, then the photo part (empty when no file was chosen).
func photoPost(t *testing.T, b *browser, path string, fields [][2]string, name string, photo []byte) (int, string, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, f := range fields {
		mw.WriteField(f[0], f[1])
	}
	fw, _ := mw.CreateFormFile("photo", name)
	fw.Write(photo)
	mw.Close()
	req, _ := http.NewRequest("POST", b.s.URL+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := b.c.Do(req)
	if err != nil {
		// The server may close the connection on a body over the limit.
		return 0, "", err.Error()
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(out)
}

// TestRequestPhotoForms: a resident submits a request from her phone
// with a photo (after a "photo" that is an SVG named .jpg, refused with
// the reason and nothing saved); the page shows it in the timeline, the
// photo route serves it re-encoded, without its EXIF GPS, privately, and
// only to those who may see the request. She adds one more with a note;
// one too large is refused. The partner, once the request is dispatched
// to it, sees the photos and submits its result with a photo. Both
// databases.
func TestRequestPhotoForms(t *testing.T) {
	for _, pg := range []bool{false, true} {
		t.Run(map[bool]string{false: "sqlite", true: "postgres"}[pg], func(t *testing.T) {
			requestPhotoForms(t, server.Start(t, server.Options{Postgres: pg, Skip: []string{demo.RequestsStep}}))
		})
	}
}

func requestPhotoForms(t *testing.T, s *server.Server) {
	ctx := t.Context()
	dir := filepath.Join(s.Config.DataDir, "photos")
	written := func() string {
		t.Helper()
		var rows, reqs int
		if err := s.DB.QueryRow(ctx, `SELECT (SELECT count(*) FROM request_photos), (SELECT count(*) FROM requests)`).Scan(&rows, &reqs); err != nil {
			t.Fatal(err)
		}
		entries, _ := os.ReadDir(dir)
		return fmt.Sprintf("%d photos, %d requests, %d files", rows, reqs, len(entries))
	}
	res := newBrowser(t, s)
	res.login("resident", server.Password)
	st, _, body := res.do("GET", "/requests/new", nil, nil)
	expect(t, "resident's form", st, 200, body, `enctype="multipart/form-data"`, `type="file" name="photo" accept="image/*"`, "最多 6 张")
	cat := match(t, "categories", `<option value="(\d+)">水管</option>`, body)
	fields := [][2]string{{"category_id", cat}, {"description", "楼上漏水，天花板一直在滴"}, {"place", "other"}, {"address", "平安小区3号楼2单元"}}

	before := written()
	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>`)
	st, _, body = photoPost(t, res, "/requests", fields, "leak.jpg", svg)
	expect(t, "an SVG named .jpg", st, 415, body, `id="err-photo"`, "只接受JPEG、PNG或WebP格式的照片", "楼上漏水，天花板一直在滴")
	if got := written(); got != before {
		t.Fatalf("a refused intake wrote: %s, was %s", got, before)
	}
	up := phototest.WithGPS(phototest.JPEG(t, 320, 240))
	st, loc, _ := photoPost(t, res, "/requests", fields, "IMG_0001.JPG", up)
	if st != http.StatusSeeOther || !strings.HasPrefix(loc, "/requests/") {
		t.Fatalf("intake with a photo: %d %s", st, loc)
	}
	page := loc
	st, _, body = res.do("GET", page, nil, nil)
	photo := match(t, "the timeline's photo", `<img src="(/requests/\d+/photos/\d+)"`, body)
	expect(t, "request page", st, 200, body, `id="form-attach"`, `width="320" height="240"`)

	get := func(b *browser, path string) (int, http.Header, []byte) {
		t.Helper()
		resp, err := b.c.Get(s.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, data
	}
	st, hdr, data := get(res, photo)
	if st != 200 || hdr.Get("Content-Type") != "image/jpeg" || !strings.Contains(hdr.Get("Cache-Control"), "private") {
		t.Fatalf("photo: %d %v", st, hdr)
	}
	if phototest.HasEXIF(data) || !bytes.HasPrefix(data, []byte{0xFF, 0xD8}) {
		t.Error("the served photo is not a clean JPEG")
	}
	// Those who may not see the request do not see its photo: the
	// partner (not dispatched), the grid worker (not its grid).
	partner, grid, worker := newBrowser(t, s), newBrowser(t, s), newBrowser(t, s)
	partner.login("partner", server.Password)
	grid.login("grid", server.Password)
	worker.login("worker", server.Password)
	for name, b := range map[string]*browser{"partner": partner, "grid": grid} {
		if st, _, data := get(b, photo); st != 404 || bytes.HasPrefix(data, []byte{0xFF, 0xD8}) {
			t.Errorf("%s reads the photo: %d", name, st)
		}
	}
	if st, _, _ := get(worker, photo); st != 200 {
		t.Errorf("worker reads the photo: %d", st)
	}

	// One more with a note; one too large is refused at its form.
	st, _, _ = photoPost(t, res, page+"/photos", [][2]string{{"note", "下面一层也湿了"}}, "more.png", phototest.JPEG(t, 64, 48))
	if st != http.StatusSeeOther {
		t.Fatalf("add a photo: %d", st)
	}
	before = written()
	big := make([]byte, 11<<20)
	copy(big, up)
	st, _, body = photoPost(t, res, page+"/photos", [][2]string{{"note", "太大了"}}, "big.jpg", big)
	t.Logf("an 11 MB photo: %d", st)
	if st != 0 {
		expect(t, "an 11 MB photo", st, 413, body, `id="err-attach-photo"`, "照片不能超过 10 MB")
	}
	if got := written(); got != before {
		t.Errorf("a refused photo wrote: %s, was %s", got, before)
	}

	// The office's intake form takes a photo too.
	st, _, body = worker.do("GET", "/requests/new", nil, nil)
	expect(t, "office's form", st, 200, body, `enctype="multipart/form-data" class="grid2 card" id="request-form"`, `type="file" name="photo" accept="image/*"`)

	// Dispatched to the heating company, its staff sees the photos and
	// submits the result with one of its own.
	var org int64
	if err := s.DB.QueryRow(ctx, `SELECT g.organisation_id FROM grants g JOIN accounts a ON a.id = g.account_id
		WHERE a.username = 'partner' AND g.role = 'partner'`).Scan(&org); err != nil {
		t.Fatal(err)
	}
	id := strings.TrimPrefix(page, "/requests/")
	token := s.Login(t, "worker")
	for _, step := range []struct {
		path string
		body any
	}{{"accept", nil}, {"dispatch", map[string]any{"handler": map[string]any{"kind": "organisation", "id": org}}}} {
		if st, b := s.Do(t, "POST", "/api/v1/requests/"+id+"/"+step.path, token, step.body); st != 200 {
			t.Fatalf("%s: %d %s", step.path, st, b)
		}
	}
	if st, _, _ := get(partner, photo); st != 200 {
		t.Errorf("partner, dispatched, reads the photo: %d", st)
	}
	if st, _, body := partner.do("POST", page+"/sign", url.Values{}, nil); st != http.StatusSeeOther {
		t.Fatalf("sign: %d %s", st, body)
	}
	st, _, body = partner.do("GET", page, nil, nil)
	expect(t, "partner's page", st, 200, body, `enctype="multipart/form-data" class="step stack" id="form-result"`, `id="result-photo"`)
	before = written()
	st, _, body = photoPost(t, partner, page+"/result", [][2]string{{"note", "已更换楼上的水管"}}, "fixed.jpg", svg)
	expect(t, "a result with an SVG", st, 415, body, `id="err-result-photo"`, "已更换楼上的水管", `id="request-status">办理中`)
	if got := written(); got != before {
		t.Errorf("a refused result wrote: %s, was %s", got, before)
	}
	st, _, body = photoPost(t, partner, page+"/result", [][2]string{{"note", "已更换楼上的水管"}}, "fixed.jpg", phototest.JPEG(t, 80, 60))
	if st != http.StatusSeeOther {
		t.Fatalf("result with a photo: %d %s", st, body)
	}
	st, _, body = res.do("GET", page, nil, nil)
	if n := strings.Count(body, `<img src="/requests/`+id+`/photos/`); st != 200 || n != 3 {
		t.Errorf("the resident's timeline shows %d photos (%d)", n, st)
	}
	expect(t, "timeline", st, 200, body, "添加照片", "下面一层也湿了", "已更换楼上的水管")
}
