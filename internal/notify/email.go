package notify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/linli/linli/internal/jobs"
)

// SMTPConfig is the mail relay an admin configured. The server is the
// admin's choice, so it is not held to the webhook address rules.
type SMTPConfig struct {
	Host     string
	Port     int    // 587 (STARTTLS) or 465 (implicit TLS) usually; 25 without TLS
	From     string // "Linli 邻里 <noreply@example.org>"
	Username string // empty: no authentication
	Password string
	// ImplicitTLS connects with TLS from the first byte; default on for
	// port 465. Otherwise STARTTLS is used whenever the server offers it,
	// and net/smtp refuses to send a password without TLS except to
	// localhost.
	ImplicitTLS bool
	Timeout     time.Duration // whole conversation; 30s
}

// String masks the password, so a config can be logged.
func (c SMTPConfig) String() string {
	pw := ""
	if c.Password != "" {
		pw = "********"
	}
	return fmt.Sprintf("smtp://%s:%s@%s:%d (from %s)", c.Username, pw, c.Host, c.Port, c.From)
}

// deliverEmail is the KindEmail job: it mails one notification to its
// recipient's current address. A rejected address (5xx) is not retried.
func (s *Service) deliverEmail(ctx context.Context, j jobs.Job) error {
	cfg := s.cfg.SMTP
	if cfg == nil {
		return jobs.Permanent(errors.New("notify: e-mail job but no SMTP configured"))
	}
	var p emailJob
	if err := j.Decode(&p); err != nil {
		return jobs.Permanent(err)
	}
	var n Notification
	var to, name string
	err := s.db.QueryRow(ctx, `SELECT n.event_id, n.title, n.body, n.link, a.email, a.display_name
		FROM notifications n JOIN accounts a ON a.id = n.account_id
		WHERE n.id = ? AND a.disabled_at IS NULL`, p.NotificationID).
		Scan(&n.EventID, &n.Title, &n.Body, &n.Link, &to, &name)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && to == "") {
		return nil // erased, disabled, or the address was removed since
	}
	if err != nil {
		return fmt.Errorf("notify: e-mail %d: %w", p.NotificationID, err)
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return jobs.Permanent(fmt.Errorf("notify: SMTP From %q: %w", cfg.From, err))
	}
	rcpt, err := mail.ParseAddress(to)
	if err != nil {
		return jobs.Permanent(fmt.Errorf("notify: recipient address of notification %d: %w", p.NotificationID, err))
	}
	rcpt.Name = name
	text := n.Title + "\n"
	if n.Body != "" {
		text += "\n" + n.Body + "\n"
	}
	if n.Link != "" {
		text += "\n" + s.absolute(n.Link) + "\n"
	}
	msg := buildMessage(from, rcpt, n.Title, text, n.EventID, s.clock.Now())
	if err := sendMail(ctx, *cfg, from.Address, rcpt.Address, msg); err != nil {
		var te *textproto.Error
		if errors.As(err, &te) && te.Code >= 500 {
			return jobs.Permanent(err)
		}
		return err
	}
	return nil
}

// buildMessage writes an RFC 5322 message: headers in ASCII (the subject
// as RFC 2047 Q-encoded words, so 中文 arrives intact in every client),
// the body as base64 UTF-8 text.
func buildMessage(from, to *mail.Address, subject, body, eventID string, now time.Time) []byte {
	var b bytes.Buffer
	h := func(k, v string) { b.WriteString(fold(k, v) + "\r\n") }
	h("From", from.String())
	h("To", to.String())
	h("Subject", mime.QEncoding.Encode("utf-8", subject))
	h("Date", now.In(time.UTC).Format(time.RFC1123Z))
	sum := sha256.Sum256([]byte(eventID))
	domain := from.Address[strings.LastIndexByte(from.Address, '@')+1:]
	h("Message-ID", "<"+hex.EncodeToString(sum[:16])+"@"+domain+">")
	h("X-Linli-Event-Id", mime.QEncoding.Encode("utf-8", eventID))
	h("Auto-Submitted", "auto-generated")
	h("MIME-Version", "1.0")
	h("Content-Type", "text/plain; charset=utf-8")
	h("Content-Transfer-Encoding", "base64")
	b.WriteString("\r\n")
	enc := base64.StdEncoding.EncodeToString([]byte(strings.ReplaceAll(body, "\n", "\r\n")))
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
	return b.Bytes()
}

// fold writes a header field with its lines at most 76 characters where
// possible (RFC 2047's limit for lines with encoded words). It breaks only
// at spaces, which unfolding restores; encoded words hold no spaces and are
// at most 75 characters, so every one fits on a line of its own.
func fold(name, value string) string {
	var b strings.Builder
	b.WriteString(name + ":")
	n := b.Len()
	for _, w := range strings.Split(value, " ") {
		if n > 0 && n+1+len(w) > 76 { // n is 0 right after a fold
			b.WriteString("\r\n")
			n = 0
		}
		b.WriteString(" " + w)
		n += 1 + len(w)
	}
	return b.String()
}

// sendMail runs one SMTP conversation under a deadline.
func sendMail(ctx context.Context, cfg SMTPConfig, from, to string, msg []byte) error {
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	dialer := &net.Dialer{}
	var conn net.Conn
	var err error
	if cfg.ImplicitTLS || cfg.Port == 465 {
		conn, err = (&tls.Dialer{NetDialer: dialer, Config: &tls.Config{ServerName: cfg.Host}}).DialContext(ctx, "tcp", addr)
	} else {
		conn, err = dialer.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return fmt.Errorf("notify: SMTP dial %s: %w", addr, err)
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	c, err := smtp.NewClient(conn, cfg.Host)
	if err != nil {
		return fmt.Errorf("notify: SMTP greeting from %s: %w", addr, err)
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok && !(cfg.ImplicitTLS || cfg.Port == 465) {
		if err := c.StartTLS(&tls.Config{ServerName: cfg.Host}); err != nil {
			return fmt.Errorf("notify: SMTP STARTTLS: %w", err)
		}
	}
	if cfg.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", cfg.Username, cfg.Password, cfg.Host)); err != nil {
			return fmt.Errorf("notify: SMTP auth: %w", err)
		}
	}
	if err := c.Mail(from); err != nil {
		return fmt.Errorf("notify: SMTP MAIL FROM: %w", err)
	}
	if err := c.Rcpt(to); err != nil {
		return fmt.Errorf("notify: SMTP RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("notify: SMTP DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("notify: SMTP write: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("notify: SMTP end of data: %w", err)
	}
	_ = c.Quit() // the message is accepted; a failed QUIT changes nothing
	return nil
}
