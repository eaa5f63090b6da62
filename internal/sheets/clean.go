package sheets

import (
	"strings"
	"unicode"
)

// Clean returns cell text as a single tidy value: full-width ASCII letters,
// digits and punctuation (typed with a Chinese input method, "１３８" or
// "（"), and the ideographic space, are folded to their ASCII forms;
// tabs and line breaks become spaces; zero-width characters, the BOM,
// bidirectional controls (which can make "txt.exe" look like "exe.txt"),
// NUL and every other control character are dropped; and surrounding white
// space is trimmed. Invalid UTF-8 becomes U+FFFD. Chinese characters, the
// full-width "。" and "、" (which have no ASCII form), and inner spaces are
// kept.
//
// Clean is for values such as names, ID numbers and phone numbers, not for
// multi-line notes, whose line breaks it would flatten.
func Clean(s string) string {
	if isClean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			b.WriteRune(r - 0xFF01 + '!')
		case r == '\u3000', r == '\t', r == '\n', r == '\r', r == '\u00A0':
			b.WriteByte(' ')
		case dropped(r):
		default:
			b.WriteRune(r)
		}
	}
	return strings.TrimFunc(b.String(), unicode.IsSpace)
}

// isClean is the fast path: most cells are plain and need no copy.
func isClean(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7F {
			return false
		}
	}
	return len(s) == 0 || (s[0] != ' ' && s[len(s)-1] != ' ')
}

// dropped reports whether Clean removes r.
func dropped(r rune) bool {
	switch {
	case r < 0x20, r >= 0x7F && r < 0xA0: // C0, DEL, C1
		return true
	case r >= 0x200B && r <= 0x200F, // zero-width space/joiners, LRM, RLM
		r >= 0x202A && r <= 0x202E,            // bidi embeddings and overrides
		r >= 0x2060 && r <= 0x2069,            // word joiner, invisible operators, bidi isolates
		r == 0xFEFF, r == 0x00AD, r == 0x180E: // BOM, soft hyphen, Mongolian vowel separator
		return true
	}
	return false
}

// headerKey reduces a column name to what MatchHeader compares: Clean,
// lower case, without any spaces or underscores, and without the marks
// templates put on required or optional columns ("*姓名", "姓名(必填)",
// "姓名（选填）").
func headerKey(s string) string {
	s = strings.ToLower(Clean(s))
	s = strings.Map(func(r rune) rune {
		if r == '_' || unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
	for changed := true; changed; {
		changed = false
		for _, mark := range headerMarks {
			if t, ok := strings.CutSuffix(s, mark); ok && t != "" {
				s, changed = t, true
			}
		}
		if t, ok := strings.CutPrefix(s, "*"); ok && t != "" {
			s, changed = t, true
		}
	}
	return s
}

// headerMarks are suffixes of column names that are not part of the name,
// after Clean has folded "（" to "(" and "＊" to "*".
var headerMarks = []string{"*", "(必填)", "(必填项)", "(选填)", "(选填项)", "(可选)", "(required)", "(optional)"}
