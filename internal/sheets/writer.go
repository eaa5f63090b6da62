package sheets

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
)

// Writer writes one sheet of text cells: a header, then rows.
//
// Every cell is text. In an xlsx every cell is a string cell, never a
// number or a formula, so "007" and 18-digit ID numbers keep every digit;
// in a CSV every cell is RFC 4180-quoted as needed. A cell that starts,
// after any apostrophes and spaces, with = + - @ (or their full-width
// forms), TAB, CR, LF or NUL gets one more apostrophe in front, so that no
// spreadsheet runs it as a formula; the Reader removes exactly that one.
// Line breaks are written as LF, and control characters a spreadsheet
// cannot hold (all but TAB and LF) are dropped. With those exceptions,
// reading back what was written gives the same text.
//
// A Writer is not safe for concurrent use. Close must be called: an xlsx
// is written to w only then.
type Writer struct {
	enc    encoder
	format Format
	header bool
	row    int // rows written, the header included
	err    error
}

type encoder interface {
	write(cells []string) error
	close() error
}

// maxXLSXRows is Excel's row limit; maxXLSXCell its cell length limit in
// UTF-16 code units.
const (
	maxXLSXRows = 1_048_576
	maxXLSXCell = 32_767
)

// NewWriter starts a sheet in format on w. A CSV is UTF-8 with a BOM, so
// that Excel opens Chinese text correctly, with CRLF line ends. An xlsx has
// one sheet, a bold frozen header row, columns as wide as their first
// rows, and the text number format on every cell, so that a number a user
// later types into the sheet stays text too.
func NewWriter(format Format, w io.Writer) (*Writer, error) {
	switch format {
	case CSV:
		cw := csv.NewWriter(w)
		cw.UseCRLF = true
		return &Writer{enc: &csvEncoder{w: w, cw: cw}, format: format}, nil
	case XLSX:
		enc, err := newXLSXEncoder(w)
		if err != nil {
			return nil, fmt.Errorf("sheets.NewWriter: %w", err)
		}
		return &Writer{enc: enc, format: format}, nil
	}
	return nil, fmt.Errorf("sheets.NewWriter: unknown format %q", format)
}

// WriteHeader writes the column names; it must be called once, first.
func (w *Writer) WriteHeader(names []string) error {
	if w.header {
		return errors.New("sheets: WriteHeader called twice")
	}
	w.header = true
	return w.write(names)
}

// WriteRow writes one row. cells may be shorter or longer than the header.
// An xlsx takes at most 1,048,575 rows after the header, and cells of at
// most 32,767 UTF-16 code units: more is an *Error (ReasonTooManyRows,
// ReasonTooLong), as Excel would cut them; the row is not written and the
// Writer stays usable. Any other error is final.
func (w *Writer) WriteRow(cells []string) error {
	if !w.header {
		return errors.New("sheets: WriteRow before WriteHeader")
	}
	return w.write(cells)
}

func (w *Writer) write(cells []string) error {
	if w.err != nil {
		return w.err
	}
	num := w.row + 1
	out := make([]string, len(cells))
	for i, v := range cells {
		out[i] = escapeFormula(storable(v))
	}
	if w.format == XLSX {
		if num > maxXLSXRows {
			return &Error{Reason: ReasonTooManyRows, Row: num, Limit: maxXLSXRows}
		}
		for _, v := range out {
			if utf16Len(v) > maxXLSXCell {
				return &Error{Reason: ReasonTooLong, Row: num, Limit: maxXLSXCell}
			}
		}
	}
	w.row = num
	if err := w.enc.write(out); err != nil {
		w.err = fmt.Errorf("sheets: writing row %d: %w", w.row, err)
	}
	return w.err
}

// Close finishes the file. It does not close the underlying writer.
func (w *Writer) Close() error {
	if err := w.enc.close(); err != nil && w.err == nil {
		w.err = fmt.Errorf("sheets: closing: %w", err)
	}
	return w.err
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		if n++; r >= 0x10000 {
			n++
		}
	}
	return n
}

type csvEncoder struct {
	w       io.Writer
	cw      *csv.Writer
	started bool
}

func (e *csvEncoder) write(cells []string) error {
	if !e.started {
		e.started = true
		if _, err := e.w.Write(utf8BOM); err != nil {
			return err
		}
	}
	return e.cw.Write(cells)
}

func (e *csvEncoder) close() error {
	if !e.started {
		e.started = true
		if _, err := e.w.Write(utf8BOM); err != nil {
			return err
		}
	}
	e.cw.Flush()
	return e.cw.Error()
}
