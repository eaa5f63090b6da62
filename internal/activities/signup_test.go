package activities_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/linli/linli/internal/activities"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/testkit/dbtest"
	"github.com/linli/linli/internal/testkit/fixture"
)

// A sign-up writes its place, its row and its audit entry together (on
// PostgreSQL in one statement), and a refused one writes none of them.
func TestSignUpWritesPlaceRowAndAuditTogether(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		w.series(t, activities.Input{Title: "旧物改造", OpenTo: "volunteers", Capacity: 2, Start: "2025-03-15T09:00", End: "2025-03-15T10:30"})
		occ, err := w.a.Occurrences(ctx, w.office, w.A.ID, fixture.Start, fixture.Start.AddDate(0, 1, 0), 0)
		if err != nil || len(occ) != 1 {
			t.Fatalf("occurrences: %v %v", occ, err)
		}
		id := occ[0].ID
		vols := w.volunteers(t, 3)
		state := func() (signed, rows, audits int) {
			t.Helper()
			if err := d.QueryRow(ctx, `SELECT signed, (SELECT count(*) FROM signups WHERE occurrence_id = o.id AND status <> 'cancelled'),
				(SELECT count(*) FROM audit_log WHERE action = 'activity.signup' AND object_id = ?) FROM occurrences o WHERE o.id = ?`,
				fmt.Sprint(id), id).Scan(&signed, &rows, &audits); err != nil {
				t.Fatal(err)
			}
			return
		}
		su, err := w.a.SignUp(ctx, w.office, id, vols[0])
		if err != nil || su.Status != activities.Signed || su.ID == 0 || su.VolunteerID != vols[0] {
			t.Fatalf("first sign-up: %+v %v", su, err)
		}
		if s, r, a := state(); s != 1 || r != 1 || a != 1 {
			t.Fatalf("after one sign-up: signed %d, rows %d, audit entries %d; want 1, 1, 1", s, r, a)
		}
		var detail string
		if err := d.QueryRow(ctx, `SELECT detail FROM audit_log WHERE action = 'activity.signup' AND object_id = ?`, fmt.Sprint(id)).Scan(&detail); err != nil ||
			detail != fmt.Sprintf("volunteer %d signed", vols[0]) {
			t.Fatalf("audit detail %q (%v)", detail, err)
		}
		// Twice: refused, and the place taken in the same statement is
		// given back with it.
		_, err = w.a.SignUp(ctx, w.office, id, vols[0])
		var ae *apperr.Error
		if !errors.As(err, &ae) || ae.Key != "activity.signed_already" {
			t.Fatalf("second sign-up of the same person: %v, want activity.signed_already", err)
		}
		if s, r, a := state(); s != 1 || r != 1 || a != 1 {
			t.Fatalf("after a refused sign-up: signed %d, rows %d, audit entries %d; want 1, 1, 1", s, r, a)
		}
		// The last place, then the waitlist.
		if su, err := w.a.SignUp(ctx, w.office, id, vols[1]); err != nil || su.Status != activities.Signed {
			t.Fatalf("second place: %+v %v", su, err)
		}
		if su, err := w.a.SignUp(ctx, w.office, id, vols[2]); err != nil || su.Status != activities.Waitlisted || su.Position != 1 {
			t.Fatalf("full: %+v %v, want waitlisted first", su, err)
		}
		if s, r, a := state(); s != 2 || r != 3 || a != 3 {
			t.Fatalf("after three: signed %d, rows %d, audit entries %d; want 2, 3, 3", s, r, a)
		}
	})
}

// The office of one community cannot sign up another community's
// volunteer, and learns nothing about them: not found, nothing written.
func TestSignUpAnotherCommunitysVolunteer(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		w.series(t, activities.Input{Title: "防溺水安全课", OpenTo: "volunteers", Capacity: 30, Start: "2025-03-15T09:00", End: "2025-03-15T10:30"})
		occ, err := w.a.Occurrences(ctx, w.office, w.A.ID, fixture.Start, fixture.Start.AddDate(0, 1, 0), 0)
		if err != nil || len(occ) != 1 {
			t.Fatalf("occurrences: %v %v", occ, err)
		}
		var other int64
		// A volunteer of community B, too old for nothing and with no
		// consent: any rule's answer would say they exist.
		if err := d.QueryRow(ctx, `INSERT INTO volunteers (community_id, number, name, birth_date, registered_via, registered_at, updated_at)
			VALUES (?, 'B-00001', '外社区', '1950-01-01', 'worker', ?, ?) RETURNING id`, w.B.ID, w.Clock.Now(), w.Clock.Now()).Scan(&other); err != nil {
			t.Fatal(err)
		}
		for _, actor := range []struct {
			name string
			p    *fixture.Person
		}{{"worker of A", &w.A.Worker}, {"admin of A", &w.A.Admin}} {
			_, err := w.a.SignUp(ctx, actor.p.Principal(), occ[0].ID, other)
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Code != apperr.NotFound {
				t.Fatalf("%s signs up B's volunteer: %v, want not found", actor.name, err)
			}
		}
		if n := fixture.Count(t, d, "signups"); n != 0 {
			t.Fatalf("%d sign-ups written", n)
		}
		var signed int
		d.QueryRow(ctx, `SELECT signed FROM occurrences WHERE id = ?`, occ[0].ID).Scan(&signed)
		if signed != 0 {
			t.Fatalf("occurrence counts %d signed", signed)
		}
	})
}
