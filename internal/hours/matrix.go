package hours

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/audit"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/volunteers"
)

// Matrix is the picture of the article's headline: teams down the side,
// service categories (or grids) across, with people and hours in each
// cell, for this month and this year.
type Matrix struct {
	By      string      `json:"by"` // category or grid
	Year    string      `json:"year"`
	Month   string      `json:"month"`
	Columns []Column    `json:"columns"`
	Rows    []MatrixRow `json:"rows"`
	Total   MatrixRow   `json:"total"`
}

// Column is a category code or a grid.
type Column struct {
	Key  string `json:"key"`
	Name string `json:"name,omitempty"` // a grid's name; categories are translated by the caller
}

// MatrixRow is one team (or the total).
type MatrixRow struct {
	TeamID     int64   `json:"team_id,omitempty"`
	Team       string  `json:"team"`
	Category   string  `json:"category,omitempty"`
	Members    int     `json:"members"`
	Activities int     `json:"activities"` // this year
	MonthHours float64 `json:"month_hours"`
	YearHours  float64 `json:"year_hours"`
	Cells      []Cell  `json:"cells"` // aligned with Matrix.Columns
}

// Cell is a team × column: people with hours this year, and the hours.
type Cell struct {
	People     int     `json:"people"`
	MonthHours float64 `json:"month_hours"`
	YearHours  float64 `json:"year_hours"`
}

