// Package bench measures Linli against a bare net/http baseline on the same
// machine in the same run, and reports the result as a ratio: the machines
// here have two noisy shared cores, so absolute figures mean little, but
// "Linli serves k times what a handler that only writes the same bytes
// serves" survives the noise. The harness is cmd/benchme; the Go
// benchmarks in this package are for profiling one request in-process.
package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/linli/linli/internal/app"
	"github.com/linli/linli/internal/config"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/demo"
)

// Password of the demo logins in a bench instance.
const Password = "Linli-bench-2026"

// User is the demo login whose GET /api/v1/me is measured: a community
// worker, a staff role with one grant, the common case of the API.
const User = "worker"

// MePath is the measured endpoint.
const MePath = "/api/v1/me"

// Options choose where a bench Linli keeps its data.
type Options struct {
	Dir         string       // data directory; the SQLite file goes here
	DatabaseURL string       // a postgres:// URL; empty means SQLite in Dir
	Log         *slog.Logger // default: warnings and errors to nowhere
}

// Linli is a running, seeded instance. Serve its Handler; Close it.
type Linli struct {
	*app.App
	stop context.CancelFunc
}

// NewLinli builds and seeds a Linli the way `linli serve --demo` does:
// config defaults, app.New (open, migrate, check the key, build services and
// both front doors), the demo community, background work started, then
// ready.
func NewLinli(ctx context.Context, o Options) (*Linli, error) {
	cfg := config.Defaults()
	cfg.DataDir = o.Dir
	cfg.DatabaseURL = filepath.Join(o.Dir, "linli.db")
	if o.DatabaseURL != "" {
		cfg.DatabaseURL = o.DatabaseURL
	}
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	a, err := app.New(ctx, cfg, app.Options{Log: o.Log, Key: []byte(strings.Repeat("bench-key-", 4))})
	if err != nil {
		return nil, fmt.Errorf("bench: app.New: %w", err)
	}
	s := &demo.Seeder{DB: a.DB, Accounts: a.Accounts, Tenancy: a.Tenancy, Notify: a.Notify, Registry: a.Registry, Calendar: a.Calendar, Points: a.Points,
		Activities: a.Activities, Stories: a.Stories, Requests: a.Requests,
		Anchor: time.Now(), Seed: cfg.DemoSeed, Password: Password}
	if err := s.Run(ctx); err != nil {
		a.Close()
		return nil, fmt.Errorf("bench: seed demo: %w", err)
	}
	runCtx, stop := context.WithCancel(context.Background())
	if err := a.Start(runCtx); err != nil {
		stop()
		a.Close()
		return nil, fmt.Errorf("bench: start: %w", err)
	}
	a.SetReady()
	return &Linli{App: a, stop: stop}, nil
}

// Close stops background work and releases the database.
func (l *Linli) Close() error {
	l.stop()
	l.App.Stop()
	return l.App.Close()
}

// Server is h on a real TCP listener on 127.0.0.1, with the timeouts
// `linli serve` uses, so both targets pay the same per-connection costs.
type Server struct {
	URL  string
	http *http.Server
}

// Serve starts h on a free loopback port.
func Serve(h http.Handler) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("bench: listen: %w", err)
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second,
		WriteTimeout: 120 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10}
	go func() { _ = hs.Serve(ln) }()
	return &Server{URL: "http://" + ln.Addr().String(), http: hs}, nil
}

// Close stops the server and its connections at once.
func (s *Server) Close() error { return s.http.Close() }

// Login signs User in through POST /api/v1/login and returns the Bearer
// token.
func Login(ctx context.Context, c *http.Client, base string) (string, error) {
	body, _ := json.Marshal(map[string]string{"username": User, "password": Password})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/login", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := c.Do(req)
	if err != nil {
		return "", fmt.Errorf("bench: login: %w", err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("bench: login: %s: %s", res.Status, b)
	}
	var out struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(b, &out); err != nil || out.Token == "" {
		return "", fmt.Errorf("bench: login: no token in %s", b)
	}
	return out.Token, nil
}

// Response is one captured response.
type Response struct {
	Header http.Header
	Body   []byte
}

// FetchMe fetches GET /api/v1/me once with token and returns what Linli
// sent, refusing anything but 200.
func FetchMe(ctx context.Context, c *http.Client, base, token string) (*Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+MePath, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("bench: GET %s: %w", MePath, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, fmt.Errorf("bench: GET %s: %w", MePath, err)
	}
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("bench: GET %s: %s: %s", MePath, res.Status, b)
	}
	return &Response{Header: res.Header, Body: b}, nil
}

// Bare is the baseline: a plain net/http handler that writes the bytes
// Linli sent with the same Content-Type, and nothing else unless
// allHeaders also copies every header Linli set (to price the headers
// separately from the work).
func Bare(r *Response, allHeaders bool) http.Handler {
	hdr := http.Header{}
	if allHeaders {
		for k, v := range r.Header {
			switch k {
			case "Date", "Content-Length", "X-Request-Id":
				continue // the server or Linli fill these per response
			}
			hdr[k] = v
		}
	} else {
		hdr.Set("Content-Type", r.Header.Get("Content-Type"))
	}
	body := r.Body
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		h := w.Header()
		for k, v := range hdr {
			h[k] = v
		}
		_, _ = w.Write(body)
	})
}

// PostgresSchema makes a new, empty schema on the server at base and
// returns a URL whose search_path points at it, and a function that drops
// it. Runs never see each other's rows, and nothing is left behind.
func PostgresSchema(ctx context.Context, base string) (string, func(), error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", nil, fmt.Errorf("bench: the PostgreSQL URL cannot be parsed")
	}
	admin, err := db.Open(ctx, base)
	if err != nil {
		return "", nil, err
	}
	defer admin.Close()
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "bench_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec(ctx, `CREATE SCHEMA `+schema); err != nil {
		return "", nil, fmt.Errorf("bench: create schema: %w", err)
	}
	drop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		a, err := db.Open(ctx, base)
		if err != nil {
			return
		}
		defer a.Close()
		_, _ = a.Exec(ctx, `DROP SCHEMA `+schema+` CASCADE`)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), drop, nil
}
