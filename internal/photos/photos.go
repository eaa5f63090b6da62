// Package photos is the one gate every uploaded photo passes: a story's
// photo of an activity, a resident's photo of a leak. It tells the format
// by content, refuses what would take too much memory to decode, and
// keeps only the pixels, so the EXIF a phone writes (the GPS position of
// the flat or of the children's activity room) never reaches the store.
// It stores nothing: the domain that keeps a photo decides who sees it.
package photos

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"

	"golang.org/x/image/draw"
	"golang.org/x/image/webp"

	"github.com/linli/linli/internal/apperr"
)

// MaxBytes is the largest photo accepted, as uploaded.
const MaxBytes = 10 << 20

// MaxSide is the longest side of a stored photo: enough for a screen or a
// printed notice board, small enough for a phone on a slow link.
const MaxSide = 2048

// maxPixels bounds what a photo may decode to: a small file that claims
// 60,000 × 60,000 pixels would take gigabytes to decode.
const maxPixels = 50_000_000

// MaxDecodeBytes bounds the memory one decode may take, estimated from
// the header before any pixel is decoded. The pixel count alone is not
// enough: a 394 KB 7000 × 7000 16-bit PNG is under maxPixels yet decodes
// to 392 MB. 200 MB admits a 4000 × 3000 phone photo, baseline or
// progressive, with room to spare.
const MaxDecodeBytes = 200 << 20

// decodeSlots bounds how many photos decode at once, so a few uploads
// arriving together cannot add up to more memory than the server has:
// at most cap × MaxDecodeBytes is ever in use for decoding.
var decodeSlots = make(chan struct{}, 2)

// decoders are the formats accepted, told by their first bytes, never by
// the file's name or the client's Content-Type. Anything else — SVG
// (which may carry script), GIF, HEIC, PDF, HTML — is refused.
var decoders = []struct {
	magic  []byte
	off    int
	config func(io.Reader) (image.Config, error)
	decode func(io.Reader) (image.Image, error)
	// extra is what the format's decoder needs beyond the decoded
	// image, in bytes per pixel, for this file.
	extra func(data []byte, c image.Config) int64
}{
	{[]byte{0xFF, 0xD8, 0xFF}, 0, jpeg.DecodeConfig, jpeg.Decode, jpegExtra},
	{[]byte("\x89PNG\r\n\x1a\n"), 0, png.DecodeConfig, png.Decode, pngExtra},
	{[]byte("WEBP"), 8, webp.DecodeConfig, webp.Decode, webpExtra},
}

// bytesPerPixel is what the decoded image of a colour model takes per
// pixel. YCbCr counts as 4:4:4, the worst a JPEG header may ask for;
// anything unknown as the largest, 16-bit RGBA.
func bytesPerPixel(m color.Model) int64 {
	switch m {
	case color.GrayModel, color.AlphaModel:
		return 1
	case color.Gray16Model, color.Alpha16Model:
		return 2
	case color.YCbCrModel:
		return 3
	case color.RGBAModel, color.NRGBAModel, color.CMYKModel:
		return 4
	case color.NYCbCrAModel:
		return 4
	case color.RGBA64Model, color.NRGBA64Model:
		return 8
	}
	if _, ok := m.(color.Palette); ok {
		return 1
	}
	return 8
}

// jpegExtra: a progressive JPEG keeps every block's coefficients (64
// int32s per 8 × 8 block, 4 bytes a pixel) of every component until the
// last scan; a baseline one decodes block by block.
func jpegExtra(data []byte, c image.Config) int64 {
	if !jpegProgressive(data) {
		return 0
	}
	switch c.ColorModel {
	case color.GrayModel:
		return 4
	case color.CMYKModel:
		return 16
	}
	return 12
}

// jpegProgressive walks the JPEG's segments up to its frame header. An
// unreadable walk counts as progressive: the larger estimate.
func jpegProgressive(data []byte) bool {
	for i := 2; i+4 <= len(data); {
		if data[i] != 0xFF {
			return true
		}
		m := data[i+1]
		switch {
		case m == 0xFF: // fill byte
			i++
			continue
		case m == 0xC0 || m == 0xC1:
			return false
		case m >= 0xC2 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC:
			return true
		}
		i += 2 + int(binary.BigEndian.Uint16(data[i+2:]))
	}
	return true
}

// pngExtra: an interlaced PNG decodes each of its passes into an image of
// its own before copying it into the whole.
func pngExtra(data []byte, c image.Config) int64 {
	if len(data) > 28 && data[28] != 0 {
		return bytesPerPixel(c.ColorModel)
	}
	return 0
}

