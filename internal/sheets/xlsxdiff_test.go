package sheets

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// excelizeSource is how this package read an xlsx sheet before it read
// xlsx itself: the text from excelize's row iterator, with the package's
// dates and flags on top, from the cell metadata (formula, type, style,
// stored value) of a scanner over the sheet — then the sheetScanner, here
// refScanner, which is built on encoding/xml. It is the oracle of the
// differential test.
type excelizeSource struct {
	f        *excelize.File
	meta     map[[2]int]oldMeta // by row, column
	styles   map[int]numKind
	rows     *excelize.Rows
	num      int
	date1904 bool
}

type oldMeta struct {
	typ     string
	style   int
	formula bool
	raw     string
}

func newExcelizeSource(t testing.TB, data []byte, date1904 bool) *excelizeSource {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	check(t, err)
	rows, err := f.Rows(f.GetSheetName(0))
	check(t, err)
	meta := make(map[[2]int]oldMeta)
	z, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	check(t, err)
	part, err := z.Open("xl/worksheets/sheet1.xml")
	check(t, err)
	defer part.Close()
	for s := newRefScanner(part); ; {
		if ok, err := s.next(); !ok || err != nil {
			break
		}
		for _, c := range s.cells {
			meta[[2]int{s.row, c.col}] = oldMeta{c.typ, c.style, c.formula, string(s.bytes(c.v))}
		}
	}
	return &excelizeSource{f: f, meta: meta, styles: make(map[int]numKind), rows: rows, date1904: date1904}
}

func (s *excelizeSource) next() (rawRow, error) {
	for s.rows.Next() {
		s.num++
		cells, err := s.rows.Columns()
		if err != nil {
			return rawRow{}, &Error{Reason: ReasonFormat, Row: s.num, Err: err}
		}
		if len(cells) == 0 {
			continue
		}
		var flags []Flag
		for i := range cells {
			m, ok := s.meta[[2]int{s.num, i + 1}]
			if !ok {
				continue
			}
			if m.formula {
				flags = append(flags, Flag{i, ReasonFormula})
			}
			if m.raw == "" || (m.typ != "" && m.typ != "n") {
				continue
			}
			kind, ok := s.styles[m.style]
			if !ok {
				if st, err := s.f.GetStyle(m.style); err == nil {
					kind = formatKind(st.NumFmt, st.CustomNumFmt)
				}
				s.styles[m.style] = kind
			}
			if kind != kindNumber {
				if d, ok := excelDate(m.raw, kind, s.date1904); ok {
					cells[i] = d
				}
			} else if bigNumber(m.raw) {
				flags = append(flags, Flag{i, ReasonNumberPrecision})
			}
		}
		return rawRow{num: s.num, cells: cells, flags: flags}, nil
	}
	return rawRow{}, io.EOF
}

func (s *excelizeSource) close() error { return errors.Join(s.rows.Close(), s.f.Close()) }

// readWith reads every row of data through a Reader over src, or the
// error that stopped it.
func readWith(src source, opt ReadOptions) ([]Row, []string, error) {
	rd := &Reader{format: XLSX, opt: opt.withDefaults(), src: src}
	defer rd.Close()
	if err := rd.readHeader(); err != nil {
		return nil, nil, err
	}
	var rows []Row
	for {
		row, ok := rd.Next()
		if !ok {
			break
		}
		rows = append(rows, row)
	}
	return rows, rd.Header(), rd.Err()
}

// sameAsExcelize checks that this package reads data exactly as excelize
// and the old date handling did.
func sameAsExcelize(t *testing.T, name string, data []byte, date1904 bool) {
	t.Helper()
	opt := ReadOptions{MaxColumns: 200}
	wantRows, wantHeader, wantErr := readWith(newExcelizeSource(t, data, date1904), opt)
	rd, err := Open(name, bytes.NewReader(data), int64(len(data)), opt)
	var gotRows []Row
	var gotHeader []string
	if err == nil {
		gotHeader = rd.Header()
		for {
			row, ok := rd.Next()
			if !ok {
				break
			}
			gotRows = append(gotRows, row)
		}
		err = rd.Err()
		rd.Close()
	}
	if ReasonOf(err) != ReasonOf(wantErr) {
		t.Fatalf("%s: error %v, excelize %v", name, err, wantErr)
	}
	if !reflect.DeepEqual(gotHeader, wantHeader) {
		t.Errorf("%s: header %q, excelize %q", name, gotHeader, wantHeader)
	}
	if len(gotRows) != len(wantRows) {
		t.Errorf("%s: %d rows, excelize %d", name, len(gotRows), len(wantRows))
	}
	for i := range min(len(gotRows), len(wantRows)) {
		if g, w := gotRows[i], wantRows[i]; !reflect.DeepEqual(g, w) {
			t.Errorf("%s: row %d:\n got %q %+v\nwant %q %+v", name, w.Number, g.Cells, g.Flags, w.Cells, w.Flags)
		}
	}
}

