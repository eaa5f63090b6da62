// Package cli runs the linli subcommands: serve, migrate, user, config and
// version. Each subcommand is one file; they share how settings are read
// (LINLI_* variables, then flags, which win) and how errors are reported.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/linli/linli/internal/config"
)

// Version is set at build time with -ldflags "-X ...cli.Version=v1.2.3".
var Version = "dev"

// Env carries the process's surroundings, so tests can run commands.
type Env struct {
	Args           []string // without the program name
	Environ        []string
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

const usage = `linli — the community volunteer service network (邻里)

Usage:
  linli serve   [--demo] [--db PATH|URL] [--addr HOST:PORT]   run the web server
  linli migrate [--db PATH|URL]                                apply database migrations
  linli user add NAME --name 显示名 --role ROLE [--community CODE] [--grid N] [--team NAME] [--org NAME] [--street CODE]
  linli user set-password NAME
  linli user disable NAME | enable NAME
  linli user grant NAME --role ROLE [...scope flags as for add]
  linli import residents FILE.xlsx|FILE.csv [--community CODE] [--dry-run] [--skip-bad] [--create-buildings]
  linli export residents FILE.xlsx|FILE.csv [--community CODE] [--reveal --reason TEXT]
  linli apikey create --community CODE --name NAME              an Open311 API key (shown once)
  linli apikey list [--community CODE] | revoke ID
  linli gen --communities N [--seed S]                         write a synthetic city for scale tests
  linli config                                                 print effective settings, secrets masked
  linli version

Settings come from LINLI_* environment variables; flags win. Passwords for
user add / set-password are read from LINLI_PASSWORD or standard input.
`

// Run executes one command and returns the process exit code.
func Run(ctx context.Context, e Env) int {
	if len(e.Args) == 0 {
		fmt.Fprint(e.Stderr, usage)
		return 2
	}
	cmd, args := e.Args[0], e.Args[1:]
	var err error
	switch cmd {
	case "serve":
		err = serve(ctx, e, args)
	case "migrate":
		err = migrate(ctx, e, args)
	case "user":
		err = user(ctx, e, args)
	case "import":
		err = importCmd(ctx, e, args)
	case "export":
		err = exportCmd(ctx, e, args)
	case "gen":
		err = genCmd(ctx, e, args)
	case "apikey":
		err = apikey(ctx, e, args)
	case "config":
		err = printConfig(e, args)
	case "version", "--version", "-v":
		fmt.Fprintln(e.Stdout, "linli", versionString())
		return 0
	case "help", "--help", "-h":
		fmt.Fprint(e.Stdout, usage)
		return 0
	default:
		fmt.Fprintf(e.Stderr, "linli: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	if err != nil {
		var usageErr usageError
		if errors.As(err, &usageErr) {
			fmt.Fprintf(e.Stderr, "linli %s: %v\n", cmd, err)
			return 2
		}
		fmt.Fprintf(e.Stderr, "linli %s: %v\n", cmd, err)
		return 1
	}
	return 0
}

type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

func versionString() string {
	v := Version
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " (" + s.Value[:12] + ")"
			}
		}
		v += " " + bi.GoVersion
	}
	return v
}

// settings reads the environment, then parses args with the common flags
// plus whatever extra registers, and validates the result.
func settings(e Env, name string, args []string, extra func(fs *flag.FlagSet, c *config.Config)) (config.Config, []string, error) {
	c := config.Defaults()
	if ps := c.FromEnv(e.Environ); len(ps) > 0 {
		return c, nil, ps
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	c.Flags(fs)
	if extra != nil {
		extra(fs, &c)
	}
	pos, err := config.Parse(fs, args)
	if err != nil {
		return c, nil, usagef("%v", err)
	}
	if err := c.Validate(); err != nil {
		return c, nil, err
	}
	return c, pos, nil
}

func printConfig(e Env, args []string) error {
	c, _, err := settings(e, "config", args, func(fs *flag.FlagSet, c *config.Config) {
		fs.StringVar(&c.Addr, "addr", c.Addr, "address to listen on")
	})
	if err != nil {
		return err
	}
	c.Print(e.Stdout)
	return nil
}

// Main is what cmd/linli calls.
func Main() {
	ctx := context.Background()
	os.Exit(Run(ctx, Env{Args: os.Args[1:], Environ: os.Environ(), Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}))
}
