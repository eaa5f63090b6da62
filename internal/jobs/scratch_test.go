package jobs

import (
	"context"
	"testing"
	"time"

	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/testkit/dbtest"
)

func TestScratch(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Now().UTC()
		var id int64
		var ra any
		err := d.QueryRow(ctx, `INSERT INTO jobs (kind, max_attempts, run_at, created_at, updated_at) VALUES ('k', 3, ?, ?, ?) RETURNING id, run_at`, now, now, now).Scan(&id, &ra)
		t.Logf("%v %T %v", err, ra, ra)
		var tt time.Time
		err = d.QueryRow(ctx, `UPDATE jobs SET attempts = attempts + 1 WHERE id = ? RETURNING run_at`, id).Scan(&tt)
		t.Logf("update returning time: %v %v", err, tt)
		_, err = d.Exec(ctx, `INSERT INTO streets (code, name, created_at) VALUES ('s','s',?)`, now)
		t.Log(err)
		_, err = d.Exec(ctx, `INSERT INTO communities (street_id, code, name, created_at) VALUES (1, 'c','c',?)`, now)
		t.Log(err)
		_, err = d.Exec(ctx, `INSERT INTO calendar_days (community_id, day, kind, created_at) VALUES (1, ?, 'holiday', ?)`, "2025-10-01", now)
		t.Log(err)
		var s string
		err = d.QueryRow(ctx, `SELECT day FROM calendar_days WHERE day >= ? AND day < ?`, "2025-09-01", "2025-10-02").Scan(&s)
		t.Logf("%v %q", err, s)
		var x any
		err = d.QueryRow(ctx, `SELECT CAST(day AS TEXT) FROM calendar_days`).Scan(&x)
		t.Logf("%v %T %v", err, x, x)
	})
}
