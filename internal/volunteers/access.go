package volunteers

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
)

// Access is what other domains (the hours ledger, activities) need to know
// about an actor's reach into the volunteers of a community.
type Access struct {
	Member bool    // holds any grant in the community
	Office bool    // admin or worker (or the console)
	Teams  []int64 // teams the actor leads
	Own    []int64 // the actor's own volunteer id and their children's
}

// AccessOf works out an actor's Access in community cid.
func (s *Service) AccessOf(ctx context.Context, actor *accounts.Principal, cid int64) (Access, error) {
	r, err := s.reachOf(ctx, actor, cid)
	if err != nil {
		return Access{}, err
	}
	a := Access{Member: r.any(), Office: r.office, Teams: r.teams}
	if r.account == 0 && r.resident == 0 {
		return a, nil
	}
	// Three index lookups joined by UNION: the same condition as an OR
	// made SQLite read every volunteer of the community and probe their
	// consents, a third of a sign-up's time.
	rows, err := s.db.Query(ctx, `SELECT v.id FROM volunteers v WHERE v.community_id = ? AND v.account_id = ?
		UNION SELECT v.id FROM volunteers v WHERE v.community_id = ? AND v.resident_id = ?
		UNION SELECT v.id FROM consents c JOIN volunteers v ON v.id = c.volunteer_id
			WHERE c.guardian_resident_id = ? AND c.kind = 'guardian' AND c.withdrawn_at IS NULL AND v.community_id = ?
		ORDER BY 1`, cid, r.account, cid, r.resident, r.resident, cid)
	if err != nil {
		return a, fmt.Errorf("volunteers: own: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return a, err
		}
		a.Own = append(a.Own, id)
	}
	return a, rows.Err()
}

// Leads reports whether the access includes leading team.
func (a Access) Leads(team int64) bool {
	for _, t := range a.Teams {
		if t == team {
			return true
		}
	}
	return false
}

// MemberOn reports whether volunteer vid belonged to team on date
// (YYYY-MM-DD): joined on or before it and not left before it.
func (s *Service) MemberOn(ctx context.Context, team, vid int64, date string) (bool, error) {
	var n int
	err := s.db.QueryRow(ctx, `SELECT count(*) FROM team_members WHERE team_id = ? AND volunteer_id = ? AND joined_on <= ? AND (left_on IS NULL OR left_on >= ?)`,
		team, vid, date, date).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("volunteers: member on: %w", err)
	}
	return n > 0, nil
}

// Names returns volunteers' display names and numbers for the actor's
// views of records: a child's name masked (刘*嘉) unless the actor is the
// office, the child's own family or a leader of a team of the child's.
func (s *Service) Names(ctx context.Context, actor *accounts.Principal, cid int64, ids []int64) (map[int64][2]string, error) {
	out := map[int64][2]string{}
	if len(ids) == 0 {
		return out, nil
	}
	r, err := s.reachOf(ctx, actor, cid)
	if err != nil {
		return nil, err
	}
	var rows []*row
	err = s.forIDs(ctx, `SELECT `+rowColumns+` FROM volunteers v WHERE v.id IN (%s)`, ids, func(sc func(...any) error) error {
		var v row
		if err := sc(&v.id, &v.cid, &v.number, &v.residentID, &v.accountID, &v.name, &v.gender, &v.birth,
			&v.phoneEnc, &v.skillsOther, &v.cats, &v.availability, &v.status, &v.via, &v.registeredAt); err != nil {
			return err
		}
		rows = append(rows, &v)
		return nil
	})
	if err != nil {
		return nil, err
	}
	var rids []int64
	for _, v := range rows {
		if v.residentID.Valid {
			rids = append(rids, v.residentID.Int64)
		}
	}
	persons, err := s.reg.Persons(ctx, cid, rids)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	for _, v := range rows {
		name, birth := v.name, v.birth.String
		if v.residentID.Valid {
			p := persons[v.residentID.Int64]
			name, birth = p.Name, p.BirthDate
		}
		if age := ageOn(birth, now); age >= 0 && age < ChildAge {
			rel, err := s.relation(ctx, r, v)
			if err != nil {
				return nil, err
			}
			if rel == asGrid {
				name = MaskChildName(name)
			}
		}
		out[v.id] = [2]string{name, v.number}
	}
	return out, nil
}

