// Package secret turns the one LINLI_SECRET_KEY into the separate keys Linli
// needs — encryption of personal data, blind indexes for searching it, and
// token MACs — with HKDF, so a leak of one derived key exposes nothing else.
// Ciphertexts carry the id of the key that made them, so a new key can be
// introduced while old rows are still readable.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// MinKeyLen is the shortest master secret accepted, in bytes.
const MinKeyLen = 32

// Keyring holds the keys derived from one master secret.
type Keyring struct {
	id      string // short public key id, carried in ciphertexts
	enc     cipher.AEAD
	bidx    []byte
	token   []byte
	fp      string
	retired map[string]cipher.AEAD // older keys still able to decrypt
}

// New derives a keyring from a master secret of at least MinKeyLen bytes.
func New(master []byte) (*Keyring, error) {
	if len(master) < MinKeyLen {
		return nil, fmt.Errorf("secret: the key has %d bytes; at least %d are needed", len(master), MinKeyLen)
	}
	derive := func(purpose string, n int) []byte {
		k, err := hkdf.Key(sha256.New, master, []byte("linli-v1"), purpose, n)
		if err != nil {
			panic("secret: hkdf: " + err.Error()) // only on impossible lengths
		}
		return k
	}
	block, err := aes.NewCipher(derive("encryption", 32))
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	fp := derive("fingerprint", 32)
	return &Keyring{
		id:      hex.EncodeToString(fp[:4]),
		enc:     aead,
		bidx:    derive("blind-index", 32),
		token:   derive("token", 32),
		fp:      hex.EncodeToString(fp),
		retired: map[string]cipher.AEAD{},
	}, nil
}

// Retire adds an older master secret whose ciphertexts must stay readable
// during a rotation. New data is always sealed with the current key.
func (k *Keyring) Retire(master []byte) error {
	old, err := New(master)
	if err != nil {
		return err
	}
	k.retired[old.id] = old.enc
	return nil
}

// ID is the current key's public id.
func (k *Keyring) ID() string { return k.id }

// Fingerprint identifies the master secret without revealing it; the
// database stores it so a server started with another key refuses to run
// rather than write data nobody can read.
func (k *Keyring) Fingerprint() string { return k.fp }

// Encrypt seals plaintext with AES-256-GCM. aad binds the ciphertext to its
// place (e.g. "residents.id_number:42") so it cannot be moved to another row.
// The result is "v1.<key id>.<base64url(nonce||ciphertext)>".
func (k *Keyring) Encrypt(plaintext, aad string) (string, error) {
	nonce := make([]byte, k.enc.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("secret: nonce: %w", err)
	}
	sealed := k.enc.Seal(nonce, nonce, []byte(plaintext), []byte(aad))
	return "v1." + k.id + "." + base64.RawURLEncoding.EncodeToString(sealed), nil
}

// ErrDecrypt is returned for ciphertexts that fail authentication or whose
// key is unknown.
var ErrDecrypt = errors.New("secret: cannot decrypt")

// Decrypt opens a value made by Encrypt with the same aad.
func (k *Keyring) Decrypt(ciphertext, aad string) (string, error) {
	parts := strings.SplitN(ciphertext, ".", 3)
	if len(parts) != 3 || parts[0] != "v1" {
		return "", ErrDecrypt
	}
	aead := k.enc
	if parts[1] != k.id {
		var ok bool
		if aead, ok = k.retired[parts[1]]; !ok {
			return "", fmt.Errorf("%w: unknown key id %s", ErrDecrypt, parts[1])
		}
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(raw) < aead.NonceSize() {
		return "", ErrDecrypt
	}
	pt, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], []byte(aad))
	if err != nil {
		return "", ErrDecrypt
	}
	return string(pt), nil
}

// BlindIndex returns a keyed hash of a normalised value, so encrypted
// fields (an ID number, a phone) can be found by exact match without being
// stored in the clear. domain separates indexes of different fields.
func (k *Keyring) BlindIndex(domain, value string) string {
	m := hmac.New(sha256.New, k.bidx)
	m.Write([]byte(domain))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// MAC signs a token payload (links in QR codes, unsubscribe links).
func (k *Keyring) MAC(payload string) string {
	m := hmac.New(sha256.New, k.token)
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// VerifyMAC checks a MAC made by MAC in constant time.
func (k *Keyring) VerifyMAC(payload, mac string) bool {
	return hmac.Equal([]byte(k.MAC(payload)), []byte(mac))
}

// Generate returns a new random master secret, hex-encoded (64 characters).
func Generate() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("secret: no randomness: " + err.Error())
	}
	return hex.EncodeToString(b)
}
