package hours

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/volunteers"
)

const recordColumns = `r.id, r.volunteer_id, COALESCE(r.team_id, 0), COALESCE(t.name, ''), r.activity_name, r.service_date, r.started_at, r.ended_at,
	r.minutes, r.place, r.content, r.organiser, r.person_in_charge, r.category, r.captured, r.serves_kind, COALESCE(r.serves_id, 0),
	r.recorded_at, r.due_on, r.late, r.flags, COALESCE(r.reverses_id, 0), r.reason,
	COALESCE((SELECT x.id FROM service_records x WHERE x.reverses_id = r.id), 0),
	COALESCE((SELECT d.decision FROM record_decisions d WHERE d.record_id = r.id), '')`

const recordFrom = ` FROM service_records r LEFT JOIN teams t ON t.id = r.team_id`

// notReversal keeps reversing entries out, as SQL over alias r. The unary
// plus stops SQLite (which is never ANALYZEd) from answering IS NULL
// through the unique index on reverses_id: it assumes one row, but every
// record except the reversals matches, so a volunteer's few hundred
// records became a walk through the whole ledger (bench/README.md, hours).
// PostgreSQL reads it as the same test.
const notReversal = `+r.reverses_id IS NULL`

func scanRecord(sc interface{ Scan(...any) error }) (*Record, error) {
	var r Record
	var start, end time.Time
	var flags, decision string
	var reversedBy int64
	if err := sc.Scan(&r.ID, &r.VolunteerID, &r.TeamID, &r.Team, &r.ActivityName, &r.Date, &start, &end, &r.Minutes, &r.Place, &r.Content,
		&r.Organiser, &r.PersonInCharge, &r.Category, &r.Captured, &r.ServesKind, &r.ServesID, &r.RecordedAt, &r.DueOn, &r.Late, &flags,
		&r.ReversesID, &r.Reason, &reversedBy, &decision); err != nil {
		return nil, err
	}
	r.Start, r.End = start.In(clock.Shanghai).Format("15:04"), end.In(clock.Shanghai).Format("15:04")
	r.Hours = hoursOf(r.Minutes)
	r.RecordedAt = r.RecordedAt.UTC()
	r.Flags = []string{}
	if flags != "" {
		r.Flags = strings.Split(flags, ",")
	}
	switch {
	case r.ReversesID != 0:
		r.Status = StatusReversal
	case reversedBy != 0:
		r.Status = StatusReversed
	case r.Captured == CapturedBackfill && decision == "":
		r.Status = StatusPending
	case decision == "refuse":
		r.Status = StatusRefused
	default:
		r.Status = StatusCounted
	}
	return &r, nil
}

// hoursOf shows minutes as hours with one decimal.
func hoursOf(minutes int) float64 { return math.Round(float64(minutes)/6) / 10 }

// scope is the actor's reach into records, as SQL over alias r: the
// office all, a leader their teams' records, anyone their own and their
// children's.
func scope(acc volunteers.Access) (string, []any, bool) {
	if acc.Office {
		return "1 = 1", nil, true
	}
	var parts []string
	var args []any
	if len(acc.Teams) > 0 {
		parts = append(parts, "r.team_id IN ("+marks(len(acc.Teams))+")")
		for _, t := range acc.Teams {
			args = append(args, t)
		}
	}
	if len(acc.Own) > 0 {
		parts = append(parts, "r.volunteer_id IN ("+marks(len(acc.Own))+")")
		for _, v := range acc.Own {
			args = append(args, v)
		}
	}
	if len(parts) == 0 {
		return "", nil, false
	}
	return "(" + strings.Join(parts, " OR ") + ")", args, true
}

func marks(n int) string { return strings.TrimSuffix(strings.Repeat("?,", n), ",") }

