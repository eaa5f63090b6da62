package httpx

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"path"
	"runtime/debug"
	"strings"
	"time"
)

// SecurityHeaders sets the headers every response carries, errors
// included: a CSP that allows no inline script and no other host, no
// framing, no MIME sniffing, and a referrer policy that keeps paths (which
// may name residents' records) inside the site.
func SecurityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(self), geolocation=(), microphone=()")
		if r.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

type requestIDKey struct{}

// RequestIDs gives every request a random id, echoed in X-Request-Id and
// written into audit entries and logs so the three can be joined.
func RequestIDs(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		id := hex.EncodeToString(b)
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id)))
	})
}

// RequestID returns the id RequestIDs gave the request.
func RequestID(ctx context.Context) string {
	s, _ := ctx.Value(requestIDKey{}).(string)
	return s
}

type addrKey struct{}

// ClientAddrs decides the client's address once per request: the peer
// address, or — only when the peer is a trusted proxy — the last address
// in X-Forwarded-For that is not itself a trusted proxy.
func ClientAddrs(trusted []netip.Prefix) func(http.Handler) http.Handler {
	isTrusted := func(a netip.Addr) bool {
		for _, p := range trusted {
			if p.Contains(a.Unmap()) {
				return true
			}
		}
		return false
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			host, _, err := net.SplitHostPort(r.RemoteAddr)
			if err != nil {
				host = r.RemoteAddr
			}
			addr := host
			if peer, err := netip.ParseAddr(host); err == nil && isTrusted(peer) {
				hops := strings.Split(r.Header.Get("X-Forwarded-For"), ",")
				for i := len(hops) - 1; i >= 0; i-- {
					a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
					if err != nil {
						break
					}
					addr = a.Unmap().String()
					if !isTrusted(a) {
						break
					}
				}
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), addrKey{}, addr)))
		})
	}
}

// ClientAddr returns the address ClientAddrs decided.
func ClientAddr(r *http.Request) string {
	if s, ok := r.Context().Value(addrKey{}).(string); ok {
		return s
	}
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	return host
}

// Recover turns a panic into a logged internal error; the stack goes to
// the log, never to the client.
func Recover(log *slog.Logger, fail func(w http.ResponseWriter, r *http.Request)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				if v := recover(); v != nil {
					if v == http.ErrAbortHandler {
						panic(v)
					}
					log.Error("panic", "request_id", RequestID(r.Context()), "path", LogPath(r), "panic", v, "stack", string(debug.Stack()))
					fail(w, r)
				}
			}()
			next.ServeHTTP(w, r)
		})
	}
}

// LimitBody caps request bodies at def bytes; paths in larger (uploads)
// get their own cap, a key matching as path.Match does (so
// "/api/v1/stories/*/photos" covers every story). Handlers see a
// *http.MaxBytesError when it is exceeded and report TooLarge.
func LimitBody(def int64, larger map[string]int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n := def
			if m, ok := larger[r.URL.Path]; ok {
				n = m
			} else {
				for k, m := range larger {
					if ok, _ := path.Match(k, r.URL.Path); ok {
						n = m
						break
					}
				}
			}
			r.Body = http.MaxBytesReader(w, r.Body, n)
			next.ServeHTTP(w, r)
		})
	}
}

// AccessLog logs one line per request, without query strings (they may
// carry search terms naming residents).
func AccessLog(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			sw := &statusWriter{ResponseWriter: w, status: 200}
			next.ServeHTTP(sw, r)
			log.Debug("http", "method", r.Method, "path", LogPath(r), "status", sw.status,
				"ms", time.Since(start).Milliseconds(), "request_id", RequestID(r.Context()))
		})
	}
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int)        { s.status = code; s.ResponseWriter.WriteHeader(code) }
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Chain applies middleware so the first listed is outermost.
func Chain(h http.Handler, mw ...func(http.Handler) http.Handler) http.Handler {
	for i := len(mw) - 1; i >= 0; i-- {
		h = mw[i](h)
	}
	return h
}

// BaseURL is the absolute base for links that leave the page (QR codes,
// verification links): LINLI_PUBLIC_URL when set, else the request's own
// scheme and host.
func BaseURL(r *http.Request, public string) string {
	if public != "" {
		return strings.TrimRight(public, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
