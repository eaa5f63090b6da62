// Package certs issues and verifies volunteer record certificates
// (志愿服务记录证明, 志愿服务记录与证明出具办法 第十四-十七条): free, printed by
// the volunteer themselves, checkable by anyone through a public page that
// shows nothing personal beyond the name, and not for commercial use.
//
// A certificate freezes what it certifies when it is issued: the hours,
// the number of services and the main content of a period, counted from
// the ledger (internal/hours) as it stood then.
package certs

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/audit"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/hours"
	"github.com/linli/linli/internal/volunteers"
)

// Certificate is one issued certificate.
type Certificate struct {
	Number          string    `json:"number"`
	VolunteerID     int64     `json:"volunteer_id,omitempty"`
	Name            string    `json:"name"`
	VolunteerNumber string    `json:"volunteer_number,omitempty"`
	From            string    `json:"from"`
	To              string    `json:"to"`
	Minutes         int       `json:"-"`
	Hours           float64   `json:"hours"`
	Services        int       `json:"services"`
	Lines           []Line    `json:"lines,omitempty"`
	Organiser       string    `json:"organiser"`
	IssuedAt        time.Time `json:"issued_at"`
	VerifyURL       string    `json:"verify_url,omitempty"`
}

// Line is one kind of service on the certificate.
type Line struct {
	Activity string  `json:"activity"`
	Times    int     `json:"times"`
	Hours    float64 `json:"hours"`
}

// Service issues and verifies certificates.
type Service struct {
	db    *db.DB
	clock clock.Clock
	vol   *volunteers.Service
}

// New returns a Service.
func New(d *db.DB, c clock.Clock, vol *volunteers.Service) *Service {
	return &Service{db: d, clock: c, vol: vol}
}

// alphabet is Crockford's base 32: no I, L, O or U to misread.
const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// newNumber is the community code, the year, 12 random characters (60
// bits) and a check character, e.g. JSL-2026-7KQ2M9XD4TPB-R.
func newNumber(code string, year int) string {
	b := make([]byte, 12)
	rand.Read(b)
	var sb strings.Builder
	for _, x := range b {
		sb.WriteByte(alphabet[x&31])
	}
	body := sb.String()
	return fmt.Sprintf("%s-%d-%s-%c", strings.ToUpper(code), year, body, check(body))
}

// check is a weighted sum over the random part, so most typing mistakes
// are caught before the database is asked.
func check(body string) byte {
	sum := 0
	for i := 0; i < len(body); i++ {
		sum += (i + 1) * strings.IndexByte(alphabet, body[i])
	}
	return alphabet[sum%32]
}

// Normalize reads a number as people type it (lower case, spaces) and
// reports whether it is well formed.
func Normalize(s string) (string, bool) {
	s = strings.ToUpper(strings.Join(strings.Fields(s), ""))
	parts := strings.Split(s, "-")
	if len(parts) != 4 || len(parts[0]) == 0 || len(parts[0]) > 12 || len(parts[1]) != 4 || len(parts[2]) != 12 || len(parts[3]) != 1 {
		return "", false
	}
	for _, r := range parts[2] + parts[3] {
		if !strings.ContainsRune(alphabet, r) {
			return "", false
		}
	}
	if check(parts[2]) != parts[3][0] {
		return "", false
	}
	return s, true
}

func hoursOf(minutes int) float64 { return float64(int64(float64(minutes)/6+0.5)) / 10 }

