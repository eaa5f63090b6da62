package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/linli/linli/internal/requests"
	"github.com/linli/linli/internal/testkit/phototest"
	"github.com/linli/linli/internal/testkit/server"
)

// postPhotos posts parts "photo" (named as given) and a note to a
// request's photos.
func postPhotos(t *testing.T, s *server.Server, token string, id int64, note string, names []string, data ...[]byte) (int, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if note != "" {
		mw.WriteField("note", note)
	}
	for i, d := range data {
		fw, _ := mw.CreateFormFile("photo", names[i%len(names)])
		fw.Write(d)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/requests/%d/photos", s.URL, id), &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, []byte(err.Error())
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// TestRequestPhotosThroughTheAPI: the resident files a request and adds
// a phone photo with its EXIF GPS; the timeline lists it under its
// event with its URL, which serves a clean JPEG privately to her and
// the office and answers 404 to the partner and the grid worker who may
// not see the request. Not an image, a PNG's extension on an SVG, 11 MB,
// a seventh photo, a closed request, someone out of scope: each has its
// status and reason, and writes nothing.
func TestRequestPhotosThroughTheAPI(t *testing.T) {
	for _, pg := range []bool{false, true} {
		t.Run(map[bool]string{false: "sqlite", true: "postgres"}[pg], func(t *testing.T) {
			requestPhotosThroughTheAPI(t, server.Start(t, server.Options{Postgres: pg}))
		})
	}
}

func requestPhotosThroughTheAPI(t *testing.T, s *server.Server) {
	ctx := t.Context()
	resident, worker, partner, grid := s.Login(t, "resident"), s.Login(t, "worker"), s.Login(t, "partner"), s.Login(t, "grid")
	var cats struct{ Items []requests.Category }
	if st, b := s.Do(t, "GET", "/api/v1/request-categories", resident, nil); st != 200 || json.Unmarshal(b, &cats) != nil {
		t.Fatalf("categories: %d %s", st, b)
	}
	var water int64
	for _, c := range cats.Items {
		if c.Code == "water" {
			water = c.ID
		}
	}
	file := func(token string) int64 {
		t.Helper()
		var r requests.Request
		st, b := s.Do(t, "POST", "/api/v1/requests", token, map[string]any{"kind": "help", "category_id": water,
			"address": "平安小区3号楼", "description": "厨房水管漏水", "channel": channelOf(token, resident),
			"contact_name": "周大爷", "contact_phone": "13900005555"})
		if st != 201 || json.Unmarshal(b, &r) != nil {
			t.Fatalf("file a request: %d %s", st, b)
		}
		return r.ID
	}
	id := file(resident)
	dir := filepath.Join(s.Config.DataDir, "photos")
	written := func() string {
		t.Helper()
		var rows, events int
		if err := s.DB.QueryRow(ctx, `SELECT (SELECT count(*) FROM request_photos), (SELECT count(*) FROM request_events)`).Scan(&rows, &events); err != nil {
			t.Fatal(err)
		}
		entries, _ := os.ReadDir(dir)
		return fmt.Sprintf("%d photos, %d events, %d files", rows, events, len(entries))
	}

	up := phototest.WithGPS(phototest.JPEG(t, 320, 240))
	st, b := postPhotos(t, s, resident, id, "水从这里漏下来", []string{"IMG_0001.JPG"}, up)
	var added struct {
		Items []requests.Photo
		Total int
	}
	if st != 201 || json.Unmarshal(b, &added) != nil || added.Total != 1 || added.Items[0].Width != 320 ||
		added.Items[0].URL != fmt.Sprintf("/api/v1/requests/%d/photos/%d", id, added.Items[0].ID) {
		t.Fatalf("add a photo: %d %s", st, b)
	}
	url := added.Items[0].URL
	var tl struct{ Items []requests.Event }
	st, b = s.Do(t, "GET", fmt.Sprintf("/api/v1/requests/%d/timeline", id), worker, nil)
	if st != 200 || json.Unmarshal(b, &tl) != nil || len(tl.Items) != 2 {
		t.Fatalf("timeline: %d %s", st, b)
	}
	if e := tl.Items[1]; e.Action != requests.ActAttach || e.Note != "水从这里漏下来" || len(e.Photos) != 1 || e.Photos[0].URL != url ||
		len(e.Attachments) != 1 || e.Attachments[0] != added.Items[0].ID {
		t.Errorf("the attach event: %+v", e)
	}
	get := func(token, path string) (int, http.Header, []byte) {
		t.Helper()
		req, _ := http.NewRequest("GET", s.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, data
	}
	for name, token := range map[string]string{"resident": resident, "worker": worker} {
		st, hdr, data := get(token, url)
		if st != 200 || hdr.Get("Content-Type") != "image/jpeg" || !strings.Contains(hdr.Get("Cache-Control"), "private") {
			t.Errorf("%s reads the photo: %d %v", name, st, hdr)
		}
		if phototest.HasEXIF(data) || !bytes.HasPrefix(data, []byte{0xFF, 0xD8}) {
			t.Errorf("%s: the served photo is not a clean JPEG", name)
		}
	}
	// Out of scope: not found, for reading and for adding.
	before := written()
	for name, token := range map[string]string{"partner": partner, "grid": grid} {
		if st, _, data := get(token, url); st != 404 || bytes.HasPrefix(data, []byte{0xFF, 0xD8}) {
			t.Errorf("%s reads the photo: %d", name, st)
		}
		if st, b := postPhotos(t, s, token, id, "", []string{"x.jpg"}, up); st != 404 {
			t.Errorf("%s adds a photo: %d %s", name, st, b)
		}
	}
	other := file(worker)
	if st, _, _ := get(worker, fmt.Sprintf("/api/v1/requests/%d/photos/%d", other, added.Items[0].ID)); st != 404 {
		t.Errorf("the photo under another request: %d", st)
	}
	before = written()

	// Bad input: each refused with its reason, nothing written.
	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)
	big := make([]byte, 11<<20)
	copy(big, up)
	jpg := phototest.JPEG(t, 16, 16)
	for _, c := range []struct {
		name  string
		names []string
		data  [][]byte
		want  int
		text  string
	}{
		{"not an image", []string{"note.jpg"}, [][]byte{[]byte("这是一段文字")}, 415, "只接受JPEG、PNG或WebP格式的照片"},
		{"an SVG named .png", []string{"leak.png"}, [][]byte{svg}, 415, "只接受JPEG、PNG或WebP格式的照片"},
		{"11 MB", []string{"big.jpg"}, [][]byte{big}, 413, ""},
		{"no photo", nil, nil, 422, "请选择要上传的照片"},
		{"a seventh", []string{"a.jpg"}, [][]byte{jpg, jpg, jpg, jpg, jpg, jpg}, 422, "每条诉求最多6张照片"},
	} {
		st, b := postPhotos(t, s, resident, id, "", c.names, c.data...)
		if st != c.want || !strings.Contains(string(b), c.text) {
			if !(st == 0 && c.want == 413) { // the server may close the connection first
				t.Errorf("%s: %d %s, want %d with %q", c.name, st, b, c.want, c.text)
			}
		}
		if got := written(); got != before {
			t.Errorf("%s wrote: %s, was %s", c.name, got, before)
		}
	}
	// A step carries its photo (multipart: the step's JSON and a photo),
	// which then sits on the step's own event; a bad photo refuses the
	// whole step, and a malformed step part is refused before anything.
	stepWith := func(token, action, step string, data []byte, name string) (int, []byte) {
		t.Helper()
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.WriteField("step", step)
		fw, _ := mw.CreateFormFile("photo", name)
		fw.Write(data)
		mw.Close()
		req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/requests/%d/%s", s.URL, id, action), &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	for _, c := range []struct {
		name, step string
		data       []byte
		want       int
	}{
		{"an SVG with the step", `{"note":"已受理"}`, svg, 415},
		{"a malformed step", `{"note":`, jpg, 400},
		{"an unknown field", `{"notes":"已受理"}`, jpg, 400},
	} {
		if st, b := stepWith(worker, "accept", c.step, c.data, "a.jpg"); st != c.want {
			t.Errorf("%s: %d %s, want %d", c.name, st, b, c.want)
		}
		if got := written(); got != before {
			t.Errorf("%s wrote: %s, was %s", c.name, got, before)
		}
	}
	if st, b := stepWith(worker, "accept", `{"note":"已受理，照片存档"}`, up, "IMG_0002.JPG"); st != 200 {
		t.Fatalf("accept with a photo: %d %s", st, b)
	}
	st, b = s.Do(t, "GET", fmt.Sprintf("/api/v1/requests/%d/timeline", id), worker, nil)
	if st != 200 || json.Unmarshal(b, &tl) != nil {
		t.Fatalf("timeline: %d %s", st, b)
	}
	if e := tl.Items[len(tl.Items)-1]; e.Action != requests.ActAccept || e.Note != "已受理，照片存档" || len(e.Photos) != 1 {
		t.Errorf("the accept event: %+v", e)
	} else if st, _, data := get(resident, e.Photos[0].URL); st != 200 || phototest.HasEXIF(data) {
		t.Errorf("the step's photo: %d, EXIF %v", st, phototest.HasEXIF(data))
	}
	before = written()

	// A rejected request takes no more photos.
	if st, b := s.Do(t, "POST", fmt.Sprintf("/api/v1/requests/%d/reject", other), worker, map[string]any{"reason": "重复登记"}); st != 200 {
		t.Fatalf("reject: %d %s", st, b)
	}
	before = written()
	if st, b := postPhotos(t, s, worker, other, "", []string{"a.jpg"}, jpg); st != 409 || !strings.Contains(string(b), "不能再添加照片") {
		t.Errorf("a photo on a rejected request: %d %s", st, b)
	}
	if got := written(); got != before {
		t.Errorf("a photo on a rejected request wrote: %s, was %s", got, before)
	}
}

// channelOf is the channel a request is filed on: the resident's own
// come by the web (and name no contact: the service ignores it), the
// office's by phone.
func channelOf(token, resident string) string {
	if token == resident {
		return "web"
	}
	return "phone"
}
