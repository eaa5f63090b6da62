// Package web is the HTML front door: server-rendered pages in Chinese
// first and English second, with a large-text mode for older residents,
// usable on a 360-pixel phone. Templates, styles and icons are embedded;
// no page loads anything from another host and no page runs inline script.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/activities"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/calendar"
	"github.com/linli/linli/internal/certs"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/feeds"
	"github.com/linli/linli/internal/files"
	"github.com/linli/linli/internal/hours"
	"github.com/linli/linli/internal/httpx"
	"github.com/linli/linli/internal/i18n"
	"github.com/linli/linli/internal/matching"
	"github.com/linli/linli/internal/notify"
	"github.com/linli/linli/internal/open311"
	"github.com/linli/linli/internal/points"
	"github.com/linli/linli/internal/policy"
	"github.com/linli/linli/internal/registry"
	"github.com/linli/linli/internal/requests"
	"github.com/linli/linli/internal/secret"
	"github.com/linli/linli/internal/stories"
	"github.com/linli/linli/internal/tenancy"
	"github.com/linli/linli/internal/volunteers"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// CookieName is the session cookie.
const CookieName = "linli_session"

// Deps are the services the pages use.
type Deps struct {
	Log        *slog.Logger
	Accounts   *accounts.Service
	Tenancy    *tenancy.Store
	Notify     *notify.Service
	Calendar   *calendar.Service
	Registry   *registry.Service
	Volunteers *volunteers.Service
	Hours      *hours.Service
	Certs      *certs.Service
	Points     *points.Service
	Activities *activities.Service
	PublicURL  string // LINLI_PUBLIC_URL: base of links in QR codes; empty: the request's host
	Files      *files.Store
	Keys       *secret.Keyring // seals files that hold personal data
	DB         *db.DB          // for audit entries of pages without a service
	Clock      clock.Clock
	Stories    *stories.Service
	Feeds      *feeds.Service
	Requests   *requests.Service
	Matching   *matching.Service // optional: without it no suggestions
	// Open311Keys are the Open311 API keys (the admin's page).
	Open311Keys *open311.Keys
	// SecureCookies marks cookies Secure; set when served over TLS or
	// behind an https LINLI_PUBLIC_URL.
	SecureCookies bool
}

// Web serves the pages.
type Web struct {
	Deps
	Router    *httpx.Router
	pages     map[string]*template.Template
	assetHash map[string]string
}

// New builds the pages and registers their routes on mux.
func New(mux *http.ServeMux, d Deps) (*Web, error) {
	w := &Web{Deps: d, pages: map[string]*template.Template{}, assetHash: map[string]string{}}
	if err := fs.WalkDir(staticFS, "static", func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		w.assetHash[strings.TrimPrefix(path, "static/")] = hex.EncodeToString(sum[:6])
		return nil
	}); err != nil {
		return nil, fmt.Errorf("web: hash assets: %w", err)
	}
	if err := w.parse(); err != nil {
		return nil, err
	}
	w.Router = &httpx.Router{Mux: mux, Authenticate: w.authenticate, Fail: w.fail}
	w.routes()
	return w, nil
}

// parse builds one template set per page: layout, shared partials, page.
func (w *Web) parse() error {
	entries, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := strings.TrimSuffix(strings.TrimPrefix(e, "templates/"), ".html")
		if name == "layout" || name == "partials" {
			continue
		}
		t, err := template.New(name).Funcs(w.funcs(i18n.Default)).
			ParseFS(templateFS, "templates/layout.html", "templates/partials.html", e)
		if err != nil {
			return fmt.Errorf("web: parse %s: %w", name, err)
		}
		w.pages[name] = t
	}
	return nil
}

func (w *Web) funcs(lang string) template.FuncMap {
	m := template.FuncMap{
		"T": func(key string, kv ...any) string {
			var args map[string]any
			if len(kv) > 1 {
				args = map[string]any{}
				for i := 0; i+1 < len(kv); i += 2 {
					args[fmt.Sprint(kv[i])] = kv[i+1]
				}
			}
			return i18n.T(lang, key, args)
		},
		"weekday": func(day string) string { return weekday(lang, day) },
		"add":     func(a, b int) int { return a + b },
		// deref shows an optional number; nil reads as -1 ("no limit").
		"deref": func(n *int) int {
			if n == nil {
				return -1
			}
			return *n
		},
		// slot names an availability slot: sat_am → 周六上午.
		"slot": func(s string) string {
			day, part, _ := strings.Cut(s, "_")
			return i18n.T(lang, "day."+day, nil) + i18n.T(lang, "slot."+part, nil)
		},
		"asset": func(name string) string { return "/static/" + name + "?v=" + w.assetHash[name] },
		"can": func(p *accounts.Principal, action string) bool {
			return policy.Permits(p, policy.Action(action))
		},
		"datetime": func(t any) string {
			switch v := t.(type) {
			case time.Time:
				return v.In(clock.Shanghai).Format("2006-01-02 15:04")
			case *time.Time:
				if v == nil {
					return ""
				}
				return v.In(clock.Shanghai).Format("2006-01-02 15:04")
			}
			return ""
		},
	}
	maps.Copy(m, requestFuncs)
	return m
}

