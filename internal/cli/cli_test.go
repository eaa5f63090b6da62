package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// run executes a command as a user at a shell would, returning the exit
// code and what was printed.
func run(t *testing.T, env []string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(context.Background(), Env{Args: args, Environ: env, Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb})
	return code, out.String(), errb.String()
}

func TestUserCommands(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "key")
	if err := os.WriteFile(key, []byte(strings.Repeat("k", 40)), 0o600); err != nil {
		t.Fatal(err)
	}
	dbPath := filepath.Join(dir, "linli.db")
	env := []string{"LINLI_SECRET_KEY_FILE=" + key, "LINLI_DATA_DIR=" + dir}

	// A fresh database has no community: user add must say so, not crash.
	code, out, errs := run(t, env, "", "migrate", "--db", dbPath)
	if code != 0 || !strings.Contains(out, "is at version") {
		t.Fatalf("migrate: %d %q %q", code, out, errs)
	}
	code, _, errs = run(t, append(env, "LINLI_PASSWORD=Linli-cli-2026"), "", "user", "add", "ana", "--role", "admin", "--db", dbPath)
	if code != 2 || !strings.Contains(errs, "--community") {
		t.Fatalf("user add without a community: %d %q", code, errs)
	}
	// Seed a community through the demo, then manage accounts.
	seed(t, dbPath, key, dir)

	// Flags after the positional argument mean the same as before it.
	code, out, errs = run(t, append(env, "LINLI_PASSWORD=Linli-cli-2026"), "", "user", "add", "ana", "--name", "安娜", "--role", "admin", "--community", "jsl", "--db", dbPath)
	if code != 0 || !strings.Contains(out, "created ana") {
		t.Fatalf("user add: %d %q %q", code, out, errs)
	}
	code, out, errs = run(t, env, "Linli-cli-2027\n", "user", "--db", dbPath, "set-password", "ana")
	if code != 2 || out != "" { // the subcommand comes first; a flag there is a usage error
		t.Fatalf("flags before the subcommand: %d %q %q", code, out, errs)
	}
	code, out, errs = run(t, env, "Linli-cli-2027\n", "user", "set-password", "--db", dbPath, "ana")
	if code != 0 || !strings.Contains(out, "password of ana changed") {
		t.Fatalf("set-password: %d %q %q", code, out, errs)
	}
	code, _, errs = run(t, env, "short\n", "user", "set-password", "ana", "--db", dbPath)
	if code != 1 || !strings.Contains(errs, "密码至少 8 位") || !strings.Contains(errs, "at least 8") {
		t.Fatalf("weak password: %d %q", code, errs)
	}
	code, out, _ = run(t, env, "", "user", "grant", "ana", "--role", "grid", "--grid", "3", "--db", dbPath)
	if code != 0 || !strings.Contains(out, "granted grid") {
		t.Fatalf("grant: %d %q", code, out)
	}
	code, _, errs = run(t, env, "", "user", "grant", "ana", "--role", "grid", "--grid", "99", "--db", dbPath)
	if code != 2 || !strings.Contains(errs, "no grid number 99") {
		t.Fatalf("grant to a missing grid: %d %q", code, errs)
	}
	code, out, _ = run(t, env, "", "user", "disable", "ana", "--db", dbPath)
	if code != 0 || !strings.Contains(out, "disabled") {
		t.Fatalf("disable: %d %q", code, out)
	}
	code, _, errs = run(t, env, "", "user", "disable", "nobody", "--db", dbPath)
	if code != 1 || !strings.Contains(errs, `no account "nobody"`) {
		t.Fatalf("disable nobody: %d %q", code, errs)
	}

	// Another key is refused with a reason.
	other := filepath.Join(dir, "other")
	os.WriteFile(other, []byte(strings.Repeat("o", 40)), 0o600)
	code, _, errs = run(t, []string{"LINLI_SECRET_KEY_FILE=" + other}, "", "user", "disable", "ana", "--db", dbPath)
	if code != 1 || !strings.Contains(errs, "does not match") {
		t.Fatalf("wrong key: %d %q", code, errs)
	}
	// No key at all is refused outside serve --demo.
	code, _, errs = run(t, []string{"LINLI_DATA_DIR=" + t.TempDir()}, "", "user", "disable", "ana", "--db", dbPath)
	if code != 1 || !strings.Contains(errs, "no secret key") {
		t.Fatalf("no key: %d %q", code, errs)
	}
}

