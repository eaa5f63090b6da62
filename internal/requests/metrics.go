package requests

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
)

// Metrics are the honest figures of a period (issue 6 item 7): counted
// from the timeline's raw events, never from typed-in totals or the
// requests' current columns, with these published definitions.
//
// The requests counted are those taken in [From, To), in the actor's
// reach (the office: the community; a grid worker: their grids); a
// request merged into another is counted as such and in no rate.
//
//   - 响应率 (response rate) = requests whose first response (accepted
//     or rejected) came by the dispatch due set at intake ÷ requests due
//     for a response (answered, or their due has passed).
//   - 解决率 (resolution rate) = requests whose latest callback says
//     resolved ÷ requests with a callback.
//   - 满意率 (satisfaction rate) = (满意 + ½ × 基本满意) ÷ requests with a
//     callback, by each one's latest callback. The counts of each answer
//     are given too, so a local formula can be worked out from them.
//   - Median hours to close: from intake to the first callback that
//     closed it.
//   - Reopen rate = requests reopened at least once ÷ requests closed at
//     least once.
//
// Groups: by category, by the handler of the latest dispatch (a team, a
// partner organisation, a volunteer, a worker), by grid.
type Metrics struct {
	From       time.Time `json:"from"`
	To         time.Time `json:"to"`
	Overall    Rates     `json:"overall"`
	ByCategory []Group   `json:"by_category"`
	ByHandler  []Group   `json:"by_handler"`
	ByGrid     []Group   `json:"by_grid"`
}

// Group is the rates of one category, handler or grid.
type Group struct {
	Kind  string `json:"kind"` // category, team, organisation, volunteer, account, grid
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Rates Rates  `json:"rates"`
}

// Rates are the counts and the rates worked out from them; a rate with
// nothing to divide by is null.
type Rates struct {
	Requests           int      `json:"requests"`
	Merged             int      `json:"merged"`
	DueForResponse     int      `json:"due_for_response"`
	RespondedOnTime    int      `json:"responded_on_time"`
	ResponseRate       *float64 `json:"response_rate"`
	Callbacks          int      `json:"callbacks"`
	Resolved           int      `json:"resolved"`
	Satisfied          int      `json:"satisfied"`
	BasicSatisfied     int      `json:"basic_satisfied"`
	Unsatisfied        int      `json:"unsatisfied"`
	ResolutionRate     *float64 `json:"resolution_rate"`
	SatisfactionRate   *float64 `json:"satisfaction_rate"`
	Closed             int      `json:"closed"`
	Reopened           int      `json:"reopened"`
	ReopenRate         *float64 `json:"reopen_rate"`
	MedianHoursToClose *float64 `json:"median_hours_to_close"`
	hoursToClose       []float64
}

// facts are what the events say of one request.
type facts struct {
	category, grid   int64
	handlerKind      string
	handlerID        int64
	merged           bool
	dueForResponse   bool
	respondedOnTime  bool
	callback         bool
	resolved         bool
	satisfaction     string
	closed, reopened bool
	hoursToClose     float64
	created          time.Time
	due              sql.NullTime // the dispatch due set at intake
}

// Metrics counts the requests taken in [from, to) within the actor's
// reach: the office and grid workers, and the supervisors of the
// community's street (the whole community, with no person named: the
// volunteers and workers who handled requests are each one group). A
// zero to is now, a zero from a year before to.
func (s *Service) Metrics(ctx context.Context, actor *accounts.Principal, cid int64, from, to time.Time) (*Metrics, error) {
	from, to, err := s.period(from, to)
	if err != nil {
		return nil, err
	}
	rc, err := s.reachOf(ctx, actor, cid)
	if err != nil {
		return nil, err
	}
	if !rc.street && !memberOf(actor, cid) {
		return nil, apperr.NotFoundErr() // not theirs: no such community
	}
	if !rc.office && !rc.street && len(rc.grids) == 0 {
		return nil, apperr.ForbiddenErr()
	}
	cond, args := "q.community_id = ?", []any{cid}
	if !rc.office && !rc.street {
		// A grid worker's figures are their grids', not what they handle.
		cond += " AND q.grid_id IN (" + placeholders(len(rc.grids)) + ")"
		for _, g := range rc.grids {
			args = append(args, g)
		}
	}
	all, err := s.collect(ctx, cond, args, from, to)
	if err != nil {
		return nil, err
	}
	return s.group(ctx, cid, from, to, all, rc.street && !rc.office)
}

