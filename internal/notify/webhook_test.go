package notify_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/audit"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/notify"
	"github.com/linli/linli/internal/secret"
	"github.com/linli/linli/internal/testkit/dbtest"
)

type received struct {
	path   string
	header http.Header
	body   []byte
}

// receiver answers the first request with fail, the rest with 200.
type receiver struct {
	mu   sync.Mutex
	reqs []received
	fail int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	rc.reqs = append(rc.reqs, received{r.URL.Path, r.Header.Clone(), body})
	first := len(rc.reqs) == 1
	rc.mu.Unlock()
	if first && rc.fail != 0 {
		w.WriteHeader(rc.fail)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (rc *receiver) got() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.reqs...)
}

func TestWebhookSignedAtLeastOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		w := setup(t, d)
		rc := &receiver{fail: http.StatusInternalServerError}
		srv := httptest.NewServer(rc)
		defer srv.Close()
		kr, err := secret.New([]byte("0123456789abcdef0123456789abcdef"))
		must(t, err)
		s := w.service(notify.Config{AllowPrivate: true, BaseURL: "https://linli.example.org/", Keyring: kr})
		r := w.runner(s)

		hook, sec, err := s.AddWebhook(ctx, w.admin, w.cid, srv.URL+"/hook", []string{"activity.reminder"})
		must(t, err)
		if _, _, err := s.AddWebhook(ctx, w.admin, w.cid, srv.URL+"/other", []string{"other.kind"}); err != nil {
			t.Fatal(err)
		}
		var stored string
		must(t, d.QueryRow(ctx, `SELECT secret FROM webhooks WHERE id = ?`, hook.ID).Scan(&stored))
		if stored == sec || strings.Contains(stored, sec) || len(sec) != 64 {
			t.Fatalf("secret %q stored as %q", sec, stored)
		}

		eventID := "activity.reminder:7:account:" + strconv.FormatInt(w.alice.AccountID, 10)
		w.send(t, s, notify.Notification{CommunityID: w.cid, AccountID: w.alice.AccountID, EventID: eventID,
			Kind: "activity.reminder", Title: "周六义诊提醒", Body: "上午九点，社区服务中心", Link: "/activities/7"})

		runDue(t, r, 1) // the receiver answers 500
		if st, n, msg := jobStatus(t, d, notify.KindWebhook); st != "pending" || n != 1 || !strings.Contains(msg, "status 500") {
			t.Fatalf("after a 500: %s, attempt %d, %q", st, n, msg)
		}
		w.clock.Advance(time.Minute)
		runDue(t, r, 1)
		if st, n, _ := jobStatus(t, d, notify.KindWebhook); st != "done" || n != 2 {
			t.Fatalf("after retry: %s, attempt %d", st, n)
		}

		reqs := rc.got()
		if len(reqs) != 2 {
			t.Fatalf("%d requests, want 2 (a 500, then a retry)", len(reqs))
		}
		for _, q := range reqs {
			if q.path != "/hook" {
				t.Fatalf("request to %s: the other webhook did not subscribe to this kind", q.path)
			}
			if q.header.Get("X-Linli-Event-Id") != eventID || q.header.Get("X-Linli-Event") != "activity.reminder" {
				t.Fatalf("event headers %v", q.header)
			}
			mac := hmac.New(sha256.New, []byte(sec))
			mac.Write(q.body)
			if want := "sha256=" + hex.EncodeToString(mac.Sum(nil)); !hmac.Equal([]byte(q.header.Get("X-Linli-Signature")), []byte(want)) {
				t.Fatalf("signature %q, want %q", q.header.Get("X-Linli-Signature"), want)
			}
			if ts, err := strconv.ParseInt(q.header.Get("X-Linli-Timestamp"), 10, 64); err != nil || ts != w.clock.Now().Unix() && ts != w.clock.Now().Add(-time.Minute).Unix() {
				t.Fatalf("timestamp %q", q.header.Get("X-Linli-Timestamp"))
			}
		}
		if string(reqs[0].body) != string(reqs[1].body) {
			t.Fatalf("retry body differs:\n%s\n%s", reqs[0].body, reqs[1].body)
		}
		var ev notify.WebhookEvent
		must(t, json.Unmarshal(reqs[1].body, &ev))
		if ev.EventID != eventID || ev.Title != "周六义诊提醒" || ev.Link != "https://linli.example.org/activities/7" || ev.CommunityID != w.cid {
			t.Fatalf("event %+v", ev)
		}

		// Sending the same event again enqueues nothing new.
		w.send(t, s, notify.Notification{CommunityID: w.cid, AccountID: w.alice.AccountID, EventID: eventID, Kind: "activity.reminder", Title: "x"})
		w.clock.Advance(time.Hour)
		runDue(t, r, 0)
	})
}

