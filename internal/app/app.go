// Package app assembles a running Linli from a Config: it opens and
// migrates the database, checks the secret key against the database,
// builds every service and both front doors, and starts the jobs runner.
// serve and the tests use it the same way.
package app

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/activities"
	"github.com/linli/linli/internal/api"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/audit"
	"github.com/linli/linli/internal/calendar"
	"github.com/linli/linli/internal/certs"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/config"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/feeds"
	"github.com/linli/linli/internal/files"
	"github.com/linli/linli/internal/hours"
	"github.com/linli/linli/internal/httpx"
	"github.com/linli/linli/internal/i18n"
	"github.com/linli/linli/internal/jobs"
	"github.com/linli/linli/internal/matching"
	"github.com/linli/linli/internal/notify"
	"github.com/linli/linli/internal/open311"
	"github.com/linli/linli/internal/points"
	"github.com/linli/linli/internal/policy"
	"github.com/linli/linli/internal/registry"
	"github.com/linli/linli/internal/requests"
	"github.com/linli/linli/internal/secret"
	"github.com/linli/linli/internal/sheets"
	"github.com/linli/linli/internal/stories"
	"github.com/linli/linli/internal/tenancy"
	"github.com/linli/linli/internal/volunteers"
	"github.com/linli/linli/internal/web"
)

// App is a running instance.
type App struct {
	Config     config.Config
	Log        *slog.Logger
	Clock      clock.Clock
	DB         *db.DB
	Keys       *secret.Keyring
	Accounts   *accounts.Service
	Tenancy    *tenancy.Store
	Jobs       *jobs.Runner
	Notify     *notify.Service
	Calendar   *calendar.Service
	Files      *files.Store
	Registry   *registry.Service
	Volunteers *volunteers.Service
	Hours      *hours.Service
	Certs      *certs.Service
	Points     *points.Service
	Activities *activities.Service
	Feeds      *feeds.Service
	Stories    *stories.Service
	Requests   *requests.Service
	Matching   *matching.Service
	// Open311Keys are the API keys of the Open311 endpoint, Open311 the
	// endpoint itself (/open311/v2/).
	Open311Keys *open311.Keys
	Open311     *open311.Server
	Web         *web.Web
	API         *api.API
	Handler     http.Handler

	ready atomic.Bool
}

// Options are what a caller may inject besides the Config.
type Options struct {
	Log   *slog.Logger
	Clock clock.Clock
	Key   []byte // master secret (config.LoadKey)
	// AllowPrivateWebhooks lets webhooks reach loopback and private
	// addresses; only tests set it.
	AllowPrivateWebhooks bool
}

// New opens the database, migrates it, checks the key and builds the
// services. It does not start background work; see Start.
func New(ctx context.Context, cfg config.Config, o Options) (*App, error) {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Clock == nil {
		o.Clock = clock.System{}
	}
	keys, err := secret.New(o.Key)
	if err != nil {
		return nil, err
	}
	d, err := db.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	a := &App{Config: cfg, Log: o.Log, Clock: o.Clock, DB: d, Keys: keys}
	if _, err := d.Migrate(ctx); err != nil {
		d.Close()
		return nil, err
	}
	if err := a.checkKey(ctx); err != nil {
		d.Close()
		return nil, err
	}
	a.Tenancy = tenancy.NewStore(d)
	a.Accounts = accounts.New(d, o.Clock, accounts.Options{
		IdleStaff: cfg.IdleStaff, IdleOther: cfg.IdleOther,
		AbsoluteStaff: cfg.AbsoluteStaff, AbsoluteOther: cfg.AbsoluteOther, SessionCache: sessionCache(cfg.SessionCache),
	})
	a.Calendar = calendar.New(d, o.Clock)
	a.Registry = registry.New(d, keys, o.Clock)
	a.Volunteers = volunteers.New(d, keys, o.Clock, a.Registry, a.Accounts)
	a.Hours = hours.New(d, o.Clock, a.Calendar, a.Volunteers)
	a.Certs = certs.New(d, o.Clock, a.Volunteers)
	a.Points = points.New(d, o.Clock, a.Volunteers)
	a.Files = &files.Store{Dir: filepath.Join(cfg.DataDir, "files")}
	a.Jobs = jobs.NewRunner(d, jobs.Config{Workers: cfg.Workers, Clock: o.Clock, Logger: o.Log})
	a.Notify = notify.New(d, notify.Config{Clock: o.Clock, SMTP: smtpConfig(cfg), BaseURL: cfg.PublicURL,
		Keyring: keys, Logger: o.Log, AllowPrivate: o.AllowPrivateWebhooks})
	a.Notify.Register(a.Jobs)
	a.Activities = activities.New(d, o.Clock, keys, a.Volunteers, a.Notify, a.Hours)
	a.Activities.SetLogger(o.Log)
	a.Activities.Register(a.Jobs)
	a.Feeds = feeds.New(d, o.Clock, keys, a.Accounts, a.Volunteers)
	// Photos live apart from other files: their own directory under the
	// data directory, never served as-is (see stories.OpenPhoto).
	a.Stories = stories.New(d, o.Clock, a.Volunteers, &files.Store{Dir: filepath.Join(cfg.DataDir, "photos")})
	a.Requests = requests.New(d, keys, o.Clock, a.Registry, a.Notify)
	a.Requests.UsePhotos(&files.Store{Dir: filepath.Join(cfg.DataDir, "photos")}) // beside the stories' photos
	a.Matching = matching.New(d, o.Clock, a.Requests)
	a.Requests.Register(a.Jobs)
	a.Open311Keys = open311.NewKeys(d, o.Clock)
	a.schedule()
	if err := a.buildHTTP(); err != nil {
		d.Close()
		return nil, err
	}
	return a, nil
}

