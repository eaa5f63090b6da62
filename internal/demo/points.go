package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/linli/linli/internal/db"
)

// PointsStep is the name of the step that opens the points shop.
const PointsStep = "2026-12-points"

// The shop's shelf: everyday things an old estate's residents want.
var shelf = []struct {
	name, desc  string
	cost, stock int
}{
	{"洗衣液一瓶", "2千克装", 30, 40}, {"鸡蛋一盒", "15枚", 40, 30}, {"毛巾两条", "纯棉", 50, 30},
	{"理发券", "社区能人先锋队理发，一次", 60, 20}, {"食用油一桶", "5升", 120, 15}, {"保温杯", "500毫升", 150, 10},
	{"电饭煲", "3升，志愿之星专享", 600, 2},
}

// pointsStep stocks the points shop, settles every volunteer's points
// from the year of records, and makes the exchanges a year would have.
func pointsStep(ctx context.Context, s *Seeder, tx *db.Tx) error {
	if s.Points == nil {
		return fmt.Errorf("demo: the points step needs the points service")
	}
	if err := s.ids(ctx, tx); err != nil {
		return err
	}
	cid := s.CommunityID
	now := s.Anchor.UTC()
	// The community's rules: 10 an hour, an emergency hour (the snow, a
	// burst heating pipe) counts half as much again.
	if _, err := tx.Exec(ctx, `INSERT INTO point_rules (community_id, per_hour, organiser_bonus, daily_cap, expire_yearly, tiers, updated_at)
		VALUES (?, 10, 5, 50, ?, '{"emergency":150}', ?)`, cid, false, now); err != nil {
		return fmt.Errorf("demo: points rules: %w", err)
	}
	items := make([]int64, len(shelf))
	for i, it := range shelf {
		if err := tx.QueryRow(ctx, `INSERT INTO shop_items (community_id, name, description, cost, stock, active, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			cid, it.name, it.desc, it.cost, it.stock, true, now.AddDate(-1, 0, 0)).Scan(&items[i]); err != nil {
			return fmt.Errorf("demo: shop item: %w", err)
		}
	}
	rows, err := tx.Query(ctx, `SELECT id FROM volunteers WHERE community_id = ? ORDER BY id`, cid)
	if err != nil {
		return fmt.Errorf("demo: volunteers: %w", err)
	}
	var vids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		vids = append(vids, id)
	}
	rows.Close()
	for _, v := range vids {
		if err := s.Points.SettleTx(ctx, tx, cid, v); err != nil {
			return err
		}
	}
	// About a third exchanged something; most for everyday things.
	rnd := rand.New(rand.NewPCG(uint64(s.Seed), 20261203))
	for _, v := range vids {
		if rnd.IntN(3) != 0 {
			continue
		}
		i := rnd.IntN(4)
		if err := s.Points.RedeemTx(ctx, tx, cid, v, items[i], 1, now.Add(-time.Duration(rnd.IntN(60*24))*time.Hour)); err != nil {
			continue // not enough points, or sold out: as at a real counter
		}
	}
	return nil
}
