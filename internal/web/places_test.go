package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/linli/linli/internal/testkit/server"
)

// The office's places page on both databases: the worker adds a place
// (a bad one refused with reasons, in Chinese and English), resizes it in
// its row and retires it; the leader and the volunteer are refused; the
// leader's plan form shows the capacities, refuses a plan larger than
// the place and stops offering a retired place.
func TestPlacePages(t *testing.T) {
	for _, pg := range []bool{false, true} {
		name := "sqlite"
		if pg {
			name = "postgres"
		}
		t.Run(name, func(t *testing.T) { placePages(t, server.Start(t, server.Options{Postgres: pg})) })
	}
}

func placePages(t *testing.T, s *server.Server) {
	w := newBrowser(t, s)
	w.login("worker", server.Password)
	st, _, body := w.do("GET", "/activities", nil, nil)
	expect(t, "activities for the office", st, 200, body, `id="places-link"`, "管理场地")
	st, _, body = w.do("GET", "/activities/new", nil, nil)
	expect(t, "plan form for the office", st, 200, body, `id="manage-places"`)
	st, _, body = w.do("GET", "/places", nil, nil)
	expect(t, "places page", st, 200, body, "场地管理", `id="add-place"`)

	// Refused: empty name, capacity out of range; the form keeps what was typed.
	st, _, body = w.do("POST", "/places", url.Values{"name": {" "}, "capacity": {"12"}}, nil)
	expect(t, "empty name", st, 422, body, "场地名称须为1到40个字", `id="new-capacity" value="12"`)
	st, _, body = w.do("POST", "/places", url.Values{"name": {"社区书屋"}, "capacity": {"很多"}}, nil)
	expect(t, "capacity not a number", st, 422, body, "场地容量须为0（不限）到10000")
	w.do("POST", "/prefs", url.Values{"lang": {"en"}, "back": {"/"}}, nil)
	st, _, body = w.do("POST", "/places", url.Values{"name": {"社区书屋"}, "capacity": {"10001"}}, nil)
	expect(t, "capacity in English", st, 422, body, "Place capacity: 0 (not limited) to 10000", "Add a place")
	w.do("POST", "/prefs", url.Values{"lang": {"zh-CN"}, "back": {"/"}}, nil)

	if st, loc, _ := w.do("POST", "/places", url.Values{"name": {"社区书屋"}, "capacity": {"20"}}, nil); st != http.StatusSeeOther || loc != "/places" {
		t.Fatalf("add a place: %d %s", st, loc)
	}
	st, _, body = w.do("POST", "/places", url.Values{"name": {"社区书屋"}, "capacity": {"5"}}, nil)
	expect(t, "duplicate name", st, 409, body, "本社区已有名为「社区书屋」的场地")
	st, _, body = w.do("GET", "/places", nil, nil)
	m := regexp.MustCompile(`id="name-(\d+)" name="name" form="edit-\d+" value="社区书屋"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("the new place is not listed:\n%s", body)
	}
	id := m[1]
	expect(t, "listed", st, 200, body, "可容纳 20 人", "0 场待举办")
	// Resized in its row.
	if st, _, _ := w.do("POST", "/places/"+id, url.Values{"name": {"社区书屋"}, "capacity": {"12"}}, nil); st != http.StatusSeeOther {
		t.Fatalf("resize: %d", st)
	}

	// The leader and the volunteer may not manage places.
	for _, who := range []string{"leader", "volunteer"} {
		b := newBrowser(t, s)
		b.login(who, server.Password)
		if st, _, _ := b.do("GET", "/places", nil, nil); st != http.StatusForbidden {
			t.Errorf("%s opens the places page: %d", who, st)
		}
		if st, _, _ := b.do("POST", "/places/"+id, url.Values{"capacity": {"500"}}, nil); st != http.StatusForbidden {
			t.Errorf("%s resizes a place: %d", who, st)
		}
		st, _, body := b.do("GET", "/activities", nil, nil)
		if st != 200 || strings.Contains(body, `id="places-link"`) {
			t.Errorf("%s is offered managing places: %d", who, st)
		}
	}

	// The leader plans: the form shows the capacity; 13 in a room for 12
	// is refused naming the room's capacity, 12 fits.
	l := newBrowser(t, s)
	l.login("leader", server.Password)
	st, _, body = l.do("GET", "/activities/new", nil, nil)
	expect(t, "leader's plan form", st, 200, body, "社区书屋（可容纳 12 人）")
	if strings.Contains(body, `id="manage-places"`) {
		t.Error("the leader is offered managing places")
	}
	team := regexp.MustCompile(`<option value="(\d+)"[^>]*>五彩益童心梦`).FindStringSubmatch(body)
	if team == nil {
		t.Fatal("the leader's team is not offered")
	}
	form := url.Values{"title": {"读书会"}, "team_id": {team[1]}, "place_id": {id}, "date": {"2026-12-05"}, "start_time": {"14:00"}, "end_time": {"16:00"},
		"repeat": {"none"}, "capacity": {"13"}, "deadline_hours": {"24"}, "open_to": {"volunteers"}, "visibility": {"members"}}
	st, _, body = l.do("POST", "/activities", form, nil)
	expect(t, "plan above the room", st, 422, body, "场地「社区书屋」最多容纳 12 人")
	form.Set("capacity", "12")
	if st, loc, _ := l.do("POST", "/activities", form, nil); st != http.StatusSeeOther {
		t.Fatalf("plan within the room: %d %s", st, loc)
	}
	st, _, body = w.do("GET", "/places", nil, nil)
	expect(t, "use counted", st, 200, body, "1 场待举办")

	// Retired: marked on the page, no longer offered for planning.
	if st, _, _ := w.do("POST", "/places/"+id, url.Values{"retired": {"1"}}, nil); st != http.StatusSeeOther {
		t.Fatalf("retire: %d", st)
	}
	st, _, body = w.do("GET", "/places", nil, nil)
	expect(t, "retired", st, 200, body, "已停用", `id="restore-`+id+`"`)
	st, _, body = l.do("GET", "/activities/new", nil, nil)
	if st != 200 || strings.Contains(body, "社区书屋") {
		t.Errorf("a retired place is offered for planning: %d", st)
	}
	form.Set("title", "读书会（二）")
	st, _, body = l.do("POST", "/activities", form, nil)
	expect(t, "plan at a retired place", st, 422, body, "场地「社区书屋」已停用")
}
