package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestAPIKeyCommands(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "key")
	if err := os.WriteFile(key, []byte(strings.Repeat("k", 40)), 0o600); err != nil {
		t.Fatal(err)
	}
	dbPath := filepath.Join(dir, "linli.db")
	env := []string{"LINLI_SECRET_KEY_FILE=" + key, "LINLI_DATA_DIR=" + dir}
	seed(t, dbPath, key, dir)

	code, _, errs := run(t, env, "", "apikey", "create", "--community", "jsl", "--db", dbPath)
	if code != 2 || !strings.Contains(errs, "--name") {
		t.Fatalf("create without a name: %d %q", code, errs)
	}
	code, _, errs = run(t, env, "", "apikey", "create", "--community", "nope", "--name", "热线", "--db", dbPath)
	if code != 2 || !strings.Contains(errs, "nope") {
		t.Fatalf("create in an unknown community: %d %q", code, errs)
	}
	code, out, errs := run(t, env, "", "apikey", "create", "--community", "jsl", "--name", "市民热线", "--db", dbPath)
	secret := regexp.MustCompile(`o311_[0-9a-f]{64}`).FindString(out)
	if code != 0 || secret == "" || !strings.Contains(out, "created key 1") {
		t.Fatalf("create: %d %q %q", code, out, errs)
	}
	code, out, _ = run(t, env, "", "apikey", "list", "--community", "jsl", "--db", dbPath)
	if code != 0 || !strings.Contains(out, "市民热线") || !strings.Contains(out, "live") || strings.Contains(out, secret) {
		t.Fatalf("list: %d %q", code, out)
	}
	// Only the hash is kept: the database file does not hold the key.
	raw, err := os.ReadFile(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), secret) || strings.Contains(string(raw), secret[5:]) {
		t.Fatal("the database holds the key itself")
	}
	code, out, errs = run(t, env, "", "apikey", "revoke", "1", "--db", dbPath)
	if code != 0 || !strings.Contains(out, "revoked key 1") {
		t.Fatalf("revoke: %d %q %q", code, out, errs)
	}
	code, _, errs = run(t, env, "", "apikey", "revoke", "1", "--db", dbPath)
	if code != 1 || !strings.Contains(errs, "already revoked") {
		t.Fatalf("revoke twice: %d %q", code, errs)
	}
	code, out, _ = run(t, env, "", "apikey", "list", "--db", dbPath)
	if code != 0 || !strings.Contains(out, "revoked") {
		t.Fatalf("list after revoke: %d %q", code, out)
	}
	code, _, errs = run(t, env, "", "apikey", "revoke", "x", "--db", dbPath)
	if code != 2 || !strings.Contains(errs, "not a key id") {
		t.Fatalf("revoke x: %d %q", code, errs)
	}
}
