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
	"github.com/linli/linli/internal/idcard"
)

// OrgKinds are the kinds of organisation woven into the network.
var OrgKinds = []string{"property", "co_building", "social_work", "school", "utility", "government", "social_org"}

// Organisation is a partner organisation (or a government office).
type Organisation struct {
	ID           int64        `json:"id"`
	Name         string       `json:"name"`
	Kind         string       `json:"kind"`
	ContactName  string       `json:"contact_name"`
	ContactPhone string       `json:"contact_phone"`
	Address      string       `json:"address"`
	Description  string       `json:"description"`
	Teams        []OrgLink    `json:"teams"`
	Commitments  []Commitment `json:"commitments"`
	Staff        int          `json:"staff"`
}

// Commitment is what an organisation promised the community for a year
// (共建承诺).
type Commitment struct {
	ID   int64  `json:"id"`
	Year int    `json:"year"`
	Text string `json:"text"`
	Done bool   `json:"done"`
}

// OrgInput creates or changes an organisation (the office).
type OrgInput struct {
	Name         string `json:"name"`
	Kind         string `json:"kind"`
	ContactName  string `json:"contact_name"`
	ContactPhone string `json:"contact_phone"`
	Address      string `json:"address"`
	Description  string `json:"description"`
}

// orgReach: the office and street supervisors' communities see every
// organisation; a partner's staff see their own; others none.
func (s *Service) orgReach(ctx context.Context, actor *accounts.Principal, cid int64) (all bool, own []int64, err error) {
	r, err := s.reachOf(ctx, actor, cid)
	if err != nil {
		return false, nil, err
	}
	if r.office || r.grid {
		return true, nil, nil
	}
	for _, g := range actor.Grants {
		if g.CommunityID == cid && g.Role == accounts.Partner && g.OrganisationID != 0 {
			own = append(own, g.OrganisationID)
		}
	}
	return false, own, nil
}

