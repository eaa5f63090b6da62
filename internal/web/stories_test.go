package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/linli/linli/internal/testkit/server"
)

// The public page of stories: signed out, the demo community's public
// stories with their participant counts; a photo of a child whose
// guardian has not consented is the office's alone, on the page and at
// its address; a members-only story is for members.
func TestStoryPages(t *testing.T) {
	s := server.Start(t, server.Options{Registry: true})
	ctx := context.Background()
	anon := newBrowser(t, s)
	st, _, body := anon.do("GET", "/stories", nil, nil)
	expect(t, "stories signed out", st, 200, body, "社区活动故事", "五彩益童心梦·月末活动", "人参加", "社区活动室")
	if st, _, body := anon.do("GET", "/stories?page=2", nil, nil); st != 200 || !strings.Contains(body, "五彩益童心梦") {
		t.Errorf("second page: %d", st)
	}

	// A photo nobody but the office may see yet, and its story.
	var hidden, story int64
	if err := s.DB.QueryRow(ctx, `SELECT ph.id, ph.story_id FROM story_photos ph WHERE EXISTS (SELECT 1 FROM photo_people pp WHERE pp.photo_id = ph.id
		AND NOT EXISTS (SELECT 1 FROM consents c WHERE c.volunteer_id = pp.volunteer_id AND c.kind = 'photo' AND c.withdrawn_at IS NULL)) ORDER BY ph.id LIMIT 1`).Scan(&hidden, &story); err != nil {
		t.Fatalf("no photo waiting for consent: %v", err)
	}
	var shown int64
	if err := s.DB.QueryRow(ctx, `SELECT ph.id FROM story_photos ph WHERE NOT EXISTS (SELECT 1 FROM photo_people pp WHERE pp.photo_id = ph.id
		AND NOT EXISTS (SELECT 1 FROM consents c WHERE c.volunteer_id = pp.volunteer_id AND c.kind = 'photo' AND c.withdrawn_at IS NULL)) ORDER BY ph.id LIMIT 1`).Scan(&shown); err != nil {
		t.Fatal(err)
	}
	hiddenURL, shownURL := fmt.Sprintf("/photos/%d", hidden), fmt.Sprintf("/photos/%d", shown)
	leader, worker := newBrowser(t, s), newBrowser(t, s)
	leader.login("leader", server.Password)
	worker.login("worker", server.Password)
	for name, b := range map[string]*browser{"signed out": anon, "leader": leader} {
		st, _, body := b.do("GET", fmt.Sprintf("/stories/%d", story), nil, nil)
		expect(t, name+": story", st, 200, body, "人参加")
		if strings.Contains(body, `"`+hiddenURL+`"`) {
			t.Errorf("%s: the story page shows the photo without consent", name)
		}
		if st, _, _ := b.do("GET", hiddenURL, nil, nil); st != http.StatusNotFound {
			t.Errorf("%s: photo without consent answers %d", name, st)
		}
	}
	st, _, body = worker.do("GET", fmt.Sprintf("/stories/%d", story), nil, nil)
	expect(t, "worker: story", st, 200, body, `"`+hiddenURL+`"`, "仅社区工作人员可见")
	if st, _, body := worker.do("GET", hiddenURL, nil, nil); st != 200 || !strings.HasPrefix(body, "\xff\xd8") {
		t.Errorf("worker: photo %d", st)
	}
	req, _ := http.NewRequest("GET", s.URL+shownURL, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/jpeg" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("public photo: %d %v", resp.StatusCode, resp.Header)
	}

	// Members only: the drowning-safety class's story goes inside.
	var inner int64
	if err := s.DB.QueryRow(ctx, `SELECT st.id FROM stories st JOIN occurrences o ON o.id = st.occurrence_id JOIN activities a ON a.id = o.activity_id
		WHERE a.title = '暑期防溺水安全课'`).Scan(&inner); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB.Exec(ctx, `UPDATE activities SET visibility = 'members' WHERE title = '暑期防溺水安全课'`); err != nil {
		t.Fatal(err)
	}
	if st, _, _ := anon.do("GET", fmt.Sprintf("/stories/%d", inner), nil, nil); st != http.StatusNotFound {
		t.Errorf("signed out reads a members-only story: %d", st)
	}
	vol := newBrowser(t, s)
	vol.login("volunteer", server.Password)
	st, _, body = vol.do("GET", fmt.Sprintf("/stories/%d", inner), nil, nil)
	expect(t, "member: members-only story", st, 200, body, "暑期防溺水安全课", "心肺复苏")

	// 刘静 records the photo consent for her own child on the child's page;
	// her child's photos then show publicly.
	var child int64
	if err := s.DB.QueryRow(ctx, `SELECT c.volunteer_id FROM consents c JOIN residents r ON r.id = c.guardian_resident_id
		JOIN accounts a ON a.id = r.account_id WHERE a.username = 'leader' AND c.kind = 'guardian'`).Scan(&child); err != nil {
		t.Fatalf("the leader's child: %v", err)
	}
	s.DB.Exec(ctx, `UPDATE consents SET withdrawn_at = ? WHERE volunteer_id = ? AND kind = 'photo'`, s.Clock.Now(), child)
	page := fmt.Sprintf("/volunteers/%d", child)
	st, _, body = leader.do("GET", page, nil, nil)
	expect(t, "child's page", st, 200, body, `id="add-photo-consent"`, "照片同意")
	if st, loc, _ := leader.do("POST", page+"/consents", url.Values{"kind": {"photo"}}, nil); st != http.StatusSeeOther || loc != page {
		t.Fatalf("record the photo consent: %d %s", st, loc)
	}
	var given string
	s.DB.QueryRow(ctx, `SELECT given_by FROM consents WHERE volunteer_id = ? AND kind = 'photo' AND withdrawn_at IS NULL`, child).Scan(&given)
	if given != "guardian" {
		t.Errorf("photo consent given by %q", given)
	}
	st, _, body = leader.do("GET", page, nil, nil)
	if strings.Contains(body, `id="add-photo-consent"`) {
		t.Error("the button stays after the consent")
	}
	if st, _, _ := vol.do("POST", page+"/consents", url.Values{"kind": {"photo"}}, nil); st != http.StatusNotFound && st != http.StatusForbidden {
		t.Errorf("another volunteer records it: %d", st)
	}
	if st, _, _ := leader.do("POST", page+"/consents", url.Values{"kind": {"guardian"}}, nil); st != http.StatusUnprocessableEntity {
		t.Errorf("a guardian consent from this form: %d", st)
	}
	for _, path := range []string{"/stories/abc", "/stories/999999", "/photos/0", "/photos/999999"} {
		if st, _, _ := anon.do("GET", path, nil, nil); st != http.StatusNotFound {
			t.Errorf("%s: %d", path, st)
		}
	}
}
