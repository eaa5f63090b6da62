package i18n

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestCataloguesHaveTheSameKeys(t *testing.T) {
	zh, en := Keys("zh-CN"), Keys("en")
	if len(zh) < 100 {
		t.Fatalf("only %d keys", len(zh))
	}
	for _, k := range zh {
		if !Has("en", k) {
			t.Errorf("en lacks %q", k)
		}
		if strings.TrimSpace(T("zh-CN", k, nil)) == "" || strings.TrimSpace(T("en", k, nil)) == "" {
			t.Errorf("%q is empty in a catalogue", k)
		}
	}
	for _, k := range en {
		if !Has("zh-CN", k) {
			t.Errorf("zh-CN lacks %q", k)
		}
	}
}

// keyUses finds translation keys in templates ({{T "key"}}) and in Go code
// (apperr.New / Wrap, field errors, flashes). Keys built at run time
// (role., area., error.title., field.) are checked by listing their parts.
var keyUses = []*regexp.Regexp{
	regexp.MustCompile(`\bT "([a-z_]+(?:\.[a-z_0-9]+)+)"`),
	regexp.MustCompile(`apperr\.(?:New|Wrap)\([^"]*"([a-z_]+(?:\.[a-z_0-9]+)+)"\)`),
	regexp.MustCompile(`\.(?:Field|Add)\("[a-z_]+", "([a-z_]+(?:\.[a-z_0-9]+)+)"`),
	regexp.MustCompile(`redirect\([^"]*"[^"]*", "([a-z_]+\.[a-z_]+)"\)`),
	regexp.MustCompile(`i18n\.T\([a-zA-Z.()]+, "([a-z_]+(?:\.[a-z_0-9]+)+)"`),
}

func TestEveryUsedKeyExists(t *testing.T) {
	root := filepath.Join("..")
	found := 0
	err := filepath.Walk(root, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() || strings.HasSuffix(path, "_test.go") {
			return err
		}
		if !strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, ".html") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, re := range keyUses {
			for _, m := range re.FindAllStringSubmatch(string(b), -1) {
				found++
				for _, lang := range Languages {
					if !Has(lang, m[1]) {
						t.Errorf("%s uses %q, missing in %s", path, m[1], lang)
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found < 100 {
		t.Fatalf("found only %d key uses; is the scan broken?", found)
	}
	for _, prefix := range []string{"role.", "error.title."} {
		var parts []string
		switch prefix {
		case "role.":
			parts = []string{"admin", "worker", "grid", "leader", "volunteer", "resident", "partner", "street"}
		default:
			parts = []string{"malformed", "unauthenticated", "forbidden", "not_found", "conflict", "too_large", "unsupported", "invalid", "rate_limited", "internal"}
		}
		for _, p := range parts {
			if !Has("zh-CN", prefix+p) || !Has("en", prefix+p) {
				t.Errorf("missing %s%s", prefix, p)
			}
		}
	}
}

func TestMatchAndPlaceholders(t *testing.T) {
	for in, want := range map[string]string{"": "zh-CN", "en-US,en;q=0.9": "en", "zh-TW,en": "zh-CN", "fr,en;q=0.5": "en", "de": "zh-CN"} {
		if got := Match(in); got != want {
			t.Errorf("Match(%q) = %s, want %s", in, got, want)
		}
	}
	if got := T("zh-CN", "home.greeting", map[string]any{"name": "王芳"}); got != "您好，王芳" {
		t.Errorf("greeting = %q", got)
	}
	if got := T("en", "no.such.key", nil); got != "no.such.key" {
		t.Errorf("missing key shows %q", got)
	}
}
