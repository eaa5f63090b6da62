package cli

import (
	"context"
	"fmt"

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
