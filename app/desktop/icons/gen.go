//go:build ignore

// gen draws Perch's icons: a small bird on a perch, and a "generating" variant with three
// dots (the ellipsis of a reply being written). Run it with `go generate ./app/desktop/icons`
// from the repository root; it writes the PNGs beside it and build/appicon.png.
package main

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"log"
	"math"
	"os"
	"path/filepath"

	"golang.org/x/image/vector"
)

// The drawing lives in a 100×100 box; pt maps it onto an image of size px with an offset.
type canvas struct {
	size   float32 // pixels per 100 units
	dx, dy float32
	w, h   int
}

func (c canvas) pt(x, y float64) (float32, float32) {
	return float32(x)*c.size/100 + c.dx, float32(y)*c.size/100 + c.dy
}

type shape func(c canvas, r *vector.Rasterizer)

// ellipse adds an ellipse centred at (cx, cy), radii rx, ry, rotated by deg degrees.
func ellipse(cx, cy, rx, ry, deg float64) shape {
	return func(c canvas, r *vector.Rasterizer) {
		const k = 0.5522847498 // cubic Bézier handle length for a quarter circle
		a := deg * math.Pi / 180
		p := func(x, y float64) (float32, float32) {
			return c.pt(cx+x*math.Cos(a)-y*math.Sin(a), cy+x*math.Sin(a)+y*math.Cos(a))
		}
		r.MoveTo(p(rx, 0))
		quads := [][6]float64{
			{rx, k * ry, k * rx, ry, 0, ry},
			{-k * rx, ry, -rx, k * ry, -rx, 0},
			{-rx, -k * ry, -k * rx, -ry, 0, -ry},
			{k * rx, -ry, rx, -k * ry, rx, 0},
		}
		for _, q := range quads {
			x1, y1 := p(q[0], q[1])
			x2, y2 := p(q[2], q[3])
			x3, y3 := p(q[4], q[5])
			r.CubeTo(x1, y1, x2, y2, x3, y3)
		}
		r.ClosePath()
	}
}

func circle(cx, cy, rad float64) shape { return ellipse(cx, cy, rad, rad, 0) }

func polygon(pts ...float64) shape {
	return func(c canvas, r *vector.Rasterizer) {
		r.MoveTo(c.pt(pts[0], pts[1]))
		for i := 2; i < len(pts); i += 2 {
			r.LineTo(c.pt(pts[i], pts[i+1]))
		}
		r.ClosePath()
	}
}

// roundRect adds a rectangle with corner radius rad.
func roundRect(x0, y0, x1, y1, rad float64) shape {
	return func(c canvas, r *vector.Rasterizer) {
		const k = 0.5522847498
		h := rad * (1 - k)
		r.MoveTo(c.pt(x0+rad, y0))
		r.LineTo(c.pt(x1-rad, y0))
		r.CubeTo(c.pt3(x1-h, y0, x1, y0+h, x1, y0+rad))
		r.LineTo(c.pt(x1, y1-rad))
		r.CubeTo(c.pt3(x1, y1-h, x1-h, y1, x1-rad, y1))
		r.LineTo(c.pt(x0+rad, y1))
		r.CubeTo(c.pt3(x0+h, y1, x0, y1-h, x0, y1-rad))
		r.LineTo(c.pt(x0, y0+rad))
		r.CubeTo(c.pt3(x0, y0+h, x0+h, y0, x0+rad, y0))
		r.ClosePath()
	}
}

func (c canvas) pt3(x1, y1, x2, y2, x3, y3 float64) (float32, float32, float32, float32, float32, float32) {
	a, b := c.pt(x1, y1)
	d, e := c.pt(x2, y2)
	f, g := c.pt(x3, y3)
	return a, b, d, e, f, g
}

// mask rasterizes the union of shapes.
func mask(c canvas, shapes ...shape) *image.Alpha {
	m := image.NewAlpha(image.Rect(0, 0, c.w, c.h))
	for _, s := range shapes {
		r := vector.NewRasterizer(c.w, c.h)
		s(c, r)
		r.Draw(m, m.Bounds(), image.Opaque, image.Point{})
	}
	return m
}

// cut removes hole from m.
func cut(m, hole *image.Alpha) {
	for i := range m.Pix {
		m.Pix[i] = uint8(uint16(m.Pix[i]) * uint16(255-hole.Pix[i]) / 255)
	}
}

