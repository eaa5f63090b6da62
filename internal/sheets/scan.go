package sheets

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/xuri/excelize/v2"
)

// sheetScanner reads a worksheet part one <row> at a time with the
// hand-written lexer, and gives each cell as stored: position, type,
// style, whether it has a formula, its <v> text and its inline string.
// It streams: one row is held at a time, in slices reused for every row,
// so a sheet that stores a million empty rows costs no allocation per row.
//
// What it takes from a cell follows excelize's row iterator, whose output
// this package gave before it read xlsx itself (the differential test in
// xlsxdiff_test.go holds the two together): the last <v> anywhere in the
// cell counts, with only its own character data; an <f> marks a formula
// and is not looked into; an <is> is read as a shared string item. Where
// excelize produced garbage — rows or cells out of order — the scanner
// refuses the part instead.
type sheetScanner struct {
	lex   *xmlLexer
	rc    io.ReadCloser
	row   int        // number of the row held in cells; 0 before the first
	cells []cellMeta // the cells of row, in column order
	text  []byte     // the v and is texts of cells
	si    siBuffers
	done  bool
}

type cellMeta struct {
	col     int
	typ     string // the t attribute: "" or "n" for numbers, "s", "str", "inlineStr", "b", "e", "d"
	style   int
	formula bool
	hasIS   bool // the cell has an <is>
	v, is   span // into sheetScanner.text
}

// span is a range of a byte slice.
type span struct{ start, end int }

func (s *sheetScanner) bytes(sp span) []byte { return s.text[sp.start:sp.end] }

func newSheetScanner(rc io.ReadCloser) *sheetScanner {
	return &sheetScanner{lex: newXMLLexer(rc), rc: rc}
}

// next reads the next <row> of the sheet into row and cells. It returns
// false at the end of the sheet data, having read the rest of the part so
// that a corrupt end (bad XML, a ZIP checksum mismatch) is reported rather
// than taken for the end of the sheet.
func (s *sheetScanner) next() (bool, error) {
	x := s.lex
	for !s.done {
		err := x.next()
		if errors.Is(err, io.EOF) {
			s.done = true
			break
		}
		if err != nil {
			return false, err
		}
		if x.kind == xmlEnd && string(x.name) == "sheetData" {
			if err := s.drain(); err != nil {
				return false, err
			}
			break
		}
		if x.kind != xmlStart || string(x.name) != "row" {
			continue
		}
		num := s.row + 1
		if r := x.attr("r"); r != nil {
			n, err := strconv.Atoi(string(r))
			switch {
			case err != nil || n < 0:
				return false, fmt.Errorf("row number %q", r)
			case n == 0: // as excelize: no number, the next row
			case n <= s.row:
				return false, fmt.Errorf("row %d after row %d", n, s.row)
			default:
				num = n
			}
		}
		if num > excelize.TotalRows {
			return false, fmt.Errorf("row %d: past the last row", num)
		}
		s.row = num
		s.cells, s.text = s.cells[:0], s.text[:0]
		if err := s.readRow(); err != nil {
			return false, err
		}
		return true, nil
	}
	return false, nil
}

