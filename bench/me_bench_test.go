package bench

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/testkit/dbtest"
)

// One request of GET /api/v1/me through the whole handler chain, without a
// network in between, next to the bare handler writing the same bytes. For
// profiling the server's share of a request:
//
//	go test ./bench -run '^$' -bench . -benchtime 3s -cpuprofile /tmp/me.prof
//	go tool pprof -top -cum bench.test /tmp/me.prof
//
// Set LINLI_TEST_DATABASE_URL to also run the PostgreSQL variants.

// fixture is one seeded Linli per database, built on first use so that
// `go test ./...` (which runs no benchmarks) pays nothing for it.
type fixture struct {
	app   *Linli
	token string
	me    *Response
	close func()
}

var (
	fixturesMu sync.Mutex
	fixtures   = map[string]*fixture{}
)

func TestMain(m *testing.M) {
	code := m.Run()
	for _, f := range fixtures {
		f.close()
	}
	os.Exit(code)
}

// setup returns the fixture on engine "sqlite" or "postgres", skipping the
// latter without a server.
func setup(b *testing.B, engine string) *fixture {
	b.Helper()
	fixturesMu.Lock()
	defer fixturesMu.Unlock()
	if f := fixtures[engine]; f != nil {
		return f
	}
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "linli-bench-")
	if err != nil {
		b.Fatal(err)
	}
	closers := []func(){func() { os.RemoveAll(dir) }}
	closeAll := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	o := Options{Dir: dir}
	if engine == "postgres" {
		base := os.Getenv(dbtest.EnvPostgres)
		if base == "" {
			closeAll()
			b.Skipf("%s not set", dbtest.EnvPostgres)
		}
		u, drop, err := PostgresSchema(ctx, base)
		if err != nil {
			closeAll()
			b.Fatal(err)
		}
		closers = append(closers, drop)
		o.DatabaseURL = u
	}
	a, err := NewLinli(ctx, o)
	if err != nil {
		closeAll()
		b.Fatal(err)
	}
	closers = append(closers, func() { a.Close() })

	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/api/v1/login",
		strings.NewReader(`{"username":"`+User+`","password":"`+Password+`"}`))
	req.Header.Set("Content-Type", "application/json")
	a.Handler.ServeHTTP(rec, req)
	tok, ok := strings.CutPrefix(rec.Body.String(), `{"token":"`)
	tok, _, _ = strings.Cut(tok, `"`)
	if rec.Code != http.StatusOK || !ok || tok == "" {
		closeAll()
		b.Fatalf("login: %d %s", rec.Code, rec.Body)
	}
	rec = serve(a.Handler, meRequest(tok))
	if rec.Code != http.StatusOK {
		closeAll()
		b.Fatalf("GET %s: %d %s", MePath, rec.Code, rec.Body)
	}
	f := &fixture{app: a, token: tok, me: &Response{Header: rec.Header(), Body: rec.Body.Bytes()}, close: closeAll}
	fixtures[engine] = f
	return f
}

func meRequest(token string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, MePath, nil)
	r.Header.Set("Authorization", "Bearer "+token)
	return r
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

func benchHandler(b *testing.B, h http.Handler, token string) {
	req := meRequest(token)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if rec := serve(h, req); rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}

// BenchmarkMe is Linli's whole handler chain: middleware, Bearer
// authentication against the database, policy, JSON.
func BenchmarkMe(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			f := setup(b, engine)
			benchHandler(b, f.app.Handler, f.token)
		})
	}
}

// BenchmarkBare is the baseline: a handler writing the same bytes.
func BenchmarkBare(b *testing.B) {
	f := setup(b, "sqlite")
	benchHandler(b, Bare(f.me, false), f.token)
}

// BenchmarkAuthenticate is the database's share of BenchmarkMe: the one
// query that turns a token into a principal.
func BenchmarkAuthenticate(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			f := setup(b, engine)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := f.app.Accounts.Authenticate(ctx, f.token, accounts.KindAPI); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkMeParallel runs BenchmarkMe from GOMAXPROCS goroutines, which
// shows contention (connection pool, SQLite locks) a serial loop hides.
func BenchmarkMeParallel(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			f := setup(b, engine)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				req := meRequest(f.token)
				for pb.Next() {
					if rec := serve(f.app.Handler, req); rec.Code != http.StatusOK {
						b.Errorf("status %d", rec.Code)
						return
					}
				}
			})
		})
	}
}
