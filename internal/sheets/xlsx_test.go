package sheets

import (
	"bytes"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

func TestXLSXValues(t *testing.T) {
	data := xlsxBytes(t, func(f *excelize.File) {
		s := "Sheet1"
		set(t, f, s, [][]any{
			{"姓名", "出生日期", "身份证号", "手机号", "登记时间", "门牌", "备注"},
			{"张三", time.Date(1990, 1, 2, 0, 0, 0, 0, time.UTC), "110101199001011234", 13800138000, nil, "007", 0.1 + 0.2},
			{"李四", 32875, 110101199001011234, "13900139000", 45000.5, 7, true},
			{"王五", 32875, 1.10101199001012e17, nil, 45000.25, "1.10101E+17", nil},
		})
		date, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
		cn := `yyyy"年"m"月"d"日"`
		cnDate, _ := f.NewStyle(&excelize.Style{CustomNumFmt: &cn})
		dateTime, _ := f.NewStyle(&excelize.Style{NumFmt: 22})
		custom := `[$-804]yyyy/m/d h:mm:ss`
		customDateTime, _ := f.NewStyle(&excelize.Style{CustomNumFmt: &custom})
		padded := "000"
		zeros, _ := f.NewStyle(&excelize.Style{CustomNumFmt: &padded})
		check(t, f.SetCellStyle(s, "B3", "B3", date))
		check(t, f.SetCellStyle(s, "B4", "B4", cnDate))
		check(t, f.SetCellStyle(s, "E3", "E3", dateTime))
		check(t, f.SetCellStyle(s, "E4", "E4", customDateTime))
		check(t, f.SetCellStyle(s, "F3", "F3", zeros))
	})
	rd := open(t, "r.xlsx", data, ReadOptions{})
	if rd.Format() != XLSX {
		t.Errorf("format %s", rd.Format())
	}
	rows := readAll(t, rd)
	want := [][]string{
		{"张三", "1990-01-02", "110101199001011234", "13800138000", "", "007", "0.3"},
		{"李四", "1990-01-02", "1.10101199001011E+17", "13900139000", "2023-03-15 12:00", "007", "TRUE"},
		{"王五", "1990-01-02", "110101199001012000", "", "2023-03-15 06:00", "1.10101E+17", ""},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows", len(rows))
	}
	for i, row := range rows {
		if !slices.Equal(row.Cells, want[i]) {
			t.Errorf("row %d: %q, want %q", row.Number, row.Cells, want[i])
		}
	}
	if rows[0].Flags != nil {
		t.Errorf("text cells flagged: %+v", rows[0].Flags)
	}
	for _, row := range rows[1:] {
		if !row.Flagged(2, ReasonNumberPrecision) {
			t.Errorf("row %d: ID number stored as a number not flagged: %+v", row.Number, row.Flags)
		}
	}
	if !rows[2].Flagged(5, ReasonNumberPrecision) {
		t.Errorf("E-notation text not flagged: %+v", rows[2].Flags)
	}
}

func TestXLSXDate1904(t *testing.T) {
	data := xlsxBytes(t, func(f *excelize.File) {
		on := true
		check(t, f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &on}))
		set(t, f, "Sheet1", [][]any{{"出生日期"}, {32875 - 1462}})
		date, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
		check(t, f.SetCellStyle("Sheet1", "A2", "A2", date))
	})
	rows := readAll(t, open(t, "1904.xlsx", data, ReadOptions{}))
	if len(rows) != 1 || rows[0].Cells[0] != "1990-01-02" {
		t.Errorf("rows %+v", rows)
	}
}

func TestXLSXFormula(t *testing.T) {
	var b bytes.Buffer
	f := excelize.NewFile()
	sw, err := f.NewStreamWriter("Sheet1")
	check(t, err)
	check(t, sw.SetRow("A1", []any{"姓名", "身份证号"}))
	check(t, sw.SetRow("A2", []any{"赵六", excelize.Cell{Formula: `"1101"&"01"`, Value: "110101"}}))
	check(t, sw.SetRow("A3", []any{"钱七", excelize.Cell{Formula: "1+1"}}))
	check(t, sw.SetRow("A4", []any{nil, excelize.Cell{Formula: `""`}})) // blank to the user: skipped
	check(t, sw.SetRow("A5", []any{"孙八", nil, nil, excelize.Cell{Formula: `""`}}))
	check(t, sw.Flush())
	_, err = f.WriteTo(&b)
	check(t, err)
	f.Close()
	rows := readAll(t, open(t, "f.xlsx", b.Bytes(), ReadOptions{}))
	if len(rows) != 3 {
		t.Fatalf("rows %+v", rows)
	}
	if r := rows[2]; len(r.Cells) != 2 || r.Flags != nil {
		t.Errorf("a blank formula cell past the header: %+v", r)
	}
	if rows[0].Cells[1] != "110101" || !rows[0].Flagged(1, ReasonFormula) || rows[0].Flagged(0, ReasonFormula) {
		t.Errorf("formula with a cached value: %+v", rows[0])
	}
	if rows[1].Cells[1] != "" || !rows[1].Flagged(1, ReasonFormula) {
		t.Errorf("formula without a cached value: %+v", rows[1])
	}
}

