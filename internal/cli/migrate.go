package cli

import (
	"context"
	"fmt"

	"github.com/linli/linli/internal/app"
	"github.com/linli/linli/internal/config"

	"github.com/linli/linli/internal/db"
)

func migrate(ctx context.Context, e Env, args []string) error {
	c, _, err := settings(e, "migrate", args, nil)
	if err != nil {
		return err
	}
	d, err := db.Open(ctx, c.DatabaseURL)
	if err != nil {
		return err
	}
	defer d.Close()
	n, err := d.Migrate(ctx)
	if err != nil {
		return err
	}
	v, err := d.Version(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.Stdout, "applied %d migration(s); %s is at version %d\n", n, d.Where(), v)
	return nil
}

// openApp builds the app for a data command: the key is required (only
// serve --demo may create one), migrations are applied.
func openApp(ctx context.Context, e Env, c config.Config) (*app.App, error) {
	key, _, err := c.LoadKey(false)
	if err != nil {
		return nil, err
	}
	return app.New(ctx, c, app.Options{Log: logger(e, "warn"), Key: key})
}
