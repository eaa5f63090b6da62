// Package activities runs a community's activities: series with an RFC
// 5545 rule (the children's team on the last Saturday of every month),
// each occurrence with its own roster, and sign-ups with capacity and a
// waitlist that holds however many people sign up at once.
//
// This is part one of issue 5: check-in by QR code, posting hours to the
// ledger, reminders, calendars and feeds, and stories come next.
package activities

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/teambition/rrule-go"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/audit"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/hours"
	"github.com/linli/linli/internal/notify"
	"github.com/linli/linli/internal/secret"
	"github.com/linli/linli/internal/volunteers"
)

// HorizonMonths is how far ahead a series' occurrences are made.
const HorizonMonths = 12

// MaxOccurrences bounds what one rule may produce within the horizon: a
// rule that meets every minute is a mistake, not a series.
const MaxOccurrences = 400

// Who may sign up (open_to).
var OpenTo = []string{"team", "volunteers", "residents"}

// Input creates a series (or a one-off activity, without a rule).
type Input struct {
	Title         string  `json:"title"`
	Description   string  `json:"description"`
	Kind          string  `json:"kind"`
	TeamID        int64   `json:"team_id"`
	Organisations []int64 `json:"organisations"`
	PlaceID       int64   `json:"place_id"`
	Category      string  `json:"category"`
	Tasks         string  `json:"tasks"`      // what volunteers do, and for whom
	Risks         string  `json:"risks"`      // required in a recruitment notice (GB/T 40143 §6.1)
	Protection    string  `json:"protection"` // and the protection offered
	Insurance     string  `json:"insurance"`
	MinAge        *int    `json:"min_age"`
	MaxAge        *int    `json:"max_age"`
	Accompany     bool    `json:"accompany"` // a guardian comes along
	WalkIns       bool    `json:"walk_ins"`  // people not signed up may check in
	OpenTo        string  `json:"open_to"`
	Capacity      int     `json:"capacity"`
	DeadlineHours int     `json:"deadline_hours"` // sign-up closes this long before the start
	Visibility    string  `json:"visibility"`     // public or members
	Start         string  `json:"start"`          // RFC 3339, or "2026-12-26T09:00" in Shanghai
	End           string  `json:"end"`
	RRule         string  `json:"rrule"` // e.g. FREQ=MONTHLY;BYDAY=-1SA
}

// Service is the activities domain.
type Service struct {
	db     *db.DB
	clock  clock.Clock
	keys   *secret.Keyring // makes the check-in codes
	vol    *volunteers.Service
	notify *notify.Service
	hrs    *hours.Service // where attendance becomes service records

	// gap, when set, runs between a method's first reads and its
	// transaction: tests put a rival change there to prove the
	// transaction re-reads what it writes from.
	gap func(at string)

	batch batcher // PostgreSQL's sign-ups waiting for a statement
	log   *slog.Logger
	// batchFault, when set, fails batch statements before they run: tests
	// use it to take the path a deadlock or a racing duplicate takes.
	batchFault func() error
}

func (s *Service) between(at string) {
	if s.gap != nil {
		s.gap(at)
	}
}

// New returns a Service.
func New(d *db.DB, c clock.Clock, keys *secret.Keyring, vol *volunteers.Service, n *notify.Service, hrs *hours.Service) *Service {
	return &Service{db: d, clock: c, keys: keys, vol: vol, notify: n, hrs: hrs, log: slog.Default()}
}

// SetLogger sets where s reports what it cannot tell a caller (a batch of
// sign-ups that failed and was run again one by one).
func (s *Service) SetLogger(l *slog.Logger) { s.log = l }

