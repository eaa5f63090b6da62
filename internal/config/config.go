// Package config builds the one Config of a linli process from LINLI_*
// environment variables and command-line flags (flags win), validates it
// at start with messages a person can act on, and prints it with secrets
// masked.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/linli/linli/internal/db"
)

// Config is every setting of a linli process.
type Config struct {
	DatabaseURL    string         // --db / LINLI_DATABASE_URL: SQLite path or postgres:// URL
	Addr           string         // --addr / LINLI_ADDR
	DataDir        string         // --data-dir / LINLI_DATA_DIR
	PublicURL      string         // LINLI_PUBLIC_URL: base for links in QR codes, feeds, e-mails
	TrustedProxies []netip.Prefix // LINLI_TRUSTED_PROXIES: only these may set X-Forwarded-For
	SecretKey      string         // LINLI_SECRET_KEY
	SecretKeyFile  string         // --secret-key-file / LINLI_SECRET_KEY_FILE
	Demo           bool           // --demo
	DemoPassword   string         // LINLI_DEMO_PASSWORD
	DemoSeed       int64          // --demo-seed / LINLI_DEMO_SEED
	IdleStaff      time.Duration  // LINLI_SESSION_IDLE_STAFF (30m)
	IdleOther      time.Duration  // LINLI_SESSION_IDLE_OTHER (168h)
	AbsoluteStaff  time.Duration  // LINLI_SESSION_MAX_STAFF (12h)
	AbsoluteOther  time.Duration  // LINLI_SESSION_MAX_OTHER (720h)
	SessionCache   time.Duration  // LINLI_SESSION_CACHE (1s; 0 turns it off)
	Workers        int            // LINLI_JOB_WORKERS (2)
	SMTPAddr       string         // LINLI_SMTP_ADDR host:port; empty: no e-mail
	SMTPFrom       string         // LINLI_SMTP_FROM
	SMTPUser       string         // LINLI_SMTP_USER
	SMTPPassword   string         // LINLI_SMTP_PASSWORD
	LogLevel       string         // LINLI_LOG_LEVEL: debug, info, warn, error
}

// Defaults returns the settings before env and flags apply.
func Defaults() Config {
	return Config{
		DatabaseURL:   "linli.db",
		Addr:          "127.0.0.1:8080",
		DataDir:       "linli-data",
		IdleStaff:     30 * time.Minute,
		IdleOther:     7 * 24 * time.Hour,
		AbsoluteStaff: 12 * time.Hour,
		AbsoluteOther: 30 * 24 * time.Hour,
		Workers:       2,
		SessionCache:  time.Second,
		DemoSeed:      20241128,
		LogLevel:      "info",
	}
}

// Problem is one invalid setting, named as the user wrote it.
type Problem struct{ Setting, Message string }

// Problems is every invalid setting found, reported together.
type Problems []Problem

func (p Problems) Error() string {
	var b strings.Builder
	b.WriteString("invalid settings:")
	for _, x := range p {
		fmt.Fprintf(&b, "\n  %s: %s", x.Setting, x.Message)
	}
	return b.String()
}

