package notify

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/audit"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/policy"
)

// authorizeWebhooks: the policy table says who manages webhooks
// (policy.WebhooksManage); a member of the community without that right
// is Forbidden, anyone else sees NotFound — another community's settings
// do not exist for them.
func authorizeWebhooks(actor *accounts.Principal, communityID int64) error {
	if actor == nil {
		return apperr.UnauthenticatedErr()
	}
	if policy.PermitsIn(actor, policy.WebhooksManage, communityID, nil) {
		return nil
	}
	for _, g := range actor.Grants {
		if g.CommunityID == communityID {
			return apperr.ForbiddenErr()
		}
	}
	return apperr.NotFoundErr()
}

var eventName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,99}$`)

// checkWebhookURL validates an admin's URL. Unless private addresses are
// allowed it also refuses obvious internal targets early, for a clear
// message; the dialer checks again at every delivery, which is what counts.
func (s *Service) checkWebhookURL(v *apperr.Validation, raw string) *url.URL {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.Fragment != "" || len(raw) > 2000 {
		v.Add("url", "webhook.url.invalid", nil)
		return nil
	}
	if !s.cfg.AllowPrivate {
		host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
		if a, err := netip.ParseAddr(host); (err == nil && !publicAddr(a)) || host == "localhost" || strings.HasSuffix(host, ".localhost") {
			v.Add("url", "webhook.url.private", nil)
			return nil
		}
	}
	return u
}

// AddWebhook registers a URL to receive the community's notifications of
// the given kinds (none: all). It returns the webhook and its signing
// secret, which is shown to the admin this once.
func (s *Service) AddWebhook(ctx context.Context, actor *accounts.Principal, communityID int64, rawURL string, events []string) (Webhook, string, error) {
	if err := authorizeWebhooks(actor, communityID); err != nil {
		return Webhook{}, "", err
	}
	var v apperr.Validation
	u := s.checkWebhookURL(&v, rawURL)
	if len(events) == 0 {
		events = []string{"*"}
	}
	for _, e := range events {
		if e != "*" && !eventName.MatchString(e) {
			v.Add("events", "webhook.events.invalid", map[string]any{"event": e})
		}
	}
	if err := v.Err(); err != nil {
		return Webhook{}, "", err
	}
	var b [32]byte
	_, _ = rand.Read(b[:])
	plain := hex.EncodeToString(b[:])
	sealed, err := s.sealSecret(communityID, plain)
	if err != nil {
		return Webhook{}, "", fmt.Errorf("notify: seal webhook secret: %w", err)
	}
	now := s.clock.Now().UTC().Truncate(time.Microsecond)
	h := Webhook{CommunityID: communityID, URL: u.String(), Events: events, Active: true, CreatedAt: now}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO webhooks (community_id, url, secret, events, active, created_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
			communityID, h.URL, sealed, strings.Join(events, ","), true, now).Scan(&h.ID); err != nil {
			return err
		}
		e := actor.Audit(now, "webhook.create", communityID)
		e.ObjectType, e.ObjectID, e.Fields = "webhook", strconv.FormatInt(h.ID, 10), []string{"url", "events"}
		e.Detail = u.Scheme + "://" + u.Host
		return audit.Record(ctx, tx, e)
	})
	if db.IsForeignKeyViolation(err) {
		return Webhook{}, "", apperr.NotFoundErr()
	}
	if err != nil {
		return Webhook{}, "", fmt.Errorf("notify: add webhook: %w", err)
	}
	return h, plain, nil
}

// ListWebhooks lists a community's webhooks, without their secrets.
func (s *Service) ListWebhooks(ctx context.Context, actor *accounts.Principal, communityID int64) ([]Webhook, error) {
	if err := authorizeWebhooks(actor, communityID); err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE community_id = ? ORDER BY id`, communityID)
	if err != nil {
		return nil, fmt.Errorf("notify: list webhooks: %w", err)
	}
	defer rows.Close()
	var out []Webhook
	for rows.Next() {
		h, err := scanWebhook(rows)
		if err != nil {
			return nil, fmt.Errorf("notify: scan webhook: %w", err)
		}
		h.secret = ""
		out = append(out, h)
	}
	return out, rows.Err()
}

// RemoveWebhook deletes a webhook; deliveries still queued for it are
// dropped when they come up.
func (s *Service) RemoveWebhook(ctx context.Context, actor *accounts.Principal, communityID, id int64) error {
	if err := authorizeWebhooks(actor, communityID); err != nil {
		return err
	}
	now := s.clock.Now().UTC()
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, `DELETE FROM webhooks WHERE id = ? AND community_id = ?`, id, communityID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return sql.ErrNoRows
		}
		e := actor.Audit(now, "webhook.delete", communityID)
		e.ObjectType, e.ObjectID = "webhook", strconv.FormatInt(id, 10)
		return audit.Record(ctx, tx, e)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return apperr.NotFoundErr()
	}
	if err != nil {
		return fmt.Errorf("notify: remove webhook %d: %w", id, err)
	}
	return nil
}