// webpExtra: a lossless WebP is decoded as 32-bit ARGB first and then
// copied to NRGBA; a lossy one straight into YCbCr.
func webpExtra(data []byte, c image.Config) int64 {
	if c.ColorModel == color.NRGBAModel {
		return 4
	}
	return 0
}

// decodeCost estimates the bytes decoding takes: the decoded image, the
// decoder's own working memory, and the RGBA that fit draws it onto.
func decodeCost(c image.Config, bpp int64) int64 {
	px := int64(c.Width) * int64(c.Height)
	w, h := int64(min(c.Width, MaxSide)), int64(min(c.Height, MaxSide))
	return px*bpp + w*h*4
}

// Reencode checks that data is a JPEG, PNG or WebP photo and returns it
// decoded and encoded again as a JPEG of at most MaxSide pixels a side.
// Only pixels survive: EXIF (with the GPS position of the children's
// activity room, or of a resident's flat), XMP, comments and anything appended to the file are
// dropped because nothing but the decoded image is written.
//
// The header is read first and a photo that would take more than
// MaxDecodeBytes to decode is refused before any pixel is; decodes wait
// for one of the decodeSlots, or for ctx to end.
func Reencode(ctx context.Context, data []byte) (out []byte, width, height int, err error) {
	if len(data) > MaxBytes {
		return nil, 0, 0, apperr.New(apperr.TooLarge, "error.too_large").With(map[string]any{"max": MaxBytes})
	}
	var dec func(io.Reader) (image.Image, error)
	var cfg func(io.Reader) (image.Config, error)
	var extra func([]byte, image.Config) int64
	for _, d := range decoders {
		if len(data) >= d.off+len(d.magic) && bytes.Equal(data[d.off:d.off+len(d.magic)], d.magic) &&
			(d.off == 0 || bytes.HasPrefix(data, []byte("RIFF"))) {
			dec, cfg, extra = d.decode, d.config, d.extra
			break
		}
	}
	if dec == nil {
		return nil, 0, 0, apperr.New(apperr.Unsupported, "photo.type")
	}
	c, err := cfg(bytes.NewReader(data))
	if err != nil {
		return nil, 0, 0, apperr.Wrap(err, apperr.Unsupported, "photo.unreadable")
	}
	if c.Width <= 0 || c.Height <= 0 || int64(c.Width)*int64(c.Height) > maxPixels {
		return nil, 0, 0, apperr.New(apperr.Invalid, "photo.dimensions").With(map[string]any{"max": maxPixels / 1_000_000})
	}
	if decodeCost(c, bytesPerPixel(c.ColorModel)+extra(data, c)) > MaxDecodeBytes {
		// Deep colour or a progressive encoding at this size: the pixels
		// are few enough, the memory to decode them is not.
		return nil, 0, 0, apperr.New(apperr.Invalid, "photo.decode_memory").With(map[string]any{"width": c.Width, "height": c.Height})
	}
	select {
	case decodeSlots <- struct{}{}:
		defer func() { <-decodeSlots }()
	case <-ctx.Done():
		return nil, 0, 0, fmt.Errorf("photos: wait to decode photo: %w", ctx.Err())
	}
	img, err := dec(bytes.NewReader(data))
	if err != nil {
		return nil, 0, 0, apperr.Wrap(err, apperr.Unsupported, "photo.unreadable")
	}
	img = fit(img, MaxSide)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
		return nil, 0, 0, fmt.Errorf("photos: encode photo: %w", err)
	}
	b := img.Bounds()
	return buf.Bytes(), b.Dx(), b.Dy(), nil
}

// fit scales img down so its longer side is at most side; smaller images
// are drawn onto a fresh RGBA all the same, so the encoder sees plain
// pixels whatever the source's colour model.
func fit(img image.Image, side int) image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w > side || h > side {
		if w >= h {
			w, h = side, max(1, h*side/w)
		} else {
			w, h = max(1, w*side/h), side
		}
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	if w == b.Dx() && h == b.Dy() {
		draw.Draw(dst, dst.Bounds(), img, b.Min, draw.Src)
	} else {
		draw.ApproxBiLinear.Scale(dst, dst.Bounds(), img, b, draw.Src, nil)
	}
	return dst
}

// ReadUpload reads r up to MaxBytes, or TooLarge without reading on
// past the limit. A read error (the front door's own body limit) is
// returned wrapped, for the handler to classify.
func ReadUpload(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("photos: read photo: %w", err)
	}
	if len(data) > MaxBytes {
		return nil, apperr.New(apperr.TooLarge, "error.too_large").With(map[string]any{"max": MaxBytes})
	}
	return data, nil
}