func parseTime(s string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	if t, err := time.ParseInLocation("2006-01-02T15:04", s, clock.Shanghai); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// expand returns the starts of a series up to HorizonMonths after from.
func expand(start time.Time, rule string, from time.Time) ([]time.Time, error) {
	if rule == "" {
		return []time.Time{start}, nil
	}
	opt, err := rrule.StrToROptionInLocation(rule, clock.Shanghai)
	if err != nil {
		return nil, err
	}
	opt.Dtstart = start.In(clock.Shanghai)
	r, err := rrule.NewRRule(*opt)
	if err != nil {
		return nil, err
	}
	// The bound counts the dates of the coming twelve months, so a weekly
	// series keeps extending year after year; the past of a series that
	// began long ago is bounded too, so a rule that meets every minute
	// since 2020 is not walked through.
	var out []time.Time
	ahead := 0
	it := r.Iterator()
	for {
		t, ok := it()
		if !ok || t.After(from.AddDate(0, HorizonMonths, 0)) {
			break
		}
		out = append(out, t)
		if !t.Before(from) {
			ahead++
		}
		if ahead > MaxOccurrences || len(out) > 50*MaxOccurrences {
			return nil, fmt.Errorf("more than %d occurrences", MaxOccurrences)
		}
	}
	return out, nil
}

// Create makes a series and its occurrences for the next twelve months
// (and back to its start when that is in the past). The office, or a
// leader for their own team.
func (s *Service) Create(ctx context.Context, actor *accounts.Principal, cid int64, in Input) (int64, error) {
	acc, err := s.vol.AccessOf(ctx, actor, cid)
	if err != nil {
		return 0, err
	}
	if !acc.Member {
		return 0, apperr.NotFoundErr()
	}
	if !acc.Office && in.TeamID != 0 && !acc.Leads(in.TeamID) {
		return 0, apperr.ForbiddenErr()
	}
	if !acc.Office && in.TeamID == 0 && len(acc.Teams) == 0 {
		return 0, apperr.ForbiddenErr()
	}
	var v apperr.Validation
	if !acc.Office && in.TeamID == 0 {
		// A leader plans for the team they lead: name it.
		v.Add("team_id", "activity.team.leader", nil)
	}
	in.Title = strings.TrimSpace(in.Title)
	if n := utf8.RuneCountInString(in.Title); n == 0 || n > 60 {
		v.Add("title", "activity.title.invalid", nil)
	}
	for field, text := range map[string]string{"description": in.Description, "tasks": in.Tasks, "risks": in.Risks, "protection": in.Protection, "insurance": in.Insurance} {
		if utf8.RuneCountInString(text) > 1000 {
			v.Add(field, "team.description.long", nil)
		}
	}
	if in.OpenTo == "" {
		in.OpenTo = "volunteers"
	}
	if !slices.Contains(OpenTo, in.OpenTo) {
		v.Add("open_to", "activity.open_to.invalid", nil)
	}
	if in.OpenTo == "team" && in.TeamID == 0 {
		v.Add("team_id", "activity.team.required", nil)
	}
	if in.Visibility == "" {
		in.Visibility = "members"
	}
	if in.Visibility != "members" && in.Visibility != "public" {
		v.Add("visibility", "activity.visibility.invalid", nil)
	}
	if in.Capacity < 1 || in.Capacity > 10000 {
		v.Add("capacity", "activity.capacity.invalid", nil)
	}
	if in.DeadlineHours < 0 || in.DeadlineHours > 24*30 {
		v.Add("deadline_hours", "activity.deadline.invalid", nil)
	}
	if in.Category != "" && !slices.Contains(volunteers.Categories, in.Category) {
		v.Add("category", "volunteer.category.unknown", map[string]any{"category": in.Category})
	}
	if in.MinAge != nil && (*in.MinAge < 0 || *in.MinAge > 100) || in.MaxAge != nil && (*in.MaxAge < 0 || *in.MaxAge > 120 || in.MinAge != nil && *in.MaxAge < *in.MinAge) {
		v.Add("max_age", "team.age.range", nil)
	}
	start, ok1 := parseTime(in.Start)
	end, ok2 := parseTime(in.End)
	if !ok1 {
		v.Add("start", "activity.time.invalid", nil)
	}
	if !ok2 {
		v.Add("end", "activity.time.invalid", nil)
	}
	minutes := int(end.Sub(start) / time.Minute)
	if ok1 && ok2 && (minutes <= 0 || minutes > 24*60) {
		v.Add("end", "record.end.before_start", nil)
	}
	now := s.clock.Now()
	var starts []time.Time
	if ok1 {
		if starts, err = expand(start, strings.TrimPrefix(strings.TrimSpace(in.RRule), "RRULE:"), now); err != nil {
			v.Add("rrule", "activity.rrule.invalid", map[string]any{"max": MaxOccurrences})
		} else if len(starts) == 0 {
			v.Add("rrule", "activity.rrule.empty", nil)
		}
	}
	if in.TeamID != 0 && !s.belongs(ctx, "teams", in.TeamID, cid) {
		v.Add("team_id", "team.unknown", nil)
	}
	if in.PlaceID != 0 && !s.belongs(ctx, "places", in.PlaceID, cid) {
		v.Add("place_id", "activity.place.unknown", nil)
	}
	if err := s.checkPlace(ctx, cid, in.PlaceID, in.Capacity, true, &v); err != nil {
		return 0, err
	}
	for _, o := range in.Organisations {
		if !s.belongs(ctx, "organisations", o, cid) {
			v.Add("organisations", "team.organisation.unknown", nil)
		}
	}
	if err := v.Err(); err != nil {
		return 0, err
	}
	var id int64
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO activities (community_id, title, description, kind, team_id, place_id, category, tasks, risks, protection,
			insurance, min_age, max_age, accompany, walk_ins, open_to, capacity, deadline_hours, visibility, dtstart, minutes, rrule, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			cid, in.Title, in.Description, in.Kind, nullID(in.TeamID), nullID(in.PlaceID), in.Category, in.Tasks, in.Risks, in.Protection,
			in.Insurance, intOrNil(in.MinAge), intOrNil(in.MaxAge), in.Accompany, in.WalkIns, in.OpenTo, in.Capacity, in.DeadlineHours, in.Visibility,
			start.UTC(), minutes, strings.TrimPrefix(strings.TrimSpace(in.RRule), "RRULE:"), nullID(actor.AccountID), now).Scan(&id)
		if err != nil {
			return fmt.Errorf("activities: create: %w", err)
		}
		for _, o := range in.Organisations {
			if _, err := tx.Exec(ctx, `INSERT INTO activity_organisations (activity_id, organisation_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, id, o); err != nil {
				return fmt.Errorf("activities: co-organiser: %w", err)
			}
		}
		for _, t := range starts {
			if _, err := tx.Exec(ctx, `INSERT INTO occurrences (community_id, activity_id, original_start, starts_at, ends_at, capacity) VALUES (?, ?, ?, ?, ?, ?)`,
				cid, id, t.UTC(), t.UTC(), t.Add(time.Duration(minutes)*time.Minute).UTC(), in.Capacity); err != nil {
				return fmt.Errorf("activities: occurrence: %w", err)
			}
		}
		e := actor.Audit(now, "activity.create", cid)
		e.ObjectType, e.ObjectID, e.Detail = "activity", fmt.Sprint(id), fmt.Sprintf("%s ×%d", in.Title, len(starts))
		return audit.Record(ctx, tx, e)
	})
	return id, err
}

func (s *Service) belongs(ctx context.Context, table string, id, cid int64) bool {
	var n int
	err := s.db.QueryRow(ctx, `SELECT count(*) FROM `+table+` WHERE id = ? AND community_id = ?`, id, cid).Scan(&n)
	return err == nil && n == 1
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func intOrNil(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}
