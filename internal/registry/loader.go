package registry

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/linli/linli/internal/db"
)

// Loader writes many buildings, households and residents inside one
// transaction, for the demo seed and imports. It caches the places it has
// made, so a sheet of 4,000 rows does not look up "平安小区" 4,000 times.
// It does no permission checks: its callers (the console, an import an
// admin started) have decided already, and write their own audit entry.
type Loader struct {
	s   *Service
	tx  *db.Tx
	cid int64
	now time.Time
	sl  sealer

	estates    map[string]int64
	buildings  map[string]int64
	units      map[string]int64
	households map[string]int64
}

// NewLoader starts loading into community cid on tx.
func (s *Service) NewLoader(tx *db.Tx, cid int64) *Loader {
	return &Loader{s: s, tx: tx, cid: cid, now: s.clock.Now(), sl: sealer{s.keys, cid},
		estates: map[string]int64{}, buildings: map[string]int64{}, units: map[string]int64{}, households: map[string]int64{}}
}

// Place names a building; its number is already normalised.
type Place struct {
	Estate, EstateAddress string
	Building              string
	BuildingAddress       string
	GridID                int64
	YearBuilt, Floors     int
}

func (l *Loader) id(ctx context.Context, query string, args ...any) (int64, error) {
	var id int64
	err := l.tx.QueryRow(ctx, query, args...).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, err
}

func nullInt(n int) any {
	if n == 0 {
		return nil
	}
	return n
}

func nullID(n int64) any {
	if n == 0 {
		return nil
	}
	return n
}

