package registry

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/audit"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/idcard"
)

// CreateHousehold adds a flat to a building in the actor's reach. Unit and
// room are normalised ("2单元" → "2", "301室" → "301").
func (s *Service) CreateHousehold(ctx context.Context, actor *accounts.Principal, cid, buildingID int64, unit, room, phone string) (*Household, error) {
	cond, args, ok := scope(actor, cid)
	if !ok {
		return nil, apperr.NotFoundErr()
	}
	if !roleMay(actor, cid, mustField("name").Edit) {
		return nil, apperr.ForbiddenErr()
	}
	var v apperr.Validation
	u, err := idcard.UnitNumber(unit)
	if err != nil {
		v.Add("unit", "idcard.unit", nil)
	}
	rm, err := idcard.RoomNumber(room)
	if err != nil {
		v.Add("room", "idcard.room", nil)
	}
	if phone != "" {
		if phone, err = idcard.NormalizePhone(phone); err != nil {
			v.Add("phone", "registry.phone.invalid", nil)
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	cond = strings.ReplaceAll(cond, "r.community_id", "b.community_id")
	var n int
	if err := s.db.QueryRow(ctx, `SELECT count(*) FROM buildings b WHERE b.id = ? AND `+cond, append([]any{buildingID}, args...)...).Scan(&n); err != nil {
		return nil, fmt.Errorf("registry: check building: %w", err)
	}
	if n == 0 {
		return nil, apperr.New(apperr.Invalid, "error.invalid").Field("building_id", "registry.building.outside", nil)
	}
	var hid int64
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		l := s.NewLoader(tx, cid)
		var exists int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM households h JOIN units x ON x.id = h.unit_id WHERE x.building_id = ? AND x.number = ? AND h.room = ?`,
			buildingID, u, rm).Scan(&exists); err != nil {
			return fmt.Errorf("registry: find household: %w", err)
		}
		if exists > 0 {
			return apperr.New(apperr.Conflict, "registry.household.exists")
		}
		if hid, err = l.Household(ctx, buildingID, u, rm, phone); err != nil {
			return err
		}
		e := actor.Audit(s.clock.Now(), "household.create", cid)
		e.ObjectType, e.ObjectID, e.Fields = "household", fmt.Sprint(hid), []string{"unit", "room", "phone"}
		return audit.Record(ctx, tx, e)
	})
	if err != nil {
		return nil, err
	}
	hs, _, err := s.Households(ctx, actor, HouseholdFilter{CommunityID: cid, BuildingID: buildingID, Limit: 500})
	if err != nil {
		return nil, err
	}
	for i := range hs {
		if hs[i].ID == hid {
			return &hs[i], nil
		}
	}
	return nil, fmt.Errorf("registry: new household %d not listed", hid)
}

// Tag is one of a community's tags.
type Tag struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	Sensitive bool   `json:"sensitive"`
	Residents int    `json:"residents"`
}

// TagList lists a community's tags with how many current residents carry
// each — of the residents the actor sees rows of (a grid worker: their
// grids): for admins maintaining the list.
func (s *Service) TagList(ctx context.Context, actor *accounts.Principal, cid int64) ([]Tag, error) {
	cond, args, ok := scope(actor, cid)
	if !ok {
		return nil, apperr.NotFoundErr()
	}
	rows, err := s.db.Query(ctx, `SELECT id, name, sensitive FROM tags WHERE community_id = ? ORDER BY id`, cid)
	if err != nil {
		return nil, fmt.Errorf("registry: tags: %w", err)
	}
	var out []Tag
	var names []string
	for rows.Next() {
		var t Tag
		if err := rows.Scan(&t.ID, &t.Name, &t.Sensitive); err != nil {
			rows.Close()
			return nil, err
		}
		out, names = append(out, t), append(names, t.Name)
	}
	rows.Close()
	counts, err := s.tagCounts(ctx, cid, cond, args, names)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Residents = counts[i]
	}
	return out, nil
}

// AddTag adds a tag to a community's list (admins).
func (s *Service) AddTag(ctx context.Context, actor *accounts.Principal, cid int64, name string, sensitive bool) (*Tag, error) {
	if !actor.System && !actorIsAdmin(actor, cid) {
		if _, _, ok := scope(actor, cid); !ok {
			return nil, apperr.NotFoundErr()
		}
		return nil, apperr.ForbiddenErr()
	}
	name = strings.TrimSpace(name)
	if n := utf8.RuneCountInString(name); n == 0 || n > 20 || strings.ContainsAny(name, "、,，;； \t\r\n") {
		return nil, apperr.New(apperr.Invalid, "error.invalid").Field("name", "registry.tag.invalid", nil)
	}
	now := s.clock.Now()
	var id int64
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO tags (community_id, name, sensitive, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
			cid, name, sensitive, now).Scan(&id)
		if db.IsUniqueViolation(err) {
			return apperr.New(apperr.Conflict, "registry.tag.exists")
		}
		if err != nil {
			return fmt.Errorf("registry: add tag: %w", err)
		}
		e := actor.Audit(now, "tag.add", cid)
		e.ObjectType, e.ObjectID, e.Detail = "tag", fmt.Sprint(id), name
		return audit.Record(ctx, tx, e)
	})
	if err != nil {
		return nil, err
	}
	return &Tag{ID: id, Name: name, Sensitive: sensitive}, nil
}

// RemoveTag removes an unused tag (admins). A tag residents still carry
// cannot be removed: their records would silently change.
func (s *Service) RemoveTag(ctx context.Context, actor *accounts.Principal, id int64) error {
	var cid int64
	var name string
	err := s.db.QueryRow(ctx, `SELECT community_id, name FROM tags WHERE id = ?`, id).Scan(&cid, &name)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !actor.System && !actorIsAdmin(actor, cid)) {
		return apperr.NotFoundErr()
	}
	if err != nil {
		return fmt.Errorf("registry: find tag: %w", err)
	}
	var used int
	if err := s.db.QueryRow(ctx, `SELECT count(*) FROM resident_tags WHERE community_id = ? AND token = ?`, cid, sealer{s.keys, cid}.tagToken(name)).Scan(&used); err != nil {
		return fmt.Errorf("registry: tag use: %w", err)
	}
	if used > 0 {
		return apperr.New(apperr.Conflict, "registry.tag.in_use").With(map[string]any{"n": used})
	}
	now := s.clock.Now()
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM tags WHERE id = ?`, id); err != nil {
			return fmt.Errorf("registry: remove tag: %w", err)
		}
		e := actor.Audit(now, "tag.remove", cid)
		e.ObjectType, e.ObjectID, e.Detail = "tag", fmt.Sprint(id), name
		return audit.Record(ctx, tx, e)
	})
}

func actorIsAdmin(p *accounts.Principal, cid int64) bool {
	for _, g := range p.Grants {
		if g.Role == accounts.Admin && g.CommunityID == cid {
			return true
		}
	}
	return false
}
