package feeds

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/audit"
	"github.com/linli/linli/internal/db"
)

// RotateOne gives one of actor's feeds, by its id (Feed.ID), a new token
// and returns it: the old URL stops working at once, the owner's other
// feeds keep theirs (one calendar shared by mistake should not cost the
// phone's other subscriptions). Someone else's feed, or one its owner may
// no longer have (a team left), is NotFound, like an id that does not exist.
func (s *Service) RotateOne(ctx context.Context, actor *accounts.Principal, id int64, base string) (*Feed, error) {
	if actor == nil || actor.AccountID == 0 {
		return nil, apperr.NotFoundErr()
	}
	var cid, scopeID int64
	var kind string
	err := s.db.QueryRow(ctx, `SELECT community_id, kind, scope_id FROM calendar_feeds WHERE id = ? AND account_id = ?`, id, actor.AccountID).
		Scan(&cid, &kind, &scopeID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFoundErr()
	}
	if err != nil {
		return nil, fmt.Errorf("feeds: find feed %d: %w", id, err)
	}
	scs, _, err := s.scopes(ctx, actor, cid)
	if err != nil {
		return nil, err
	}
	var sc *scope
	for i := range scs {
		if scs[i].kind == kind && scs[i].id == scopeID {
			sc = &scs[i]
		}
	}
	if sc == nil {
		return nil, apperr.NotFoundErr()
	}
	tok, err := newToken()
	if err != nil {
		return nil, err
	}
	enc, err := s.keys.Encrypt(tok, aad(actor.AccountID, cid, kind, scopeID))
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE calendar_feeds SET token_hash = ?, token_enc = ? WHERE id = ? AND account_id = ?`, hashToken(tok), enc, id, actor.AccountID)
		if err != nil {
			return fmt.Errorf("feeds: rotate %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.NotFoundErr() // gone since the first read (the account erased)
		}
		e := actor.Audit(now, "calendar_feed.rotate", cid)
		e.ObjectType, e.ObjectID, e.Detail = "calendar_feed", fmt.Sprintf("%s:%d", kind, scopeID), "one feed"
		return audit.Record(ctx, tx, e)
	})
	if err != nil {
		return nil, err
	}
	return &Feed{ID: id, Kind: kind, Name: sc.name, TeamID: scopeID, URL: base + "/feeds/" + tok + ".ics"}, nil
}
