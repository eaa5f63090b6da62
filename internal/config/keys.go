package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/linli/linli/internal/secret"
)

// LoadKey returns the master secret. Order: LINLI_SECRET_KEY, then the key
// file. Without either, a demo server creates <data dir>/secret.key (mode
// 0600) and says so through created; any other command refuses to run,
// because data sealed with a throwaway key would be lost.
func (c *Config) LoadKey(allowCreate bool) (key []byte, created string, err error) {
	if c.SecretKey != "" {
		if len(c.SecretKey) < secret.MinKeyLen {
			return nil, "", fmt.Errorf("LINLI_SECRET_KEY has %d bytes; it needs at least %d (try: openssl rand -hex 32)", len(c.SecretKey), secret.MinKeyLen)
		}
		return []byte(c.SecretKey), "", nil
	}
	path := c.SecretKeyFile
	if path == "" {
		path = filepath.Join(c.DataDir, "secret.key")
		if _, err := os.Stat(path); err != nil {
			if !allowCreate {
				return nil, "", fmt.Errorf("no secret key: set LINLI_SECRET_KEY (at least %d bytes) or LINLI_SECRET_KEY_FILE; only serve --demo creates one by itself", secret.MinKeyLen)
			}
			if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
				return nil, "", fmt.Errorf("create data folder %s: %w", c.DataDir, err)
			}
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				return nil, "", fmt.Errorf("create key file %s: %w", path, err)
			}
			if _, err := f.WriteString(secret.Generate() + "\n"); err != nil {
				f.Close()
				return nil, "", fmt.Errorf("write key file %s: %w", path, err)
			}
			if err := f.Close(); err != nil {
				return nil, "", fmt.Errorf("write key file %s: %w", path, err)
			}
			created = path
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, "", fmt.Errorf("read key file: %w", err)
	}
	k := strings.TrimSpace(string(b))
	if len(k) < secret.MinKeyLen {
		return nil, "", fmt.Errorf("key file %s holds %d bytes; it needs at least %d", path, len(k), secret.MinKeyLen)
	}
	return []byte(k), created, nil
}
