package sheets

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// numKind is what a cell's number format makes of a number.
type numKind uint8

const (
	kindNumber   numKind = iota // shown as excelize formats it
	kindDate                    // shown as 2006-01-02
	kindDateTime                // shown as 2006-01-02 15:04[:05]
)

// Built-in number formats (ECMA-376 18.8.30, and the ids Excel uses for
// Chinese, Japanese and Korean date formats) that show a date. Time-only
// formats are left to excelize.
var dateFormats = map[int]numKind{
	14: kindDate, 15: kindDate, 16: kindDate, 17: kindDate, 22: kindDateTime,
	27: kindDate, 28: kindDate, 29: kindDate, 30: kindDate, 31: kindDate, 36: kindDate,
	50: kindDate, 51: kindDate, 52: kindDate, 53: kindDate, 54: kindDate, 57: kindDate, 58: kindDate,
}

// formatKind classifies a built-in format id or a custom format code.
func formatKind(id int, custom *string) numKind {
	if custom == nil || *custom == "" {
		return dateFormats[id]
	}
	return customKind(*custom)
}

// customKind classifies a custom format code such as `yyyy"年"m"月"d"日"`,
// `[$-804]yyyy/m/d h:mm` or `#,##0.00" 元"`, by the letters left in its
// first section once quoted text, escapes and [...] parts are removed: a
// date has y or d, or an m that is not minutes (no h or s beside it).
func customKind(code string) numKind {
	var b strings.Builder
	inQuote := false
	for i := 0; i < len(code); i++ {
		c := code[i]
		switch {
		case inQuote:
			inQuote = c != '"'
		case c == '"':
			inQuote = true
		case c == '\\', c == '_', c == '*':
			i++ // the next character is literal, padding or fill
		case c == '[':
			if j := strings.IndexByte(code[i:], ']'); j >= 0 {
				i += j
			}
		case c == ';':
			i = len(code)
		default:
			b.WriteByte(c | 0x20) // ASCII lower case; other bytes do not matter
		}
	}
	s := b.String()
	hasTime := strings.ContainsAny(s, "hs")
	switch {
	case strings.ContainsAny(s, "yd") && hasTime:
		return kindDateTime
	case strings.ContainsAny(s, "yd"), strings.Contains(s, "m") && !hasTime:
		return kindDate
	}
	return kindNumber
}

// excelDate renders the serial number raw as the date the user sees, or
// reports false when raw is no date Excel would show (negative, before
// 1900-01-01 or after 9999-12-31).
func excelDate(raw string, kind numKind, date1904 bool) (string, bool) {
	f, err := strconv.ParseFloat(raw, 64)
	if err != nil || f < 1 || f >= 2958466 {
		return "", false
	}
	t, err := excelize.ExcelDateToTime(f, date1904)
	if err != nil {
		return "", false
	}
	if kind == kindDate {
		return t.Format(time.DateOnly), true
	}
	t = t.Round(time.Second)
	if t.Second() == 0 {
		return t.Format("2006-01-02 15:04"), true
	}
	return t.Format(time.DateTime), true
}

// bigNumber reports whether raw, the stored value of a number cell, is at
// least 10^15. Excel keeps 15 significant digits, so a number this large
// has lost digits when a user typed it (an 18-digit ID number becomes
// 110101199001011000) or may lose them at the next save.
func bigNumber(raw string) bool {
	f, err := strconv.ParseFloat(raw, 64)
	return err == nil && math.Abs(f) >= 1e15
}

// scientific reports whether s is a number in E-notation with an exponent
// of 11 or more, such as "1.10101E+17": Excel shows numbers of 12 or more
// digits so, and a CSV saved from Excel keeps only what was shown. Smaller
// exponents ("1E+3") are unlikely to be mangled identifiers.
func scientific(s string) bool {
	mant, exp, ok := strings.Cut(s, "E")
	if !ok {
		mant, exp, ok = strings.Cut(s, "e")
	}
	if !ok || mant == "" || len(exp) < 2 {
		return false
	}
	mant = strings.TrimPrefix(mant, "-")
	whole, frac, _ := strings.Cut(mant, ".")
	if !digits(whole) || (frac != "" && !digits(frac)) {
		return false
	}
	exp = strings.TrimPrefix(exp, "+")
	n, err := strconv.Atoi(exp)
	return err == nil && digits(exp) && n >= 11
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
