package stories

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"

	"golang.org/x/image/draw"
	"golang.org/x/image/webp"

	"github.com/linli/linli/internal/apperr"
)

// MaxPhotoBytes is the largest photo accepted, as uploaded.
const MaxPhotoBytes = 10 << 20

// MaxSide is the longest side of a stored photo: enough for a screen or a
// printed notice board, small enough for a phone on a slow link.
const MaxSide = 2048

// maxPixels bounds what a photo may decode to: a small file that claims
// 60,000 × 60,000 pixels would take gigabytes to decode.
const maxPixels = 50_000_000

// decoders are the formats accepted, told by their first bytes, never by
// the file's name or the client's Content-Type. Anything else — SVG
// (which may carry script), GIF, HEIC, PDF, HTML — is refused.
var decoders = []struct {
	magic  []byte
	off    int
	config func(io.Reader) (image.Config, error)
	decode func(io.Reader) (image.Image, error)
}{
	{[]byte{0xFF, 0xD8, 0xFF}, 0, jpeg.DecodeConfig, jpeg.Decode},
	{[]byte("\x89PNG\r\n\x1a\n"), 0, png.DecodeConfig, png.Decode},
	{[]byte("WEBP"), 8, webp.DecodeConfig, webp.Decode},
}

// Reencode checks that data is a JPEG, PNG or WebP photo and returns it
// decoded and encoded again as a JPEG of at most MaxSide pixels a side.
// Only pixels survive: EXIF (with the GPS position of the children's
// activity room), XMP, comments and anything appended to the file are
// dropped because nothing but the decoded image is written.
func Reencode(data []byte) (out []byte, width, height int, err error) {
	if len(data) > MaxPhotoBytes {
		return nil, 0, 0, apperr.New(apperr.TooLarge, "error.too_large").With(map[string]any{"max": MaxPhotoBytes})
	}
	var dec func(io.Reader) (image.Image, error)
	var cfg func(io.Reader) (image.Config, error)
	for _, d := range decoders {
		if len(data) >= d.off+len(d.magic) && bytes.Equal(data[d.off:d.off+len(d.magic)], d.magic) &&
			(d.off == 0 || bytes.HasPrefix(data, []byte("RIFF"))) {
			dec, cfg = d.decode, d.config
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
	img, err := dec(bytes.NewReader(data))
	if err != nil {
		return nil, 0, 0, apperr.Wrap(err, apperr.Unsupported, "photo.unreadable")
	}
	img = fit(img, MaxSide)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
		return nil, 0, 0, fmt.Errorf("stories: encode photo: %w", err)
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

// ReadUpload reads r up to MaxPhotoBytes, or TooLarge without reading on
// past the limit. A read error (the front door's own body limit) is
// returned wrapped, for the handler to classify.
func ReadUpload(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxPhotoBytes+1))
	if err != nil {
		return nil, fmt.Errorf("stories: read photo: %w", err)
	}
	if len(data) > MaxPhotoBytes {
		return nil, apperr.New(apperr.TooLarge, "error.too_large").With(map[string]any{"max": MaxPhotoBytes})
	}
	return data, nil
}
