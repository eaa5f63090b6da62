// Package server starts a whole Linli — database, services, both front
// doors — on a real HTTP server for tests, seeded with the demo community
// and its logins under a known password.
package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/linli/linli/internal/app"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/config"
	"github.com/linli/linli/internal/demo"
	"github.com/linli/linli/internal/testkit/dbtest"
)

// Password of every demo login in tests. It passes the staff rules.
const Password = "Linli-test-2026"

// Server is a running Linli.
type Server struct {
	*app.App
	URL   string
	HTTP  *httptest.Server
	Clock *clock.Fake
}

// Options choose the database and clock.
type Options struct {
	Postgres bool      // a fresh PostgreSQL schema instead of a SQLite file
	Now      time.Time // the fake clock's start (default: 2026-11-28 09:00 Shanghai)
	Log      io.Writer // where server logs go (default: discarded unless LINLI_TEST_LOG=1)
	// Registry loads the demo's 2,250 households and 4,100 residents;
	// without it the registry is empty and tests seed what they need.
	Registry bool
	// Skip names further demo steps not to run (a test that seeds them
	// later, as an older database would meet a new step).
	Skip []string
}

// Start builds, seeds and serves a Linli for the test; everything stops
// when the test ends.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	ctx := context.Background()
	cfg := config.Defaults()
	cfg.DataDir = t.TempDir()
	if o.Postgres {
		cfg.DatabaseURL = dbtest.PostgresURL(t)
	} else {
		cfg.DatabaseURL = filepath.Join(cfg.DataDir, "linli.db")
	}
	if o.Now.IsZero() {
		o.Now = time.Date(2026, 11, 28, 9, 0, 0, 0, clock.Shanghai)
	}
	if o.Log == nil {
		o.Log = io.Discard
		if os.Getenv("LINLI_TEST_LOG") == "1" {
			o.Log = os.Stderr
		}
	}
	fake := clock.NewFake(o.Now)
	log := slog.New(slog.NewTextHandler(o.Log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a, err := app.New(ctx, cfg, app.Options{Log: log, Clock: fake, Key: []byte(strings.Repeat("test-key-", 5))})
	if err != nil {
		t.Fatalf("app.New: %v", err)
	}
	s := &demo.Seeder{DB: a.DB, Accounts: a.Accounts, Tenancy: a.Tenancy, Notify: a.Notify, Registry: a.Registry, Calendar: a.Calendar, Points: a.Points, Activities: a.Activities, Stories: a.Stories, Requests: a.Requests, Anchor: o.Now, Seed: 1, Password: Password}
	if !o.Registry {
		s.Skip = map[string]bool{demo.RegistryStep: true, demo.VolunteersStep: true, demo.HoursStep: true, demo.PointsStep: true, demo.ActivitiesStep: true, demo.RequestsStep: true}
	}
	for _, name := range o.Skip {
		if s.Skip == nil {
			s.Skip = map[string]bool{}
		}
		s.Skip[name] = true
	}
	if err := s.Run(ctx); err != nil {
		t.Fatalf("seed demo: %v", err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	if err := a.Start(runCtx); err != nil {
		t.Fatalf("start: %v", err)
	}
	a.SetReady()
	hs := httptest.NewServer(a.Handler)
	t.Cleanup(func() {
		hs.Close()
		cancel()
		a.Stop()
		a.Close()
	})
	return &Server{App: a, URL: hs.URL, HTTP: hs, Clock: fake}
}

// Client returns an HTTP client that keeps cookies and does not follow
// redirects, so tests see each response as it is.
func (s *Server) Client() *http.Client {
	jar := newJar()
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}
