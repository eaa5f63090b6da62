// Package notify tells people that something happened: an in-app inbox
// (the notifications table), and, where an admin configured them, e-mail
// over SMTP and signed webhooks.
//
// Send writes the inbox row and enqueues one job per outside channel in the
// caller's transaction (an outbox): the notification and its deliveries
// commit together or not at all, and the jobs retry until the receiver
// takes them. Delivery is at least once, so every delivery carries the
// notification's stable event id for the receiver to deduplicate on.
package notify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/jobs"
	"github.com/linli/linli/internal/secret"
)

// Job kinds this package registers with a jobs.Runner.
const (
	KindEmail   = "notify.email"
	KindWebhook = "notify.webhook"
)

// Notification is one message to one account.
type Notification struct {
	ID          int64 `json:"id"`
	CommunityID int64 `json:"community_id,omitempty"` // 0: not about a community
	AccountID   int64 `json:"account_id"`
	// EventID is stable for one event and one recipient, e.g.
	// "activity.reminder:42:account:7": sending it again is a no-op, and
	// e-mail and webhook receivers see it to deduplicate retries.
	EventID   string    `json:"event_id"`
	Kind      string    `json:"kind"` // e.g. "activity.reminder"; webhooks subscribe by kind
	Title     string    `json:"title"`
	Body      string    `json:"body,omitempty"`
	Link      string    `json:"link,omitempty"` // a path inside Linli, "/activities/42"
	CreatedAt time.Time `json:"created_at"`
	ReadAt    time.Time `json:"read_at,omitzero"`
}

// Config wires a Service. Only the zero value of every channel is off.
type Config struct {
	Clock clock.Clock // clock.System
	// SMTP, when set, sends each notification to the recipient's e-mail
	// address (if the account has one).
	SMTP *SMTPConfig
	// BaseURL makes links absolute in e-mails and webhooks,
	// e.g. "https://linli.example.org".
	BaseURL string
	// AllowPrivate lets webhooks reach loopback and private addresses.
	// Off in production: a webhook must not become a way into the
	// community's own network.
	AllowPrivate bool
	// Keyring, when set, encrypts webhook secrets at rest.
	Keyring *secret.Keyring
	// HTTPTimeout bounds one webhook request; 15s.
	HTTPTimeout time.Duration
	Logger      *slog.Logger // slog.Default()
}

// Service is the inbox and its delivery channels.
type Service struct {
	db    *db.DB
	cfg   Config
	clock clock.Clock
	queue *jobs.Queue
	log   *slog.Logger
	http  httpDoer
}

