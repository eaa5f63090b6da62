package sheets

// refScanner is refScanner as it was written over encoding/xml, kept
// to check the hand-written lexer against (scan_test.go).

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// refScanner reads a worksheet part alongside excelize's row iterator to
// learn what excelize's Rows does not tell: which cells hold formulas, the
// cell type and style, and the stored value of number cells. It streams:
// one row of metadata is held at a time, in a slice reused for every row.
type refScanner struct {
	dec    *xml.Decoder
	rc     io.ReadCloser
	maxCol int
	row    int        // number of the row held in cells; 0 before the first
	col    int        // column of the last cell read
	cells  []cellMeta // by column number; an entry is for row only if its row matches
	filled []int      // the columns of row that cells holds, in order read
	raw    []byte
	done   bool
}

func newRefScanner(rc io.ReadCloser, maxCol int) *refScanner {
	return &refScanner{
		dec:    xml.NewDecoder(rc),
		rc:     rc,
		maxCol: maxCol,
		cells:  make([]cellMeta, maxCol+1),
	}
}

// seek advances to row num; afterwards cell reports the cells of that row
// if the sheet has it.
func (s *refScanner) seek(num int) error {
	for s.row < num && !s.done {
		if err := s.advance(); err != nil {
			return err
		}
	}
	return nil
}

// cell returns the metadata of column col (1-based) in row s.row.
func (s *refScanner) cell(row, col int) (cellMeta, bool) {
	if col > s.maxCol || s.cells[col].row != row || row != s.row {
		return cellMeta{}, false
	}
	return s.cells[col], true
}

// drain reads the rest of the part so that a corrupt end (bad XML, a ZIP
// checksum mismatch) is reported rather than taken for the end of the
// sheet.
func (s *refScanner) drain() error {
	for !s.done {
		if err := s.advance(); err != nil {
			return err
		}
	}
	return nil
}

// advance reads the next <row> element.
func (s *refScanner) advance() error {
	for {
		tok, err := s.dec.RawToken()
		if errors.Is(err, io.EOF) {
			s.done = true
			return nil
		}
		if err != nil {
			return err
		}
		start, ok := tok.(xml.StartElement)
		if !ok || start.Name.Local != "row" {
			continue
		}
		s.row++
		if r := refAttr(start, "r"); r != "" {
			if s.row, err = strconv.Atoi(r); err != nil || s.row < 1 {
				return fmt.Errorf("row number %q", r)
			}
		}
		s.col = 0
		s.filled = s.filled[:0]
		return s.readRow()
	}
}

func (s *refScanner) readRow() error {
	for {
		tok, err := s.dec.RawToken()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local == "c" {
				if err := s.readCell(t); err != nil {
					return err
				}
			}
		case xml.EndElement:
			if t.Name.Local == "row" {
				return nil
			}
		}
	}
}

func (s *refScanner) readCell(start xml.StartElement) error {
	m := cellMeta{row: s.row}
	col := s.col + 1
	for _, a := range start.Attr {
		switch a.Name.Local {
		case "r":
			if c := column(a.Value); c > 0 {
				col = c
			}
		case "t":
			m.typ = a.Value
		case "s":
			m.style, _ = strconv.Atoi(a.Value)
		}
	}
	s.col = col
	inV := false
	s.raw = s.raw[:0]
	for depth := 0; ; {
		tok, err := s.dec.RawToken()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			switch t.Name.Local {
			case "f":
				m.formula = true
			case "v":
				inV = true
			}
		case xml.EndElement:
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
		case xml.CharData:
			if inV {
				s.raw = append(s.raw, t...)
			}
		}
	}
}

func (s *refScanner) close() error { return s.rc.Close() }

func refAttr(e xml.StartElement, local string) string {
	for _, a := range e.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}
