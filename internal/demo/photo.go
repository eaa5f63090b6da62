package demo

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
)

// demoPhoto draws a stand-in photo for a demo story — a sky, a floor and
// a crowd of coloured figures — from seed and label alone, so the same
// seed always gives the same picture. It is a JPEG written by the
// encoder, so it carries no metadata, like an uploaded photo after
// re-encoding.
func demoPhoto(seed uint64, label string) ([]byte, int, int, error) {
	const w, h = 640, 427
	hs := fnv.New64a()
	hs.Write([]byte(label))
	rnd := rand.New(rand.NewPCG(seed, hs.Sum64()))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	tint := uint8(rnd.IntN(60))
	floor := h * 2 / 3
	for y := 0; y < h; y++ {
		var c color.RGBA
		if y < floor {
			c = color.RGBA{uint8(200 - y/6), uint8(215 - y/8), 235 - tint, 255}
		} else {
			c = color.RGBA{150 + tint, uint8(120 + (y-floor)/4), 90, 255}
		}
		row := img.Pix[y*img.Stride : y*img.Stride+w*4]
		for x := 0; x < w; x++ {
			row[x*4], row[x*4+1], row[x*4+2], row[x*4+3] = c.R, c.G, c.B, c.A
		}
	}
	// Figures: a head and a body each, smaller further back.
	for i := 0; i < 9+rnd.IntN(6); i++ {
		cx, base := 30+rnd.IntN(w-60), floor-20+rnd.IntN(h-floor)
		size := 14 + (base-floor+20)/6 + rnd.IntN(6)
		body := color.RGBA{uint8(rnd.IntN(200) + 40), uint8(rnd.IntN(200) + 40), uint8(rnd.IntN(200) + 40), 255}
		fill(img, cx-size/2, base-size*2, cx+size/2, base, body)
		disc(img, cx, base-size*2-size/2, size/2, color.RGBA{235, 200, 170, 255})
	}
	// Lanterns, or whatever hangs above: a few bright discs.
	for i := 0; i < 3+rnd.IntN(4); i++ {
		disc(img, 40+rnd.IntN(w-80), 30+rnd.IntN(floor/2), 12+rnd.IntN(10), color.RGBA{230, uint8(40 + rnd.IntN(120)), 40, 255})
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80}); err != nil {
		return nil, 0, 0, fmt.Errorf("demo: photo: %w", err)
	}
	return buf.Bytes(), w, h, nil
}

func fill(img *image.RGBA, x0, y0, x1, y1 int, c color.RGBA) {
	r := image.Rect(x0, y0, x1, y1).Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.SetRGBA(x, y, c)
		}
	}
}

func disc(img *image.RGBA, cx, cy, rad int, c color.RGBA) {
	r := image.Rect(cx-rad, cy-rad, cx+rad+1, cy+rad+1).Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if (x-cx)*(x-cx)+(y-cy)*(y-cy) <= rad*rad {
				img.SetRGBA(x, y, c)
			}
		}
	}
}
