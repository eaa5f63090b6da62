package feeds_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/feeds"
	"github.com/linli/linli/internal/testkit/server"
)

const icaljsDir = "testdata/icaljs"

// icaljs makes sure node and the pinned ical.js are there: installed from
// the lock file by npm ci when node_modules is missing. Without node the
// test skips on a laptop and fails under CI=true, where .ci/run installs
// Debian's nodejs and npm.
func icaljs(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("node is not installed: under CI=true the feed must be checked by ical.js")
		}
		t.Skip("node is not installed: skipping the ical.js check")
	}
	if _, err := os.Stat(filepath.Join(icaljsDir, "node_modules", "ical.js", "package.json")); err != nil {
		npm, err := exec.LookPath("npm")
		if err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatal("npm is not installed: under CI=true the feed must be checked by ical.js")
			}
			t.Skip("npm is not installed: skipping the ical.js check")
		}
		cmd := exec.Command(npm, "ci", "--no-audit", "--no-fund", "--loglevel=error")
		cmd.Dir = icaljsDir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci in %s: %v\n%s", icaljsDir, err, out)
		}
	}
	return node
}

// lastSaturdays lists the last Saturdays of the months at 09:00 in
// Shanghai, strictly after from, the plain way: the month's last day,
// stepped back to a Saturday. No rule library is involved.
func lastSaturdays(from time.Time, n int) []time.Time {
	var out []time.Time
	y, m, _ := from.In(clock.Shanghai).Date()
	for len(out) < n {
		d := time.Date(y, m+1, 0, 9, 0, 0, 0, clock.Shanghai) // day 0 of the next month: this month's last day
		for d.Weekday() != time.Saturday {
			d = d.AddDate(0, 0, -1)
		}
		if d.After(from) {
			out = append(out, d)
		}
		m++
	}
	return out
}

type expanded struct {
	Calendar    string
	Occurrences []struct {
		Start, End    time.Time
		Zone, Summary string
	}
}

// TestFeedInICALJS: the demo-like children's series (last Saturday of the
// month, 09:00–11:00 in Shanghai, starting a year back) with one date
// skipped and one moved is fetched from a live server over HTTP, parsed
// and expanded by ical.js in Node.js, and the next twelve dates are those
// computed here: the last Saturdays, without the skipped one, with the
// moved one at its new time. Both databases.
func TestFeedInICALJS(t *testing.T) {
	node := icaljs(t)
	for _, pg := range []bool{false, true} {
		t.Run(map[bool]string{false: "sqlite", true: "postgres"}[pg], func(t *testing.T) {
			s := server.Start(t, server.Options{Postgres: pg, Registry: true})
			now := s.Clock.Now()
			leader := s.Login(t, "leader")
			// Long enough to be folded, with characters a writer must escape.
			title := "五彩益童心梦·儿童团每月最后一个周六的手工活动,剪纸;灯笼\\彩绘"
			first := lastSaturdays(now.AddDate(-1, 0, -1), 1)[0]
			st, b := s.Do(t, "POST", "/api/v1/activities", leader, map[string]any{"title": title, "team_id": 1, "capacity": 20,
				"start": first.Format("2006-01-02T15:04"), "end": first.Add(2 * time.Hour).Format("2006-01-02T15:04"), "rrule": "FREQ=MONTHLY;BYDAY=-1SA"})
			if st != 201 {
				t.Fatalf("plan: %d %s", st, b)
			}
			var created struct{ ID int64 }
			json.Unmarshal(b, &created)

			want := lastSaturdays(now, 13)
			skipped, moved := want[2], want[4]
			movedTo := time.Date(moved.Year(), moved.Month(), moved.Day()+1, 14, 0, 0, 0, clock.Shanghai)
			if _, err := s.DB.Exec(t.Context(), `UPDATE occurrences SET cancelled = ? WHERE activity_id = ? AND original_start = ?`,
				true, created.ID, skipped.UTC()); err != nil {
				t.Fatal(err)
			}
			if _, err := s.DB.Exec(t.Context(), `UPDATE occurrences SET starts_at = ?, ends_at = ? WHERE activity_id = ? AND original_start = ?`,
				movedTo.UTC(), movedTo.Add(2*time.Hour).UTC(), created.ID, moved.UTC()); err != nil {
				t.Fatal(err)
			}
			type date struct{ start, end time.Time }
			var expect []date
			for _, d := range want {
				switch {
				case d.Equal(skipped):
				case d.Equal(moved):
					expect = append(expect, date{movedTo, movedTo.Add(2 * time.Hour)})
				default:
					expect = append(expect, date{d, d.Add(2 * time.Hour)})
				}
			}
			expect = expect[:12]

			st, b = s.Do(t, "GET", "/api/v1/calendar-feeds", leader, nil)
			var list struct{ Items []feeds.Feed }
			if st != 200 || json.Unmarshal(b, &list) != nil || len(list.Items) == 0 {
				t.Fatalf("feeds: %d %s", st, b)
			}
			resp, err := http.Get(list.Items[0].URL)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/calendar") {
				t.Fatalf("GET feed: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			file := filepath.Join(t.TempDir(), "community.ics")
			if err := os.WriteFile(file, body, 0o600); err != nil {
				t.Fatal(err)
			}
			uid := fmt.Sprintf("activity-%d@127.0.0.1", created.ID)
			cmd := exec.Command(node, filepath.Join(icaljsDir, "expand.mjs"), file, uid, now.UTC().Format(time.RFC3339), "12")
			out, err := cmd.Output()
			if err != nil {
				var stderr []byte
				if ee, ok := err.(*exec.ExitError); ok {
					stderr = ee.Stderr
				}
				t.Fatalf("ical.js: %v\n%s\nthe feed:\n%s", err, stderr, body)
			}
			var got expanded
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("ical.js output %q: %v", out, err)
			}
			if got.Calendar != list.Items[0].Name {
				t.Errorf("calendar name %q, want %q", got.Calendar, list.Items[0].Name)
			}
			if len(got.Occurrences) != 12 {
				t.Fatalf("ical.js found %d dates, want 12: %s", len(got.Occurrences), out)
			}
			for i, o := range got.Occurrences {
				if !o.Start.Equal(expect[i].start) || !o.End.Equal(expect[i].end) {
					t.Errorf("date %d: ical.js %s–%s, want %s–%s", i+1, o.Start.In(clock.Shanghai).Format("2006-01-02 15:04"),
						o.End.In(clock.Shanghai).Format("15:04"), expect[i].start.Format("2006-01-02 15:04"), expect[i].end.Format("15:04"))
				}
				if o.Zone != "Asia/Shanghai" || o.Summary != title {
					t.Errorf("date %d: zone %q, title %q", i+1, o.Zone, o.Summary)
				}
			}
		})
	}
}