// checkKey stores the key's fingerprint on first start and refuses any
// other key afterwards: personal data sealed with one key cannot be read
// with another, and a server that silently wrote with a new key would
// split the database into halves nobody can read together.
func (a *App) checkKey(ctx context.Context) error {
	var stored string
	err := a.DB.QueryRow(ctx, `SELECT value FROM instance_settings WHERE key = 'key_fingerprint'`).Scan(&stored)
	if errors.Is(err, sql.ErrNoRows) {
		_, err = a.DB.Exec(ctx, `INSERT INTO instance_settings (key, value, updated_at) VALUES ('key_fingerprint', ?, ?)`,
			a.Keys.Fingerprint(), a.Clock.Now())
		if db.IsUniqueViolation(err) {
			return a.checkKey(ctx) // another process stored it first
		}
		if err != nil {
			return fmt.Errorf("app: store key fingerprint: %w", err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("app: read key fingerprint: %w", err)
	}
	if stored != a.Keys.Fingerprint() {
		return fmt.Errorf("the secret key does not match the one this database was created with (fingerprint %s…, key given %s…); "+
			"start with the original LINLI_SECRET_KEY or LINLI_SECRET_KEY_FILE", stored[:8], a.Keys.Fingerprint()[:8])
	}
	return nil
}

func (a *App) buildHTTP() error {
	webMux := http.NewServeMux()
	apiMux := http.NewServeMux()
	secure := a.Config.PublicURL != "" && len(a.Config.PublicURL) > 8 && a.Config.PublicURL[:8] == "https://"
	w, err := web.New(webMux, web.Deps{Log: a.Log, Accounts: a.Accounts, Tenancy: a.Tenancy, Notify: a.Notify,
		Calendar: a.Calendar, Registry: a.Registry, Volunteers: a.Volunteers, Hours: a.Hours, Certs: a.Certs, Points: a.Points, Activities: a.Activities, PublicURL: a.Config.PublicURL,
		Files: a.Files, Keys: a.Keys, DB: a.DB, Clock: a.Clock, SecureCookies: secure, Stories: a.Stories, Feeds: a.Feeds, Requests: a.Requests, Matching: a.Matching, Open311Keys: a.Open311Keys})
	if err != nil {
		return err
	}
	a.Web = w
	a.API = api.New(apiMux, api.Deps{Log: a.Log, DB: a.DB, Accounts: a.Accounts, Tenancy: a.Tenancy, Notify: a.Notify, Calendar: a.Calendar, Registry: a.Registry, Volunteers: a.Volunteers, Hours: a.Hours, Certs: a.Certs, Points: a.Points, Activities: a.Activities, Feeds: a.Feeds, Stories: a.Stories, Requests: a.Requests, Open311Keys: a.Open311Keys, Matching: a.Matching, PublicURL: a.Config.PublicURL})
	// Open311 has a router of its own: its errors are the spec's lists in
	// XML or JSON, and its only credential is the api_key of a POST.
	o311Mux := http.NewServeMux()
	a.Open311 = open311.New(o311Mux, open311.Deps{Log: a.Log, Clock: a.Clock, Requests: a.Requests, Tenancy: a.Tenancy,
		Keys: a.Open311Keys, PublicURL: a.Config.PublicURL})

	a.Web.Router.Denied = a.auditDenial
	a.API.Router.Denied = a.auditDenial

	// Cookie-authenticated pages refuse cross-origin unsafe requests
	// (Sec-Fetch-Site / Origin); the API takes no cookies, so needs none.
	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.Fail(rw, r, apperr.New(apperr.Forbidden, "error.cross_origin"))
	}))
	root := http.NewServeMux()
	root.HandleFunc("GET /healthz", a.healthz)
	root.Handle("/api/", apiMux)
	root.Handle("GET /feeds/", apiMux) // calendar feeds: the API's router, by token, no cookies
	root.Handle("/open311/", o311Mux)  // no cookies either: the api_key is in the form
	root.Handle("/", csrf.Handler(webMux))
	a.Handler = httpx.Chain(root,
		httpx.SecurityHeaders,
		httpx.RequestIDs,
		httpx.ClientAddrs(a.Config.TrustedProxies),
		httpx.AccessLog(a.Log),
		httpx.Recover(a.Log, func(rw http.ResponseWriter, r *http.Request) {
			http.Error(rw, i18n.T(httpx.Lang(r, nil), "error.internal", nil), http.StatusInternalServerError)
		}),
		httpx.LimitBody(1<<20, uploadLimits()),
	)
	return nil
}

