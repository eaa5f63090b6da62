package photos

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	_ "image/png"
	"runtime"
	"testing"
	"time"

	"github.com/linli/linli/internal/apperr"
)

// bomb writes a w × h 16-bit RGBA PNG of zeros row by row, so the test
// itself never holds the 8 bytes a pixel the decoder would allocate.
func bomb(t *testing.T, w, h int) []byte {
	t.Helper()
	var out bytes.Buffer
	out.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(kind string, data []byte) {
		binary.Write(&out, binary.BigEndian, uint32(len(data)))
		c := crc32.NewIEEE()
		c.Write([]byte(kind))
		c.Write(data)
		out.WriteString(kind)
		out.Write(data)
		binary.Write(&out, binary.BigEndian, c.Sum32())
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9] = 16, 6 // 16 bits a sample, RGBA
	chunk("IHDR", ihdr)
	var idat bytes.Buffer
	z, _ := zlib.NewWriterLevel(&idat, zlib.DefaultCompression)
	row := make([]byte, 1+w*8)
	for range h {
		z.Write(row)
	}
	z.Close()
	chunk("IDAT", idat.Bytes())
	chunk("IEND", nil)
	return out.Bytes()
}

// A 7000 × 7000 16-bit PNG of a few hundred KB is under the pixel cap but
// would decode to 392 MB: it is refused from its header, allocating
// next to nothing. A 4000 × 3000 phone photo still goes through.
func TestDecodeBudget(t *testing.T) {
	ctx := context.Background()
	data := bomb(t, 7000, 7000)
	if len(data) > 1<<20 {
		t.Fatalf("the bomb is %d bytes", len(data))
	}
	if c, _, err := image.DecodeConfig(bytes.NewReader(data)); err != nil || c.Width != 7000 || c.ColorModel != color.NRGBA64Model {
		t.Fatalf("the bomb's header: %+v %v", c, err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, _, _, err := Reencode(ctx, data)
	runtime.ReadMemStats(&after)
	var e *apperr.Error
	if !errors.As(err, &e) || e.Code != apperr.Invalid || e.Key != "photo.decode_memory" {
		t.Fatalf("bomb: %v, want photo.decode_memory", err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 10<<20 {
		t.Errorf("refusing the bomb allocated %d MB", n>>20)
	}
	t.Logf("%d KB bomb refused after allocating %d KB", len(data)>>10, (after.TotalAlloc-before.TotalAlloc)>>10)

	img := image.NewYCbCr(image.Rect(0, 0, 4000, 3000), image.YCbCrSubsampleRatio420)
	for i := range img.Y {
		img.Y[i] = uint8(i)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	out, w, h, err := Reencode(ctx, buf.Bytes())
	if err != nil || w != 2048 || h != 1536 || len(out) == 0 {
		t.Fatalf("4000×3000 JPEG: %d×%d %v", w, h, err)
	}
}

// jpegHeader is a JPEG cut after its frame header: enough for the
// header check, nothing to decode.
func jpegHeader(sof byte, w, h int) []byte {
	b := []byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0xFF, sof, 0, 17, 8}
	b = binary.BigEndian.AppendUint16(b, uint16(h))
	b = binary.BigEndian.AppendUint16(b, uint16(w))
	b = append(b, 3, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0)
	return b
}

// A progressive JPEG holds every coefficient until its last scan: at
// 6000 × 4000 that is over the budget, where a baseline one is not.
func TestProgressiveJPEGBudget(t *testing.T) {
	ctx := context.Background()
	var e *apperr.Error
	if _, _, _, err := Reencode(ctx, jpegHeader(0xC2, 6000, 4000)); !errors.As(err, &e) || e.Key != "photo.decode_memory" {
		t.Errorf("progressive 6000×4000: %v, want photo.decode_memory", err)
	}
	// The baseline header passes the budget and fails only to decode.
	if _, _, _, err := Reencode(ctx, jpegHeader(0xC0, 6000, 4000)); !errors.As(err, &e) || e.Key != "photo.unreadable" {
		t.Errorf("baseline 6000×4000: %v, want photo.unreadable", err)
	}
}

// With every decode slot taken, a decode waits, and gives up when its
// request's context ends; once a slot frees it goes through.
func TestDecodeSlots(t *testing.T) {
	var buf bytes.Buffer
	jpeg.Encode(&buf, image.NewGray(image.Rect(0, 0, 32, 32)), nil)
	for range cap(decodeSlots) {
		decodeSlots <- struct{}{}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, _, _, err := Reencode(ctx, buf.Bytes()); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("with no slot free: %v", err)
	}
	for range cap(decodeSlots) {
		<-decodeSlots
	}
	if _, w, _, err := Reencode(context.Background(), buf.Bytes()); err != nil || w != 32 {
		t.Errorf("with slots free: %d %v", w, err)
	}
}
