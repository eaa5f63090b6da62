package sheets

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strings"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// csvSource reads records with encoding/csv and numbers them as a
// spreadsheet numbers rows: a record that spans lines (a quoted cell with
// line breaks) is one row, and a blank line, which encoding/csv skips, is
// still counted.
type csvSource struct {
	r       *csv.Reader
	row     int // number of the last record read
	endLine int // line on which the last record ended
}

// openCSV checks that the file is text and sets up decoding. A file that
// starts with "<" is a web page or XML, often saved by some system with
// an .xls name: that is ReasonXLS when the name ends in .xls (saving it
// from Excel as .xlsx is the fix), else ReasonFormat.
func openCSV(name string, r io.ReaderAt, size int64) (source, string, error) {
	enc, bom, err := sniffText(r, size)
	if err != nil {
		return nil, "", err
	}
	var in io.Reader = io.NewSectionReader(r, bom, size-bom)
	if enc == "gb18030" {
		in = transform.NewReader(in, simplifiedchinese.GB18030.NewDecoder())
	}
	br := bufio.NewReaderSize(in, chunk)
	first, err := br.Peek(chunk)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, "", err
	}
	if trimmed := bytes.TrimLeft(first, " \t\r\n"); len(trimmed) > 0 && trimmed[0] == '<' {
		if strings.HasSuffix(strings.ToLower(name), ".xls") {
			return nil, "", refuse(ReasonXLS, errors.New("a web page or XML file named .xls"))
		}
		return nil, "", refuse(ReasonFormat, errors.New("a web page or XML file"))
	}
	cr := csv.NewReader(br)
	cr.Comma = separator(first)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	return &csvSource{r: cr}, enc, nil
}

// separator is a comma, or a tab when the first line has tabs and no
// comma: Excel's "Unicode text" and "text (tab delimited)" exports, often
// renamed .csv.
func separator(head []byte) rune {
	line, _, _ := bytes.Cut(head, []byte("\n"))
	if bytes.IndexByte(line, '\t') >= 0 && bytes.IndexByte(line, ',') < 0 {
		return '\t'
	}
	return ','
}

func (s *csvSource) next() (rawRow, error) {
	for {
		rec, err := s.r.Read()
		if errors.Is(err, io.EOF) {
			return rawRow{}, io.EOF
		}
		if err != nil {
			var perr *csv.ParseError
			if errors.As(err, &perr) {
				return rawRow{}, &Error{Reason: ReasonFormat, Row: s.row + 1, Err: err}
			}
			return rawRow{}, err
		}
		line, _ := s.r.FieldPos(0)
		s.row += 1 + max(0, line-s.endLine-1)
		s.endLine = line
		empty := true
		for _, f := range rec {
			s.endLine += strings.Count(f, "\n")
			empty = empty && f == ""
		}
		if !empty {
			return rawRow{num: s.row, cells: rec}, nil
		}
	}
}

func (s *csvSource) close() error { return nil }
