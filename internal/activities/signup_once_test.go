package activities_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/activities"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/testkit/dbtest"
)

// On PostgreSQL a sign-up reads and writes in one statement, with the
// age, consent, membership and date rules written again in SQL
// (volunteers.AdmitSQL). That copy must never admit anyone the rules in Go
// refuse, and for everyone whose birth date is kept in the clear it must
// admit exactly whom they admit. This walks a matrix of actors, dates and
// volunteers built to sit on every rule's edge, and compares the two; the
// refusals then go through SignUp itself, which must give the Go path's
// reason and write nothing.
func TestAdmitSQLAgreesWithDecide(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		if d.Dialect() != db.Postgres {
			t.Skip("the one-statement sign-up is PostgreSQL's")
		}
		w := setup(t, d)
		ctx := context.Background()
		now := w.Clock.Now()
		if _, err := d.Exec(ctx, `UPDATE teams SET min_age = 5, max_age = 14 WHERE id = ?`, w.A.TeamID); err != nil {
			t.Fatal(err)
		}
		day := func(days int) string { return now.In(clock.Shanghai).AddDate(0, 0, days).Format("2006-01-02") }
		first := func(in activities.Input) int64 {
			id := w.series(t, in)
			var occ int64
			if err := d.QueryRow(ctx, `SELECT id FROM occurrences WHERE activity_id = ? ORDER BY starts_at LIMIT 1`, id).Scan(&occ); err != nil {
				t.Fatal(err)
			}
			return occ
		}
		plan := func(title, openTo string, days int, min, max *int, deadline int) int64 {
			return first(activities.Input{Title: title, TeamID: w.A.TeamID, OpenTo: openTo, Capacity: 100, MinAge: min, MaxAge: max, DeadlineHours: deadline,
				Start: day(days) + "T09:00", End: day(days) + "T11:00", Risks: "无", Protection: "社工看护"})
		}
		eight, sixty := 8, 60
		dates := map[string]int64{
			"open":      plan("全体志愿者", "volunteers", 10, nil, nil, 0),
			"team":      plan("五彩益童心梦", "team", 10, nil, nil, 0),
			"8-60":      plan("健步走", "volunteers", 10, &eight, &sixty, 0),
			"deadline":  plan("报名已截止", "volunteers", 1, nil, nil, 48),
			"cancelled": plan("已取消", "volunteers", 10, nil, nil, 0),
			"started":   plan("今天", "volunteers", 0, nil, nil, 0),
		}
		if err := w.a.SkipDate(ctx, w.office, dates["cancelled"]); err != nil {
			t.Fatal(err)
		}
		// "started" began at 09:00 of the fixture's today; make sure it has.
		if _, err := d.Exec(ctx, `UPDATE occurrences SET starts_at = ? WHERE id = ?`, now.Add(-1), dates["started"]); err != nil {
			t.Fatal(err)
		}

		// Volunteers on the edges: ages around the team's 5-14, the 8-60
		// range and the consent age of 18; birthdays on the date and the day after;
		// no consent, no guardian's consent, inactive, a date that is not
		// one, another community's.
		type vol struct {
			birth              string
			general, guardian  bool
			member, inactive   bool
			account, community int64
		}
		years := func(n, days int) string { return now.In(clock.Shanghai).AddDate(-n, 0, days).Format("2006-01-02") }
		vols := map[string]vol{}
		for _, n := range []int{4, 5, 6, 7, 8, 14, 15, 17, 18, 60, 61} {
			vols[fmt.Sprintf("age %d", n)] = vol{birth: years(n, -10), general: true, guardian: n < 18, member: true}
			// Most dates are ten days ahead: a birthday on the date, and one
			// the day after it (a year younger on the day).
			vols[fmt.Sprintf("age %d on the date", n)] = vol{birth: years(n, 10), general: true, guardian: n < 18, member: true}
			vols[fmt.Sprintf("age %d the day after", n)] = vol{birth: years(n, 11), general: true, guardian: n < 18, member: true}
		}
		vols["adult, not a member"] = vol{birth: "1980-05-01", general: true}
		vols["no consent"] = vol{birth: "1980-05-01", member: true}
		vols["child, no guardian's consent"] = vol{birth: years(9, -10), general: true, member: true}
		vols["16, no guardian's consent"] = vol{birth: years(16, -10), general: true}
		vols["inactive"] = vol{birth: "1980-05-01", general: true, member: true, inactive: true}
		vols["30 February"] = vol{birth: "2015-02-30", general: true, guardian: true, member: true}
		vols["no birth date"] = vol{general: true, member: true}
		vols["the volunteer's own"] = vol{birth: "1990-03-03", general: true, account: w.A.Volunteer.Account.ID}
		vols["community B's"] = vol{birth: "1980-05-01", general: true, community: w.B.ID}
		ids := map[string]int64{}
		i := 0
		for name, v := range vols {
			i++
			cid := w.A.ID
			if v.community != 0 {
				cid = v.community
			}
			status := "active"
			if v.inactive {
				status = "inactive"
			}
			var birth, account any
			if v.birth != "" {
				birth = v.birth
			}
			if v.account != 0 {
				account = v.account
			}
			var id int64
			if err := d.QueryRow(ctx, `INSERT INTO volunteers (community_id, number, name, birth_date, status, account_id, registered_via, registered_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, 'worker', ?, ?) RETURNING id`, cid, fmt.Sprintf("E-%03d", i), name, birth, status, account, now, now).Scan(&id); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			for kind, has := range map[string]bool{"general": v.general, "guardian": v.guardian} {
				if has {
					if _, err := d.Exec(ctx, `INSERT INTO consents (community_id, volunteer_id, kind, given_on, given_by, recorded_at) VALUES (?, ?, ?, '2025-01-01', 'guardian', ?)`,
						cid, id, kind, now); err != nil {
						t.Fatal(err)
					}
				}
			}
			if v.member {
				if _, err := d.Exec(ctx, `INSERT INTO team_members (community_id, team_id, volunteer_id, joined_on, created_at) VALUES (?, ?, ?, '2025-01-01', ?)`,
					cid, w.A.TeamID, id, now); err != nil {
					t.Fatal(err)
				}
			}
			ids[name] = id
		}
		ids["(their own record)"] = 0

		actors := map[string]*accounts.Principal{
			"worker":         w.office,
			"volunteer":      w.A.Volunteer.Principal(),
			"grid worker":    w.A.Grid.Principal(),
			"B's worker":     w.B.Worker.Principal(),
			"street (none)":  w.Supervisor.Principal(),
			"resident":       w.A.Resident.Principal(),
			"admin":          w.A.Admin.Principal(),
			"leader (other)": w.A.Leader.Principal(),
		}
		var both, neither, oneWay int
		type refusal struct {
			actor     *accounts.Principal
			occ, vid  int64
			key, what string
		}
		var refusals []refusal
		var cases []activities.Job
		var atOnce []bool
		var whats []string
		for an, actor := range actors {
			for dn, occ := range dates {
				for vn, vid := range ids {
					what := fmt.Sprintf("%s signs up %s for %q", an, vn, dn)
					admitted, slow, ok, err := activities.AtOnce(ctx, w.a, actor, occ, vid)
					if err != nil {
						t.Fatalf("%s: %v", what, err)
					}
					if !ok {
						continue // not an actor the one statement is for
					}
					cases = append(cases, activities.Job{Actor: actor, Occ: occ, Vid: vid})
					atOnce, whats = append(atOnce, admitted), append(whats, what)
					switch {
					case admitted && slow != nil:
						t.Errorf("%s: the statement admits, the rules refuse (%v)", what, slow)
					case !admitted && slow == nil:
						t.Errorf("%s: the rules admit, the statement refuses", what)
						oneWay++
					case admitted:
						both++
					default:
						neither++
						refusals = append(refusals, refusal{actor, occ, vid, apperr.From(slow).Key, what})
					}
				}
			}
		}
		if both < 20 || neither < 100 {
			t.Fatalf("a matrix without both outcomes: %d admitted, %d refused", both, neither)
		}
		t.Logf("%d admitted and %d refused by both; %d admitted only by the rules", both, neither, oneWay)

		// The batch statement reads the same facts for many actors at once,
		// one row each, and must admit exactly whom the one-row statement
		// admits. Batches of 64, as the batcher takes them at most.
		for i := 0; i < len(cases); i += 64 {
			chunk := cases[i:min(i+64, len(cases))]
			got, err := activities.AdmittedInBatch(ctx, w.a, chunk)
			if err != nil {
				t.Fatal(err)
			}
			for k, admitted := range got {
				if admitted != atOnce[i+k] {
					t.Errorf("%s: in a batch admitted=%v, alone %v", whats[i+k], admitted, atOnce[i+k])
				}
			}
		}

		// Every refusal through SignUp: the rules' reason, nothing written.
		for _, r := range refusals {
			if _, err := w.a.SignUp(ctx, r.actor, r.occ, r.vid); apperr.From(err).Key != r.key {
				t.Errorf("%s: SignUp says %v, the rules %q", r.what, err, r.key)
			}
		}
		var rows, signed int
		d.QueryRow(ctx, `SELECT count(*) FROM signups`).Scan(&rows)
		d.QueryRow(ctx, `SELECT COALESCE(sum(signed), 0) FROM occurrences`).Scan(&signed)
		if rows != 0 || signed != 0 {
			t.Errorf("refusals wrote %d sign-ups, %d places", rows, signed)
		}
	})
}
