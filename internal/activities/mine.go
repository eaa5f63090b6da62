package activities

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
)

// MyOccurrences lists, like Occurrences, community cid's dates between
// from and to (optionally of one team), but only those the actor or a
// child they are guardian of is signed up or waitlisted for: a person's
// month view.
func (s *Service) MyOccurrences(ctx context.Context, actor *accounts.Principal, cid int64, from, to time.Time, team int64) ([]Occurrence, error) {
	acc, err := s.vol.AccessOf(ctx, actor, cid)
	if err != nil {
		return nil, err
	}
	if !acc.Member {
		return nil, apperr.NotFoundErr()
	}
	if !to.After(from) || to.Sub(from) > 400*24*time.Hour {
		return nil, apperr.New(apperr.Invalid, "error.invalid").Field("to", "activity.period.invalid", nil)
	}
	out := []Occurrence{}
	if len(acc.Own) == 0 {
		return out, nil
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(acc.Own)), ", ")
	q := occSelect + ` WHERE o.community_id = ? AND o.starts_at >= ? AND o.starts_at < ?
		AND o.id IN (SELECT occurrence_id FROM signups WHERE status <> 'cancelled' AND volunteer_id IN (` + marks + `))`
	args := []any{cid, from.UTC(), to.UTC()}
	for _, v := range acc.Own {
		args = append(args, v)
	}
	if team != 0 {
		q += ` AND a.team_id = ?`
		args = append(args, team)
	}
	rows, err := s.db.Query(ctx, q+` ORDER BY o.starts_at, o.id LIMIT 1000`, args...)
	if err != nil {
		return nil, fmt.Errorf("activities: my occurrences: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		o, err := scanOcc(rows)
		if err != nil {
			return nil, fmt.Errorf("activities: my occurrences: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}
