package demo

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"image"
	"image/color"
	"image/jpeg"
	"math"
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

// What a request photo shows: the stand-ins residents and handlers would
// take of a repair, before and after.
const (
	shotStain    = "stain"    // a ceiling with a brown water stain and drips
	shotDry      = "dry"      // the repaired pipe under a dry ceiling
	shotRadiator = "radiator" // a cold radiator, a thermometer reading low
	shotFixture  = "fixture"  // a broken fixture: a dripping tap, a dead lamp, a cracked pane
)

// demoRequestPhoto draws a stand-in photo of a request of the given shot
// from seed and label alone, as demoPhoto draws a story's: the same seed
// always gives the same picture, a JPEG without metadata. Simple shapes,
// a few milliseconds each, so the demo starts as fast as before.
func demoRequestPhoto(seed uint64, label, shot string) ([]byte, int, int, error) {
	const w, h = 640, 480
	hs := fnv.New64a()
	hs.Write([]byte(shot + "|" + label))
	rnd := rand.New(rand.NewPCG(seed, hs.Sum64()))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	switch shot {
	case shotStain, shotDry:
		drawCeiling(img, rnd, shot == shotStain)
	case shotRadiator:
		drawRadiator(img, rnd)
	case shotFixture:
		drawFixture(img, rnd)
	default:
		return nil, 0, 0, fmt.Errorf("demo: no request photo of %q", shot)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80}); err != nil {
		return nil, 0, 0, fmt.Errorf("demo: request photo: %w", err)
	}
	return buf.Bytes(), w, h, nil
}

// gradient fills rows y0..y1 with a colour shading from top to bottom.
func gradient(img *image.RGBA, y0, y1 int, top, bottom color.RGBA) {
	b := img.Bounds()
	for y := max(y0, b.Min.Y); y < min(y1, b.Max.Y); y++ {
		f := float64(y-y0) / float64(max(1, y1-y0))
		c := color.RGBA{mix(top.R, bottom.R, f), mix(top.G, bottom.G, f), mix(top.B, bottom.B, f), 255}
		row := img.Pix[y*img.Stride : y*img.Stride+b.Dx()*4]
		for x := 0; x < b.Dx(); x++ {
			row[x*4], row[x*4+1], row[x*4+2], row[x*4+3] = c.R, c.G, c.B, c.A
		}
	}
}

func mix(a, b uint8, f float64) uint8 { return uint8(float64(a) + (float64(b)-float64(a))*f) }