// FromEnv applies LINLI_* variables from env (os.Environ form) onto c.
func (c *Config) FromEnv(env []string) Problems {
	var ps Problems
	get := map[string]string{}
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "LINLI_") {
			get[k] = v
		}
	}
	str := func(key string, dst *string) {
		if v, ok := get[key]; ok {
			*dst = v
		}
	}
	dur := func(key string, dst *time.Duration) {
		if v, ok := get[key]; ok {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				ps = append(ps, Problem{key, fmt.Sprintf("%q is not a positive duration such as 30m or 12h", v)})
				return
			}
			*dst = d
		}
	}
	str("LINLI_DATABASE_URL", &c.DatabaseURL)
	str("LINLI_ADDR", &c.Addr)
	str("LINLI_DATA_DIR", &c.DataDir)
	str("LINLI_PUBLIC_URL", &c.PublicURL)
	str("LINLI_SECRET_KEY", &c.SecretKey)
	str("LINLI_SECRET_KEY_FILE", &c.SecretKeyFile)
	str("LINLI_DEMO_PASSWORD", &c.DemoPassword)
	str("LINLI_SMTP_ADDR", &c.SMTPAddr)
	str("LINLI_SMTP_FROM", &c.SMTPFrom)
	str("LINLI_SMTP_USER", &c.SMTPUser)
	str("LINLI_SMTP_PASSWORD", &c.SMTPPassword)
	str("LINLI_LOG_LEVEL", &c.LogLevel)
	dur("LINLI_SESSION_IDLE_STAFF", &c.IdleStaff)
	dur("LINLI_SESSION_IDLE_OTHER", &c.IdleOther)
	dur("LINLI_SESSION_MAX_STAFF", &c.AbsoluteStaff)
	dur("LINLI_SESSION_MAX_OTHER", &c.AbsoluteOther)
	if v, ok := get["LINLI_SESSION_CACHE"]; ok {
		d, err := time.ParseDuration(v)
		if v == "0" {
			d, err = 0, nil
		}
		if err != nil || d < 0 || d > time.Minute {
			ps = append(ps, Problem{"LINLI_SESSION_CACHE", fmt.Sprintf("%q is not a duration from 0 to 1m", v)})
		} else {
			c.SessionCache = d
		}
	}
	if v, ok := get["LINLI_JOB_WORKERS"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 64 {
			ps = append(ps, Problem{"LINLI_JOB_WORKERS", fmt.Sprintf("%q is not a whole number from 1 to 64", v)})
		} else {
			c.Workers = n
		}
	}
	if v, ok := get["LINLI_DEMO_SEED"]; ok {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			ps = append(ps, Problem{"LINLI_DEMO_SEED", fmt.Sprintf("%q is not a whole number", v)})
		} else {
			c.DemoSeed = n
		}
	}
	if v, ok := get["LINLI_TRUSTED_PROXIES"]; ok && strings.TrimSpace(v) != "" {
		for _, s := range strings.Split(v, ",") {
			s = strings.TrimSpace(s)
			p, err := netip.ParsePrefix(s)
			if err != nil {
				a, err2 := netip.ParseAddr(s)
				if err2 != nil {
					ps = append(ps, Problem{"LINLI_TRUSTED_PROXIES", fmt.Sprintf("%q is not an address or CIDR range", s)})
					continue
				}
				p = netip.PrefixFrom(a, a.BitLen())
			}
			c.TrustedProxies = append(c.TrustedProxies, p.Masked())
		}
	}
	return ps
}

// Flags registers the common flags on fs, writing into c. Subcommands
// that touch data call it; each adds its own flags besides.
func (c *Config) Flags(fs *flag.FlagSet) {
	fs.StringVar(&c.DatabaseURL, "db", c.DatabaseURL, "SQLite file path or postgres:// URL (LINLI_DATABASE_URL)")
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "folder for uploads and generated files (LINLI_DATA_DIR)")
	fs.StringVar(&c.SecretKeyFile, "secret-key-file", c.SecretKeyFile, "file holding the secret key (LINLI_SECRET_KEY_FILE)")
}

