package web_test

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
	"testing"
	"time"

	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/testkit/server"
)

// storyPost posts the story form as a phone's browser does: the fields
// in the page's order, then the photo part (empty when no file is chosen).
func storyPost(t *testing.T, b *browser, occ int64, fields [][2]string, name string, photo []byte, hdr map[string]string) (int, string, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, f := range fields {
		mw.WriteField(f[0], f[1])
	}
	fw, _ := mw.CreateFormFile("photo", name)
	fw.Write(photo)
	mw.Close()
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/activities/%d/story", b.s.URL, occ), &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatalf("post story: %v", err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(out)
}

func testJPEG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 320, 240))
	for x := range 320 {
		for y := range 240 {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 120, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestStoryForm: the organiser's form for the story of a finished date.
// The office writes one for another team's date, with the visibility and
// a photo, and lands on the story; the leader of another team and a
// volunteer are refused; an empty summary, a 30 MB file, an SVG with a
// script, a form from another site each get a clear answer and write
// nothing. The leader edits the story of their own team's past date.
// Both databases.
func TestStoryForm(t *testing.T) {
	for _, pg := range []bool{false, true} {
		t.Run(map[bool]string{false: "sqlite", true: "postgres"}[pg], func(t *testing.T) {
			s := server.Start(t, server.Options{Registry: true, Postgres: pg})
			ctx := context.Background()
			worker, vol := s.Login(t, "worker"), s.Login(t, "volunteer")
			// Tomorrow's stair cleaning of the repair team (not 刘静's).
			st, b := s.Do(t, "POST", "/api/v1/activities", worker, map[string]any{"title": "楼道清扫", "team_id": 2, "capacity": 10,
				"start": "2026-11-29T09:00", "end": "2026-11-29T11:00", "visibility": "public"})
			if st != 201 {
				t.Fatalf("plan: %d %s", st, b)
			}
			var series struct{ ID int64 }
			json.Unmarshal(b, &series)
			var occ, vid int64
			if err := s.DB.QueryRow(ctx, `SELECT id FROM occurrences WHERE activity_id = ?`, series.ID).Scan(&occ); err != nil {
				t.Fatal(err)
			}
			if st, b := s.Do(t, "POST", fmt.Sprintf("/api/v1/occurrences/%d/signup", occ), vol, nil); st != 201 {
				t.Fatalf("sign up: %d %s", st, b)
			}
			s.DB.QueryRow(ctx, `SELECT volunteer_id FROM signups WHERE occurrence_id = ?`, occ).Scan(&vid)
			s.Clock.Set(time.Date(2026, 11, 29, 9, 5, 0, 0, clock.Shanghai))
			worker = s.Login(t, "worker") // a day on: the first token has expired
			if st, b := s.Do(t, "POST", fmt.Sprintf("/api/v1/occurrences/%d/tick", occ), worker, map[string]any{"volunteer_id": vid}); st != 201 && st != 200 {
				t.Fatalf("tick: %d %s", st, b)
			}

			form := fmt.Sprintf("/activities/%d/story", occ)
			// Not over yet: no link, and the form says why.
			early := newBrowser(t, s)
			early.login("worker", server.Password)
			if _, _, page := early.do("GET", fmt.Sprintf("/activities/%d/run", occ), nil, nil); strings.Contains(page, `id="story-write"`) {
				t.Error("story link on a date not over")
			}
			st, _, page := early.do("GET", form, nil, nil)
			expect(t, "form before the end", st, http.StatusConflict, page, "活动结束后才能发布活动故事")

			// Noon: over. (Staff sessions idle out over three hours: sign in anew.)
			s.Clock.Set(time.Date(2026, 11, 29, 12, 0, 0, 0, clock.Shanghai))
			office, leader, volunteer := newBrowser(t, s), newBrowser(t, s), newBrowser(t, s)
			office.login("worker", server.Password)
			leader.login("leader", server.Password)
			volunteer.login("volunteer", server.Password)

			// The link on the run page and on the date's page; the form.
			for _, p := range []string{"/run", ""} {
				st, _, page := office.do("GET", fmt.Sprintf("/activities/%d%s", occ, p), nil, nil)
				expect(t, "link on "+p, st, 200, page, `id="story-write"`, form, "写活动故事")
			}
			st, _, page = office.do("GET", form, nil, nil)
			expect(t, "form", st, 200, page, `enctype="multipart/form-data"`, `name="summary"`, `id="visibility-public" checked`,
				`accept="image/jpeg,image/png,image/webp"`, `name="people" value="`+itoa(vid)+`"`, "赵建国", "本场 1 人签到", "story.js")

			// Refused: the leader of another team, a volunteer; nothing
			// written, not even by a valid post.
			good := testJPEG(t)
			valid := [][2]string{{"summary", "清扫了三栋楼的楼道"}, {"visibility", "public"}}
			for name, br := range map[string]*browser{"other team's leader": leader, "volunteer": volunteer} {
				if st, _, _ := br.do("GET", form, nil, nil); st != http.StatusForbidden && st != http.StatusNotFound {
					t.Errorf("%s opens the form: %d", name, st)
				}
				if st, _, _ := storyPost(t, br, occ, valid, "a.jpg", good, nil); st != http.StatusForbidden && st != http.StatusNotFound {
					t.Errorf("%s posts the form: %d", name, st)
				}
			}
			photosDir := filepath.Join(s.Config.DataDir, "photos")
			written := func() string {
				var n, ph int
				s.DB.QueryRow(ctx, `SELECT count(*) FROM stories WHERE occurrence_id = ?`, occ).Scan(&n)
				s.DB.QueryRow(ctx, `SELECT count(*) FROM story_photos`).Scan(&ph)
				files, _ := os.ReadDir(photosDir)
				return fmt.Sprintf("%d stories, %d photos, %d files", n, ph, len(files))
			}
			before := written()
			if !strings.HasPrefix(before, "0 stories") {
				t.Fatalf("before: %s", before)
			}

			// Bad input: a clear message on the form, the text kept, nothing written.
			for _, c := range []struct {
				name   string
				fields [][2]string
				file   string
				photo  []byte
				status int
				want   string
			}{
				{"empty summary", [][2]string{{"summary", "  "}, {"visibility", "public"}}, "a.jpg", good, 422, "请填写活动总结"},
				{"svg", valid, "x.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), 415, "只接受JPEG、PNG或WebP格式的照片"},
				{"30 MB", valid, "big.jpg", append(append([]byte{}, good...), make([]byte, 30<<20)...), 413, "照片不能超过 10 MB"},
				{"../../x", valid, "../../x", []byte("not an image"), 415, "只接受JPEG、PNG或WebP格式的照片"},
				{"visibility", [][2]string{{"summary", "清扫了三栋楼的楼道"}, {"visibility", "everyone"}}, "", nil, 422, "请选择谁能看到这篇故事"},
				{"someone else tagged", append(valid, [2]string{"people", "99999999"}), "a.jpg", good, 422, "照片中标注的志愿者不存在"},
			} {
				st, _, page := storyPost(t, office, occ, c.fields, c.file, c.photo, nil)
				expect(t, c.name, st, c.status, page, c.want, `id="story-form"`, `role="alert"`)
				if c.name != "empty summary" && !strings.Contains(page, "清扫了三栋楼的楼道</textarea>") {
					t.Errorf("%s: the summary typed is lost", c.name)
				}
				if got := written(); got != before {
					t.Errorf("%s wrote: %s", c.name, got)
				}
			}
			if st, _, _ := storyPost(t, office, occ, valid, "a.jpg", good, map[string]string{"Sec-Fetch-Site": "cross-site"}); st != http.StatusForbidden {
				t.Errorf("cross-site post: %d", st)
			}
			if got := written(); got != before {
				t.Errorf("cross-site post wrote: %s", got)
			}

			// Saved, kept inside the community, photo tagged: to the story.
			st, loc, _ := storyPost(t, office, occ, [][2]string{{"summary", "清扫了三栋楼的楼道"}, {"visibility", "members"}, {"people", itoa(vid)}}, "IMG_0001.jpg", good, nil)
			if st != http.StatusSeeOther || !strings.HasPrefix(loc, "/stories/") {
				t.Fatalf("save: %d %s", st, loc)
			}
			var n0, ph0, f0, n1, ph1, f1 int
			fmt.Sscanf(before, "%d stories, %d photos, %d files", &n0, &ph0, &f0)
			fmt.Sscanf(written(), "%d stories, %d photos, %d files", &n1, &ph1, &f1)
			if n1 != 1 || ph1 != ph0+1 || f1 != f0+1 {
				t.Errorf("after saving: %s (before %s)", written(), before)
			}
			st, _, page = office.do("GET", loc, nil, nil)
			expect(t, "the story", st, 200, page, "清扫了三栋楼的楼道", "活动故事已发布", "1人参加", "/photos/")
			if st, _, _ := newBrowser(t, s).do("GET", loc, nil, nil); st != http.StatusNotFound {
				t.Errorf("signed out reads a story kept inside: %d", st)
			}
			// The form again: edit mode, filled in.
			st, _, page = office.do("GET", form, nil, nil)
			expect(t, "edit form", st, 200, page, "修改活动故事", "清扫了三栋楼的楼道</textarea>", `id="visibility-members" checked`, `href="`+loc+`"`)

			// 刘静 edits the story of her own team's last past date; its
			// activity is public, and without a photo only the text changes.
			var kids int64
			if err := s.DB.QueryRow(ctx, `SELECT o.id FROM occurrences o JOIN activities a ON a.id = o.activity_id JOIN stories st ON st.occurrence_id = o.id
				WHERE a.team_id = 1 AND o.ends_at < ? ORDER BY o.starts_at DESC LIMIT 1`, s.Clock.Now().UTC()).Scan(&kids); err != nil {
				t.Fatal(err)
			}
			var photos int
			s.DB.QueryRow(ctx, `SELECT count(*) FROM story_photos`).Scan(&photos)
			st, _, page = leader.do("GET", fmt.Sprintf("/activities/%d/story", kids), nil, nil)
			expect(t, "leader's own team's form", st, 200, page, "修改活动故事", `name="people"`)
			st, loc, _ = storyPost(t, leader, kids, [][2]string{{"summary", "小志愿者们做了灯笼，送给楼里的老人。"}, {"visibility", "public"}}, "", nil, nil)
			if st != http.StatusSeeOther {
				t.Fatalf("leader saves: %d", st)
			}
			st, _, page = newBrowser(t, s).do("GET", loc, nil, nil)
			expect(t, "the leader's story, signed out", st, 200, page, "小志愿者们做了灯笼")
			var after int
			s.DB.QueryRow(ctx, `SELECT count(*) FROM story_photos`).Scan(&after)
			if after != photos {
				t.Errorf("an empty file input added a photo: %d -> %d", photos, after)
			}
			// In English for a worker who chose it.
			if _, err := s.DB.Exec(ctx, `UPDATE accounts SET locale = 'en' WHERE username = 'worker'`); err != nil {
				t.Fatal(err)
			}
			en := newBrowser(t, s)
			en.login("worker", server.Password)
			st, _, page = en.do("GET", form, nil, nil)
			expect(t, "form in English", st, 200, page, "Edit the story", "Members of the community only", "at most 10 MB", "Publish")
			st, _, page = storyPost(t, en, occ, [][2]string{{"summary", ""}}, "", nil, nil)
			expect(t, "error in English", st, 422, page, "Summary：Write a summary")
		})
	}
}
