// Package feeds serves iCalendar feeds of a community's activities at
// /feeds/{token}.ics: the community's, a team's, and a person's own
// sign-ups. A phone subscribes without signing in, so the token is the
// credential: 256 random bits, stored only as its SHA-256 (to find the
// feed) and sealed with the server's key (to show the owner their URL
// again), never in the clear.
//
// A feed answers with what its owner may see today: it is worked out
// afresh from the owner's account on every fetch, so a disabled account,
// a revoked grant or a team left turns the feed into a 404.
//
// The package only reads the activities tables; skipped and moved dates
// are whatever rows the occurrences table holds (see series.go).
package feeds

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/audit"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/i18n"
	"github.com/linli/linli/internal/secret"
	"github.com/linli/linli/internal/volunteers"
)

// Feed kinds, in the order a list shows them.
const (
	Community = "community"
	Team      = "team"
	Person    = "person"
)

// Feed is one subscribable calendar of the caller's.
type Feed struct {
	ID     int64  `json:"id"` // to rotate this feed alone
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	TeamID int64  `json:"team_id,omitempty"`
	URL    string `json:"url"` // absolute: https://host/feeds/<token>.ics
}

// Service issues and serves feeds.
type Service struct {
	db    *db.DB
	clock clock.Clock
	keys  *secret.Keyring
	acc   *accounts.Service
	vol   *volunteers.Service
}

// New returns a Service.
func New(d *db.DB, c clock.Clock, keys *secret.Keyring, acc *accounts.Service, vol *volunteers.Service) *Service {
	return &Service{db: d, clock: c, keys: keys, acc: acc, vol: vol}
}

// scope is one feed an account may have in a community.
type scope struct {
	kind string
	id   int64 // the team; 0 for the community and the person
	name string
}

// scopes lists the feeds actor may have in community cid: the
// community's, then each team they lead or belong to (themselves or a
// child of theirs, still a member), then their own. Someone with no grant
// in the community gets NotFound.
func (s *Service) scopes(ctx context.Context, actor *accounts.Principal, cid int64) ([]scope, volunteers.Access, error) {
	if actor == nil || actor.AccountID == 0 {
		return nil, volunteers.Access{}, apperr.NotFoundErr()
	}
	acc, err := s.vol.AccessOf(ctx, actor, cid)
	if err != nil {
		return nil, acc, err
	}
	if !acc.Member {
		return nil, acc, apperr.NotFoundErr()
	}
	out := []scope{{kind: Community}}
	if err := s.db.QueryRow(ctx, `SELECT name FROM communities WHERE id = ?`, cid).Scan(&out[0].name); err != nil {
		return nil, acc, fmt.Errorf("feeds: community: %w", err)
	}
	ids := slices.Concat(acc.Teams, acc.Own)
	if len(ids) > 0 {
		// Teams led (acc.Teams) or joined by one of the actor's own
		// volunteers (acc.Own); the ids share one IN list per column.
		q := `SELECT t.id, t.name FROM teams t WHERE t.community_id = ? AND (t.id IN (` + marks(len(acc.Teams)) + `)
			OR EXISTS (SELECT 1 FROM team_members tm WHERE tm.team_id = t.id AND tm.left_on IS NULL AND tm.volunteer_id IN (` + marks(len(acc.Own)) + `)))
			ORDER BY t.id`
		args := []any{cid}
		for _, id := range ids {
			args = append(args, id)
		}
		rows, err := s.db.Query(ctx, q, args...)
		if err != nil {
			return nil, acc, fmt.Errorf("feeds: teams: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			sc := scope{kind: Team}
			if err := rows.Scan(&sc.id, &sc.name); err != nil {
				return nil, acc, fmt.Errorf("feeds: teams: %w", err)
			}
			out = append(out, sc)
		}
		if err := rows.Err(); err != nil {
			return nil, acc, fmt.Errorf("feeds: teams: %w", err)
		}
	}
	out = append(out, scope{kind: Person, name: i18n.T(actor.Locale, "feed.person", nil)})
	return out, acc, nil
}

// marks returns n placeholders; with n = 0 a NULL, which matches nothing.
func marks(n int) string {
	if n == 0 {
		return "NULL"
	}
	b := make([]byte, 0, 2*n)
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '?')
	}
	return string(b)
}

