// Package idcard checks and tidies the identifiers a community registry is
// typed from: the 18-character 居民身份证号 of GB 11643-1999, other identity
// documents, phone numbers, and the building / unit / room parts of an
// address. Community records arrive from Excel sheets and from people
// typing on phones with Chinese input methods, so every parser here first
// folds full-width characters and spaces away, then checks strictly.
//
// Failures are *Error values with a stable Reason (see errors.go) that
// callers translate; they never contain the input, which is personal data.
// The package uses the standard library only and touches no database.
package idcard

import (
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // ages and "today" are counted in Asia/Shanghai on every machine
	"unicode"
	"unicode/utf8"
)

// Info is what a valid ID number tells about its holder.
type Info struct {
	Normalized string    // 18 characters, ASCII digits and upper-case X
	Birth      time.Time // the birth date at 00:00 UTC, so .Date() reads the same in UTC and Asia/Shanghai
	Male       bool      // the sequence code is odd
	Province   string    // first two digits, e.g. "13" (河北)
	Area       string    // first six digits, the county-level code at issue, e.g. "130104"
}

// provinces are the first two digits GB/T 2260 gives to provincial-level
// divisions, plus 71/81/82 (台湾, 香港, 澳门), 83 (residence permits for
// 台湾 residents) and 91 (the 2023 foreign permanent resident ID card).
var provinces = map[string]bool{
	"11": true, "12": true, "13": true, "14": true, "15": true,
	"21": true, "22": true, "23": true,
	"31": true, "32": true, "33": true, "34": true, "35": true, "36": true, "37": true,
	"41": true, "42": true, "43": true, "44": true, "45": true, "46": true,
	"50": true, "51": true, "52": true, "53": true, "54": true,
	"61": true, "62": true, "63": true, "64": true, "65": true,
	"71": true, "81": true, "82": true, "83": true, "91": true,
}

var (
	weights    = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	checkChars = "10X98765432"
	shanghai   = loadShanghai()
)

func loadShanghai() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*3600) // unreachable with time/tzdata embedded
}

// Validate checks id as of the current time. Handlers should prefer
// ValidateAt with the request's clock so tests can pin "today".
func Validate(id string) (Info, error) { return ValidateAt(id, time.Now()) }

// ValidateAt checks an 18-character ID number as of now. The input is
// normalised first (see Normalize). Checks run in the order length, chars,
// area, date, future, check, so the reason names the first thing wrong;
// 15-digit first-generation numbers fail with ReasonLength because they
// expired in 2013 and carry no check digit.
func ValidateAt(id string, now time.Time) (Info, error) {
	s := Normalize(id)
	if n := utf8.RuneCountInString(s); n != 18 {
		return Info{}, fail(ReasonLength, "want 18 characters, got "+strconv.Itoa(n))
	}
	if len(s) != 18 {
		return Info{}, fail(ReasonChars, "non-ASCII character")
	}
	for i := 0; i < 17; i++ {
		if s[i] < '0' || s[i] > '9' {
			return Info{}, fail(ReasonChars, "position "+strconv.Itoa(i+1)+" is not a digit")
		}
	}
	if c := s[17]; (c < '0' || c > '9') && c != 'X' {
		return Info{}, fail(ReasonChars, "last character is not a digit or X")
	}
	if !provinces[s[:2]] {
		return Info{}, fail(ReasonArea, "unknown province code")
	}
	birth, ok := parseDate(s[6:14])
	if !ok {
		return Info{}, fail(ReasonDate, "birth date is not a calendar date")
	}
	if birth.After(today(now)) {
		return Info{}, fail(ReasonFuture, "birth date is after today")
	}
	want, _ := CheckDigit(s[:17])
	if s[17] != want {
		return Info{}, fail(ReasonCheck, "check character does not match")
	}
	seq := int(s[16] - '0')
	return Info{Normalized: s, Birth: birth, Male: seq%2 == 1, Province: s[:2], Area: s[:6]}, nil
}

// CheckDigit computes the ISO 7064 MOD 11-2 check character ('0'-'9' or
// 'X') for the first 17 digits of an ID number. It is how tests and demo
// data build valid numbers without using anyone's real one.
func CheckDigit(first17 string) (byte, error) {
	if len(first17) != 17 {
		return 0, fail(ReasonLength, "want 17 digits")
	}
	sum := 0
	for i := 0; i < 17; i++ {
		c := first17[i]
		if c < '0' || c > '9' {
			return 0, fail(ReasonChars, "position "+strconv.Itoa(i+1)+" is not a digit")
		}
		sum += int(c-'0') * weights[i]
	}
	return checkChars[sum%11], nil
}

// Normalize folds what people type into the canonical form: every kind of
// white space (including the ideographic space U+3000) is removed,
// full-width ASCII (０-９, Ｘ, Ａ-Ｚ) becomes ASCII, and ASCII letters are
// upper-cased, so "１３０１…ｘ" and "1301 … x" both become "1301…X". It does
// not validate; characters it does not know are kept for Validate to reject.
func Normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if unicode.IsSpace(r) {
			continue
		}
		r = foldWidth(r)
		if r >= 'a' && r <= 'z' {
			r -= 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// foldWidth maps the full-width forms U+FF01-U+FF5E to ASCII.
func foldWidth(r rune) rune {
	if r >= 0xFF01 && r <= 0xFF5E {
		return r - 0xFEE0
	}
	return r
}

// parseDate reads YYYYMMDD as a calendar date from 1900-01-01.
func parseDate(s string) (time.Time, bool) {
	y, err1 := strconv.Atoi(s[:4])
	m, err2 := strconv.Atoi(s[4:6])
	d, err3 := strconv.Atoi(s[6:8])
	if err1 != nil || err2 != nil || err3 != nil || y < 1900 || m < 1 || m > 12 || d < 1 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d || t.Month() != time.Month(m) {
		return time.Time{}, false // 0229 in a common year, 0431, ...
	}
	return t, true
}

// today is now's calendar date in Asia/Shanghai, at 00:00 UTC like Info.Birth.
func today(now time.Time) time.Time {
	y, m, d := now.In(shanghai).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