// line draws a line of the given half-width from (x0, y0) to (x1, y1).
func line(img *image.RGBA, x0, y0, x1, y1, half int, c color.RGBA) {
	n := max(abs(x1-x0), abs(y1-y0), 1)
	for i := 0; i <= n; i += max(1, half) {
		x, y := x0+(x1-x0)*i/n, y0+(y1-y0)*i/n
		fill(img, x-half, y-half, x+half+1, y+half+1, c)
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// drawCeiling draws a ceiling seen from below, the wall's edge across
// its foot: with an irregular brown stain, darker at its rim, and drips
// hanging from it (stained), or dry, with the new section of pipe along
// the wall held by clamps (repaired).
func drawCeiling(img *image.RGBA, rnd *rand.Rand, stained bool) {
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	edge := h*3/4 + rnd.IntN(h/10)
	gradient(img, 0, edge, color.RGBA{236, 234, 226, 255}, color.RGBA{214, 211, 200, 255})
	gradient(img, edge, h, color.RGBA{200, 196, 184, 255}, color.RGBA{176, 170, 156, 255})
	line(img, 0, edge, w, edge, 1, color.RGBA{150, 146, 136, 255})
	cx, cy := w/3+rnd.IntN(w/3), h/4+rnd.IntN(h/4)
	if !stained {
		// A patch of fresh paint where the stain was, a shade whiter.
		for i := 0; i < 6; i++ {
			disc(img, cx+rnd.IntN(90)-45, cy+rnd.IntN(50)-25, 40+rnd.IntN(20), color.RGBA{244, 243, 238, 255})
		}
		// The pipe along the wall: old grey, the new section bright, clamps.
		py := edge - 30
		fill(img, 0, py-12, w, py+12, color.RGBA{128, 132, 136, 255})
		nx := cx - 80
		fill(img, nx, py-13, nx+200, py+13, color.RGBA{212, 218, 224, 255})
		fill(img, nx, py-4, nx+200, py-1, color.RGBA{240, 244, 248, 255}) // its shine
		for _, x := range []int{nx - 6, nx + 194} {
			fill(img, x, py-17, x+12, py+17, color.RGBA{60, 62, 66, 255})
		}
		return
	}
	// The stain: overlapping blobs, a dark rim first, then the paler inside.
	type blob struct{ x, y, r int }
	var blobs []blob
	for i := 0; i < 10+rnd.IntN(6); i++ {
		blobs = append(blobs, blob{cx + rnd.IntN(180) - 90, cy + rnd.IntN(90) - 45, 24 + rnd.IntN(34)})
	}
	for _, b := range blobs {
		disc(img, b.x, b.y, b.r+5, color.RGBA{120, 84, 44, 255})
	}
	for _, b := range blobs {
		disc(img, b.x, b.y, b.r, color.RGBA{uint8(170 + rnd.IntN(20)), uint8(130 + rnd.IntN(15)), 80, 255})
	}
	// Tide marks inside, and the drips hanging from the lowest part.
	for i := 0; i < 4; i++ {
		b := blobs[rnd.IntN(len(blobs))]
		disc(img, b.x, b.y, b.r/3, color.RGBA{140, 100, 58, 255})
	}
	for i := 0; i < 3+rnd.IntN(3); i++ {
		b := blobs[rnd.IntN(len(blobs))]
		x, y := b.x+rnd.IntN(b.r)-b.r/2, b.y+b.r/2
		l := 20 + rnd.IntN(50)
		fill(img, x-2, y, x+3, y+l, color.RGBA{130, 92, 50, 255})
		disc(img, x, y+l+4, 5, color.RGBA{150, 170, 190, 255}) // the drop, catching the light
	}
}

// drawRadiator draws a wall and floor, a radiator of white fins, and a
// thermometer on the wall whose red column stands low.
func drawRadiator(img *image.RGBA, rnd *rand.Rand) {
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	floor := h*4/5 + rnd.IntN(h/20)
	wall := color.RGBA{uint8(220 + rnd.IntN(20)), uint8(214 + rnd.IntN(20)), 196, 255}
	gradient(img, 0, floor, wall, color.RGBA{wall.R - 30, wall.G - 30, wall.B - 30, 255})
	gradient(img, floor, h, color.RGBA{150, 104, 66, 255}, color.RGBA{110, 74, 44, 255})
	// The radiator: fins with a shadow each, pipes top and bottom.
	x0, top := 120+rnd.IntN(60), floor-190
	fins := 9 + rnd.IntN(4)
	for i := 0; i < fins; i++ {
		x := x0 + i*28
		fill(img, x, top, x+22, floor-30, color.RGBA{236, 236, 232, 255})
		fill(img, x+18, top, x+22, floor-30, color.RGBA{196, 196, 190, 255})
	}
	right := x0 + fins*28
	fill(img, x0-10, top+14, right+6, top+24, color.RGBA{210, 210, 204, 255})
	fill(img, x0-10, floor-52, right+6, floor-42, color.RGBA{210, 210, 204, 255})
	fill(img, right, floor-52, right+12, h, color.RGBA{150, 150, 146, 255}) // the pipe down into the floor
	// The thermometer: a white card, a scale, a red column and bulb low.
	tx, ty := min(w-70, right+50+rnd.IntN(30)), 60+rnd.IntN(30)
	fill(img, tx, ty, tx+40, ty+220, color.RGBA{250, 250, 246, 255})
	for i := 0; i <= 10; i++ {
		l := 8
		if i%5 == 0 {
			l = 14
		}
		fill(img, tx+26, ty+20+i*17, tx+26+l-6, ty+22+i*17, color.RGBA{40, 40, 40, 255})
	}
	fill(img, tx+16, ty+20, tx+22, ty+200, color.RGBA{200, 200, 200, 255})
	level := ty + 200 - 40 - rnd.IntN(20) // eleven or twelve degrees: low on the scale
	fill(img, tx+16, level, tx+22, ty+200, color.RGBA{210, 30, 30, 255})
	disc(img, tx+19, ty+204, 9, color.RGBA{210, 30, 30, 255})
}

// drawFixture draws one of three broken fixtures: a dripping tap over a
// tiled wall, a ceiling lamp with a cracked, dark cover, or a window pane
// cracked across.
func drawFixture(img *image.RGBA, rnd *rand.Rand) {
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	switch rnd.IntN(3) {
	case 0: // the tap
		fill(img, 0, 0, w, h, color.RGBA{226, 232, 236, 255})
		for x := 0; x < w; x += 80 {
			fill(img, x, 0, x+3, h, color.RGBA{180, 188, 194, 255})
		}
		for y := 0; y < h; y += 80 {
			fill(img, 0, y, w, y+3, color.RGBA{180, 188, 194, 255})
		}
		bx := w/3 + rnd.IntN(w/4)
		fill(img, bx-20, 120, bx+20, 200, color.RGBA{170, 174, 180, 255})  // the body
		fill(img, bx-10, 180, bx+140, 204, color.RGBA{186, 190, 196, 255}) // the spout
		fill(img, bx+120, 204, bx+140, 226, color.RGBA{186, 190, 196, 255})
		fill(img, bx-50, 100, bx+50, 120, color.RGBA{150, 154, 160, 255}) // the handle
		for i := 0; i < 3; i++ {
			disc(img, bx+130, 250+i*45, 7-i, color.RGBA{120, 160, 210, 255})
		}
		fill(img, 0, h-90, w, h, color.RGBA{244, 244, 244, 255})    // the basin's rim
		disc(img, bx+130, h-60, 14, color.RGBA{190, 150, 110, 255}) // rust where it drips
	case 1: // the lamp
		gradient(img, 0, h, color.RGBA{214, 212, 206, 255}, color.RGBA{180, 178, 170, 255})
		cx, cy := w/2+rnd.IntN(80)-40, h/2+rnd.IntN(60)-30
		disc(img, cx, cy, 130, color.RGBA{150, 148, 140, 255})
		disc(img, cx, cy, 122, color.RGBA{196, 196, 190, 255})
		disc(img, cx, cy, 40, color.RGBA{90, 90, 86, 255}) // the dead tube behind it
		x, y := cx-110, cy-20
		for i := 0; i < 6; i++ { // a crack across the cover
			nx, ny := x+30+rnd.IntN(20), y+rnd.IntN(50)-25
			line(img, x, y, nx, ny, 1, color.RGBA{70, 70, 66, 255})
			x, y = nx, ny
		}
		fill(img, cx-150, cy-8, cx-130, cy+8, color.RGBA{60, 60, 56, 255}) // a loose wire's end
	default: // the pane
		gradient(img, 0, h, color.RGBA{150, 190, 230, 255}, color.RGBA{200, 220, 236, 255})
		ox, oy := w/4+rnd.IntN(60), h/2+rnd.IntN(80)-40
		for i := 0; i < 7; i++ { // cracks running out from where it was hit, each its own way
			a := float64(i)*2*math.Pi/7 + rnd.Float64()*0.6
			x, y := ox, oy
			for j := 0; j < 5; j++ {
				a += rnd.Float64()*0.6 - 0.3
				l := 20 + rnd.Float64()*25
				nx, ny := x+int(l*math.Cos(a)), y+int(l*math.Sin(a))
				line(img, x, y, nx, ny, 1, color.RGBA{250, 252, 255, 255})
				x, y = nx, ny
			}
		}
		disc(img, ox, oy, 6, color.RGBA{250, 252, 255, 255})
		// The frame last, so the cracks stop at the pane's edge.
		frame := color.RGBA{240, 240, 236, 255}
		fill(img, 0, 0, w, 30, frame)
		fill(img, 0, h-30, w, h, frame)
		fill(img, 0, 0, 30, h, frame)
		fill(img, w-30, 0, w, h, frame)
		fill(img, w/2-12, 0, w/2+12, h, frame)
	}
}