// period checks and defaults a metrics period.
func (s *Service) period(from, to time.Time) (time.Time, time.Time, error) {
	if to.IsZero() {
		to = s.clock.Now()
	}
	if from.IsZero() {
		from = to.AddDate(-1, 0, 0)
	}
	if !to.After(from) || to.Sub(from) > 3*366*24*time.Hour {
		return from, to, apperr.New(apperr.Invalid, "error.invalid").Field("to", "request.metrics.period", nil)
	}
	return from, to, nil
}

// collect reads the events of the requests taken in [from, to) that cond
// (over alias q) selects, one facts per request.
func (s *Service) collect(ctx context.Context, cond string, args []any, from, to time.Time) ([]*facts, error) {
	now := s.clock.Now()
	rows, err := s.db.Query(ctx, `SELECT q.id, q.category_id, COALESCE(q.grid_id, 0), q.created_at, q.dispatch_due,
			e.action, e.at, COALESCE(e.handler_kind, ''), COALESCE(e.handler_id, 0), e.resolved, COALESCE(e.satisfaction, '')
		FROM requests q JOIN request_events e ON e.request_id = q.id
		WHERE `+cond+` AND q.created_at >= ? AND q.created_at < ?
		ORDER BY q.id, e.seq`, append(args, from.UTC(), to.UTC())...)
	if err != nil {
		return nil, fmt.Errorf("requests: metrics: %w", err)
	}
	defer rows.Close()
	var all []*facts
	var cur *facts
	var curID int64
	for rows.Next() {
		var id, cat, grid, hid int64
		var created, at time.Time
		var due sql.NullTime
		var action, hkind, sat string
		var resolved sql.NullBool
		if err := rows.Scan(&id, &cat, &grid, &created, &due, &action, &at, &hkind, &hid, &resolved, &sat); err != nil {
			return nil, fmt.Errorf("requests: metrics: %w", err)
		}
		if cur == nil || id != curID {
			cur, curID = &facts{category: cat, grid: grid, created: created, due: due}, id
			all = append(all, cur)
		}
		cur.step(Action(action), at, hkind, hid, resolved, sat)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("requests: metrics: %w", err)
	}
	for _, f := range all {
		f.finish(now)
	}
	return all, nil
}

// step applies one event to the facts, in the timeline's order.
func (f *facts) step(a Action, at time.Time, hkind string, hid int64, resolved sql.NullBool, sat string) {
	switch a {
	case ActAccept, ActReject, ActMerge:
		if !f.dueForResponse {
			f.dueForResponse = true
			f.respondedOnTime = !f.due.Valid || !at.After(f.due.Time)
		}
		if a == ActMerge {
			f.merged = true
		}
	case ActDispatch:
		f.handlerKind, f.handlerID = hkind, hid
	case ActCallback:
		f.callback, f.resolved, f.satisfaction = true, resolved.Valid && resolved.Bool, sat
		if !f.closed {
			f.closed, f.hoursToClose = true, at.Sub(f.created).Hours()
		}
	case ActReopen:
		f.reopened = true
	}
}

// finish marks a request never answered whose due has passed as due for
// a response (and late).
func (f *facts) finish(now time.Time) {
	if !f.dueForResponse && f.due.Valid && now.After(f.due.Time) {
		f.dueForResponse = true
	}
}

func (r *Rates) add(f *facts) {
	r.Requests++
	if f.merged {
		r.Merged++
		return
	}
	if f.dueForResponse {
		r.DueForResponse++
		if f.respondedOnTime {
			r.RespondedOnTime++
		}
	}
	if f.callback {
		r.Callbacks++
		if f.resolved {
			r.Resolved++
		}
		switch Satisfaction(f.satisfaction) {
		case Satisfied:
			r.Satisfied++
		case BasicSatisfied:
			r.BasicSatisfied++
		case Unsatisfied:
			r.Unsatisfied++
		}
	}
	if f.closed {
		r.Closed++
		r.hoursToClose = append(r.hoursToClose, f.hoursToClose)
		if f.reopened {
			r.Reopened++
		}
	}
}

func rate(n, d int) *float64 {
	if d == 0 {
		return nil
	}
	v := math.Round(float64(n)/float64(d)*10000) / 10000
	return &v
}

