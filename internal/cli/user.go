package cli

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	osuser "os/user"
	"strings"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/config"
	"github.com/linli/linli/internal/tenancy"
)

// scopeFlags are the flags that name a grant's scope by code, number or
// name, as an operator knows them.
type scopeFlags struct {
	role, community, street, team, org, name string
	grid                                     int
	household                                int64
}

func (s *scopeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.role, "role", "", "admin, worker, grid, leader, volunteer, resident, partner or street")
	fs.StringVar(&s.community, "community", "", "community code (e.g. jsl)")
	fs.StringVar(&s.street, "street", "", "street code, for the street role")
	fs.IntVar(&s.grid, "grid", 0, "grid number, for the grid role")
	fs.StringVar(&s.team, "team", "", "team name, for the leader role")
	fs.StringVar(&s.org, "org", "", "organisation name, for the partner role")
	fs.Int64Var(&s.household, "household", 0, "household id, for the resident role")
	fs.StringVar(&s.name, "name", "", "display name, for user add")
}

func operator() string {
	if u, err := osuser.Current(); err == nil {
		return u.Username
	}
	return "unknown"
}

func user(ctx context.Context, e Env, args []string) error {
	if len(args) == 0 {
		return usagef("give a subcommand: add, set-password, disable, enable or grant")
	}
	sub := args[0]
	var sf scopeFlags
	c, pos, err := settings(e, "user "+sub, args[1:], func(fs *flag.FlagSet, c *config.Config) { sf.register(fs) })
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("give exactly one username")
	}
	username := pos[0]
	a, err := openApp(ctx, e, c)
	if err != nil {
		return err
	}
	defer a.Close()
	actor := accounts.Console(operator())
	switch sub {
	case "add":
		g, err := sf.grant(ctx, a.Tenancy)
		if err != nil {
			return err
		}
		pw, err := readPassword(e)
		if err != nil {
			return err
		}
		name := sf.name
		if name == "" {
			name = username
		}
		acc, err := a.Accounts.CreateAccount(ctx, actor, accounts.NewAccount{Username: username, DisplayName: name, Password: pw, Grants: []accounts.Grant{g}})
		if err != nil {
			return describe(err)
		}
		fmt.Fprintf(e.Stdout, "created %s (id %d) as %s\n", acc.Username, acc.ID, g.Role)
	case "set-password", "disable", "enable", "grant":
		acc, err := a.Accounts.FindByUsername(ctx, username)
		if err != nil {
			return fmt.Errorf("no account %q", username)
		}
		switch sub {
		case "set-password":
			pw, err := readPassword(e)
			if err != nil {
				return err
			}
			err = a.Accounts.SetPassword(ctx, actor, acc.ID, pw)
			if err != nil {
				return describe(err)
			}
			fmt.Fprintf(e.Stdout, "password of %s changed; its sessions have ended\n", acc.Username)
		case "disable", "enable":
			if err := a.Accounts.SetDisabled(ctx, actor, acc.ID, sub == "disable"); err != nil {
				return describe(err)
			}
			fmt.Fprintf(e.Stdout, "%s is now %sd\n", acc.Username, sub)
		case "grant":
			g, err := sf.grant(ctx, a.Tenancy)
			if err != nil {
				return err
			}
			if _, err := a.Accounts.AddGrant(ctx, actor, acc.ID, g); err != nil {
				return describe(err)
			}
			fmt.Fprintf(e.Stdout, "granted %s to %s\n", g.Role, acc.Username)
		}
	default:
		return usagef("unknown subcommand %q", sub)
	}
	return nil
}

// grant turns the scope flags into a grant, resolving codes and names.
func (s *scopeFlags) grant(ctx context.Context, t *tenancy.Store) (accounts.Grant, error) {
	g := accounts.Grant{Role: accounts.Role(s.role)}
	if !g.Role.Valid() {
		return g, usagef("--role must be one of admin, worker, grid, leader, volunteer, resident, partner, street")
	}
	if g.Role == accounts.Street {
		sts, err := streetByCode(ctx, t, s.street)
		if err != nil {
			return g, err
		}
		g.StreetID = sts
		return g, nil
	}
	cs, err := t.Communities(ctx, 0)
	if err != nil {
		return g, err
	}
	for _, c := range cs {
		if c.Code == s.community || (s.community == "" && len(cs) == 1) {
			g.CommunityID = c.ID
		}
	}
	if g.CommunityID == 0 {
		return g, usagef("--community: no community with code %q", s.community)
	}
	switch g.Role.Scope() {
	case "grid":
		gs, err := t.Grids(ctx, g.CommunityID)
		if err != nil {
			return g, err
		}
		for _, x := range gs {
			if x.Number == s.grid {
				g.GridID = x.ID
			}
		}
		if g.GridID == 0 {
			return g, usagef("--grid: no grid number %d in that community", s.grid)
		}
	case "team", "organisation":
		table, want := "teams", s.team
		if g.Role.Scope() == "organisation" {
			table, want = "organisations", s.org
		}
		us, err := t.Units(ctx, table, g.CommunityID)
		if err != nil {
			return g, err
		}
		for _, u := range us {
			if u.Name == want {
				if table == "teams" {
					g.TeamID = u.ID
				} else {
					g.OrganisationID = u.ID
				}
			}
		}
		if g.TeamID == 0 && g.OrganisationID == 0 {
			return g, usagef("no %s named %q in that community", strings.TrimSuffix(table, "s"), want)
		}
	case "household":
		if s.household <= 0 {
			return g, usagef("--household: give the household id")
		}
		g.HouseholdID = s.household
	}
	return g, nil
}

func streetByCode(ctx context.Context, t *tenancy.Store, code string) (int64, error) {
	cs, err := t.Communities(ctx, 0)
	if err != nil {
		return 0, err
	}
	for _, c := range cs {
		st, err := t.Street(ctx, c.StreetID)
		if err == nil && st.Code == code {
			return st.ID, nil
		}
	}
	return 0, usagef("--street: no street with code %q", code)
}

// readPassword takes LINLI_PASSWORD, else the first line of standard input.
func readPassword(e Env) (string, error) {
	for _, kv := range e.Environ {
		if v, ok := strings.CutPrefix(kv, "LINLI_PASSWORD="); ok && v != "" {
			return v, nil
		}
	}
	if e.Stdin == nil {
		return "", usagef("set LINLI_PASSWORD or give the password on standard input")
	}
	fmt.Fprint(e.Stderr, "password: ")
	line, err := bufio.NewReader(e.Stdin).ReadString('\n')
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", usagef("no password given (set LINLI_PASSWORD or type it on standard input)")
	}
	_ = err
	return line, nil
}
