package sheets

import (
	"maps"
	"slices"
	"testing"
)

func TestClean(t *testing.T) {
	for in, want := range map[string]string{
		"":            "",
		"张三":          "张三",
		"  张 三\u3000": "张 三",
		"１１０１０１１９９００１０１１２３Ｘ":      "11010119900101123X",
		"ＡＢＣ＠ｅｘａｍｐｌｅ．ｃｏｍ":         "ABC@example.com",
		"（幸福里）３号楼":                "(幸福里)3号楼",
		"\ufeff姓名":                "姓名",
		"138\u200b0013\u200d8000": "13800138000",
		"a\x00b\x07c\x7fd\u0085e": "abcde",
		"第一行\r\n第二行\t末":           "第一行  第二行 末",
		"gpj.\u202eexe":           "gpj.exe",
		"\xff坏":                   "\uFFFD坏",
		"句号。顿号、":                  "句号。顿号、",
		"\u00a0nbsp\u00a0":        "nbsp",
	} {
		if got := Clean(in); got != want {
			t.Errorf("Clean(%q) = %q, want %q", in, got, want)
		}
	}
}

var residentColumns = []Column{
	{Key: "name", Names: []string{"姓名", "名字", "Name"}, Required: true},
	{Key: "id_number", Names: []string{"身份证号", "身份证", "公民身份号码", "ID number"}, Required: true},
	{Key: "phone", Names: []string{"手机号", "联系电话", "电话", "Phone"}},
	{Key: "address", Names: []string{"住址", "Address"}},
}

func TestMatchHeader(t *testing.T) {
	for _, tc := range []struct {
		name     string
		header   []string
		want     map[string]int
		problems []HeaderProblem
	}{
		{
			name:   "chinese, any order, marks and full-width",
			header: []string{"\ufeff＊身份证号（必填）", "备注", " 姓 名 * ", "", "联系电话(选填)"},
			want:   map[string]int{"id_number": 0, "name": 2, "phone": 4},
			problems: []HeaderProblem{
				{Reason: ReasonUnknownColumn, Index: 1, Name: "备注"},
			},
		},
		{
			name:   "english and keys",
			header: []string{"PHONE", "Id_Number", "name", "Extra Column", "ADDRESS"},
			want:   map[string]int{"phone": 0, "id_number": 1, "name": 2, "address": 4},
			problems: []HeaderProblem{
				{Reason: ReasonUnknownColumn, Index: 3, Name: "Extra Column"},
			},
		},
		{
			name:   "duplicate and missing",
			header: []string{"电话", "手机号", "住址"},
			want:   map[string]int{"phone": 0, "address": 2},
			problems: []HeaderProblem{
				{Reason: ReasonDuplicateColumn, Index: 1, Name: "手机号", Key: "phone"},
				{Reason: ReasonMissingColumn, Index: -1, Key: "name"},
				{Reason: ReasonMissingColumn, Index: -1, Key: "id_number"},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, problems := MatchHeader(tc.header, residentColumns)
			if !maps.Equal(got, tc.want) {
				t.Errorf("found %v, want %v", got, tc.want)
			}
			if !slices.Equal(problems, tc.problems) {
				t.Errorf("problems %+v, want %+v", problems, tc.problems)
			}
		})
	}
}

func TestFormulaEscape(t *testing.T) {
	for in, want := range map[string]string{
		"=1+1":        "'=1+1",
		"+86 138":     "'+86 138",
		"-5":          "'-5",
		"@SUM(A1)":    "'@SUM(A1)",
		"\tx":         "'\tx",
		"\rx":         "'\rx",
		"＝1":          "'＝1",
		" =1":         "' =1",
		"'=1":         "''=1",
		"''-1":        "'''-1",
		"'abc":        "'abc",
		"'":           "'",
		"abc=1":       "abc=1",
		"张三":          "张三",
		"":            "",
		"110101X":     "110101X",
		"1.5":         "1.5",
		"=HYPERLINK(": "'=HYPERLINK(",
	} {
		got := escapeFormula(in)
		if got != want {
			t.Errorf("escapeFormula(%q) = %q, want %q", in, got, want)
		}
		if back := unescapeFormula(got); back != in {
			t.Errorf("unescapeFormula(%q) = %q, want %q", got, back, in)
		}
	}
}

func TestStorable(t *testing.T) {
	for in, want := range map[string]string{
		"a\r\nb\rc\nd": "a\nb\nc\nd",
		"x\x00y\x01z":  "xyz",
		"\ttab":        "\ttab",
		"bad\xffutf8":  "bad\uFFFDutf8",
		"no\uFFFEnon":  "nonon",
		"张三👨‍👩‍👧":      "张三👨‍👩‍👧",
	} {
		if got := storable(in); got != want {
			t.Errorf("storable(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestScientific(t *testing.T) {
	for in, want := range map[string]bool{
		"1.10101E+17": true, "1.10101199001012E+17": true, "1E+11": true, "-2.5e+12": true,
		"1E+10": false, "1.5E-17": false, "E+17": false, "1.1E+": false, "abcE+17": false,
		"110101199001011234": false, "1.2.3E+17": false,
	} {
		if got := scientific(in); got != want {
			t.Errorf("scientific(%q) = %v", in, got)
		}
	}
}
