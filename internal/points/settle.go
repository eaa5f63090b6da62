package points

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/hours"
)

// Settle brings volunteer vid's points up to date with the hours ledger:
// it earns points for counted records not yet earned on, by the rules of
// the day, and takes back points of records reversed since. It runs
// before a balance is shown or spent, so points follow hours without a
// hook in the ledger; running it twice, or at once, earns nothing twice.
func (s *Service) Settle(ctx context.Context, cid, vid int64) error {
	err := s.db.InTx(ctx, func(tx *db.Tx) error { return s.SettleTx(ctx, tx, cid, vid) })
	if errors.Is(err, errDone) {
		return nil // a concurrent settlement wrote the same earnings
	}
	return err
}

// SettleTx is Settle inside the caller's transaction (the demo seed).
func (s *Service) SettleTx(ctx context.Context, tx *db.Tx, cid, vid int64) error {
	rules, err := s.RulesOf(ctx, tx, cid)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	type rec struct {
		id, team       int64
		minutes        int
		date, category string
		leader         bool
	}
	rows, err := tx.Query(ctx, `SELECT r.id, COALESCE(r.team_id, 0), r.minutes, r.service_date, r.category,
		EXISTS (SELECT 1 FROM team_members tm WHERE tm.team_id = r.team_id AND tm.volunteer_id = r.volunteer_id AND tm.role = 'leader'
			AND tm.joined_on <= r.service_date AND (tm.left_on IS NULL OR tm.left_on >= r.service_date))
		FROM service_records r WHERE r.volunteer_id = ? AND r.community_id = ? AND `+hours.Counted+`
		AND NOT EXISTS (SELECT 1 FROM point_entries e WHERE e.volunteer_id = r.volunteer_id AND e.kind = 'earn' AND e.ref = 'record:' || r.id)
		ORDER BY r.service_date, r.id`, vid, cid)
	if err != nil {
		return fmt.Errorf("points: unearned: %w", err)
	}
	var todo []rec
	for rows.Next() {
		var r rec
		if err := rows.Scan(&r.id, &r.team, &r.minutes, &r.date, &r.category, &r.leader); err != nil {
			rows.Close()
			return err
		}
		todo = append(todo, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	perDay := map[string]int{}
	for _, r := range todo {
		if _, ok := perDay[r.date]; !ok {
			var n int
			if err := tx.QueryRow(ctx, `SELECT COALESCE(SUM(amount), 0) FROM point_entries WHERE volunteer_id = ? AND kind = 'earn' AND account = ? AND note = ?`,
				vid, AccVolunteer, r.date).Scan(&n); err != nil {
				return fmt.Errorf("points: day: %w", err)
			}
			perDay[r.date] = n
		}
		p := r.minutes * rules.PerHour * rules.tier(r.category) / 6000
		if r.leader {
			p += rules.OrganiserBonus
		}
		p = max(0, min(p, rules.DailyCap-perDay[r.date]))
		perDay[r.date] += p
		// Written even when capped to 0, so the record is settled.
		if _, err := s.postZeroable(ctx, tx, cid, vid, "earn", fmt.Sprintf("record:%d", r.id), r.date, p, now); err != nil {
			return err
		}
	}
	// Records reversed after they earned: take the points back, as far
	// as the balance allows (points already spent stay spent).
	rows, err = tx.Query(ctx, `SELECT r.id, e.amount FROM service_records r
		JOIN point_entries e ON e.volunteer_id = r.volunteer_id AND e.kind = 'earn' AND e.account = 'volunteer' AND e.ref = 'record:' || r.id
		WHERE r.volunteer_id = ? AND r.community_id = ? AND EXISTS (SELECT 1 FROM service_records x WHERE x.reverses_id = r.id)
		AND NOT EXISTS (SELECT 1 FROM point_entries u WHERE u.volunteer_id = r.volunteer_id AND u.kind = 'unearn' AND u.ref = 'record:' || r.id)`, vid, cid)
	if err != nil {
		return fmt.Errorf("points: reversed: %w", err)
	}
	type back struct {
		id     int64
		amount int
	}
	var backs []back
	for rows.Next() {
		var b back
		if err := rows.Scan(&b.id, &b.amount); err != nil {
			rows.Close()
			return err
		}
		backs = append(backs, b)
	}
	rows.Close()
	for _, b := range backs {
		bal, err := balance(ctx, tx, vid)
		if err != nil {
			return err
		}
		take := min(b.amount, bal)
		note := ""
		if take < b.amount {
			note = fmt.Sprintf("short %d", b.amount-take)
		}
		if _, err := s.postZeroable(ctx, tx, cid, vid, "unearn", fmt.Sprintf("record:%d", b.id), note, -take, now); err != nil {
			return err
		}
	}
	if rules.ExpireYearly {
		return s.expireTx(ctx, tx, cid, vid, now)
	}
	return nil
}

// postZeroable posts amount to the volunteer against the issuance
// account; a zero amount still leaves a marker entry pair, so the record
// counts as settled.
func (s *Service) postZeroable(ctx context.Context, tx *db.Tx, cid, vid int64, kind, ref, note string, amount int, at time.Time) (string, error) {
	if amount != 0 {
		return post(ctx, tx, cid, kind, ref, note, 0, at, entry{AccVolunteer, vid, amount}, entry{AccIssuance, 0, -amount})
	}
	txn := newTxn()
	_, err := tx.Exec(ctx, `INSERT INTO point_entries (community_id, txn, account, volunteer_id, amount, kind, ref, note, created_at)
		VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?)`, cid, txn, AccVolunteer, vid, kind, ref, note, at)
	if db.IsUniqueViolation(err) {
		return "", errDone
	}
	if err != nil {
		return "", fmt.Errorf("points: marker: %w", err)
	}
	return txn, nil
}

// expireTx: points are good until the end of the year after they were
// earned. On or after 1 January of year Y, whatever part of the balance
// is more than what was earned in Y-1 and Y expires, once per year.
func (s *Service) expireTx(ctx context.Context, tx *db.Tx, cid, vid int64, now time.Time) error {
	year := now.In(clock.Shanghai).Year()
	ref := fmt.Sprintf("expire:%d", year)
	var done int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM point_entries WHERE volunteer_id = ? AND kind = 'expire' AND ref = ?`, vid, ref).Scan(&done); err != nil {
		return fmt.Errorf("points: expiry: %w", err)
	}
	if done > 0 {
		return nil
	}
	var recent int
	if err := tx.QueryRow(ctx, `SELECT COALESCE(SUM(amount), 0) FROM point_entries WHERE volunteer_id = ? AND account = 'volunteer' AND kind = 'earn' AND note >= ?`,
		vid, fmt.Sprintf("%d-01-01", year-1)).Scan(&recent); err != nil {
		return fmt.Errorf("points: expiry: %w", err)
	}
	bal, err := balance(ctx, tx, vid)
	if err != nil {
		return err
	}
	old := bal - recent
	if old <= 0 {
		_, err := s.postZeroable(ctx, tx, cid, vid, "expire", ref, "", 0, now)
		return err
	}
	_, err = post(ctx, tx, cid, "expire", ref, fmt.Sprintf("earned before %d", year-1), 0, now, entry{AccVolunteer, vid, -old}, entry{AccExpiry, 0, old})
	return err
}