// diffValues are values a generated sheet's cells take.
var diffValues = []any{
	"张三", " 前后空格 ", "  ", "line1\nline2", "_x0041_ literal", "a_x005F_b", "007", "110101199001011234",
	"1.10101E+17", "=1+1", "'quoted", "TRUE", "", "#N/A", "＝１", strings.Repeat("长", 50),
	0, 1, -1, 7, 42, 13800138000, 110101199001011234, 123456789012, 123456789012345, 1234567890123456,
	math.Copysign(0, -1), 999999999999999, -123456789012345, 0.1 + 0.2, 1e-7, -45000.5, 1.5e17, 3.14159265358979, 12345.6789, 0.5, -0.25, 1e300, 32875, 45000.25, -3,
	true, false, time.Date(1990, 1, 2, 0, 0, 0, 0, time.UTC), time.Date(2023, 3, 15, 12, 30, 15, 0, time.UTC),
	nil, nil, nil,
}

// diffStyles are the styles generated cells get: none, General with a
// font, text, dates of every kind, and formats shown by the fallback.
var diffStyles = []*excelize.Style{
	nil,
	{Font: &excelize.Font{Bold: true}},
	{NumFmt: 49},
	{NumFmt: 14},
	{NumFmt: 22},
	{NumFmt: 15},
	{NumFmt: 31},
	{NumFmt: 1},
	{NumFmt: 2},
	{NumFmt: 3},
	{NumFmt: 9},
	{NumFmt: 11},
	{NumFmt: 20},
	{NumFmt: 45},
	{CustomNumFmt: ptr(`yyyy"年"m"月"d"日"`)},
	{CustomNumFmt: ptr(`[$-804]yyyy/m/d h:mm:ss`)},
	{CustomNumFmt: ptr("000")},
	{CustomNumFmt: ptr("General")},
	{CustomNumFmt: ptr("@")},
	{CustomNumFmt: ptr(`#,##0.00" 元"`)},
	{CustomNumFmt: ptr(`0;[Red]-0;"零";"文本:"@`)},
	{CustomNumFmt: ptr("h:mm")},
}

func ptr[T any](v T) *T { return &v }

// generated builds a random sheet: values of every kind, styled, with
// gaps between rows and cells, some formulas and rich text; written
// cell by cell (shared strings) or with the stream writer (inline
// strings).
func generated(t *testing.T, seed uint64, stream, date1904 bool) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	f := excelize.NewFile()
	defer f.Close()
	if date1904 {
		check(t, f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &date1904}))
	}
	var ids []int
	for _, st := range diffStyles {
		id := 0
		if st != nil {
			var err error
			id, err = f.NewStyle(st)
			check(t, err)
		}
		ids = append(ids, id)
	}
	var sw *excelize.StreamWriter
	if stream {
		var err error
		sw, err = f.NewStreamWriter("Sheet1")
		check(t, err)
	}
	width := 3 + r.IntN(12)
	header := make([]any, width)
	for i := range header {
		header[i] = fmt.Sprintf("列%d", i+1)
	}
	if stream {
		check(t, sw.SetRow("A1", header))
	} else {
		set(t, f, "Sheet1", [][]any{header})
	}
	row := 1
	for range 40 + r.IntN(40) {
		row += 1 + r.IntN(3)*r.IntN(2) // gaps of empty rows now and then
		var cells []any
		for c := range width + r.IntN(3) - 1 {
			v := diffValues[r.IntN(len(diffValues))]
			style := ids[r.IntN(len(ids))]
			ref, _ := excelize.CoordinatesToCellName(c+1, row)
			switch {
			case stream:
				cell := excelize.Cell{StyleID: style, Value: v}
				if r.IntN(20) == 0 {
					cell.Formula = "1+1"
				}
				cells = append(cells, cell)
			case r.IntN(25) == 0:
				check(t, f.SetCellRichText("Sheet1", ref, []excelize.RichTextRun{
					{Text: "粗体", Font: &excelize.Font{Bold: true}}, {Text: fmt.Sprint(" ", v)}}))
			case r.IntN(25) == 0:
				check(t, f.SetCellFormula("Sheet1", ref, "SUM(A1:A2)"))
			case v != nil:
				check(t, f.SetCellValue("Sheet1", ref, v))
				if style != 0 {
					check(t, f.SetCellStyle("Sheet1", ref, ref, style))
				}
			}
		}
		if stream {
			ref, _ := excelize.CoordinatesToCellName(1, row)
			check(t, sw.SetRow(ref, cells))
		}
	}
	if stream {
		check(t, sw.Flush())
	}
	var b bytes.Buffer
	_, err := f.WriteTo(&b)
	check(t, err)
	return b.Bytes()
}

