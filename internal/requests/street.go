package requests

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/clock"
)

// The street supervisor (街道) oversees the communities of a street: it is
// told when a request reaches the third level of escalation, opens such a
// request read-only (requester masked, no phone, no steps) and compares
// the communities' figures, which are counts and name no one. Anything
// else of a community's requests is not found for it.

// supervises reports whether p holds a street grant over the street of
// community cid.
func (s *Service) supervises(ctx context.Context, p *accounts.Principal, cid int64) (bool, error) {
	if p == nil || cid == 0 {
		return false, nil
	}
	var streets []int64
	for _, g := range p.Grants {
		if g.Role == accounts.Street && g.StreetID != 0 {
			streets = append(streets, g.StreetID)
		}
	}
	if len(streets) == 0 {
		return false, nil
	}
	var street int64
	err := s.db.QueryRow(ctx, `SELECT street_id FROM communities WHERE id = ?`, cid).Scan(&street)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("requests: street of community %d: %w", cid, err)
	}
	for _, st := range streets {
		if st == street {
			return true, nil
		}
	}
	return false, nil
}

// escalatedToStreet reports whether request id was ever escalated to the
// street (a later dispatch or close does not take the supervisor's
// knowledge of it back: they were told, and may follow it).
func (s *Service) escalatedToStreet(ctx context.Context, id int64) (bool, error) {
	var n int
	err := s.db.QueryRow(ctx, `SELECT count(*) FROM request_escalations WHERE request_id = ? AND level = ?`, id, LevelStreet).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("requests: escalated %d to the street: %w", id, err)
	}
	return n > 0, nil
}

// StreetMetrics are the figures of every community of a street and of
// the street as a whole, by the definitions of Metrics; counts only.
type StreetMetrics struct {
	StreetID    int64            `json:"street_id"`
	From        time.Time        `json:"from"`
	To          time.Time        `json:"to"`
	Overall     Rates            `json:"overall"`
	Communities []CommunityRates `json:"communities"`
}

// CommunityRates are one community's overall figures.
type CommunityRates struct {
	CommunityID int64  `json:"community_id"`
	Code        string `json:"code"`
	Name        string `json:"name"`
	Rates       Rates  `json:"rates"`
}

// StreetMetrics counts the requests taken in [from, to) in each community
// of street streetID, for a supervisor of that street (or the console);
// anyone else finds no such street. Zero times as in Metrics.
func (s *Service) StreetMetrics(ctx context.Context, actor *accounts.Principal, streetID int64, from, to time.Time) (*StreetMetrics, error) {
	if !supervisorOf(actor, streetID) {
		return nil, apperr.NotFoundErr()
	}
	from, to, err := s.period(from, to)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT id, code, name FROM communities WHERE street_id = ? ORDER BY id`, streetID)
	if err != nil {
		return nil, fmt.Errorf("requests: street %d communities: %w", streetID, err)
	}
	out := &StreetMetrics{StreetID: streetID, From: from.UTC(), To: to.UTC(), Communities: []CommunityRates{}}
	for rows.Next() {
		var c CommunityRates
		if err := rows.Scan(&c.CommunityID, &c.Code, &c.Name); err != nil {
			rows.Close()
			return nil, fmt.Errorf("requests: street %d communities: %w", streetID, err)
		}
		out.Communities = append(out.Communities, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("requests: street %d communities: %w", streetID, err)
	}
	// The street's rates and median come from all its requests' facts,
	// not from averaging the communities' rates.
	for i := range out.Communities {
		c := &out.Communities[i]
		all, err := s.collect(ctx, "q.community_id = ?", []any{c.CommunityID}, from, to)
		if err != nil {
			return nil, err
		}
		for _, f := range all {
			c.Rates.add(f)
			out.Overall.add(f)
		}
		c.Rates.finish()
	}
	out.Overall.finish()
	return out, nil
}

// supervisorOf reports whether p supervises street streetID (the console
// does every street).
func supervisorOf(p *accounts.Principal, streetID int64) bool {
	if p == nil || streetID == 0 {
		return false
	}
	if p.System {
		return true
	}
	for _, g := range p.Grants {
		if g.Role == accounts.Street && g.StreetID == streetID {
			return true
		}
	}
	return false
}

// SupervisedStreet is the street p supervises (the first, should it hold
// several grants), or 0.
func SupervisedStreet(p *accounts.Principal) int64 {
	if p == nil {
		return 0
	}
	for _, g := range p.Grants {
		if g.Role == accounts.Street && g.StreetID != 0 {
			return g.StreetID
		}
	}
	return 0
}

// Escalated is a request escalated to the street, as its supervisor's
// list shows it: where, what kind, how far along, and when it reached
// the street. No one is named, and no description is shown here.
type Escalated struct {
	ID          int64     `json:"id"`
	Number      string    `json:"number"`
	CommunityID int64     `json:"community_id"`
	Community   string    `json:"community"`
	Category    string    `json:"category"`
	Status      Status    `json:"status"`
	Deadline    string    `json:"deadline"` // dispatch, sign or feedback: the limit that was missed
	EscalatedAt time.Time `json:"escalated_at"`
}

// StreetEscalations lists the requests of street streetID's communities
// escalated to the street, the latest first (at most 200), each once: the
// supervisor's work list, which the notifications link into one by one.
// Anyone but the street's supervisor finds no such street.
func (s *Service) StreetEscalations(ctx context.Context, actor *accounts.Principal, streetID int64, lang string) ([]Escalated, error) {
	if !supervisorOf(actor, streetID) {
		return nil, apperr.NotFoundErr()
	}
	name := "k.name_zh"
	if lang == "en" {
		name = "k.name_en"
	}
	rows, err := s.db.Query(ctx, `SELECT q.id, q.number, c.id, c.name, `+name+`, q.status, e.deadline, e.at
		FROM (SELECT request_id, max(at) AS last FROM request_escalations WHERE level = ? GROUP BY request_id) x
		JOIN request_escalations e ON e.request_id = x.request_id AND e.level = ? AND e.at = x.last
		JOIN requests q ON q.id = e.request_id
		JOIN communities c ON c.id = q.community_id
		JOIN request_categories k ON k.id = q.category_id
		WHERE c.street_id = ?
		ORDER BY e.at DESC, q.id DESC LIMIT 200`, LevelStreet, LevelStreet, streetID)
	if err != nil {
		return nil, fmt.Errorf("requests: street %d escalations: %w", streetID, err)
	}
	defer rows.Close()
	out := []Escalated{}
	seen := map[int64]bool{}
	for rows.Next() {
		var e Escalated
		if err := rows.Scan(&e.ID, &e.Number, &e.CommunityID, &e.Community, &e.Category, &e.Status, &e.Deadline, &e.EscalatedAt); err != nil {
			return nil, fmt.Errorf("requests: street %d escalations: %w", streetID, err)
		}
		if seen[e.ID] { // two deadlines missed at the same instant
			continue
		}
		seen[e.ID] = true
		e.EscalatedAt = e.EscalatedAt.In(clock.Shanghai)
		out = append(out, e)
	}
	return out, rows.Err()
}
