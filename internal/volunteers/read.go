package volunteers

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/idcard"
)

// row is a volunteers row.
type row struct {
	id, cid           int64
	number            string
	residentID        sql.NullInt64
	accountID         sql.NullInt64
	name, gender      string
	birth             sql.NullString
	phoneEnc          string
	skillsOther, cats string
	availability      int64
	status, via       string
	registeredAt      time.Time
}

const rowColumns = `v.id, v.community_id, v.number, v.resident_id, v.account_id, v.name, v.gender, v.birth_date,
	v.phone_enc, v.skills_other, v.categories, v.availability, v.status, v.registered_via, v.registered_at`

func scanRow(sc interface{ Scan(...any) error }) (*row, error) {
	var r row
	err := sc.Scan(&r.id, &r.cid, &r.number, &r.residentID, &r.accountID, &r.name, &r.gender, &r.birth,
		&r.phoneEnc, &r.skillsOther, &r.cats, &r.availability, &r.status, &r.via, &r.registeredAt)
	return &r, err
}

// who is the actor's relation to one volunteer, which decides the view.
type who int

const (
	asGrid   who = iota // a grid worker: names (a child's masked), skills, grids
	asLeader            // leads a team the volunteer is in
	asSelf              // the volunteer, or their guardian
	asOffice            // admin, worker, console
)

func (s *Service) relation(ctx context.Context, r reach, v *row) (who, error) {
	if r.office {
		return asOffice, nil
	}
	if (r.account != 0 && v.accountID.Int64 == r.account) || (r.resident != 0 && v.residentID.Int64 == r.resident) {
		return asSelf, nil
	}
	if r.resident != 0 {
		var n int
		err := s.db.QueryRow(ctx, `SELECT count(*) FROM consents WHERE volunteer_id = ? AND kind = 'guardian' AND withdrawn_at IS NULL AND guardian_resident_id = ?`, v.id, r.resident).Scan(&n)
		if err != nil {
			return 0, fmt.Errorf("volunteers: guardian check: %w", err)
		}
		if n > 0 {
			return asSelf, nil
		}
	}
	if ok, err := s.mayReveal(ctx, r, v.id); err != nil || ok {
		return asLeader, err
	}
	return asGrid, nil
}