func TestWebhookRefusesPrivateAddresses(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		w := setup(t, d)
		rc := &receiver{}
		srv := httptest.NewServer(rc)
		defer srv.Close()
		s := w.service(notify.Config{})
		r := w.runner(s)
		for _, c := range []struct{ url, key string }{
			{srv.URL + "/hook", "webhook.url.private"},
			{"http://localhost:8080/x", "webhook.url.private"},
			{"http://[::ffff:10.0.0.1]/x", "webhook.url.private"},
			{"http://169.254.169.254/latest/meta-data", "webhook.url.private"},
			{"ftp://example.org/x", "webhook.url.invalid"},
			{"https://user:pw@example.org/x", "webhook.url.invalid"},
		} {
			_, _, err := s.AddWebhook(ctx, w.admin, w.cid, c.url, nil)
			if e := apperr.From(err); e.Code != apperr.Invalid || e.Fields["url"].Key != c.key {
				t.Errorf("AddWebhook(%s) = %v, want %s", c.url, err, c.key)
			}
		}
		// A hostname that passed the check and now resolves to loopback
		// (DNS rebinding): the dialer refuses it at delivery time.
		port := srv.URL[strings.LastIndexByte(srv.URL, ':')+1:]
		_, err := d.Exec(ctx, `INSERT INTO webhooks (community_id, url, secret, events, active, created_at) VALUES (?, ?, 's', '*', ?, ?)`,
			w.cid, "http://localhost:"+port+"/hook", true, t0)
		must(t, err)
		w.send(t, s, notify.Notification{CommunityID: w.cid, AccountID: w.bob.AccountID, EventID: "e1", Kind: "k", Title: "标题"})
		runDue(t, r, 1)
		st, n, msg := jobStatus(t, d, notify.KindWebhook)
		if st != "failed" || n != 1 || !strings.Contains(msg, "non-public") {
			t.Fatalf("delivery to loopback: %s after %d attempts, %q", st, n, msg)
		}
		if len(rc.got()) != 0 {
			t.Fatal("the loopback server was reached")
		}
	})
}

func TestWebhookAdministration(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		w := setup(t, d)
		s := w.service(notify.Config{})
		url := "https://hooks.example.org/linli"
		if _, _, err := s.AddWebhook(ctx, w.alice, w.cid, url, nil); !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("volunteer AddWebhook = %v", err)
		}
		if _, _, err := s.AddWebhook(ctx, w.admin, w.other, url, nil); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("AddWebhook in another community = %v", err)
		}
		if _, _, err := s.AddWebhook(ctx, w.admin, w.cid, url, []string{"Bad Kind!"}); !apperr.Is(err, apperr.Invalid) {
			t.Fatalf("AddWebhook with a bad event = %v", err)
		}
		h, _, err := s.AddWebhook(ctx, w.admin, w.cid, url, nil)
		must(t, err)
		list, err := s.ListWebhooks(ctx, w.admin, w.cid)
		if err != nil || len(list) != 1 || list[0].URL != url || list[0].Events[0] != "*" || !list[0].Active {
			t.Fatalf("ListWebhooks = %+v (%v)", list, err)
		}
		if err := s.RemoveWebhook(ctx, w.admin, w.other, h.ID); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("RemoveWebhook via another community = %v", err)
		}
		must(t, s.RemoveWebhook(ctx, w.admin, w.cid, h.ID))
		if err := s.RemoveWebhook(ctx, w.admin, w.cid, h.ID); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("second RemoveWebhook = %v", err)
		}
		entries, _, err := audit.List(ctx, d, audit.Filter{Action: "webhook."})
		if err != nil || len(entries) != 2 || entries[1].Action != "webhook.create" || entries[0].Action != "webhook.delete" ||
			entries[1].ActorID != w.admin.AccountID || entries[1].Role != string(accounts.Admin) {
			t.Fatalf("audit entries %+v (%v)", entries, err)
		}
	})
}
