package activities

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/jobs"
	"github.com/linli/linli/internal/notify"
)

// Job kinds this package registers with a jobs.Runner.
const (
	KindExtend = "activities.extend" // daily: keep twelve months of dates made
	KindRemind = "activities.remind" // hourly: the day-before reminders
)

// RemindAhead is how long before its start a date's reminder goes out
// (at the first hourly run inside it).
const RemindAhead = 24 * time.Hour

// Register adds the jobs that keep series twelve months ahead and send
// reminders, and schedules them. The scheduler deduplicates slots across
// processes; Remind itself is safe to run twice at once.
func (s *Service) Register(r *jobs.Runner) {
	r.Register(KindExtend, func(ctx context.Context, _ jobs.Job) error {
		_, err := s.Extend(ctx)
		return err
	})
	r.Register(KindRemind, func(ctx context.Context, _ jobs.Job) error {
		_, err := s.Remind(ctx)
		return err
	})
	r.Every("activities-extend", 24*time.Hour, KindExtend, nil)
	r.Every("activities-remind", time.Hour, KindRemind, nil)
}

// Extend makes the dates of every series up to twelve months from now
// that are not made yet, and returns how many it made. A date once made
// is never made again, so a skipped one stays skipped and a moved one
// stays moved (the unique original start holds that).
func (s *Service) Extend(ctx context.Context) (int, error) {
	type series struct {
		id, cid           int64
		dtstart, last     time.Time
		minutes, capacity int
		rule              string
	}
	rows, err := s.db.Query(ctx, `SELECT id, community_id, dtstart, minutes, capacity, rrule FROM activities WHERE rrule <> '' ORDER BY id`)
	if err != nil {
		return 0, fmt.Errorf("activities: extend: %w", err)
	}
	var all []series
	for rows.Next() {
		var x series
		if err := rows.Scan(&x.id, &x.cid, &x.dtstart, &x.minutes, &x.capacity, &x.rule); err != nil {
			rows.Close()
			return 0, fmt.Errorf("activities: extend: %w", err)
		}
		all = append(all, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("activities: extend: %w", err)
	}
	now := s.clock.Now()
	made := 0
	var errs []error
	for _, x := range all {
		s.between("extend")
		n := 0
		err := s.db.InTx(ctx, func(tx *db.Tx) error {
			n = 0
			// The series again, under a lock on its row: an edit that
			// split it since the list was read has ended its rule
			// (UNTIL) and moved its later dates to the new series, and
			// dates made from the old rule would duplicate those.
			err := tx.QueryRow(ctx, `UPDATE activities SET rrule = rrule WHERE id = ? RETURNING dtstart, minutes, capacity, rrule`, x.id).
				Scan(&x.dtstart, &x.minutes, &x.capacity, &x.rule)
			if errors.Is(err, sql.ErrNoRows) || (err == nil && x.rule == "") {
				return nil
			}
			if err != nil {
				return err
			}
			// The last date made (a column, not max(): SQLite gives an
			// aggregate of timestamps back as text).
			x.last = time.Time{}
			err = tx.QueryRow(ctx, `SELECT original_start FROM occurrences WHERE activity_id = ? ORDER BY original_start DESC LIMIT 1`, x.id).Scan(&x.last)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			// Rules are checked when saved; one that fails here is
			// reported and the others still extend.
			starts, err := expand(x.dtstart, x.rule, now)
			if err != nil {
				return err
			}
			for _, t := range starts {
				if !t.After(x.last) {
					continue
				}
				res, err := tx.Exec(ctx, `INSERT INTO occurrences (community_id, activity_id, original_start, starts_at, ends_at, capacity)
					VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (activity_id, original_start) DO NOTHING`,
					x.cid, x.id, t.UTC(), t.UTC(), t.Add(time.Duration(x.minutes)*time.Minute).UTC(), x.capacity)
				if err != nil {
					return err
				}
				k, _ := res.RowsAffected()
				n += int(k)
			}
			return nil
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("activities: extend series %d: %w", x.id, err))
			continue
		}
		made += n
	}
	return made, errors.Join(errs...)
}

// Remind tells everyone signed up for a date starting within RemindAhead
// that it is coming, and returns how many reminders it sent. Exactly once
// per person and date in the app, however often and however concurrently
// it runs: the event id names the date and the account, and notify keeps
// one notification per event id.
func (s *Service) Remind(ctx context.Context) (int, error) {
	now := s.clock.Now()
	type due struct {
		id, cid    int64
		title      string
		start, end time.Time
		place      string
	}
	rows, err := s.db.Query(ctx, `SELECT o.id, o.community_id, COALESCE(o.title, a.title), o.starts_at, o.ends_at, COALESCE(p.name, '')
		FROM occurrences o JOIN activities a ON a.id = o.activity_id LEFT JOIN places p ON p.id = COALESCE(o.place_id, a.place_id)
		WHERE o.starts_at > ? AND o.starts_at <= ? AND NOT o.cancelled AND o.signed > 0 ORDER BY o.starts_at, o.id`, now.UTC(), now.Add(RemindAhead).UTC())
	if err != nil {
		return 0, fmt.Errorf("activities: remind: %w", err)
	}
	var dates []due
	for rows.Next() {
		var d due
		if err := rows.Scan(&d.id, &d.cid, &d.title, &d.start, &d.end, &d.place); err != nil {
			rows.Close()
			return 0, fmt.Errorf("activities: remind: %w", err)
		}
		dates = append(dates, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("activities: remind: %w", err)
	}
	if s.notify == nil {
		return 0, nil
	}
	sent := 0
	for _, d := range dates {
		n := 0
		err := s.db.InTx(ctx, func(tx *db.Tx) error {
			n = 0
			vids, err := ids(ctx, tx, `SELECT volunteer_id FROM signups WHERE occurrence_id = ? AND status = 'signed' ORDER BY id`, d.id)
			if err != nil {
				return err
			}
			body := "明天的活动：" + span(d.start, d.end)
			if d.place != "" {
				body += "，地点：" + d.place
			}
			body += "。如不能参加，请及时取消报名，把名额留给候补的人。"
			seen := map[int64]bool{}
			for _, v := range vids {
				accts, err := s.vol.Accounts(ctx, tx, v)
				if err != nil {
					return err
				}
				for _, a := range accts {
					if seen[a] {
						continue
					}
					seen[a] = true
					_, created, err := s.notify.Send(ctx, tx, notify.Notification{CommunityID: d.cid, AccountID: a, Kind: "activity.reminder",
						EventID: fmt.Sprintf("activity.reminder:%d:account:%d", d.id, a), Title: "活动提醒：" + d.title, Body: body,
						Link: fmt.Sprintf("/activities/%d", d.id)})
					if err != nil {
						return err
					}
					if created {
						n++
					}
				}
			}
			return nil
		})
		if err != nil {
			return sent, fmt.Errorf("activities: remind occurrence %d: %w", d.id, err)
		}
		sent += n
	}
	return sent, nil
}

func ids(ctx context.Context, q db.Querier, query string, args ...any) ([]int64, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("activities: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
