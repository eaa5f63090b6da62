package idcard

import "strings"

// NormalizePhone returns a mainland mobile as 11 digits ("13812345678") or
// a landline as area code, hyphen, local number ("0311-87654321"). It
// accepts what people write: spaces, hyphens, dots, brackets around the
// area code, full-width digits, a +86 / 0086 / 86 prefix. Mobiles start
// 13-19. Landlines need their area code: 010 and 02x have three digits,
// every other code four; the local number has 7-8 digits and does not
// start with 0 or 1. Where the writer split the number differently, the
// area-code rule wins, so "031-187654321" is stored as "0311-87654321".
// A number without an area code is refused rather than guessed.
func NormalizePhone(s string) (string, error) {
	var b strings.Builder
	plus := false
	for _, r := range s {
		r = foldWidth(r)
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && b.Len() == 0 && !plus:
			plus = true
		case strings.ContainsRune(" \t\u3000-.()\u2013\u2014", r):
		default:
			return "", fail(ReasonPhone, "unexpected character")
		}
	}
	d := b.String()
	intl := true
	switch {
	case strings.HasPrefix(d, "0086"):
		d = d[4:]
	case plus && strings.HasPrefix(d, "86"):
		d = d[2:]
	case plus:
		return "", fail(ReasonPhone, "not a mainland number")
	case strings.HasPrefix(d, "86") && len(d) > 11:
		d = d[2:]
	default:
		intl = false
	}
	// After a country code a landline drops its leading 0 ("+86 311 ...").
	if intl && d != "" && d[0] != '0' && !isMobile(d) {
		d = "0" + d
	}
	if isMobile(d) {
		return d, nil
	}
	if area, local, ok := splitLandline(d); ok {
		return area + "-" + local, nil
	}
	return "", fail(ReasonPhone, "neither a mobile nor a landline with area code")
}

func isMobile(d string) bool {
	if len(d) != 11 || d[0] != '1' || d[1] < '3' || d[1] > '9' {
		return false
	}
	return allDigits(d)
}

func splitLandline(d string) (area, local string, ok bool) {
	if len(d) < 10 || d[0] != '0' || !allDigits(d) {
		return "", "", false
	}
	n := 4
	if d[1] == '1' || d[1] == '2' {
		n = 3
		if d[1] == '1' && d[2] != '0' {
			return "", "", false // 010 is the only 01x code
		}
	}
	local = d[n:]
	if len(local) < 7 || len(local) > 8 || local[0] < '2' {
		return "", "", false
	}
	return d[:n], local, true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
