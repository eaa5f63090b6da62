package cli

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/linli/linli/internal/app"
	"github.com/linli/linli/internal/config"
	"github.com/linli/linli/internal/demo"
)

// seed puts the demo community into the database at dbPath.
func seed(t *testing.T, dbPath, keyFile, dataDir string) {
	t.Helper()
	key, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	c := config.Defaults()
	c.DatabaseURL, c.DataDir = dbPath, dataDir
	a, err := app.New(context.Background(), c, app.Options{Key: []byte(strings.TrimSpace(string(key)))})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	s := &demo.Seeder{DB: a.DB, Accounts: a.Accounts, Tenancy: a.Tenancy, Notify: a.Notify, Registry: a.Registry, Calendar: a.Calendar, Points: a.Points,
		Activities: a.Activities, Stories: a.Stories, Requests: a.Requests, Anchor: time.Now(), Password: "Linli-seed-2026"}
	if err := s.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
}
