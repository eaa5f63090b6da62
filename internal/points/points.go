// Package points is the points ledger (积分) and the points shop (积分超市).
// Points are an incentive, never statutory hours: they live in their own
// double-entry ledger, earned from counted service records by the
// community's rules and spent on the shop's items.
//
// Every transaction is entries that sum to zero across accounts:
// "volunteer" (one per volunteer), "issuance" (where earned points come
// from), "shop" (where spent points go) and "expiry". A volunteer's
// balance is cached in point_balances in the same transaction; spending
// is a conditional update (balance >= cost), as is taking stock, so
// neither can go below zero however many redeem at once.
package points

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/audit"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/volunteers"
)

// Rules are a community's earning rules.
type Rules struct {
	PerHour        int  `json:"per_hour"`        // points per counted hour (pro rata by minute)
	OrganiserBonus int  `json:"organiser_bonus"` // extra per service for the team's leader
	DailyCap       int  `json:"daily_cap"`       // most points one person earns on one day
	ExpireYearly   bool `json:"expire_yearly"`   // points not spent by the end of the next year expire
	// Tiers weigh services by category, in percent of PerHour (志愿海南's
	// activity tiers): {"emergency": 150} makes an hour of snow-clearing
	// worth half as much again. A category not named is 100.
	Tiers map[string]int `json:"tiers,omitempty"`
}

// tier is the weight of a category, in percent.
func (r Rules) tier(category string) int {
	if t, ok := r.Tiers[category]; ok {
		return t
	}
	return 100
}

// DefaultRules: 1 hour = 10 points (the most common rate, research
// anchors-china.md §4.2), 5 for leading a service, at most 50 a day.
var DefaultRules = Rules{PerHour: 10, OrganiserBonus: 5, DailyCap: 50}

// Accounts of the ledger.
const (
	AccVolunteer = "volunteer"
	AccIssuance  = "issuance"
	AccShop      = "shop"
	AccExpiry    = "expiry"
)

// Service is the points domain.
type Service struct {
	db    *db.DB
	clock clock.Clock
	vol   *volunteers.Service
}

// New returns a Service.
func New(d *db.DB, c clock.Clock, vol *volunteers.Service) *Service {
	return &Service{db: d, clock: c, vol: vol}
}

func newTxn() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// entry is one line of a transaction.
type entry struct {
	account string
	vid     int64
	amount  int
}

