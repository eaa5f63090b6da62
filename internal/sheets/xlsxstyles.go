package sheets

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"
)

// styles is what reading needs of xl/styles.xml: for each cell style
// (an index into cellXfs), how its number format shows a value, and
// whether it shows a date.
type styles struct {
	format   []fmtMode // by style
	kind     []numKind // by style
	part     []byte    // the part, for the fallback formatter
	date1904 bool
	fallback *fallbackFormatter
}

// fmtMode is what a style's number format does to a value.
type fmtMode uint8

const (
	fmtNone    fmtMode = iota // nothing: no style, no such style, "@", a format excelize does not know
	fmtGeneral                // General: long numbers cut to 10 digits (generalFormat)
	fmtInteger                // "0", how phone numbers are often formatted: integers as they are
	fmtOther                  // anything else: left to excelize (fallbackFormatter)
)

// builtInFormats are the ids excelize has a built-in format code for,
// apart from the language-dependent ones (isLangFormat).
func builtInFormat(id int) bool {
	return 0 <= id && id <= 4 || 9 <= id && id <= 22 || 37 <= id && id <= 49
}

func isLangFormat(id int) bool {
	return 27 <= id && id <= 36 || 50 <= id && id <= 62 || 67 <= id && id <= 81
}

// readStyles reads xl/styles.xml, where excelize looks for it. A missing
// or unreadable part leaves every value unformatted, as excelize does.
func readStyles(wb *workbook) *styles {
	st := &styles{date1904: wb.date1904}
	f, ok := wb.parts["xl/styles.xml"]
	if !ok || f.UncompressedSize64 > maxMetaPart {
		return st
	}
	part, err := readPart(f)
	if err != nil {
		return st
	}
	var doc struct {
		NumFmts []struct {
			ID     int    `xml:"numFmtId,attr"`
			Code   string `xml:"formatCode,attr"`
			Code16 string `xml:"http://schemas.microsoft.com/office/spreadsheetml/2015/02/main formatCode16,attr"`
		} `xml:"numFmts>numFmt"`
		CellXfs *struct {
			Xf []struct {
				NumFmtID *int `xml:"numFmtId,attr"`
			} `xml:"xf"`
		} `xml:"cellXfs"`
	}
	if err := xmlDecode(part, &doc); err != nil || doc.CellXfs == nil {
		return st
	}
	st.part = part
	// excelize shows a value by the first custom format with the style's
	// id (its formatCode16 if any), and classifies it (GetStyle) by the
	// built-in format or else by the last custom one's formatCode.
	shown := make(map[int]string)
	classed := make(map[int]string)
	for _, nf := range doc.NumFmts {
		if _, ok := shown[nf.ID]; !ok {
			shown[nf.ID] = nf.Code
			if nf.Code16 != "" {
				shown[nf.ID] = nf.Code16
			}
		}
		classed[nf.ID] = nf.Code
	}
	n := len(doc.CellXfs.Xf)
	st.format, st.kind = make([]fmtMode, n), make([]numKind, n)
	for i, xf := range doc.CellXfs.Xf {
		id := 0
		if xf.NumFmtID != nil {
			id = *xf.NumFmtID
		}
		if code, ok := shown[id]; ok {
			switch {
			case strings.EqualFold(code, "general"):
				st.format[i] = fmtGeneral
			case code == "0":
				st.format[i] = fmtInteger
			case code != "@":
				st.format[i] = fmtOther
			}
		} else {
			switch {
			case id == 0:
				st.format[i] = fmtGeneral
			case id == 1: // "0"
				st.format[i] = fmtInteger
			case id == 49: // "@"
			case builtInFormat(id) || isLangFormat(id):
				st.format[i] = fmtOther
			}
		}
		if xf.NumFmtID == nil {
			continue
		}
		if builtInFormat(id) || isLangFormat(id) {
			st.kind[i] = dateFormats[id]
		} else if code, ok := classed[id]; ok {
			st.kind[i] = formatKind(0, &code)
		}
	}
	if n > 0 {
		st.format[0] = fmtNone // excelize does not format cells of style 0
	}
	return st
}

// kindOf is the date kind of a style.
func (st *styles) kindOf(style int) numKind {
	if style < 0 || style >= len(st.kind) {
		return kindNumber
	}
	return st.kind[style]
}

