package accounts

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"runtime"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters: OWASP's first recommendation (19 MiB, 2 passes, 1
// lane), about 40 ms on the 2-core machines we run on.
type hashParams struct {
	memory  uint32 // KiB
	time    uint32
	threads uint8
}

var defaultParams = hashParams{memory: 19 * 1024, time: 2, threads: 1}

// hashSlots bounds concurrent hashing: a flood of logins must queue here
// rather than take every core and all memory.
var hashSlots = make(chan struct{}, max(1, runtime.NumCPU()))

func hashPassword(pw string, p hashParams) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("accounts: salt: %w", err)
	}
	key := idKey(pw, salt, p, 32)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.memory, p.time, p.threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// verifyPassword checks pw against an encoded hash in constant time.
func verifyPassword(pw, encoded string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var p hashParams
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.memory, &p.time, &p.threads); err != nil {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	// argon2 panics on zero passes or lanes; a corrupt hash must fail the
	// check instead.
	if err1 != nil || err2 != nil || len(want) == 0 || p.memory > 1<<20 || p.time < 1 || p.time > 20 || p.threads < 1 {
		return false
	}
	return subtle.ConstantTimeCompare(idKey(pw, salt, p, uint32(len(want))), want) == 1
}

// idKey runs argon2id in one of the hashSlots. The slot is released by a
// defer: a panic must not leak it, or hashing (and so every sign-in) stops
// once all slots are gone.
func idKey(pw string, salt []byte, p hashParams, keyLen uint32) []byte {
	hashSlots <- struct{}{}
	defer func() { <-hashSlots }()
	return argon2.IDKey([]byte(pw), salt, p.time, p.memory, p.threads, keyLen)
}

// dummyHash is verified against when the account does not exist or is
// locked, so those answers take as long as a wrong password.
var dummyHash = func() string {
	h, err := hashPassword("linli-dummy-password", defaultParams)
	if err != nil {
		panic(err)
	}
	return h
}()

// Common passwords refused for everyone (NIST 800-63B: a blocklist rather
// than composition rules for residents; staff get both, see checkPassword).
var weakPasswords = map[string]bool{
	"12345678": true, "123456789": true, "1234567890": true, "password": true, "password1": true,
	"11111111": true, "88888888": true, "66666666": true, "00000000": true, "abc12345": true,
	"abcd1234": true, "a1234567": true, "aa123456": true, "qwerty123": true, "qwertyui": true,
	"iloveyou": true, "woaini1314": true, "5201314520": true, "1qaz2wsx": true, "admin123": true,
	"admin1234": true, "p@ssw0rd": true, "passw0rd": true, "12341234": true, "87654321": true,
	"123123123": true, "zxcvbnm1": true, "asdf1234": true, "linli123": true, "aa12345678": true,
}

// checkPassword returns the translation key of the first rule pw breaks,
// or "". Staff passwords must also mix three kinds of character (等保
// practice); residents' need not (ASVS 6.2.5). The username and display
// name are refused as passwords.
func checkPassword(pw string, staff bool, username, displayName string) string {
	n := utf8.RuneCountInString(pw)
	switch {
	case n < 8:
		return "password.too_short"
	case n > 128:
		return "password.too_long"
	case weakPasswords[strings.ToLower(pw)]:
		return "password.too_common"
	case strings.EqualFold(pw, username) || (displayName != "" && pw == displayName):
		return "password.like_name"
	}
	if staff {
		var lower, upper, digit, other bool
		for _, r := range pw {
			switch {
			case unicode.IsLower(r):
				lower = true
			case unicode.IsUpper(r):
				upper = true
			case unicode.IsDigit(r):
				digit = true
			default:
				other = true
			}
		}
		kinds := 0
		for _, b := range []bool{lower, upper, digit, other} {
			if b {
				kinds++
			}
		}
		if kinds < 3 {
			return "password.staff_classes"
		}
	}
	return ""
}
