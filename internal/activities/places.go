package activities

// The community's managed places (社区活动室, 建胜路小学, ...) and the rule
// between an activity and its place: an activity takes no more people
// than its place holds, and a retired place is not chosen for anything
// new. Places are never deleted: past activities and their dates point
// to them. Lowering a place's capacity below what coming dates were
// planned for is allowed (the room is what it is), and the list shows
// those dates as over, for the office to move or shrink them.

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
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/db"
)

// MaxPlaceCapacity bounds a place's capacity, as an activity's is bounded.
const MaxPlaceCapacity = 10000

// Place is one of a community's managed places.
type Place struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Capacity int    `json:"capacity"` // 0: not limited
	Retired  bool   `json:"retired"`  // not offered for new activities
	// Coming counts the dates not started and not cancelled held there
	// (a date's own place, or else its series'); Over those of them
	// planned for more people than the place holds.
	Coming int `json:"coming"`
	Over   int `json:"over"`
}

// PlaceChange changes a place; nil fields stay as they are.
type PlaceChange struct {
	Name     *string `json:"name,omitempty"`
	Capacity *int    `json:"capacity,omitempty"`
	Retired  *bool   `json:"retired,omitempty"` // false brings a retired place back
}

// Places lists community cid's places open for new activities, for the
// planning form: everyone in the community.
func (s *Service) Places(ctx context.Context, actor *accounts.Principal, cid int64) ([]Place, error) {
	all, err := s.ListPlaces(ctx, actor, cid)
	if err != nil {
		return nil, err
	}
	out := []Place{}
	for _, p := range all {
		if !p.Retired {
			out = append(out, p)
		}
	}
	return out, nil
}

// placeCols reads a place with its use; the one argument is now.
const placeCols = `p.id, p.name, p.capacity, p.retired_at IS NOT NULL,
	(SELECT count(*) FROM occurrences o JOIN activities a ON a.id = o.activity_id
		WHERE COALESCE(o.place_id, a.place_id) = p.id AND NOT o.cancelled AND o.starts_at > ?),
	(SELECT count(*) FROM occurrences o JOIN activities a ON a.id = o.activity_id
		WHERE COALESCE(o.place_id, a.place_id) = p.id AND NOT o.cancelled AND o.starts_at > ? AND p.capacity > 0 AND o.capacity > p.capacity)`

func scanPlace(row interface{ Scan(...any) error }) (Place, error) {
	var p Place
	err := row.Scan(&p.ID, &p.Name, &p.Capacity, &p.Retired, &p.Coming, &p.Over)
	return p, err
}