func (r *Rates) finish() {
	r.ResponseRate = rate(r.RespondedOnTime, r.DueForResponse)
	r.ResolutionRate = rate(r.Resolved, r.Callbacks)
	if r.Callbacks > 0 {
		v := math.Round((float64(r.Satisfied)+0.5*float64(r.BasicSatisfied))/float64(r.Callbacks)*10000) / 10000
		r.SatisfactionRate = &v
	}
	r.ReopenRate = rate(r.Reopened, r.Closed)
	if n := len(r.hoursToClose); n > 0 {
		h := slices.Clone(r.hoursToClose)
		sort.Float64s(h)
		m := h[n/2]
		if n%2 == 0 {
			m = (h[n/2-1] + h[n/2]) / 2
		}
		m = math.Round(m*10) / 10
		r.MedianHoursToClose = &m
	}
}

// group adds the facts up, overall and by category, handler and grid,
// and names the groups. anonymous folds the volunteers and the worker
// accounts into one unnamed group of each kind (id 0), for the street.
func (s *Service) group(ctx context.Context, cid int64, from, to time.Time, all []*facts, anonymous bool) (*Metrics, error) {
	m := &Metrics{From: from.UTC(), To: to.UTC()}
	type key struct {
		kind string
		id   int64
	}
	by := map[key]*Group{}
	get := func(k key) *Group {
		g := by[k]
		if g == nil {
			g = &Group{Kind: k.kind, ID: k.id}
			by[k] = g
		}
		return g
	}
	for _, f := range all {
		m.Overall.add(f)
		get(key{"category", f.category}).Rates.add(f)
		if f.handlerKind != "" {
			k := key{f.handlerKind, f.handlerID}
			if anonymous && (k.kind == string(HandlerVolunteer) || k.kind == string(HandlerAccount)) {
				k.id = 0
			}
			get(k).Rates.add(f)
		}
		if f.grid != 0 {
			get(key{"grid", f.grid}).Rates.add(f)
		}
	}
	m.Overall.finish()
	names, err := s.groupNames(ctx, cid)
	if err != nil {
		return nil, err
	}
	m.ByCategory, m.ByHandler, m.ByGrid = []Group{}, []Group{}, []Group{}
	for k, g := range by {
		g.Rates.finish()
		g.Name = names[k.kind][k.id]
		switch k.kind {
		case "category":
			m.ByCategory = append(m.ByCategory, *g)
		case "grid":
			m.ByGrid = append(m.ByGrid, *g)
		default:
			m.ByHandler = append(m.ByHandler, *g)
		}
	}
	for _, gs := range [][]Group{m.ByCategory, m.ByHandler, m.ByGrid} {
		sort.Slice(gs, func(i, j int) bool {
			if gs[i].Rates.Requests != gs[j].Rates.Requests {
				return gs[i].Rates.Requests > gs[j].Rates.Requests
			}
			if gs[i].Kind != gs[j].Kind {
				return gs[i].Kind < gs[j].Kind
			}
			return gs[i].ID < gs[j].ID
		})
	}
	return m, nil
}

// groupNames names the categories, teams, organisations, volunteers (by
// number), worker accounts and grids of community cid.
func (s *Service) groupNames(ctx context.Context, cid int64) (map[string]map[int64]string, error) {
	out := map[string]map[int64]string{}
	for kind, q := range map[string]string{
		"category":     `SELECT id, name_zh FROM request_categories WHERE community_id = ?`,
		"team":         `SELECT id, name FROM teams WHERE community_id = ?`,
		"organisation": `SELECT id, name FROM organisations WHERE community_id = ?`,
		"volunteer":    `SELECT id, number FROM volunteers WHERE community_id = ?`,
		"account":      `SELECT DISTINCT a.id, a.display_name FROM accounts a JOIN grants g ON g.account_id = a.id WHERE g.community_id = ?`,
		"grid":         `SELECT id, name FROM grids WHERE community_id = ?`,
	} {
		rows, err := s.db.Query(ctx, q, cid)
		if err != nil {
			return nil, fmt.Errorf("requests: metrics names: %w", err)
		}
		m := map[int64]string{}
		for rows.Next() {
			var id int64
			var name string
			if err := rows.Scan(&id, &name); err != nil {
				rows.Close()
				return nil, fmt.Errorf("requests: metrics names: %w", err)
			}
			m[id] = name
		}
		rows.Close()
		out[kind] = m
	}
	return out, nil
}
