package notify_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/jobs"
	"github.com/linli/linli/internal/notify"
)

var t0 = time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

type world struct {
	d          *db.DB
	clock      *clock.Fake
	cid, other int64 // two communities
	alice, bob *accounts.Principal
	admin      *accounts.Principal // admin of cid
}

func setup(t *testing.T, d *db.DB) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{d: d, clock: clock.NewFake(t0)}
	var sid int64
	must(t, d.QueryRow(ctx, `INSERT INTO streets (code, name, created_at) VALUES ('s1', '幸福街道', ?) RETURNING id`, t0).Scan(&sid))
	must(t, d.QueryRow(ctx, `INSERT INTO communities (street_id, code, name, created_at) VALUES (?, 'c1', '和平社区', ?) RETURNING id`, sid, t0).Scan(&w.cid))
	must(t, d.QueryRow(ctx, `INSERT INTO communities (street_id, code, name, created_at) VALUES (?, 'c2', '团结社区', ?) RETURNING id`, sid, t0).Scan(&w.other))
	w.alice = account(t, d, "alice", "张三", "alice@example.org", accounts.Grant{Role: accounts.Volunteer, CommunityID: w.cid})
	w.bob = account(t, d, "bob", "李四", "", accounts.Grant{Role: accounts.Volunteer, CommunityID: w.cid})
	w.admin = account(t, d, "admin", "王主任", "", accounts.Grant{Role: accounts.Admin, CommunityID: w.cid})
	return w
}

func account(t *testing.T, d *db.DB, username, name, email string, g accounts.Grant) *accounts.Principal {
	t.Helper()
	var id int64
	must(t, d.QueryRow(context.Background(), `INSERT INTO accounts
		(username, display_name, email, password_hash, password_changed_at, created_at, updated_at)
		VALUES (?, ?, ?, 'x', ?, ?, ?) RETURNING id`, username, name, email, t0, t0, t0).Scan(&id))
	g.AccountID = id
	return &accounts.Principal{AccountID: id, Username: username, DisplayName: name, Grants: []accounts.Grant{g}}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (w *world) service(cfg notify.Config) *notify.Service {
	cfg.Clock = w.clock
	cfg.Logger = quiet()
	return notify.New(w.d, cfg)
}

func (w *world) runner(s *notify.Service) *jobs.Runner {
	r := jobs.NewRunner(w.d, jobs.Config{Clock: w.clock, Logger: quiet(), Backoff: func(int) time.Duration { return time.Minute }})
	s.Register(r)
	return r
}

// send sends n inside a transaction, as a producer would.
func (w *world) send(t *testing.T, s *notify.Service, n notify.Notification) (int64, bool) {
	t.Helper()
	var id int64
	var created bool
	must(t, w.d.InTx(context.Background(), func(tx *db.Tx) error {
		var err error
		id, created, err = s.Send(context.Background(), tx, n)
		return err
	}))
	return id, created
}

func jobStatus(t *testing.T, d *db.DB, kind string) (status string, attempts int, lastError string) {
	t.Helper()
	must(t, d.QueryRow(context.Background(), `SELECT status, attempts, last_error FROM jobs WHERE kind = ?`, kind).
		Scan(&status, &attempts, &lastError))
	return
}

func runDue(t *testing.T, r *jobs.Runner, want int) {
	t.Helper()
	n, err := r.RunDue(context.Background())
	if err != nil || n != want {
		t.Fatalf("RunDue ran %d (%v), want %d", n, err, want)
	}
}