// CommunityOf returns the community of volunteer id.
func (s *Service) CommunityOf(ctx context.Context, id int64) (int64, error) {
	var cid int64
	if err := s.db.QueryRow(ctx, `SELECT community_id FROM volunteers WHERE id = ?`, id).Scan(&cid); err != nil {
		return 0, fmt.Errorf("volunteers: community of %d: %w", id, err)
	}
	return cid, nil
}

// Identity is what a certificate prints: the name (a child's masked as
// 刘*嘉), the volunteer number, and whether the person is a child.
type Identity struct {
	Name, Number string
	Child        bool
}

// IdentityOf returns volunteer id's identity for a certificate. The
// caller has checked the actor's right to issue one.
func (s *Service) IdentityOf(ctx context.Context, cid, id int64) (Identity, error) {
	v, err := s.rowIn(ctx, cid, id)
	if err != nil {
		return Identity{}, err
	}
	name, birth := v.name, v.birth.String
	if v.residentID.Valid {
		p, ok, err := s.reg.Person(ctx, cid, v.residentID.Int64)
		if err != nil {
			return Identity{}, err
		}
		if ok {
			name, birth = p.Name, p.BirthDate
		}
	}
	idn := Identity{Name: name, Number: v.number}
	if age := ageOn(birth, s.clock.Now()); age >= 0 && age < ChildAge {
		idn.Child, idn.Name = true, MaskChildName(name)
	}
	return idn, nil
}

// Registration is a volunteer as the national volunteer system registers
// them (办法 第五条): the real name, document type and number. Only the
// export for that system uses it; its caller checks the right and audits.
type Registration struct {
	Name, DocType, IDNumber, Number string
}

// Registrations returns volunteers' registrations, ids of community cid.
func (s *Service) Registrations(ctx context.Context, cid int64, ids []int64) (map[int64]Registration, error) {
	out := map[int64]Registration{}
	var rows []*row
	err := s.forIDs(ctx, `SELECT `+rowColumns+`, v.id_enc FROM volunteers v WHERE v.id IN (%s)`, ids, func(sc func(...any) error) error {
		var v row
		var idEnc string
		if err := sc(&v.id, &v.cid, &v.number, &v.residentID, &v.accountID, &v.name, &v.gender, &v.birth,
			&v.phoneEnc, &v.skillsOther, &v.cats, &v.availability, &v.status, &v.via, &v.registeredAt, &idEnc); err != nil {
			return err
		}
		if v.cid != cid {
			return nil
		}
		rows = append(rows, &v)
		id, err := s.open(cid, "id_number", idEnc)
		if err != nil {
			return err
		}
		reg := Registration{Name: v.name, IDNumber: id, Number: v.number}
		if id != "" {
			reg.DocType = "id_card"
		}
		out[v.id] = reg
		return nil
	})
	if err != nil {
		return nil, err
	}
	var rids []int64
	for _, v := range rows {
		if v.residentID.Valid {
			rids = append(rids, v.residentID.Int64)
		}
	}
	persons, err := s.reg.Persons(ctx, cid, rids)
	if err != nil {
		return nil, err
	}
	for _, v := range rows {
		if p, ok := persons[v.residentID.Int64]; ok && v.residentID.Valid {
			out[v.id] = Registration{Name: p.Name, DocType: p.DocType, IDNumber: p.IDNumber, Number: v.number}
		}
	}
	return out, nil
}

// RequireOffice is the check for the office's own acts: NotFound to
// someone outside the community (it does not exist for them), Forbidden
// to a member who is not the office.
func (a Access) RequireOffice() error {
	switch {
	case a.Office:
		return nil
	case a.Member:
		return apperr.ForbiddenErr()
	}
	return apperr.NotFoundErr()
}

