// Package audit writes and reads the append-only audit log: sign-ins and
// their failures, permission denials, every change, and (from the registry
// on) every read of sensitive fields. Entries are written with Record on the
// same Querier as the change they describe, so both commit or neither does.
package audit

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/linli/linli/internal/db"
)

// Results.
const (
	OK     = "ok"
	Failed = "failed"
	Denied = "denied"
)

// Entry is one line of the audit log.
type Entry struct {
	ID          int64     `json:"id"`
	At          time.Time `json:"at"`
	ActorID     int64     `json:"actor_id,omitempty"` // 0: anonymous or the system
	ActorName   string    `json:"actor_name"`
	Role        string    `json:"role,omitempty"`
	CommunityID int64     `json:"community_id,omitempty"`
	Action      string    `json:"action"` // e.g. "account.login", "calendar.set"
	ObjectType  string    `json:"object_type,omitempty"`
	ObjectID    string    `json:"object_id,omitempty"`
	Fields      []string  `json:"fields,omitempty"` // names only, never values
	Result      string    `json:"result"`
	ClientAddr  string    `json:"client_addr,omitempty"`
	RequestID   string    `json:"request_id,omitempty"`
	Detail      string    `json:"detail,omitempty"`
}

// clean removes control characters so a crafted username cannot forge
// lines or terminal escapes in an exported log: C0 and C1 controls (C1 has
// NEL and the one-byte CSI), the Unicode line and paragraph separators, and
// bidirectional overrides that reorder what a reader sees.
func clean(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Bidi_Control, r) {
			return ' '
		}
		return r
	}, s)
	if len([]rune(s)) > max {
		s = string([]rune(s)[:max])
	}
	return s
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// Record appends e. e.At must be set by the caller's clock; Result defaults
// to OK.
func Record(ctx context.Context, q db.Querier, e Entry) error {
	args, err := e.Args()
	if err != nil {
		return err
	}
	if _, err := q.Exec(ctx, `INSERT INTO audit_log `+Columns+` VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...); err != nil {
		return fmt.Errorf("audit: record %s: %w", e.Action, err)
	}
	return nil
}

// Columns are audit_log's columns in the order of Args.
const Columns = `(at, actor_id, actor_name, role, community_id, action, object_type, object_id, fields, result, client_addr, request_id, detail)`

// PGTyped are placeholders for Args with the types PostgreSQL cannot
// infer in an INSERT ... SELECT: for a caller that writes its change and
// the entry in one statement (a data-modifying WITH), so that both or
// neither are kept at one round trip.
const PGTyped = `?::timestamptz, ?::bigint, ?, ?, ?::bigint, ?, ?, ?, ?, ?, ?, ?, ?`

// Args are the values Record writes, cleaned and defaulted.
func (e Entry) Args() ([]any, error) {
	if e.Action == "" {
		return nil, fmt.Errorf("audit: entry without action")
	}
	if e.Result == "" {
		e.Result = OK
	}
	if e.At.IsZero() {
		e.At = time.Now().UTC()
	}
	return []any{e.At.UTC(), nullID(e.ActorID), clean(e.ActorName, 100), e.Role, nullID(e.CommunityID),
		e.Action, e.ObjectType, clean(e.ObjectID, 100), strings.Join(e.Fields, ","), e.Result,
		clean(e.ClientAddr, 100), clean(e.RequestID, 64), clean(e.Detail, 500)}, nil
}

// Filter selects entries for List. Zero values do not filter.
type Filter struct {
	CommunityIDs []int64 // entries of these communities; nil: all
	ActorID      int64
	Action       string // exact, or a prefix ending in "." ("account.")
	Since, Until time.Time
	Limit        int // default 50, at most 500
	Offset       int
}

// List returns entries newest first, and the number matching the filter.
func List(ctx context.Context, q db.Querier, f Filter) ([]Entry, int, error) {
	var where []string
	var args []any
	if f.CommunityIDs != nil {
		if len(f.CommunityIDs) == 0 {
			return nil, 0, nil
		}
		ph := strings.TrimSuffix(strings.Repeat("?,", len(f.CommunityIDs)), ",")
		where = append(where, "community_id IN ("+ph+")")
		for _, id := range f.CommunityIDs {
			args = append(args, id)
		}
	}
	if f.ActorID != 0 {
		where = append(where, "actor_id = ?")
		args = append(args, f.ActorID)
	}
	if f.Action != "" {
		if strings.HasSuffix(f.Action, ".") {
			// Not LIKE: SQLite's ignores case and both treat "_" as a
			// wildcard; a prefix must match the same rows on both engines.
			where = append(where, "substr(action, 1, ?) = ?")
			args = append(args, utf8.RuneCountInString(f.Action), f.Action)
		} else {
			where = append(where, "action = ?")
			args = append(args, f.Action)
		}
	}
	if !f.Since.IsZero() {
		where = append(where, "at >= ?")
		args = append(args, f.Since.UTC())
	}
	if !f.Until.IsZero() {
		where = append(where, "at < ?")
		args = append(args, f.Until.UTC())
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var total int
	if err := q.QueryRow(ctx, `SELECT count(*) FROM audit_log`+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("audit: count: %w", err)
	}
	limit := f.Limit
	switch {
	case limit <= 0:
		limit = 50
	case limit > 500:
		limit = 500
	}
	rows, err := q.Query(ctx, `SELECT id, at, COALESCE(actor_id, 0), actor_name, role, COALESCE(community_id, 0),
		action, object_type, object_id, fields, result, client_addr, request_id, detail
		FROM audit_log`+cond+` ORDER BY id DESC LIMIT ? OFFSET ?`, append(args, limit, f.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("audit: list: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		var fields string
		if err := rows.Scan(&e.ID, &e.At, &e.ActorID, &e.ActorName, &e.Role, &e.CommunityID, &e.Action,
			&e.ObjectType, &e.ObjectID, &fields, &e.Result, &e.ClientAddr, &e.RequestID, &e.Detail); err != nil {
			return nil, 0, fmt.Errorf("audit: scan: %w", err)
		}
		if fields != "" {
			e.Fields = strings.Split(fields, ",")
		}
		e.At = e.At.UTC()
		out = append(out, e)
	}
	return out, total, rows.Err()
}
