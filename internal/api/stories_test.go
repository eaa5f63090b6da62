package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/linli/linli/internal/files"
	"github.com/linli/linli/internal/stories"
	"github.com/linli/linli/internal/testkit/server"
)

// countingReader counts what the client managed to send.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// upload posts a multipart body with the photo part named filename.
func upload(t *testing.T, s *server.Server, token string, story int64, filename string, data []byte, people string) (int, []byte, int64) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if people != "" {
		mw.WriteField("people", people)
	}
	fw, _ := mw.CreateFormFile("photo", filename)
	fw.Write(data)
	mw.Close()
	body := &countingReader{r: &buf}
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/stories/%d/photos", s.URL, story), body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		// The server may close the connection on a body over the limit
		// before the client has finished sending it.
		return 0, []byte(err.Error()), body.n.Load()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, body.n.Load()
}

// Stories through the API: written by the organiser after the date,
// listed for anyone; photos uploaded with limits that refuse 30 MB, SVG
// with script and ignore a client's `../../x`.
func TestStoriesThroughTheAPI(t *testing.T) {
	s := server.Start(t, server.Options{Registry: true})
	ctx := context.Background()
	var phoneClass, kidsStory int64
	if err := s.DB.QueryRow(ctx, `SELECT o.id FROM occurrences o JOIN activities a ON a.id = o.activity_id WHERE a.title = '老年人智能手机课'
		AND EXISTS (SELECT 1 FROM checkins k WHERE k.occurrence_id = o.id) ORDER BY o.starts_at LIMIT 1`).Scan(&phoneClass); err != nil {
		t.Fatal(err)
	}
	var came int
	s.DB.QueryRow(ctx, `SELECT count(*) FROM checkins WHERE occurrence_id = ?`, phoneClass).Scan(&came)
	s.DB.QueryRow(ctx, `SELECT min(id) FROM stories`).Scan(&kidsStory)
	leader, worker := s.Login(t, "leader"), s.Login(t, "worker")
	path := fmt.Sprintf("/api/v1/occurrences/%d/story", phoneClass)
	if st, b := s.Do(t, "POST", path, leader, map[string]string{"summary": "x"}); st != 403 {
		t.Errorf("another team's leader writes: %d %s", st, b)
	}
	if st, b := s.Do(t, "POST", path, worker, map[string]string{"summary": ""}); st != 422 || !strings.Contains(string(b), `"summary"`) {
		t.Errorf("empty summary: %d %s", st, b)
	}
	if st, _ := s.Do(t, "POST", path, "", map[string]string{"summary": "x"}); st != 401 {
		t.Errorf("signed out writes: %d", st)
	}
	// The count is never typed in: a body that tries is refused.
	if st, _ := s.Do(t, "POST", path, worker, map[string]any{"summary": "x", "participants": 999}); st != 400 {
		t.Errorf("a typed-in count: %d", st)
	}
	st, b := s.Do(t, "POST", path, worker, map[string]any{"summary": "老人们学会了用微信视频通话。"})
	var story stories.Story
	if st != 201 || json.Unmarshal(b, &story) != nil || story.Participants != came || came == 0 {
		t.Fatalf("write: %d %s (came %d)", st, b, came)
	}
	st, b = s.Do(t, "GET", "/api/v1/stories?community_id=1&per_page=5", "", nil)
	var list struct {
		Items []stories.Story
		Total int
	}
	if st != 200 || json.Unmarshal(b, &list) != nil || list.Total < 16 || len(list.Items) != 5 {
		t.Fatalf("public list: %d %.300s", st, b)
	}
	if st, b := s.Do(t, "GET", "/api/v1/stories", s.Login(t, "street"), nil); st != 200 || !strings.Contains(string(b), "微信视频") {
		t.Errorf("the street supervisor's list: %d %.200s", st, b)
	}
	if st, b := s.Do(t, "GET", fmt.Sprintf("/api/v1/stories/%d", story.ID), "", nil); st != 200 || !strings.Contains(string(b), "微信视频") {
		t.Errorf("get signed out: %d %s", st, b)
	}

	// Uploads.
	img := image.NewRGBA(image.Rect(0, 0, 300, 200))
	for i := range img.Pix {
		img.Pix[i] = uint8(i)
	}
	img.Set(0, 0, color.White)
	var jpg bytes.Buffer
	jpeg.Encode(&jpg, img, nil)
	st, b, _ = upload(t, s, leader, kidsStory, "../../x", jpg.Bytes(), "")
	var ph stories.Photo
	if st != 201 || json.Unmarshal(b, &ph) != nil || ph.Width != 300 {
		t.Fatalf("upload named ../../x: %d %s", st, b)
	}
	dir := filepath.Join(s.Config.DataDir, "photos")
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if !files.ValidName(e.Name()) {
			t.Errorf("a stored photo is named %q", e.Name())
		}
	}
	for _, p := range []string{filepath.Join(s.Config.DataDir, "x"), filepath.Join(dir, "..", "..", "x"), filepath.Join(dir, "x")} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s exists", p)
		}
	}
	before := len(entries)
	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(document.domain)</script></svg>`)
	if st, b, _ := upload(t, s, leader, kidsStory, "photo.jpg", svg, ""); st != 415 || !strings.Contains(string(b), "SVG") {
		t.Errorf("svg: %d %s", st, b)
	}
	big := make([]byte, 30<<20)
	copy(big, jpg.Bytes())
	st, b, sent := upload(t, s, leader, kidsStory, "big.jpg", big, "")
	if st != 413 && st != 0 {
		t.Errorf("30 MB: %d %s", st, b)
	}
	t.Logf("30 MB upload: status %d after %.1f MB sent", st, float64(sent)/(1<<20))
	if sent >= 25<<20 {
		t.Errorf("the server read %d MB of a 30 MB upload", sent>>20)
	}
	if st, _, _ := upload(t, s, leader, kidsStory, "p.jpg", jpg.Bytes(), "1,abc"); st != 422 {
		t.Errorf("bad tags: %d", st)
	}
	if st, _, _ := upload(t, s, s.Login(t, "volunteer"), kidsStory, "p.jpg", jpg.Bytes(), ""); st != 403 {
		t.Errorf("a volunteer uploads: %d", st)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != before {
		t.Errorf("refused uploads left files: %d → %d", before, len(entries))
	}
	// The photo at its address: nobody is tagged, but children came to
	// the date, so it is the office's until someone tags who it shows.
	if !ph.OfficeOnly {
		t.Errorf("an untagged photo of the children's date is not office-only: %+v", ph)
	}
	fetch := func(token string) (int, http.Header, []byte) {
		req, _ := http.NewRequest("GET", s.URL+"/api/v1/photos/"+fmt.Sprint(ph.ID), nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, resp.Header, got
	}
	if st, _, _ := fetch(""); st != 404 {
		t.Errorf("the untagged children's photo signed out: %d", st)
	}
	if st, h, got := fetch(worker); st != 200 || h.Get("Content-Type") != "image/jpeg" || !bytes.HasPrefix(got, []byte{0xFF, 0xD8}) {
		t.Errorf("photo for the office: %d %v", st, h)
	}
}
