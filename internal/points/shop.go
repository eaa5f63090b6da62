package points

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/audit"
	"github.com/linli/linli/internal/db"
)

// Item is a thing in the points shop.
type Item struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Cost        int    `json:"cost"`
	Stock       int    `json:"stock"`
	Active      bool   `json:"active"`
}

// Redemption is one exchange of points for an item.
type Redemption struct {
	ID          int64      `json:"id"`
	VolunteerID int64      `json:"volunteer_id"`
	ItemID      int64      `json:"item_id"`
	Item        string     `json:"item"`
	Quantity    int        `json:"quantity"`
	Points      int        `json:"points"`
	Status      string     `json:"status"` // redeemed, returned
	CreatedAt   time.Time  `json:"created_at"`
	ReturnedAt  *time.Time `json:"returned_at,omitempty"`
}

// Summary is a volunteer's points.
type Summary struct {
	VolunteerID int64        `json:"volunteer_id"`
	Balance     int          `json:"balance"`
	Earned      int          `json:"earned"`
	Spent       int          `json:"spent"`
	Expired     int          `json:"expired"`
	Redemptions []Redemption `json:"redemptions"`
}

// Items lists the shop, for anyone in the community.
func (s *Service) Items(ctx context.Context, actor *accounts.Principal, cid int64) ([]Item, error) {
	acc, err := s.vol.AccessOf(ctx, actor, cid)
	if err != nil {
		return nil, err
	}
	if !acc.Member {
		return nil, apperr.NotFoundErr()
	}
	rows, err := s.db.Query(ctx, `SELECT id, name, description, cost, stock, active FROM shop_items WHERE community_id = ? ORDER BY cost, id`, cid)
	if err != nil {
		return nil, fmt.Errorf("points: items: %w", err)
	}
	defer rows.Close()
	out := []Item{}
	for rows.Next() {
		var it Item
		if err := rows.Scan(&it.ID, &it.Name, &it.Description, &it.Cost, &it.Stock, &it.Active); err != nil {
			return nil, err
		}
		if it.Active || acc.Office {
			out = append(out, it)
		}
	}
	return out, rows.Err()
}

