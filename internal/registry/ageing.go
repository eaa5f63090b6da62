package registry

import (
	"context"
	"fmt"
	"time"

	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/idcard"
)

// AgeOutChildren moves the records of children who have turned 14 to the
// adult form (name, gender and birth date in the clear, as for every
// adult). The protection of a child's data lasts while they are a child;
// a daily job runs this. It returns how many records changed.
func (s *Service) AgeOutChildren(ctx context.Context) (int, error) {
	now := s.clock.Now()
	rows, err := s.db.Query(ctx, `SELECT id, community_id, child_enc FROM residents WHERE child = ? AND anonymised_at IS NULL`, true)
	if err != nil {
		return 0, fmt.Errorf("registry: children: %w", err)
	}
	type grown struct {
		id, cid int64
		sec     secrets
	}
	var due []grown
	for rows.Next() {
		var g grown
		var enc string
		if err := rows.Scan(&g.id, &g.cid, &enc); err != nil {
			rows.Close()
			return 0, err
		}
		if err := (sealer{s.keys, g.cid}).openJSON("child", enc, &g.sec); err != nil {
			rows.Close()
			return 0, err
		}
		b, err := time.Parse("2006-01-02", g.sec.BirthDate)
		if err == nil && idcard.Age(b, now) >= ChildAge {
			due = append(due, g)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, g := range due {
		err := s.db.InTx(ctx, func(tx *db.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE residents SET name = ?, gender = ?, birth_date = ?, child = ?, child_enc = '', updated_at = ? WHERE id = ?`,
				g.sec.Name, g.sec.Gender, g.sec.BirthDate, false, now, g.id)
			return err
		})
		if err != nil {
			return 0, fmt.Errorf("registry: age out %d: %w", g.id, err)
		}
	}
	return len(due), nil
}
