package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/app"
	"github.com/linli/linli/internal/config"
	"github.com/linli/linli/internal/i18n"
	"github.com/linli/linli/internal/registry"
	"github.com/linli/linli/internal/sheets"
)

// lang picks the terminal's language from LANG: Chinese unless English.
func lang(e Env) string {
	for _, kv := range e.Environ {
		if v, ok := strings.CutPrefix(kv, "LANG="); ok && strings.HasPrefix(v, "en") {
			return "en"
		}
	}
	return "zh-CN"
}

// describeProblem turns a row problem into a line a clerk can act on:
// "第 5 行，身份证号：校验位不对".
func describeProblem(l string, p registry.Problem) string {
	col := ""
	if p.Column != "" {
		for _, c := range registry.SheetColumns {
			if c.Key == p.Column {
				col = c.Names[0]
				if l == "en" {
					col = c.Names[len(c.Names)-1]
				}
			}
		}
	}
	msg := i18n.T(l, p.Key, p.Args)
	where := i18n.T(l, "import.row", map[string]any{"n": p.Row})
	if p.Row == 0 {
		where = i18n.T(l, "import.file", nil)
	}
	if col != "" {
		return where + "，" + col + "：" + msg
	}
	return where + "：" + msg
}

func importCmd(ctx context.Context, e Env, args []string) error {
	if len(args) == 0 || args[0] != "residents" {
		return usagef("usage: linli import residents FILE.xlsx|FILE.csv [--community CODE] [--dry-run] [--skip-bad] [--create-buildings]")
	}
	var community string
	var dryRun, skipBad, createBuildings bool
	c, pos, err := settings(e, "import", args[1:], func(fs *flag.FlagSet, c *config.Config) {
		fs.StringVar(&community, "community", "", "community code (default: the only community)")
		fs.BoolVar(&dryRun, "dry-run", false, "check everything, write nothing")
		fs.BoolVar(&skipBad, "skip-bad", false, "apply the good rows and write the bad ones to FILE.bad.xlsx")
		fs.BoolVar(&createBuildings, "create-buildings", false, "add estates and buildings the community does not have yet")
	})
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("give exactly one file")
	}
	l := lang(e)
	path := pos[0]
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	rd, err := sheets.Open(filepath.Base(path), f, st.Size(), sheets.ReadOptions{})
	if err != nil {
		return fmt.Errorf("%s", i18n.T(l, "sheets."+string(sheets.ReasonOf(err)), nil))
	}
	defer rd.Close()
	// Everything the file alone can tell is checked before any key or
	// database is needed.
	rows, problems, err := registry.ParseSheet(rd, time.Now())
	if err != nil {
		return fmt.Errorf("%s", i18n.T(l, "sheets."+string(sheets.ReasonOf(err)), nil))
	}
	fmt.Fprintln(e.Stdout, i18n.T(l, "import.read", map[string]any{"n": len(rows), "file": path}))
	if len(problems) > 0 && !skipBad && !dryRun {
		printProblems(e.Stdout, l, problems)
		return fmt.Errorf("%s", i18n.T(l, "import.nothing_written", map[string]any{"n": len(problems)}))
	}
	a, err := openApp(ctx, e, c)
	if err != nil {
		return err
	}
	defer a.Close()
	cid, err := communityByCode(ctx, a, community)
	if err != nil {
		return err
	}
	progress := func(done, total int) {
		if total >= 2000 {
			fmt.Fprintf(e.Stderr, "\r%s %d/%d (%d%%)", i18n.T(l, "import.progress", nil), done, total, done*100/max(total, 1))
			if done == total {
				fmt.Fprintln(e.Stderr)
			}
		}
	}
	rep, err := a.Registry.Import(ctx, accounts.Console(operator()), rows, problems, registry.ImportOptions{
		CommunityID: cid, DryRun: dryRun, SkipBad: skipBad, CreateBuildings: createBuildings, Progress: progress})
	if err != nil {
		return describe(err)
	}
	printProblems(e.Stdout, l, rep.Problems)
	if skipBad && len(rep.Bad) > 0 {
		out := strings.TrimSuffix(path, filepath.Ext(path)) + ".bad.xlsx"
		if err := writeRows(out, rd.Header(), rep.Bad); err != nil {
			return err
		}
		fmt.Fprintln(e.Stdout, i18n.T(l, "import.bad_written", map[string]any{"n": len(rep.Bad), "file": out}))
	}
	switch {
	case dryRun:
		fmt.Fprintln(e.Stdout, i18n.T(l, "import.dry_run", map[string]any{"rows": rep.Rows, "bad": rep.Skipped}))
		if len(rep.Problems) > 0 {
			return fmt.Errorf("%s", i18n.T(l, "import.has_problems", map[string]any{"n": len(rep.Problems)}))
		}
	case !rep.Applied:
		return fmt.Errorf("%s", i18n.T(l, "import.nothing_written", map[string]any{"n": len(rep.Problems)}))
	default:
		fmt.Fprintln(e.Stdout, i18n.T(l, "import.done", map[string]any{"created": rep.Created, "updated": rep.Updated, "skipped": rep.Skipped}))
	}
	return nil
}