// drain reads the rest of the part.
func (s *sheetScanner) drain() error {
	for {
		err := s.lex.next()
		if errors.Is(err, io.EOF) {
			s.done = true
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func (s *sheetScanner) readRow() error {
	x := s.lex
	for {
		if err := x.next(); err != nil {
			return unexpected(err)
		}
		switch x.kind {
		case xmlStart:
			if string(x.name) == "c" {
				if err := s.readCell(); err != nil {
					return err
				}
			}
		case xmlEnd:
			if string(x.name) == "row" {
				return nil
			}
		}
	}
}

// readCell reads the <c> element the lexer is on.
func (s *sheetScanner) readCell() error {
	x := s.lex
	col := 1
	if n := len(s.cells); n > 0 {
		col = s.cells[n-1].col + 1
	}
	m := cellMeta{col: col}
	badStyle := false
	for _, a := range x.attrs {
		switch string(a.local) {
		case "r":
			c, err := cellColumn(a.value)
			if err != nil {
				return err
			}
			m.col = c
		case "t":
			m.typ = cellType(a.value)
		case "s":
			n, err := strconv.ParseInt(string(a.value), 10, 64)
			if err != nil {
				// excelize stops reading the cell here: it keeps its
				// place and loses its value.
				badStyle = true
			}
			m.style = int(n)
		}
		if badStyle {
			break
		}
	}
	if n := len(s.cells); n > 0 && m.col <= s.cells[n-1].col {
		return fmt.Errorf("row %d: column %d after column %d", s.row, m.col, s.cells[n-1].col)
	}
	if badStyle {
		s.cells = append(s.cells, cellMeta{col: m.col})
		return skipElement(x)
	}
	for depth := 0; ; {
		if err := x.next(); err != nil {
			return unexpected(err)
		}
		var err error
		switch x.kind {
		case xmlStart:
			switch string(x.name) {
			case "v":
				start := len(s.text)
				s.text, err = appendText(x, s.text)
				m.v = span{start, len(s.text)}
			case "f":
				m.formula = true
				err = skipElement(x)
			case "is":
				start := len(s.text)
				s.text, err = s.si.read(x, s.text)
				m.is, m.hasIS = span{start, len(s.text)}, true
			default:
				depth++
			}
			if err != nil {
				return err
			}
		case xmlEnd:
			if depth == 0 {
				s.cells = append(s.cells, m)
				return nil
			}
			depth--
		}
	}
}

// cellColumn returns the column of a cell reference such as "AB12", which
// must be valid as excelize.CellNameToCoordinates has it.
func cellColumn(ref []byte) (int, error) {
	col, i := 0, 0
	for ; i < len(ref) && i < 3; i++ {
		c := ref[i] | 0x20
		if c < 'a' || c > 'z' {
			break
		}
		col = col*26 + int(c-'a'+1)
	}
	row := 0
	j := i
	for ; j < len(ref) && ref[j] >= '0' && ref[j] <= '9' && row <= excelize.TotalRows; j++ {
		row = row*10 + int(ref[j]-'0')
	}
	if i > 0 && j > i && j == len(ref) && ref[i] != '0' && col <= excelize.MaxColumns && row <= excelize.TotalRows {
		return col, nil
	}
	// Anything else ("$A$1", "a01", errors): as excelize says.
	col, _, err := excelize.CellNameToCoordinates(string(ref))
	if err != nil {
		return 0, fmt.Errorf("cell reference %q: %w", ref, err)
	}
	return col, nil
}

// cellType returns the t attribute as a string, without allocating for
// the values a sheet uses.
func cellType(t []byte) string {
	switch string(t) {
	case "":
		return ""
	case "n":
		return "n"
	case "s":
		return "s"
	case "str":
		return "str"
	case "inlineStr":
		return "inlineStr"
	case "b":
		return "b"
	case "e":
		return "e"
	case "d":
		return "d"
	}
	return string(t)
}

func (s *sheetScanner) close() error { return s.rc.Close() }

// skipElement reads to the end of the element whose start tag the lexer
// is on.
func skipElement(x *xmlLexer) error {
	for depth := 0; ; {
		if err := x.next(); err != nil {
			return unexpected(err)
		}
		switch x.kind {
		case xmlStart:
			depth++
		case xmlEnd:
			if depth == 0 {
				return nil
			}
			depth--
		}
	}
}

// appendText appends to dst the character data directly inside the
// element whose start tag the lexer is on, and reads to its end: the text
// encoding/xml gives a string field, nested elements left out.
func appendText(x *xmlLexer, dst []byte) ([]byte, error) {
	for depth := 0; ; {
		if err := x.next(); err != nil {
			return dst, unexpected(err)
		}
		switch x.kind {
		case xmlStart:
			depth++
		case xmlEnd:
			if depth == 0 {
				return dst, nil
			}
			depth--
		case xmlText:
			if depth == 0 {
				t, err := x.textValue()
				if err != nil {
					return dst, err
				}
				dst = append(dst, t...)
			}
		}
	}
}

// siBuffers reads string items: <si> in the shared string table, <is> in
// a cell. Their text is that of the item's own <t>, then of the <t> of
// each run <r>, as excelize's xlsxSI.String gives it: phonetic runs
// (<rPh>) and formatting are left out, white space is kept, and the
// _xHHHH_ escapes of characters XML cannot hold are decoded.
type siBuffers struct{ t, runs []byte }

// read appends the text of the item whose start tag the lexer is on to
// dst, and reads to its end.
func (b *siBuffers) read(x *xmlLexer, dst []byte) ([]byte, error) {
	b.t, b.runs = b.t[:0], b.runs[:0]
	for {
		if err := x.next(); err != nil {
			return dst, unexpected(err)
		}
		if x.kind == xmlEnd {
			break
		}
		if x.kind != xmlStart {
			continue
		}
		var err error
		switch string(x.name) {
		case "t": // the last one counts, as with encoding/xml
			b.t, err = appendText(x, b.t[:0])
		case "r":
			err = b.readRun(x)
		default:
			err = skipElement(x)
		}
		if err != nil {
			return dst, err
		}
	}
	n := len(dst)
	dst = append(append(dst, b.t...), b.runs...)
	if bytes.Contains(dst[n:], []byte("_x")) {
		dst = append(dst[:n], bstrUnescape(dst[n:])...)
	}
	return dst, nil
}

func (b *siBuffers) readRun(x *xmlLexer) error {
	start := len(b.runs)
	for {
		if err := x.next(); err != nil {
			return unexpected(err)
		}
		var err error
		switch x.kind {
		case xmlEnd:
			return nil
		case xmlStart:
			if string(x.name) == "t" {
				b.runs, err = appendText(x, b.runs[:start])
			} else {
				err = skipElement(x)
			}
		}
		if err != nil {
			return err
		}
	}
}
