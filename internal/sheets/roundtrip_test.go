package sheets

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// tricky are cells an export must carry unharmed, and the formula payloads
// of anchors-reliability.md item 19.
var tricky = []string{
	"张三", "👨‍👩‍👧 emoji", "007", "110101199001011234", "11010119900101123X", "-5", "+86 138 0013 8000",
	"=1+1", `=HYPERLINK("http://evil.example","点我")`, `=10+20+cmd|' /C calc'!A0`,
	`@SUM(1+1)*cmd|' /C calc'!A0`, "@x", "\tTAB", "\rCR", "\x00NUL", "＝１＋１",
	"", " ", "  lead and trail  ", "a,b", `say "hi"`, "line1\nline2", "line1\r\nline2",
	"'=already quoted", "'plain quote", "'", "_x0041_", "<b>&amp;</b>", "1.10101E+17",
	strings.Repeat("长", 1000),
}

func roundTrip(t *testing.T, format Format, header []string, rows [][]string) (*Reader, []byte) {
	t.Helper()
	var b bytes.Buffer
	w, err := NewWriter(format, &b)
	check(t, err)
	check(t, w.WriteHeader(header))
	for _, row := range rows {
		check(t, w.WriteRow(row))
	}
	check(t, w.Close())
	return open(t, "export"+format.Extension(), b.Bytes(), ReadOptions{}), b.Bytes()
}

func TestRoundTrip(t *testing.T) {
	header := []string{"值", "=危险表头", "备注"}
	var rows [][]string
	for i, v := range tricky {
		rows = append(rows, []string{v, "x", strings.Repeat("y", i%3)})
	}
	for _, format := range []Format{CSV, XLSX} {
		t.Run(string(format), func(t *testing.T) {
			rd, data := roundTrip(t, format, header, rows)
			if !slices.Equal(rd.Header(), header) {
				t.Errorf("header %q", rd.Header())
			}
			got := readAll(t, rd)
			if len(got) != len(rows) {
				t.Fatalf("%d rows, want %d", len(got), len(rows))
			}
			for i, row := range got {
				want := storable(rows[i][0])
				if row.Cells[0] != want || row.Number != i+2 {
					t.Errorf("row %d: %q, want %q", row.Number, row.Cells[0], want)
				}
				if row.Flagged(0, ReasonFormula) {
					t.Errorf("row %d: a formula in an export", row.Number)
				}
			}
			if format == CSV {
				checkCSVExport(t, data)
			} else {
				checkXLSXExport(t, data)
			}
		})
	}
}

// checkCSVExport: a BOM, CRLF line ends, and no cell a spreadsheet could
// run.
func checkCSVExport(t *testing.T, data []byte) {
	if !bytes.HasPrefix(data, utf8BOM) || !bytes.HasSuffix(data, []byte("\r\n")) {
		t.Errorf("CSV without BOM or CRLF: %q...", data[:min(len(data), 20)])
	}
	r := csv.NewReader(bytes.NewReader(data[3:]))
	r.FieldsPerRecord = -1
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		check(t, err)
		for _, v := range rec {
			if runs(v) {
				t.Errorf("CSV cell %q could run as a formula", v)
			}
		}
	}
}

// runs reports whether a spreadsheet could take cell text v for a formula.
func runs(v string) bool {
	v = strings.TrimLeft(v, " ")
	return v != "" && strings.ContainsRune("=+-@\t\r\n\x00＝＋－＠", []rune(v)[0])
}

// checkXLSXExport: every cell is an inline string, and no <f> element.
func checkXLSXExport(t *testing.T, data []byte) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	check(t, err)
	for _, f := range zr.File {
		if f.Name != "xl/worksheets/sheet1.xml" {
			continue
		}
		rc, err := f.Open()
		check(t, err)
		xml, err := io.ReadAll(rc)
		check(t, err)
		s := string(xml)
		if strings.Contains(s, "<f>") || strings.Contains(s, "<f ") {
			t.Error("a formula element in the sheet")
		}
		if cells, strs := strings.Count(s, "<c "), strings.Count(s, `t="inlineStr"`); cells != strs {
			t.Errorf("%d cells, %d of them strings", cells, strs)
		}
		for _, want := range []string{`<pane`, `state="frozen"`, `customWidth="1"`} {
			if !strings.Contains(s, want) {
				t.Errorf("sheet lacks %s", want)
			}
		}
		return
	}
	t.Error("no sheet1.xml")
}

// TestRowsInOrder writes past the rows the xlsx writer holds back to size
// its columns.
func TestRowsInOrder(t *testing.T) {
	var rows [][]string
	for i := range 3 * sampleRows {
		rows = append(rows, []string{strconv.Itoa(i)})
	}
	for _, format := range []Format{CSV, XLSX} {
		rd, _ := roundTrip(t, format, []string{"n"}, rows)
		got := readAll(t, rd)
		if len(got) != len(rows) {
			t.Fatalf("%s: %d rows, want %d", format, len(got), len(rows))
		}
		for i, row := range got {
			if row.Number != i+2 || row.Cells[0] != rows[i][0] {
				t.Fatalf("%s: row %d is %+v", format, i+2, row)
			}
		}
	}
}

func TestWriterErrors(t *testing.T) {
	var b bytes.Buffer
	if _, err := NewWriter("ods", &b); err == nil {
		t.Error("unknown format accepted")
	}
	w, err := NewWriter(XLSX, &b)
	check(t, err)
	if err := w.WriteRow([]string{"x"}); err == nil {
		t.Error("row before header accepted")
	}
	check(t, w.WriteHeader([]string{"a"}))
	if err := w.WriteHeader([]string{"a"}); err == nil {
		t.Error("second header accepted")
	}
	if err := w.WriteRow([]string{strings.Repeat("x", maxXLSXCell+1)}); ReasonOf(err) != ReasonTooLong {
		t.Errorf("overlong cell: %v", err)
	}
	check(t, w.WriteRow([]string{"next"}))
	check(t, w.Close())
	rows := readAll(t, open(t, "w.xlsx", b.Bytes(), ReadOptions{}))
	if len(rows) != 1 || rows[0].Number != 2 || rows[0].Cells[0] != "next" {
		t.Errorf("after a refused row: %+v", rows)
	}
}

func FuzzCSVRoundTrip(f *testing.F) {
	for i, v := range tricky {
		f.Add(v, tricky[(i+1)%len(tricky)])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		var buf bytes.Buffer
		w, err := NewWriter(CSV, &buf)
		check(t, err)
		check(t, w.WriteHeader([]string{"a", "b"}))
		check(t, w.WriteRow([]string{a, b}))
		check(t, w.Close())
		rd, err := Open("f.csv", bytes.NewReader(buf.Bytes()), int64(buf.Len()), ReadOptions{MaxCellRunes: 1 << 20})
		if err != nil {
			t.Fatalf("%q, %q: %v", a, b, err)
		}
		defer rd.Close()
		want := []string{storable(a), storable(b)}
		row, ok := rd.Next()
		if check(t, rd.Err()); blank(want[0]) && blank(want[1]) {
			if ok {
				t.Fatalf("blank row read back as %+v", row)
			}
			return
		}
		if !ok || row.Number != 2 || !slices.Equal(row.Cells, want) {
			t.Fatalf("wrote %q, read %+v (ok %v)", want, row, ok)
		}
		if _, ok := rd.Next(); ok {
			t.Fatal("a second row")
		}
	})
}
