package web_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/linli/linli/internal/feeds"
	"github.com/linli/linli/internal/testkit/server"
)

func fetchFeed(t *testing.T, u string) int {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func listFeeds(t *testing.T, s *server.Server, token string) []feeds.Feed {
	t.Helper()
	st, b := s.Do(t, "GET", "/api/v1/calendar-feeds", token, nil)
	var list struct{ Items []feeds.Feed }
	if st != 200 || json.Unmarshal(b, &list) != nil || len(list.Items) < 2 {
		t.Fatalf("feeds: %d %s", st, b)
	}
	return list.Items
}

// TestRotateOneFeed: one feed gets a new token, through the API and by
// its button on /me/activities; its old URL answers 404 and the new one
// works, while the owner's other feeds keep their URLs and keep working.
// Someone else's feed, an unknown id, or a form from another site changes
// nothing. Both databases.
func TestRotateOneFeed(t *testing.T) {
	for _, pg := range []bool{false, true} {
		t.Run(map[bool]string{false: "sqlite", true: "postgres"}[pg], func(t *testing.T) {
			s := server.Start(t, server.Options{Registry: true, Postgres: pg})
			vol := s.Login(t, "volunteer")
			before := listFeeds(t, s, vol)
			for _, f := range before {
				if f.ID == 0 || fetchFeed(t, f.URL) != 200 {
					t.Fatalf("feed before rotation: %+v", f)
				}
			}
			rotated := func(old []feeds.Feed, id int64, newURL string) {
				t.Helper()
				now := listFeeds(t, s, vol)
				if len(now) != len(old) {
					t.Fatalf("feeds after rotation: %+v", now)
				}
				for i, f := range old {
					switch {
					case f.ID != id && (now[i].URL != f.URL || fetchFeed(t, f.URL) != 200):
						t.Errorf("%s feed %d changed or stopped: %s -> %s", f.Kind, f.ID, f.URL, now[i].URL)
					case f.ID == id && (now[i].URL != newURL || now[i].URL == f.URL):
						t.Errorf("rotated %s feed lists %s, want the new %s", f.Kind, now[i].URL, newURL)
					case f.ID == id && fetchFeed(t, f.URL) != 404:
						t.Errorf("old URL of the rotated %s feed still answers", f.Kind)
					case f.ID == id && fetchFeed(t, newURL) != 200:
						t.Errorf("new URL of the rotated %s feed: not 200", f.Kind)
					}
				}
			}

			// The API: the person's own feed alone.
			var mine feeds.Feed
			for _, f := range before {
				if f.Kind == feeds.Person {
					mine = f
				}
			}
			st, b := s.Do(t, "POST", fmt.Sprintf("/api/v1/calendar-feeds/%d/rotate", mine.ID), vol, nil)
			var got feeds.Feed
			if st != 200 || json.Unmarshal(b, &got) != nil || got.ID != mine.ID || got.Kind != feeds.Person || got.URL == mine.URL ||
				!strings.HasPrefix(got.URL, s.URL+"/feeds/") {
				t.Fatalf("rotate one: %d %s", st, b)
			}
			rotated(before, mine.ID, got.URL)

			// Another account's feed, an unknown or malformed id: 404, and
			// the feed keeps its URL.
			after := listFeeds(t, s, vol)
			leader := s.Login(t, "leader")
			for path, want := range map[string]int{
				fmt.Sprintf("/api/v1/calendar-feeds/%d/rotate", mine.ID): 404,
				"/api/v1/calendar-feeds/999999/rotate":                   404,
				"/api/v1/calendar-feeds/abc/rotate":                      404,
			} {
				if st, b := s.Do(t, "POST", path, leader, nil); st != want {
					t.Errorf("leader POST %s: %d %s, want %d", path, st, b, want)
				}
			}
			if st, _ := s.Do(t, "POST", fmt.Sprintf("/api/v1/calendar-feeds/%d/rotate", mine.ID), "", nil); st != 401 {
				t.Errorf("signed out: %d", st)
			}
			if now := listFeeds(t, s, vol); now[len(now)-1].URL != after[len(after)-1].URL || fetchFeed(t, got.URL) != 200 {
				t.Errorf("a refused rotation changed the feed")
			}

			// The page: a button per feed; pressing the community's rotates
			// that one alone.
			br := newBrowser(t, s)
			br.login("volunteer", server.Password)
			st, _, page := br.do("GET", "/me/activities", nil, nil)
			for _, f := range after {
				expect(t, "feeds on /me/activities", st, 200, page, fmt.Sprintf(`id="rotate-feed-%d"`, f.ID), f.URL)
			}
			expect(t, "the hint", st, 200, page, "换个新地址", "旧地址立即失效")
			community := after[0]
			if community.Kind != feeds.Community {
				t.Fatalf("first feed: %+v", community)
			}
			form := fmt.Sprintf("/me/feeds/%d/rotate", community.ID)
			// A form posted from another site is refused, nothing rotated.
			if st, _, _ := br.do("POST", form, url.Values{}, map[string]string{"Sec-Fetch-Site": "cross-site"}); st != http.StatusForbidden {
				t.Errorf("cross-site rotate: %d", st)
			}
			if fetchFeed(t, community.URL) != 200 {
				t.Fatal("a cross-site form rotated the feed")
			}
			st, loc, _ := br.do("POST", form, url.Values{}, nil)
			if st != http.StatusSeeOther || loc != fmt.Sprintf("/me/activities#feed-%d", community.ID) {
				t.Fatalf("rotate by the button: %d %s", st, loc)
			}
			now := listFeeds(t, s, vol)
			rotated(after, community.ID, now[0].URL)
			st, _, page = br.do("GET", "/me/activities", nil, nil)
			expect(t, "after the button", st, 200, page, "已换新地址", now[0].URL)
			if strings.Contains(page, community.URL) {
				t.Error("the page still shows the old URL")
			}
			// The leader's button for the volunteer's feed: not found.
			lb := newBrowser(t, s)
			lb.login("leader", server.Password)
			if st, _, _ := lb.do("POST", form, url.Values{}, nil); st != http.StatusNotFound {
				t.Errorf("leader rotates the volunteer's feed by the page: %d", st)
			}
			if fetchFeed(t, now[0].URL) != 200 {
				t.Error("the leader's refused press rotated the feed")
			}
		})
	}
}
