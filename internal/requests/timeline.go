package requests

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/linli/linli/internal/accounts"
)

// Event is one step of a request's timeline.
type Event struct {
	Seq          int64        `json:"seq"`
	Action       Action       `json:"action"` // "absorb": another request was merged into this one (Note: its number)
	From         Status       `json:"from,omitempty"`
	To           Status       `json:"to"`
	ActorID      int64        `json:"actor_id,omitempty"`
	ActorName    string       `json:"actor_name"` // a resident's masked
	ActorRole    string       `json:"actor_role"`
	At           time.Time    `json:"at"`
	Note         string       `json:"note,omitempty"`
	Reason       string       `json:"reason,omitempty"`
	Handler      *Handler     `json:"handler,omitempty"`
	Until        *time.Time   `json:"until,omitempty"`
	Resolved     *bool        `json:"resolved,omitempty"`
	Satisfaction Satisfaction `json:"satisfaction,omitempty"`
	// Attachments are the ids of the photos this event added, Photos
	// the photos themselves (photos.go).
	Attachments []int64 `json:"attachments,omitempty"`
	Photos      []Photo `json:"photos,omitempty"`
}

// Timeline lists request id's events in order, for anyone who may read
// the request.
func (s *Service) Timeline(ctx context.Context, actor *accounts.Principal, id int64) ([]Event, error) {
	r, rc, rel, err := s.find(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT ev.seq, ev.action, ev.from_status, ev.to_status, COALESCE(ev.actor_id, 0),
		COALESCE(a.display_name, ''), ev.actor_role, ev.at, ev.note, ev.reason, COALESCE(ev.handler_kind, ''),
		COALESCE(ev.handler_id, 0), ev.until_at, ev.resolved, COALESCE(ev.satisfaction, '')
		FROM request_events ev LEFT JOIN accounts a ON a.id = ev.actor_id
		WHERE ev.request_id = ? ORDER BY ev.seq`, r.id)
	if err != nil {
		return nil, fmt.Errorf("requests: timeline: %w", err)
	}
	defer rows.Close()
	out := []Event{}
	for rows.Next() {
		var e Event
		var hk string
		var hid int64
		var until sql.NullTime
		var resolved sql.NullBool
		if err := rows.Scan(&e.Seq, &e.Action, &e.From, &e.To, &e.ActorID, &e.ActorName, &e.ActorRole, &e.At,
			&e.Note, &e.Reason, &hk, &hid, &until, &resolved, &e.Satisfaction); err != nil {
			return nil, fmt.Errorf("requests: timeline: %w", err)
		}
		e.At = e.At.UTC()
		if e.ActorRole == string(accounts.Resident) {
			e.ActorName = MaskName(e.ActorName)
		}
		if hk != "" {
			e.Handler = &Handler{Kind: HandlerKind(hk), ID: hid}
		}
		e.Until = ptime(until)
		if resolved.Valid {
			b := resolved.Bool
			e.Resolved = &b
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("requests: timeline: %w", err)
	}
	// The photos by the event that added them: request_photos, not the
	// events' attachments column, is where they are recorded.
	ps, err := s.photosOf(ctx, r.id)
	if err != nil {
		return nil, err
	}
	bySeq := map[int64]int{}
	for i, e := range out {
		bySeq[e.Seq] = i
	}
	for _, p := range ps {
		if i, ok := bySeq[p.Seq]; ok {
			out[i].Attachments = append(out[i].Attachments, p.ID)
			out[i].Photos = append(out[i].Photos, p)
		}
	}
	// Each dispatch names its handler, as the request names its current
	// one: a volunteer whole to the office and to themself only.
	var ns []naming
	for _, e := range out {
		if e.Handler != nil {
			own := e.Handler.Kind == HandlerVolunteer && slices.Contains(rc.volunteers, e.Handler.ID)
			ns = append(ns, naming{h: e.Handler, full: rel.office || own})
		}
	}
	if err := s.handlerNames(ctx, ns); err != nil {
		return nil, err
	}
	return out, nil
}
