package sheets

import (
	"errors"
	"io"
	"strings"
	"unicode"

	"github.com/xuri/excelize/v2"
)

// sampleRows is how many rows are held back to size the columns: a stream
// writer must set widths before the first row.
const sampleRows = 100

type xlsxEncoder struct {
	out    io.Writer
	file   *excelize.File
	sw     *excelize.StreamWriter
	head   int // style of header cells
	body   int // style of other cells
	sample [][]string
	row    int  // rows given to sw
	ready  bool // columns and panes are set
}

const sheetName = "Sheet1"

func newXLSXEncoder(w io.Writer) (*xlsxEncoder, error) {
	f := excelize.NewFile()
	sw, err := f.NewStreamWriter(sheetName)
	if err != nil {
		f.Close()
		return nil, err
	}
	text := 49 // the built-in "@" format
	head, err := f.NewStyle(&excelize.Style{
		NumFmt:    text,
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"EDEDED"}},
		Alignment: &excelize.Alignment{Vertical: "center"},
	})
	if err != nil {
		f.Close()
		return nil, err
	}
	body, err := f.NewStyle(&excelize.Style{NumFmt: text, Alignment: &excelize.Alignment{Vertical: "top"}})
	if err != nil {
		f.Close()
		return nil, err
	}
	return &xlsxEncoder{out: w, file: f, sw: sw, head: head, body: body}, nil
}

func (e *xlsxEncoder) write(cells []string) error {
	if !e.ready {
		e.sample = append(e.sample, cells)
		if len(e.sample) <= sampleRows {
			return nil
		}
		return e.start()
	}
	return e.setRow(cells)
}

// start sizes the columns from the sample, freezes the header and writes
// the sample.
func (e *xlsxEncoder) start() error {
	e.ready = true
	var widths []float64
	for _, row := range e.sample {
		for i, v := range row {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], width(v))
		}
	}
	for i, w := range widths {
		if err := e.sw.SetColWidth(i+1, i+1, min(max(w+2, 8), 50)); err != nil {
			return err
		}
	}
	if len(widths) > 0 {
		if err := e.sw.SetColStyle(1, len(widths), e.body); err != nil {
			return err
		}
	}
	err := e.sw.SetPanes(&excelize.Panes{
		Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}},
	})
	if err != nil {
		return err
	}
	sample := e.sample
	e.sample = nil
	for _, row := range sample {
		if err := e.setRow(row); err != nil {
			return err
		}
	}
	return nil
}

func (e *xlsxEncoder) setRow(cells []string) error {
	e.row++
	style := e.body
	if e.row == 1 {
		style = e.head
	}
	values := make([]any, len(cells))
	for i, v := range cells {
		if v != "" {
			values[i] = excelize.Cell{StyleID: style, Value: v}
		} else if e.row == 1 {
			values[i] = excelize.Cell{StyleID: style}
		}
	}
	ref, err := excelize.CoordinatesToCellName(1, e.row)
	if err != nil {
		return err
	}
	return e.sw.SetRow(ref, values)
}

func (e *xlsxEncoder) close() error {
	var err error
	if !e.ready {
		err = e.start()
	}
	if err == nil {
		err = e.sw.Flush()
	}
	if err == nil {
		_, err = e.file.WriteTo(e.out)
	}
	return errors.Join(err, e.file.Close())
}

// width estimates a cell's display width in Excel's units (the width of a
// "0"): wide (CJK, full-width) characters count two; only the longest
// line counts.
func width(v string) float64 {
	widest := 0.0
	for line := range strings.SplitSeq(v, "\n") {
		w := 0.0
		for _, r := range line {
			if wide(r) {
				w += 2
			} else {
				w++
			}
		}
		widest = max(widest, w)
	}
	return widest
}

func wide(r rune) bool {
	return unicode.Is(unicode.Han, r) || (r >= 0x3000 && r <= 0x30FF) ||
		(r >= 0xFF01 && r <= 0xFF60) || (r >= 0xAC00 && r <= 0xD7A3) || r >= 0x1F300
}
