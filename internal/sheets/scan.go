package sheets

import (
	"errors"
	"fmt"
	"io"
	"strconv"
)

// sheetScanner reads a worksheet part alongside excelize's row iterator to
// learn what excelize's Rows does not tell: which cells hold formulas, the
// cell type and style, and the stored value of number cells. It streams:
// one row of metadata is held at a time, in a slice reused for every row.
type sheetScanner struct {
	lex    *xmlLexer
	rc     io.ReadCloser
	maxCol int
	row    int        // number of the row held in cells; 0 before the first
	col    int        // column of the last cell read
	cells  []cellMeta // by column number; an entry is for row only if its row matches
	filled []int      // the columns of row that cells holds, in order read
	raw    []byte
	done   bool
}

type cellMeta struct {
	row     int
	typ     string // the t attribute: "" or "n" for numbers, "s", "str", "inlineStr", "b", "e"
	style   int
	formula bool
	raw     string // the <v> text of a number cell
}

func newSheetScanner(rc io.ReadCloser, maxCol int) *sheetScanner {
	return &sheetScanner{
		lex:    newXMLLexer(rc),
		rc:     rc,
		maxCol: maxCol,
		cells:  make([]cellMeta, maxCol+1),
	}
}

// seek advances to row num; afterwards cell reports the cells of that row
// if the sheet has it.
func (s *sheetScanner) seek(num int) error {
	for s.row < num && !s.done {
		if err := s.advance(); err != nil {
			return err
		}
	}
	return nil
}

// cell returns the metadata of column col (1-based) in row s.row.
func (s *sheetScanner) cell(row, col int) (cellMeta, bool) {
	if col > s.maxCol || s.cells[col].row != row || row != s.row {
		return cellMeta{}, false
	}
	return s.cells[col], true
}

// drain reads the rest of the part so that a corrupt end (bad XML, a ZIP
// checksum mismatch) is reported rather than taken for the end of the
// sheet.
func (s *sheetScanner) drain() error {
	for !s.done {
		if err := s.advance(); err != nil {
			return err
		}
	}
	return nil
}

// advance reads the next <row> element.
func (s *sheetScanner) advance() error {
	x := s.lex
	for {
		err := x.next()
		if errors.Is(err, io.EOF) {
			s.done = true
			return nil
		}
		if err != nil {
			return err
		}
		if x.kind != xmlStart || string(x.name) != "row" {
			continue
		}
		s.row++
		if r := x.attr("r"); len(r) > 0 {
			if s.row, err = strconv.Atoi(string(r)); err != nil || s.row < 1 {
				return fmt.Errorf("row number %q", r)
			}
		}
		s.col = 0
		s.filled = s.filled[:0]
		return s.readRow()
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
	m := cellMeta{row: s.row}
	col := s.col + 1
	for _, a := range x.attrs {
		switch string(a.local) {
		case "r":
			if c := column(string(a.value)); c > 0 {
				col = c
			}
		case "t":
			m.typ = cellType(a.value)
		case "s":
			m.style, _ = strconv.Atoi(string(a.value))
		}
	}
	s.col = col
	inV := false
	s.raw = s.raw[:0]
	for depth := 0; ; {
		if err := x.next(); err != nil {
			return unexpected(err)
		}
		switch x.kind {
		case xmlStart:
			depth++
			switch string(x.name) {
			case "f":
				m.formula = true
			case "v":
				inV = true
			}
		case xmlEnd:
			if depth == 0 {
				if (m.typ == "" || m.typ == "n") && len(s.raw) > 0 {
					m.raw = string(s.raw)
				}
				if col <= s.maxCol {
					s.cells[col] = m
					s.filled = append(s.filled, col)
				}
				return nil
			}
			depth--
			inV = false
		case xmlText:
			if inV {
				text, err := x.textValue()
				if err != nil {
					return err
				}
				s.raw = append(s.raw, text...)
			}
		}
	}
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

// column returns the column number of a cell reference such as "AB12",
// or 0 if ref has no letters or a column past XFD.
func column(ref string) int {
	n := 0
	for i := 0; i < len(ref); i++ {
		c := ref[i] | 0x20
		if c < 'a' || c > 'z' {
			break
		}
		if n = n*26 + int(c-'a'+1); n > 16384 {
			return 0
		}
	}
	return n
}