// The bird, facing right, perched on a branch.
var (
	body   = ellipse(46, 56, 25, 16.5, -24)
	head   = circle(66, 35, 13)
	beak   = polygon(77, 30.5, 91, 36.5, 77, 41)
	tail   = polygon(27, 61, 7, 76, 13, 81, 33, 70)
	legs   = []shape{roundRect(42, 66, 45.5, 84, 1.5), roundRect(51, 66, 54.5, 84, 1.5)}
	branch = roundRect(5, 80, 95, 87, 3.5)
	twig   = polygon(72, 82, 84, 72, 87, 74, 77, 84)
	eye    = circle(69, 32, 2.8)
	wing   = ellipse(43, 55, 15, 8.5, -24)
	dots   = []shape{circle(12, 20, 5), circle(26, 20, 5), circle(40, 20, 5)}
)

func bird(c canvas, busy bool) (all, wingMask *image.Alpha) {
	shapes := []shape{body, head, beak, tail, branch, twig}
	shapes = append(shapes, legs...)
	if busy {
		shapes = append(shapes, dots...)
	}
	all = mask(c, shapes...)
	cut(all, mask(c, eye))
	return all, mask(c, wing)
}

// paint fills an image with col through m.
func paint(dst *image.RGBA, m *image.Alpha, col color.Color) {
	draw.DrawMask(dst, dst.Bounds(), image.NewUniform(col), image.Point{}, m, image.Point{}, draw.Over)
}

func write(path string, img image.Image) {
	var b bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&b, img); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}

// template is a macOS menu-bar template image: black, shape in alpha (macOS tints it).
func template(px int, busy bool) image.Image {
	c := canvas{size: float32(px), w: px, h: px}
	m, _ := bird(c, busy)
	img := image.NewRGBA(image.Rect(0, 0, px, px))
	paint(img, m, color.Black)
	return img
}

var (
	orange     = color.RGBA{0xF0, 0x7F, 0x2E, 0xFF}
	darkOrange = color.RGBA{0xB8, 0x55, 0x12, 0xFF}
	cream      = color.RGBA{0xFF, 0xF7, 0xEE, 0xFF}
)

// colour is the tray icon for Linux panels, light or dark: an orange bird.
func colour(px int, busy bool) image.Image {
	c := canvas{size: float32(px), w: px, h: px}
	m, wm := bird(c, busy)
	img := image.NewRGBA(image.Rect(0, 0, px, px))
	paint(img, m, orange)
	// The wing darkens the body where both are.
	for i := range wm.Pix {
		wm.Pix[i] = uint8(uint16(wm.Pix[i]) * uint16(m.Pix[i]) / 255)
	}
	paint(img, wm, darkOrange)
	return img
}

// appIcon is the application icon: a cream bird on an orange rounded square, inset as
// macOS's icon grid expects (824 of 1024).
func appIcon(px int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, px, px))
	full := canvas{size: float32(px), w: px, h: px}
	inset := 100.0 / 1024 * 100
	bg := mask(full, roundRect(inset, inset, 100-inset, 100-inset, 18.5))
	// A soft vertical gradient: lighter at the top.
	for y := 0; y < px; y++ {
		t := float64(y) / float64(px)
		col := color.RGBA{uint8(0xF7 - 0x10*t), uint8(0x93 - 0x20*t), uint8(0x4A - 0x20*t), 0xFF}
		for x := 0; x < px; x++ {
			a := bg.Pix[y*bg.Stride+x]
			if a == 0 {
				continue
			}
			img.SetRGBA(x, y, color.RGBA{uint8(uint16(col.R) * uint16(a) / 255), uint8(uint16(col.G) * uint16(a) / 255), uint8(uint16(col.B) * uint16(a) / 255), a})
		}
	}
	// The bird at 62% of the icon, centred.
	s := float32(px) * 0.62
	c := canvas{size: s, dx: (float32(px) - s) / 2, dy: (float32(px)-s)/2 + float32(px)*0.01, w: px, h: px}
	m, _ := bird(c, false)
	paint(img, m, cream)
	return img
}

func main() {
	write("tray-template.png", template(32, false))
	write("tray-template-busy.png", template(32, true))
	write("tray.png", colour(64, false))
	write("tray-busy.png", colour(64, true))
	write("app.png", appIcon(256))
	write(filepath.Join("..", "..", "..", "build", "appicon.png"), appIcon(1024))
}