func TestBadSettingsAreExplained(t *testing.T) {
	for _, c := range []struct {
		env  []string
		args []string
		want string
		code int
	}{
		{nil, []string{"config", "--nope"}, "flag provided but not defined", 2},
		{[]string{"LINLI_SESSION_IDLE_STAFF=soon"}, []string{"config"}, "LINLI_SESSION_IDLE_STAFF", 1},
		{[]string{"LINLI_JOB_WORKERS=0"}, []string{"config"}, "LINLI_JOB_WORKERS", 1},
		{[]string{"LINLI_TRUSTED_PROXIES=10.0.0.0/8,banana"}, []string{"config"}, "banana", 1},
		{nil, []string{"config", "--db", "mysql://x"}, "postgres://", 1},
		{nil, []string{"config", "--db", "/no/such/folder/x.db"}, "does not exist", 1},
		{nil, []string{"config", "--addr", "localhost"}, "host:port", 1},
		{[]string{"LINLI_PUBLIC_URL=ftp://x"}, []string{"config"}, "LINLI_PUBLIC_URL", 1},
		{[]string{"LINLI_SECRET_KEY=" + strings.Repeat("s", 40), "LINLI_SECRET_KEY_FILE=/x"}, []string{"config"}, "not both", 1},
		{nil, []string{"frobnicate"}, "unknown command", 2},
		{nil, []string{"serve", "--addr", "999.1.1.1:99999"}, "host:port", 1},
	} {
		code, _, errs := run(t, c.env, "", c.args...)
		if code != c.code || !strings.Contains(errs, c.want) {
			t.Errorf("%v %v: exit %d, stderr %q; want %d and %q", c.env, c.args, code, errs, c.code, c.want)
		}
	}
}

func TestConfigMasksSecrets(t *testing.T) {
	secretKey := strings.Repeat("z", 40)
	code, out, _ := run(t, []string{"LINLI_SECRET_KEY=" + secretKey, "LINLI_SMTP_PASSWORD=hunter2-smtp",
		"LINLI_DATABASE_URL=postgres://u:dbpass123@db.example/linli"}, "", "config")
	if code != 0 {
		t.Fatalf("config: %d", code)
	}
	for _, s := range []string{secretKey, "hunter2-smtp", "dbpass123"} {
		if strings.Contains(out, s) {
			t.Errorf("config printed a secret %q:\n%s", s, out)
		}
	}
	if !strings.Contains(out, "******** (set)") || !strings.Contains(out, "db.example") {
		t.Errorf("config output:\n%s", out)
	}
	if code, out, _ := run(t, nil, "", "version"); code != 0 || !strings.HasPrefix(out, "linli ") {
		t.Errorf("version: %d %q", code, out)
	}
}

func TestGenWritesASyntheticCity(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "key")
	os.WriteFile(key, []byte(strings.Repeat("g", 40)), 0o600)
	env := []string{"LINLI_SECRET_KEY_FILE=" + key}
	code, out, errs := run(t, env, "", "gen", "--communities", "2", "--seed", "7", "--db", filepath.Join(dir, "city.db"))
	if code != 0 || !strings.Contains(out, "generated 2 communities with 8200 residents") {
		t.Fatalf("gen: %d %q %q", code, out, errs)
	}
	if code, _, errs := run(t, env, "", "gen", "--communities", "0", "--db", filepath.Join(dir, "city.db")); code != 2 || !strings.Contains(errs, "--communities") {
		t.Fatalf("gen 0: %d %q", code, errs)
	}
}
