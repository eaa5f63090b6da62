package idcard

import (
	"regexp"
	"strings"
)

// Redacted is what RedactNumbers puts where a number was.
const Redacted = "[号码已隐去]"

// numberRun is a run of digits (ASCII or full-width), optionally led by a
// country code, with single spaces, hyphens or dots between groups and an
// ID number's check character at the end: "138 0000 1111",
// "0311-8765432", "+86 13800001111", "13010219900307123X".
var numberRun = regexp.MustCompile(`(?:[+＋]\s?(?:86|８６)[\s\-－]?)?[0-9０-９](?:[\s\-－.．]?[0-9０-９])*[XxＸｘ]?`)

// dateLike is a date a description may well carry: 2026-12-01, 2026.12.1.
var dateLike = regexp.MustCompile(`^(?:19|20)\d{2}[-./](?:0?[1-9]|1[0-2])[-./](?:0?[1-9]|[12]\d|3[01])$`)

// RedactNumbers removes from free text every number long enough to be a
// phone number, an ID or passport number or a bank card (seven digits or
// more: the shortest local landline), keeping shorter ones (room 502,
// 3 号楼, 20 度) and dates. It errs on the side of removing: a public
// page loses a long order number rather than show someone's phone.
func RedactNumbers(s string) string {
	digits := 0
	for _, r := range s {
		if r >= '0' && r <= '9' || r >= '０' && r <= '９' {
			digits++
		}
	}
	if digits < 7 {
		return s // most text: nothing long enough, and no regexp to run
	}
	return numberRun.ReplaceAllStringFunc(s, func(m string) string {
		n := 0
		for _, r := range m {
			if r = foldWidth(r); r >= '0' && r <= '9' {
				n++
			}
		}
		if n < 7 || dateLike.MatchString(strings.Map(foldWidth, m)) {
			return m
		}
		return Redacted
	})
}
