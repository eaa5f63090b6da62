package sheets

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// scanAll runs a scanner over a worksheet part and describes every row it
// reports, and whether it failed.
func scanAll(part string, ref bool) (string, bool) {
	var b strings.Builder
	var (
		next  func() (bool, error)
		state func() (row int, cells []cellMeta, text func(span) []byte)
	)
	if ref {
		s := newRefScanner(strings.NewReader(part))
		next = s.next
		state = func() (int, []cellMeta, func(span) []byte) { return s.row, s.cells, s.bytes }
	} else {
		s := newSheetScanner(io.NopCloser(strings.NewReader(part)))
		next = s.next
		state = func() (int, []cellMeta, func(span) []byte) { return s.row, s.cells, s.bytes }
	}
	for range 10000 {
		ok, err := next()
		if err != nil {
			return b.String(), false
		}
		if !ok {
			return b.String(), true
		}
		row, cells, text := state()
		fmt.Fprintf(&b, "row %d:", row)
		for _, m := range cells {
			fmt.Fprintf(&b, " %d{%q %d %v %q %v %q}", m.col, m.typ, m.style, m.formula, text(m.v), m.hasIS, text(m.is))
		}
		b.WriteString("\n")
	}
	return b.String(), false
}

func sheetPart(t testing.TB, data []byte) string {
	t.Helper()
	z, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	f, err := z.Open("xl/worksheets/sheet1.xml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var scanCorpus = []string{
	`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>姓名 &amp; &lt;x&gt;</t></is></c></row>
<row r="3" spans="1:4"><c r="A3" s="2"><v>32875</v></c><c r="C3" t="n"><f>A3+1</f><v>32876</v></c><c r="D3" t="str"><f>"x"</f><v>x</v></c></row>
<row r="4"/><row r="5"><c r="A5"/><c r="B5" s="7"/><c t="b"><v>1</v></c><c><v>1.5E+17</v></c></row>
</sheetData></worksheet>`,
	// Prefixed names, comments and a processing instruction, single quotes,
	// '>' in a value, spaces around '=', CDATA, character references, CR LF.
	"<x:worksheet xmlns:x='urn:x'><!-- a > comment --><?pi x?><x:sheetData>\r\n" +
		"<x:row r = '2' x:ht='15'><x:c r='B2' s = \"3\" t='n' note='a>b'><x:f/><x:v><![CDATA[12]]>3</x:v></x:c>" +
		"<x:c r='C2'><x:v>&#49;&#x32;\r\n</x:v></x:c></x:row>\r\n" +
		"<x:row><x:c><x:v>7</x:v></x:c><x:c><x:v>8</x:v></x:c></x:row>" +
		"<x:row r='9'><x:c r='E9'><x:v>2<x:extra>9</x:extra>3</x:v></x:c><x:c r='ZZ9'><x:v>1</x:v></x:c></x:row>" +
		"</x:sheetData></x:worksheet>",
	// Rows and cells without references, and more columns than the limit.
	`<worksheet><sheetData><row><c><v>1</v></c><c><v>2</v></c><c><v>3</v></c><c><v>4</v></c><c><v>5</v></c></row><row/><row><c t="e"><v>#N/A</v></c></row></sheetData></worksheet>`,
	// Rich text with phonetic runs, escapes, several <t>, odd references
	// and styles, rows numbered 0, several <v>.
	`<worksheet><sheetData><row r="0"><c r="$B$1" t="inlineStr"><is><r><rPr><b/></rPr><t>张</t></r><rPh sb="0" eb="1"><t>zhang</t></rPh>` +
		`<r><t xml:space="preserve"> 三 </t><t>三</t></r><t>first</t><t>_x000D__x005F_x0041_</t></is></c><c s="x" t="s"><v>1</v></c>` +
		`<c t="s"><v> 2 </v></c><c r="e01"><v>1</v><v>2</v><f>A1</f></c></row><row r="0"><c r="A2" s="3"><f t="shared" si="0"/></c></row></sheetData></worksheet>`,
	// Broken: end of input inside a row, a cell, a tag; bad attribute.
	`<worksheet><sheetData><row r="1"><c r="A1"><v>1</v></c>`,
	`<worksheet><sheetData><row r="1"><c r="A1"><v>1`,
	`<worksheet><sheetData><row r="1"><c r="A1`,
	`<worksheet><sheetData><row r="1"><c r=A1><v>1</v></c></row></sheetData></worksheet>`,
	`<worksheet><sheetData><row r="x"><c r="A1"><v>1</v></c></row></sheetData></worksheet>`,
	`<worksheet><sheetData><row r="1"><c r="A1"><v>&bogus;</v></c></row></sheetData></worksheet>`,
	`<worksheet><sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData></worksheet>trailing`,
	// Refused: rows and cells out of order, a cell past XFD.
	`<worksheet><sheetData><row r="2"><c r="A2"><v>1</v></c></row><row r="2"/></sheetData></worksheet>`,
	`<worksheet><sheetData><row r="2"><c r="B2"><v>1</v></c><c r="A2"/></row></sheetData></worksheet>`,
	`<worksheet><sheetData><row r="2"><c r="XFE2"><v>1</v></c></row></sheetData></worksheet>`,
	``,
}

// The hand-written lexer sees what encoding/xml sees.
func TestScannerMatchesEncodingXML(t *testing.T) {
	corpus := append([]string(nil), scanCorpus...)
	corpus = append(corpus, sheetPart(t, xlsxBytes(t, func(f *excelize.File) {
		set(t, f, "Sheet1", [][]any{
			{"姓名", "出生日期", "身份证号", "手机号", "金额", "是否"},
			{"张三", time.Date(1990, 1, 2, 0, 0, 0, 0, time.UTC), "110101199001011234", 13800138000, 0.1 + 0.2, true},
			{"李四 <&>", 32875, 1.10101199001012e17, "", -45000.5, false},
		})
		check(t, f.SetCellFormula("Sheet1", "G2", "=E2*2"))
		date, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
		check(t, f.SetCellStyle("Sheet1", "B3", "B3", date))
	})))
	var w bytes.Buffer
	sw, err := NewWriter(XLSX, &w)
	check(t, err)
	check(t, sw.WriteHeader([]string{"a", "b"}))
	check(t, sw.WriteRow([]string{"=1+1", "  x\r\ny  "}))
	check(t, sw.Close())
	corpus = append(corpus, sheetPart(t, w.Bytes()))
	for i, part := range corpus {
		want, wantOK := scanAll(part, true)
		got, gotOK := scanAll(part, false)
		if got != want || gotOK != wantOK {
			t.Errorf("part %d:\nencoding/xml (ok %v):\n%s\nlexer (ok %v):\n%s", i, wantOK, want, gotOK, got)
		}
	}
}

// FuzzScanner: on any input the lexer reports the rows encoding/xml does
// whenever encoding/xml reads the part without error.
func FuzzScanner(f *testing.F) {
	for _, p := range scanCorpus {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, part string) {
		want, wantOK := scanAll(part, true)
		got, gotOK := scanAll(part, false)
		if wantOK && (!gotOK || got != want) {
			t.Fatalf("encoding/xml:\n%s\nlexer (ok %v):\n%s", want, gotOK, got)
		}
	})
}
