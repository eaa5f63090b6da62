package activities

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/hours"
)

// Credit is the service one person is credited with for an occurrence:
// from check-in to check-out, inside the scheduled times, rounded down.
type Credit struct {
	VolunteerID int64  `json:"volunteer_id"`
	Start       string `json:"start"` // HH:MM
	End         string `json:"end"`
	Minutes     int    `json:"minutes"`
}

// Credits computes the hours of an occurrence's attendance, rounded down
// to round minutes (1-60; the organiser's rule, e.g. 15), for the
// organiser to review before posting.
func (s *Service) Credits(ctx context.Context, actor *accounts.Principal, id int64, round int) ([]Credit, error) {
	o, err := s.occurrence(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	if err := s.organiser(ctx, actor, o); err != nil {
		return nil, err
	}
	return s.credits(ctx, s.db, o, id, round)
}

// credits computes Credits on q (the caller's transaction in the seed).
func (s *Service) credits(ctx context.Context, q db.Querier, o *occ, id int64, round int) ([]Credit, error) {
	if round < 1 || round > 60 {
		return nil, apperr.New(apperr.Invalid, "error.invalid").Field("round", "activity.round.invalid", nil)
	}
	var end time.Time
	if err := q.QueryRow(ctx, `SELECT ends_at FROM occurrences WHERE id = ?`, id).Scan(&end); err != nil {
		return nil, fmt.Errorf("activities: occurrence: %w", err)
	}
	rows, err := q.Query(ctx, `SELECT volunteer_id, checked_in_at, checked_out_at FROM checkins WHERE occurrence_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("activities: attendance: %w", err)
	}
	defer rows.Close()
	out := []Credit{}
	for rows.Next() {
		var vid int64
		var in time.Time
		var outAt sql.NullTime
		if err := rows.Scan(&vid, &in, &outAt); err != nil {
			return nil, err
		}
		from, to := later(in, o.start).Truncate(time.Minute), end
		if outAt.Valid && outAt.Time.Before(end) {
			to = outAt.Time
		}
		minutes := int(to.Sub(from)/time.Minute) / round * round
		if minutes <= 0 {
			continue
		}
		sh := from.In(clock.Shanghai)
		out = append(out, Credit{VolunteerID: vid, Start: sh.Format("15:04"), End: sh.Add(time.Duration(minutes) * time.Minute).Format("15:04"), Minutes: minutes})
	}
	return out, rows.Err()
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// PostHours posts the reviewed credits of an occurrence to the ledger of
// service records in one step, all or none, linked to the occurrence
// (serves activity, captured by check-in). Posting twice is refused by
// the ledger as a duplicate.
func (s *Service) PostHours(ctx context.Context, actor *accounts.Principal, id int64, round int) ([]hours.Record, error) {
	credits, err := s.Credits(ctx, actor, id, round)
	if err != nil {
		return nil, err
	}
	in, cid, err := s.postInput(ctx, s.db, actor, id, credits)
	if err != nil {
		return nil, err
	}
	return s.hrs.Record(ctx, actor, cid, in)
}

// PostHoursTx posts an occurrence's credits as PostHours does, on the
// caller's transaction and as recorded at at, without the organiser
// check: for the demo seed, which writes a year of past rosters inside
// its step's transaction, acting as each activity's organiser. It
// returns the new records' ids.
func (s *Service) PostHoursTx(ctx context.Context, tx *db.Tx, actor *accounts.Principal, id int64, round int, at time.Time) ([]int64, error) {
	o, err := s.occurrence(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	credits, err := s.credits(ctx, tx, o, id, round)
	if err != nil {
		return nil, err
	}
	in, cid, err := s.postInput(ctx, tx, actor, id, credits)
	if err != nil {
		return nil, err
	}
	return s.hrs.RecordTx(ctx, tx, actor, cid, in, at)
}

// postInput is the ledger's input for the credits of occurrence id.
func (s *Service) postInput(ctx context.Context, q db.Querier, actor *accounts.Principal, id int64, credits []Credit) (hours.Input, int64, error) {
	if len(credits) == 0 {
		return hours.Input{}, 0, apperr.New(apperr.Invalid, "activity.post.nobody")
	}
	var title, place, tasks, category string
	var team sql.NullInt64
	var start, end time.Time
	var cid int64
	if err := q.QueryRow(ctx, `SELECT o.community_id, COALESCE(o.title, a.title), COALESCE(p.name, ''), a.tasks, a.category, a.team_id, o.starts_at, o.ends_at
		FROM occurrences o JOIN activities a ON a.id = o.activity_id LEFT JOIN places p ON p.id = COALESCE(o.place_id, a.place_id) WHERE o.id = ?`, id).
		Scan(&cid, &title, &place, &tasks, &category, &team, &start, &end); err != nil {
		return hours.Input{}, 0, fmt.Errorf("activities: occurrence: %w", err)
	}
	if place == "" {
		place = "社区"
	}
	if tasks == "" {
		tasks = title
	}
	st, en := start.In(clock.Shanghai), end.In(clock.Shanghai)
	in := hours.Input{TeamID: team.Int64, ActivityName: title, Date: st.Format("2006-01-02"), Start: st.Format("15:04"), End: en.Format("15:04"),
		Place: place, Content: tasks, PersonInCharge: personInCharge(actor), Category: category, Captured: hours.CapturedCheckin,
		ServesKind: "activity", ServesID: id, Times: map[int64][2]string{}}
	for _, c := range credits {
		in.Volunteers = append(in.Volunteers, c.VolunteerID)
		in.Times[c.VolunteerID] = [2]string{c.Start, c.End}
	}
	return in, cid, nil
}

func personInCharge(p *accounts.Principal) string {
	if p.DisplayName != "" {
		return p.DisplayName
	}
	return p.Username
}
