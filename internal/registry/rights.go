package registry

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
	"github.com/linli/linli/internal/db"
)

// Data-subject rights (个人信息保护法 Art. 44-47): a resident signed in sees
// and downloads what is held about them; a worker corrects it (Update);
// an erasure request is recorded and carried out by anonymising, because
// the record of services given must be kept.

// SubjectData is what Linli holds about the signed-in person.
type SubjectData struct {
	Account   *accounts.Account `json:"account"`
	Resident  *Resident         `json:"resident,omitempty"` // unmasked: it is their own
	Household int               `json:"household_members"`  // how many others live there; their data is theirs
	Erasure   []ErasureRequest  `json:"erasure_requests"`
	Generated time.Time         `json:"generated_at"`
}

// ErasureRequest is a request to erase a resident's data.
type ErasureRequest struct {
	ID           int64      `json:"id"`
	CommunityID  int64      `json:"community_id"`
	ResidentID   int64      `json:"resident_id"`
	Reason       string     `json:"reason"`
	Status       string     `json:"status"` // open, done, refused
	DecisionNote string     `json:"decision_note,omitempty"`
	RequestedAt  time.Time  `json:"requested_at"`
	DecidedAt    *time.Time `json:"decided_at,omitempty"`
}

// ownRecord finds the resident record linked to the actor's account.
func (s *Service) ownRecord(ctx context.Context, actor *accounts.Principal) (*record, error) {
	rec, err := scanRecord(s.db.QueryRow(ctx, `SELECT `+residentColumns+residentJoins+` WHERE r.account_id = ?`, actor.AccountID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("registry: own record: %w", err)
	}
	return rec, nil
}

// MyData gathers what is held about the actor, and records the access.
func (s *Service) MyData(ctx context.Context, actor *accounts.Principal, acc *accounts.Account) (*SubjectData, error) {
	now := s.clock.Now()
	out := &SubjectData{Account: acc, Generated: now, Erasure: []ErasureRequest{}}
	rec, err := s.ownRecord(ctx, actor)
	if err != nil {
		return nil, err
	}
	var cid int64
	if rec != nil {
		cid = rec.cid
		if out.Resident, err = s.view(rec, now, Revealable()); err != nil {
			return nil, err
		}
		// Housemates only as a number: their data is theirs, not this
		// person's.
		if err := s.db.QueryRow(ctx, `SELECT count(*) FROM residents WHERE household_id = ? AND id <> ? AND moved_out_at IS NULL`,
			rec.householdID, rec.id).Scan(&out.Household); err != nil {
			return nil, fmt.Errorf("registry: housemates: %w", err)
		}
		if out.Erasure, err = s.erasures(ctx, "resident_id = ?", rec.id); err != nil {
			return nil, err
		}
	}
	e := actor.Audit(now, "subject.access", cid)
	e.ObjectType, e.ObjectID = "account", fmt.Sprint(actor.AccountID)
	if err := audit.Record(ctx, s.db, e); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Service) erasures(ctx context.Context, cond string, args ...any) ([]ErasureRequest, error) {
	rows, err := s.db.Query(ctx, `SELECT id, community_id, resident_id, reason, status, decision_note, requested_at, decided_at
		FROM erasure_requests WHERE `+cond+` ORDER BY id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("registry: erasure requests: %w", err)
	}
	defer rows.Close()
	out := []ErasureRequest{}
	for rows.Next() {
		var r ErasureRequest
		var decided sql.NullTime
		if err := rows.Scan(&r.ID, &r.CommunityID, &r.ResidentID, &r.Reason, &r.Status, &r.DecisionNote, &r.RequestedAt, &decided); err != nil {
			return nil, err
		}
		r.RequestedAt = r.RequestedAt.UTC()
		if decided.Valid {
			t := decided.Time.UTC()
			r.DecidedAt = &t
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// RequestErasure records the actor's request to erase their own record.
func (s *Service) RequestErasure(ctx context.Context, actor *accounts.Principal, reason string) (*ErasureRequest, error) {
	rec, err := s.ownRecord(ctx, actor)
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, apperr.New(apperr.NotFound, "registry.no_record")
	}
	reason = strings.TrimSpace(reason)
	if utf8.RuneCountInString(reason) > 500 {
		return nil, apperr.New(apperr.Invalid, "error.invalid").Field("reason", "registry.reason.too_long", nil)
	}
	now := s.clock.Now()
	var id int64
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var open int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM erasure_requests WHERE resident_id = ? AND status = 'open'`, rec.id).Scan(&open); err != nil {
			return fmt.Errorf("registry: open requests: %w", err)
		}
		if open > 0 {
			return apperr.New(apperr.Conflict, "registry.erasure.open")
		}
		if err := tx.QueryRow(ctx, `INSERT INTO erasure_requests (community_id, resident_id, requested_by, reason, requested_at)
			VALUES (?, ?, ?, ?, ?) RETURNING id`, rec.cid, rec.id, actor.AccountID, reason, now).Scan(&id); err != nil {
			return fmt.Errorf("registry: request erasure: %w", err)
		}
		e := actor.Audit(now, "subject.erasure_request", rec.cid)
		e.ObjectType, e.ObjectID = "resident", fmt.Sprint(rec.id)
		return audit.Record(ctx, tx, e)
	})
	if err != nil {
		return nil, err
	}
	rs, err := s.erasures(ctx, "id = ?", id)
	if err != nil || len(rs) != 1 {
		return nil, fmt.Errorf("registry: reread request: %v", err)
	}
	return &rs[0], nil
}