// Matrix builds the matrix for community cid as of the clock's month.
// Everyone signed in to the community, and street supervisors over it,
// may see it: it holds counts, never names.
func (s *Service) Matrix(ctx context.Context, actor *accounts.Principal, cid int64, by string, streetOf func(int64) int64) (*Matrix, error) {
	if !mayAggregate(actor, cid, streetOf) {
		return nil, apperr.NotFoundErr()
	}
	if by == "" {
		by = "category"
	}
	if by != "category" && by != "grid" {
		return nil, apperr.New(apperr.Invalid, "error.invalid").Field("by", "matrix.by.invalid", nil)
	}
	now := s.clock.Now().In(clock.Shanghai)
	m := &Matrix{By: by, Year: now.Format("2006"), Month: now.Format("2006-01")}
	first := m.Year + "-01"
	col := map[string]int{}
	if by == "category" {
		for i, c := range volunteers.Categories {
			m.Columns = append(m.Columns, Column{Key: c})
			col[c] = i
		}
	} else {
		rows, err := s.db.Query(ctx, `SELECT id, number, name FROM grids WHERE community_id = ? ORDER BY number`, cid)
		if err != nil {
			return nil, fmt.Errorf("hours: grids: %w", err)
		}
		for rows.Next() {
			var id int64
			var n int
			var name string
			if err := rows.Scan(&id, &n, &name); err != nil {
				rows.Close()
				return nil, err
			}
			col[strconv.FormatInt(id, 10)] = len(m.Columns)
			m.Columns = append(m.Columns, Column{Key: strconv.Itoa(n), Name: name})
		}
		rows.Close()
	}
	// Teams and their current members.
	rows, err := s.db.Query(ctx, `SELECT t.id, t.name, t.category,
		(SELECT count(*) FROM team_members tm JOIN volunteers v ON v.id = tm.volunteer_id WHERE tm.team_id = t.id AND tm.left_on IS NULL AND v.status = 'active'),
		(SELECT count(*) FROM record_batches b WHERE b.team_id = t.id AND b.service_date >= ?)
		FROM teams t WHERE t.community_id = ? ORDER BY t.id`, m.Year+"-01-01", cid)
	if err != nil {
		return nil, fmt.Errorf("hours: matrix teams: %w", err)
	}
	row := map[int64]int{}
	for rows.Next() {
		var r MatrixRow
		if err := rows.Scan(&r.TeamID, &r.Team, &r.Category, &r.Members, &r.Activities); err != nil {
			rows.Close()
			return nil, err
		}
		r.Cells = make([]Cell, len(m.Columns))
		row[r.TeamID] = len(m.Rows)
		m.Rows = append(m.Rows, r)
	}
	rows.Close()
	// Hours from the monthly rollup: a year is at most twelve rows per
	// volunteer, team and category.
	q := `SELECT h.team_id, h.category, count(DISTINCT h.volunteer_id), SUM(h.minutes), SUM(CASE WHEN h.month = ? THEN h.minutes ELSE 0 END)
		FROM hours_rollup h WHERE h.community_id = ? AND h.month >= ? GROUP BY h.team_id, h.category`
	if by == "grid" {
		q = `SELECT h.team_id, CAST(g.grid_id AS TEXT), count(DISTINCT h.volunteer_id), SUM(h.minutes), SUM(CASE WHEN h.month = ? THEN h.minutes ELSE 0 END)
			FROM hours_rollup h JOIN volunteer_grids g ON g.volunteer_id = h.volunteer_id
			WHERE h.community_id = ? AND h.month >= ? GROUP BY h.team_id, g.grid_id`
	}
	rs, err := s.db.Query(ctx, q, m.Month, cid, first)
	if err != nil {
		return nil, fmt.Errorf("hours: matrix hours: %w", err)
	}
	var totalMonth, totalYear int
	for rs.Next() {
		var team int64
		var key string
		var people, year, month int
		if err := rs.Scan(&team, &key, &people, &year, &month); err != nil {
			rs.Close()
			return nil, err
		}
		i, ok := row[team]
		if !ok {
			continue // hours outside any team are in the total only
		}
		r := &m.Rows[i]
		r.MonthHours += hoursOf(month)
		r.YearHours += hoursOf(year)
		if c, ok := col[key]; ok {
			cell := &r.Cells[c]
			cell.People += people
			cell.MonthHours += hoursOf(month)
			cell.YearHours += hoursOf(year)
		}
		if by == "category" {
			totalMonth += month
			totalYear += year
		}
	}
	rs.Close()
	if err := rs.Err(); err != nil {
		return nil, err
	}
	// The total row: distinct people, all hours (a volunteer serving two
	// grids counts in both columns but once in the total).
	m.Total = MatrixRow{Team: "", Cells: make([]Cell, len(m.Columns))}
	for _, r := range m.Rows {
		m.Total.Activities += r.Activities
		for i, c := range r.Cells {
			m.Total.Cells[i].People += c.People
			m.Total.Cells[i].MonthHours += c.MonthHours
			m.Total.Cells[i].YearHours += c.YearHours
		}
	}
	var month, year int
	if err := s.db.QueryRow(ctx, `SELECT COALESCE(SUM(CASE WHEN month = ? THEN minutes ELSE 0 END), 0), COALESCE(SUM(minutes), 0)
		FROM hours_rollup WHERE community_id = ? AND month >= ?`, m.Month, cid, first).Scan(&month, &year); err != nil {
		return nil, fmt.Errorf("hours: matrix total: %w", err)
	}
	m.Total.MonthHours, m.Total.YearHours = hoursOf(month), hoursOf(year)
	if err := s.db.QueryRow(ctx, `SELECT count(DISTINCT tm.volunteer_id) FROM team_members tm JOIN volunteers v ON v.id = tm.volunteer_id
		WHERE tm.community_id = ? AND tm.left_on IS NULL AND v.status = 'active'`, cid).Scan(&m.Total.Members); err != nil {
		return nil, fmt.Errorf("hours: matrix members: %w", err)
	}
	for i := range m.Rows {
		roundRow(&m.Rows[i])
	}
	roundRow(&m.Total)
	return m, nil
}

// roundRow keeps sums of one-decimal hours at one decimal.
func roundRow(r *MatrixRow) {
	r.MonthHours, r.YearHours = round1(r.MonthHours), round1(r.YearHours)
	for i := range r.Cells {
		r.Cells[i].MonthHours, r.Cells[i].YearHours = round1(r.Cells[i].MonthHours), round1(r.Cells[i].YearHours)
	}
}

func round1(f float64) float64 { return float64(int64(f*10+0.5)) / 10 }

// mayAggregate: any grant in the community, a street grant over it, or
// the console.
func mayAggregate(p *accounts.Principal, cid int64, streetOf func(int64) int64) bool {
	if p == nil {
		return false
	}
	if p.System {
		return true
	}
	for _, g := range p.Grants {
		if g.CommunityID == cid {
			return true
		}
		if g.Role == accounts.Street && streetOf != nil && g.StreetID != 0 && streetOf(cid) == g.StreetID {
			return true
		}
	}
	return false
}