// show returns the text a value is shown as in a cell of the given style:
// number is whether the cell is a number cell (its value then already
// in generalNumber's form).
func (st *styles) show(style int, value string, number bool) string {
	mode := fmtNone
	if style >= 0 && style < len(st.format) {
		mode = st.format[style]
	}
	switch mode {
	case fmtGeneral:
		if number {
			return generalFormat(value)
		}
	case fmtInteger:
		if !number || plainInteger([]byte(value)) && value != "-0" {
			return value
		}
		fallthrough
	case fmtOther:
		if st.fallback == nil {
			st.fallback = &fallbackFormatter{styles: st.part, date1904: st.date1904}
		}
		return st.fallback.show(style, value, number)
	}
	return value
}

func (st *styles) close() error {
	if st.fallback != nil {
		return st.fallback.close()
	}
	return nil
}

// fallbackFormatter shows values in the number formats this package does
// not apply itself — percentages, thousands separators, "000", dates that
// are no date, ... — by asking excelize, in a scratch workbook that has
// the upload's styles: the text is then exactly what excelize's row
// iterator gave. It costs microseconds a cell, and such formats are rare
// in a register; General, "@" and dates, the usual ones, never get here.
type fallbackFormatter struct {
	styles   []byte
	date1904 bool
	file     *excelize.File
	err      error
	texts    int // strings added to the scratch file's shared string table
}

// fallbackTexts bounds the scratch file's shared string table, which
// grows by every distinct text shown: past it, the file is built anew.
const fallbackTexts = 4096

func (ff *fallbackFormatter) show(style int, value string, number bool) string {
	if ff.file == nil || ff.texts > fallbackTexts {
		ff.close()
		ff.file, ff.err = scratchWorkbook(ff.styles, ff.date1904)
		ff.texts = 0
	}
	if ff.err != nil {
		return value // as excelize, when it cannot read the styles
	}
	f := ff.file
	var err error
	if ok, _, _ := numeric(value); number && ok {
		err = f.SetCellDefault(sheetName, "A1", value) // a number cell
	} else {
		// A shared string cell. excelize decodes _xHHHH_ escapes when it
		// reads one; value is decoded already, so its "_x" are escaped.
		err = f.SetCellStr(sheetName, "A1", strings.ReplaceAll(value, "_x", "_x005F_x"))
		ff.texts++
	}
	if err == nil {
		err = f.SetCellStyle(sheetName, "A1", "A1", style)
	}
	if err != nil {
		return value
	}
	shown, err := f.GetCellValue(sheetName, "A1")
	if err != nil {
		return value
	}
	return shown
}

func (ff *fallbackFormatter) close() error {
	if ff.file == nil {
		return nil
	}
	err := ff.file.Close()
	ff.file = nil
	return err
}

// scratchWorkbook builds a workbook of one empty sheet with the given
// styles part.
func scratchWorkbook(stylesPart []byte, date1904 bool) (*excelize.File, error) {
	pr := ""
	if date1904 {
		pr = `<workbookPr date1904="1"/>`
	}
	const ns = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"`
	const rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
	parts := []struct{ name, body string }{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
			`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>` +
			`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
			`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>` +
			`<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="` + rel + `/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{"xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8"?><workbook ` + ns + ` xmlns:r="` + rel + `">` + pr +
			`<sheets><sheet name="` + sheetName + `" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="` + rel + `/worksheet" Target="worksheets/sheet1.xml"/>` +
			`<Relationship Id="rId2" Type="` + rel + `/styles" Target="styles.xml"/></Relationships>`},
		{"xl/worksheets/sheet1.xml", `<?xml version="1.0" encoding="UTF-8"?><worksheet ` + ns + `><sheetData/></worksheet>`},
		{"xl/styles.xml", string(stylesPart)},
	}
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, p := range parts {
		w, err := zw.Create(p.name)
		if err != nil {
			return nil, err
		}
		if _, err := io.WriteString(w, p.body); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	f, err := excelize.OpenReader(&b)
	if err != nil {
		return nil, fmt.Errorf("scratch workbook: %w", err)
	}
	return f, nil
}
