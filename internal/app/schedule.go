package app

import (
	"context"
	"net"
	"strconv"
	"time"

	"github.com/linli/linli/internal/config"
	"github.com/linli/linli/internal/jobs"
	"github.com/linli/linli/internal/notify"
)

// Housekeeping job kinds.
const (
	kindPurgeSessions = "housekeeping.sessions"
	kindPruneJobs     = "housekeeping.jobs"
	kindSweepFiles    = "housekeeping.files"
	kindAgeOut        = "registry.age_out"
)

// schedule registers the housekeeping every server runs. The scheduler
// deduplicates slots across processes, so several servers on one
// PostgreSQL run each slot once.
func (a *App) schedule() {
	a.Jobs.Register(kindPurgeSessions, func(ctx context.Context, _ jobs.Job) error {
		_, err := a.Accounts.PurgeExpired(ctx)
		return err
	})
	a.Jobs.Register(kindPruneJobs, func(ctx context.Context, _ jobs.Job) error {
		_, err := a.Jobs.Queue().Prune(ctx, a.DB, a.Clock.Now().Add(-30*24*time.Hour))
		return err
	})
	a.Jobs.Register(kindSweepFiles, func(ctx context.Context, _ jobs.Job) error {
		_, err := a.Files.Sweep(24*time.Hour, a.Clock.Now())
		return err
	})
	a.Jobs.Register(kindAgeOut, func(ctx context.Context, _ jobs.Job) error {
		_, err := a.Registry.AgeOutChildren(ctx)
		return err
	})
	a.Jobs.Every("purge-sessions", time.Hour, kindPurgeSessions, nil)
	a.Jobs.Every("age-out-children", 24*time.Hour, kindAgeOut, nil)
	a.Jobs.Every("prune-jobs", 24*time.Hour, kindPruneJobs, nil)
	a.Jobs.Every("sweep-files", 24*time.Hour, kindSweepFiles, nil)
}

func smtpConfig(c config.Config) *notify.SMTPConfig {
	if c.SMTPAddr == "" {
		return nil
	}
	host, port, err := net.SplitHostPort(c.SMTPAddr)
	if err != nil {
		return nil // Validate has already refused a bad address
	}
	p, _ := strconv.Atoi(port)
	return &notify.SMTPConfig{Host: host, Port: p, From: c.SMTPFrom, Username: c.SMTPUser, Password: c.SMTPPassword}
}