func TestXLSXSameAsExcelize(t *testing.T) {
	for seed := range uint64(24) {
		stream, date1904 := seed%2 == 1, seed%3 == 2
		name := fmt.Sprintf("generated-%d-stream-%v-1904-%v.xlsx", seed, stream, date1904)
		sameAsExcelize(t, name, generated(t, seed, stream, date1904), date1904)
	}
	for _, date1904 := range []bool{false, true} {
		sameAsExcelize(t, fmt.Sprintf("matrix-1904-%v.xlsx", date1904), matrix(t, date1904), date1904)
	}
	for name, part := range handWritten {
		data := withParts(t, map[string]string{
			"xl/worksheets/sheet1.xml": part,
			"xl/sharedStrings.xml":     handSST,
		})
		sameAsExcelize(t, name, data, false)
	}
	// The package's own exports, with every tricky value.
	var b bytes.Buffer
	w, err := NewWriter(XLSX, &b)
	check(t, err)
	check(t, w.WriteHeader([]string{"值", "备注"}))
	for _, v := range tricky {
		check(t, w.WriteRow([]string{v, "x"}))
	}
	check(t, w.Close())
	sameAsExcelize(t, "export.xlsx", b.Bytes(), false)
}

// matrix is a sheet with every value of diffValues in every style of
// diffStyles: a row a value, a column a style.
func matrix(t *testing.T, date1904 bool) []byte {
	return xlsxBytes(t, func(f *excelize.File) {
		check(t, f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &date1904}))
		for c, st := range diffStyles {
			ref, _ := excelize.CoordinatesToCellName(c+1, 1)
			check(t, f.SetCellValue("Sheet1", ref, fmt.Sprintf("样式%d", c)))
			id := 0
			if st != nil {
				var err error
				id, err = f.NewStyle(st)
				check(t, err)
			}
			for r, v := range diffValues {
				ref, _ := excelize.CoordinatesToCellName(c+1, r+2)
				if v != nil {
					check(t, f.SetCellValue("Sheet1", ref, v))
				}
				check(t, f.SetCellStyle("Sheet1", ref, ref, id))
			}
		}
	})
}

// handSST is a shared string table as Excel writes one, with rich text,
// phonetic runs, escapes and kept white space.
const handSST = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="6" uniqueCount="6">` +
	`<si><t>姓名</t></si><si><t xml:space="preserve">  空格  </t></si>` +
	`<si><r><rPr><b/></rPr><t>张</t></r><r><t>三</t></r><rPh sb="0" eb="1"><t>ZHANG</t></rPh><phoneticPr fontId="1"/></si>` +
	`<si><t>a_x000D_b_x005F_x0041_</t></si><si><t/></si><si><t>x&amp;y&lt;&#x4E2D;</t></si>` +
	`<si><t>first</t><t>second</t><r><t>r1</t><t>r2</t></r></si><si><t>a<b/>b</t><!-- c --><t><![CDATA[<x>]]></t></si></sst>`