// SetStars changes the community's star thresholds (the office): 1 to 10
// increasing numbers of hours.
func (s *Service) SetStars(ctx context.Context, actor *accounts.Principal, cid int64, thresholds []int) error {
	acc, err := s.vol.AccessOf(ctx, actor, cid)
	if err != nil {
		return err
	}
	if err := acc.RequireOffice(); err != nil {
		return err
	}
	if len(thresholds) == 0 || len(thresholds) > 10 || thresholds[0] <= 0 || !slices.IsSorted(thresholds) || len(slices.Compact(slices.Clone(thresholds))) != len(thresholds) {
		return apperr.New(apperr.Invalid, "error.invalid").Field("thresholds", "stars.invalid", nil)
	}
	parts := make([]string, len(thresholds))
	for i, t := range thresholds {
		parts[i] = strconv.Itoa(t)
	}
	now := s.clock.Now()
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO star_rules (community_id, thresholds, updated_by, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (community_id) DO UPDATE SET thresholds = excluded.thresholds, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
			cid, strings.Join(parts, ","), nullID(actor.AccountID), now)
		if err != nil {
			return fmt.Errorf("hours: set stars: %w", err)
		}
		e := actor.Audit(now, "stars.set", cid)
		e.ObjectType, e.ObjectID, e.Detail = "community", fmt.Sprint(cid), strings.Join(parts, ",")
		return audit.Record(ctx, tx, e)
	})
}

// Totals are hours per team for a period of months (YYYY-MM, inclusive),
// for reports and the API.
type Totals struct {
	From, To  string      `json:"-"`
	Community float64     `json:"community_hours"`
	People    int         `json:"people"`
	Teams     []TeamTotal `json:"teams"`
}

// TeamTotal is one team's hours in a period.
type TeamTotal struct {
	TeamID int64   `json:"team_id"`
	Team   string  `json:"team"`
	Hours  float64 `json:"hours"`
	People int     `json:"people"`
}

// PeriodTotals returns totals between months from and to (YYYY-MM).
func (s *Service) PeriodTotals(ctx context.Context, actor *accounts.Principal, cid int64, from, to string, streetOf func(int64) int64) (*Totals, error) {
	if !mayAggregate(actor, cid, streetOf) {
		return nil, apperr.NotFoundErr()
	}
	var v apperr.Validation
	if _, err := time.Parse("2006-01", from); err != nil {
		v.Add("from", "record.month.invalid", nil)
	}
	if _, err := time.Parse("2006-01", to); err != nil || to < from {
		v.Add("to", "record.month.invalid", nil)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	t := &Totals{From: from, To: to, Teams: []TeamTotal{}}
	var minutes int
	if err := s.db.QueryRow(ctx, `SELECT COALESCE(SUM(minutes), 0), count(DISTINCT CASE WHEN minutes > 0 THEN volunteer_id END) FROM hours_rollup
		WHERE community_id = ? AND month BETWEEN ? AND ?`, cid, from, to).Scan(&minutes, &t.People); err != nil {
		return nil, fmt.Errorf("hours: totals: %w", err)
	}
	t.Community = hoursOf(minutes)
	rows, err := s.db.Query(ctx, `SELECT t.id, t.name, COALESCE(SUM(h.minutes), 0), count(DISTINCT CASE WHEN h.minutes > 0 THEN h.volunteer_id END)
		FROM teams t LEFT JOIN hours_rollup h ON h.team_id = t.id AND h.month BETWEEN ? AND ?
		WHERE t.community_id = ? GROUP BY t.id, t.name ORDER BY t.id`, from, to, cid)
	if err != nil {
		return nil, fmt.Errorf("hours: team totals: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var tt TeamTotal
		var m int
		if err := rows.Scan(&tt.TeamID, &tt.Team, &m, &tt.People); err != nil {
			return nil, err
		}
		tt.Hours = hoursOf(m)
		t.Teams = append(t.Teams, tt)
	}
	return t, rows.Err()
}
