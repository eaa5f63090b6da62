package sheets

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"strings"
)

// xlsxSource reads one sheet of an xlsx. It reads the workbook itself
// rather than with excelize, which this package still writes with: for
// 100,000 residents excelize's row iterator spent seconds decoding every
// cell with encoding/xml, most of an import's time. Here a hand-written
// lexer walks the worksheet part once (sheetScanner), text comes from the
// shared string table read the same way, and a cell becomes the text the
// user sees as excelize showed it — the differential test in
// xlsxdiff_test.go checks that on generated sheets — with dates in the
// package's own form. Number formats other than General, "0", "@" and
// dates, rare in a register, are still shown by excelize
// (fallbackFormatter).
//
// Rows the sheet does not store, and stored rows without a value, cost
// no allocation.
type xlsxSource struct {
	scan   *sheetScanner
	sst    *sharedStrings
	styles *styles
	cells  []string
	flags  []Flag
}

func openXLSX(r io.ReaderAt, size int64, opt ReadOptions) (source, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, refuse(ReasonFormat, err)
	}
	if err := checkZip(zr, opt.MaxUnzipBytes); err != nil {
		return nil, err
	}
	wb, err := readWorkbook(zr)
	if err != nil {
		return nil, err
	}
	sheet, err := wb.pick(opt.Sheet)
	if err != nil {
		return nil, err
	}
	part, ok := wb.parts[strings.ToLower(sheet.path)]
	if !ok {
		return nil, refuse(ReasonFormat, fmt.Errorf("sheet %q: no part %q", sheet.name, sheet.path))
	}
	var sst *sharedStrings
	if f, ok := wb.parts["xl/sharedstrings.xml"]; ok {
		if sst, err = readSharedStrings(f); err != nil {
			return nil, refuse(ReasonFormat, fmt.Errorf("shared strings: %w", err))
		}
	}
	rc, err := part.Open()
	if err != nil {
		return nil, refuse(ReasonFormat, err)
	}
	return &xlsxSource{
		scan:   newSheetScanner(newReadahead(rc)),
		sst:    sst,
		styles: readStyles(wb),
	}, nil
}

func (s *xlsxSource) next() (rawRow, error) {
	for {
		ok, err := s.scan.next()
		if err != nil {
			return rawRow{}, &Error{Reason: ReasonFormat, Row: s.scan.row, Err: err}
		}
		if !ok {
			return rawRow{}, io.EOF
		}
		s.cells, s.flags = s.cells[:0], s.flags[:0]
		for i := range s.scan.cells {
			c := &s.scan.cells[i]
			v, big := s.value(c)
			if v == "" && !c.formula {
				continue // excelize leaves it out, as if not stored
			}
			for len(s.cells) < c.col-1 {
				s.cells = append(s.cells, "")
			}
			s.cells = append(s.cells, v)
			if c.formula {
				s.flags = append(s.flags, Flag{c.col - 1, ReasonFormula})
			}
			if big {
				s.flags = append(s.flags, Flag{c.col - 1, ReasonNumberPrecision})
			}
		}
		if len(s.cells) > 0 {
			return rawRow{num: s.scan.row, cells: s.cells, flags: s.flags}, nil
		}
	}
}

// value returns the text a cell shows, and whether it is a number too
// large to have kept its digits (see bigNumber).
func (s *xlsxSource) value(c *cellMeta) (string, bool) {
	v := s.scan.bytes(c.v)
	st := s.styles
	switch c.typ {
	case "b":
		switch string(v) {
		case "1":
			return "TRUE", false
		case "0":
			return "FALSE", false
		}
		return st.show(c.style, string(v), false), false
	case "d":
		return st.show(c.style, isoDateSerial(string(v)), true), false
	case "s":
		if len(v) == 0 {
			return st.show(c.style, "", false), false
		}
		i := sharedIndex(v)
		if i < 0 || i >= s.sst.len() {
			return "", false // excelize drops a reference to no string
		}
		return st.show(c.style, s.sst.item(i), false), false
	case "str":
		return string(v), false
	case "inlineStr":
		if c.hasIS {
			return st.show(c.style, string(s.scan.bytes(c.is)), false), false
		}
		return st.show(c.style, string(v), false), false
	}
	// A number, an error (#N/A) or an unknown type.
	if len(v) > 0 && (c.typ == "" || c.typ == "n") {
		if kind := st.kindOf(c.style); kind != kindNumber {
			if d, ok := excelDate(string(v), kind, st.date1904); ok {
				return d, false
			}
		} else if bigNumber(string(v)) {
			return st.show(c.style, generalNumber(v), true), true
		}
	}
	return st.show(c.style, generalNumber(v), true), false
}

func (s *xlsxSource) close() error {
	return errors.Join(s.scan.close(), s.styles.close())
}
