package demo_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/demo"
	"github.com/linli/linli/internal/registry"
	"github.com/linli/linli/internal/testkit/server"
	"github.com/linli/linli/internal/volunteers"
)

// The demo community has its real size, and seeding twice adds nothing.
func TestDemoCommunityAtRealSize(t *testing.T) {
	s := server.Start(t, server.Options{Registry: true, Now: time.Date(2026, 11, 28, 9, 0, 0, 0, clock.Shanghai)})
	ctx := context.Background()
	cs, err := s.Tenancy.Communities(ctx, 0)
	if err != nil || len(cs) != 1 || cs[0].Name != "建胜路社区" {
		t.Fatalf("communities: %v %v", cs, err)
	}
	st, err := s.Registry.Stats(ctx, accounts.Console("test"), cs[0].ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Households != 2250 || st.Residents < 3950 || st.Residents > 4250 || st.Children < 300 || st.Tags["独居老人"] < 80 {
		t.Fatalf("demo registry: %+v", st)
	}
	// The resident login lives in a household of the registry, as 陈秀英.
	acc, err := s.Accounts.FindByUsername(ctx, "resident")
	if err != nil || len(acc.Grants) != 1 {
		t.Fatal(err)
	}
	items, _, err := s.Registry.List(ctx, accounts.Console("test"), registry.Filter{CommunityID: cs[0].ID, HouseholdID: acc.Grants[0].HouseholdID})
	if err != nil || len(items) != 2 || items[0].Name != "陈秀英" || items[0].Relation != "户主" {
		t.Fatalf("resident's household: %+v %v", items, err)
	}
	var n int
	if err := s.DB.QueryRow(ctx, `SELECT count(*) FROM seed_steps`).Scan(&n); err != nil || n != len(demo.Steps) {
		t.Fatalf("%d seed steps recorded (%v)", n, err)
	}
	// A second start seeds nothing more.
	again := &demo.Seeder{DB: s.DB, Accounts: s.Accounts, Tenancy: s.Tenancy, Notify: s.Notify, Registry: s.Registry, Calendar: s.Calendar, Points: s.Points, Activities: s.Activities, Stories: s.Stories,
		Anchor: s.Clock.Now(), Seed: 1, Password: server.Password}
	if err := again.Run(ctx); err != nil || len(again.Created) != 0 {
		t.Fatalf("second run: %v, created %v", err, again.Created)
	}
	st2, _ := s.Registry.Stats(ctx, accounts.Console("test"), cs[0].ID, nil)
	if st2.Residents != st.Residents || st2.Households != st.Households {
		t.Fatalf("second run changed the registry: %+v", st2)
	}
}

// The demo's volunteer matrix is the article's: eleven teams with members,
// a children's team of about forty 5-14-year-olds each with a guardian's
// consent, at least 300 volunteers, many in more than one team, and the
// named logins in their places.
func TestDemoVolunteerMatrix(t *testing.T) {
	s := server.Start(t, server.Options{Registry: true, Now: time.Date(2026, 11, 28, 9, 0, 0, 0, clock.Shanghai)})
	ctx := context.Background()
	console := accounts.Console("test")
	cs, _ := s.Tenancy.Communities(ctx, 0)
	cid := cs[0].ID
	teams, err := s.Volunteers.Teams(ctx, console, cid)
	if err != nil || len(teams) != 11 {
		t.Fatalf("teams: %d %v", len(teams), err)
	}
	for _, tm := range teams {
		if tm.Members < 15 || len(tm.Leaders) != 1 || tm.Category == "" || tm.FoundedOn == "" {
			t.Errorf("team %s: %d members, leaders %v, category %q, founded %q", tm.Name, tm.Members, tm.Leaders, tm.Category, tm.FoundedOn)
		}
	}
	kids := teams[0]
	if kids.Name != "五彩益童心梦" || kids.Leaders[0] != "刘静" || *kids.MinAge != 5 || *kids.MaxAge != 14 || len(kids.Organisations) != 2 {
		t.Errorf("children's team: %+v", kids)
	}
	all, total, err := s.Volunteers.List(ctx, console, volunteers.Filter{CommunityID: cid, Limit: 500})
	if err != nil || total < 300 {
		t.Fatalf("volunteers: %d %v", total, err)
	}
	children, multi := 0, 0
	for _, v := range all {
		if len(v.Teams) > 1 {
			multi++
		}
		if v.Minor {
			children++
			if v.Age < 5 || v.Age > 14 || len(v.Teams) != 1 || v.Teams[0].Team != "五彩益童心梦" || v.Teams[0].Accompanied != (v.Age < 10) {
				t.Errorf("child %s (%d): %+v", v.Number, v.Age, v.Teams)
			}
			full, err := s.Volunteers.Get(ctx, console, v.ID)
			if err != nil || full.Guardian == nil || full.Guardian.Relation == "" {
				t.Errorf("child %s has no guardian: %+v %v", v.Number, full, err)
			}
		}
		if len(v.Teams) == 0 {
			t.Errorf("volunteer %s is in no team", v.Number)
		}
	}
	if children < 35 || children > 45 || multi < 30 {
		t.Errorf("%d children, %d in several teams", children, multi)
	}
	// The volunteer login is 赵建国, an electrician who leads the skilled team.
	vol, _ := s.Accounts.FindByUsername(ctx, "volunteer")
	p := &accounts.Principal{AccountID: vol.ID, Username: vol.Username, Grants: vol.Grants}
	me, err := s.Volunteers.Mine(ctx, p, cid)
	if err != nil || me.Name != "赵建国" || !slices.Contains(me.Skills, "家电维修") || len(me.Teams) != 2 {
		t.Errorf("volunteer login: %+v %v", me, err)
	}
	// The leader login sees her team's members and nobody else.
	lead, _ := s.Accounts.FindByUsername(ctx, "leader")
	lp := &accounts.Principal{AccountID: lead.ID, Username: lead.Username, Grants: lead.Grants}
	mine, n, err := s.Volunteers.List(ctx, lp, volunteers.Filter{CommunityID: cid, Limit: 100})
	if err != nil || n != kids.Members {
		t.Errorf("leader sees %d volunteers, her team has %d (%v)", n, kids.Members, err)
	}
	for _, v := range mine {
		if len(v.Teams) == 0 || !slices.ContainsFunc(v.Teams, func(r volunteers.TeamRole) bool { return r.Team == "五彩益童心梦" }) {
			t.Errorf("leader sees %s outside her team", v.Number)
		}
	}
}

// A year of service records: every team served, the ledger and its
// rollup agree, some back-fills wait for confirmation, the volunteer
// login has a year of repairs and a star.
func TestDemoYearOfRecords(t *testing.T) {
	s := server.Start(t, server.Options{Registry: true, Now: time.Date(2026, 11, 28, 9, 0, 0, 0, clock.Shanghai)})
	ctx := context.Background()
	console := accounts.Console("test")
	var ledger, rolled, pending, records int
	s.DB.QueryRow(ctx, `SELECT COALESCE(SUM(r.minutes), 0), count(*) FROM service_records r WHERE r.captured <> 'backfill'
		OR EXISTS (SELECT 1 FROM record_decisions d WHERE d.record_id = COALESCE(r.reverses_id, r.id) AND d.decision = 'confirm')`).Scan(&ledger, &records)
	s.DB.QueryRow(ctx, `SELECT COALESCE(SUM(minutes), 0) FROM hours_rollup`).Scan(&rolled)
	s.DB.QueryRow(ctx, `SELECT count(*) FROM service_records r WHERE r.captured = 'backfill' AND NOT EXISTS (SELECT 1 FROM record_decisions d WHERE d.record_id = r.id)`).Scan(&pending)
	if ledger != rolled || records < 2500 || pending == 0 {
		t.Fatalf("ledger %d min in %d records, rollup %d min, %d pending", ledger, records, rolled, pending)
	}
	m, err := s.Hours.Matrix(ctx, console, 1, "category", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range m.Rows {
		if r.YearHours < 100 || r.Activities < 10 {
			t.Errorf("team %s: %.1f hours, %d activities this year", r.Team, r.YearHours, r.Activities)
		}
	}
	vol, _ := s.Accounts.FindByUsername(ctx, "volunteer")
	p := &accounts.Principal{AccountID: vol.ID, Username: vol.Username, Grants: vol.Grants}
	me, err := s.Volunteers.Mine(ctx, p, 1)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := s.Hours.Summary(ctx, p, 1, me.ID)
	if err != nil || sum.YearHours < 80 || sum.Stars < 1 {
		t.Errorf("赵建国's hours: %+v %v", sum, err)
	}
	// Points were settled from the year of records, and spent at the shop.
	pts, err := s.Points.SummaryOf(ctx, p, 1, me.ID)
	if err != nil || pts.Earned < 500 || pts.Balance != pts.Earned-pts.Spent {
		t.Errorf("赵建国's points: %+v %v", pts, err)
	}
	var redemptions int
	s.DB.QueryRow(ctx, `SELECT count(*) FROM redemptions`).Scan(&redemptions)
	if redemptions < 30 {
		t.Errorf("%d exchanges at the shop in a year", redemptions)
	}
}

// The demo seeds on PostgreSQL whatever day it starts on. The random
// choices depend on the day, and on 2026-12-02 one volunteer was put on a
// team twice: a caught unique violation, harmless on SQLite, aborted the
// whole PostgreSQL transaction (`serve --demo --db postgres://…` failed).
func TestDemoSeedsOnPostgresOnAnyDay(t *testing.T) {
	for _, day := range []time.Time{
		time.Date(2026, 12, 2, 3, 49, 0, 0, clock.Shanghai), // the day it failed
	} {
		t.Run(day.Format(time.DateOnly), func(t *testing.T) {
			s := server.Start(t, server.Options{Postgres: true, Registry: true, Now: day})
			var n int
			if err := s.DB.QueryRow(context.Background(), `SELECT count(*) FROM seed_steps`).Scan(&n); err != nil || n != len(demo.Steps) {
				t.Fatalf("%d seed steps recorded (%v)", n, err)
			}
		})
	}
}
