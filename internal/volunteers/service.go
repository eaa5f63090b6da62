package volunteers

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/audit"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/idcard"
	"github.com/linli/linli/internal/registry"
	"github.com/linli/linli/internal/secret"
)

// ChildAge is the age under which a volunteer's data is sensitive: the
// registry's rule, one rule for the whole program.
const ChildAge = registry.ChildAge

// Service is the volunteer domain.
type Service struct {
	db    *db.DB
	keys  *secret.Keyring
	clock clock.Clock
	reg   *registry.Service
	acc   *accounts.Service
}

// New returns a Service.
func New(d *db.DB, keys *secret.Keyring, c clock.Clock, reg *registry.Service, acc *accounts.Service) *Service {
	return &Service{db: d, keys: keys, clock: c, reg: reg, acc: acc}
}

// seal and open outside persons' fields, bound to field and community.
func (s *Service) seal(cid int64, field, plain string) (string, error) {
	if plain == "" {
		return "", nil
	}
	ct, err := s.keys.Encrypt(plain, "volunteer."+field+":"+strconv.FormatInt(cid, 10))
	if err != nil {
		return "", fmt.Errorf("volunteers: seal %s: %w", field, err)
	}
	return ct, nil
}

func (s *Service) open(cid int64, field, ct string) (string, error) {
	if ct == "" {
		return "", nil
	}
	pt, err := s.keys.Decrypt(ct, "volunteer."+field+":"+strconv.FormatInt(cid, 10))
	if err != nil {
		return "", fmt.Errorf("volunteers: open %s: %w", field, err)
	}
	return pt, nil
}

func (s *Service) bidx(cid int64, kind, value string) string {
	return s.keys.BlindIndex("volunteer."+kind+":"+strconv.FormatInt(cid, 10), strings.ToUpper(strings.TrimSpace(value)))
}

// profile is a validated Input.
type profile struct {
	skills       []int64
	skillsOther  string
	categories   string
	availability int64
	grids        []int64
}

// checkProfile validates the profile part of an Input against the
// community's lists, collecting every problem into v.
func (s *Service) checkProfile(ctx context.Context, q db.Querier, cid int64, in Input, v *apperr.Validation) (profile, error) {
	var p profile
	for _, name := range in.Skills {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		var id int64
		err := q.QueryRow(ctx, `SELECT id FROM skills WHERE community_id = ? AND name = ?`, cid, name).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			v.Add("skills", "volunteer.skill.unknown", map[string]any{"skill": name})
			continue
		}
		if err != nil {
			return p, fmt.Errorf("volunteers: find skill: %w", err)
		}
		if !slices.Contains(p.skills, id) {
			p.skills = append(p.skills, id)
		}
	}
	p.skillsOther = strings.TrimSpace(in.SkillsOther)
	if utf8.RuneCountInString(p.skillsOther) > 200 || hasControl(p.skillsOther) {
		v.Add("skills_other", "volunteer.skills_other.invalid", nil)
	}
	var cats []string
	for _, c := range in.Categories {
		if !slices.Contains(Categories, c) {
			v.Add("categories", "volunteer.category.unknown", map[string]any{"category": c})
			continue
		}
		if !slices.Contains(cats, c) {
			cats = append(cats, c)
		}
	}
	p.categories = strings.Join(cats, ",")
	for _, slot := range in.Availability {
		bit, ok := slotBit(slot)
		if !ok {
			v.Add("availability", "volunteer.slot.unknown", map[string]any{"slot": slot})
			continue
		}
		p.availability |= bit
	}
	if len(in.Grids) > 0 {
		rows, err := q.Query(ctx, `SELECT id, number FROM grids WHERE community_id = ?`, cid)
		if err != nil {
			return p, fmt.Errorf("volunteers: grids: %w", err)
		}
		byNumber := map[int]int64{}
		for rows.Next() {
			var id int64
			var n int
			if err := rows.Scan(&id, &n); err != nil {
				rows.Close()
				return p, fmt.Errorf("volunteers: grids: %w", err)
			}
			byNumber[n] = id
		}
		rows.Close()
		for _, n := range in.Grids {
			id, ok := byNumber[n]
			if !ok {
				v.Add("grids", "volunteer.grid.unknown", map[string]any{"grid": n})
				continue
			}
			if !slices.Contains(p.grids, id) {
				p.grids = append(p.grids, id)
			}
		}
	}
	return p, nil
}