// View is what every page template receives.
type View struct {
	Lang      string
	LargeText bool
	P         *accounts.Principal
	Title     string
	Section   string
	Path      string
	Flash     string
	Unread    int
	Data      any
}

func (w *Web) view(rw http.ResponseWriter, r *http.Request, p *accounts.Principal, section, titleKey string, data any) *View {
	v := &View{Lang: httpx.Lang(r, p), P: p, Section: section, Path: r.URL.Path, Data: data}
	v.Title = i18n.T(v.Lang, titleKey, nil)
	if p != nil {
		v.LargeText = p.LargeText
		// The menu badge; a failure to count is not worth failing the page.
		if n, err := w.Notify.UnreadCount(r.Context(), p.AccountID); err == nil {
			v.Unread = n
		} else {
			w.Log.Warn("unread count", "err", err)
		}
	} else if c, err := r.Cookie("large_text"); err == nil && c.Value == "1" {
		v.LargeText = true
	}
	if c, err := r.Cookie("flash"); err == nil {
		if s, err := url.QueryUnescape(c.Value); err == nil && len(s) < 200 {
			v.Flash = i18n.T(v.Lang, s, nil)
		}
		http.SetCookie(rw, &http.Cookie{Name: "flash", Path: "/", MaxAge: -1})
	}
	return v
}

// render executes a page with the view's language, buffering so a
// template error becomes a clean 500 page rather than half a page.
func (w *Web) render(rw http.ResponseWriter, status int, page string, v *View) error {
	t, ok := w.pages[page]
	if !ok {
		return fmt.Errorf("web: no page %q", page)
	}
	t, err := t.Clone()
	if err != nil {
		return fmt.Errorf("web: clone %s: %w", page, err)
	}
	t.Funcs(w.funcs(v.Lang))
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		return fmt.Errorf("web: render %s: %w", page, err)
	}
	rw.Header().Set("Content-Type", "text/html; charset=utf-8")
	rw.Header().Set("Cache-Control", "no-store")
	rw.WriteHeader(status)
	_, err = rw.Write(buf.Bytes())
	return err
}

func (w *Web) authenticate(r *http.Request) (*accounts.Principal, error) {
	c, err := r.Cookie(CookieName)
	if err != nil || c.Value == "" {
		return nil, nil
	}
	p, err := w.Accounts.Authenticate(r.Context(), c.Value, accounts.KindWeb)
	if apperr.Is(err, apperr.Unauthenticated) {
		return nil, nil // an expired cookie is just a visitor
	}
	return p, err
}

// fail renders an error as a page in the user's language. An anonymous
// visitor on a page that needs sign-in is sent to the login page instead.
func (w *Web) fail(rw http.ResponseWriter, r *http.Request, p *accounts.Principal, err error) {
	if apperr.Is(err, apperr.Unauthenticated) && r.Method == http.MethodGet {
		http.Redirect(rw, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	lang := httpx.Lang(r, p)
	status, body := httpx.Describe(w.Log, r, lang, err)
	v := w.view(rw, r, p, "", "error.title."+body.Error.Code, nil)
	v.Data = map[string]any{"Title": v.Title, "Message": body.Error.Message, "Fields": body.Error.Fields}
	if rerr := w.render(rw, status, "error", v); rerr != nil {
		w.Log.Error("render error page", "err", rerr)
		http.Error(rw, i18n.T(lang, "error.internal", nil), http.StatusInternalServerError)
	}
}

// NotFound renders the 404 page for paths no route matches.
func (w *Web) NotFound(rw http.ResponseWriter, r *http.Request) {
	w.fail(rw, r, nil, apperr.NotFoundErr())
}

// redirect answers a form post with 303 and an optional flash message key.
func redirect(rw http.ResponseWriter, r *http.Request, to, flashKey string) {
	if flashKey != "" {
		http.SetCookie(rw, &http.Cookie{Name: "flash", Value: url.QueryEscape(flashKey), Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, MaxAge: 60})
	}
	http.Redirect(rw, r, to, http.StatusSeeOther)
}

// localPath accepts only same-site paths for redirects after sign-in.
func localPath(s string) string {
	if s == "" || !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.HasPrefix(s, "/\\") || strings.ContainsAny(s, "\r\n") {
		return "/"
	}
	return s
}

// Fail renders err as a page for requests that never reached a route
// (the cross-origin check).
func (w *Web) Fail(rw http.ResponseWriter, r *http.Request, err error) {
	p, _ := w.authenticate(r)
	w.fail(rw, r, p, err)
}
