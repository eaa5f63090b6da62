package sheets

import (
	"archive/zip"
	"errors"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// readSharedStrings reads the shared string table, the part Excel and
// WPS keep a workbook's text in. Its size was checked with the rest of the
// archive (checkZip), and archive/zip refuses to unpack more or less than
// a part declares; the text of the table is never longer than its XML, so
// it takes at most the part's declared size, allocated once, and each
// item 4 bytes more (no less than "<si/>" takes). The strings are slices of
// one string: a cell that refers to one costs no allocation.
func readSharedStrings(f *zip.File) (*sharedStrings, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	x := newXMLLexer(rc)
	var (
		all  strings.Builder
		item []byte
		ends []uint32
		si   siBuffers
	)
	all.Grow(int(f.UncompressedSize64))
	// The items are the <si> children of the root element.
	for depth := 0; ; {
		err := x.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		switch x.kind {
		case xmlStart:
			if depth == 1 && string(x.name) == "si" {
				if item, err = si.read(x, item[:0]); err != nil {
					return nil, err
				}
				if all.Len()+len(item) > math.MaxUint32 {
					return nil, &Error{Reason: ReasonTooLarge, Err: errors.New("shared strings past 4 GiB")}
				}
				all.Write(item)
				ends = append(ends, uint32(all.Len()))
				continue
			}
			depth++
		case xmlEnd:
			depth--
		}
	}
	return &sharedStrings{text: all.String(), ends: ends}, nil
}

// sharedStrings is the shared string table: item i is text[ends[i-1]:ends[i]].
type sharedStrings struct {
	text string
	ends []uint32
}

func (s *sharedStrings) len() int {
	if s == nil {
		return 0
	}
	return len(s.ends)
}

func (s *sharedStrings) item(i int) string {
	start := uint32(0)
	if i > 0 {
		start = s.ends[i-1]
	}
	return s.text[start:s.ends[i]]
}

// sharedIndex reads the <v> of a shared string cell as excelize does:
// space around it is ignored and anything not a number is item 0.
func sharedIndex(v []byte) int {
	for len(v) > 0 && isSpace(v[0]) {
		v = v[1:]
	}
	for len(v) > 0 && isSpace(v[len(v)-1]) {
		v = v[:len(v)-1]
	}
	n, err := strconv.Atoi(string(v))
	if err != nil {
		return 0
	}
	return n
}

// bstrUnescape decodes the _xHHHH_ escapes Excel writes for characters XML
// 1.0 cannot hold (_x005F_ being "_"), as excelize's bstrUnmarshal does: an
// escape of no valid character is dropped.
func bstrUnescape(s []byte) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		if i+7 <= len(s) && s[i] == '_' && s[i+1] == 'x' && s[i+6] == '_' {
			if r, err := strconv.ParseUint(string(s[i+2:i+6]), 16, 32); err == nil && hexDigits(s[i+2:i+6]) {
				if utf8.ValidRune(rune(r)) {
					out = utf8.AppendRune(out, rune(r))
				}
				i += 7
				continue
			}
		}
		out = append(out, s[i])
		i++
	}
	return out
}

func hexDigits(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c|0x20 && c|0x20 <= 'f') {
			return false
		}
	}
	return true
}

// generalNumber is the text of a number cell's stored value before its
// number format applies, as excelize gives it: the shortest decimal form
// without exponent ("1e-7" is "0.0000001", "007" is "7"), or, for a number
// with more than 15 significant digits, 15 digits in Excel's E-notation
// ("1.10101199001011E+17"). Text that is no number is kept as it is.
func generalNumber(v []byte) string {
	if plainInteger(v) {
		return string(v)
	}
	s := string(v)
	ok, prec, f := numeric(s)
	if !ok {
		return s
	}
	if prec > 15 && !zeroFilled(s) {
		return strconv.FormatFloat(f, 'G', 15, 64)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// plainInteger: an integer of at most 15 digits without a leading zero or
// sign other than "-", which generalNumber keeps as it is.
func plainInteger(v []byte) bool {
	d := v
	if len(d) > 0 && d[0] == '-' {
		d = d[1:]
	}
	if len(d) == 0 || len(d) > 15 || (d[0] == '0' && len(d) > 1) {
		return false
	}
	for _, c := range d {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// numeric is excelize's isNumeric: whether s parses as a float, and its
// number of digits written out without exponent.
func numeric(s string) (bool, int, float64) {
	if strings.Contains(s, "_") {
		return false, 0, 0
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return false, 0, 0
	}
	plain := strconv.FormatFloat(f, 'f', -1, 64)
	return true, len(plain) - strings.Count(plain, "."), f
}

// zeroFilled is excelize's isNumWithinPrecision: an integer whose digits
// past the 15th are zeros, as Excel stores a long number it has cut.
func zeroFilled(s string) bool {
	if strings.ContainsAny(s, ".Ee") {
		return false
	}
	s = strings.TrimLeft(s, "+-0")
	return len(strings.TrimRight(s, "0")) <= 15
}

// generalFormat applies the General number format of a styled cell to the
// text of a number, as excelize does: a number of more than 11 digits is
// shown with 10 significant digits ("1.23456789E+14"). (A cell without a
// style is not formatted at all.)
func generalFormat(s string) string {
	if ok, prec, f := numeric(s); ok && prec > 11 {
		return strconv.FormatFloat(f, 'G', 10, 64)
	}
	return s
}

// isoDateSerial turns the ISO 8601 text of a t="d" cell into the serial
// number excelize formats in its place, or returns it unchanged when it is
// no date excelize reads.
func isoDateSerial(v string) string {
	layout := "20060102T150405.999"
	if strings.HasSuffix(v, "Z") {
		layout = "20060102T150405Z"
		if strings.Contains(v, "-") {
			layout = "2006-01-02T15:04:05Z"
		}
	} else if strings.Contains(v, "-") {
		layout = "2006-01-02 15:04:05Z"
	}
	t, err := time.Parse(layout, strings.ReplaceAll(v, ",", "."))
	if err != nil {
		return v
	}
	return strconv.FormatFloat(timeToExcelTime(t), 'G', 15, 64)
}

// timeToExcelTime is excelize's conversion of a time to a serial number
// in the 1900 date system, in which t="d" cells are read.
func timeToExcelTime(t time.Time) float64 {
	const (
		day         = 24 * time.Hour
		maxDuration = 290 * 364 * day
	)
	epoch := time.Date(1899, time.December, 31, 0, 0, 0, 0, time.UTC)
	if t.Before(epoch) {
		return 0
	}
	tt, diff, result := t, t.Sub(epoch), 0.0
	for diff >= maxDuration {
		result += float64(maxDuration / day)
		tt = tt.Add(-maxDuration)
		diff = tt.Sub(epoch)
	}
	rem := diff % day
	result += float64(diff-rem)/float64(day) + float64(rem)/float64(day)
	// Excel counts a 29 February 1900 that never was.
	if t.After(time.Date(1900, time.March, 1, 0, 0, 0, 0, time.UTC).Add(-time.Nanosecond)) {
		result++
	}
	return result
}
