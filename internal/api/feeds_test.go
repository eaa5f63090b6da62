package api_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/activities"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/feeds"
	"github.com/linli/linli/internal/ical"
	"github.com/linli/linli/internal/testkit/server"
)

// fetch GETs a feed URL as a calendar app does: no session, no token but
// the one in the URL.
func fetch(t *testing.T, u string) (int, string, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

func feedList(t *testing.T, s *server.Server, method, token string) []feeds.Feed {
	t.Helper()
	path := "/api/v1/calendar-feeds"
	if method == "POST" {
		path += "/rotate"
	}
	st, b := s.Do(t, method, path, token, nil)
	var list struct{ Items []feeds.Feed }
	if st != 200 || json.Unmarshal(b, &list) != nil {
		t.Fatalf("%s %s: %d %s", method, path, st, b)
	}
	return list.Items
}

func feedOf(t *testing.T, fs []feeds.Feed, kind string, team int64) feeds.Feed {
	t.Helper()
	for _, f := range fs {
		if f.Kind == kind && f.TeamID == team {
			return f
		}
	}
	t.Fatalf("no %s feed %d in %+v", kind, team, fs)
	return feeds.Feed{}
}

// local is a Shanghai wall time as a feed writes it.
func local(s string) string {
	t, _ := time.ParseInLocation("2006-01-02 15:04", s, clock.Shanghai)
	return t.Format("20060102T150405")
}

// TestCalendarFeeds: the caller's feeds are listed community first with
// absolute URLs; each serves text/calendar without a session, with the
// series' rule, the skipped date excluded and the moved one overridden;
// a team feed holds only its team's activities, a person's feed only
// their dates; rotating, disabling the account, leaving the team or
// losing the grant turns a feed into a 404. Both databases.
func TestCalendarFeeds(t *testing.T) {
	for _, pg := range []bool{false, true} {
		t.Run(map[bool]string{false: "sqlite", true: "postgres"}[pg], func(t *testing.T) {
			s := server.Start(t, server.Options{Postgres: pg, Registry: true})
			ctx := t.Context()
			leader, worker, vol := s.Login(t, "leader"), s.Login(t, "worker"), s.Login(t, "volunteer")

			// The children's series, a year back and running on, and
			// another team's one-off.
			st, b := s.Do(t, "POST", "/api/v1/activities", leader, map[string]any{"title": "五彩益童心梦,月末手工;剪纸", "team_id": 1, "capacity": 20,
				"start": "2025-11-29T09:00", "end": "2025-11-29T11:00", "rrule": "FREQ=MONTHLY;BYDAY=-1SA", "description": "带剪刀\n带胶水"})
			if st != 201 {
				t.Fatalf("plan series: %d %s", st, b)
			}
			var series struct{ ID int64 }
			json.Unmarshal(b, &series)
			if st, b := s.Do(t, "POST", "/api/v1/activities", worker, map[string]any{"title": "扫雪", "team_id": 2, "capacity": 10,
				"start": "2026-12-20T08:00", "end": "2026-12-20T10:00"}); st != 201 {
				t.Fatalf("plan one-off: %d %s", st, b)
			}
			// Skip one date, move another: rows of the occurrences table,
			// however the editing screens come to write them.
			if _, err := s.DB.Exec(ctx, `UPDATE occurrences SET cancelled = ? WHERE activity_id = ? AND original_start = ?`,
				true, series.ID, time.Date(2027, 2, 27, 9, 0, 0, 0, clock.Shanghai).UTC()); err != nil {
				t.Fatal(err)
			}
			if _, err := s.DB.Exec(ctx, `UPDATE occurrences SET starts_at = ?, ends_at = ? WHERE activity_id = ? AND original_start = ?`,
				time.Date(2027, 4, 25, 14, 0, 0, 0, clock.Shanghai).UTC(), time.Date(2027, 4, 25, 16, 0, 0, 0, clock.Shanghai).UTC(),
				series.ID, time.Date(2027, 4, 24, 9, 0, 0, 0, clock.Shanghai).UTC()); err != nil {
				t.Fatal(err)
			}

			// Eight first calls at once (a phone and a browser): one token
			// per feed, the same URLs for all.
			wacc, err := s.Accounts.FindByUsername(ctx, "worker")
			if err != nil {
				t.Fatal(err)
			}
			wp := &accounts.Principal{AccountID: wacc.ID, Grants: wacc.Grants}
			lists := make([][]feeds.Feed, 8)
			errs := make([]error, 8)
			var wg sync.WaitGroup
			for i := range lists {
				wg.Go(func() { lists[i], errs[i] = s.Feeds.List(ctx, wp, wacc.Grants[0].CommunityID, "https://linli.example") })
			}
			wg.Wait()
			for i := range lists {
				if errs[i] != nil || len(lists[i]) < 2 || !slices.Equal(lists[i], lists[0]) {
					t.Fatalf("concurrent first lists differ: %v %+v / %+v", errs[i], lists[i], lists[0])
				}
			}
			var made int
			s.DB.QueryRow(ctx, `SELECT count(*) FROM calendar_feeds WHERE account_id = ?`, wacc.ID).Scan(&made)
			if made != len(lists[0]) || !strings.HasPrefix(lists[0][0].URL, "https://linli.example/feeds/") {
				t.Errorf("%d feeds stored for %d listed: %+v", made, len(lists[0]), lists[0])
			}

			// The leader: the community, then team 1, then their own.
			lf := feedList(t, s, "GET", leader)
			if len(lf) < 3 || lf[0].Kind != feeds.Community || lf[len(lf)-1].Kind != feeds.Person {
				t.Fatalf("leader's feeds in the wrong order: %+v", lf)
			}
			for _, f := range lf {
				if !strings.HasPrefix(f.URL, s.URL+"/feeds/") || !strings.HasSuffix(f.URL, ".ics") || f.Name == "" {
					t.Errorf("feed %+v: want an absolute URL and a name", f)
				}
			}
			if again := feedList(t, s, "GET", leader); !slices.Equal(again, lf) {
				t.Errorf("a second list changed the URLs:\n%+v\n%+v", lf, again)
			}
			// The database holds the tokens' hashes and sealed copies,
			// never a token itself.
			rows, err := s.DB.Query(ctx, `SELECT token_hash, token_enc FROM calendar_feeds`)
			if err != nil {
				t.Fatal(err)
			}
			var stored []string
			for rows.Next() {
				var h, e string
				rows.Scan(&h, &e)
				stored = append(stored, h, e)
			}
			rows.Close()
			for _, f := range lf {
				tok := strings.TrimSuffix(strings.TrimPrefix(f.URL, s.URL+"/feeds/"), ".ics")
				sum := sha256.Sum256([]byte(tok))
				if len(tok) != 43 || !slices.Contains(stored, hex.EncodeToString(sum[:])) {
					t.Errorf("token %q: not 256 bits, or its hash is not stored", tok)
				}
				for _, v := range stored {
					if strings.Contains(v, tok) {
						t.Errorf("a token is stored in the clear: %s", v)
					}
				}
			}

			st, ctype, community := fetch(t, feedOf(t, lf, feeds.Community, 0).URL)
			if st != 200 || ctype != "text/calendar; charset=utf-8" {
				t.Fatalf("community feed: %d %s\n%s", st, ctype, community)
			}
			text := strings.ReplaceAll(community, "\r\n ", "")
			for _, want := range []string{"BEGIN:VTIMEZONE\r\nTZID:Asia/Shanghai", "X-WR-CALNAME:" + lf[0].Name,
				fmt.Sprintf("UID:activity-%d@127.0.0.1", series.ID), "DTSTART;TZID=Asia/Shanghai:" + local("2025-11-29 09:00"),
				"RRULE:FREQ=MONTHLY;BYDAY=-1SA\r\n", "EXDATE;TZID=Asia/Shanghai:" + local("2027-02-27 09:00"),
				"RECURRENCE-ID;TZID=Asia/Shanghai:" + local("2027-04-24 09:00") + "\r\nDTSTART;TZID=Asia/Shanghai:" + local("2027-04-25 14:00"),
				"SUMMARY:五彩益童心梦\\,月末手工\\;剪纸", "DESCRIPTION:带剪刀\\n带胶水", "SUMMARY:扫雪"} {
				if !strings.Contains(text, want) {
					t.Errorf("community feed lacks %q", want)
				}
			}
			if strings.Contains(text, "EXDATE;TZID=Asia/Shanghai:"+local("2027-04-24 09:00")) {
				t.Error("the moved date is excluded as well as overridden: calendars would drop it")
			}
			for _, l := range strings.Split(community, "\r\n") {
				if len(l) > ical.MaxLine {
					t.Errorf("line of %d octets: %q", len(l), l)
				}
			}

			_, _, team := fetch(t, feedOf(t, lf, feeds.Team, 1).URL)
			if !strings.Contains(team, "RRULE:FREQ=MONTHLY;BYDAY=-1SA") || strings.Contains(team, "SUMMARY:扫雪") {
				t.Errorf("team 1's feed:\n%s", team)
			}

			// The volunteer signs up for two dates; one is then skipped.
			q := url.Values{"from": {"2026-12-01T00:00:00+08:00"}, "to": {"2027-03-01T00:00:00+08:00"}, "team": {"1"}}
			_, b = s.Do(t, "GET", "/api/v1/activities?"+q.Encode(), vol, nil)
			var occs struct{ Items []activities.Occurrence }
			json.Unmarshal(b, &occs)
			// The demo's own children's series is on the calendar too: ours only.
			occs.Items = slices.DeleteFunc(occs.Items, func(o activities.Occurrence) bool { return o.ActivityID != series.ID })
			if len(occs.Items) != 3 {
				t.Fatalf("dates: %s", b)
			}
			for _, o := range []activities.Occurrence{occs.Items[0], occs.Items[1]} {
				if st, b := s.Do(t, "POST", fmt.Sprintf("/api/v1/occurrences/%d/signup", o.ID), vol, nil); st != 201 {
					t.Fatalf("sign up: %d %s", st, b)
				}
			}
			if _, err := s.DB.Exec(ctx, `UPDATE occurrences SET cancelled = ? WHERE id = ?`, true, occs.Items[1].ID); err != nil {
				t.Fatal(err)
			}
			vf := feedList(t, s, "GET", vol)
			if vf[0].Kind != feeds.Community || vf[0].URL == lf[0].URL {
				t.Errorf("the volunteer's community feed: %+v (leader's %s)", vf[0], lf[0].URL)
			}
			st, _, mine := fetch(t, feedOf(t, vf, feeds.Person, 0).URL)
			if st != 200 || !strings.Contains(mine, fmt.Sprintf("UID:occurrence-%d@", occs.Items[0].ID)) || strings.Contains(mine, "RRULE") ||
				!strings.Contains(mine, "DTSTART;TZID=Asia/Shanghai:"+local("2026-12-26 09:00")) || strings.Count(mine, "BEGIN:VEVENT") != 1 {
				t.Errorf("the volunteer's own feed (one date, the skipped one absent):\n%s", mine)
			}
			if !strings.Contains(mine, "X-WR-CALNAME:我的活动") || strings.Contains(mine, "候补") {
				t.Errorf("the own feed's name, or a waitlist mark on a place held:\n%s", mine)
			}
			// On the waitlist the date stays, marked as such.
			if _, err := s.DB.Exec(ctx, `UPDATE signups SET status = 'waitlisted' WHERE occurrence_id = ?`, occs.Items[0].ID); err != nil {
				t.Fatal(err)
			}
			if _, _, mine := fetch(t, feedOf(t, vf, feeds.Person, 0).URL); !strings.Contains(mine, "SUMMARY:五彩益童心梦\\,月末手工\\;剪纸 (候补)") {
				t.Errorf("a waitlisted date is not marked:\n%s", mine)
			}

			// Rotation: the old URLs die, the new ones work.
			rotated := feedList(t, s, "POST", vol)
			if len(rotated) != len(vf) {
				t.Fatalf("rotate: %+v", rotated)
			}
			for i := range vf {
				if rotated[i].URL == vf[i].URL {
					t.Errorf("rotation kept %s", vf[i].URL)
				}
				if st, _, _ := fetch(t, vf[i].URL); st != 404 {
					t.Errorf("old %s feed after rotation: %d", vf[i].Kind, st)
				}
				if st, _, _ := fetch(t, rotated[i].URL); st != 200 {
					t.Errorf("new %s feed: %d", rotated[i].Kind, st)
				}
			}

			// Unknown, malformed, or without .ics: 404, nothing else.
			for _, p := range []string{"/feeds/" + strings.Repeat("A", 43) + ".ics", "/feeds/x.ics", "/feeds/" + strings.Repeat("A", 43),
				"/feeds/%2E%2E%2F%2E%2E%2Fx.ics", "/feeds/" + strings.Repeat("-", 43) + ".ics"} {
				if st, _, b := fetch(t, s.URL+p); st != 404 {
					t.Errorf("GET %s: %d %.200s", p, st, b)
				}
			}

			// The volunteer leaves every team: their team feeds go, the
			// others stay.
			teamFeeds := 0
			for _, f := range rotated {
				if f.Kind == feeds.Team {
					teamFeeds++
				}
			}
			if teamFeeds == 0 {
				t.Errorf("赵建国 is in the skilled team, but has no team feed: %+v", rotated)
			}
			{
				if _, err := s.DB.Exec(ctx, `UPDATE team_members SET left_on = '2026-11-30' WHERE volunteer_id IN
					(SELECT id FROM volunteers WHERE account_id = (SELECT id FROM accounts WHERE username = 'volunteer'))`); err != nil {
					t.Fatal(err)
				}
				for _, f := range rotated {
					want := 200
					if f.Kind == feeds.Team {
						want = 404
					}
					if st, _, _ := fetch(t, f.URL); st != want {
						t.Errorf("%s feed after leaving the teams: %d, want %d", f.Kind, st, want)
					}
				}
			}

			// A disabled account's feeds stop; so do those of an account
			// that lost its grant in the community.
			acc, err := s.Accounts.FindByUsername(ctx, "leader")
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Accounts.SetDisabled(ctx, accounts.Console("test"), acc.ID, true); err != nil {
				t.Fatal(err)
			}
			for _, f := range lf {
				if st, _, _ := fetch(t, f.URL); st != 404 {
					t.Errorf("disabled leader's %s feed: %d", f.Kind, st)
				}
			}
			vacc, _ := s.Accounts.FindByUsername(ctx, "volunteer")
			for _, g := range vacc.Grants {
				if err := s.Accounts.RevokeGrant(ctx, accounts.Console("test"), g.ID); err != nil {
					t.Fatal(err)
				}
			}
			for _, f := range rotated {
				if st, _, _ := fetch(t, f.URL); st != 404 {
					t.Errorf("%s feed of an account without a grant: %d", f.Kind, st)
				}
			}
		})
	}
}
