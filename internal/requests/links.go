package requests

import (
	"context"
	"fmt"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/db"
)

// Link records that requests id and other are related (the same leak
// seen from two flats, a complaint and the repair it led to): the office,
// or a grid worker for two requests of its grids. Linking twice is a
// no-op; a duplicate link made by a merge stays a duplicate.
func (s *Service) Link(ctx context.Context, actor *accounts.Principal, id, other int64) (*Request, error) {
	r, rc, rel, err := s.find(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	if !rel.office {
		return nil, apperr.New(apperr.Forbidden, "request.side.forbidden")
	}
	bad := apperr.New(apperr.Invalid, "error.invalid").Field("linked_id", "request.link.target", nil)
	if other == 0 || other == id {
		return nil, bad
	}
	o, err := s.load(ctx, other)
	if apperr.Is(err, apperr.NotFound) {
		return nil, bad
	}
	if err != nil {
		return nil, err
	}
	if o.cid != r.cid || !rc.relationTo(o).read {
		return nil, bad
	}
	a, b := min(id, other), max(id, other)
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, `INSERT INTO request_links (request_id, linked_id, kind, created_by, created_at) VALUES (?, ?, 'related', ?, ?)
			ON CONFLICT (request_id, linked_id) DO NOTHING`, a, b, nullID(actor.AccountID), s.clock.Now().UTC())
		if err != nil {
			return fmt.Errorf("requests: link: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return s.record(ctx, tx, actor, "request.link", r.cid, id, o.number)
	})
	if err != nil {
		return nil, err
	}
	return s.fullView(ctx, r, rel, rel.requester)
}