func hashToken(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

func newToken() (string, error) {
	b := make([]byte, 32) // 256 bits
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("feeds: token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// aad binds a sealed token to its row, so it cannot be copied to another.
func aad(account, cid int64, kind string, id int64) string {
	return fmt.Sprintf("calendar_feeds:%d:%d:%s:%d", account, cid, kind, id)
}

// List returns actor's feeds in community cid, making the tokens of the
// ones they do not have yet. base is the absolute root of the URLs
// (httpx.BaseURL). The web pages call it too.
func (s *Service) List(ctx context.Context, actor *accounts.Principal, cid int64, base string) ([]Feed, error) {
	scs, _, err := s.scopes(ctx, actor, cid)
	if err != nil {
		return nil, err
	}
	out := make([]Feed, 0, len(scs))
	for _, sc := range scs {
		id, tok, err := s.token(ctx, actor, cid, sc)
		if err != nil {
			return nil, err
		}
		out = append(out, Feed{ID: id, Kind: sc.kind, Name: sc.name, TeamID: sc.id, URL: base + "/feeds/" + tok + ".ics"})
	}
	return out, nil
}

// token returns the row id and token of one feed, issuing it on first use.
func (s *Service) token(ctx context.Context, actor *accounts.Principal, cid int64, sc scope) (int64, string, error) {
	for range 2 {
		var id int64
		var enc string
		err := s.db.QueryRow(ctx, `SELECT id, token_enc FROM calendar_feeds WHERE account_id = ? AND community_id = ? AND kind = ? AND scope_id = ?`,
			actor.AccountID, cid, sc.kind, sc.id).Scan(&id, &enc)
		if err == nil {
			tok, err := s.keys.Decrypt(enc, aad(actor.AccountID, cid, sc.kind, sc.id))
			if err != nil {
				return 0, "", fmt.Errorf("feeds: open token: %w", err)
			}
			return id, tok, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return 0, "", fmt.Errorf("feeds: find token: %w", err)
		}
		tok, err := newToken()
		if err != nil {
			return 0, "", err
		}
		enc, err = s.keys.Encrypt(tok, aad(actor.AccountID, cid, sc.kind, sc.id))
		if err != nil {
			return 0, "", err
		}
		now := s.clock.Now()
		err = s.db.InTx(ctx, func(tx *db.Tx) error {
			err := tx.QueryRow(ctx, `INSERT INTO calendar_feeds (account_id, community_id, kind, scope_id, token_hash, token_enc, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, actor.AccountID, cid, sc.kind, sc.id, hashToken(tok), enc, now).Scan(&id)
			if err != nil {
				return err
			}
			e := actor.Audit(now, "calendar_feed.create", cid)
			e.ObjectType, e.ObjectID = "calendar_feed", fmt.Sprintf("%s:%d", sc.kind, sc.id)
			return audit.Record(ctx, tx, e)
		})
		if db.IsUniqueViolation(err) {
			continue // a request alongside made it first: read theirs
		}
		if err != nil {
			return 0, "", fmt.Errorf("feeds: issue token: %w", err)
		}
		return id, tok, nil
	}
	return 0, "", fmt.Errorf("feeds: token of %s %d keeps changing", sc.kind, sc.id)
}

// Rotate gives every feed of actor's in community cid a new token: the
// old URLs stop working at once (a URL shared by mistake, a lost phone).
// It returns the new list.
func (s *Service) Rotate(ctx context.Context, actor *accounts.Principal, cid int64, base string) ([]Feed, error) {
	if _, _, err := s.scopes(ctx, actor, cid); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, kind, scope_id FROM calendar_feeds WHERE account_id = ? AND community_id = ? ORDER BY id`, actor.AccountID, cid)
		if err != nil {
			return fmt.Errorf("feeds: rotate: %w", err)
		}
		type row struct {
			id, scope int64
			kind      string
		}
		var rs []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.id, &r.kind, &r.scope); err != nil {
				rows.Close()
				return fmt.Errorf("feeds: rotate: %w", err)
			}
			rs = append(rs, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("feeds: rotate: %w", err)
		}
		for _, r := range rs {
			tok, err := newToken()
			if err != nil {
				return err
			}
			enc, err := s.keys.Encrypt(tok, aad(actor.AccountID, cid, r.kind, r.scope))
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE calendar_feeds SET token_hash = ?, token_enc = ? WHERE id = ?`, hashToken(tok), enc, r.id); err != nil {
				return fmt.Errorf("feeds: rotate: %w", err)
			}
		}
		e := actor.Audit(now, "calendar_feed.rotate", cid)
		e.ObjectType, e.Detail = "calendar_feed", fmt.Sprintf("%d feeds", len(rs))
		return audit.Record(ctx, tx, e)
	})
	if err != nil {
		return nil, err
	}
	return s.List(ctx, actor, cid, base)
}

// owner is whom a token belongs to, and which feed it is.
type owner struct {
	p     *accounts.Principal
	cid   int64
	scope scope
	acc   volunteers.Access
}

// resolve finds a token's feed and checks that its owner may still have
// it. Every refusal is the same NotFound, so a fetch learns nothing about
// tokens that are not live.
func (s *Service) resolve(ctx context.Context, token string) (*owner, error) {
	if len(token) != 43 {
		return nil, apperr.NotFoundErr()
	}
	if _, err := base64.RawURLEncoding.DecodeString(token); err != nil {
		return nil, apperr.NotFoundErr()
	}
	var account, cid, id int64
	var kind string
	err := s.db.QueryRow(ctx, `SELECT account_id, community_id, kind, scope_id FROM calendar_feeds WHERE token_hash = ?`, hashToken(token)).
		Scan(&account, &cid, &kind, &id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFoundErr()
	}
	if err != nil {
		return nil, fmt.Errorf("feeds: find feed: %w", err)
	}
	a, err := s.acc.FindAccount(ctx, account)
	if err != nil {
		return nil, err
	}
	if a.Disabled {
		return nil, apperr.NotFoundErr()
	}
	p := &accounts.Principal{AccountID: a.ID, Username: a.Username, DisplayName: a.DisplayName, Locale: a.Locale, Grants: a.Grants}
	scs, acc, err := s.scopes(ctx, p, cid)
	if err != nil {
		return nil, err
	}
	for _, sc := range scs {
		if sc.kind == kind && sc.id == id {
			return &owner{p: p, cid: cid, scope: sc, acc: acc}, nil
		}
	}
	return nil, apperr.NotFoundErr() // a team left, a role taken away
}