// Accounts returns the sign-in accounts that hear about volunteer id: their
// own (as a volunteer or as a resident), and for a minor the accounts of
// the guardians whose consent stands.
func (s *Service) Accounts(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (*sql.Rows, error)
}, id int64) ([]int64, error) {
	rows, err := q.Query(ctx, `SELECT v.account_id FROM volunteers v WHERE v.id = ? AND v.account_id IS NOT NULL
		UNION SELECT r.account_id FROM volunteers v JOIN residents r ON r.id = v.resident_id WHERE v.id = ? AND r.account_id IS NOT NULL
		UNION SELECT g.account_id FROM consents c JOIN residents g ON g.id = c.guardian_resident_id
			WHERE c.volunteer_id = ? AND c.kind = 'guardian' AND c.withdrawn_at IS NULL AND g.account_id IS NOT NULL`, id, id, id)
	if err != nil {
		return nil, fmt.Errorf("volunteers: accounts: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var a int64
		if err := rows.Scan(&a); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// ActsFor resolves whom actor acts for on something of team in community
// cid (a sign-up, a cancellation): volunteer vid, or with vid 0 the
// actor's own record. The office and the team's leaders act for anyone
// of the community, the others for themselves and the children they are
// guardian of, the same three ways as AccessOf's Own. Anything else is
// not found.
//
// It asks the database one question, anchored on the volunteer's key: a
// sign-up runs it on every request (inside EligibleFor), and AccessOf
// would read every record the actor owns plus their resident first.
func (s *Service) ActsFor(ctx context.Context, actor *accounts.Principal, cid, team, vid int64) (int64, error) {
	cond, args, err := actsFor(actor, cid, team, vid)
	if err != nil {
		return 0, err
	}
	var id, in int64
	err = s.db.QueryRow(ctx, `SELECT v.id, v.community_id FROM volunteers v WHERE `+cond, args...).Scan(&id, &in)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && in != cid) {
		return 0, apperr.NotFoundErr()
	}
	if err != nil {
		return 0, fmt.Errorf("volunteers: acts for: %w", err)
	}
	return id, nil
}

// actsFor is ActsFor's test as a condition over the alias v
// (volunteers), for a query that reads more of the volunteer at once.
// The grants alone answer not found for an actor outside the community.
// The caller checks that the row is of community cid: the condition
// names the volunteer by key alone, because with the community beside it
// PostgreSQL may walk the (community, ...) index instead of the key.
func actsFor(actor *accounts.Principal, cid, team, vid int64) (string, []any, error) {
	mode, err := ActsForMode(actor, cid, team, vid)
	if err != nil {
		return "", nil, err
	}
	holes := map[string]any{"cid": cid, "account": actor.AccountID}
	switch mode {
	case ActsForOwn:
		q, args := bindHoles(ownRecordSQL, holes)
		return `v.id = ` + q, args, nil
	case ActsForAnyone:
		return `v.id = ?`, []any{vid}, nil
	default:
		q, args := bindHoles(selfOrWardSQL, holes)
		return `v.id = ? AND ` + q, append([]any{vid}, args...), nil
	}
}

// Whom an actor may act for, by what their grants allow.
const (
	ActsForAnyone = 0 // the office, or a leader for their team: the volunteer named
	ActsForOwn    = 1 // no volunteer named: the actor's own record
	ActsForWard   = 2 // the volunteer named, if it is the actor or their ward
)

// ActsForMode is which of the three the grants allow actor in community
// cid, or -1 and not found for an actor outside it.
func ActsForMode(actor *accounts.Principal, cid, team, vid int64) (int, error) {
	if actor == nil {
		return -1, apperr.NotFoundErr()
	}
	member, anyone := actor.System, actor.System
	for _, g := range actor.Grants {
		if g.CommunityID != cid {
			continue
		}
		member = true
		switch g.Role {
		case accounts.Admin, accounts.Worker:
			anyone = true
		case accounts.Leader:
			anyone = anyone || (team != 0 && g.TeamID == team)
		}
	}
	switch {
	case !member:
		return -1, apperr.NotFoundErr()
	case vid == 0:
		return ActsForOwn, nil
	case anyone:
		return ActsForAnyone, nil
	default:
		return ActsForWard, nil
	}
}

// The conditions are written once, with holes for the community and the
// actor's account, and bound two ways: to arguments for one actor
// (actsFor), or to the columns of a batch of sign-ups, one actor per row
// (ActsForBatch).
const (
	// One's own record: by account, or by the resident one lives as.
	ownRecordSQL = `(SELECT o.id FROM volunteers o WHERE o.community_id = {cid} AND o.account_id = {account}
			UNION SELECT o.id FROM residents me JOIN volunteers o ON o.resident_id = me.id
				WHERE me.community_id = {cid} AND me.account_id = {account} AND me.moved_out_at IS NULL AND o.community_id = {cid}
			ORDER BY 1 LIMIT 1)`
	// v is the actor, the resident they live as, or a child whose
	// guardian they are.
	selfOrWardSQL = `(v.account_id = {account}
			OR EXISTS (SELECT 1 FROM residents me WHERE me.id = v.resident_id AND me.account_id = {account} AND me.moved_out_at IS NULL)
			OR EXISTS (SELECT 1 FROM consents g JOIN residents me ON me.id = g.guardian_resident_id
				WHERE g.volunteer_id = v.id AND g.kind = 'guardian' AND g.withdrawn_at IS NULL
				AND me.community_id = {cid} AND me.account_id = {account} AND me.moved_out_at IS NULL))`
)

// bindHoles replaces each {name} in q by ? and returns the values in the
// order the placeholders appear.
func bindHoles(q string, values map[string]any) (string, []any) {
	var b strings.Builder
	var args []any
	for {
		i := strings.IndexByte(q, '{')
		if i < 0 {
			b.WriteString(q)
			return b.String(), args
		}
		j := strings.IndexByte(q[i:], '}')
		v, ok := values[q[i+1:i+j]]
		if !ok {
			panic("volunteers: no value for hole " + q[i:i+j+1])
		}
		b.WriteString(q[:i])
		b.WriteByte('?')
		args = append(args, v)
		q = q[i+j+1:]
	}
}

// ActsForBatch is whom each row of a batch may be signed up, for a query
// over many actors at once: mode, vid, cid and account name the row's
// columns (ActsForMode, the volunteer named, the community, the actor's
// account). want is the volunteer the row names or, for ActsForOwn, the
// actor's own record; allowed is the condition over v that ActsForWard
// adds. The caller joins v on v.id = want AND allowed.
func ActsForBatch(mode, vid, cid, account string) (want, allowed string) {
	cols := strings.NewReplacer("{cid}", cid, "{account}", account)
	want = `CASE WHEN ` + mode + ` = ` + strconv.Itoa(ActsForOwn) + ` THEN ` + cols.Replace(ownRecordSQL) + ` ELSE ` + vid + ` END`
	allowed = `(` + mode + ` <> ` + strconv.Itoa(ActsForWard) + ` OR ` + cols.Replace(selfOrWardSQL) + `)`
	return want, allowed
}

// Office reports whether actor works in community cid's office (an admin
// or a worker there, or the system), from the grants alone.
func Office(actor *accounts.Principal, cid int64) bool {
	if actor == nil {
		return false
	}
	if actor.System {
		return true
	}
	for _, g := range actor.Grants {
		if g.CommunityID == cid && (g.Role == accounts.Admin || g.Role == accounts.Worker) {
			return true
		}
	}
	return false
}

// Member reports whether actor holds any grant in community cid (or is
// the system), from the grants alone.
func Member(actor *accounts.Principal, cid int64) bool {
	if actor == nil {
		return false
	}
	if actor.System {
		return true
	}
	for _, g := range actor.Grants {
		if g.CommunityID == cid {
			return true
		}
	}
	return false
}
