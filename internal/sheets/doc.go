// Package sheets reads and writes the spreadsheets communities keep their
// registers in, safely, and knows nothing of what the columns mean.
//
// Reading: Open takes an upload of unknown content, decides by content
// whether it is an xlsx or a CSV (UTF-8 or GB18030), and refuses anything
// else, anything too large, and zip bombs, with an *Error whose Reason the
// caller translates. A Reader then gives the header (row 1) and the
// non-empty rows, as the text the user sees, numbered as the user sees
// them, streaming: a sheet that claims a million rows costs what its
// non-empty rows cost. Cells that need judgement are flagged, not
// rejected: formulas, numbers Excel has cut to 15 digits, overlong text.
// MatchHeader finds the caller's columns by their Chinese or English names,
// and Clean tidies a value typed with a Chinese input method.
//
//	rd, err := sheets.Open(name, file, size, sheets.ReadOptions{})
//	if err != nil { ... sheets.ReasonOf(err) ... }
//	defer rd.Close()
//	cols, problems := sheets.MatchHeader(rd.Header(), columns)
//	for {
//		row, ok := rd.Next()
//		if !ok { break }
//		id := sheets.Clean(row.Cells[cols["id_number"]])
//		if row.Flagged(cols["id_number"], sheets.ReasonNumberPrecision) { ... }
//	}
//	if err := rd.Err(); err != nil { ... }
//
// An xlsx is read by the package itself, not by excelize: excelize's row
// iterator decoded every cell with encoding/xml and took seconds for
// 100,000 residents, most of an import's time. A hand-written lexer walks
// the worksheet, the shared strings and the styles once, and each cell
// gives the text excelize showed — a differential test against excelize
// holds the two together — except dates, which read as 2006-01-02. Number
// formats beyond General, "0", "@" and dates (percentages, thousands
// separators, ...) are still shown by excelize, cell by cell.
//
// Writing: a Writer writes a header and rows of text to an xlsx (every cell
// a string) or a CSV (UTF-8 with BOM), defusing formula injection; reading
// the result gives back what was written.
//
// Neither a Reader nor a Writer is safe for concurrent use.
package sheets
