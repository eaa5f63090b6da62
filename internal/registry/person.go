package registry

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/linli/linli/internal/db"
)

// Person is what another domain needs to know about a resident it works
// with (a volunteer, a child's guardian) to apply its own rules: the
// identity with the sealed parts opened. It is not a view. The caller
// decides what to show, masks it, and writes the audit entry for the act
// that needed it; nothing here is meant to be sent to a client as is.
type Person struct {
	ResidentID  int64
	CommunityID int64
	HouseholdID int64
	GridID      int64
	Address     string
	Name        string // the full name, a child's too
	StoredName  string // as the registry stores it: masked ("王**") for a child
	Gender      string
	BirthDate   string // YYYY-MM-DD or ""
	Child       bool   // under ChildAge when last written
	Phone       string // opened; mask before showing
	DocType     string // id_card, passport, …
	IDNumber    string // opened; only exports for the national system print it
	MovedOut    bool
	AccountID   int64
}

// Persons loads residents of community cid by id. Ids that are not there
// (or belong to another community) are absent from the map.
func (s *Service) Persons(ctx context.Context, cid int64, ids []int64) (map[int64]Person, error) {
	out := make(map[int64]Person, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	sl := sealer{s.keys, cid}
	// In chunks: SQLite allows 32,766 parameters, and a team is far smaller.
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		args := make([]any, 0, len(chunk)+1)
		args = append(args, cid)
		for _, id := range chunk {
			args = append(args, id)
		}
		q := `SELECT ` + residentColumns + `, r.account_id` + residentJoins +
			` WHERE r.community_id = ? AND r.id IN (?` + strings.Repeat(",?", len(chunk)-1) + `)`
		rows, err := s.db.Query(ctx, q, args...)
		if err != nil {
			return nil, fmt.Errorf("registry: persons: %w", err)
		}
		for rows.Next() {
			var r record
			var acct sql.NullInt64
			err := rows.Scan(&r.id, &r.cid, &r.householdID, &r.address, &r.name, &r.gender, &r.birth, &r.child,
				&r.docType, &r.relation, &r.party, &r.movedIn, &r.movedOut, &r.idEnc, &r.phoneEnc, &r.tagsEnc,
				&r.notesEnc, &r.childEnc, &r.gridID, &acct)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("registry: persons: %w", err)
			}
			p := Person{ResidentID: r.id, CommunityID: r.cid, HouseholdID: r.householdID, GridID: r.gridID.Int64,
				Address: r.address, Name: r.name, StoredName: r.name, Gender: r.gender, BirthDate: r.birth,
				Child: r.child, MovedOut: r.movedOut.Valid, AccountID: acct.Int64}
			if r.childEnc != "" {
				var sec secrets
				if err := sl.openJSON("child", r.childEnc, &sec); err != nil {
					rows.Close()
					return nil, err
				}
				p.Name, p.Gender, p.BirthDate = sec.Name, sec.Gender, sec.BirthDate
			}
			if p.Phone, err = sl.open("phone", r.phoneEnc); err != nil {
				rows.Close()
				return nil, err
			}
			p.DocType = r.docType
			if p.IDNumber, err = sl.open("id_number", r.idEnc); err != nil {
				rows.Close()
				return nil, err
			}
			out[p.ResidentID] = p
		}
		if err := rows.Close(); err != nil {
			return nil, fmt.Errorf("registry: persons: %w", err)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("registry: persons: %w", err)
		}
	}
	return out, nil
}

// Person loads one resident; ok is false when there is none in cid.
func (s *Service) Person(ctx context.Context, cid, id int64) (Person, bool, error) {
	m, err := s.Persons(ctx, cid, []int64{id})
	if err != nil {
		return Person{}, false, err
	}
	p, ok := m[id]
	return p, ok, nil
}

// BirthColumns reads, over the residents alias r, what BirthDate needs:
// the plain birth date, the sealed child fields and whether the resident
// has moved out. It is for a caller that joins the resident into its own
// query (a sign-up's eligibility check) instead of paying a second round
// trip for Person; the sealing stays here.
// The columns are named (f_birth_r, f_child, f_moved_out) for a caller
// whose CTE refers to them.
const BirthColumns = `COALESCE(r.birth_date, '') AS f_birth_r, COALESCE(r.child_enc, '') AS f_child, r.moved_out_at IS NOT NULL AS f_moved_out`

// BirthDate opens the birth date that BirthColumns read: a child's is
// sealed with their name and gender, an adult's is plain.
func (s *Service) BirthDate(cid int64, birth, childEnc string) (string, error) {
	if childEnc == "" {
		return birth, nil
	}
	var sec secrets
	if err := (sealer{s.keys, cid}).openJSON("child", childEnc, &sec); err != nil {
		return "", err
	}
	return sec.BirthDate, nil
}

// ResidentOfAccount returns the resident row linked to a sign-in account
// in cid (a resident's own record), or 0.
func (s *Service) ResidentOfAccount(ctx context.Context, cid, accountID int64) (int64, error) {
	var id int64
	err := s.db.QueryRow(ctx, `SELECT id FROM residents WHERE community_id = ? AND account_id = ? AND moved_out_at IS NULL`, cid, accountID).Scan(&id)
	if err == sql.ErrNoRows {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("registry: resident of account: %w", err)
	}
	return id, nil
}

// RenameTx corrects an adult resident's name inside the caller's
// transaction, re-indexing it. The demo uses it to give its named logins
// (赵建国 the electrician, 刘静 the children's team leader) a home.
func (s *Service) RenameTx(ctx context.Context, q db.Querier, cid, id int64, name string) error {
	res, err := q.Exec(ctx, `UPDATE residents SET name = ?, name_bidx = ?, updated_at = ? WHERE id = ? AND community_id = ? AND child = ?`,
		name, sealer{s.keys, cid}.bidx("name", name), s.clock.Now(), id, cid, false)
	if err != nil {
		return fmt.Errorf("registry: rename: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("registry: rename: no adult resident %d in community %d", id, cid)
	}
	return nil
}
