// Package matching suggests volunteers for a resident's request (issue 6
// item 4): the best few of the community's volunteers, each with the
// reasons that put them there, so that a worker sees why and can choose
// otherwise.
//
// The score adds up plain, published parts (weights below): the
// volunteer's skills fit the request's category; they live in the same
// building or serve the same grid; they said they are free at this time
// of the week; they have few requests open; residents were satisfied with
// their recent ones; and they were asked least recently (fairness: the
// same good electrician is not sent everywhere). Only active adult
// volunteers are candidates: requests send people into others' homes.
//
// What rarely changes (who the volunteers are, where they live, their
// skills and hours) is read once per community and kept for a minute;
// what changes with every dispatch (open requests, ratings, when each
// was last asked) is read on every call, in one grouped query.
package matching

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/requests"
)

// Weights of the score's parts: the published definition.
const (
	WeightSkill     = 40.0 // a skill of theirs fits the category
	WeightCategory  = 15.0 // they serve the category's kind of work (服务类别)
	WeightBuilding  = 25.0 // they live in the request's building
	WeightGrid      = 15.0 // or they live in or serve its grid
	WeightAvailable = 10.0 // they are free at this time of the week
	WeightLoad      = -8.0 // per request of theirs still open
	WeightRating    = 10.0 // times the share of satisfied callbacks (基本满意 half) in the last year
	WeightFairness  = 10.0 // never asked, or not for FairDays; less the more recently
	FairDays        = 30
	// StaticFor is how long the volunteers of a community are kept.
	StaticFor = time.Minute
)

// Reason is one part of a suggestion's score, as an i18n key and its
// arguments (match.skill {skill}, match.same_building, ...).
type Reason struct {
	Key    string         `json:"key"`
	Args   map[string]any `json:"args,omitempty"`
	Points float64        `json:"points"`
}

// Suggestion is one volunteer suggested for a request.
type Suggestion struct {
	VolunteerID int64    `json:"volunteer_id"`
	Number      string   `json:"number"`
	Name        string   `json:"name"`
	Score       float64  `json:"score"`
	Reasons     []Reason `json:"reasons"`
}

// Service suggests volunteers.
type Service struct {
	db    *db.DB
	clock clock.Clock
	req   *requests.Service

	mu     sync.Mutex
	static map[int64]*pool // by community
}

// New returns the service.
func New(d *db.DB, c clock.Clock, req *requests.Service) *Service {
	return &Service{db: d, clock: c, req: req, static: map[int64]*pool{}}
}

// candidate is a volunteer as matching sees them.
type candidate struct {
	id                 int64
	number, name       string
	building           int64
	grids              []int64 // where they live and the grids they serve
	skills, categories []string
	availability       int64
	skillFit, catFit   uint32 // bits of codeBit: the categories they fit
}

type pool struct {
	read  time.Time
	cands []candidate
}

