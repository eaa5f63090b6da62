package sheets

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/xuri/excelize/v2"
)

const benchRows = 100_000

var benchHeader = []string{"姓名", "性别", "身份证号", "手机号", "出生日期", "楼栋", "单元", "门牌", "户籍", "政治面貌", "志愿者", "备注"}

// benchRow is a plausible resident, different in every row so that
// neither compression nor shared strings flatter the figures.
func benchRow(i int) []string {
	return []string{
		fmt.Sprintf("居民%05d", i), []string{"男", "女"}[i%2], fmt.Sprintf("1101011990%08d", i),
		fmt.Sprintf("138%08d", i), fmt.Sprintf("19%02d-%02d-%02d", i%100, i%12+1, i%28+1),
		fmt.Sprintf("%d号楼", i%40+1), fmt.Sprintf("%d单元", i%4+1), fmt.Sprintf("%d", 100+i%30),
		"本市", "群众", []string{"是", "否"}[i%3/2], fmt.Sprintf("备注 %d, 含逗号", i),
	}
}

func benchFile(b *testing.B, format Format) []byte {
	b.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(format, &buf)
	check(b, err)
	check(b, w.WriteHeader(benchHeader))
	for i := range benchRows {
		check(b, w.WriteRow(benchRow(i)))
	}
	check(b, w.Close())
	return buf.Bytes()
}

// sharedStringsFile is the bench sheet as Excel and WPS save it: text in
// the shared-string table, cells referring to it by number. (excelize's
// stream writer writes inline strings, and cannot write this.)
func sharedStringsFile(b *testing.B) []byte {
	f := excelize.NewFile()
	defer f.Close()
	for i := -1; i < benchRows; i++ {
		cells := benchHeader
		if i >= 0 {
			cells = benchRow(i)
		}
		for j, v := range cells {
			ref, _ := excelize.CoordinatesToCellName(j+1, i+2)
			check(b, f.SetCellStr("Sheet1", ref, v))
		}
	}
	var buf bytes.Buffer
	_, err := f.WriteTo(&buf)
	check(b, err)
	return buf.Bytes()
}

func BenchmarkRead(b *testing.B) {
	for _, format := range []Format{XLSX, "xlsx-shared-strings", CSV} {
		b.Run(string(format), func(b *testing.B) {
			// The function runs more than once: format must stay as it is.
			var data []byte
			format := format
			switch format {
			case "xlsx-shared-strings":
				data, format = sharedStringsFile(b), XLSX
			default:
				data = benchFile(b, format)
			}
			b.SetBytes(int64(len(data)))
			b.ResetTimer()
			for b.Loop() {
				rd, err := Open("bench"+format.Extension(), bytes.NewReader(data), int64(len(data)), ReadOptions{})
				check(b, err)
				n := 0
				for {
					if _, ok := rd.Next(); !ok {
						break
					}
					n++
				}
				check(b, rd.Err())
				check(b, rd.Close())
				if n != benchRows {
					b.Fatalf("%d rows", n)
				}
			}
			b.ReportMetric(float64(benchRows*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

func BenchmarkWrite(b *testing.B) {
	rows := make([][]string, benchRows)
	for i := range rows {
		rows[i] = benchRow(i)
	}
	for _, format := range []Format{XLSX, CSV} {
		b.Run(string(format), func(b *testing.B) {
			var size int
			for b.Loop() {
				var cw countingWriter
				w, err := NewWriter(format, &cw)
				check(b, err)
				check(b, w.WriteHeader(benchHeader))
				for _, row := range rows {
					check(b, w.WriteRow(row))
				}
				check(b, w.Close())
				size = cw.n
			}
			b.ReportMetric(float64(benchRows*b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(size), "file-bytes")
		})
	}
}

type countingWriter struct{ n int }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += len(p)
	return len(p), nil
}

var _ io.Writer = (*countingWriter)(nil)