// Parse parses args with fs, allowing flags before, between and after
// positional arguments ("user add ana --role admin" and "user add --role
// admin ana" mean the same). A lone "--" ends flag parsing.
func Parse(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if len(args) > 0 && len(rest) < len(args) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// Validate checks the settings a server or a data command needs.
func (c *Config) Validate() error {
	var ps Problems
	if strings.TrimSpace(c.DatabaseURL) == "" {
		ps = append(ps, Problem{"--db / LINLI_DATABASE_URL", "is empty; give a SQLite file path or a postgres:// URL"})
	} else if db.IsPostgresURL(c.DatabaseURL) {
		if u, err := url.Parse(c.DatabaseURL); err != nil || u.Host == "" {
			ps = append(ps, Problem{"--db / LINLI_DATABASE_URL", "is not a valid postgres:// URL"})
		}
	} else if strings.Contains(c.DatabaseURL, "://") {
		ps = append(ps, Problem{"--db / LINLI_DATABASE_URL", "must be a file path or start with postgres:// or postgresql://"})
	} else if dir := filepath.Dir(c.DatabaseURL); dir != "" {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			ps = append(ps, Problem{"--db / LINLI_DATABASE_URL", fmt.Sprintf("folder %s does not exist", dir)})
		}
	}
	if _, _, err := splitHostPort(c.Addr); err != nil {
		ps = append(ps, Problem{"--addr / LINLI_ADDR", fmt.Sprintf("%q is not host:port (%v)", c.Addr, err)})
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			ps = append(ps, Problem{"LINLI_PUBLIC_URL", "must be an http:// or https:// URL such as https://linli.example.cn"})
		}
	}
	if c.SecretKey != "" && c.SecretKeyFile != "" {
		ps = append(ps, Problem{"LINLI_SECRET_KEY", "give either LINLI_SECRET_KEY or LINLI_SECRET_KEY_FILE, not both"})
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		ps = append(ps, Problem{"LINLI_LOG_LEVEL", "must be debug, info, warn or error"})
	}
	if c.SMTPAddr != "" && c.SMTPFrom == "" {
		ps = append(ps, Problem{"LINLI_SMTP_FROM", "is needed when LINLI_SMTP_ADDR is set"})
	}
	if len(ps) > 0 {
		return ps
	}
	return nil
}

func splitHostPort(a string) (string, int, error) {
	i := strings.LastIndex(a, ":")
	if i < 0 {
		return "", 0, errors.New("missing port")
	}
	p, err := strconv.Atoi(a[i+1:])
	if err != nil || p < 0 || p > 65535 {
		return "", 0, errors.New("bad port")
	}
	return a[:i], p, nil
}

// Print writes the effective settings with secrets masked.
func (c *Config) Print(w io.Writer) {
	mask := func(s string) string {
		if s == "" {
			return "(not set)"
		}
		return "******** (set)"
	}
	dbShown := c.DatabaseURL
	if u, err := url.Parse(c.DatabaseURL); err == nil && db.IsPostgresURL(c.DatabaseURL) {
		dbShown = u.Redacted()
	}
	proxies := make([]string, len(c.TrustedProxies))
	for i, p := range c.TrustedProxies {
		proxies[i] = p.String()
	}
	rows := [][2]string{
		{"LINLI_DATABASE_URL", dbShown},
		{"LINLI_ADDR", c.Addr},
		{"LINLI_DATA_DIR", c.DataDir},
		{"LINLI_PUBLIC_URL", c.PublicURL},
		{"LINLI_TRUSTED_PROXIES", strings.Join(proxies, ",")},
		{"LINLI_SECRET_KEY", mask(c.SecretKey)},
		{"LINLI_SECRET_KEY_FILE", c.SecretKeyFile},
		{"LINLI_DEMO_PASSWORD", mask(c.DemoPassword)},
		{"LINLI_DEMO_SEED", strconv.FormatInt(c.DemoSeed, 10)},
		{"LINLI_SESSION_IDLE_STAFF", c.IdleStaff.String()},
		{"LINLI_SESSION_IDLE_OTHER", c.IdleOther.String()},
		{"LINLI_SESSION_MAX_STAFF", c.AbsoluteStaff.String()},
		{"LINLI_SESSION_MAX_OTHER", c.AbsoluteOther.String()},
		{"LINLI_SESSION_CACHE", c.SessionCache.String()},
		{"LINLI_JOB_WORKERS", strconv.Itoa(c.Workers)},
		{"LINLI_SMTP_ADDR", c.SMTPAddr},
		{"LINLI_SMTP_FROM", c.SMTPFrom},
		{"LINLI_SMTP_USER", c.SMTPUser},
		{"LINLI_SMTP_PASSWORD", mask(c.SMTPPassword)},
		{"LINLI_LOG_LEVEL", c.LogLevel},
	}
	for _, r := range rows {
		fmt.Fprintf(w, "%-26s %s\n", r[0], r[1])
	}
}
