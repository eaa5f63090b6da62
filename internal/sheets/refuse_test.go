package sheets

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// randomReaderAt serves size pseudo-random bytes without holding them.
type randomReaderAt struct{}

func (randomReaderAt) ReadAt(p []byte, off int64) (int, error) {
	for i := range p {
		x := uint64(off+int64(i)) * 0x9E3779B97F4A7C15
		p[i] = byte(x >> 56)
	}
	return len(p), nil
}

// rezip copies the parts of the xlsx in data into a new archive, replacing
// the first sheet's part with what part writes.
func rezip(t *testing.T, data []byte, part func(zw *zip.Writer, name string)) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	check(t, err)
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		if f.Name == "xl/worksheets/sheet1.xml" {
			part(zw, f.Name)
			continue
		}
		w, err := zw.CreateRaw(&f.FileHeader)
		check(t, err)
		raw, err := f.OpenRaw()
		check(t, err)
		_, err = io.Copy(w, raw)
		check(t, err)
	}
	check(t, zw.Close())
	return out.Bytes()
}

func deflate(t *testing.T, b []byte) []byte {
	var out bytes.Buffer
	w, err := flate.NewWriter(&out, flate.BestCompression)
	check(t, err)
	_, err = w.Write(b)
	check(t, err)
	check(t, w.Close())
	return out.Bytes()
}

// sheetXML is a worksheet with a header row and padding, which compresses
// as well as a bomb does.
func sheetXML(padding int) []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c></row>` +
		strings.Repeat(" ", padding) + `</sheetData></worksheet>`)
}

func TestRefusals(t *testing.T) {
	good := xlsxBytes(t, func(f *excelize.File) { set(t, f, "Sheet1", [][]any{{"姓名"}, {"张三"}}) })
	if r := refusal(t, "good.xlsx", good, ReadOptions{}); r != "" {
		t.Fatalf("a good workbook refused: %s", r)
	}
	bomb := rezip(t, good, func(zw *zip.Writer, name string) {
		w, err := zw.Create(name)
		check(t, err)
		_, err = w.Write(sheetXML(4 << 20))
		check(t, err)
	})
	t.Logf("zip bomb: %d bytes, unpacks to more than %d", len(bomb), 4<<20)
	// A part that says it is small but unpacks to more: archive/zip stops
	// at the declared size, and the reader reports the damage.
	liar := rezip(t, good, func(zw *zip.Writer, name string) {
		content := sheetXML(4 << 20)
		packed := deflate(t, content)
		w, err := zw.CreateRaw(&zip.FileHeader{
			Name: name, Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(content),
			CompressedSize64: uint64(len(packed)), UncompressedSize64: 300,
		})
		check(t, err)
		_, err = w.Write(packed)
		check(t, err)
	})
	docx := rezip(t, good, func(*zip.Writer, string) {})
	docx = bytes.ReplaceAll(docx, []byte("xl/workbook.xml"), []byte("xl/document.xml"))
	var encrypted bytes.Buffer
	f := excelize.NewFile()
	set(t, f, "Sheet1", [][]any{{"姓名"}, {"张三"}})
	check(t, f.Write(&encrypted, excelize.Options{Password: "123456"}))
	f.Close()
	xls := append(append([]byte(nil), cfbMagic...), make([]byte, 4096)...)

	for _, tc := range []struct {
		name string
		data []byte
		opt  ReadOptions
		want Reason
	}{
		{"random.xlsx", randomBytes(64<<10, 1), ReadOptions{}, ReasonFormat},
		{"random-zip.xlsx", append([]byte("PK\x03\x04"), randomBytes(64<<10, 2)...), ReadOptions{}, ReasonFormat},
		{"truncated.xlsx", good[:len(good)/2], ReadOptions{}, ReasonFormat},
		{"bomb.xlsx", bomb, ReadOptions{}, ReasonTooLarge},
		{"bomb-total.xlsx", good, ReadOptions{MaxUnzipBytes: 4 << 10}, ReasonTooLarge},
		{"liar.xlsx", liar, ReadOptions{}, ReasonFormat},
		{"document.docx", docx, ReadOptions{}, ReasonFormat},
		{"old.xls", xls, ReadOptions{}, ReasonXLS},
		{"protected.xlsx", encrypted.Bytes(), ReadOptions{}, ReasonEncrypted},
		{"too-big.xlsx", good, ReadOptions{MaxBytes: int64(len(good) - 1)}, ReasonTooLarge},
	} {
		if got := refusal(t, tc.name, tc.data, tc.opt); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}

	// 50 MB of noise named .xlsx is refused by its size, unread.
	_, err := Open("noise.xlsx", randomReaderAt{}, 50<<20, ReadOptions{})
	if ReasonOf(err) != ReasonTooLarge {
		t.Errorf("50 MB blob: %v", err)
	}
	if ReasonOf(err) == "" || !strings.Contains(err.Error(), "noise.xlsx") {
		t.Errorf("error without context: %v", err)
	}
}