// Issue issues a certificate of volunteer vid's service between from and
// to (YYYY-MM-DD, both optional: from the first record to today). The
// volunteer, their guardian and the office may; vid 0 is the actor's own.
func (s *Service) Issue(ctx context.Context, actor *accounts.Principal, cid, vid int64, from, to string) (*Certificate, error) {
	acc, err := s.vol.AccessOf(ctx, actor, cid)
	if err != nil {
		return nil, err
	}
	if !acc.Member {
		return nil, apperr.NotFoundErr()
	}
	if vid == 0 {
		me, err := s.vol.Mine(ctx, actor, cid)
		if err != nil {
			return nil, err
		}
		vid = me.ID
	}
	if !acc.Office && !contains(acc.Own, vid) {
		return nil, apperr.NotFoundErr()
	}
	now := s.clock.Now()
	today := now.In(clock.Shanghai).Format(time.DateOnly)
	var v apperr.Validation
	if from != "" && !validDate(from) {
		v.Add("from", "record.date.invalid", nil)
	}
	if to == "" {
		to = today
	} else if !validDate(to) || to > today {
		v.Add("to", "cert.to.invalid", nil)
	}
	if from != "" && to < from {
		v.Add("to", "cert.period.invalid", nil)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if from == "" {
		if err := s.db.QueryRow(ctx, `SELECT COALESCE(MIN(r.service_date), '') FROM service_records r WHERE r.volunteer_id = ? AND `+hours.Counted, vid).Scan(&from); err != nil {
			return nil, fmt.Errorf("certs: first record: %w", err)
		}
		if from == "" {
			from = to
		}
	}
	c := &Certificate{VolunteerID: vid, From: from, To: to, IssuedAt: now.UTC()}
	if err := s.db.QueryRow(ctx, `SELECT COALESCE(SUM(r.minutes), 0), count(*) FROM service_records r
		WHERE r.volunteer_id = ? AND r.service_date BETWEEN ? AND ? AND `+hours.Counted, vid, from, to).Scan(&c.Minutes, &c.Services); err != nil {
		return nil, fmt.Errorf("certs: hours: %w", err)
	}
	if c.Minutes <= 0 {
		return nil, apperr.New(apperr.Invalid, "cert.no_hours")
	}
	c.Hours = hoursOf(c.Minutes)
	rows, err := s.db.Query(ctx, `SELECT r.activity_name, count(*), SUM(r.minutes) FROM service_records r
		WHERE r.volunteer_id = ? AND r.service_date BETWEEN ? AND ? AND `+hours.Counted+`
		GROUP BY r.activity_name ORDER BY SUM(r.minutes) DESC, r.activity_name LIMIT 8`, vid, from, to)
	if err != nil {
		return nil, fmt.Errorf("certs: lines: %w", err)
	}
	for rows.Next() {
		var l Line
		var m int
		if err := rows.Scan(&l.Activity, &l.Times, &m); err != nil {
			rows.Close()
			return nil, err
		}
		l.Hours = hoursOf(m)
		c.Lines = append(c.Lines, l)
	}
	rows.Close()
	id, err := s.vol.IdentityOf(ctx, cid, vid)
	if err != nil {
		return nil, err
	}
	c.Name, c.VolunteerNumber = id.Name, id.Number
	var code, community string
	if err := s.db.QueryRow(ctx, `SELECT code, name FROM communities WHERE id = ?`, cid).Scan(&code, &community); err != nil {
		return nil, fmt.Errorf("certs: community: %w", err)
	}
	// The residents' committee keeps the record of its teams and
	// certifies it (办法 第二十六条; 谁记录谁证明).
	c.Organiser = community + "居民委员会"
	lines, _ := json.Marshal(c.Lines)
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		for range 3 {
			c.Number = newNumber(code, now.In(clock.Shanghai).Year())
			_, err := tx.Exec(ctx, `INSERT INTO certificates (community_id, number, volunteer_id, name_shown, volunteer_number, period_from, period_to,
				minutes, services, lines, organiser, issued_at, issued_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				cid, c.Number, vid, c.Name, c.VolunteerNumber, from, to, c.Minutes, c.Services, string(lines), c.Organiser, now, nullID(actor.AccountID))
			if db.IsUniqueViolation(err) {
				continue // 60 random bits: practically never
			}
			if err != nil {
				return fmt.Errorf("certs: insert: %w", err)
			}
			e := actor.Audit(now, "certificate.issue", cid)
			e.ObjectType, e.ObjectID, e.Detail = "certificate", c.Number, fmt.Sprintf("volunteer %d %s~%s %.1fh", vid, from, to, c.Hours)
			return audit.Record(ctx, tx, e)
		}
		return fmt.Errorf("certs: no free number")
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

func contains(xs []int64, x int64) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func validDate(d string) bool {
	_, err := time.Parse(time.DateOnly, d)
	return err == nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

const certColumns = `c.number, c.volunteer_id, c.name_shown, c.volunteer_number, c.period_from, c.period_to, c.minutes, c.services, c.lines, c.organiser, c.issued_at, c.community_id`

func scan(sc interface{ Scan(...any) error }) (*Certificate, int64, error) {
	var c Certificate
	var lines string
	var cid int64
	if err := sc.Scan(&c.Number, &c.VolunteerID, &c.Name, &c.VolunteerNumber, &c.From, &c.To, &c.Minutes, &c.Services, &lines, &c.Organiser, &c.IssuedAt, &cid); err != nil {
		return nil, 0, err
	}
	c.Hours, c.IssuedAt = hoursOf(c.Minutes), c.IssuedAt.UTC()
	if err := json.Unmarshal([]byte(lines), &c.Lines); err != nil {
		return nil, 0, fmt.Errorf("certs: lines: %w", err)
	}
	return &c, cid, nil
}

// Get returns a certificate for its volunteer, their guardian or the
// office: everything on it. Anyone else gets NotFound.
func (s *Service) Get(ctx context.Context, actor *accounts.Principal, number string) (*Certificate, error) {
	n, ok := Normalize(number)
	if !ok {
		return nil, apperr.NotFoundErr()
	}
	c, cid, err := scan(s.db.QueryRow(ctx, `SELECT `+certColumns+` FROM certificates c WHERE c.number = ?`, n))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFoundErr()
	}
	if err != nil {
		return nil, fmt.Errorf("certs: get: %w", err)
	}
	acc, err := s.vol.AccessOf(ctx, actor, cid)
	if err != nil {
		return nil, err
	}
	if !acc.Office && !contains(acc.Own, c.VolunteerID) {
		return nil, apperr.NotFoundErr()
	}
	return c, nil
}

// Verify is the public check of a certificate by its number: the name
// as printed (a child's masked), the period, the hours and services, who
// issued it and when. Nothing else; unknown or malformed numbers are
// NotFound.
func (s *Service) Verify(ctx context.Context, number string) (*Certificate, error) {
	n, ok := Normalize(number)
	if !ok {
		return nil, apperr.NotFoundErr()
	}
	c, _, err := scan(s.db.QueryRow(ctx, `SELECT `+certColumns+` FROM certificates c WHERE c.number = ?`, n))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFoundErr()
	}
	if err != nil {
		return nil, fmt.Errorf("certs: verify: %w", err)
	}
	return &Certificate{Number: c.Number, Name: c.Name, From: c.From, To: c.To, Hours: c.Hours, Services: c.Services,
		Organiser: c.Organiser, IssuedAt: c.IssuedAt}, nil
}

// Mine lists the certificates of the actor and of the children they are
// guardian of, newest first.
func (s *Service) Mine(ctx context.Context, actor *accounts.Principal, cid int64) ([]Certificate, error) {
	acc, err := s.vol.AccessOf(ctx, actor, cid)
	if err != nil {
		return nil, err
	}
	if !acc.Member {
		return nil, apperr.NotFoundErr()
	}
	out := []Certificate{}
	if len(acc.Own) == 0 {
		return out, nil
	}
	args := []any{cid}
	for _, v := range acc.Own {
		args = append(args, v)
	}
	rows, err := s.db.Query(ctx, `SELECT `+certColumns+` FROM certificates c WHERE c.community_id = ? AND c.volunteer_id IN (`+
		strings.TrimSuffix(strings.Repeat("?,", len(acc.Own)), ",")+`) ORDER BY c.issued_at DESC, c.id DESC LIMIT 100`, args...)
	if err != nil {
		return nil, fmt.Errorf("certs: mine: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		c, _, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *c)
	}
	return out, rows.Err()
}
