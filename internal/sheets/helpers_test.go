package sheets

import (
	"bytes"
	"encoding/csv"
	"testing"

	"github.com/xuri/excelize/v2"
)

// open opens b as a file called name with opt, failing the test on error.
func open(t testing.TB, name string, b []byte, opt ReadOptions) *Reader {
	t.Helper()
	rd, err := Open(name, bytes.NewReader(b), int64(len(b)), opt)
	if err != nil {
		t.Fatalf("Open(%s): %v", name, err)
	}
	t.Cleanup(func() { rd.Close() })
	return rd
}

// refusal opens b and returns the reason it was refused, "" if it was not.
func refusal(t testing.TB, name string, b []byte, opt ReadOptions) Reason {
	t.Helper()
	rd, err := Open(name, bytes.NewReader(b), int64(len(b)), opt)
	if err != nil {
		if ReasonOf(err) == "" {
			t.Fatalf("Open(%s): %v is no *Error", name, err)
		}
		return ReasonOf(err)
	}
	defer rd.Close()
	for {
		if _, ok := rd.Next(); !ok {
			break
		}
	}
	return ReasonOf(rd.Err())
}

// readAll returns every row, failing the test if reading stops on an error.
func readAll(t testing.TB, rd *Reader) []Row {
	t.Helper()
	var rows []Row
	for {
		row, ok := rd.Next()
		if !ok {
			break
		}
		rows = append(rows, row)
	}
	if err := rd.Err(); err != nil {
		t.Fatalf("reading: %v", err)
	}
	return rows
}

// csvBytes encodes records as a CSV, with a UTF-8 BOM if bom.
func csvBytes(t testing.TB, bom bool, records ...[]string) []byte {
	t.Helper()
	var b bytes.Buffer
	if bom {
		b.Write(utf8BOM)
	}
	w := csv.NewWriter(&b)
	if err := w.WriteAll(records); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// xlsxBytes builds a workbook with build and returns its bytes.
func xlsxBytes(t testing.TB, build func(f *excelize.File)) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	build(f)
	var b bytes.Buffer
	if _, err := f.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// set sets cells from a row-major table of values, from A1.
func set(t testing.TB, f *excelize.File, sheet string, rows [][]any) {
	t.Helper()
	for r, row := range rows {
		for c, v := range row {
			ref, _ := excelize.CoordinatesToCellName(c+1, r+1)
			if err := f.SetCellValue(sheet, ref, v); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func check(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