// build turns rows into views for one actor. persons are the rows'
// residents, opened.
func (s *Service) build(ctx context.Context, r reach, rows []*row, detail bool, reveal bool) ([]Volunteer, []int64, error) {
	if len(rows) == 0 {
		return []Volunteer{}, nil, nil
	}
	cid := rows[0].cid
	var rids, ids []int64
	for _, v := range rows {
		ids = append(ids, v.id)
		if v.residentID.Valid {
			rids = append(rids, v.residentID.Int64)
		}
	}
	persons, err := s.reg.Persons(ctx, cid, rids)
	if err != nil {
		return nil, nil, err
	}
	skills, err := s.skillsOf(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	grids, err := s.gridsOf(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	teams, err := s.teamsOf(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	now := s.clock.Now()
	// The community's rules once for the page, not once a row.
	rules, err := s.AgeRules(ctx, cid)
	if err != nil {
		return nil, nil, err
	}
	out := make([]Volunteer, 0, len(rows))
	var children []int64
	for _, v := range rows {
		rel, err := s.relation(ctx, r, v)
		if err != nil {
			return nil, nil, err
		}
		out1 := Volunteer{ID: v.id, Number: v.number, Skills: orEmpty(skills[v.id]), SkillsOther: v.skillsOther,
			Categories: splitList(v.cats), Availability: slotsOf(v.availability), Grids: orEmptyInt(grids[v.id]),
			Status: v.status, Via: v.via, RegisteredAt: v.registeredAt.UTC(), Teams: teams[v.id]}
		if out1.Teams == nil {
			out1.Teams = []TeamRole{}
		}
		name, gender, birth, phone, address := v.name, v.gender, v.birth.String, "", ""
		if v.residentID.Valid {
			p := persons[v.residentID.Int64]
			out1.ResidentID = p.ResidentID
			name, gender, birth, phone, address = p.Name, p.Gender, p.BirthDate, p.Phone, p.Address
			out1.Child = p.Child
		} else if phone, err = s.open(cid, "phone", v.phoneEnc); err != nil {
			return nil, nil, err
		}
		out1.Age = ageOn(birth, now)
		if out1.Age >= 0 && out1.Age < ChildAge {
			out1.Child = true
		}
		out1.Minor = out1.Age >= 0 && out1.Age < rules.ConsentUnder
		switch {
		case rel == asGrid && out1.Child:
			out1.Name = MaskChildName(name)
		default:
			out1.Name = name
		}
		if rel != asGrid {
			out1.Gender = gender
			if phone != "" {
				if reveal {
					out1.Phone = phone
				} else {
					out1.Phone = idcard.MaskPhone(phone)
					out1.Masked = append(out1.Masked, "phone")
				}
			}
		}
		if rel == asOffice || rel == asSelf {
			out1.Address = address
		}
		if out1.Child && rel != asGrid {
			children = append(children, v.id)
		}
		if !detail && rel != asOffice {
			// Lists show only what a member list needs.
			out1.Address = ""
		}
		out = append(out, out1)
	}
	if detail && len(out) == 1 {
		rel, _ := s.relation(ctx, r, rows[0])
		if rel == asOffice || rel == asSelf {
			if err := s.fillConsents(ctx, &out[0], cid); err != nil {
				return nil, nil, err
			}
		}
	}
	return out, children, nil
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func orEmptyInt(s []int) []int {
	if s == nil {
		return []int{}
	}
	return s
}

func splitList(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

// fillConsents adds the consent records and, for a minor, the guardian.
func (s *Service) fillConsents(ctx context.Context, v *Volunteer, cid int64) error {
	rows, err := s.db.Query(ctx, `SELECT id, kind, scope, given_on, given_by, COALESCE(guardian_resident_id, 0), relation, recorded_at, withdrawn_at
		FROM consents WHERE volunteer_id = ? ORDER BY id`, v.ID)
	if err != nil {
		return fmt.Errorf("volunteers: consents: %w", err)
	}
	defer rows.Close()
	var guardian int64
	var relation string
	for rows.Next() {
		var c Consent
		var g int64
		var w sql.NullTime
		if err := rows.Scan(&c.ID, &c.Kind, &c.Scope, &c.GivenOn, &c.GivenBy, &g, &c.Relation, &c.RecordedAt, &w); err != nil {
			return fmt.Errorf("volunteers: consents: %w", err)
		}
		c.RecordedAt = c.RecordedAt.UTC()
		if w.Valid {
			t := w.Time.UTC()
			c.WithdrawnAt = &t
		} else if c.Kind == "guardian" {
			guardian, relation = g, c.Relation
		}
		v.Consents = append(v.Consents, c)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if guardian != 0 {
		p, ok, err := s.reg.Person(ctx, cid, guardian)
		if err != nil {
			return err
		}
		if ok {
			v.Guardian = &Guardian{ResidentID: guardian, Name: p.Name, Relation: relation, Phone: idcard.MaskPhone(p.Phone)}
		}
	}
	return nil
}

func (s *Service) skillsOf(ctx context.Context, ids []int64) (map[int64][]string, error) {
	out := map[int64][]string{}
	err := s.forIDs(ctx, `SELECT vs.volunteer_id, sk.name FROM volunteer_skills vs JOIN skills sk ON sk.id = vs.skill_id WHERE vs.volunteer_id IN (%s) ORDER BY sk.name`, ids,
		func(sc func(...any) error) error {
			var id int64
			var name string
			if err := sc(&id, &name); err != nil {
				return err
			}
			out[id] = append(out[id], name)
			return nil
		})
	return out, err
}

func (s *Service) gridsOf(ctx context.Context, ids []int64) (map[int64][]int, error) {
	out := map[int64][]int{}
	err := s.forIDs(ctx, `SELECT vg.volunteer_id, g.number FROM volunteer_grids vg JOIN grids g ON g.id = vg.grid_id WHERE vg.volunteer_id IN (%s) ORDER BY g.number`, ids,
		func(sc func(...any) error) error {
			var id int64
			var n int
			if err := sc(&id, &n); err != nil {
				return err
			}
			out[id] = append(out[id], n)
			return nil
		})
	return out, err
}

func (s *Service) teamsOf(ctx context.Context, ids []int64) (map[int64][]TeamRole, error) {
	out := map[int64][]TeamRole{}
	err := s.forIDs(ctx, `SELECT tm.volunteer_id, t.id, t.name, tm.role, tm.joined_on, tm.accompanied FROM team_members tm JOIN teams t ON t.id = tm.team_id
		WHERE tm.left_on IS NULL AND tm.volunteer_id IN (%s) ORDER BY t.id`, ids,
		func(sc func(...any) error) error {
			var id int64
			var t TeamRole
			if err := sc(&id, &t.TeamID, &t.Team, &t.Role, &t.JoinedOn, &t.Accompanied); err != nil {
				return err
			}
			out[id] = append(out[id], t)
			return nil
		})
	return out, err
}

// forIDs runs a query with an IN list of ids (in chunks) and calls fn per row.
func (s *Service) forIDs(ctx context.Context, q string, ids []int64, fn func(scan func(...any) error) error) error {
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		rows, err := s.db.Query(ctx, fmt.Sprintf(q, placeholders(len(chunk))), args...)
		if err != nil {
			return fmt.Errorf("volunteers: load: %w", err)
		}
		for rows.Next() {
			if err := fn(rows.Scan); err != nil {
				rows.Close()
				return fmt.Errorf("volunteers: load: %w", err)
			}
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// find loads one volunteer row within the actor's reach.
func (s *Service) find(ctx context.Context, actor *accounts.Principal, id int64) (*row, reach, error) {
	var cid int64
	err := s.db.QueryRow(ctx, `SELECT community_id FROM volunteers WHERE id = ?`, id).Scan(&cid)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, reach{}, apperr.NotFoundErr()
	}
	if err != nil {
		return nil, reach{}, fmt.Errorf("volunteers: find: %w", err)
	}
	r, err := s.reachOf(ctx, actor, cid)
	if err != nil {
		return nil, r, err
	}
	cond, args := r.condition()
	v, err := scanRow(s.db.QueryRow(ctx, `SELECT `+rowColumns+` FROM volunteers v WHERE v.id = ? AND `+cond, append([]any{id}, args...)...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, r, apperr.NotFoundErr()
	}
	if err != nil {
		return nil, r, fmt.Errorf("volunteers: load: %w", err)
	}
	return v, r, nil
}

// Get opens one volunteer's profile. Opening a child's profile is
// audited (child.view), like the registry's.
func (s *Service) Get(ctx context.Context, actor *accounts.Principal, id int64) (*Volunteer, error) {
	v, r, err := s.find(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	out, children, err := s.build(ctx, r, []*row{v}, true, false)
	if err != nil {
		return nil, err
	}
	if len(children) > 0 {
		if err := s.record(ctx, s.db, actor, "child.view", v.cid, "volunteer", v.id, ""); err != nil {
			return nil, err
		}
	}
	return &out[0], nil
}

// Reveal unmasks a volunteer's phone for the office or a leader of their
// team, with a reason, audited.
func (s *Service) Reveal(ctx context.Context, actor *accounts.Principal, id int64, field, reason string) (string, error) {
	if field != "phone" {
		return "", apperr.New(apperr.Invalid, "error.invalid").Field("field", "volunteer.reveal.field", nil)
	}
	reason = strings.TrimSpace(reason)
	if reason == "" || len([]rune(reason)) > 200 || hasControl(reason) {
		return "", apperr.New(apperr.Invalid, "error.invalid").Field("reason", "registry.reason.required", nil)
	}
	v, r, err := s.find(ctx, actor, id)
	if err != nil {
		return "", err
	}
	if ok, err := s.mayReveal(ctx, r, id); err != nil {
		return "", err
	} else if !ok {
		return "", apperr.ForbiddenErr()
	}
	out, _, err := s.build(ctx, r, []*row{v}, false, true)
	if err != nil {
		return "", err
	}
	if err := s.record(ctx, s.db, actor, "volunteer.reveal", v.cid, "volunteer", v.id, reason, "phone"); err != nil {
		return "", err
	}
	return out[0].Phone, nil
}

// List returns the volunteers the actor may see, one page. Children on
// the page are audited together, in one entry naming them.
func (s *Service) List(ctx context.Context, actor *accounts.Principal, f Filter) ([]Volunteer, int, error) {
	r, err := s.reachOf(ctx, actor, f.CommunityID)
	if err != nil {
		return nil, 0, err
	}
	if !r.any() {
		return nil, 0, apperr.NotFoundErr()
	}
	cond, args := r.condition()
	where := []string{"v.community_id = ?", cond, "v.status = 'active'"}
	args = append([]any{f.CommunityID}, args...)
	if q := strings.TrimSpace(f.Query); q != "" {
		// A number, or a name prefix (residents' names are in the registry;
		// a child's stored name is masked, so a child is found by number).
		where = append(where, "(v.number = ? OR COALESCE(r.name, v.name) >= ? AND COALESCE(r.name, v.name) < ?)")
		args = append(args, strings.ToUpper(q), q, q+"\U0010FFFF")
	}
	if f.TeamID != 0 {
		where = append(where, "EXISTS (SELECT 1 FROM team_members tm WHERE tm.volunteer_id = v.id AND tm.left_on IS NULL AND tm.team_id = ?)")
		args = append(args, f.TeamID)
	}
	if f.Skill != "" {
		where = append(where, "EXISTS (SELECT 1 FROM volunteer_skills vs JOIN skills sk ON sk.id = vs.skill_id WHERE vs.volunteer_id = v.id AND sk.name = ?)")
		args = append(args, f.Skill)
	}
	if f.Category != "" {
		if !slices.Contains(Categories, f.Category) {
			return nil, 0, apperr.New(apperr.Invalid, "error.invalid").Field("category", "volunteer.category.unknown", map[string]any{"category": f.Category})
		}
		where = append(where, "(',' || v.categories || ',') LIKE ?")
		args = append(args, "%,"+f.Category+",%")
	}
	if f.GridID != 0 {
		where = append(where, "EXISTS (SELECT 1 FROM volunteer_grids vg WHERE vg.volunteer_id = v.id AND vg.grid_id = ?)")
		args = append(args, f.GridID)
	}
	from := ` FROM volunteers v LEFT JOIN residents r ON r.id = v.resident_id WHERE ` + strings.Join(where, " AND ")
	var total int
	if err := s.db.QueryRow(ctx, `SELECT count(*)`+from, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("volunteers: count: %w", err)
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	rs, err := s.db.Query(ctx, `SELECT `+rowColumns+from+` ORDER BY v.number LIMIT ? OFFSET ?`, append(args, limit, f.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("volunteers: list: %w", err)
	}
	var rows []*row
	for rs.Next() {
		v, err := scanRow(rs)
		if err != nil {
			rs.Close()
			return nil, 0, fmt.Errorf("volunteers: list: %w", err)
		}
		rows = append(rows, v)
	}
	rs.Close()
	if err := rs.Err(); err != nil {
		return nil, 0, err
	}
	out, children, err := s.build(ctx, r, rows, false, false)
	if err != nil {
		return nil, 0, err
	}
	if len(children) > 0 {
		if err := s.record(ctx, s.db, actor, "child.list", f.CommunityID, "volunteers", joinIDs(children), ""); err != nil {
			return nil, 0, err
		}
	}
	return out, total, nil
}

func joinIDs(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = fmt.Sprint(id)
	}
	return strings.Join(parts, ",")
}

// Mine returns the actor's own volunteer profile in cid, or NotFound.
func (s *Service) Mine(ctx context.Context, actor *accounts.Principal, cid int64) (*Volunteer, error) {
	r, err := s.reachOf(ctx, actor, cid)
	if err != nil {
		return nil, err
	}
	var id int64
	err = s.db.QueryRow(ctx, `SELECT id FROM volunteers WHERE community_id = ? AND (account_id = ? OR resident_id = ?)`, cid, actor.AccountID, r.resident).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFoundErr()
	}
	if err != nil {
		return nil, fmt.Errorf("volunteers: mine: %w", err)
	}
	return s.Get(ctx, actor, id)
}
