package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/linli/linli/internal/activities"
	"github.com/linli/linli/internal/testkit/server"
)

// The leader moves one date, skips another, changes "this and following";
// the volunteer signed up is told; the series shows its exceptions; bad
// edits and strangers are refused. On both databases.
func TestEditingActivitiesThroughTheAPI(t *testing.T) {
	for _, pg := range []bool{false, true} {
		name := "sqlite"
		if pg {
			name = "postgres"
		}
		t.Run(name, func(t *testing.T) {
			// The demo's volunteer step does not yet run on PostgreSQL
			// (it fails on main too), so there the volunteer's record is
			// made here.
			s := server.Start(t, server.Options{Registry: !pg, Postgres: pg})
			if pg {
				seedVolunteer(t, s, "volunteer")
			}
			leader, vol := s.Login(t, "leader"), s.Login(t, "volunteer")
			st, b := s.Do(t, "POST", "/api/v1/activities", leader, map[string]any{"title": "智能手机课", "team_id": 1, "capacity": 5,
				"start": "2026-12-07T14:30", "end": "2026-12-07T16:00", "rrule": "FREQ=WEEKLY;BYDAY=MO"})
			if st != 201 {
				t.Fatalf("plan: %d %s", st, b)
			}
			var created struct{ ID int64 }
			json.Unmarshal(b, &created)
			act := created.ID
			q := url.Values{"from": {"2026-12-01T00:00:00+08:00"}, "to": {"2027-01-01T00:00:00+08:00"}, "team": {"1"}}
			var list struct{ Items []activities.Occurrence }
			// Only this series' dates (and, later, its split-off's): the
			// demo's children's series meets in every month too.
			ours := func(ids ...int64) {
				var keep []activities.Occurrence
				for _, o := range list.Items {
					if slices.Contains(ids, o.ActivityID) {
						keep = append(keep, o)
					}
				}
				list.Items = keep
			}
			_, b = s.Do(t, "GET", "/api/v1/activities?"+q.Encode(), vol, nil)
			if json.Unmarshal(b, &list) != nil {
				t.Fatalf("December's Mondays: %s", b)
			}
			if ours(act); len(list.Items) != 4 {
				t.Fatalf("December's Mondays: %s", b)
			}
			dates := slices.Clone(list.Items) // list is decoded into again below
			for _, o := range dates[1:3] {
				if st, b := s.Do(t, "POST", fmt.Sprintf("/api/v1/occurrences/%d/signup", o.ID), vol, nil); st != 201 {
					t.Fatalf("sign up: %d %s", st, b)
				}
			}

			// Move the second Monday to Tuesday.
			path := fmt.Sprintf("/api/v1/occurrences/%d", dates[1].ID)
			st, b = s.Do(t, "PATCH", path, leader, map[string]any{"start": "2026-12-15T14:30"})
			var moved activities.Occurrence
			if st != 200 || json.Unmarshal(b, &moved) != nil || moved.Start.Format("2006-01-02T15:04-07:00") != "2026-12-15T14:30+08:00" || moved.Signed != 1 {
				t.Fatalf("move: %d %s", st, b)
			}
			for _, c := range []struct {
				body  map[string]any
				token string
				want  int
				field string
			}{
				{map[string]any{"capacity": 0}, leader, 422, `"capacity"`},
				{map[string]any{"start": "2026-12-15T14:30", "end": "2026-12-15T13:00"}, leader, 422, `"end"`},
				{map[string]any{"rrule": "FREQ=DAILY"}, leader, 422, `"rrule"`},
				{map[string]any{"title": "x"}, vol, 403, ""},
			} {
				if st, b := s.Do(t, "PATCH", path, c.token, c.body); st != c.want || !strings.Contains(string(b), c.field) {
					t.Errorf("%v: %d %s, want %d", c.body, st, b, c.want)
				}
			}
			if st, _ := s.Do(t, "PATCH", "/api/v1/occurrences/999999", leader, map[string]any{"title": "x"}); st != 404 {
				t.Errorf("no such date: %d", st)
			}

			// Skip the third Monday.
			skip := fmt.Sprintf("/api/v1/occurrences/%d/cancel-date", dates[2].ID)
			if st, _ := s.Do(t, "POST", skip, vol, nil); st != 403 {
				t.Errorf("a volunteer skips a date: %d", st)
			}
			if st, b := s.Do(t, "POST", skip, leader, nil); st != 204 {
				t.Fatalf("skip: %d %s", st, b)
			}
			if st, _ := s.Do(t, "POST", skip, leader, nil); st != 409 {
				t.Errorf("skip twice: %d", st)
			}

			// The series with its exceptions.
			st, b = s.Do(t, "GET", fmt.Sprintf("/api/v1/activities/%d", act), vol, nil)
			var series activities.Series
			if st != 200 || json.Unmarshal(b, &series) != nil || series.RRule != "FREQ=WEEKLY;BYDAY=MO" || len(series.Exceptions.Skipped) != 1 ||
				series.Exceptions.Skipped[0].Format("2006-01-02 15:04") != "2026-12-21 14:30" || len(series.Exceptions.Moved) != 1 ||
				series.Exceptions.Moved[0].OriginalStart.Format("01-02") != "12-14" || series.Exceptions.Moved[0].Start.Format("01-02") != "12-15" {
				t.Fatalf("series: %d %s", st, b)
			}
			if st, _ := s.Do(t, "GET", "/api/v1/activities/999999", vol, nil); st != 404 {
				t.Errorf("no such series: %d", st)
			}

			// The volunteer was told of both.
			_, b = s.Do(t, "GET", "/api/v1/notifications", vol, nil)
			if !strings.Contains(string(b), `"kind":"activity.changed"`) || !strings.Contains(string(b), `"kind":"activity.cancelled"`) {
				t.Errorf("the volunteer's notifications: %s", b)
			}

			// This and following, from the fourth Monday: a new series.
			edit := fmt.Sprintf("/api/v1/activities/%d?from=%d", act, dates[3].ID)
			if st, b := s.Do(t, "PATCH", edit, leader, map[string]any{"rrule": "FREQ=SOMETIMES"}); st != 422 || !strings.Contains(string(b), `"rrule"`) {
				t.Errorf("bad rule: %d %s", st, b)
			}
			if st, _ := s.Do(t, "PATCH", fmt.Sprintf("/api/v1/activities/%d?from=abc", act), leader, map[string]any{"title": "x"}); st != 400 {
				t.Errorf("from=abc: %d", st)
			}
			if st, _ := s.Do(t, "PATCH", edit, vol, map[string]any{"title": "x"}); st != 403 {
				t.Errorf("a volunteer edits the series: %d", st)
			}
			st, b = s.Do(t, "PATCH", edit, leader, map[string]any{"title": "老年人智能手机课", "start": "2026-12-28T15:00", "end": "2026-12-28T16:30"})
			if st != 200 || json.Unmarshal(b, &series) != nil || series.PreviousID != act || series.ID == act || series.Title != "老年人智能手机课" ||
				series.Start.Format("2006-01-02 15:04") != "2026-12-28 15:00" {
				t.Fatalf("this and following: %d %s", st, b)
			}
			_, b = s.Do(t, "GET", "/api/v1/activities?"+q.Encode(), vol, nil)
			json.Unmarshal(b, &list)
			if ours(act, series.ID); len(list.Items) != 4 || list.Items[3].ID != dates[3].ID || list.Items[3].ActivityID != series.ID || list.Items[0].Title != "智能手机课" {
				t.Errorf("after the split: %s", b)
			}
		})
	}
}

// seedVolunteer gives a demo login an adult volunteer record with
// general consent in team 1's community.
func seedVolunteer(t *testing.T, s *server.Server, username string) {
	t.Helper()
	ctx := context.Background()
	acc, err := s.Accounts.FindByUsername(ctx, username)
	if err != nil {
		t.Fatal(err)
	}
	var cid, vid int64
	if err := s.DB.QueryRow(ctx, `SELECT community_id FROM teams WHERE id = 1`).Scan(&cid); err != nil {
		t.Fatal(err)
	}
	now := s.Clock.Now()
	if err := s.DB.QueryRow(ctx, `INSERT INTO volunteers (community_id, number, name, birth_date, registered_via, registered_at, updated_at, account_id)
		VALUES (?, 'T-00001', '赵建国', '1970-05-01', 'worker', ?, ?, ?) RETURNING id`, cid, now, now, acc.ID).Scan(&vid); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB.Exec(ctx, `INSERT INTO consents (community_id, volunteer_id, kind, given_on, given_by, recorded_at) VALUES (?, ?, 'general', '2025-01-01', 'self', ?)`,
		cid, vid, now); err != nil {
		t.Fatal(err)
	}
}
