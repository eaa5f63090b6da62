package sheets

import (
	"strings"
	"unicode/utf8"
)

// Formula injection (OWASP "CSV Injection", ASVS 5.0 1.2.10): a cell whose
// text starts with "=", "+", "-" or "@" is run as a formula by Excel, WPS
// and LibreOffice when a CSV is opened, and "=HYPERLINK(...)" or DDE
// payloads reach the person who opens an export. The defence is a leading
// apostrophe, which makes the cell text.
//
// The Writer prefixes such cells in CSV and in XLSX. XLSX cells are written
// as strings and could never be formulas, but a user who opens an export
// and saves it as CSV would turn them live; the visible apostrophe is the
// price of that safety.
//
// Round trip: the Reader removes exactly one apostrophe from a cell that
// the Writer would have prefixed, so reading an export gives back the
// original text. To make that exact, a value that already starts with
// apostrophes before a trigger ("'=x") gets one more, so the rule is a
// bijection: unescapeFormula(escapeFormula(v)) == v for every v.

// escapeFormula returns v, with an apostrophe in front if a spreadsheet
// could take it for a formula.
func escapeFormula(v string) string {
	if formulaLike(v) {
		return "'" + v
	}
	return v
}

// unescapeFormula undoes escapeFormula; text that escapeFormula cannot have
// produced is returned unchanged.
func unescapeFormula(v string) string {
	if rest, ok := strings.CutPrefix(v, "'"); ok && formulaLike(rest) {
		return rest
	}
	return v
}

// formulaLike reports whether v, after any leading apostrophes and spaces,
// starts with a character that can begin a formula or DDE payload: the
// ASCII triggers, their full-width forms (which some spreadsheet locales
// fold), and TAB, CR, LF and NUL, which hide a trigger from a reader's eye
// or from a naive check.
func formulaLike(v string) bool {
	v = strings.TrimLeft(v, "'")
	v = strings.TrimLeft(v, " ")
	r, _ := utf8.DecodeRuneInString(v)
	switch r {
	case '=', '+', '-', '@', '\t', '\r', '\n', 0, '＝', '＋', '－', '＠':
		return true
	}
	return false
}

// storable returns v as both formats can store and give back: valid UTF-8,
// line breaks as "\n" (CSV readers and XML parsers turn "\r\n" and "\r"
// into "\n" anyway), and without the characters XML 1.0 cannot hold (C0
// controls other than TAB and LF, U+FFFE, U+FFFF), which excelize would
// otherwise replace with U+FFFD and which have no place in a register.
func storable(v string) string {
	if plain(v) {
		return v
	}
	v = strings.ToValidUTF8(v, "\uFFFD")
	v = strings.ReplaceAll(v, "\r\n", "\n")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\r':
			return '\n'
		case r == '\t', r == '\n':
			return r
		case r < 0x20, r == 0xFFFE, r == 0xFFFF:
			return -1
		}
		return r
	}, v)
}

// plain is storable's fast path: printable ASCII and well-formed
// multi-byte text without U+FFFE/U+FFFF.
func plain(v string) bool {
	for i := 0; i < len(v); {
		c := v[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(v[i:])
		if r == utf8.RuneError && n == 1 || r == 0xFFFE || r == 0xFFFF {
			return false
		}
		i += n
	}
	return true
}
