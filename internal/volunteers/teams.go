package volunteers

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/db"
)

// Team is a volunteer team (志愿服务队) as anyone in the community sees
// it: the notice-board facts, not the member list.
type Team struct {
	ID            int64     `json:"id"`
	Name          string    `json:"name"`
	Category      string    `json:"category"`
	FoundedOn     string    `json:"founded_on,omitempty"`
	Description   string    `json:"description"`
	Meets         string    `json:"meets,omitempty"`
	MinAge        *int      `json:"min_age,omitempty"`
	MaxAge        *int      `json:"max_age,omitempty"`
	Members       int       `json:"members"`
	Leaders       []string  `json:"leaders"`
	Organisations []OrgLink `json:"organisations"`
}

// OrgLink names an organisation.
type OrgLink struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Kind string `json:"kind"`
}

// TeamInput creates or changes a team (the office).
type TeamInput struct {
	Name          string  `json:"name"`
	Category      string  `json:"category"`
	FoundedOn     string  `json:"founded_on"`
	Description   string  `json:"description"`
	Meets         string  `json:"meets"`
	MinAge        *int    `json:"min_age"`
	MaxAge        *int    `json:"max_age"`
	Organisations []int64 `json:"organisations"`
}

// member reports whether the actor belongs to community cid at all.
func (s *Service) member(ctx context.Context, actor *accounts.Principal, cid int64) (reach, error) {
	r, err := s.reachOf(ctx, actor, cid)
	if err != nil {
		return r, err
	}
	if !r.any() {
		return r, apperr.NotFoundErr()
	}
	return r, nil
}

const teamColumns = `t.id, t.name, t.category, COALESCE(t.founded_on, ''), t.description, t.meets, t.min_age, t.max_age,
	(SELECT count(*) FROM team_members tm JOIN volunteers v ON v.id = tm.volunteer_id WHERE tm.team_id = t.id AND tm.left_on IS NULL AND v.status = 'active')`

func scanTeam(sc interface{ Scan(...any) error }) (*Team, error) {
	var t Team
	var minAge, maxAge sql.NullInt64
	if err := sc.Scan(&t.ID, &t.Name, &t.Category, &t.FoundedOn, &t.Description, &t.Meets, &minAge, &maxAge, &t.Members); err != nil {
		return nil, err
	}
	if minAge.Valid {
		n := int(minAge.Int64)
		t.MinAge = &n
	}
	if maxAge.Valid {
		n := int(maxAge.Int64)
		t.MaxAge = &n
	}
	t.Leaders, t.Organisations = []string{}, []OrgLink{}
	return &t, nil
}