// Organisations lists the organisations the actor may see.
func (s *Service) Organisations(ctx context.Context, actor *accounts.Principal, cid int64) ([]Organisation, error) {
	all, own, err := s.orgReach(ctx, actor, cid)
	if err != nil {
		return nil, err
	}
	if !all && len(own) == 0 {
		return nil, apperr.NotFoundErr()
	}
	rows, err := s.db.Query(ctx, `SELECT id, name, kind, contact_name, contact_phone, address, description,
		(SELECT count(*) FROM grants g WHERE g.organisation_id = o.id AND g.role = 'partner')
		FROM organisations o WHERE community_id = ? ORDER BY id`, cid)
	if err != nil {
		return nil, fmt.Errorf("volunteers: organisations: %w", err)
	}
	var out []Organisation
	for rows.Next() {
		var o Organisation
		if err := rows.Scan(&o.ID, &o.Name, &o.Kind, &o.ContactName, &o.ContactPhone, &o.Address, &o.Description, &o.Staff); err != nil {
			rows.Close()
			return nil, fmt.Errorf("volunteers: organisations: %w", err)
		}
		if all || slices.Contains(own, o.ID) {
			out = append(out, o)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if err := s.fillOrg(ctx, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Service) fillOrg(ctx context.Context, o *Organisation) error {
	o.Teams, o.Commitments = []OrgLink{}, []Commitment{}
	rows, err := s.db.Query(ctx, `SELECT t.id, t.name FROM team_organisations x JOIN teams t ON t.id = x.team_id WHERE x.organisation_id = ? ORDER BY t.id`, o.ID)
	if err != nil {
		return fmt.Errorf("volunteers: organisation teams: %w", err)
	}
	for rows.Next() {
		var t OrgLink
		if err := rows.Scan(&t.ID, &t.Name); err != nil {
			rows.Close()
			return err
		}
		o.Teams = append(o.Teams, t)
	}
	rows.Close()
	rows, err = s.db.Query(ctx, `SELECT id, year, text, done FROM organisation_commitments WHERE organisation_id = ? ORDER BY year DESC, id`, o.ID)
	if err != nil {
		return fmt.Errorf("volunteers: commitments: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c Commitment
		if err := rows.Scan(&c.ID, &c.Year, &c.Text, &c.Done); err != nil {
			return err
		}
		o.Commitments = append(o.Commitments, c)
	}
	return rows.Err()
}

// orgCommunity returns an organisation's community.
func (s *Service) orgCommunity(ctx context.Context, id int64) (int64, error) {
	var cid int64
	err := s.db.QueryRow(ctx, `SELECT community_id FROM organisations WHERE id = ?`, id).Scan(&cid)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, apperr.NotFoundErr()
	}
	if err != nil {
		return 0, fmt.Errorf("volunteers: organisation: %w", err)
	}
	return cid, nil
}

// Organisation returns one organisation the actor may see.
func (s *Service) Organisation(ctx context.Context, actor *accounts.Principal, id int64) (*Organisation, error) {
	cid, err := s.orgCommunity(ctx, id)
	if err != nil {
		return nil, err
	}
	list, err := s.Organisations(ctx, actor, cid)
	if err != nil {
		return nil, err
	}
	for _, o := range list {
		if o.ID == id {
			return &o, nil
		}
	}
	return nil, apperr.NotFoundErr()
}

func checkOrg(in *OrgInput) error {
	var v apperr.Validation
	in.Name = strings.TrimSpace(in.Name)
	if n := utf8.RuneCountInString(in.Name); n == 0 || n > 60 || hasControl(in.Name) {
		v.Add("name", "org.name.invalid", nil)
	}
	if !slices.Contains(OrgKinds, in.Kind) {
		v.Add("kind", "org.kind.invalid", nil)
	}
	if utf8.RuneCountInString(in.ContactName) > 30 || hasControl(in.ContactName) {
		v.Add("contact_name", "org.contact.invalid", nil)
	}
	if in.ContactPhone != "" {
		// An office line (0311-…) or a mobile; not personal data of a resident.
		p := strings.TrimSpace(in.ContactPhone)
		if m, err := idcard.NormalizePhone(p); err == nil {
			p = m
		} else if len(p) < 7 || len(p) > 20 || strings.Trim(p, "0123456789-") != "" {
			v.Add("contact_phone", "registry.phone.invalid", nil)
		}
		in.ContactPhone = p
	}
	if utf8.RuneCountInString(in.Address) > 100 || hasControl(in.Address) {
		v.Add("address", "org.address.invalid", nil)
	}
	if utf8.RuneCountInString(in.Description) > 1000 {
		v.Add("description", "team.description.long", nil)
	}
	return v.Err()
}

// CreateOrganisation adds an organisation (the office).
func (s *Service) CreateOrganisation(ctx context.Context, actor *accounts.Principal, cid int64, in OrgInput) (*Organisation, error) {
	r, err := s.member(ctx, actor, cid)
	if err != nil {
		return nil, err
	}
	if !r.office {
		return nil, apperr.ForbiddenErr()
	}
	if err := checkOrg(&in); err != nil {
		return nil, err
	}
	var id int64
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO organisations (community_id, name, kind, contact_name, contact_phone, address, description, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, cid, in.Name, in.Kind, in.ContactName, in.ContactPhone, in.Address, in.Description, s.clock.Now()).Scan(&id)
		if db.IsUniqueViolation(err) {
			return apperr.New(apperr.Conflict, "org.exists")
		}
		if err != nil {
			return fmt.Errorf("volunteers: create organisation: %w", err)
		}
		return s.record(ctx, tx, actor, "organisation.create", cid, "organisation", id, in.Name)
	})
	if err != nil {
		return nil, err
	}
	return s.Organisation(ctx, actor, id)
}

// UpdateOrganisation changes an organisation (the office).
func (s *Service) UpdateOrganisation(ctx context.Context, actor *accounts.Principal, id int64, in OrgInput) (*Organisation, error) {
	cid, err := s.orgCommunity(ctx, id)
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
	if err := checkOrg(&in); err != nil {
		return nil, err
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE organisations SET name = ?, kind = ?, contact_name = ?, contact_phone = ?, address = ?, description = ? WHERE id = ?`,
			in.Name, in.Kind, in.ContactName, in.ContactPhone, in.Address, in.Description, id)
		if db.IsUniqueViolation(err) {
			return apperr.New(apperr.Conflict, "org.exists")
		}
		if err != nil {
			return fmt.Errorf("volunteers: update organisation: %w", err)
		}
		return s.record(ctx, tx, actor, "organisation.update", cid, "organisation", id, in.Name)
	})
	if err != nil {
		return nil, err
	}
	return s.Organisation(ctx, actor, id)
}

// AddCommitment records what an organisation promised for a year.
func (s *Service) AddCommitment(ctx context.Context, actor *accounts.Principal, id int64, year int, text string) (*Organisation, error) {
	cid, err := s.orgCommunity(ctx, id)
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
	var v apperr.Validation
	now := s.clock.Now()
	if year < 2000 || year > now.Year()+1 {
		v.Add("year", "org.commitment.year", nil)
	}
	text = strings.TrimSpace(text)
	if n := utf8.RuneCountInString(text); n == 0 || n > 300 || hasControl(text) {
		v.Add("text", "org.commitment.text", nil)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO organisation_commitments (community_id, organisation_id, year, text, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			cid, id, year, text, nullID(actor.AccountID), now); err != nil {
			return fmt.Errorf("volunteers: add commitment: %w", err)
		}
		return s.record(ctx, tx, actor, "organisation.commitment", cid, "organisation", id, text)
	})
	if err != nil {
		return nil, err
	}
	return s.Organisation(ctx, actor, id)
}
