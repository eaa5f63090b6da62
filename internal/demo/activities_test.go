package demo_test

import (
	"context"
	"testing"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/demo"
	"github.com/linli/linli/internal/testkit/server"
)

// The demo's children's team meets on the last Saturday of every month
// from a year back and twelve months on; every past date has a roster
// where not everyone came, its hours posted from the check-ins and a
// story. The team's hours come from those rosters alone: every record of
// the team is linked to one of its occurrences, and the ledger holds
// exactly the credits the attendance gives.
func TestDemoChildrensTeamActivities(t *testing.T) {
	now := time.Date(2026, 11, 28, 9, 0, 0, 0, clock.Shanghai)
	s := server.Start(t, server.Options{Registry: true, Now: now})
	ctx := context.Background()
	cid := int64(1)
	leaderAcct, _ := s.Accounts.FindByUsername(ctx, "leader")
	leader := &accounts.Principal{AccountID: leaderAcct.ID, Username: leaderAcct.Username, Grants: leaderAcct.Grants}
	kids := leaderAcct.Grants[0].TeamID

	occ, err := s.Activities.Occurrences(ctx, leader, cid, now.AddDate(-1, 0, -1), now, kids)
	if err != nil {
		t.Fatal(err)
	}
	ahead, err := s.Activities.Occurrences(ctx, leader, cid, now, now.AddDate(1, 0, 1), kids)
	if err != nil {
		t.Fatal(err)
	}
	occ = append(occ, ahead...)
	var past, future []int64
	for _, o := range occ {
		if o.Title != demo.KidsSeriesTitle {
			continue
		}
		d := o.Start.In(clock.Shanghai)
		if d.Weekday() != time.Saturday || d.AddDate(0, 0, 7).Month() == d.Month() || d.Format("15:04") != "09:00" || o.Place != "社区活动室" {
			t.Errorf("not a last-Saturday morning in the activity room: %+v", o)
		}
		if o.End.Before(now) {
			past = append(past, o.ID)
		} else {
			future = append(future, o.ID)
		}
	}
	if len(past) != 12 || len(future) < 12 {
		t.Fatalf("%d past and %d coming dates", len(past), len(future))
	}
	credited := 0
	for _, id := range past {
		roster, err := s.Activities.Roster(ctx, leader, id)
		if err != nil {
			t.Fatal(err)
		}
		att, err := s.Activities.Attendance(ctx, leader, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(att) < 15 || len(att) >= len(roster) {
			t.Errorf("occurrence %d: %d signed up, %d came", id, len(roster), len(att))
		}
		for _, a := range att {
			if a.Out == nil {
				t.Errorf("occurrence %d: volunteer %d never checked out", id, a.VolunteerID)
			}
		}
		cr, err := s.Activities.Credits(ctx, leader, id, 15)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cr {
			credited += c.Minutes
		}
		var story int64
		var participants int
		if err := s.DB.QueryRow(ctx, `SELECT id FROM stories WHERE occurrence_id = ?`, id).Scan(&story); err != nil {
			t.Fatalf("occurrence %d has no story: %v", id, err)
		}
		st, err := s.Stories.Get(ctx, nil, story)
		if err != nil || st.Participants != len(att) || st.Summary == "" {
			t.Errorf("story of %d: %+v %v (participants %d)", id, st, err, participants)
		}
	}
	for _, id := range future {
		var n int
		s.DB.QueryRow(ctx, `SELECT count(*) FROM signups WHERE occurrence_id = ?`, id).Scan(&n)
		if n != 0 {
			t.Errorf("a coming date %d has %d sign-ups already", id, n)
		}
	}

	// The team's ledger: every record from a roster of its activities.
	var records, unlinked, minutes int
	if err := s.DB.QueryRow(ctx, `SELECT count(*), COALESCE(SUM(CASE WHEN r.captured <> 'checkin' OR r.serves_kind <> 'activity'
		OR NOT EXISTS (SELECT 1 FROM occurrences o JOIN activities a ON a.id = o.activity_id WHERE o.id = r.serves_id AND a.team_id = r.team_id)
		THEN 1 ELSE 0 END), 0), COALESCE(SUM(r.minutes), 0) FROM service_records r WHERE r.team_id = ?`, kids).Scan(&records, &unlinked, &minutes); err != nil {
		t.Fatal(err)
	}
	var seriesMinutes int
	s.DB.QueryRow(ctx, `SELECT COALESCE(SUM(r.minutes), 0) FROM service_records r JOIN occurrences o ON o.id = r.serves_id
		JOIN activities a ON a.id = o.activity_id WHERE r.team_id = ? AND a.title = ?`, kids, demo.KidsSeriesTitle).Scan(&seriesMinutes)
	if records < 200 || unlinked != 0 || seriesMinutes != credited || minutes != seriesMinutes {
		t.Errorf("children's team: %d records, %d not from a roster, %d min in the ledger, %d min from the series, %d credited",
			records, unlinked, minutes, seriesMinutes, credited)
	}
	// No team's day is counted twice: a day a team ran an activity has no
	// record of that team outside the activity.
	var twice int
	s.DB.QueryRow(ctx, `SELECT count(*) FROM service_records r JOIN occurrences o ON o.id = r.serves_id JOIN activities a ON a.id = o.activity_id
		WHERE EXISTS (SELECT 1 FROM service_records x WHERE x.team_id = a.team_id AND x.service_date = r.service_date AND x.serves_id IS NULL)`).Scan(&twice)
	if twice != 0 {
		t.Errorf("%d records of activities share their team's day with records from elsewhere", twice)
	}
	var rolled int
	s.DB.QueryRow(ctx, `SELECT COALESCE(SUM(minutes), 0) FROM hours_rollup WHERE team_id = ?`, kids).Scan(&rolled)
	if rolled != minutes {
		t.Errorf("rollup %d min, ledger %d min", rolled, minutes)
	}

	// The public page: the stories, with photos of children only when
	// every child in them has the guardian's photo consent.
	pub, total, err := s.Stories.List(ctx, nil, cid, 100, 0)
	if err != nil || total < 15 {
		t.Fatalf("public stories: %d %v", total, err)
	}
	publicPhotos := 0
	for _, st := range pub {
		for _, p := range st.Photos {
			publicPhotos++
			var without int
			s.DB.QueryRow(ctx, `SELECT count(*) FROM photo_people pp WHERE pp.photo_id = ? AND NOT EXISTS
				(SELECT 1 FROM consents c WHERE c.volunteer_id = pp.volunteer_id AND c.kind = 'photo' AND c.withdrawn_at IS NULL)`, p.ID).Scan(&without)
			if without != 0 || p.OfficeOnly || len(p.People) != 0 {
				t.Errorf("public photo %d: %d children without consent, %+v", p.ID, without, p)
			}
		}
	}
	var all, officeOnly int
	s.DB.QueryRow(ctx, `SELECT count(*) FROM story_photos`).Scan(&all)
	officeOnly = all - publicPhotos
	if publicPhotos == 0 || officeOnly == 0 {
		t.Errorf("%d photos public, %d for the office only", publicPhotos, officeOnly)
	}
}

// A demo database seeded before the activities step existed has the
// children's team's services straight in the ledger; when the step
// arrives it reverses those, so the rosters' hours are the only ones
// that count and the totals still agree with the rollup.
func TestDemoActivitiesOnAnOlderDatabase(t *testing.T) {
	now := time.Date(2026, 11, 28, 9, 0, 0, 0, clock.Shanghai)
	s := server.Start(t, server.Options{Registry: true, Now: now, Skip: []string{demo.ActivitiesStep}})
	ctx := context.Background()
	leaderAcct, _ := s.Accounts.FindByUsername(ctx, "leader")
	kids := leaderAcct.Grants[0].TeamID
	const counted = `(r.captured <> 'backfill' OR EXISTS (SELECT 1 FROM record_decisions d WHERE d.record_id = COALESCE(r.reverses_id, r.id) AND d.decision = 'confirm'))`
	sum := func(where string, args ...any) int {
		t.Helper()
		var n int
		if err := s.DB.QueryRow(ctx, `SELECT COALESCE(SUM(r.minutes), 0) FROM service_records r WHERE `+counted+` AND `+where, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	direct := sum(`r.team_id = ?`, kids)
	if direct == 0 {
		t.Fatal("the older seed recorded nothing for the children's team")
	}
	later := &demo.Seeder{DB: s.DB, Accounts: s.Accounts, Tenancy: s.Tenancy, Notify: s.Notify, Registry: s.Registry, Calendar: s.Calendar,
		Points: s.Points, Activities: s.Activities, Stories: s.Stories, Anchor: now, Seed: 1, Password: server.Password}
	if err := later.Run(ctx); err != nil {
		t.Fatal(err)
	}
	total, fromRosters := sum(`r.team_id = ?`, kids), sum(`r.team_id = ? AND r.serves_id IS NOT NULL`, kids)
	var rolled, ledger, all int
	s.DB.QueryRow(ctx, `SELECT COALESCE(SUM(minutes), 0) FROM hours_rollup WHERE team_id = ?`, kids).Scan(&rolled)
	s.DB.QueryRow(ctx, `SELECT COALESCE(SUM(minutes), 0) FROM hours_rollup`).Scan(&all)
	ledger = sum(`1 = 1`)
	if fromRosters == 0 || total != fromRosters || rolled != total || all != ledger {
		t.Errorf("children's team: %d min counted, %d from rosters (%d before), rollup %d; all: ledger %d, rollup %d",
			total, fromRosters, direct, rolled, ledger, all)
	}
}