// handWritten are worksheet parts as other programs write them: rows and
// cells without references, every cell type, gaps.
var handWritten = map[string]string{
	"no-references.xlsx": `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` +
		`<row><c t="s"><v>0</v></c><c t="s"><v>1</v></c><c t="s"><v>2</v></c><c t="s"><v>3</v></c></row>` +
		`<row><c t="s"><v>4</v></c><c t="s"><v>5</v></c><c t="inlineStr"><is><t>内联</t></is></c><c t="b"><v>1</v></c></row>` +
		`<row/><row><c t="e"><v>#DIV/0!</v></c><c/><c><v>1.5E+17</v></c><c t="str"><f>A1</f><v>公式</v></c></row>` +
		`<row r="9"><c r="C9" t="b"><v>0</v></c><c><v>007</v></c><c t="d"><v>2023-03-15T12:00:00Z</v></c></row>` +
		`<row><c t="s"><v> 5 </v></c><c t="s"><v>99</v></c><c t="s"><v>abc</v></c><c t="n"><v>-0</v></c><c t="s"/><c t="s"><v>6</v></c><c t="s"><v>7</v></c></row>` +
		`</sheetData></worksheet>`,
	"gaps.xlsx": `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` +
		`<row r="1"><c r="B1" t="s"><v>0</v></c><c r="E1" t="inlineStr"><is><r><t>富</t></r><r><t>文本</t></r></is></c></row>` +
		`<row r="3" spans="1:5"><c r="A3"><v>1E-7</v></c><c r="D3"><v>123456789012345678</v></c></row>` +
		`<row r="4"><c r="A4"><f>1+1</f></c><c r="B4" t="str"><f>""</f><v></v></c></row>` +
		`<row r="7"><c r="A7" t="inlineStr"><v>无 is</v></c><c r="B7" t="b"><v>yes</v></c><c r="C7" t="x"><v>3</v></c></row>` +
		`</sheetData></worksheet>`,
}

// withParts builds a minimal workbook of one sheet from the given parts.
func withParts(t *testing.T, parts map[string]string) []byte {
	t.Helper()
	base := map[string]string{
		"[Content_Types].xml": `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
			`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>` +
			`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
			`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>` +
			`<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`,
		"_rels/.rels": `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
		"xl/workbook.xml": `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
			`<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>` +
			`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`,
	}
	for name, body := range parts {
		base[name] = body
	}
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, body := range base {
		w, err := zw.Create(name)
		check(t, err)
		_, err = io.WriteString(w, body)
		check(t, err)
	}
	check(t, zw.Close())
	return b.Bytes()
}

// wellFormed reports whether encoding/xml reads part to its end, tags
// matched.
func wellFormed(part string) bool {
	d := xml.NewDecoder(strings.NewReader(part))
	for {
		_, err := d.Token()
		if err != nil {
			return errors.Is(err, io.EOF)
		}
	}
}

// FuzzXLSXSameAsExcelize: on any well-formed worksheet part that both read without
// error, this package and excelize give the same rows. (This package
// refuses some parts excelize reads into garbage: rows or cells out of
// order, malformed XML excelize stops at silently.)
func FuzzXLSXSameAsExcelize(f *testing.F) {
	for _, part := range handWritten {
		f.Add(part)
	}
	for _, part := range scanCorpus {
		f.Add(part)
	}
	f.Fuzz(func(t *testing.T, part string) {
		if !wellFormed(part) {
			return // excelize stops silently where this package refuses
		}
		data := withParts(t, map[string]string{"xl/worksheets/sheet1.xml": part, "xl/sharedStrings.xml": handSST})
		opt := ReadOptions{MaxColumns: 50, MaxRows: 50}
		want, wantHeader, wantErr := readWith(newExcelizeSource(t, data, false), opt)
		if wantErr != nil {
			return
		}
		rd, err := Open("fuzz.xlsx", bytes.NewReader(data), int64(len(data)), opt)
		if err != nil {
			return
		}
		defer rd.Close()
		got := []Row{}
		for {
			row, ok := rd.Next()
			if !ok {
				break
			}
			got = append(got, row)
		}
		if rd.Err() != nil {
			return
		}
		if want == nil {
			want = []Row{}
		}
		if !reflect.DeepEqual(rd.Header(), wantHeader) || !reflect.DeepEqual(got, want) {
			t.Fatalf("header %q rows %+v\nexcelize: header %q rows %+v", rd.Header(), got, wantHeader, want)
		}
	})
}