// Teams lists a community's teams, for anyone signed in to it.
func (s *Service) Teams(ctx context.Context, actor *accounts.Principal, cid int64) ([]Team, error) {
	if !memberOf(actor, cid) {
		return nil, apperr.NotFoundErr()
	}
	rows, err := s.db.Query(ctx, `SELECT `+teamColumns+` FROM teams t WHERE t.community_id = ? ORDER BY t.id`, cid)
	if err != nil {
		return nil, fmt.Errorf("volunteers: teams: %w", err)
	}
	var out []Team
	for rows.Next() {
		t, err := scanTeam(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("volunteers: teams: %w", err)
		}
		out = append(out, *t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if err := s.fillTeam(ctx, cid, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// memberOf: the console, or any grant in the community (a street
// supervisor's grant names the street: they see teams through reports).
func memberOf(p *accounts.Principal, cid int64) bool {
	if p == nil {
		return false
	}
	if p.System {
		return true
	}
	for _, g := range p.Grants {
		if g.CommunityID == cid {
			return true
		}
	}
	return false
}

// fillTeam adds leaders' names and backing organisations. A leader's
// name is public on the team's notice board; a child is never a leader.
func (s *Service) fillTeam(ctx context.Context, cid int64, t *Team) error {
	rows, err := s.db.Query(ctx, `SELECT COALESCE(r.name, v.name) FROM team_members tm JOIN volunteers v ON v.id = tm.volunteer_id
		LEFT JOIN residents r ON r.id = v.resident_id WHERE tm.team_id = ? AND tm.left_on IS NULL AND tm.role = 'leader' ORDER BY tm.id`, t.ID)
	if err != nil {
		return fmt.Errorf("volunteers: leaders: %w", err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return err
		}
		t.Leaders = append(t.Leaders, n)
	}
	rows.Close()
	rows, err = s.db.Query(ctx, `SELECT o.id, o.name, o.kind FROM team_organisations x JOIN organisations o ON o.id = x.organisation_id WHERE x.team_id = ? ORDER BY o.id`, t.ID)
	if err != nil {
		return fmt.Errorf("volunteers: backers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var o OrgLink
		if err := rows.Scan(&o.ID, &o.Name, &o.Kind); err != nil {
			return err
		}
		t.Organisations = append(t.Organisations, o)
	}
	return rows.Err()
}

// Team returns one team.
func (s *Service) Team(ctx context.Context, actor *accounts.Principal, id int64) (*Team, error) {
	var cid int64
	err := s.db.QueryRow(ctx, `SELECT community_id FROM teams WHERE id = ?`, id).Scan(&cid)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !memberOf(actor, cid)) {
		return nil, apperr.NotFoundErr()
	}
	if err != nil {
		return nil, fmt.Errorf("volunteers: team: %w", err)
	}
	t, err := scanTeam(s.db.QueryRow(ctx, `SELECT `+teamColumns+` FROM teams t WHERE t.id = ?`, id))
	if err != nil {
		return nil, fmt.Errorf("volunteers: team: %w", err)
	}
	return t, s.fillTeam(ctx, cid, t)
}

// TeamCommunity returns the community a team belongs to.
func (s *Service) TeamCommunity(ctx context.Context, id int64) (int64, error) {
	var cid int64
	err := s.db.QueryRow(ctx, `SELECT community_id FROM teams WHERE id = ?`, id).Scan(&cid)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, apperr.NotFoundErr()
	}
	return cid, err
}

func (s *Service) checkTeam(ctx context.Context, cid int64, in *TeamInput) error {
	var v apperr.Validation
	in.Name = strings.TrimSpace(in.Name)
	if n := utf8.RuneCountInString(in.Name); n == 0 || n > 40 || hasControl(in.Name) {
		v.Add("name", "team.name.invalid", nil)
	}
	if in.Category != "" && !slices.Contains(Categories, in.Category) {
		v.Add("category", "volunteer.category.unknown", map[string]any{"category": in.Category})
	}
	if in.FoundedOn != "" && (!validDate(in.FoundedOn) || in.FoundedOn > s.today()) {
		v.Add("founded_on", "volunteer.date.invalid", nil)
	}
	if utf8.RuneCountInString(in.Description) > 1000 {
		v.Add("description", "team.description.long", nil)
	}
	if utf8.RuneCountInString(in.Meets) > 100 || hasControl(in.Meets) {
		v.Add("meets", "team.meets.invalid", nil)
	}
	if in.MinAge != nil && (*in.MinAge < 0 || *in.MinAge > 100) {
		v.Add("min_age", "volunteer.rules.range", nil)
	}
	if in.MaxAge != nil && (*in.MaxAge < 0 || *in.MaxAge > 120 || (in.MinAge != nil && *in.MaxAge < *in.MinAge)) {
		v.Add("max_age", "team.age.range", nil)
	}
	for _, o := range in.Organisations {
		var n int
		if err := s.db.QueryRow(ctx, `SELECT count(*) FROM organisations WHERE id = ? AND community_id = ?`, o, cid).Scan(&n); err != nil {
			return fmt.Errorf("volunteers: organisation: %w", err)
		}
		if n == 0 {
			v.Add("organisations", "team.organisation.unknown", nil)
		}
	}
	return v.Err()
}

func intOrNil(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

func strOrNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// CreateTeam adds a team (the office).
func (s *Service) CreateTeam(ctx context.Context, actor *accounts.Principal, cid int64, in TeamInput) (*Team, error) {
	r, err := s.member(ctx, actor, cid)
	if err != nil {
		return nil, err
	}
	if !r.office {
		return nil, apperr.ForbiddenErr()
	}
	if err := s.checkTeam(ctx, cid, &in); err != nil {
		return nil, err
	}
	var id int64
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO teams (community_id, name, description, category, founded_on, min_age, max_age, meets, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, cid, in.Name, in.Description, in.Category, strOrNil(in.FoundedOn),
			intOrNil(in.MinAge), intOrNil(in.MaxAge), in.Meets, s.clock.Now()).Scan(&id)
		if db.IsUniqueViolation(err) {
			return apperr.New(apperr.Conflict, "team.exists")
		}
		if err != nil {
			return fmt.Errorf("volunteers: create team: %w", err)
		}
		if err := setBackers(ctx, tx, id, in.Organisations); err != nil {
			return err
		}
		return s.record(ctx, tx, actor, "team.create", cid, "team", id, in.Name)
	})
	if err != nil {
		return nil, err
	}
	return s.Team(ctx, actor, id)
}

// UpdateTeam changes a team (the office).
func (s *Service) UpdateTeam(ctx context.Context, actor *accounts.Principal, id int64, in TeamInput) (*Team, error) {
	cid, err := s.TeamCommunity(ctx, id)
	if err != nil {
		return nil, err
	}
	r, err := s.member(ctx, actor, cid)
	if err != nil {
		return nil, err
	}
	if !r.office {
		return nil, apperr.ForbiddenErr()
	}
	if err := s.checkTeam(ctx, cid, &in); err != nil {
		return nil, err
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE teams SET name = ?, description = ?, category = ?, founded_on = ?, min_age = ?, max_age = ?, meets = ? WHERE id = ?`,
			in.Name, in.Description, in.Category, strOrNil(in.FoundedOn), intOrNil(in.MinAge), intOrNil(in.MaxAge), in.Meets, id)
		if db.IsUniqueViolation(err) {
			return apperr.New(apperr.Conflict, "team.exists")
		}
		if err != nil {
			return fmt.Errorf("volunteers: update team: %w", err)
		}
		if err := setBackers(ctx, tx, id, in.Organisations); err != nil {
			return err
		}
		return s.record(ctx, tx, actor, "team.update", cid, "team", id, in.Name)
	})
	if err != nil {
		return nil, err
	}
	return s.Team(ctx, actor, id)
}

func setBackers(ctx context.Context, tx *db.Tx, team int64, orgs []int64) error {
	if _, err := tx.Exec(ctx, `DELETE FROM team_organisations WHERE team_id = ?`, team); err != nil {
		return fmt.Errorf("volunteers: backers: %w", err)
	}
	seen := map[int64]bool{}
	for _, o := range orgs {
		if seen[o] {
			continue
		}
		seen[o] = true
		if _, err := tx.Exec(ctx, `INSERT INTO team_organisations (team_id, organisation_id) VALUES (?, ?)`, team, o); err != nil {
			return fmt.Errorf("volunteers: backers: %w", err)
		}
	}
	return nil
}