// ErasureRequests lists a community's requests for its office staff.
func (s *Service) ErasureRequests(ctx context.Context, actor *accounts.Principal, cid int64) ([]ErasureRequest, error) {
	if !roleMay(actor, cid, mustField("name").Export) {
		return nil, apperr.NotFoundErr()
	}
	return s.erasures(ctx, "community_id = ?", cid)
}

// DecideErasure carries out (anonymises) or refuses an open request. A
// refusal needs a note saying why (the law allows refusing only for
// reasons the resident must be told).
func (s *Service) DecideErasure(ctx context.Context, actor *accounts.Principal, id int64, carryOut bool, note string) error {
	var cid, rid int64
	var status string
	err := s.db.QueryRow(ctx, `SELECT community_id, resident_id, status FROM erasure_requests WHERE id = ?`, id).Scan(&cid, &rid, &status)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !roleMay(actor, cid, mustField("name").Export)) {
		return apperr.NotFoundErr()
	}
	if err != nil {
		return fmt.Errorf("registry: find request: %w", err)
	}
	if status != "open" {
		return apperr.New(apperr.Conflict, "registry.erasure.decided")
	}
	note = strings.TrimSpace(note)
	if (!carryOut && utf8.RuneCountInString(note) < 2) || utf8.RuneCountInString(note) > 500 {
		return apperr.New(apperr.Invalid, "error.invalid").Field("note", "registry.erasure.note", nil)
	}
	now := s.clock.Now()
	sl := sealer{s.keys, cid}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		newStatus := "refused"
		if carryOut {
			newStatus = "done"
			placeholder := fmt.Sprintf("已注销居民%d", rid)
			if _, err := tx.Exec(ctx, `UPDATE residents SET name = ?, name_bidx = ?, gender = '', birth_date = NULL, child = ?, child_enc = '',
				id_enc = '', id_bidx = NULL, phone_enc = '', phone_bidx = '', party = ?, tags_enc = '', notes_enc = '', account_id = NULL,
				anonymised_at = ?, moved_out_at = COALESCE(moved_out_at, ?), updated_at = ? WHERE id = ?`,
				placeholder, sl.bidx("name", placeholder), false, false, now, now, now, rid); err != nil {
				return fmt.Errorf("registry: anonymise: %w", err)
			}
			if _, err := tx.Exec(ctx, `DELETE FROM resident_tags WHERE resident_id = ?`, rid); err != nil {
				return fmt.Errorf("registry: anonymise tags: %w", err)
			}
			if _, err := tx.Exec(ctx, `UPDATE households SET head_resident_id = NULL WHERE head_resident_id = ?`, rid); err != nil {
				return fmt.Errorf("registry: anonymise head: %w", err)
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE erasure_requests SET status = ?, decided_by = ?, decision_note = ?, decided_at = ? WHERE id = ?`,
			newStatus, byAccount(actor), note, now, id); err != nil {
			return fmt.Errorf("registry: decide: %w", err)
		}
		e := actor.Audit(now, "subject.erasure_"+newStatus, cid)
		e.ObjectType, e.ObjectID = "resident", fmt.Sprint(rid)
		return audit.Record(ctx, tx, e)
	})
}

// LinkAccount records which resident a login belongs to, so that person
// can see their own data.
func (s *Service) LinkAccount(ctx context.Context, q db.Querier, residentID, accountID int64) error {
	if _, err := q.Exec(ctx, `UPDATE residents SET account_id = ? WHERE id = ?`, accountID, residentID); err != nil {
		return fmt.Errorf("registry: link account: %w", err)
	}
	return nil
}

// LinkResidentAccount records that the login username belongs to resident
// id, so that person can see and download their own data. Office staff
// of the resident's community only; the login must be a resident of it.
func (s *Service) LinkResidentAccount(ctx context.Context, actor *accounts.Principal, id int64, accountID int64) error {
	rec, err := s.find(ctx, actor, id)
	if err != nil {
		return err
	}
	if !roleMay(actor, rec.cid, mustField("name").Export) {
		return apperr.ForbiddenErr()
	}
	var n int
	if err := s.db.QueryRow(ctx, `SELECT count(*) FROM grants WHERE account_id = ? AND role = 'resident' AND community_id = ?`,
		accountID, rec.cid).Scan(&n); err != nil {
		return fmt.Errorf("registry: check login: %w", err)
	}
	if n == 0 {
		return apperr.New(apperr.Invalid, "error.invalid").Field("account_id", "registry.link.not_resident", nil)
	}
	now := s.clock.Now()
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE residents SET account_id = ?, updated_at = ? WHERE id = ?`, accountID, now, id)
		if db.IsUniqueViolation(err) {
			return apperr.New(apperr.Conflict, "registry.link.taken")
		}
		if err != nil {
			return fmt.Errorf("registry: link: %w", err)
		}
		e := actor.Audit(now, "resident.link_account", rec.cid)
		e.ObjectType, e.ObjectID, e.Detail = "resident", fmt.Sprint(id), fmt.Sprint(accountID)
		return audit.Record(ctx, tx, e)
	})
}
