package registry

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/audit"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/idcard"
)

// HouseholdFilter selects households for Households.
type HouseholdFilter struct {
	CommunityID   int64
	GridID        int64
	BuildingID    int64
	Query         string // part of the address: "3号楼", "301"
	Limit, Offset int
}

const householdColumns = `h.id, h.community_id, b.id, u.id, e.name, b.number, u.number, h.room, COALESCE(b.grid_id, 0), h.phone_enc,
	COALESCE(hr.name, ''), COALESCE(h.head_resident_id, 0),
	(SELECT count(*) FROM residents x WHERE x.household_id = h.id AND x.moved_out_at IS NULL)`

const householdJoins = ` FROM households h
	JOIN units u ON u.id = h.unit_id
	JOIN buildings b ON b.id = u.building_id
	JOIN estates e ON e.id = b.estate_id
	LEFT JOIN residents hr ON hr.id = h.head_resident_id`

// Households lists households in the actor's reach, phones masked.
func (s *Service) Households(ctx context.Context, actor *accounts.Principal, f HouseholdFilter) ([]Household, int, error) {
	cond, args, ok := householdScope(actor, f.CommunityID)
	if !ok {
		return nil, 0, apperr.NotFoundErr()
	}
	where := []string{cond}
	if f.GridID != 0 {
		where, args = append(where, "b.grid_id = ?"), append(args, f.GridID)
	}
	if f.BuildingID != 0 {
		where, args = append(where, "b.id = ?"), append(args, f.BuildingID)
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		addr := "e.name || b.number || '号楼' || u.number || '单元' || h.room"
		where, args = append(where, s.containsFunc()+addr+", ?)"), append(args, q)
	}
	w := " WHERE " + strings.Join(where, " AND ")
	var total int
	if err := s.db.QueryRow(ctx, `SELECT count(*)`+householdJoins+w, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("registry: count households: %w", err)
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	rows, err := s.db.Query(ctx, `SELECT `+householdColumns+householdJoins+w+` ORDER BY `+s.placeOrder()+`, h.id LIMIT ? OFFSET ?`,
		append(args, limit, f.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("registry: list households: %w", err)
	}
	defer rows.Close()
	var out []Household
	for rows.Next() {
		var h Household
		var phoneEnc string
		if err := rows.Scan(&h.ID, &h.CommunityID, &h.BuildingID, &h.UnitID, &h.Estate, &h.Building, &h.Unit, &h.Room,
			&h.GridID, &phoneEnc, &h.Head, &h.HeadID, &h.Size); err != nil {
			return nil, 0, fmt.Errorf("registry: scan household: %w", err)
		}
		h.Address = h.Estate + h.Building + "号楼" + h.Unit + "单元" + h.Room
		phone, err := sealer{s.keys, h.CommunityID}.open("household_phone", phoneEnc)
		if err != nil {
			return nil, 0, err
		}
		h.Phone = idcard.MaskPhone(phone)
		if !roleMay(actor, h.CommunityID, mustField("household_phone").See) {
			h.Phone = ""
		}
		if !roleMay(actor, h.CommunityID, mustField("name").See) {
			h.Head = ""
		}
		out = append(out, h)
	}
	return out, total, rows.Err()
}

// containsFunc is "does the first argument contain the second", written
// for each engine (instr in SQLite, strpos in PostgreSQL), with the
// opening parenthesis.
func (s *Service) containsFunc() string {
	if s.db.Dialect() == db.Postgres {
		return "0 < strpos("
	}
	return "0 < instr("
}

// Buildings lists the buildings of a community the actor may see rows
// of, with household and resident counts: the tree's first level.
func (s *Service) Buildings(ctx context.Context, actor *accounts.Principal, cid int64) ([]Building, error) {
	cond, args, ok := scope(actor, cid)
	if !ok {
		return nil, apperr.NotFoundErr()
	}
	// The scope is written for residents; buildings are visible when the
	// condition holds for the building itself.
	cond = strings.ReplaceAll(cond, "r.community_id", "b.community_id")
	rows, err := s.db.Query(ctx, `SELECT b.id, b.community_id, b.estate_id, e.name, COALESCE(b.grid_id, 0), b.number, b.address,
		COALESCE(b.year_built, 0), COALESCE(b.floors, 0),
		(SELECT count(*) FROM households h JOIN units u ON u.id = h.unit_id WHERE u.building_id = b.id),
		(SELECT count(*) FROM residents r JOIN households h ON h.id = r.household_id JOIN units u ON u.id = h.unit_id
			WHERE u.building_id = b.id AND r.moved_out_at IS NULL)
		FROM buildings b JOIN estates e ON e.id = b.estate_id WHERE `+cond+` ORDER BY e.name`+s.byteOrder()+`, length(b.number), b.number`+s.byteOrder()+`, b.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("registry: buildings: %w", err)
	}
	defer rows.Close()
	var out []Building
	for rows.Next() {
		var b Building
		if err := rows.Scan(&b.ID, &b.CommunityID, &b.EstateID, &b.Estate, &b.GridID, &b.Number, &b.Address, &b.YearBuilt,
			&b.Floors, &b.Households, &b.Residents); err != nil {
			return nil, fmt.Errorf("registry: scan building: %w", err)
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// Stats are the aggregates a street supervisor may see: counts, never rows.
type Stats struct {
	CommunityID int64          `json:"community_id"`
	Households  int            `json:"households"`
	Residents   int            `json:"residents"`
	Children    int            `json:"children"` // under 14
	Elderly     int            `json:"elderly"`  // 60 and over
	Tags        map[string]int `json:"tags"`
}

// Stats counts a community's registry, or the part of it the actor sees
// rows of: office staff and street supervisors of its street count the
// whole community, a grid worker their own grids.
func (s *Service) Stats(ctx context.Context, actor *accounts.Principal, cid int64, streetOf func(int64) int64) (*Stats, error) {
	cond, args, ok := scope(actor, cid)
	if !ok && actor != nil {
		for _, g := range actor.Grants {
			if g.Role == accounts.Street && streetOf != nil && g.StreetID != 0 && streetOf(cid) == g.StreetID {
				cond, args, ok = "r.community_id = ?", []any{cid}, true
			}
		}
	}
	if !ok {
		return nil, apperr.NotFoundErr()
	}
	st := &Stats{CommunityID: cid, Tags: map[string]int{}}
	now := s.clock.Now()
	elderlyBorn := now.AddDate(-60, 0, 0).Format("2006-01-02")
	hcond := strings.ReplaceAll(cond, "r.community_id", "h.community_id")
	current := residentJoins + ` WHERE ` + cond + ` AND r.moved_out_at IS NULL`
	q := `SELECT
		(SELECT count(*) FROM households h JOIN units u ON u.id = h.unit_id JOIN buildings b ON b.id = u.building_id WHERE ` + hcond + `),
		(SELECT count(*)` + current + `),
		(SELECT count(*)` + current + ` AND r.child = ?),
		(SELECT count(*)` + current + ` AND r.birth_date <= ?)`
	qargs := slices.Concat(args, args, args, []any{true}, args, []any{elderlyBorn})
	if err := s.db.QueryRow(ctx, q, qargs...).Scan(&st.Households, &st.Residents, &st.Children, &st.Elderly); err != nil {
		return nil, fmt.Errorf("registry: stats: %w", err)
	}
	names, err := s.Tags(ctx, cid)
	if err != nil {
		return nil, err
	}
	counts, err := s.tagCounts(ctx, cid, cond, args, names)
	if err != nil {
		return nil, err
	}
	for i, n := range names {
		st.Tags[n] = counts[i]
	}
	return st, nil
}

// tagCounts counts, for each tag name, the current residents carrying it
// among those the scope condition (over r, h, b) selects.
func (s *Service) tagCounts(ctx context.Context, cid int64, cond string, args []any, names []string) ([]int, error) {
	sl := sealer{s.keys, cid}
	out := make([]int, len(names))
	for i, n := range names {
		if err := s.db.QueryRow(ctx, `SELECT count(*) FROM resident_tags t JOIN residents r ON r.id = t.resident_id
			JOIN households h ON h.id = r.household_id JOIN units u ON u.id = h.unit_id JOIN buildings b ON b.id = u.building_id
			WHERE t.community_id = ? AND t.token = ? AND r.moved_out_at IS NULL AND `+cond,
			append([]any{cid, sl.tagToken(n)}, args...)...).Scan(&out[i]); err != nil {
			return nil, fmt.Errorf("registry: count tag: %w", err)
		}
	}
	return out, nil
}

// Tags lists a community's tag names, for forms and filters.
func (s *Service) Tags(ctx context.Context, cid int64) ([]string, error) {
	rows, err := s.db.Query(ctx, `SELECT name FROM tags WHERE community_id = ? ORDER BY id`, cid)
	if err != nil {
		return nil, fmt.Errorf("registry: tags: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// EnsureDefaultTags gives a community the default tag list (idempotent).
func EnsureDefaultTags(ctx context.Context, q db.Querier, cid int64, now time.Time) error {
	for _, t := range DefaultTags {
		var n int
		if err := q.QueryRow(ctx, `SELECT count(*) FROM tags WHERE community_id = ? AND name = ?`, cid, t.Name).Scan(&n); err != nil {
			return fmt.Errorf("registry: find tag: %w", err)
		}
		if n > 0 {
			continue
		}
		if _, err := q.Exec(ctx, `INSERT INTO tags (community_id, name, sensitive, created_at) VALUES (?, ?, ?, ?)`,
			cid, t.Name, t.Sensitive, now); err != nil {
			return fmt.Errorf("registry: create tag: %w", err)
		}
	}
	return nil
}

// RevealHouseholdPhone unmasks a household's phone with a reason, audited.
func (s *Service) RevealHouseholdPhone(ctx context.Context, actor *accounts.Principal, hid int64, reason string) (string, error) {
	var cid int64
	var enc string
	if err := s.db.QueryRow(ctx, `SELECT community_id, phone_enc FROM households WHERE id = ?`, hid).Scan(&cid, &enc); err != nil {
		return "", apperr.NotFoundErr()
	}
	cond, args, ok := householdScope(actor, cid)
	if !ok {
		return "", apperr.NotFoundErr()
	}
	var n int
	if err := s.db.QueryRow(ctx, `SELECT count(*) FROM households h JOIN units u ON u.id = h.unit_id JOIN buildings b ON b.id = u.building_id
		WHERE h.id = ? AND `+cond, append([]any{hid}, args...)...).Scan(&n); err != nil || n == 0 {
		return "", apperr.NotFoundErr()
	}
	if n := len([]rune(strings.TrimSpace(reason))); n < 2 || n > 200 {
		return "", apperr.New(apperr.Invalid, "error.invalid").Field("reason", "registry.reason.required", nil)
	}
	if f := mustField("household_phone"); !roleMay(actor, cid, f.Reveal) || !roleMay(actor, cid, f.See) {
		return "", apperr.ForbiddenErr()
	}
	phone, err := sealer{s.keys, cid}.open("household_phone", enc)
	if err != nil {
		return "", err
	}
	e := actor.Audit(s.clock.Now(), "household.reveal", cid)
	e.ObjectType, e.ObjectID, e.Fields, e.Detail = "household", fmt.Sprint(hid), []string{"phone"}, strings.TrimSpace(reason)
	if err := audit.Record(ctx, s.db, e); err != nil {
		return "", err
	}
	return phone, nil
}
