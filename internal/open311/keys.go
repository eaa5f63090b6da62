package open311

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
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

// Key is an Open311 API key as listed: never the key itself, which is
// shown once, when it is created.
type Key struct {
	ID          int64      `json:"id"`
	CommunityID int64      `json:"community_id"`
	Name        string     `json:"name"`
	Prefix      string     `json:"prefix"`
	CreatedAt   time.Time  `json:"created_at"`
	RevokedAt   *time.Time `json:"revoked_at,omitempty"`
	LastUsedAt  *time.Time `json:"last_used_at,omitempty"`
}

// NewKey is a key just created, with the secret to hand to the client.
type NewKey struct {
	Key
	Secret string `json:"api_key"`
}

// Keys keeps the API keys. Only a SHA-256 of each is stored: a key is 32
// random bytes, so a slow hash would add nothing but latency.
type Keys struct {
	db    *db.DB
	clock clock.Clock
}

// NewKeys returns the key store.
func NewKeys(d *db.DB, c clock.Clock) *Keys { return &Keys{db: d, clock: c} }

const keyPrefix = "o311_"

func hashKey(k string) string {
	h := sha256.Sum256([]byte(k))
	return hex.EncodeToString(h[:])
}

// adminOf says whether actor administers community cid: the console, or
// an admin grant there. Others in the community are refused; outsiders
// do not learn the community's keys exist.
func adminOf(actor *accounts.Principal, cid int64) error {
	if actor == nil {
		return apperr.UnauthenticatedErr()
	}
	if actor.System {
		return nil
	}
	member := false
	for _, g := range actor.Grants {
		if g.CommunityID == cid {
			member = true
			if g.Role == accounts.Admin {
				return nil
			}
		}
	}
	if member {
		return apperr.ForbiddenErr()
	}
	return apperr.NotFoundErr()
}

// Create makes a key for community cid named name (who it is for: "市民热线
// 对接", "FixMyStreet test"): an admin of the community or the console.
func (k *Keys) Create(ctx context.Context, actor *accounts.Principal, cid int64, name string) (*NewKey, error) {
	if err := adminOf(actor, cid); err != nil {
		return nil, err
	}
	name = strings.TrimSpace(name)
	if n := utf8.RuneCountInString(name); n < 1 || n > 60 || strings.ContainsAny(name, "<>\x00\n\r\t") {
		return nil, apperr.New(apperr.Invalid, "error.invalid").Field("name", "open311.key.name", nil)
	}
	var exists int
	if err := k.db.QueryRow(ctx, `SELECT count(*) FROM communities WHERE id = ?`, cid).Scan(&exists); err != nil {
		return nil, fmt.Errorf("open311: community: %w", err)
	}
	if exists == 0 {
		return nil, apperr.NotFoundErr()
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("open311: key: %w", err)
	}
	secret := keyPrefix + hex.EncodeToString(b)
	nk := &NewKey{Secret: secret}
	nk.CommunityID, nk.Name, nk.Prefix, nk.CreatedAt = cid, name, secret[:len(keyPrefix)+6], k.clock.Now().UTC()
	err := k.db.InTx(ctx, func(tx *db.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO open311_keys (community_id, name, prefix, key_hash, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, cid, name, nk.Prefix, hashKey(secret), nullID(actor.AccountID), nk.CreatedAt).Scan(&nk.ID); err != nil {
			return fmt.Errorf("open311: insert key: %w", err)
		}
		return record(ctx, tx, actor, k.clock.Now(), "open311.key.create", cid, nk.ID, name)
	})
	if err != nil {
		return nil, err
	}
	return nk, nil
}

// List lists community cid's keys, newest first, revoked ones too.
func (k *Keys) List(ctx context.Context, actor *accounts.Principal, cid int64) ([]Key, error) {
	if err := adminOf(actor, cid); err != nil {
		return nil, err
	}
	rows, err := k.db.Query(ctx, `SELECT id, community_id, name, prefix, created_at, revoked_at, last_used_at
		FROM open311_keys WHERE community_id = ? ORDER BY id DESC`, cid)
	if err != nil {
		return nil, fmt.Errorf("open311: keys: %w", err)
	}
	defer rows.Close()
	out := []Key{}
	for rows.Next() {
		var c Key
		var rev, used sql.NullTime
		if err := rows.Scan(&c.ID, &c.CommunityID, &c.Name, &c.Prefix, &c.CreatedAt, &rev, &used); err != nil {
			return nil, fmt.Errorf("open311: keys: %w", err)
		}
		c.RevokedAt, c.LastUsedAt = ptime(rev), ptime(used)
		out = append(out, c)
	}
	return out, rows.Err()
}

// Revoke ends key id: from then on it answers 403. Revoking a revoked
// key changes nothing and says so (Conflict).
func (k *Keys) Revoke(ctx context.Context, actor *accounts.Principal, id int64) (*Key, error) {
	var cid int64
	var revoked sql.NullTime
	err := k.db.QueryRow(ctx, `SELECT community_id, revoked_at FROM open311_keys WHERE id = ?`, id).Scan(&cid, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFoundErr()
	}
	if err != nil {
		return nil, fmt.Errorf("open311: key %d: %w", id, err)
	}
	if err := adminOf(actor, cid); err != nil {
		return nil, err
	}
	if revoked.Valid {
		return nil, apperr.New(apperr.Conflict, "open311.key.revoked")
	}
	err = k.db.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE open311_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, k.clock.Now().UTC(), id)
		if err != nil {
			return fmt.Errorf("open311: revoke: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.New(apperr.Conflict, "open311.key.revoked")
		}
		return record(ctx, tx, actor, k.clock.Now(), "open311.key.revoke", cid, id, "")
	})
	if err != nil {
		return nil, err
	}
	keys, err := k.List(ctx, actor, cid)
	if err != nil {
		return nil, err
	}
	for _, c := range keys {
		if c.ID == id {
			return &c, nil
		}
	}
	return nil, apperr.NotFoundErr()
}

// check finds the live key secret; ok is false for an unknown or revoked
// one. It notes when the key was last used.
func (k *Keys) check(ctx context.Context, secret string) (Key, bool, error) {
	var c Key
	if !strings.HasPrefix(secret, keyPrefix) || len(secret) > 200 {
		return c, false, nil
	}
	err := k.db.QueryRow(ctx, `SELECT id, community_id, name, prefix, created_at FROM open311_keys
		WHERE key_hash = ? AND revoked_at IS NULL`, hashKey(secret)).Scan(&c.ID, &c.CommunityID, &c.Name, &c.Prefix, &c.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return c, false, nil
	}
	if err != nil {
		return c, false, fmt.Errorf("open311: check key: %w", err)
	}
	if _, err := k.db.Exec(ctx, `UPDATE open311_keys SET last_used_at = ? WHERE id = ?`, k.clock.Now().UTC(), c.ID); err != nil {
		return c, false, fmt.Errorf("open311: key used: %w", err)
	}
	return c, true, nil
}

func record(ctx context.Context, q db.Querier, actor *accounts.Principal, at time.Time, action string, cid, id int64, detail string) error {
	e := actor.Audit(at, action, cid)
	e.ObjectType, e.ObjectID, e.Detail = "open311_key", fmt.Sprint(id), detail
	if err := audit.Record(ctx, q, e); err != nil {
		return fmt.Errorf("open311: audit: %w", err)
	}
	return nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func ptime(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.Time.UTC()
	return &u
}