func printProblems(w io.Writer, l string, ps []registry.Problem) {
	const most = 200
	for i, p := range ps {
		if i == most {
			fmt.Fprintln(w, i18n.T(l, "import.more_problems", map[string]any{"n": len(ps) - most}))
			break
		}
		fmt.Fprintln(w, "  "+describeProblem(l, p))
	}
}

func writeRows(path string, header []string, rows [][]string) error {
	// Only the operator may read it: it holds ID numbers and phones.
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	w, err := sheets.NewWriter(sheets.XLSX, f)
	if err != nil {
		f.Close()
		return err
	}
	if err := w.WriteHeader(header); err != nil {
		f.Close()
		return err
	}
	for _, r := range rows {
		if err := w.WriteRow(r); err != nil {
			f.Close()
			return err
		}
	}
	if err := w.Close(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func communityByCode(ctx context.Context, a *app.App, code string) (int64, error) {
	cs, err := a.Tenancy.Communities(ctx, 0)
	if err != nil {
		return 0, err
	}
	for _, c := range cs {
		if c.Code == code || (code == "" && len(cs) == 1) {
			return c.ID, nil
		}
	}
	if code == "" {
		return 0, usagef("--community: the database has %d communities; name one by its code", len(cs))
	}
	return 0, usagef("--community: no community with code %q", code)
}

func exportCmd(ctx context.Context, e Env, args []string) error {
	if len(args) == 0 || args[0] != "residents" {
		return usagef("usage: linli export residents FILE.xlsx|FILE.csv [--community CODE] [--reveal --reason TEXT]")
	}
	var community, reason string
	var reveal bool
	c, pos, err := settings(e, "export", args[1:], func(fs *flag.FlagSet, c *config.Config) {
		fs.StringVar(&community, "community", "", "community code (default: the only community)")
		fs.BoolVar(&reveal, "reveal", false, "write sensitive columns unmasked (audited; needs --reason)")
		fs.StringVar(&reason, "reason", "", "why the unmasked export is needed")
	})
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("give exactly one output file")
	}
	format := sheets.XLSX
	if strings.EqualFold(filepath.Ext(pos[0]), ".csv") {
		format = sheets.CSV
	}
	a, err := openApp(ctx, e, c)
	if err != nil {
		return err
	}
	defer a.Close()
	cid, err := communityByCode(ctx, a, community)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(pos[0], os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	n, err := a.Registry.Export(ctx, accounts.Console(operator()), registry.ExportOptions{
		Filter: registry.Filter{CommunityID: cid}, Format: format, Reveal: reveal, Reason: reason}, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(pos[0])
		return describe(err)
	}
	fmt.Fprintln(e.Stdout, i18n.T(lang(e), "export.done", map[string]any{"n": n, "file": pos[0]}))
	return nil
}