func slotBit(slot string) (int64, bool) {
	day, part, ok := strings.Cut(slot, "_")
	d, p := slices.Index(Days, day), slices.Index(Parts, part)
	if !ok || d < 0 || p < 0 {
		return 0, false
	}
	return 1 << (d*len(Parts) + p), true
}

func slotsOf(bits int64) []string {
	out := []string{}
	for d, day := range Days {
		for p, part := range Parts {
			if bits&(1<<(d*len(Parts)+p)) != 0 {
				out = append(out, day+"_"+part)
			}
		}
	}
	return out
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

// writeProfile replaces a volunteer's skills and grids.
func writeProfile(ctx context.Context, tx *db.Tx, id int64, p profile) error {
	if _, err := tx.Exec(ctx, `DELETE FROM volunteer_skills WHERE volunteer_id = ?`, id); err != nil {
		return fmt.Errorf("volunteers: clear skills: %w", err)
	}
	for _, sk := range p.skills {
		if _, err := tx.Exec(ctx, `INSERT INTO volunteer_skills (volunteer_id, skill_id) VALUES (?, ?)`, id, sk); err != nil {
			return fmt.Errorf("volunteers: add skill: %w", err)
		}
	}
	if _, err := tx.Exec(ctx, `DELETE FROM volunteer_grids WHERE volunteer_id = ?`, id); err != nil {
		return fmt.Errorf("volunteers: clear grids: %w", err)
	}
	for _, g := range p.grids {
		if _, err := tx.Exec(ctx, `INSERT INTO volunteer_grids (volunteer_id, grid_id) VALUES (?, ?)`, id, g); err != nil {
			return fmt.Errorf("volunteers: add grid: %w", err)
		}
	}
	return nil
}

// nextNumber issues the community's next volunteer number (JSL-V00042):
// our own number, never derived from the ID number (MZ/T 061-2015).
func nextNumber(ctx context.Context, tx *db.Tx, cid int64, counter, prefix string) (string, error) {
	var n int64
	// One statement, so two first registrations racing on PostgreSQL
	// cannot both insert the row.
	err := tx.QueryRow(ctx, `INSERT INTO counters (community_id, name, value) VALUES (?, ?, 1)
		ON CONFLICT (community_id, name) DO UPDATE SET value = counters.value + 1 RETURNING value`, cid, counter).Scan(&n)
	if err != nil {
		return "", fmt.Errorf("volunteers: counter %s: %w", counter, err)
	}
	var code string
	if err := tx.QueryRow(ctx, `SELECT code FROM communities WHERE id = ?`, cid).Scan(&code); err != nil {
		return "", fmt.Errorf("volunteers: community code: %w", err)
	}
	return fmt.Sprintf("%s-%s%05d", strings.ToUpper(code), prefix, n), nil
}

// today is the clock's date in Shanghai as YYYY-MM-DD.
func (s *Service) today() string { return s.clock.Now().In(clock.Shanghai).Format(time.DateOnly) }

func validDate(d string) bool {
	_, err := time.Parse(time.DateOnly, d)
	return err == nil
}

// ageOn is the age on date now of someone born on birth (YYYY-MM-DD);
// -1 when the birth date is unknown.
func ageOn(birth string, now time.Time) int {
	b, err := time.ParseInLocation(time.DateOnly, birth, clock.Shanghai)
	if err != nil {
		return -1
	}
	return idcard.Age(b, now)
}

// record writes an audit entry in q.
func (s *Service) record(ctx context.Context, q db.Querier, actor *accounts.Principal, action string, cid int64, objType string, objID any, detail string, fields ...string) error {
	e := actor.Audit(s.clock.Now(), action, cid)
	e.ObjectType, e.ObjectID, e.Detail, e.Fields = objType, fmt.Sprint(objID), detail, fields
	return audit.Record(ctx, q, e)
}
