package sheets

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Row is one non-empty data row.
type Row struct {
	// Number is the row's number in the sheet as the user sees it: the
	// header is row 1, and empty rows are skipped but counted.
	Number int
	// Cells holds the text the user sees, one per column, at least as many
	// as the header has (missing cells are ""). A row with values in
	// columns that have no heading is longer than the header. Dates in an
	// xlsx read as 2006-01-02 (2006-01-02 15:04 with a time). The
	// apostrophe a Writer puts before formula-like text is removed.
	Cells []string
	// Flags lists the cells that need the caller's judgement; nil for
	// most rows.
	Flags []Flag
}

// Flag marks one cell of a Row.
type Flag struct {
	Column int // index into Row.Cells
	Reason Reason
}

// Flagged reports whether cell col of r carries reason.
func (r Row) Flagged(col int, reason Reason) bool {
	for _, f := range r.Flags {
		if f.Column == col && f.Reason == reason {
			return true
		}
	}
	return false
}

// Reader reads the rows of one sheet, the header first. It holds a part
// of an xlsx open, unpacked by a goroutine: Close it.
type Reader struct {
	format   Format
	encoding string
	opt      ReadOptions
	src      source
	header   []string
	rows     int
	err      error
}

// source yields the rows of a CSV file or an xlsx sheet.
type source interface {
	// next returns the next row that has a cell other than "", or io.EOF.
	// The row's slices belong to the source until the next call.
	next() (rawRow, error)
	close() error
}

type rawRow struct {
	num   int
	cells []string
	flags []Flag
}

var (
	zipMagic = []byte("PK\x03\x04")
	cfbMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
)

// Open starts reading the spreadsheet in r, which holds size bytes. The
// format is decided by content: an xlsx (a ZIP holding a workbook), else a
// CSV in UTF-8 (with or without BOM) or, failing UTF-8, GB18030 (which
// includes GBK), separated by commas or, when the first line has tabs
// and no comma, by tabs. name is used only in messages and to recognise a
// web page saved with an .xls name. An xlsx is checked for zip bombs before
// anything is unpacked.
//
// Open reads the header (row 1) before it returns; refusals are an *Error
// whose Reason the caller translates. A file with a header and no data is
// not an error: Next returns false at once.
func Open(name string, r io.ReaderAt, size int64, opt ReadOptions) (_ *Reader, err error) {
	defer wrap(&err, "sheets.Open(%q)", name)
	opt = opt.withDefaults()
	if size <= 0 {
		return nil, refuse(ReasonEmpty, nil)
	}
	if size > opt.MaxBytes {
		return nil, &Error{Reason: ReasonTooLarge, Limit: opt.MaxBytes}
	}
	head := make([]byte, 8)
	n, err := r.ReadAt(head, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	head = head[:n]
	rd := &Reader{opt: opt}
	switch {
	case bytes.HasPrefix(head, zipMagic):
		rd.format = XLSX
		rd.src, err = openXLSX(r, size, opt)
	case bytes.HasPrefix(head, cfbMagic):
		return nil, classifyCFB(r, size)
	default:
		rd.format = CSV
		rd.src, rd.encoding, err = openCSV(name, r, size)
	}
	if err != nil {
		return nil, err
	}
	if err := rd.readHeader(); err != nil {
		rd.src.close()
		return nil, err
	}
	return rd, nil
}

// Format is the format Open found.
func (rd *Reader) Format() Format { return rd.format }

// Encoding is "utf-8" or "gb18030" for a CSV, "" for an xlsx.
func (rd *Reader) Encoding() string { return rd.encoding }

// Header returns row 1, without trailing empty cells.
func (rd *Reader) Header() []string { return rd.header }

func (rd *Reader) readHeader() error {
	raw, err := rd.nextRaw()
	if errors.Is(err, io.EOF) {
		return refuse(ReasonEmpty, nil)
	}
	if err != nil {
		return err
	}
	if raw.num != 1 {
		return &Error{Reason: ReasonNoHeader, Row: raw.num}
	}
	row := rd.process(raw)
	rd.header = row.Cells
	return nil
}

// Next returns the next non-empty data row. It returns false at the end or
// on an error, which Err then reports.
func (rd *Reader) Next() (Row, bool) {
	if rd.err != nil {
		return Row{}, false
	}
	raw, err := rd.nextRaw()
	if err != nil {
		if !errors.Is(err, io.EOF) {
			rd.err = err
		}
		return Row{}, false
	}
	if rd.rows++; rd.rows > rd.opt.MaxRows {
		rd.err = &Error{Reason: ReasonTooManyRows, Row: raw.num, Limit: int64(rd.opt.MaxRows)}
		return Row{}, false
	}
	return rd.process(raw), true
}

// Err returns the error that stopped Next, or nil at a clean end.
func (rd *Reader) Err() error { return rd.err }

// Close stops reading, releasing what an xlsx holds.
func (rd *Reader) Close() error { return rd.src.close() }

// nextRaw returns the next row that is not blank, without the blank cells
// at its end that are past the header, or io.EOF.
func (rd *Reader) nextRaw() (rawRow, error) {
	for {
		raw, err := rd.src.next()
		if err != nil {
			return raw, err
		}
		n := len(raw.cells)
		for n > 0 && blank(unescapeFormula(raw.cells[n-1])) {
			n--
		}
		if n == 0 {
			continue
		}
		if n > rd.opt.MaxColumns {
			return raw, &Error{Reason: ReasonTooManyColumns, Row: raw.num, Limit: int64(rd.opt.MaxColumns)}
		}
		// Keep blank cells under a heading: "  " is a value.
		raw.cells = raw.cells[:max(n, min(len(raw.cells), len(rd.header)))]
		return raw, nil
	}
}

// process copies a raw row into a Row: one apostrophe the Writer added is
// removed, long cells are cut, and E-notation numbers are flagged.
func (rd *Reader) process(raw rawRow) Row {
	row := Row{Number: raw.num, Cells: make([]string, max(len(raw.cells), len(rd.header)))}
	for _, f := range raw.flags {
		if f.Column < len(raw.cells) { // not on a blank cell cut from the end
			row.Flags = append(row.Flags, f)
		}
	}
	for i, v := range raw.cells {
		v = unescapeFormula(v)
		if utf8.RuneCountInString(v) > rd.opt.MaxCellRunes {
			v = truncate(v, rd.opt.MaxCellRunes)
			row.Flags = append(row.Flags, Flag{i, ReasonTooLong})
		}
		if scientific(v) && !row.Flagged(i, ReasonNumberPrecision) {
			row.Flags = append(row.Flags, Flag{i, ReasonNumberPrecision})
		}
		row.Cells[i] = v
	}
	return row
}

func blank(s string) bool {
	return strings.TrimFunc(s, unicode.IsSpace) == ""
}

func truncate(s string, runes int) string {
	for i := range s {
		if runes == 0 {
			return s[:i]
		}
		runes--
	}
	return s
}

// wrap adds context to a non-nil error, keeping it in the chain.
func wrap(errp *error, format string, args ...any) {
	if *errp != nil {
		*errp = fmt.Errorf(format+": %w", append(args, *errp)...)
	}
}
