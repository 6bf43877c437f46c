package main

import (
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// bars is one runtime's bars, one per category, each rising from the bottom
// of the axis to its value and labelled with it.
//
// plotter.BarChart cannot be used: its bars start at zero, which has no
// place on a logarithmic scale (plot.LogScale panics on it).
type bars struct {
	values []float64 // by category; zero or less draws no bar
	failed []bool    // by category: every run failed, which the bar's place says
	color  color.Color
	width  vg.Length
	offset vg.Length // from the category's center
	unit   string
}

// Plot implements plot.Plotter.
func (b *bars) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	label := draw.TextStyle{
		Color:    color.Black,
		Font:     font.From(plot.DefaultFont, 8),
		XAlign:   draw.XLeft,
		YAlign:   draw.YCenter,
		Rotation: math.Pi / 2,
		Handler:  plot.DefaultTextHandler,
	}
	failed := label
	failed.Color = color.RGBA{0xc0, 0x00, 0x00, 0xff}
	failed.Font = font.From(plot.DefaultFont, 11)
	for i, v := range b.values {
		x := trX(float64(i)) + b.offset
		if b.failed[i] {
			c.FillText(failed, vg.Point{X: x, Y: trY(plt.Y.Min) + vg.Millimeter}, "FAILED")
		}
		if v <= 0 {
			continue
		}
		bottom := trY(plt.Y.Min)
		top := trY(math.Min(v, plt.Y.Max))
		rect := []vg.Point{
			{X: x - b.width/2, Y: bottom}, {X: x - b.width/2, Y: top},
			{X: x + b.width/2, Y: top}, {X: x + b.width/2, Y: bottom},
		}
		c.FillPolygon(b.color, c.ClipPolygonY(rect))
		c.FillText(label, vg.Point{X: x, Y: top + vg.Millimeter}, formatValue(v, b.unit))
	}
}

// Thumbnail implements plot.Thumbnailer, for the legend.
func (b *bars) Thumbnail(c *draw.Canvas) {
	c.FillPolygon(b.color, []vg.Point{
		{X: c.Min.X, Y: c.Min.Y}, {X: c.Min.X, Y: c.Max.Y},
		{X: c.Max.X, Y: c.Max.Y}, {X: c.Max.X, Y: c.Min.Y},
	})
}

// newGrid returns horizontal grid lines at the major ticks only.
func newGrid() *plotter.Grid {
	g := plotter.NewGrid()
	g.Vertical.Color = nil
	g.Horizontal.Color = color.Gray{Y: 0xdd}
	return g
}

// logTicks marks the powers of ten with labels in the panel's unit, and 2
// to 9 times them with minor ticks; for bytes, it labels the powers of two.
type logTicks struct{ unit string }

// Ticks implements plot.Ticker.
func (t logTicks) Ticks(min, max float64) []plot.Tick {
	var ticks []plot.Tick
	if t.unit == "bytes" {
		for e := math.Floor(math.Log2(min)); e <= math.Ceil(math.Log2(max)); e++ {
			if v := math.Pow(2, e); v >= min*0.999 && v <= max*1.001 {
				ticks = append(ticks, plot.Tick{Value: v, Label: formatValue(v, t.unit)})
			}
		}
		return ticks
	}
	for e := math.Floor(math.Log10(min)); e <= math.Ceil(math.Log10(max)); e++ {
		p := math.Pow(10, e)
		if p >= min*0.999 && p <= max*1.001 {
			ticks = append(ticks, plot.Tick{Value: p, Label: formatValue(p, t.unit)})
		}
		for k := 2.0; k < 10; k++ {
			if v := k * p; v > min && v < max {
				ticks = append(ticks, plot.Tick{Value: v})
			}
		}
	}
	return ticks
}

// formatValue formats v as the report does: nanoseconds scaled to ns, µs,
// ms or s; bytes to B, KiB or MiB; requests per second to /s, k/s or M/s;
// three significant digits.
func formatValue(v float64, unit string) string {
	type step struct {
		size float64
		name string
	}
	steps := []step{{1, "ns"}, {1e3, "µs"}, {1e6, "ms"}, {1e9, "s"}}
	switch unit {
	case "bytes":
		steps = []step{{1, "B"}, {1 << 10, "KiB"}, {1 << 20, "MiB"}, {1 << 30, "GiB"}}
	case "req/s":
		steps = []step{{1, "/s"}, {1e3, "k/s"}, {1e6, "M/s"}}
	}
	s := steps[0]
	for _, st := range steps[1:] {
		if v >= st.size {
			s = st
		}
	}
	x := v / s.size
	switch {
	case x >= 100 || s.size == 1 && unit == "bytes":
		return trim(x, 0) + " " + s.name
	case x >= 10:
		return trim(x, 1) + " " + s.name
	}
	return trim(x, 2) + " " + s.name
}

// trim formats x with prec decimals, dropping trailing zeros.
func trim(x float64, prec int) string {
	s := strconv.FormatFloat(x, 'f', prec, 64)
	if prec == 0 {
		return s
	}
	for s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	if s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	return s
}
