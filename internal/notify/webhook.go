package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/jobs"
)

// Webhook is an outside URL told about a community's notifications.
type Webhook struct {
	ID          int64     `json:"id"`
	CommunityID int64     `json:"community_id"`
	URL         string    `json:"url"`
	Events      []string  `json:"events"` // notification kinds, or ["*"] for all
	Active      bool      `json:"active"`
	CreatedAt   time.Time `json:"created_at"`
	secret      string    // as stored: sealed when a keyring is configured
}

func (h Webhook) wants(kind string) bool {
	for _, e := range h.Events {
		if e == "*" || e == kind {
			return true
		}
	}
	return false
}

// WebhookEvent is the JSON body of a webhook request. It is the same on
// every retry of one delivery, and so is its signature.
type WebhookEvent struct {
	EventID     string    `json:"event_id"`
	Kind        string    `json:"kind"`
	CommunityID int64     `json:"community_id"`
	AccountID   int64     `json:"account_id"`
	Title       string    `json:"title"`
	Body        string    `json:"body"`
	Link        string    `json:"link"`
	CreatedAt   time.Time `json:"created_at"`
}

// Sign returns the X-Linli-Signature value of body: "sha256=" and the hex
// HMAC-SHA256 of the body keyed with the webhook's secret. A receiver
// recomputes it over the raw body and compares in constant time.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

const webhookColumns = `id, community_id, url, secret, events, active, created_at`

func scanWebhook(row interface{ Scan(...any) error }) (Webhook, error) {
	var h Webhook
	var events string
	if err := row.Scan(&h.ID, &h.CommunityID, &h.URL, &h.secret, &events, &h.Active, &h.CreatedAt); err != nil {
		return Webhook{}, err
	}
	h.Events = strings.Split(events, ",")
	h.CreatedAt = h.CreatedAt.UTC()
	return h, nil
}

func activeWebhooks(ctx context.Context, q db.Querier, communityID int64) ([]Webhook, error) {
	rows, err := q.Query(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE community_id = ? AND active = ? ORDER BY id`, communityID, true)
	if err != nil {
		return nil, fmt.Errorf("webhooks of community %d: %w", communityID, err)
	}
	defer rows.Close()
	var out []Webhook
	for rows.Next() {
		h, err := scanWebhook(rows)
		if err != nil {
			return nil, fmt.Errorf("scan webhook: %w", err)
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// deliverWebhook is the KindWebhook job: one POST of one notification to
// one webhook. Any answer but 2xx is retried by the job queue with the same
// body, signature and event id.
func (s *Service) deliverWebhook(ctx context.Context, j jobs.Job) error {
	var p webhookJob
	if err := j.Decode(&p); err != nil {
		return jobs.Permanent(err)
	}
	h, err := scanWebhook(s.db.QueryRow(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE id = ?`, p.WebhookID))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !h.Active) {
		return nil // removed or switched off since: nothing to deliver
	}
	if err != nil {
		return fmt.Errorf("notify: webhook %d: %w", p.WebhookID, err)
	}
	n, err := load(ctx, s.db, p.NotificationID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // the account was erased
	}
	if err != nil {
		return fmt.Errorf("notify: webhook %d: notification %d: %w", h.ID, p.NotificationID, err)
	}
	secret, err := s.openSecret(h)
	if err != nil {
		return jobs.Permanent(fmt.Errorf("notify: webhook %d: %w", h.ID, err))
	}
	body, err := json.Marshal(WebhookEvent{
		EventID: n.EventID, Kind: n.Kind, CommunityID: n.CommunityID, AccountID: n.AccountID,
		Title: n.Title, Body: n.Body, Link: s.absolute(n.Link), CreatedAt: n.CreatedAt,
	})
	if err != nil {
		return jobs.Permanent(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(body))
	if err != nil {
		return jobs.Permanent(fmt.Errorf("notify: webhook %d: %w", h.ID, err))
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "Linli-Webhook/1")
	req.Header.Set("X-Linli-Event", n.Kind)
	req.Header.Set("X-Linli-Event-Id", n.EventID)
	req.Header.Set("X-Linli-Signature", Sign(secret, body))
	req.Header.Set("X-Linli-Timestamp", strconv.FormatInt(s.clock.Now().Unix(), 10))
	resp, err := s.http.Do(req)
	if err != nil {
		err = fmt.Errorf("notify: webhook %d to %s: %w", h.ID, req.URL.Host, err)
		if errors.Is(err, ErrPrivateAddress) {
			return jobs.Permanent(err)
		}
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("notify: webhook %d to %s: status %d", h.ID, req.URL.Host, resp.StatusCode)
	}
	return nil
}

// sealSecret and openSecret keep webhook secrets encrypted at rest when a
// keyring is configured; the aad ties a sealed secret to its community.
func (s *Service) sealSecret(communityID int64, plain string) (string, error) {
	if s.cfg.Keyring == nil {
		return plain, nil
	}
	return s.cfg.Keyring.Encrypt(plain, fmt.Sprintf("webhooks.secret:%d", communityID))
}

func (s *Service) openSecret(h Webhook) (string, error) {
	if !strings.HasPrefix(h.secret, "v1.") { // generated secrets are hex
		return h.secret, nil
	}
	if s.cfg.Keyring == nil {
		return "", errors.New("the secret is encrypted but no keyring is configured")
	}
	return s.cfg.Keyring.Decrypt(h.secret, fmt.Sprintf("webhooks.secret:%d", h.CommunityID))
}
