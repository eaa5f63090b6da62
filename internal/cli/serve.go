package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/linli/linli/internal/app"
	"github.com/linli/linli/internal/clock"
	"github.com/linli/linli/internal/config"
	"github.com/linli/linli/internal/demo"
)

func logger(e Env, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(e.Stderr, &slog.HandlerOptions{Level: l}))
}

func serve(ctx context.Context, e Env, args []string) error {
	c, _, err := settings(e, "serve", args, func(fs *flag.FlagSet, c *config.Config) {
		fs.StringVar(&c.Addr, "addr", c.Addr, "address to listen on (LINLI_ADDR)")
		fs.BoolVar(&c.Demo, "demo", c.Demo, "seed the demo community 建胜路社区 and its demo logins")
		fs.Int64Var(&c.DemoSeed, "demo-seed", c.DemoSeed, "seed of the demo data (LINLI_DEMO_SEED)")
	})
	if err != nil {
		return err
	}
	log := logger(e, c.LogLevel)
	key, created, err := c.LoadKey(c.Demo)
	if err != nil {
		return err
	}
	if created != "" {
		fmt.Fprintf(e.Stdout, "Created a new secret key in %s (mode 0600). Keep it: the personal data in the database can only be read with it.\n", created)
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	// Listen first, so /healthz can say "starting" while seeding runs.
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", c.Addr, err)
	}
	start := time.Now()
	a, err := app.New(ctx, c, app.Options{Log: log, Key: key})
	if err != nil {
		ln.Close()
		return err
	}
	defer a.Close()
	srv := &http.Server{Handler: a.Handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second,
		WriteTimeout: 120 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	if c.Demo {
		if err := seedDemo(ctx, e, a, c); err != nil {
			srv.Close()
			return err
		}
	}
	if err := a.Start(ctx); err != nil {
		srv.Close()
		return err
	}
	a.SetReady()
	fmt.Fprintf(e.Stdout, "Linli is ready at http://%s/ (database %s, started in %s)\n", ln.Addr(), a.DB.Where(), time.Since(start).Round(time.Millisecond))

	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serve: %w", err)
		}
	case <-ctx.Done():
		fmt.Fprintln(e.Stdout, "Shutting down…")
	}
	shut, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	_ = srv.Shutdown(shut)
	a.Stop()
	return nil
}

func seedDemo(ctx context.Context, e Env, a *app.App, c config.Config) error {
	pw := c.DemoPassword
	if pw == "" {
		pw = demo.GeneratePassword()
	}
	s := &demo.Seeder{DB: a.DB, Accounts: a.Accounts, Tenancy: a.Tenancy, Notify: a.Notify, Registry: a.Registry, Calendar: a.Calendar, Points: a.Points, Activities: a.Activities, Stories: a.Stories, Requests: a.Requests, Anchor: time.Now().In(clock.Shanghai),
		Seed: c.DemoSeed, Password: pw}
	if err := s.Run(ctx); err != nil {
		return err
	}
	if len(s.Created) > 0 {
		fmt.Fprintln(e.Stdout, "Demo community 建胜路社区 (东风街道) is ready. Demo logins, each with the password below:")
		for _, u := range demo.Users {
			fmt.Fprintf(e.Stdout, "  %-10s %s（%s）\n", u.Username, u.Name, u.Note)
		}
		fmt.Fprintf(e.Stdout, "  password:  %s\n", pw)
		if c.DemoPassword == "" {
			fmt.Fprintln(e.Stdout, "  (generated now and shown only once; set LINLI_DEMO_PASSWORD to choose it)")
		}
	} else {
		fmt.Fprintln(e.Stdout, "Demo community already seeded; demo logins: admin worker grid leader volunteer resident partner street (password as first printed, or LINLI_DEMO_PASSWORD).")
	}
	return nil
}
