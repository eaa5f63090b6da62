package sheets

import (
	"bytes"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// FuzzOpen feeds Open arbitrary uploads: it must never panic, and every
// refusal must be an *Error a caller can translate.
func FuzzOpen(f *testing.F) {
	f.Add([]byte("姓名,身份证号\r\n张三,110101199001011234\r\n"))
	f.Add([]byte("\ufeffa\tb\n\"x\ny\",'=1\n"))
	gb, _ := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte("姓名,住址\n李四,幸福里\n"))
	f.Add(gb)
	f.Add(xlsxBytes(f, func(x *excelize.File) {
		set(f, x, "Sheet1", [][]any{{"姓名", "出生日期"}, {"王五", 32875}, {"=x", 1.5e17}})
	}))
	f.Add(xlsxBytes(f, func(x *excelize.File) { // shared strings, styles, a formula
		set(f, x, "Sheet1", [][]any{{"姓名", "金额", "日期"}, {"张三", 0.5, 45000.25}, {"李四 ", -3, true}})
		pct, _ := x.NewStyle(&excelize.Style{NumFmt: 9})
		date, _ := x.NewStyle(&excelize.Style{NumFmt: 22})
		check(f, x.SetCellStyle("Sheet1", "B2", "B3", pct))
		check(f, x.SetCellStyle("Sheet1", "C2", "C2", date))
		check(f, x.SetCellFormula("Sheet1", "D3", "B2*2"))
	}))
	f.Add(append(append([]byte(nil), cfbMagic...), make([]byte, 600)...))
	f.Fuzz(func(t *testing.T, data []byte) {
		opt := ReadOptions{MaxRows: 50, MaxColumns: 20, MaxCellRunes: 100, MaxUnzipBytes: 4 << 20}
		rd, err := Open("upload", bytes.NewReader(data), int64(len(data)), opt)
		if err != nil {
			if ReasonOf(err) == "" {
				t.Fatalf("refusal without a reason: %v", err)
			}
			return
		}
		defer rd.Close()
		for {
			row, ok := rd.Next()
			if !ok {
				break
			}
			if row.Number < 2 || len(row.Cells) > opt.MaxColumns {
				t.Fatalf("row %+v", row)
			}
		}
		if err := rd.Err(); err != nil && ReasonOf(err) == "" {
			t.Fatalf("error without a reason: %v", err)
		}
	})
}