// New returns a Service. Call Register to deliver e-mail and webhooks.
func New(d *db.DB, cfg Config) *Service {
	if cfg.Clock == nil {
		cfg.Clock = clock.System{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.HTTPTimeout <= 0 {
		cfg.HTTPTimeout = 15 * time.Second
	}
	cfg.BaseURL = strings.TrimSuffix(cfg.BaseURL, "/")
	return &Service{
		db: d, cfg: cfg, clock: cfg.Clock, queue: jobs.NewQueue(cfg.Clock),
		log:  cfg.Logger.With("component", "notify"),
		http: newHTTPClient(cfg.AllowPrivate, cfg.HTTPTimeout),
	}
}

// Register adds the delivery handlers to r.
func (s *Service) Register(r *jobs.Runner) {
	r.Register(KindEmail, s.deliverEmail)
	r.Register(KindWebhook, s.deliverWebhook)
}

func validate(n Notification) error {
	switch {
	case n.AccountID <= 0:
		return errors.New("no recipient")
	case n.EventID == "" || len(n.EventID) > 200:
		return errors.New("event id must be 1-200 bytes")
	case n.Kind == "" || len(n.Kind) > 100:
		return errors.New("kind must be 1-100 bytes")
	case strings.TrimSpace(n.Title) == "" || utf8.RuneCountInString(n.Title) > 200:
		return errors.New("title must be 1-200 characters")
	case utf8.RuneCountInString(n.Body) > 5000:
		return errors.New("body longer than 5000 characters")
	case n.Link != "" && (!strings.HasPrefix(n.Link, "/") || strings.HasPrefix(n.Link, "//") || strings.ContainsAny(n.Link, "\\\r\n")):
		// Only paths inside Linli: a link is rendered as an href, and
		// "javascript:" or another host must never get there.
		return fmt.Errorf("link %q is not a path inside Linli", n.Link)
	}
	return nil
}

// Send stores n in the recipient's inbox and enqueues its e-mail and
// webhook deliveries, all on q so they commit with the caller's change.
// A second Send with the same EventID does nothing and returns the first
// notification's id with created false. Errors are the producer's bugs or
// database failures, never the recipient's doing.
func (s *Service) Send(ctx context.Context, q db.Querier, n Notification) (id int64, created bool, err error) {
	if err := validate(n); err != nil {
		return 0, false, fmt.Errorf("notify: send %s: %w", n.EventID, err)
	}
	now := s.clock.Now().UTC().Truncate(time.Microsecond)
	err = q.QueryRow(ctx, `INSERT INTO notifications (community_id, account_id, event_id, kind, title, body, link, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING RETURNING id`,
		nullID(n.CommunityID), n.AccountID, n.EventID, n.Kind, n.Title, n.Body, n.Link, now).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		if err := q.QueryRow(ctx, `SELECT id FROM notifications WHERE event_id = ?`, n.EventID).Scan(&id); err != nil {
			return 0, false, fmt.Errorf("notify: send %s: find existing: %w", n.EventID, err)
		}
		return id, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("notify: send %s: %w", n.EventID, err)
	}
	if err := s.enqueueDeliveries(ctx, q, id, n); err != nil {
		return 0, false, fmt.Errorf("notify: send %s: %w", n.EventID, err)
	}
	return id, true, nil
}

type emailJob struct {
	NotificationID int64 `json:"notification_id"`
}

type webhookJob struct {
	NotificationID int64 `json:"notification_id"`
	WebhookID      int64 `json:"webhook_id"`
}

// enqueueDeliveries adds one job per channel. Payloads hold ids only: the
// text stays in the notifications row, where erasing an account erases it.
func (s *Service) enqueueDeliveries(ctx context.Context, q db.Querier, id int64, n Notification) error {
	if s.cfg.SMTP != nil {
		var email string
		err := q.QueryRow(ctx, `SELECT email FROM accounts WHERE id = ? AND disabled_at IS NULL`, n.AccountID).Scan(&email)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("recipient address: %w", err)
		}
		if email != "" {
			if _, _, err := s.queue.Enqueue(ctx, q, jobs.Job{Kind: KindEmail, Payload: emailJob{id},
				CommunityID: n.CommunityID, UniqueKey: KindEmail + ":" + n.EventID}); err != nil {
				return err
			}
		}
	}
	if n.CommunityID == 0 {
		return nil
	}
	hooks, err := activeWebhooks(ctx, q, n.CommunityID)
	if err != nil {
		return err
	}
	for _, h := range hooks {
		if !h.wants(n.Kind) {
			continue
		}
		if _, _, err := s.queue.Enqueue(ctx, q, jobs.Job{Kind: KindWebhook, Payload: webhookJob{id, h.ID},
			CommunityID: n.CommunityID, UniqueKey: fmt.Sprintf("%s:%d:%s", KindWebhook, h.ID, n.EventID)}); err != nil {
			return err
		}
	}
	return nil
}

// load reads one notification by id, without any permission check: for
// the delivery jobs and for the inbox methods after they checked.
func load(ctx context.Context, q db.Querier, id int64) (Notification, error) {
	return scan(q.QueryRow(ctx, `SELECT `+columns+` FROM notifications WHERE id = ?`, id))
}

const columns = `id, community_id, account_id, event_id, kind, title, body, link, created_at, read_at`

func scan(row interface{ Scan(...any) error }) (Notification, error) {
	var n Notification
	var cid sql.NullInt64
	var read sql.NullTime
	if err := row.Scan(&n.ID, &cid, &n.AccountID, &n.EventID, &n.Kind, &n.Title, &n.Body, &n.Link, &n.CreatedAt, &read); err != nil {
		return Notification{}, err
	}
	n.CommunityID = cid.Int64
	n.CreatedAt = n.CreatedAt.UTC()
	if read.Valid {
		n.ReadAt = read.Time.UTC()
	}
	return n, nil
}

// absolute turns a Linli path into a URL when BaseURL is configured.
func (s *Service) absolute(link string) string {
	if link == "" || s.cfg.BaseURL == "" {
		return link
	}
	return s.cfg.BaseURL + link
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}
