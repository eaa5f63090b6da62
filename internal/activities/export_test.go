package activities

import (
	"context"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/volunteers"
)

// SetGap makes s call f between a method's first reads and its
// transaction (see Service.gap), so a test can run a rival change there.
func SetGap(s *Service, f func(at string)) { s.gap = f }

// AtOnce reports whether SignUp's one statement (signUpOnce) admits vid
// to occurrence id for actor, writing nothing, next to what the
// three-round-trip path decides (nil: admitted). ok is false for an
// actor the one statement is not for.
func AtOnce(ctx context.Context, s *Service, actor *accounts.Principal, id, vid int64) (admitted bool, slow error, ok bool, err error) {
	now := s.clock.Now()
	slow = func() error {
		o, err := s.occurrence(ctx, s.db, id)
		if err != nil {
			return err
		}
		if !volunteers.Member(actor, o.cid) {
			return apperr.NotFoundErr()
		}
		if err := s.admissible(o, actor, now); err != nil {
			return err
		}
		_, err = s.vol.EligibleFor(ctx, actor, o.ask(vid))
		return err
	}()
	cid := onceCommunity(actor)
	if cid == 0 {
		return false, slow, false, nil
	}
	cond, args, err := volunteers.ActsForCond(actor, cid, 0, vid)
	if err != nil {
		return false, slow, true, nil
	}
	args = append(args, id, cid, now, volunteers.Office(actor, cid), now)
	err = s.db.QueryRow(ctx, `WITH `+onceFacts(cond)+` SELECT EXISTS (SELECT 1 FROM ok)`, args...).Scan(&admitted)
	return admitted, slow, true, err
}
