package activities_test

import (
	"context"
	"testing"

	"github.com/linli/linli/internal/activities"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/i18n"
	"github.com/linli/linli/internal/testkit/dbtest"
)

// child inserts a volunteer of the given age in years (ten days past the
// birthday) with the general and the guardian's consent, straight into the
// tables, and, when team is not 0, as a member of that team: a member who
// joined before the team's range was set, so that the sign-up's own check
// is what is tested.
func (w *world) child(t *testing.T, number string, years int, team int64) int64 {
	t.Helper()
	ctx := context.Background()
	now := w.Clock.Now()
	birth := now.AddDate(-years, 0, -10).Format("2006-01-02")
	var id int64
	err := w.d.InTx(ctx, func(tx *db.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO volunteers (community_id, number, name, birth_date, registered_via, registered_at, updated_at)
			VALUES (?, ?, ?, ?, 'worker', ?, ?) RETURNING id`, w.A.ID, number, "小志愿者"+number, birth, now, now).Scan(&id); err != nil {
			return err
		}
		for _, kind := range []string{"general", "guardian"} {
			if _, err := tx.Exec(ctx, `INSERT INTO consents (community_id, volunteer_id, kind, given_on, given_by, recorded_at) VALUES (?, ?, ?, '2025-01-01', 'guardian', ?)`,
				w.A.ID, id, kind, now); err != nil {
				return err
			}
		}
		if team != 0 {
			_, err := tx.Exec(ctx, `INSERT INTO team_members (community_id, team_id, volunteer_id, joined_on, created_at) VALUES (?, ?, ?, '2025-01-01', ?)`,
				w.A.ID, team, id, now)
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// The children's team takes 5 to 14 (the volunteer matrix's age rules). A
// 4-year-old signed into the team's activity is refused with a message in
// the user's language and no row is written: a team-only activity without
// ages of its own applies the team's range, one open to all volunteers
// (the parents who help) the community's minimum of 6. The team's range
// also lets its 5-year-olds in, keeps its 15-year-olds out of the team's
// own dates, and an activity's own range still comes first.
func TestChildrensTeamAgesAtSignUp(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		if _, err := d.Exec(ctx, `UPDATE teams SET min_age = 5, max_age = 14 WHERE id = ?`, w.A.TeamID); err != nil {
			t.Fatal(err)
		}
		start := w.Clock.Now().In(clock.Shanghai).AddDate(0, 0, 12).Format("2006-01-02")
		plan := func(openTo string, min *int) int64 {
			id := w.series(t, activities.Input{Title: "五彩益童心梦·" + openTo, TeamID: w.A.TeamID, OpenTo: openTo, Capacity: 40, MinAge: min,
				Start: start + "T09:00", End: start + "T11:30", Risks: "剪刀", Protection: "社工全程看护"})
			var occ int64
			if err := d.QueryRow(ctx, `SELECT id FROM occurrences WHERE activity_id = ?`, id).Scan(&occ); err != nil {
				t.Fatal(err)
			}
			return occ
		}
		teamOnly, forAll := plan("team", nil), plan("volunteers", nil)

		four := w.child(t, "C-4", 4, w.A.TeamID)
		for _, c := range []struct {
			name   string
			occ    int64
			zh, en string
		}{
			{"team only", teamOnly, "年龄4岁，不在可接收的年龄范围（5–14岁）内", "Aged 4: outside the ages taken (5 to 14)"},
			{"all volunteers", forAll, "年龄4岁，不在本队可接收的年龄范围（6岁起）内", "Aged 4: outside the ages this team takes (from 6)"},
		} {
			_, err := w.a.SignUp(ctx, w.office, c.occ, four)
			e := apperr.From(err)
			if err == nil || e.Code != apperr.Invalid {
				t.Fatalf("%s: a 4-year-old signed up: %v", c.name, err)
			}
			if zh, en := i18n.T("zh-CN", e.Key, e.Args), i18n.T("en", e.Key, e.Args); zh != c.zh || en != c.en {
				t.Errorf("%s: messages %q / %q", c.name, zh, en)
			}
			var n, signed, waiting int
			d.QueryRow(ctx, `SELECT count(*) FROM signups WHERE volunteer_id = ?`, four).Scan(&n)
			d.QueryRow(ctx, `SELECT signed, wait_seq FROM occurrences WHERE id = ?`, c.occ).Scan(&signed, &waiting)
			if n != 0 || signed != 0 || waiting != 0 {
				t.Errorf("%s: refused sign-up left %d rows, %d signed, %d waiting", c.name, n, signed, waiting)
			}
		}

		// The team's range, not the community's minimum of 6.
		five := w.child(t, "C-5", 5, w.A.TeamID)
		if s, err := w.a.SignUp(ctx, w.office, teamOnly, five); err != nil || s.Status != activities.Signed || !s.Accompanied {
			t.Errorf("5-year-old: %+v, %v", s, err)
		}
		fifteen := w.child(t, "C-15", 15, w.A.TeamID)
		if _, err := w.a.SignUp(ctx, w.office, teamOnly, fifteen); apperr.From(err).Key != "volunteer.age.outside_range" {
			t.Errorf("15-year-old at the team's own date: %v", err)
		}
		// An activity's own minimum wins over the team's.
		eight := 8
		own := plan("team", &eight)
		if _, err := w.a.SignUp(ctx, w.office, own, five); apperr.From(err).Key != "volunteer.age.outside_range" {
			t.Errorf("5-year-old at an activity from 8: %v", err)
		}
		var total int
		d.QueryRow(ctx, `SELECT count(*) FROM signups`).Scan(&total)
		if total != 1 {
			t.Errorf("%d sign-ups, want the 5-year-old's one", total)
		}
	})
}
