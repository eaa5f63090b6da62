package idcard

import (
	"strings"
	"unicode/utf8"
)

// MaskID hides the middle of a document number for lists, exports and
// logs (个人信息保护法: show no more than a worker needs to tell two people
// apart). The input is normalised first. Numbers of 16 characters or more
// (the 18-character ID) keep their first 4 and last 4 characters:
// "1301**********1234". Numbers of 8-15 keep 2 and 2. Anything shorter
// would show half of itself, so it becomes asterisks of the same length.
// Empty stays empty.
func MaskID(s string) string {
	s = Normalize(s)
	n := utf8.RuneCountInString(s)
	switch {
	case n >= 16:
		return keep(s, 4, 4)
	case n >= 8:
		return keep(s, 2, 2)
	default:
		return strings.Repeat("*", n)
	}
}

// MaskPhone hides the middle of a phone number: "138****5678" for a
// mobile, the area code and the last two digits for a landline
// ("0311-******21"). A number NormalizePhone refuses is masked like a short
// document number: first 2 and last 2 kept from 8 characters on, all
// asterisks below. Empty stays empty.
func MaskPhone(s string) string {
	p, err := NormalizePhone(s)
	if err != nil {
		t := Normalize(s)
		if n := utf8.RuneCountInString(t); n < 8 {
			return strings.Repeat("*", n)
		}
		return keep(t, 2, 2)
	}
	if area, local, ok := strings.Cut(p, "-"); ok {
		return area + "-" + keep(local, 0, 2)
	}
	return keep(p, 3, 4)
}

// keep shows the first head and last tail runes of s and stars the rest.
// Callers guarantee head+tail is less than the length of s.
func keep(s string, head, tail int) string {
	r := []rune(s)
	var b strings.Builder
	for i, c := range r {
		if i < head || i >= len(r)-tail {
			b.WriteRune(c)
		} else {
			b.WriteByte('*')
		}
	}
	return b.String()
}
