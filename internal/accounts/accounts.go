// Package accounts holds sign-in accounts, their grants (a role with a
// scope), sessions and login throttling. It imports no other domain.
//
// Contracts: methods that change data take the acting *Principal, check it
// with policy-independent rules of their own (admins act only inside their
// communities), and write an audit entry in the same transaction. A target
// outside the actor's reach is reported as not found.
package accounts

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/audit"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/db"
)

// Account is a sign-in identity. The password hash never leaves the package.
type Account struct {
	ID                int64      `json:"id"`
	Username          string     `json:"username"`
	DisplayName       string     `json:"display_name"`
	Email             string     `json:"email,omitempty"`
	Locale            string     `json:"locale"`
	LargeText         bool       `json:"large_text"`
	Disabled          bool       `json:"disabled"`
	CreatedAt         time.Time  `json:"created_at"`
	LastSeenAt        *time.Time `json:"last_seen_at,omitempty"`
	PasswordChangedAt time.Time  `json:"password_changed_at"`
	Grants            []Grant    `json:"grants"`
}

// Options tune sessions and throttling; zero values take the defaults.
type Options struct {
	IdleStaff, IdleOther         time.Duration // idle timeout (30 min / 7 days)
	AbsoluteStaff, AbsoluteOther time.Duration // absolute lifetime (12 h / 30 days)
	LockAfter                    int           // failures per (user, address) before a lock (5)
	LockFor                      time.Duration // lock length (15 min)
	AddrWindow                   time.Duration // window for the per-address limit (10 min)
	AddrMaxFailures              int           // failures from one address in the window before 429 (30)
	// SessionCache is how long a resolved session may be reused without
	// the database (see principalCache); 0 means the default of 1 s, a
	// negative value turns the cache off.
	SessionCache time.Duration
}

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.IdleStaff, 30*time.Minute)
	def(&o.IdleOther, 7*24*time.Hour)
	def(&o.AbsoluteStaff, 12*time.Hour)
	def(&o.AbsoluteOther, 30*24*time.Hour)
	def(&o.LockFor, 15*time.Minute)
	def(&o.AddrWindow, 10*time.Minute)
	if o.LockAfter <= 0 {
		o.LockAfter = 5
	}
	if o.AddrMaxFailures <= 0 {
		o.AddrMaxFailures = 30
	}
	if o.SessionCache == 0 {
		o.SessionCache = time.Second
	}
	return o
}

// Service is the accounts domain.
type Service struct {
	db    *db.DB
	clock clock.Clock
	opt   Options
	cache principalCache
}

// New returns a Service.
func New(d *db.DB, c clock.Clock, opt Options) *Service {
	opt = opt.withDefaults()
	return &Service{db: d, clock: c, opt: opt, cache: principalCache{ttl: opt.SessionCache}}
}

// Options returns the effective options.
func (s *Service) Options() Options { return s.opt }

var usernameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,39}$`)

// NormalizeUsername trims and lower-cases, so "Admin " and "admin" are one.
func NormalizeUsername(u string) string { return strings.ToLower(strings.TrimSpace(u)) }

// NewAccount is what CreateAccount needs.
type NewAccount struct {
	Username    string
	DisplayName string
	Email       string
	Password    string
	Locale      string
	Grants      []Grant // at least one for accounts made by an admin
}

func validLocale(l string) bool { return l == "zh-CN" || l == "en" }

// CreateAccount makes an account with its grants. An admin may create
// accounts only with grants inside the communities they administer.
func (s *Service) CreateAccount(ctx context.Context, actor *Principal, in NewAccount) (*Account, error) {
	in.Username = NormalizeUsername(in.Username)
	in.DisplayName = strings.TrimSpace(in.DisplayName)
	in.Email = strings.TrimSpace(in.Email)
	if in.Locale == "" {
		in.Locale = "zh-CN"
	}
	var v apperr.Validation
	if !usernameRE.MatchString(in.Username) {
		v.Add("username", "account.username.invalid", nil)
	}
	if n := utf8.RuneCountInString(in.DisplayName); n == 0 || n > 50 {
		v.Add("display_name", "account.display_name.invalid", nil)
	}
	if in.Email != "" && (len(in.Email) > 200 || !strings.Contains(in.Email, "@") || strings.ContainsAny(in.Email, " \r\n<>")) {
		v.Add("email", "account.email.invalid", nil)
	}
	if !validLocale(in.Locale) {
		v.Add("locale", "account.locale.invalid", nil)
	}
	staff := false
	for _, g := range in.Grants {
		staff = staff || g.Role.Staff()
	}
	if k := checkPassword(in.Password, staff, in.Username, in.DisplayName); k != "" {
		v.Add("password", k, nil)
	}
	if !actor.System && len(in.Grants) == 0 {
		v.Add("role", "grant.role.invalid", nil)
	}
	for _, g := range in.Grants {
		if err := s.checkGrantable(actor, g); err != nil {
			return nil, err
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	hash, err := hashPassword(in.Password, defaultParams)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	var id int64
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO accounts (username, display_name, email, password_hash, locale, password_changed_at, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			in.Username, in.DisplayName, in.Email, hash, in.Locale, now, now, now).Scan(&id)
		if db.IsUniqueViolation(err) {
			return apperr.New(apperr.Conflict, "account.username.taken").Field("username", "account.username.taken", nil)
		}
		if err != nil {
			return fmt.Errorf("accounts: insert: %w", err)
		}
		for _, g := range in.Grants {
			g.AccountID = id
			if err := insertGrant(ctx, tx, actor, g, now); err != nil {
				return err
			}
		}
		e := actor.Audit(now, "account.create", firstCommunity(in.Grants))
		e.ObjectType, e.ObjectID = "account", fmt.Sprint(id)
		e.Fields = []string{"username", "display_name", "email", "password", "grants"}
		return audit.Record(ctx, tx, e)
	})
	if err != nil {
		return nil, err
	}
	return s.FindAccount(ctx, id)
}

func firstCommunity(gs []Grant) int64 {
	for _, g := range gs {
		if g.CommunityID != 0 {
			return g.CommunityID
		}
	}
	return 0
}

// FindAccount loads an account with its grants, with no permission check:
// for the package's callers that already decided (sessions, the CLI).
func (s *Service) FindAccount(ctx context.Context, id int64) (*Account, error) {
	return findAccount(ctx, s.db, "id = ?", id)
}

// FindByUsername loads an account by its (normalised) username.
func (s *Service) FindByUsername(ctx context.Context, username string) (*Account, error) {
	return findAccount(ctx, s.db, "username = ?", NormalizeUsername(username))
}

func findAccount(ctx context.Context, q db.Querier, cond string, arg any) (*Account, error) {
	var a Account
	var disabled sql.NullTime
	var seen sql.NullTime
	err := q.QueryRow(ctx, `SELECT id, username, display_name, email, locale, large_text, disabled_at,
		created_at, last_seen_at, password_changed_at FROM accounts WHERE `+cond, arg).
		Scan(&a.ID, &a.Username, &a.DisplayName, &a.Email, &a.Locale, &a.LargeText, &disabled,
			&a.CreatedAt, &seen, &a.PasswordChangedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFoundErr()
	}
	if err != nil {
		return nil, fmt.Errorf("accounts: find: %w", err)
	}
	a.Disabled = disabled.Valid
	if seen.Valid {
		t := seen.Time.UTC()
		a.LastSeenAt = &t
	}
	a.CreatedAt, a.PasswordChangedAt = a.CreatedAt.UTC(), a.PasswordChangedAt.UTC()
	if a.Grants, err = grantsOf(ctx, q, a.ID); err != nil {
		return nil, err
	}
	return &a, nil
}

// AccountFilter selects accounts for ListAccounts.
type AccountFilter struct {
	CommunityID int64  // required unless the actor is the console
	Query       string // part of username or display name
	Limit       int
	Offset      int
}

// ListAccounts lists accounts holding a grant in a community the actor
// administers.
func (s *Service) ListAccounts(ctx context.Context, actor *Principal, f AccountFilter) ([]Account, int, error) {
	if !actor.System && !actor.administers(f.CommunityID) {
		return nil, 0, apperr.NotFoundErr()
	}
	cond := `id IN (SELECT account_id FROM grants WHERE community_id = ?)`
	args := []any{f.CommunityID}
	if actor.System && f.CommunityID == 0 {
		cond, args = "1 = 1", nil
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		// lower() on both sides: LIKE ignores case on SQLite but not on
		// PostgreSQL. Usernames are stored lower-case already.
		cond += ` AND (username LIKE ? OR lower(display_name) LIKE ?)`
		like := "%" + strings.ToLower(strings.NewReplacer("%", "", "_", "").Replace(q)) + "%"
		args = append(args, like, like)
	}
	var total int
	if err := s.db.QueryRow(ctx, `SELECT count(*) FROM accounts WHERE `+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("accounts: count: %w", err)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	rows, err := s.db.Query(ctx, `SELECT id FROM accounts WHERE `+cond+` ORDER BY username LIMIT ? OFFSET ?`,
		append(args, limit, f.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("accounts: list: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	out := make([]Account, 0, len(ids))
	for _, id := range ids {
		a, err := s.FindAccount(ctx, id)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, *a)
	}
	return out, total, nil
}

// GetAccount returns one account the actor may manage, or NotFound.
func (s *Service) GetAccount(ctx context.Context, actor *Principal, id int64) (*Account, error) {
	a, err := s.FindAccount(ctx, id)
	if err != nil {
		return nil, err
	}
	if !actor.manages(a) {
		return nil, apperr.NotFoundErr()
	}
	return a, nil
}
