package cli

import (
	"context"
	"flag"
	"fmt"
	"strconv"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/config"
)

// apikey manages Open311 API keys from the console:
//
//	linli apikey create --community CODE --name NAME   prints the key, once
//	linli apikey list   --community CODE
//	linli apikey revoke ID
func apikey(ctx context.Context, e Env, args []string) error {
	if len(args) == 0 {
		return usagef("give a subcommand: create, list or revoke")
	}
	sub := args[0]
	var community, name string
	c, pos, err := settings(e, "apikey "+sub, args[1:], func(fs *flag.FlagSet, c *config.Config) {
		fs.StringVar(&community, "community", "", "community code (default: the only community)")
		fs.StringVar(&name, "name", "", "who the key is for, for create")
	})
	if err != nil {
		return err
	}
	var id int64
	switch sub {
	case "create", "list":
		if len(pos) != 0 {
			return usagef("apikey %s takes no arguments besides its flags", sub)
		}
		if sub == "create" && name == "" {
			return usagef("--name: say who the key is for")
		}
	case "revoke":
		if len(pos) != 1 {
			return usagef("give the id of the key to revoke (linli apikey list shows it)")
		}
		if id, err = strconv.ParseInt(pos[0], 10, 64); err != nil || id <= 0 {
			return usagef("%q is not a key id", pos[0])
		}
	default:
		return usagef("unknown subcommand %q: create, list or revoke", sub)
	}
	a, err := openApp(ctx, e, c)
	if err != nil {
		return err
	}
	defer a.Close()
	actor := accounts.Console(operator())
	switch sub {
	case "create":
		cid, err := communityByCode(ctx, a, community)
		if err != nil {
			return err
		}
		k, err := a.Open311Keys.Create(ctx, actor, cid, name)
		if err != nil {
			return describe(err)
		}
		fmt.Fprintf(e.Stdout, "created key %d (%s) for %q\n%s\nThe key is shown this once; only its hash is kept.\n", k.ID, k.Prefix, k.Name, k.Secret)
	case "list":
		cid, err := communityByCode(ctx, a, community)
		if err != nil {
			return err
		}
		keys, err := a.Open311Keys.List(ctx, actor, cid)
		if err != nil {
			return describe(err)
		}
		for _, k := range keys {
			state := "live"
			if k.RevokedAt != nil {
				state = "revoked " + k.RevokedAt.Format("2006-01-02")
			}
			fmt.Fprintf(e.Stdout, "%d\t%s…\t%s\t%s\n", k.ID, k.Prefix, k.Name, state)
		}
	case "revoke":
		k, err := a.Open311Keys.Revoke(ctx, actor, id)
		if err != nil {
			return describe(err)
		}
		fmt.Fprintf(e.Stdout, "revoked key %d (%s)\n", k.ID, k.Name)
	}
	return nil
}