// SaveItem adds an item (id 0) or changes one: the office.
func (s *Service) SaveItem(ctx context.Context, actor *accounts.Principal, cid int64, it Item) (*Item, error) {
	acc, err := s.vol.AccessOf(ctx, actor, cid)
	if err != nil {
		return nil, err
	}
	if err := acc.RequireOffice(); err != nil {
		return nil, err
	}
	var v apperr.Validation
	it.Name = strings.TrimSpace(it.Name)
	if n := utf8.RuneCountInString(it.Name); n == 0 || n > 40 {
		v.Add("name", "points.item.name", nil)
	}
	if utf8.RuneCountInString(it.Description) > 200 {
		v.Add("description", "team.description.long", nil)
	}
	if it.Cost < 1 || it.Cost > 100000 {
		v.Add("cost", "points.item.cost", nil)
	}
	if it.Stock < 0 || it.Stock > 100000 {
		v.Add("stock", "points.item.stock", nil)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		if it.ID == 0 {
			err = tx.QueryRow(ctx, `INSERT INTO shop_items (community_id, name, description, cost, stock, active, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
				cid, it.Name, it.Description, it.Cost, it.Stock, it.Active, now).Scan(&it.ID)
		} else {
			var res sql.Result
			res, err = tx.Exec(ctx, `UPDATE shop_items SET name = ?, description = ?, cost = ?, stock = ?, active = ? WHERE id = ? AND community_id = ?`,
				it.Name, it.Description, it.Cost, it.Stock, it.Active, it.ID, cid)
			if err == nil {
				if n, _ := res.RowsAffected(); n == 0 {
					return apperr.NotFoundErr()
				}
			}
		}
		if db.IsUniqueViolation(err) {
			return apperr.New(apperr.Conflict, "points.item.exists")
		}
		if err != nil {
			return fmt.Errorf("points: save item: %w", err)
		}
		e := actor.Audit(now, "shop.item", cid)
		e.ObjectType, e.ObjectID, e.Detail = "shop_item", fmt.Sprint(it.ID), fmt.Sprintf("%s %d/%d", it.Name, it.Cost, it.Stock)
		return audit.Record(ctx, tx, e)
	})
	if err != nil {
		return nil, err
	}
	return &it, nil
}

// Redeem exchanges points of volunteer vid (0: the actor's own) for
// quantity of an item. The volunteer and their guardian may; the office
// for anyone (at the counter). Settles first, so the balance is current.
func (s *Service) Redeem(ctx context.Context, actor *accounts.Principal, cid, vid, itemID int64, quantity int) (*Redemption, error) {
	acc, err := s.vol.AccessOf(ctx, actor, cid)
	if err != nil {
		return nil, err
	}
	if !acc.Member {
		return nil, apperr.NotFoundErr()
	}
	if vid == 0 {
		me, err := s.vol.Mine(ctx, actor, cid)
		if err != nil {
			return nil, err
		}
		vid = me.ID
	}
	if !acc.Office && !contains(acc.Own, vid) {
		return nil, apperr.NotFoundErr()
	}
	if quantity < 1 || quantity > 20 {
		return nil, apperr.New(apperr.Invalid, "error.invalid").Field("quantity", "points.quantity", nil)
	}
	if err := s.Settle(ctx, cid, vid); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	var red Redemption
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var name string
		var cost int
		var active bool
		err := tx.QueryRow(ctx, `SELECT name, cost, active FROM shop_items WHERE id = ? AND community_id = ?`, itemID, cid).Scan(&name, &cost, &active)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && !active) {
			return apperr.NotFoundErr()
		}
		if err != nil {
			return fmt.Errorf("points: item: %w", err)
		}
		// Stock first: the conditional update is the lock on the last one.
		res, err := tx.Exec(ctx, `UPDATE shop_items SET stock = stock - ? WHERE id = ? AND stock >= ?`, quantity, itemID, quantity)
		if err != nil {
			return fmt.Errorf("points: stock: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.New(apperr.Conflict, "points.out_of_stock")
		}
		total := cost * quantity
		txn, err := post(ctx, tx, cid, "redeem", "", fmt.Sprintf("%s ×%d", name, quantity), actor.AccountID, now,
			entry{AccVolunteer, vid, -total}, entry{AccShop, 0, total})
		if err != nil {
			return err
		}
		red = Redemption{VolunteerID: vid, ItemID: itemID, Item: name, Quantity: quantity, Points: total, Status: "redeemed", CreatedAt: now.UTC()}
		if err := tx.QueryRow(ctx, `INSERT INTO redemptions (community_id, volunteer_id, item_id, quantity, points, txn, status, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, 'redeemed', ?, ?) RETURNING id`, cid, vid, itemID, quantity, total, txn, nullID(actor.AccountID), now).Scan(&red.ID); err != nil {
			return fmt.Errorf("points: redemption: %w", err)
		}
		e := actor.Audit(now, "shop.redeem", cid)
		e.ObjectType, e.ObjectID, e.Detail = "redemption", fmt.Sprint(red.ID), fmt.Sprintf("volunteer %d %s ×%d %d", vid, name, quantity, total)
		return audit.Record(ctx, tx, e)
	})
	if err != nil {
		return nil, err
	}
	return &red, nil
}

// Return undoes a redemption (an item brought back): the points go back
// to the volunteer and the stock to the shelf. The office only.
func (s *Service) Return(ctx context.Context, actor *accounts.Principal, id int64) (*Redemption, error) {
	var cid int64
	if err := s.db.QueryRow(ctx, `SELECT community_id FROM redemptions WHERE id = ?`, id).Scan(&cid); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, apperr.NotFoundErr()
		}
		return nil, fmt.Errorf("points: redemption: %w", err)
	}
	acc, err := s.vol.AccessOf(ctx, actor, cid)
	if err != nil {
		return nil, err
	}
	if err := acc.RequireOffice(); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	var red Redemption
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var status string
		err := tx.QueryRow(ctx, `SELECT r.volunteer_id, r.item_id, i.name, r.quantity, r.points, r.status, r.created_at FROM redemptions r
			JOIN shop_items i ON i.id = r.item_id WHERE r.id = ?`, id).Scan(&red.VolunteerID, &red.ItemID, &red.Item, &red.Quantity, &red.Points, &status, &red.CreatedAt)
		if err != nil {
			return fmt.Errorf("points: redemption: %w", err)
		}
		// Claim the return first: of two at once, one finds it redeemed.
		res, err := tx.Exec(ctx, `UPDATE redemptions SET status = 'returned', returned_at = ? WHERE id = ? AND status = 'redeemed'`, now, id)
		if err != nil {
			return fmt.Errorf("points: return: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.New(apperr.Conflict, "points.returned_already")
		}
		txn, err := post(ctx, tx, cid, "return", "", red.Item, actor.AccountID, now, entry{AccVolunteer, red.VolunteerID, red.Points}, entry{AccShop, 0, -red.Points})
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE redemptions SET return_txn = ? WHERE id = ?`, txn, id); err != nil {
			return fmt.Errorf("points: return: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE shop_items SET stock = stock + ? WHERE id = ?`, red.Quantity, red.ItemID); err != nil {
			return fmt.Errorf("points: restock: %w", err)
		}
		e := actor.Audit(now, "shop.return", cid)
		e.ObjectType, e.ObjectID = "redemption", fmt.Sprint(id)
		return audit.Record(ctx, tx, e)
	})
	if err != nil {
		return nil, err
	}
	red.ID, red.Status, red.CreatedAt = id, "returned", red.CreatedAt.UTC()
	t := now.UTC()
	red.ReturnedAt = &t
	return &red, nil
}

// SummaryOf returns volunteer vid's points (0: the actor's own), settled
// first: for the volunteer, their guardian and the office.
func (s *Service) SummaryOf(ctx context.Context, actor *accounts.Principal, cid, vid int64) (*Summary, error) {
	acc, err := s.vol.AccessOf(ctx, actor, cid)
	if err != nil {
		return nil, err
	}
	if !acc.Member {
		return nil, apperr.NotFoundErr()
	}
	if vid == 0 {
		me, err := s.vol.Mine(ctx, actor, cid)
		if err != nil {
			return nil, err
		}
		vid = me.ID
	}
	if !acc.Office && !contains(acc.Own, vid) {
		return nil, apperr.NotFoundErr()
	}
	if err := s.Settle(ctx, cid, vid); err != nil {
		return nil, err
	}
	sum := &Summary{VolunteerID: vid, Redemptions: []Redemption{}}
	if err := s.db.QueryRow(ctx, `SELECT COALESCE(SUM(CASE WHEN kind IN ('earn', 'unearn') THEN amount ELSE 0 END), 0),
		COALESCE(-SUM(CASE WHEN kind IN ('redeem', 'return') THEN amount ELSE 0 END), 0),
		COALESCE(-SUM(CASE WHEN kind = 'expire' THEN amount ELSE 0 END), 0)
		FROM point_entries WHERE volunteer_id = ? AND account = 'volunteer'`, vid).Scan(&sum.Earned, &sum.Spent, &sum.Expired); err != nil {
		return nil, fmt.Errorf("points: summary: %w", err)
	}
	if sum.Balance, err = balance(ctx, s.db, vid); err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT r.id, r.item_id, i.name, r.quantity, r.points, r.status, r.created_at, r.returned_at FROM redemptions r
		JOIN shop_items i ON i.id = r.item_id WHERE r.volunteer_id = ? ORDER BY r.created_at DESC, r.id DESC LIMIT 50`, vid)
	if err != nil {
		return nil, fmt.Errorf("points: redemptions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		r := Redemption{VolunteerID: vid}
		var back sql.NullTime
		if err := rows.Scan(&r.ID, &r.ItemID, &r.Item, &r.Quantity, &r.Points, &r.Status, &r.CreatedAt, &back); err != nil {
			return nil, err
		}
		r.CreatedAt = r.CreatedAt.UTC()
		if back.Valid {
			t := back.Time.UTC()
			r.ReturnedAt = &t
		}
		sum.Redemptions = append(sum.Redemptions, r)
	}
	return sum, rows.Err()
}

func contains(xs []int64, x int64) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// Recent lists the community's latest redemptions, for the office at the
// counter (to hand items over or take them back).
func (s *Service) Recent(ctx context.Context, actor *accounts.Principal, cid int64) ([]Redemption, error) {
	acc, err := s.vol.AccessOf(ctx, actor, cid)
	if err != nil {
		return nil, err
	}
	if err := acc.RequireOffice(); err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT r.id, r.volunteer_id, r.item_id, i.name, r.quantity, r.points, r.status, r.created_at FROM redemptions r
		JOIN shop_items i ON i.id = r.item_id WHERE r.community_id = ? ORDER BY r.created_at DESC, r.id DESC LIMIT 50`, cid)
	if err != nil {
		return nil, fmt.Errorf("points: recent: %w", err)
	}
	defer rows.Close()
	out := []Redemption{}
	for rows.Next() {
		var r Redemption
		if err := rows.Scan(&r.ID, &r.VolunteerID, &r.ItemID, &r.Item, &r.Quantity, &r.Points, &r.Status, &r.CreatedAt); err != nil {
			return nil, err
		}
		r.CreatedAt = r.CreatedAt.UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}

// RedeemTx exchanges points inside the caller's transaction, at time at,
// by nobody in particular (the demo seed). The rules are Redeem's; a
// failed exchange leaves the transaction usable (a savepoint-free check:
// balance and stock are read first).
func (s *Service) RedeemTx(ctx context.Context, tx *db.Tx, cid, vid, itemID int64, quantity int, at time.Time) error {
	var name string
	var cost, stock int
	if err := tx.QueryRow(ctx, `SELECT name, cost, stock FROM shop_items WHERE id = ? AND community_id = ?`, itemID, cid).Scan(&name, &cost, &stock); err != nil {
		return fmt.Errorf("points: item: %w", err)
	}
	bal, err := balance(ctx, tx, vid)
	if err != nil {
		return err
	}
	total := cost * quantity
	if stock < quantity || bal < total {
		return errInsufficient
	}
	if _, err := tx.Exec(ctx, `UPDATE shop_items SET stock = stock - ? WHERE id = ?`, quantity, itemID); err != nil {
		return fmt.Errorf("points: stock: %w", err)
	}
	txn, err := post(ctx, tx, cid, "redeem", "", fmt.Sprintf("%s ×%d", name, quantity), 0, at, entry{AccVolunteer, vid, -total}, entry{AccShop, 0, total})
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO redemptions (community_id, volunteer_id, item_id, quantity, points, txn, status, created_at)
		VALUES (?, ?, ?, ?, ?, ?, 'redeemed', ?)`, cid, vid, itemID, quantity, total, txn, at)
	if err != nil {
		return fmt.Errorf("points: redemption: %w", err)
	}
	return nil
}