// List returns the records the actor may see, newest service first.
func (s *Service) List(ctx context.Context, actor *accounts.Principal, f Filter) ([]Record, int, error) {
	acc, err := s.vol.AccessOf(ctx, actor, f.CommunityID)
	if err != nil {
		return nil, 0, err
	}
	if !acc.Member {
		return nil, 0, apperr.NotFoundErr()
	}
	cond, args, ok := scope(acc)
	if !ok {
		return []Record{}, 0, nil
	}
	where := []string{"r.community_id = ?", cond}
	args = append([]any{f.CommunityID}, args...)
	if f.VolunteerID != 0 {
		where, args = append(where, "r.volunteer_id = ?"), append(args, f.VolunteerID)
	}
	if f.TeamID != 0 {
		where, args = append(where, "r.team_id = ?"), append(args, f.TeamID)
	}
	if f.From != "" {
		where, args = append(where, "r.service_date >= ?"), append(args, f.From)
	}
	if f.To != "" {
		where, args = append(where, "r.service_date <= ?"), append(args, f.To)
	}
	if f.Review {
		where = append(where, notReversal+` AND NOT EXISTS (SELECT 1 FROM service_records x WHERE x.reverses_id = r.id)
			AND NOT EXISTS (SELECT 1 FROM record_decisions d WHERE d.record_id = r.id AND d.decision = 'refuse')
			AND ((r.captured = 'backfill' AND NOT EXISTS (SELECT 1 FROM record_decisions d WHERE d.record_id = r.id)) OR r.flags <> '')`)
	}
	w := strings.Join(where, " AND ")
	var total int
	if err := s.db.QueryRow(ctx, `SELECT count(*) FROM service_records r WHERE `+w, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("hours: count: %w", err)
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	rows, err := s.db.Query(ctx, `SELECT `+recordColumns+recordFrom+` WHERE `+w+` ORDER BY r.service_date DESC, r.started_at DESC, r.id DESC LIMIT ? OFFSET ?`,
		append(args, limit, f.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("hours: list: %w", err)
	}
	var out []Record
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			rows.Close()
			return nil, 0, fmt.Errorf("hours: list: %w", err)
		}
		out = append(out, *r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	if err := s.name(ctx, actor, f.CommunityID, out); err != nil {
		return nil, 0, err
	}
	if out == nil {
		out = []Record{}
	}
	return out, total, nil
}

func (s *Service) name(ctx context.Context, actor *accounts.Principal, cid int64, rs []Record) error {
	var ids []int64
	for _, r := range rs {
		ids = append(ids, r.VolunteerID)
	}
	names, err := s.vol.Names(ctx, actor, cid, ids)
	if err != nil {
		return err
	}
	for i := range rs {
		n := names[rs[i].VolunteerID]
		rs[i].Volunteer, rs[i].Number = n[0], n[1]
	}
	return nil
}

// byIDs loads records by id within the actor's reach.
func (s *Service) byIDs(ctx context.Context, actor *accounts.Principal, cid int64, ids []int64) ([]Record, error) {
	if len(ids) == 0 {
		return []Record{}, nil
	}
	args := []any{cid}
	for _, id := range ids {
		args = append(args, id)
	}
	rows, err := s.db.Query(ctx, `SELECT `+recordColumns+recordFrom+` WHERE r.community_id = ? AND r.id IN (`+marks(len(ids))+`) ORDER BY r.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("hours: load: %w", err)
	}
	var out []Record
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, *r)
	}
	rows.Close()
	return out, s.name(ctx, actor, cid, out)
}

// Summary is one volunteer's hours: this month, this year, all time, the
// star grade and what the next one needs.
type Summary struct {
	VolunteerID  int64   `json:"volunteer_id"`
	MonthHours   float64 `json:"month_hours"`
	YearHours    float64 `json:"year_hours"`
	TotalHours   float64 `json:"total_hours"`
	Services     int     `json:"services"`
	Stars        int     `json:"stars"`
	NextStarAt   int     `json:"next_star_at,omitempty"` // hours; 0 at the top grade
	PendingHours float64 `json:"pending_hours"`          // back-fills awaiting confirmation
}

// Summary returns volunteer vid's hours, for the actor who may see them.
func (s *Service) Summary(ctx context.Context, actor *accounts.Principal, cid, vid int64) (*Summary, error) {
	acc, err := s.vol.AccessOf(ctx, actor, cid)
	if err != nil {
		return nil, err
	}
	if !acc.Office && !contains(acc.Own, vid) {
		ok := false
		for _, t := range acc.Teams {
			if m, err := s.vol.MemberOn(ctx, t, vid, s.today()); err == nil && m {
				ok = true
			}
		}
		if !ok {
			return nil, apperr.NotFoundErr()
		}
	}
	return s.summary(ctx, cid, vid)
}

func contains(xs []int64, x int64) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func (s *Service) today() string { return s.clock.Now().In(clock.Shanghai).Format(time.DateOnly) }

func (s *Service) summary(ctx context.Context, cid, vid int64) (*Summary, error) {
	now := s.clock.Now().In(clock.Shanghai)
	month, year := now.Format("2006-01"), now.Format("2006")
	var m, y, all, n int
	err := s.db.QueryRow(ctx, `SELECT COALESCE(SUM(CASE WHEN month = ? THEN minutes ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN month >= ? THEN minutes ELSE 0 END), 0), COALESCE(SUM(minutes), 0), COALESCE(SUM(records), 0)
		FROM hours_rollup WHERE community_id = ? AND volunteer_id = ?`, month, year+"-01", cid, vid).Scan(&m, &y, &all, &n)
	if err != nil {
		return nil, fmt.Errorf("hours: summary: %w", err)
	}
	var pending int
	if err := s.db.QueryRow(ctx, `SELECT COALESCE(SUM(r.minutes), 0) FROM service_records r WHERE r.volunteer_id = ? AND r.captured = 'backfill'
		AND `+notReversal+` AND NOT EXISTS (SELECT 1 FROM record_decisions d WHERE d.record_id = r.id)
		AND NOT EXISTS (SELECT 1 FROM service_records x WHERE x.reverses_id = r.id)`, vid).Scan(&pending); err != nil {
		return nil, fmt.Errorf("hours: pending: %w", err)
	}
	stars, err := s.Stars(ctx, cid)
	if err != nil {
		return nil, err
	}
	sum := &Summary{VolunteerID: vid, MonthHours: hoursOf(m), YearHours: hoursOf(y), TotalHours: hoursOf(all), Services: n, PendingHours: hoursOf(pending)}
	for _, t := range stars {
		if all >= t*60 {
			sum.Stars++
		} else {
			sum.NextStarAt = t
			break
		}
	}
	return sum, nil
}

// Stars returns the community's star thresholds in hours.
func (s *Service) Stars(ctx context.Context, cid int64) ([]int, error) {
	var t string
	err := s.db.QueryRow(ctx, `SELECT thresholds FROM star_rules WHERE community_id = ?`, cid).Scan(&t)
	if err == sql.ErrNoRows {
		return DefaultStars, nil
	}
	if err != nil {
		return nil, fmt.Errorf("hours: stars: %w", err)
	}
	var out []int
	for _, p := range strings.Split(t, ",") {
		var n int
		fmt.Sscan(p, &n)
		out = append(out, n)
	}
	return out, nil
}
