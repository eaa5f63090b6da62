package registry

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/linli/linli/internal/secret"
)

// sealer seals and opens a community's resident data. The additional data
// binds each ciphertext to its field and community, so a value cannot be
// moved into another field or another community's rows unnoticed.
type sealer struct {
	keys *secret.Keyring
	cid  int64
}

func (s sealer) aad(field string) string {
	return "registry." + field + ":" + strconv.FormatInt(s.cid, 10)
}

func (s sealer) seal(field, plain string) (string, error) {
	if plain == "" {
		return "", nil
	}
	ct, err := s.keys.Encrypt(plain, s.aad(field))
	if err != nil {
		return "", fmt.Errorf("registry: seal %s: %w", field, err)
	}
	return ct, nil
}

func (s sealer) open(field, ct string) (string, error) {
	if ct == "" {
		return "", nil
	}
	pt, err := s.keys.Decrypt(ct, s.aad(field))
	if err != nil {
		return "", fmt.Errorf("registry: open %s: %w", field, err)
	}
	return pt, nil
}

func (s sealer) sealJSON(field string, v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return s.seal(field, string(b))
}

func (s sealer) openJSON(field, ct string, v any) error {
	pt, err := s.open(field, ct)
	if err != nil || pt == "" {
		return err
	}
	return json.Unmarshal([]byte(pt), v)
}

// Blind indexes: exact-match search without plaintext. Each kind has its
// own domain and the community is part of it, so equal values in two
// communities do not link.
func (s sealer) bidx(kind, value string) string {
	if value == "" {
		return ""
	}
	return s.keys.BlindIndex("registry."+kind+":"+strconv.FormatInt(s.cid, 10), strings.ToUpper(strings.TrimSpace(value)))
}

// tagToken is the blind token of a tag name in resident_tags.
func (s sealer) tagToken(tag string) string { return s.bidx("tag", tag) }