// Suggest returns the best limit (1–50, default 10) volunteers for
// request id, for an actor who may dispatch it.
func (s *Service) Suggest(ctx context.Context, actor *accounts.Principal, id int64, limit int) ([]Suggestion, error) {
	if limit <= 0 {
		limit = 10
	}
	if limit > 50 {
		return nil, apperr.New(apperr.Invalid, "error.invalid").Field("limit", "match.limit", map[string]any{"max": 50})
	}
	t, err := s.req.ForDispatch(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	cands, err := s.candidates(ctx, t.CommunityID)
	if err != nil {
		return nil, err
	}
	live, err := s.dynamic(ctx, t.CommunityID)
	if err != nil {
		return nil, err
	}
	return rank(t, cands, live, s.clock.Now(), limit), nil
}

// candidates returns community cid's candidates, read again when older
// than StaticFor.
func (s *Service) candidates(ctx context.Context, cid int64) ([]candidate, error) {
	now := s.clock.Now()
	s.mu.Lock()
	p := s.static[cid]
	s.mu.Unlock()
	if p != nil && now.Sub(p.read) < StaticFor && !now.Before(p.read) {
		return p.cands, nil
	}
	cands, err := s.readCandidates(ctx, cid, now)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.static[cid] = &pool{read: now, cands: cands}
	s.mu.Unlock()
	return cands, nil
}

func (s *Service) readCandidates(ctx context.Context, cid int64, now time.Time) ([]candidate, error) {
	// Adults: born on or before this day eighteen years ago. Birth dates
	// are ISO text, so they compare as strings; children's are sealed
	// (r.child), and children are never candidates.
	adult := now.In(clock.Shanghai).AddDate(-18, 0, 0).Format(time.DateOnly)
	rows, err := s.db.Query(ctx, `SELECT v.id, v.number, CASE WHEN v.name <> '' THEN v.name ELSE COALESCE(r.name, '') END,
			COALESCE(u.building_id, 0), COALESCE(b.grid_id, 0), v.categories, v.availability
		FROM volunteers v
		LEFT JOIN residents r ON r.id = v.resident_id
		LEFT JOIN households h ON h.id = r.household_id
		LEFT JOIN units u ON u.id = h.unit_id
		LEFT JOIN buildings b ON b.id = u.building_id
		WHERE v.community_id = ? AND v.status = 'active'
			AND (r.id IS NULL OR (NOT r.child AND r.moved_out_at IS NULL))
			AND COALESCE(r.birth_date, v.birth_date, '9999') <= ?
		ORDER BY v.id`, cid, adult)
	if err != nil {
		return nil, fmt.Errorf("matching: volunteers: %w", err)
	}
	var out []candidate
	at := map[int64]int{}
	for rows.Next() {
		var c candidate
		var grid int64
		var cats string
		if err := rows.Scan(&c.id, &c.number, &c.name, &c.building, &grid, &cats, &c.availability); err != nil {
			rows.Close()
			return nil, fmt.Errorf("matching: volunteers: %w", err)
		}
		if grid != 0 {
			c.grids = []int64{grid}
		}
		if cats != "" {
			c.categories = strings.Split(cats, ",")
		}
		at[c.id] = len(out)
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("matching: volunteers: %w", err)
	}
	err = each(ctx, s.db, `SELECT vs.volunteer_id, k.name FROM volunteer_skills vs JOIN skills k ON k.id = vs.skill_id
		WHERE k.community_id = ?`, cid, func(id int64, name string) {
		if i, ok := at[id]; ok {
			out[i].skills = append(out[i].skills, name)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("matching: skills: %w", err)
	}
	err = each(ctx, s.db, `SELECT vg.volunteer_id, vg.grid_id FROM volunteer_grids vg JOIN volunteers v ON v.id = vg.volunteer_id
		WHERE v.community_id = ?`, cid, func(id int64, grid int64) {
		if i, ok := at[id]; ok && !slices.Contains(out[i].grids, grid) {
			out[i].grids = append(out[i].grids, grid)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("matching: grids: %w", err)
	}
	for i := range out {
		out[i].fits()
	}
	return out, nil
}

// each scans two-column rows (an id and a T) into fn.
func each[T any](ctx context.Context, d *db.DB, q string, cid int64, fn func(int64, T)) error {
	rows, err := d.Query(ctx, q, cid)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var v T
		if err := rows.Scan(&id, &v); err != nil {
			return err
		}
		fn(id, v)
	}
	return rows.Err()
}

// live is what changes with every dispatch, per volunteer.
type live struct {
	open            int
	rated           int
	satisfied, half int
	last            time.Time
}

// dynamic reads each volunteer's open requests, last year's callbacks
// and when they were last asked (within the year): one query over the
// community's requests handled by volunteers that are open or were
// dispatched in the last year, added up here.
func (s *Service) dynamic(ctx context.Context, cid int64) (map[int64]*live, error) {
	yearAgo := s.clock.Now().AddDate(-1, 0, 0)
	rows, err := s.db.Query(ctx, `SELECT handler_id, status, COALESCE(satisfaction, ''), closed_at, dispatched_at
		FROM requests WHERE community_id = ? AND handler_kind = 'volunteer'
			AND (status NOT IN ('closed', 'rejected', 'merged') OR dispatched_at >= ?)`, cid, yearAgo)
	if err != nil {
		return nil, fmt.Errorf("matching: load: %w", err)
	}
	defer rows.Close()
	out := map[int64]*live{}
	for rows.Next() {
		var id int64
		var status, sat string
		var closed, dispatched sql.NullTime
		if err := rows.Scan(&id, &status, &sat, &closed, &dispatched); err != nil {
			return nil, fmt.Errorf("matching: load: %w", err)
		}
		l := out[id]
		if l == nil {
			l = &live{}
			out[id] = l
		}
		switch status {
		case "rejected", "merged":
		case "closed":
			if closed.Valid && !closed.Time.Before(yearAgo) && sat != "" {
				l.rated++
				switch sat {
				case "satisfied":
					l.satisfied++
				case "basic_satisfied":
					l.half++
				}
			}
		default:
			l.open++
		}
		if dispatched.Valid && dispatched.Time.After(l.last) {
			l.last = dispatched.Time
		}
	}
	return out, rows.Err()
}
