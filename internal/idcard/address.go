package idcard

import (
	"strconv"
	"strings"
)

// Address parts are typed every way imaginable in community sheets: "1",
// "1号楼", "1栋", "一号楼", "１号楼". Households are matched by building /
// unit / room, so two spellings of one flat must become one key, and
// anything unclear must be refused rather than guessed into the wrong flat.

// BuildingNumber returns the canonical building number: "1号楼", "1栋",
// "1幢", "1号", "第一座", "01" and "一号楼" all give "1"; "12-A", "12a" and
// "12A号楼" give "12A"; a lone letter ("A座") gives "A". Numbers run 1-9999.
func BuildingNumber(s string) (string, error) {
	core := trimAffixes(Normalize(s), "第", "号楼", "栋", "幢", "座", "号", "楼")
	if len(core) == 1 && core[0] >= 'A' && core[0] <= 'Z' {
		return core, nil
	}
	num, letter := core, ""
	if n := len(core); n >= 2 && core[n-1] >= 'A' && core[n-1] <= 'Z' {
		num, letter = strings.TrimSuffix(core[:n-1], "-"), core[n-1:]
	}
	v, ok := parseNumber(num, 9999)
	if !ok {
		return "", fail(ReasonBuilding, "not a building number")
	}
	return strconv.Itoa(v) + letter, nil
}

// UnitNumber returns the canonical unit (stairwell) number: "1", "1单元",
// "第一单元", "一单元", "1门" all give "1". Units run 1-99; names such as
// "东单元" are refused because no rule maps them to a number.
func UnitNumber(s string) (string, error) {
	v, ok := parseNumber(trimAffixes(Normalize(s), "第", "单元", "门"), 99)
	if !ok {
		return "", fail(ReasonUnit, "not a unit number")
	}
	return strconv.Itoa(v), nil
}

// RoomNumber returns a room number with a trailing 室 or 号 removed and
// full-width digits folded: "101", "101室", "１０１号" give "101". It is
// deliberately conservative: 1-5 digits with an optional trailing letter
// ("101A"), digits kept as written (a leading 0 is part of some estates'
// numbering). Compound forms such as "1-101" are refused: the part before
// the hyphen may be a unit or a building, and dropping it could merge two
// flats, so the caller must split it with the person who knows.
func RoomNumber(s string) (string, error) {
	core := trimAffixes(Normalize(s), "", "室", "号")
	digits := core
	if n := len(core); n >= 2 && core[n-1] >= 'A' && core[n-1] <= 'Z' {
		digits = core[:n-1]
	}
	if len(digits) < 1 || len(digits) > 5 || !allDigits(digits) {
		return "", fail(ReasonRoom, "not a room number")
	}
	return core, nil
}

// trimAffixes removes one leading prefix and the first matching suffix.
func trimAffixes(s, prefix string, suffixes ...string) string {
	if prefix != "" {
		s = strings.TrimPrefix(s, prefix)
	}
	for _, suf := range suffixes {
		if t, ok := strings.CutSuffix(s, suf); ok {
			return t
		}
	}
	return s
}

// parseNumber reads ASCII digits ("012" is 12) or a Chinese numeral
// ("十二", "一百零一", or digit by digit "一〇一") between 1 and limit.
func parseNumber(s string, limit int) (int, bool) {
	if s == "" {
		return 0, false
	}
	if allDigits(s) {
		if len(strings.TrimLeft(s, "0")) > 6 {
			return 0, false
		}
		v, err := strconv.Atoi(s)
		return v, err == nil && v >= 1 && v <= limit
	}
	v, ok := parseChinese(s)
	return v, ok && v >= 1 && v <= limit
}

var (
	chineseDigits = map[rune]int{'〇': 0, '零': 0, '一': 1, '二': 2, '两': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9}
	chineseUnits  = map[rune]int{'十': 10, '百': 100, '千': 1000}
)

// parseChinese reads numerals up to 九千九百九十九. With 十/百/千 it is
// positional ("二十一", "一百零五"); without, each character is a digit.
func parseChinese(s string) (int, bool) {
	r := []rune(s)
	if len(r) > 12 {
		return 0, false
	}
	if !strings.ContainsAny(s, "十百千") {
		v := 0
		for _, c := range r {
			d, ok := chineseDigits[c]
			if !ok {
				return 0, false
			}
			v = v*10 + d
		}
		return v, true
	}
	total, digit, hasDigit, lastUnit := 0, 0, false, 10000
	for _, c := range r {
		if d, ok := chineseDigits[c]; ok {
			if hasDigit && d != 0 {
				return 0, false // two digits in a row: "二三十"
			}
			digit, hasDigit = d, d != 0
			continue
		}
		unit := chineseUnits[c]
		if unit == 0 || unit >= lastUnit {
			return 0, false
		}
		if !hasDigit {
			if unit != 10 || total != 0 {
				return 0, false // only a leading 十 may omit its 一
			}
			digit = 1
		}
		total += digit * unit
		digit, hasDigit, lastUnit = 0, false, unit
	}
	return total + digit, true
}