// uploadLimits are the paths whose bodies may be larger than the
// default 1 MB: the residents' import and the forms and endpoints that
// take a photo.
func uploadLimits() map[string]int64 {
	m := map[string]int64{"/residents/import": sheets.DefaultMaxBytes + 1<<20,
		"/api/v1/stories/*/photos": stories.MaxPhotoBytes + 64<<10, "/activities/*/story": stories.MaxPhotoBytes + 64<<10,
		"/api/v1/requests/*/photos": api.MaxRequestPhotoBody}
	for _, p := range web.PhotoPaths {
		m[p] = web.MaxPhotoBody
	}
	// A step through the API may carry a photo (multipart).
	for _, st := range requests.StepRoutes {
		m["/api/v1/requests/*/"+st.Path] = api.MaxRequestPhotoBody
	}
	return m
}

// auditDenial writes a permission denial to the audit log. A failure to
// write it is logged, not shown: the user has been refused either way.
func (a *App) auditDenial(r *http.Request, p *accounts.Principal, action policy.Action, _ error) {
	var cid int64
	if cs := p.Communities(); len(cs) > 0 {
		cid = cs[0]
	}
	e := p.Audit(a.Clock.Now(), "permission.denied", cid)
	e.Result, e.ObjectType, e.ObjectID = audit.Denied, "route", r.Method+" "+r.URL.Path
	e.Detail = string(action)
	if err := audit.Record(r.Context(), a.DB, e); err != nil {
		a.Log.Error("audit denial", "err", err)
	}
}

// healthz answers ok once the database answers and seeding is done.
func (a *App) healthz(rw http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if !a.ready.Load() {
		httpx.WriteJSON(rw, http.StatusServiceUnavailable, map[string]string{"status": "starting"})
		return
	}
	if err := a.DB.Ping(ctx); err != nil {
		a.Log.Error("healthz: database", "err", err)
		httpx.WriteJSON(rw, http.StatusServiceUnavailable, map[string]string{"status": "database unreachable"})
		return
	}
	httpx.WriteJSON(rw, http.StatusOK, map[string]string{"status": "ok"})
}

// SetReady marks seeding done; /healthz answers ok from then on.
func (a *App) SetReady() { a.ready.Store(true) }

// Close releases the database.
func (a *App) Close() error { return a.DB.Close() }

// Start begins background work: the jobs runner and its schedules.
func (a *App) Start(ctx context.Context) error { return a.Jobs.Start(ctx) }

// Stop waits for running jobs to finish.
func (a *App) Stop() { a.Jobs.Stop() }

// sessionCache maps the setting (0: off) to accounts.Options (negative: off).
func sessionCache(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}