// post writes a balanced transaction and moves the volunteer balances.
// A volunteer entry that would take a balance below zero fails with
// ErrInsufficient and the caller's transaction rolls back.
func post(ctx context.Context, tx *db.Tx, cid int64, kind, ref, note string, by int64, at time.Time, lines ...entry) (string, error) {
	sum := 0
	for _, l := range lines {
		sum += l.amount
	}
	if sum != 0 {
		return "", fmt.Errorf("points: unbalanced %s transaction (%d)", kind, sum)
	}
	txn := newTxn()
	for _, l := range lines {
		if l.amount == 0 {
			continue
		}
		if l.account == AccVolunteer {
			if err := move(ctx, tx, cid, l.vid, l.amount); err != nil {
				return "", err
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO point_entries (community_id, txn, account, volunteer_id, amount, kind, ref, note, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, cid, txn, l.account, nullID(l.vid), l.amount, kind, ref, note, nullID(by), at); err != nil {
			if db.IsUniqueViolation(err) {
				return "", errDone
			}
			return "", fmt.Errorf("points: entry: %w", err)
		}
	}
	return txn, nil
}

// errDone: this earning or expiry was written already (by a concurrent
// settlement); nothing to do.
var errDone = errors.New("points: already posted")

// ErrInsufficient is a spend larger than the balance.
var errInsufficient = apperr.New(apperr.Conflict, "points.insufficient")

// move changes a volunteer's cached balance; a decrease is conditional.
func move(ctx context.Context, tx *db.Tx, cid, vid int64, amount int) error {
	if amount < 0 {
		res, err := tx.Exec(ctx, `UPDATE point_balances SET balance = balance + ? WHERE volunteer_id = ? AND balance >= ?`, amount, vid, -amount)
		if err != nil {
			return fmt.Errorf("points: balance: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errInsufficient
		}
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO point_balances (community_id, volunteer_id, balance) VALUES (?, ?, ?)
		ON CONFLICT (volunteer_id) DO UPDATE SET balance = point_balances.balance + excluded.balance`, cid, vid, amount)
	if err != nil {
		return fmt.Errorf("points: balance: %w", err)
	}
	return nil
}

// balance reads a cached balance.
func balance(ctx context.Context, q db.Querier, vid int64) (int, error) {
	var b int
	err := q.QueryRow(ctx, `SELECT balance FROM point_balances WHERE volunteer_id = ?`, vid).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return b, err
}

// RulesOf returns community cid's rules, or the defaults.
func (s *Service) RulesOf(ctx context.Context, q db.Querier, cid int64) (Rules, error) {
	var r Rules
	var tiers string
	err := q.QueryRow(ctx, `SELECT per_hour, organiser_bonus, daily_cap, expire_yearly, tiers FROM point_rules WHERE community_id = ?`, cid).
		Scan(&r.PerHour, &r.OrganiserBonus, &r.DailyCap, &r.ExpireYearly, &tiers)
	if errors.Is(err, sql.ErrNoRows) {
		return DefaultRules, nil
	}
	if err != nil {
		return r, fmt.Errorf("points: rules: %w", err)
	}
	if tiers != "" {
		if err := json.Unmarshal([]byte(tiers), &r.Tiers); err != nil {
			return r, fmt.Errorf("points: tiers: %w", err)
		}
	}
	return r, nil
}

// SetRules changes a community's rules (the office). Points already
// earned stay as they were.
func (s *Service) SetRules(ctx context.Context, actor *accounts.Principal, cid int64, r Rules) error {
	acc, err := s.vol.AccessOf(ctx, actor, cid)
	if err != nil {
		return err
	}
	if err := acc.RequireOffice(); err != nil {
		return err
	}
	var v apperr.Validation
	if r.PerHour < 0 || r.PerHour > 1000 {
		v.Add("per_hour", "points.rule.range", nil)
	}
	if r.OrganiserBonus < 0 || r.OrganiserBonus > 1000 {
		v.Add("organiser_bonus", "points.rule.range", nil)
	}
	if r.DailyCap < 1 || r.DailyCap > 10000 {
		v.Add("daily_cap", "points.rule.range", nil)
	}
	for c, t := range r.Tiers {
		if !slices.Contains(volunteers.Categories, c) {
			v.Add("tiers", "volunteer.category.unknown", map[string]any{"category": c})
		} else if t < 0 || t > 500 {
			v.Add("tiers", "points.rule.tier", nil)
		}
	}
	tiers := ""
	if len(r.Tiers) > 0 {
		b, _ := json.Marshal(r.Tiers)
		tiers = string(b)
	}
	if err := v.Err(); err != nil {
		return err
	}
	now := s.clock.Now()
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO point_rules (community_id, per_hour, organiser_bonus, daily_cap, expire_yearly, tiers, updated_by, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (community_id) DO UPDATE SET per_hour = excluded.per_hour, organiser_bonus = excluded.organiser_bonus,
			daily_cap = excluded.daily_cap, expire_yearly = excluded.expire_yearly, tiers = excluded.tiers, updated_by = excluded.updated_by,
			updated_at = excluded.updated_at`,
			cid, r.PerHour, r.OrganiserBonus, r.DailyCap, r.ExpireYearly, tiers, nullID(actor.AccountID), now)
		if err != nil {
			return fmt.Errorf("points: set rules: %w", err)
		}
		e := actor.Audit(now, "points.rules", cid)
		e.ObjectType, e.ObjectID, e.Detail = "community", fmt.Sprint(cid), fmt.Sprintf("%+v", r)
		return audit.Record(ctx, tx, e)
	})
}
