package sheets

// refScanner is sheetScanner written over encoding/xml, kept to check the
// hand-written lexer against (scan_test.go). It reads the same things the
// same way; only the tokens come from encoding/xml's RawToken.

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/xuri/excelize/v2"
)

type refScanner struct {
	dec   *xml.Decoder
	row   int
	cells []cellMeta
	text  []byte
	done  bool
}

func newRefScanner(r io.Reader) *refScanner {
	return &refScanner{dec: xml.NewDecoder(r)}
}

func (s *refScanner) bytes(sp span) []byte { return s.text[sp.start:sp.end] }

func (s *refScanner) next() (bool, error) {
	for !s.done {
		tok, err := s.dec.RawToken()
		if errors.Is(err, io.EOF) {
			s.done = true
			break
		}
		if err != nil {
			return false, err
		}
		if end, ok := tok.(xml.EndElement); ok && end.Name.Local == "sheetData" {
			for {
				_, err := s.dec.RawToken()
				if errors.Is(err, io.EOF) {
					s.done = true
					return false, nil
				}
				if err != nil {
					return false, err
				}
			}
		}
		start, ok := tok.(xml.StartElement)
		if !ok || start.Name.Local != "row" {
			continue
		}
		num := s.row + 1
		if r, ok := refAttr(start, "r"); ok {
			n, err := strconv.Atoi(r)
			switch {
			case err != nil || n < 0:
				return false, fmt.Errorf("row number %q", r)
			case n == 0:
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

func (s *refScanner) token() (xml.Token, error) {
	tok, err := s.dec.RawToken()
	if errors.Is(err, io.EOF) {
		return nil, io.ErrUnexpectedEOF
	}
	return tok, err
}

func (s *refScanner) readRow() error {
	for {
		tok, err := s.token()
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
	col := 1
	if n := len(s.cells); n > 0 {
		col = s.cells[n-1].col + 1
	}
	m := cellMeta{col: col}
	badStyle := false
	for _, a := range start.Attr {
		switch a.Name.Local {
		case "r":
			c, err := cellColumn([]byte(a.Value))
			if err != nil {
				return err
			}
			m.col = c
		case "t":
			m.typ = a.Value
		case "s":
			n, err := strconv.ParseInt(a.Value, 10, 64)
			badStyle = err != nil
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
		return s.skip()
	}
	for depth := 0; ; {
		tok, err := s.token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "v":
				start := len(s.text)
				s.text, err = s.appendText(s.text)
				m.v = span{start, len(s.text)}
			case "f":
				m.formula = true
				err = s.skip()
			case "is":
				start := len(s.text)
				s.text, err = s.readSI(s.text)
				m.is, m.hasIS = span{start, len(s.text)}, true
			default:
				depth++
			}
			if err != nil {
				return err
			}
		case xml.EndElement:
			if depth == 0 {
				s.cells = append(s.cells, m)
				return nil
			}
			depth--
		}
	}
}

func (s *refScanner) skip() error {
	for depth := 0; ; {
		tok, err := s.token()
		if err != nil {
			return err
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			if depth == 0 {
				return nil
			}
			depth--
		}
	}
}

func (s *refScanner) appendText(dst []byte) ([]byte, error) {
	for depth := 0; ; {
		tok, err := s.token()
		if err != nil {
			return dst, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			if depth == 0 {
				return dst, nil
			}
			depth--
		case xml.CharData:
			if depth == 0 {
				dst = append(dst, t...)
			}
		}
	}
}

func (s *refScanner) readSI(dst []byte) ([]byte, error) {
	var t, runs []byte
	for {
		tok, err := s.token()
		if err != nil {
			return dst, err
		}
		if _, ok := tok.(xml.EndElement); ok {
			break
		}
		start, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch start.Name.Local {
		case "t":
			t, err = s.appendText(nil)
		case "r":
			runStart := len(runs)
			for err == nil {
				var tok xml.Token
				if tok, err = s.token(); err != nil {
					break
				}
				if _, ok := tok.(xml.EndElement); ok {
					break
				}
				if st, ok := tok.(xml.StartElement); ok {
					if st.Name.Local == "t" {
						runs, err = s.appendText(runs[:runStart])
					} else {
						err = s.skip()
					}
				}
			}
		default:
			err = s.skip()
		}
		if err != nil {
			return dst, err
		}
	}
	text := append(t, runs...)
	if bytes.Contains(text, []byte("_x")) {
		text = bstrUnescape(text)
	}
	return append(dst, text...), nil
}

func refAttr(e xml.StartElement, local string) (string, bool) {
	v, ok := "", false
	for _, a := range e.Attr {
		if a.Name.Local == local {
			v, ok = a.Value, true
		}
	}
	return v, ok
}
