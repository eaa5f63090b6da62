package sheets

import (
	"errors"
	"fmt"
)

// Reason says why a file was refused or why a cell was flagged. Reasons are
// stable strings: callers translate them into the user's language (for
// example with the key "sheets."+reason) and never show Error() text.
type Reason string

// Reasons for refusing a whole file. Open and Reader.Err return them in an
// *Error.
const (
	// The content is not a spreadsheet this package reads: a binary file,
	// an xlsb, an ODS, an HTML page, or a CSV in neither UTF-8 nor GB18030.
	ReasonFormat Reason = "format"
	// The file, or an xlsx once unpacked, is larger than the limits.
	ReasonTooLarge Reason = "too_large"
	// The workbook is password-protected (encrypted OOXML).
	ReasonEncrypted Reason = "encrypted"
	// An Excel 97-2003 .xls file; the user should save it as .xlsx.
	ReasonXLS Reason = "xls"
	// The file has no non-empty cell at all.
	ReasonEmpty Reason = "empty"
	// Row 1 is empty while later rows are not: the header must be row 1.
	ReasonNoHeader Reason = "no_header"
	// More data rows than ReadOptions.MaxRows.
	ReasonTooManyRows Reason = "too_many_rows"
	// The header, or a row, has values beyond ReadOptions.MaxColumns.
	ReasonTooManyColumns Reason = "too_many_columns"
	// ReadOptions.Sheet names a sheet the workbook does not have.
	ReasonNoSheet Reason = "no_sheet"
)

// Reasons for flagging one cell (see Flag). The row is still returned; the
// caller decides whether the column may hold such a cell.
const (
	// The xlsx cell holds a formula; Cells has its cached result.
	ReasonFormula Reason = "formula"
	// A number too large for Excel to keep every digit (16 or more digits,
	// like an ID number typed into a number cell), or text that is such a
	// number already shown in E-notation ("1.10101E+17"). The digits are
	// lost; the user must format the column as text and type them again.
	ReasonNumberPrecision Reason = "number_precision"
	// The cell had more than ReadOptions.MaxCellRunes characters and was
	// cut to that length.
	ReasonTooLong Reason = "too_long"
)

// Error refuses a file. Row is the sheet row number where the problem was
// found (0 when it concerns the whole file), Limit the limit that was
// exceeded for the too_* reasons, and Err the cause, for logs.
type Error struct {
	Reason Reason
	Row    int
	Limit  int64
	Err    error
}

func (e *Error) Error() string {
	s := "sheets: " + string(e.Reason)
	if e.Row > 0 {
		s += fmt.Sprintf(" (row %d)", e.Row)
	}
	if e.Limit > 0 {
		s += fmt.Sprintf(" (limit %d)", e.Limit)
	}
	if hint := hints[e.Reason]; hint != "" {
		s += ": " + hint
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// hints are for logs and developers; users see the translated Reason.
var hints = map[Reason]string{
	ReasonXLS:       "an Excel 97-2003 file; open it in Excel or WPS and save as .xlsx",
	ReasonEncrypted: "the workbook is password-protected; remove the password and save again",
	ReasonNoHeader:  "row 1 must hold the column names",
}

// ReasonOf returns the Reason of the *Error in err's chain, or "" when err
// is nil or not a refusal (an I/O error, say, which callers treat as
// internal).
func ReasonOf(err error) Reason {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

func refuse(reason Reason, cause error) *Error {
	return &Error{Reason: reason, Err: cause}
}
