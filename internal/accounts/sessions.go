package accounts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/audit"
	"github.com/linli/linli/internal/db"
)

// Session kinds: a browser's cookie or an API client's Bearer token. A
// token of one kind is never accepted as the other.
const (
	KindWeb = "web"
	KindAPI = "api"
)

// Session is a live sign-in. Token is only set when the session is made;
// the database keeps its SHA-256.
type Session struct {
	Token     string
	AccountID int64
	Kind      string
	ExpiresAt time.Time // absolute end
}

func hashToken(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

func newToken() (string, error) {
	b := make([]byte, 32) // 256 bits
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("accounts: token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// lifetimes returns the idle timeout and absolute lifetime for a set of
// grants: staff get the short ones.
func (s *Service) lifetimes(gs []Grant) (idle, absolute time.Duration) {
	for _, g := range gs {
		if g.Role.Staff() {
			return s.opt.IdleStaff, s.opt.AbsoluteStaff
		}
	}
	return s.opt.IdleOther, s.opt.AbsoluteOther
}

func (s *Service) createSession(ctx context.Context, tx *db.Tx, a *Account, kind, addr, ua string, now time.Time) (*Session, error) {
	tok, err := newToken()
	if err != nil {
		return nil, err
	}
	idle, abs := s.lifetimes(a.Grants)
	if len(ua) > 300 {
		ua = ua[:300]
	}
	sess := &Session{Token: tok, AccountID: a.ID, Kind: kind, ExpiresAt: now.Add(abs)}
	_, err = tx.Exec(ctx, `INSERT INTO sessions (token_hash, account_id, kind, client_addr, user_agent, created_at, last_seen_at, idle_expires_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		hashToken(tok), a.ID, kind, addr, ua, now, now, now.Add(idle), sess.ExpiresAt)
	if err != nil {
		return nil, fmt.Errorf("accounts: create session: %w", err)
	}
	return sess, nil
}

// touchEvery bounds writes: last-seen times move at most once a minute.
const touchEvery = time.Minute

// Authenticate returns the principal of a live session token of the given
// kind, or Unauthenticated. It reads session, account and grants in one
// query; it writes (to extend the idle timeout) at most once a minute.
func (s *Service) Authenticate(ctx context.Context, token, kind string) (*Principal, error) {
	if token == "" || len(token) > 100 {
		return nil, apperr.UnauthenticatedErr()
	}
	now := s.clock.Now()
	th := hashToken(token)
	if p, ok := s.cache.get(kind+":"+th, now); ok {
		p.SessionKind = kind
		return p, nil
	}
	gen := s.cache.generation()
	rows, err := s.db.Query(ctx, `SELECT a.id, a.username, a.display_name, a.locale, a.large_text, s.last_seen_at,
		s.expires_at, s.idle_expires_at,
		g.id, g.role, COALESCE(g.street_id, 0), COALESCE(g.community_id, 0), COALESCE(g.grid_id, 0),
		COALESCE(g.team_id, 0), COALESCE(g.organisation_id, 0), COALESCE(g.household_id, 0)
		FROM sessions s JOIN accounts a ON a.id = s.account_id
		LEFT JOIN grants g ON g.account_id = a.id
		WHERE s.token_hash = ? AND s.kind = ? AND s.expires_at > ? AND s.idle_expires_at > ? AND a.disabled_at IS NULL
		ORDER BY g.id`, th, kind, now, now)
	if err != nil {
		return nil, fmt.Errorf("accounts: authenticate: %w", err)
	}
	defer rows.Close()
	var p *Principal
	var lastSeen, expires, idleExpires time.Time
	for rows.Next() {
		if p == nil {
			p = &Principal{SessionKind: kind}
		}
		var gid sql.NullInt64
		var role sql.NullString
		var g Grant
		if err := rows.Scan(&p.AccountID, &p.Username, &p.DisplayName, &p.Locale, &p.LargeText, &lastSeen, &expires, &idleExpires,
			&gid, &role, &g.StreetID, &g.CommunityID, &g.GridID, &g.TeamID, &g.OrganisationID, &g.HouseholdID); err != nil {
			return nil, fmt.Errorf("accounts: scan session: %w", err)
		}
		if gid.Valid {
			g.ID, g.AccountID, g.Role = gid.Int64, p.AccountID, Role(role.String)
			p.Grants = append(p.Grants, g)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("accounts: read session: %w", err)
	}
	rows.Close()
	if p == nil {
		return nil, apperr.UnauthenticatedErr()
	}
	if now.Sub(lastSeen) >= touchEvery {
		idle, _ := s.lifetimes(p.Grants)
		// A lost race with another request only repeats the same write.
		if _, err := s.db.Exec(ctx, `UPDATE sessions SET last_seen_at = ?, idle_expires_at = ? WHERE token_hash = ?`,
			now, now.Add(idle), th); err != nil {
			return nil, fmt.Errorf("accounts: touch session: %w", err)
		}
		if _, err := s.db.Exec(ctx, `UPDATE accounts SET last_seen_at = ? WHERE id = ?`, now, p.AccountID); err != nil {
			return nil, fmt.Errorf("accounts: touch account: %w", err)
		}
		lastSeen, idleExpires = now, now.Add(idle)
	}
	s.cache.put(kind+":"+th, cachedPrincipal{p: *p, fetched: now, lastSeen: lastSeen, expires: expires, idleExpires: idleExpires}, gen)
	return p, nil
}

// Logout ends the session of token at once.
func (s *Service) Logout(ctx context.Context, p *Principal, token string) error {
	defer s.cache.clear()
	now := s.clock.Now()
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE token_hash = ?`, hashToken(token)); err != nil {
			return fmt.Errorf("accounts: logout: %w", err)
		}
		e := p.Audit(now, "account.logout", 0)
		e.ObjectType, e.ObjectID = "account", fmt.Sprint(p.AccountID)
		return audit.Record(ctx, tx, e)
	})
}

// endSessions removes every session of an account, optionally keeping one.
func endSessions(ctx context.Context, q db.Querier, accountID int64, keepToken string) error {
	_, err := q.Exec(ctx, `DELETE FROM sessions WHERE account_id = ? AND token_hash <> ?`, accountID, hashToken(keepToken))
	if err != nil {
		return fmt.Errorf("accounts: end sessions: %w", err)
	}
	return nil
}

// PurgeExpired deletes dead sessions and stale throttle rows; the jobs
// scheduler runs it.
func (s *Service) PurgeExpired(ctx context.Context) (int64, error) {
	now := s.clock.Now()
	res, err := s.db.Exec(ctx, `DELETE FROM sessions WHERE expires_at <= ? OR idle_expires_at <= ?`, now, now)
	if err != nil {
		return 0, fmt.Errorf("accounts: purge sessions: %w", err)
	}
	n, _ := res.RowsAffected()
	if _, err := s.db.Exec(ctx, `DELETE FROM login_throttle WHERE last_failed_at < ? AND (locked_until IS NULL OR locked_until < ?)`,
		now.Add(-24*time.Hour), now); err != nil {
		return n, fmt.Errorf("accounts: purge throttle: %w", err)
	}
	return n, nil
}

var errNoRows = sql.ErrNoRows

func isNoRows(err error) bool { return errors.Is(err, errNoRows) }
