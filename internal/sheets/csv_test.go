package sheets

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

var residents = [][]string{
	{"姓名", "身份证号", "手机号", "住址"},
	{"张三", "110101199001011234", "13800138000", "幸福里3号楼2单元101"},
	{"李四", "11010119850505432X", "13900139000", "幸福里5号楼, 1单元\n302"},
}

func TestCSVEncodings(t *testing.T) {
	gb, err := simplifiedchinese.GB18030.NewEncoder().Bytes(csvBytes(t, false, residents...))
	check(t, err)
	if bytes.Equal(gb, csvBytes(t, false, residents...)) {
		t.Fatal("GB18030 encoding left the text unchanged")
	}
	for _, tc := range []struct {
		name, encoding string
		data           []byte
	}{
		{"utf8-bom.csv", "utf-8", csvBytes(t, true, residents...)},
		{"utf8.csv", "utf-8", csvBytes(t, false, residents...)},
		{"gb18030.csv", "gb18030", gb},
		{"named-xlsx.xlsx", "utf-8", csvBytes(t, false, residents...)}, // content decides
	} {
		t.Run(tc.name, func(t *testing.T) {
			rd := open(t, tc.name, tc.data, ReadOptions{})
			if rd.Format() != CSV || rd.Encoding() != tc.encoding {
				t.Errorf("format %s %s, want csv %s", rd.Format(), rd.Encoding(), tc.encoding)
			}
			if !slices.Equal(rd.Header(), residents[0]) {
				t.Errorf("header %q", rd.Header())
			}
			rows := readAll(t, rd)
			if len(rows) != 2 {
				t.Fatalf("%d rows", len(rows))
			}
			for i, row := range rows {
				if row.Number != i+2 || !slices.Equal(row.Cells, residents[i+1]) || row.Flags != nil {
					t.Errorf("row %d: %+v", i, row)
				}
			}
		})
	}
}

func TestCSVRowNumbers(t *testing.T) {
	// A blank line is a row to the user; a quoted cell with line breaks
	// is one row.
	data := "名称,备注\r\n甲,\"第一行\r\n第二行\r\n第三行\"\r\n\r\n,,\r\n乙,x\r\n"
	rows := readAll(t, open(t, "n.csv", []byte(data), ReadOptions{}))
	if len(rows) != 2 {
		t.Fatalf("rows %+v", rows)
	}
	if rows[0].Number != 2 || rows[0].Cells[1] != "第一行\n第二行\n第三行" {
		t.Errorf("first %+v", rows[0])
	}
	if rows[1].Number != 5 {
		t.Errorf("second row is number %d, want 5", rows[1].Number)
	}
}

func TestCSVTabs(t *testing.T) {
	rd := open(t, "t.csv", []byte("姓名\t电话\n王五\t13700137000\n"), ReadOptions{})
	if rows := readAll(t, rd); len(rows) != 1 || rows[0].Cells[1] != "13700137000" {
		t.Errorf("rows %+v", rows)
	}
}

func TestCSVCells(t *testing.T) {
	long := strings.Repeat("长", 14)
	data := csvBytes(t, false,
		[]string{"a", "b", "c"},
		[]string{"1.10101E+17", long, "'=1+1"},
		[]string{"x"},
		[]string{"", "", "", "", "extra"},
		[]string{"  ", "", " "},
	)
	rd := open(t, "c.csv", data, ReadOptions{MaxCellRunes: 12})
	rows := readAll(t, rd)
	if len(rows) != 3 {
		t.Fatalf("rows %+v", rows)
	}
	r := rows[0]
	if !r.Flagged(0, ReasonNumberPrecision) || !r.Flagged(1, ReasonTooLong) || len(r.Flags) != 2 {
		t.Errorf("flags %+v", r.Flags)
	}
	if r.Cells[1] != strings.Repeat("长", 12) || r.Cells[2] != "=1+1" {
		t.Errorf("cells %q", r.Cells)
	}
	if !slices.Equal(rows[1].Cells, []string{"x", "", ""}) {
		t.Errorf("short row %q, want it padded to the header", rows[1].Cells)
	}
	if len(rows[2].Cells) != 5 || rows[2].Number != 4 {
		t.Errorf("row with a cell past the header: %+v", rows[2])
	}
}

func TestCSVRefusals(t *testing.T) {
	wide := make([]string, 101)
	for i := range wide {
		wide[i] = "c"
	}
	many := [][]string{{"h"}}
	for range 11 {
		many = append(many, []string{"v"})
	}
	latin1 := []byte("name\ncaf\xe9\xff\n")
	for _, tc := range []struct {
		name string
		data []byte
		opt  ReadOptions
		want Reason
	}{
		{"empty.csv", nil, ReadOptions{}, ReasonEmpty},
		{"bom.csv", utf8BOM, ReadOptions{}, ReasonEmpty},
		{"commas.csv", []byte(",,,\r\n , ,\r\n"), ReadOptions{}, ReasonEmpty},
		{"late.csv", []byte("\n\n姓名\n张三\n"), ReadOptions{}, ReasonNoHeader},
		{"wide.csv", csvBytes(t, false, wide), ReadOptions{}, ReasonTooManyColumns},
		{"wide-row.csv", csvBytes(t, false, []string{"a"}, wide), ReadOptions{}, ReasonTooManyColumns},
		{"many.csv", csvBytes(t, false, many...), ReadOptions{MaxRows: 10}, ReasonTooManyRows},
		{"big.csv", csvBytes(t, false, many...), ReadOptions{MaxBytes: 10}, ReasonTooLarge},
		{"nul.csv", []byte("a,b\n1,\x002\n"), ReadOptions{}, ReasonFormat},
		{"latin1.csv", latin1, ReadOptions{}, ReasonFormat},
		{"utf16.csv", []byte{0xFF, 0xFE, 'a', 0, '\n', 0}, ReadOptions{}, ReasonFormat},
		{"bom-then-gbk.csv", append(slices.Clone(utf8BOM), 0xD5, 0xC5, '\n'), ReadOptions{}, ReasonFormat},
		{"page.csv", []byte("<html><table><tr><td>姓名</td></tr></table></html>"), ReadOptions{}, ReasonFormat},
		{"page.xls", []byte("\r\n<html><table><tr><td>姓名</td></tr></table></html>"), ReadOptions{}, ReasonXLS},
	} {
		if got := refusal(t, tc.name, tc.data, tc.opt); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestHeaderOnly(t *testing.T) {
	xlsx := xlsxBytes(t, func(f *excelize.File) { set(t, f, "Sheet1", [][]any{{"姓名", "身份证号", nil}}) })
	for name, data := range map[string][]byte{
		"h.csv":  []byte("\ufeff姓名,身份证号,\r\n"),
		"h.xlsx": xlsx,
	} {
		rd := open(t, name, data, ReadOptions{})
		if !slices.Equal(rd.Header(), []string{"姓名", "身份证号"}) {
			t.Errorf("%s: header %q", name, rd.Header())
		}
		if rows := readAll(t, rd); len(rows) != 0 {
			t.Errorf("%s: rows %+v", name, rows)
		}
	}
}