func TestXLSXSheets(t *testing.T) {
	data := xlsxBytes(t, func(f *excelize.File) {
		set(t, f, "Sheet1", [][]any{{"隐藏"}, {"x"}})
		_, err := f.NewSheet("居民")
		check(t, err)
		set(t, f, "居民", [][]any{{"姓名"}, {"张三"}})
		_, err = f.NewSheet("其他")
		check(t, err)
		set(t, f, "其他", [][]any{{"名称"}, {"y"}})
		f.SetActiveSheet(1) // excelize will not hide the selected sheet
		check(t, f.SetSheetVisible("Sheet1", false))
	})
	for sheet, want := range map[string]string{"": "姓名", "其他": "名称", "SHEET1": "隐藏"} {
		rd := open(t, "s.xlsx", data, ReadOptions{Sheet: sheet})
		if h := rd.Header(); len(h) != 1 || h[0] != want {
			t.Errorf("sheet %q: header %q, want %q", sheet, h, want)
		}
	}
	if r := refusal(t, "s.xlsx", data, ReadOptions{Sheet: "不存在"}); r != ReasonNoSheet {
		t.Errorf("missing sheet: %q", r)
	}
}

func TestXLSXStructure(t *testing.T) {
	data := xlsxBytes(t, func(f *excelize.File) {
		set(t, f, "Sheet1", [][]any{{"a", "b", "c"}})
		check(t, f.SetCellValue("Sheet1", "B5", "x"))
		check(t, f.SetCellValue("Sheet1", "A9", " "))
		check(t, f.SetCellValue("Sheet1", "A12", "y"))
	})
	rows := readAll(t, open(t, "g.xlsx", data, ReadOptions{}))
	if len(rows) != 2 || rows[0].Number != 5 || rows[1].Number != 12 ||
		!slices.Equal(rows[0].Cells, []string{"", "x", ""}) {
		t.Errorf("rows %+v", rows)
	}
	for name, build := range map[string]func(f *excelize.File){
		"empty": func(f *excelize.File) {},
		"late":  func(f *excelize.File) { check(t, f.SetCellValue("Sheet1", "A3", "姓名")) },
		"wide":  func(f *excelize.File) { check(t, f.SetCellValue("Sheet1", "CW1", "第101列")) },
		"wide-row": func(f *excelize.File) {
			set(t, f, "Sheet1", [][]any{{"a"}})
			check(t, f.SetCellValue("Sheet1", "XFD2", "z"))
		},
	} {
		want := map[string]Reason{"empty": ReasonEmpty, "late": ReasonNoHeader, "wide": ReasonTooManyColumns, "wide-row": ReasonTooManyColumns}[name]
		if got := refusal(t, name+".xlsx", xlsxBytes(t, build), ReadOptions{}); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
}

// TestMillionRows reads a sheet whose last row is Excel's last, 1,048,576,
// with only four rows stored. The gap must cost no allocation per row.
func TestMillionRows(t *testing.T) {
	var b bytes.Buffer
	f := excelize.NewFile()
	sw, err := f.NewStreamWriter("Sheet1")
	check(t, err)
	check(t, sw.SetRow("A1", []any{"姓名", "电话"}))
	check(t, sw.SetRow("A2", []any{"张三", "13800138000"}))
	check(t, sw.SetRow("A3", []any{"李四", "13900139000"}))
	check(t, sw.SetRow("B1048576", []any{"最后一行"}))
	check(t, sw.Flush())
	_, err = f.WriteTo(&b)
	check(t, err)
	f.Close()

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	var rows []Row
	peak := peakHeap(func() { rows = readAll(t, open(t, "m.xlsx", b.Bytes(), ReadOptions{})) })
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	if len(rows) != 3 || rows[2].Number != 1_048_576 || rows[2].Cells[1] != "最后一行" {
		t.Fatalf("rows %+v", rows)
	}
	mallocs := after.Mallocs - before.Mallocs
	total := after.TotalAlloc - before.TotalAlloc
	t.Logf("sparse 1,048,576-row sheet (%d bytes): %v, %d allocations, %d KiB allocated, heap peak %d KiB",
		b.Len(), elapsed, mallocs, total>>10, peak>>10)
	if mallocs > 100_000 || total > 64<<20 {
		t.Errorf("%d allocations, %d bytes: the empty rows are not free", mallocs, total)
	}
}

// TestMillionStoredRows reads a sheet that stores all 1,048,576 rows, every
// one empty but for a row height and style, as Excel writes when a user
// formats whole rows. Reading takes seconds but memory stays flat.
func TestMillionStoredRows(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("writes and reads a 70 MB sheet")
	}
	var b bytes.Buffer
	f := excelize.NewFile()
	sw, err := f.NewStreamWriter("Sheet1")
	check(t, err)
	style, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	check(t, err)
	check(t, sw.SetRow("A1", []any{"姓名", "电话"}))
	check(t, sw.SetRow("A2", []any{"张三", "13800138000"}))
	for r := 3; r <= 1_048_576; r++ {
		check(t, sw.SetRow("A"+strconv.Itoa(r), nil, excelize.RowOpts{Height: 20, StyleID: style}))
	}
	check(t, sw.Flush())
	_, err = f.WriteTo(&b)
	check(t, err)
	f.Close()

	start := time.Now()
	var rows []Row
	peak := peakHeap(func() { rows = readAll(t, open(t, "m.xlsx", b.Bytes(), ReadOptions{})) })
	t.Logf("stored 1,048,576-row sheet (%d bytes): %v, heap peak %d KiB", b.Len(), time.Since(start), peak>>10)
	if len(rows) != 1 || rows[0].Number != 2 {
		t.Fatalf("rows %+v", rows)
	}
	if peak > 128<<20 {
		t.Errorf("heap peaked at %d MiB", peak>>20)
	}
}

// peakHeap runs fn and returns the most heap its objects occupied, sampled
// every few milliseconds without stopping the world.
func peakHeap(fn func()) uint64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	fn()
	close(stop)
	<-done
	return peak.Load()
}
