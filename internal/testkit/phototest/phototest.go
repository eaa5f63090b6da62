// Package phototest makes the photos tests upload: a plain JPEG, and the
// same with the EXIF a phone writes, GPS position included, so a test
// can show the position is gone from what was stored.
package phototest

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
)

// JPEG draws a w × h gradient and encodes it.
func JPEG(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 120, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// WithGPS inserts an EXIF APP1 segment with a GPS position (38°2'30"N)
// right after the JPEG's start marker, as a phone does.
func WithGPS(jpg []byte) []byte {
	var tiff bytes.Buffer
	be := binary.BigEndian
	tiff.WriteString("MM\x00\x2a")
	binary.Write(&tiff, be, uint32(8))
	// IFD0: one entry, GPSInfo (0x8825) pointing at offset 26.
	binary.Write(&tiff, be, uint16(1))
	binary.Write(&tiff, be, []uint16{0x8825, 4})
	binary.Write(&tiff, be, []uint32{1, 26})
	binary.Write(&tiff, be, uint32(0))
	// GPS IFD: latitude ref "N" and latitude 38/1 2/1 30/1 at offset 56.
	binary.Write(&tiff, be, uint16(2))
	binary.Write(&tiff, be, []uint16{1, 2})
	binary.Write(&tiff, be, uint32(2))
	tiff.WriteString("N\x00\x00\x00")
	binary.Write(&tiff, be, []uint16{2, 5})
	binary.Write(&tiff, be, []uint32{3, 56})
	binary.Write(&tiff, be, uint32(0))
	binary.Write(&tiff, be, []uint32{38, 1, 2, 1, 30, 1})
	app1 := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	seg := []byte{0xFF, 0xE1, byte((len(app1) + 2) >> 8), byte(len(app1) + 2)}
	out := append([]byte{}, jpg[:2]...)
	out = append(out, seg...)
	out = append(out, app1...)
	return append(out, jpg[2:]...)
}

// HasEXIF reports whether data carries an EXIF APP1 segment or a TIFF
// header (where the GPS position lives).
func HasEXIF(data []byte) bool {
	return bytes.Contains(data, []byte("Exif\x00\x00")) || bytes.Contains(data, []byte{0xFF, 0xE1}) ||
		bytes.Contains(data, []byte("MM\x00\x2a"))
}