// Building returns the id of a building, creating its estate and itself
// when missing.
func (l *Loader) Building(ctx context.Context, p Place) (int64, error) {
	key := p.Estate + "/" + p.Building
	if id, ok := l.buildings[key]; ok {
		return id, nil
	}
	eid, ok := l.estates[p.Estate]
	if !ok {
		var err error
		if eid, err = l.id(ctx, `SELECT id FROM estates WHERE community_id = ? AND name = ?`, l.cid, p.Estate); err != nil {
			return 0, fmt.Errorf("registry: find estate: %w", err)
		}
		if eid == 0 {
			if err := l.tx.QueryRow(ctx, `INSERT INTO estates (community_id, name, address, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
				l.cid, p.Estate, p.EstateAddress, l.now).Scan(&eid); err != nil {
				return 0, fmt.Errorf("registry: create estate: %w", err)
			}
		}
		l.estates[p.Estate] = eid
	}
	bid, err := l.id(ctx, `SELECT id FROM buildings WHERE estate_id = ? AND number = ?`, eid, p.Building)
	if err != nil {
		return 0, fmt.Errorf("registry: find building: %w", err)
	}
	if bid == 0 {
		if err := l.tx.QueryRow(ctx, `INSERT INTO buildings (community_id, estate_id, grid_id, number, address, year_built, floors, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, l.cid, eid, nullID(p.GridID), p.Building, p.BuildingAddress,
			nullInt(p.YearBuilt), nullInt(p.Floors), l.now).Scan(&bid); err != nil {
			return 0, fmt.Errorf("registry: create building: %w", err)
		}
	}
	l.buildings[key] = bid
	return bid, nil
}

// Household returns the id of the household at building/unit/room,
// creating the unit and household when missing. phone, if given, is
// sealed onto a new household.
func (l *Loader) Household(ctx context.Context, buildingID int64, unit, room, phone string) (int64, error) {
	ukey := fmt.Sprint(buildingID, "/", unit)
	uid, ok := l.units[ukey]
	if !ok {
		var err error
		if uid, err = l.id(ctx, `SELECT id FROM units WHERE building_id = ? AND number = ?`, buildingID, unit); err != nil {
			return 0, fmt.Errorf("registry: find unit: %w", err)
		}
		if uid == 0 {
			if err := l.tx.QueryRow(ctx, `INSERT INTO units (community_id, building_id, number) VALUES (?, ?, ?) RETURNING id`,
				l.cid, buildingID, unit).Scan(&uid); err != nil {
				return 0, fmt.Errorf("registry: create unit: %w", err)
			}
		}
		l.units[ukey] = uid
	}
	hkey := fmt.Sprint(uid, "/", room)
	if id, ok := l.households[hkey]; ok {
		return id, nil
	}
	hid, err := l.id(ctx, `SELECT id FROM households WHERE unit_id = ? AND room = ?`, uid, room)
	if err != nil {
		return 0, fmt.Errorf("registry: find household: %w", err)
	}
	if hid == 0 {
		enc, err := l.sl.seal("household_phone", phone)
		if err != nil {
			return 0, err
		}
		if err := l.tx.QueryRow(ctx, `INSERT INTO households (community_id, unit_id, room, phone_enc, phone_bidx, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, l.cid, uid, room, enc, l.sl.bidx("phone", phone), l.now, l.now).Scan(&hid); err != nil {
			return 0, fmt.Errorf("registry: create household: %w", err)
		}
	}
	l.households[hkey] = hid
	return hid, nil
}

// Resident validates and writes one resident into a household: a new row,
// or — when the ID number (or else the name and birth date in that
// household) matches a resident already there — an update of that row.
// It returns the id and whether the row was new. Validation errors are
// returned as they are, for the caller's row report.
func (l *Loader) Resident(ctx context.Context, in Input, movedIn time.Time) (int64, bool, error) {
	p, err := prepare(l.sl, in, l.now)
	if err != nil {
		return 0, false, err
	}
	return l.write(ctx, p, in.HouseholdID, movedIn)
}

// prepared is a resident validated and sealed, ready to write: imports
// prepare every row before they open the write transaction, so the
// transaction does lookups and writes only.
type prepared struct {
	c    clean
	cols map[string]any
	tags []string // blind tokens of c.in.Tags; set by prepareRows only
}

func prepare(sl sealer, in Input, now time.Time) (prepared, error) {
	if in.HouseholdID == 0 {
		in.HouseholdID = 1 // placed when written; validate wants one
	}
	c, err := validate(in, now)
	if err != nil {
		return prepared{}, err
	}
	cols, err := c.columns(sl)
	if err != nil {
		return prepared{}, err
	}
	return prepared{c: c, cols: cols}, nil
}

// write stores a prepared resident in household hid.
func (l *Loader) write(ctx context.Context, p prepared, hid int64, movedIn time.Time) (int64, bool, error) {
	c, cols := p.c, make(map[string]any, len(p.cols))
	for k, v := range p.cols {
		cols[k] = v
	}
	c.in.HouseholdID, cols["household_id"] = hid, hid
	var err error
	var existing int64
	if c.in.IDNumber != "" {
		existing, err = l.id(ctx, `SELECT id FROM residents WHERE community_id = ? AND id_bidx = ?`, l.cid, cols["id_bidx"])
		if err == nil && existing == 0 {
			// The ID number may be new for a person already recorded
			// without one: the same name in the same flat is them.
			existing, err = l.id(ctx, `SELECT min(id) FROM residents WHERE household_id = ? AND name_bidx = ? AND id_bidx IS NULL HAVING count(*) > 0`,
				c.in.HouseholdID, cols["name_bidx"])
		}
	} else {
		// Without an ID number, the same name in the same flat is the same
		// person (a child's birth date is sealed, so it cannot be compared
		// in SQL; two housemates rarely share a name).
		existing, err = l.id(ctx, `SELECT min(id) FROM residents WHERE household_id = ? AND name_bidx = ? AND id_bidx IS NULL HAVING count(*) > 0`,
			c.in.HouseholdID, cols["name_bidx"])
	}
	if err != nil {
		return 0, false, fmt.Errorf("registry: match resident: %w", err)
	}
	if movedIn.IsZero() {
		movedIn = l.now
	}
	created := existing == 0
	if !created {
		var from int64
		if err := l.tx.QueryRow(ctx, `SELECT household_id FROM residents WHERE id = ?`, existing).Scan(&from); err != nil {
			return 0, false, fmt.Errorf("registry: current household: %w", err)
		}
		if from != c.in.HouseholdID {
			// A sheet that places someone elsewhere records the move.
			if _, err := l.tx.Exec(ctx, `INSERT INTO resident_moves (community_id, resident_id, kind, from_household_id, to_household_id, at)
				VALUES (?, ?, 'move', ?, ?, ?)`, l.cid, existing, from, c.in.HouseholdID, l.now); err != nil {
				return 0, false, fmt.Errorf("registry: move: %w", err)
			}
			if _, err := l.tx.Exec(ctx, `UPDATE households SET head_resident_id = NULL WHERE head_resident_id = ?`, existing); err != nil {
				return 0, false, fmt.Errorf("registry: clear head: %w", err)
			}
		}
		var sets []string
		var args []any
		for _, k := range columnOrder {
			sets, args = append(sets, k+" = ?"), append(args, cols[k])
		}
		if _, err := l.tx.Exec(ctx, `UPDATE residents SET `+strings.Join(sets, ", ")+`, updated_at = ? WHERE id = ?`,
			append(args, l.now, existing)...); err != nil {
			return 0, false, fmt.Errorf("registry: update resident: %w", err)
		}
	} else {
		args := []any{l.cid}
		for _, k := range columnOrder {
			args = append(args, cols[k])
		}
		args = append(args, movedIn.UTC(), l.now, l.now)
		if err := l.tx.QueryRow(ctx, `INSERT INTO residents (community_id, `+strings.Join(columnOrder, ", ")+`, moved_in_at, created_at, updated_at)
			VALUES (?`+strings.Repeat(", ?", len(columnOrder)+3)+`) RETURNING id`, args...).Scan(&existing); err != nil {
			return 0, false, fmt.Errorf("registry: insert resident: %w", err)
		}
		if _, err := l.tx.Exec(ctx, `INSERT INTO resident_moves (community_id, resident_id, kind, to_household_id, at) VALUES (?, ?, 'in', ?, ?)`,
			l.cid, existing, c.in.HouseholdID, movedIn.UTC()); err != nil {
			return 0, false, fmt.Errorf("registry: move in: %w", err)
		}
	}
	if err := writeTags(ctx, l.tx, l.sl, existing, c.in.Tags); err != nil {
		return 0, false, err
	}
	if c.in.Relation == "户主" {
		if _, err := l.tx.Exec(ctx, `UPDATE households SET head_resident_id = ? WHERE id = ?`, existing, c.in.HouseholdID); err != nil {
			return 0, false, fmt.Errorf("registry: set head: %w", err)
		}
	}
	return existing, created, nil
}
