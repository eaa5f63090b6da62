package sheets

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"
)

// xlsxSource reads one sheet with excelize's streaming row iterator, which
// gives the text a user sees, and a sheetScanner over the same part, which
// gives formulas, types and stored numbers. Rows that excelize reports
// empty, including the gaps between rows a file does not store, cost
// neither an allocation nor a look at the scanner.
type xlsxSource struct {
	file     *excelize.File
	rows     *excelize.Rows
	scan     *asyncScanner
	num      int // rows.Next calls so far: the row number excelize is on
	date1904 bool
	kinds    map[int]numKind // by style id
	flags    []Flag
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
	f, err := excelize.OpenReader(io.NewSectionReader(r, 0, size), excelize.Options{
		UnzipSizeLimit:    opt.MaxUnzipBytes,
		UnzipXMLSizeLimit: min(xmlInMemory, opt.MaxUnzipBytes),
	})
	if err != nil {
		if f != nil {
			f.Close()
		}
		return nil, refuse(ReasonFormat, err)
	}
	rows, err := f.Rows(sheet.name)
	if err != nil {
		f.Close()
		return nil, refuse(ReasonFormat, err)
	}
	rc, err := part.Open()
	if err != nil {
		rows.Close()
		f.Close()
		return nil, refuse(ReasonFormat, err)
	}
	return &xlsxSource{
		file:     f,
		rows:     rows,
		scan:     newAsyncScanner(newSheetScanner(rc, opt.MaxColumns)),
		date1904: wb.date1904,
		kinds:    make(map[int]numKind),
	}, nil
}

func (s *xlsxSource) next() (rawRow, error) {
	for s.rows.Next() {
		s.num++
		cells, err := s.rows.Columns()
		if err != nil {
			return rawRow{}, &Error{Reason: ReasonFormat, Row: s.num, Err: err}
		}
		if len(cells) == 0 {
			continue
		}
		if err := s.scan.seek(s.num); err != nil {
			return rawRow{}, &Error{Reason: ReasonFormat, Row: s.num, Err: err}
		}
		s.flags = s.flags[:0]
		for i := range cells {
			m, ok := s.scan.cell(s.num, i+1)
			if !ok {
				continue
			}
			if m.formula {
				s.flags = append(s.flags, Flag{i, ReasonFormula})
			}
			if m.raw == "" {
				continue
			}
			if kind := s.kind(m.style); kind != kindNumber {
				if d, ok := excelDate(m.raw, kind, s.date1904); ok {
					cells[i] = d
				}
			} else if bigNumber(m.raw) {
				s.flags = append(s.flags, Flag{i, ReasonNumberPrecision})
			}
		}
		return rawRow{num: s.num, cells: cells, flags: s.flags}, nil
	}
	if err := s.rows.Error(); err != nil {
		return rawRow{}, &Error{Reason: ReasonFormat, Row: s.num, Err: err}
	}
	if err := s.scan.drain(); err != nil {
		return rawRow{}, &Error{Reason: ReasonFormat, Row: s.num, Err: err}
	}
	return rawRow{}, io.EOF
}

// kind classifies the number format of a style, once per style.
func (s *xlsxSource) kind(style int) numKind {
	k, ok := s.kinds[style]
	if !ok {
		if st, err := s.file.GetStyle(style); err == nil {
			k = formatKind(st.NumFmt, st.CustomNumFmt)
		}
		s.kinds[style] = k
	}
	return k
}

func (s *xlsxSource) close() error {
	return errors.Join(s.scan.close(), s.rows.Close(), s.file.Close())
}