// ListPlaces lists all of community cid's places, retired ones last, each
// with how many coming dates use it: everyone in the community.
func (s *Service) ListPlaces(ctx context.Context, actor *accounts.Principal, cid int64) ([]Place, error) {
	acc, err := s.vol.AccessOf(ctx, actor, cid)
	if err != nil {
		return nil, err
	}
	if !acc.Member {
		return nil, apperr.NotFoundErr()
	}
	now := s.clock.Now().UTC()
	rows, err := s.db.Query(ctx, `SELECT `+placeCols+` FROM places p WHERE p.community_id = ?
		ORDER BY p.retired_at IS NOT NULL, p.name`, now, now, cid)
	if err != nil {
		return nil, fmt.Errorf("activities: places: %w", err)
	}
	defer rows.Close()
	out := []Place{}
	for rows.Next() {
		p, err := scanPlace(rows)
		if err != nil {
			return nil, fmt.Errorf("activities: places: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// FindPlace reads place id of community cid: everyone in the community;
// another community's place is not found.
func (s *Service) FindPlace(ctx context.Context, actor *accounts.Principal, cid, id int64) (*Place, error) {
	acc, err := s.vol.AccessOf(ctx, actor, cid)
	if err != nil {
		return nil, err
	}
	if !acc.Member {
		return nil, apperr.NotFoundErr()
	}
	return s.place(ctx, s.db, cid, id)
}

func (s *Service) place(ctx context.Context, q db.Querier, cid, id int64) (*Place, error) {
	now := s.clock.Now().UTC()
	p, err := scanPlace(q.QueryRow(ctx, `SELECT `+placeCols+` FROM places p WHERE p.id = ? AND p.community_id = ?`, now, now, id, cid))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFoundErr()
	}
	if err != nil {
		return nil, fmt.Errorf("activities: place %d: %w", id, err)
	}
	return &p, nil
}

func validatePlace(name *string, capacity *int, v *apperr.Validation) {
	if name != nil {
		*name = strings.TrimSpace(*name)
		if n := utf8.RuneCountInString(*name); n == 0 || n > 40 {
			v.Add("name", "place.name.invalid", map[string]any{"max": 40})
		}
	}
	if capacity != nil && (*capacity < 0 || *capacity > MaxPlaceCapacity) {
		v.Add("capacity", "place.capacity.invalid", map[string]any{"max": MaxPlaceCapacity})
	}
}

func nameTaken(name string) error {
	return apperr.New(apperr.Conflict, "place.name.taken").Field("name", "place.name.taken", map[string]any{"name": name})
}

// CreatePlace adds a place to community cid: the office. Capacity 0 is
// not limited.
func (s *Service) CreatePlace(ctx context.Context, actor *accounts.Principal, cid int64, name string, capacity int) (*Place, error) {
	acc, err := s.vol.AccessOf(ctx, actor, cid)
	if err != nil {
		return nil, err
	}
	if err := acc.RequireOffice(); err != nil {
		return nil, err
	}
	var v apperr.Validation
	validatePlace(&name, &capacity, &v)
	if err := v.Err(); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	var p *Place
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, `INSERT INTO places (community_id, name, capacity, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
			cid, name, capacity, now).Scan(&id)
		if db.IsUniqueViolation(err) {
			return nameTaken(name)
		}
		if err != nil {
			return fmt.Errorf("activities: create place: %w", err)
		}
		e := actor.Audit(now, "place.create", cid)
		e.ObjectType, e.ObjectID, e.Detail = "place", fmt.Sprint(id), fmt.Sprintf("%s ×%d", name, capacity)
		if err := audit.Record(ctx, tx, e); err != nil {
			return err
		}
		p, err = s.place(ctx, tx, cid, id)
		return err
	})
	return p, err
}

// UpdatePlace renames place id of community cid, changes its capacity, or
// retires it (or brings it back): the office. A retired place stays on
// the activities and dates that use it; it is only not offered for new
// ones.
func (s *Service) UpdatePlace(ctx context.Context, actor *accounts.Principal, cid, id int64, c PlaceChange) (*Place, error) {
	acc, err := s.vol.AccessOf(ctx, actor, cid)
	if err != nil {
		return nil, err
	}
	if err := acc.RequireOffice(); err != nil {
		return nil, err
	}
	cur, err := s.place(ctx, s.db, cid, id)
	if err != nil {
		return nil, err
	}
	var v apperr.Validation
	validatePlace(c.Name, c.Capacity, &v)
	if err := v.Err(); err != nil {
		return nil, err
	}
	name, capacity, retired := cur.Name, cur.Capacity, cur.Retired
	var fields []string
	if c.Name != nil && *c.Name != name {
		name, fields = *c.Name, append(fields, "name")
	}
	if c.Capacity != nil && *c.Capacity != capacity {
		capacity, fields = *c.Capacity, append(fields, "capacity")
	}
	if c.Retired != nil && *c.Retired != retired {
		retired, fields = *c.Retired, append(fields, "retired")
	}
	if len(fields) == 0 {
		return cur, nil // nothing changed, nothing to audit
	}
	now := s.clock.Now()
	var retiredAt any
	if retired {
		retiredAt = now
	}
	var p *Place
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		q := `UPDATE places SET name = ?, capacity = ? WHERE id = ? AND community_id = ?`
		args := []any{name, capacity, id, cid}
		if c.Retired != nil && *c.Retired != cur.Retired {
			q = `UPDATE places SET name = ?, capacity = ?, retired_at = ? WHERE id = ? AND community_id = ?`
			args = []any{name, capacity, retiredAt, id, cid}
		}
		_, err := tx.Exec(ctx, q, args...)
		if db.IsUniqueViolation(err) {
			return nameTaken(name)
		}
		if err != nil {
			return fmt.Errorf("activities: update place: %w", err)
		}
		action := "place.update"
		switch {
		case retired && !cur.Retired:
			action = "place.retire"
		case !retired && cur.Retired:
			action = "place.restore"
		}
		e := actor.Audit(now, action, cid)
		e.ObjectType, e.ObjectID, e.Fields = "place", fmt.Sprint(id), fields
		e.Detail = fmt.Sprintf("%s ×%d", name, capacity)
		if err := audit.Record(ctx, tx, e); err != nil {
			return err
		}
		p, err = s.place(ctx, tx, cid, id)
		return err
	})
	return p, err
}

// checkPlace is the rule between an activity (or one date) and its
// place, adding to v: a place newly chosen must not be retired, and the
// capacity must not be above what the place holds (0: not limited).
// Problems already found with the place or the capacity are not repeated.
func (s *Service) checkPlace(ctx context.Context, cid, place int64, capacity int, chosen bool, v *apperr.Validation) error {
	if place == 0 || v.Has("place_id") {
		return nil
	}
	var name string
	var holds int
	var retired bool
	err := s.db.QueryRow(ctx, `SELECT name, capacity, retired_at IS NOT NULL FROM places WHERE id = ? AND community_id = ?`, place, cid).
		Scan(&name, &holds, &retired)
	if errors.Is(err, sql.ErrNoRows) {
		v.Add("place_id", "activity.place.unknown", nil)
		return nil
	}
	if err != nil {
		return fmt.Errorf("activities: check place: %w", err)
	}
	if chosen && retired {
		v.Add("place_id", "activity.place.retired", map[string]any{"place": name})
	}
	if holds > 0 && capacity > holds && !v.Has("capacity") {
		v.Add("capacity", "activity.capacity.place", map[string]any{"place": name, "max": holds})
	}
	return nil
}

// checkOccurrencePlace applies checkPlace to a change of date id ("this
// one"): its place after the change (its own, else its series') against
// its capacity after the change. Only a change of place or capacity is
// checked, so retitling a date whose place shrank since is not refused.
func (s *Service) checkOccurrencePlace(ctx context.Context, cid, id int64, c Change, v *apperr.Validation) error {
	if c.PlaceID == nil && c.Capacity == nil {
		return nil
	}
	var own, series sql.NullInt64
	var capacity int
	if err := s.db.QueryRow(ctx, `SELECT o.place_id, a.place_id, o.capacity FROM occurrences o JOIN activities a ON a.id = o.activity_id WHERE o.id = ?`, id).
		Scan(&own, &series, &capacity); err != nil {
		return fmt.Errorf("activities: check place of date %d: %w", id, err)
	}
	place := series.Int64
	if own.Valid {
		place = own.Int64
	}
	before := place
	if c.PlaceID != nil {
		place = series.Int64 // 0 goes back to the series' place
		if *c.PlaceID != 0 {
			place = *c.PlaceID
		}
	}
	if c.Capacity != nil {
		capacity = *c.Capacity
	}
	return s.checkPlace(ctx, cid, place, capacity, place != before, v)
}

// checkSeriesPlace applies checkPlace to a change of series old: the
// series' place and capacity after the change. Dates with a place of
// their own keep it and are checked when they are changed themselves.
func (s *Service) checkSeriesPlace(ctx context.Context, old *seriesRow, c Change, v *apperr.Validation) error {
	if c.PlaceID == nil && c.Capacity == nil {
		return nil
	}
	place, capacity := old.place.Int64, old.capacity
	if c.PlaceID != nil {
		place = *c.PlaceID
	}
	if c.Capacity != nil {
		capacity = *c.Capacity
	}
	return s.checkPlace(ctx, old.cid, place, capacity, place != old.place.Int64, v)
}

// checkDatePlaces is checkPlace for the dates of series old that a
// capacity change reaches and that are held at a place of their own (a
// date moved to the hall "this one"): the series' new capacity becomes
// theirs too, so a place of theirs that holds fewer refuses the edit,
// naming the first such date and its place. The dates reached are those
// from first (the date named, or the first not started) on; a date the
// edit's new rule would drop is checked all the same.
func (s *Service) checkDatePlaces(ctx context.Context, old *seriesRow, first time.Time, c Change, v *apperr.Validation) error {
	if c.Capacity == nil || v.Has("capacity") {
		return nil
	}
	var name string
	var holds int
	var start time.Time
	err := s.db.QueryRow(ctx, `SELECT p.name, p.capacity, o.starts_at FROM occurrences o JOIN places p ON p.id = o.place_id
		WHERE o.activity_id = ? AND o.original_start >= ? AND NOT o.cancelled AND p.capacity > 0 AND p.capacity < ?
		ORDER BY o.original_start LIMIT 1`, old.id, first.UTC(), *c.Capacity).Scan(&name, &holds, &start)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("activities: check the dates' places: %w", err)
	}
	v.Add("capacity", "activity.capacity.date_place", map[string]any{"place": name, "max": holds,
		"date": start.In(clock.Shanghai).Format("2006-01-02")})
	return nil
}
