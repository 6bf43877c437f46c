package main

import (
	"image/color"
	"math"
	"os"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// colors gives each runtime its color; goasyncio's stands out.
var colors = map[string]color.Color{
	"goasyncio":    color.RGBA{0x00, 0x5a, 0xd6, 0xff},
	"asyncio":      color.RGBA{0xf2, 0xb7, 0x01, 0xff},
	"uvloop":       color.RGBA{0xe3, 0x6c, 0x0a, 0xff},
	"uvloop-proto": color.RGBA{0xa8, 0x32, 0x00, 0xff},
	"greenlet":     color.RGBA{0x2c, 0xa0, 0x2c, 0xff},
	"node":         color.RGBA{0x8c, 0x56, 0x4b, 0xff},
	"go":           color.RGBA{0x7f, 0x7f, 0x7f, 0xff},
}

// names are the runtimes' names in the legend.
var names = map[string]string{
	"goasyncio":    "goasyncio",
	"asyncio":      "CPython asyncio",
	"uvloop":       "asyncio + uvloop",
	"uvloop-proto": "uvloop raw protocol",
	"greenlet":     "Python greenlet",
	"node":         "Node.js",
	"go":           "plain Go (floor)",
}

func colorOf(rt string) color.Color {
	if c, ok := colors[rt]; ok {
		return c
	}
	return color.Black
}

func nameOf(rt string) string {
	if n, ok := names[rt]; ok {
		return n
	}
	return rt
}

const (
	width  = 14 * vg.Inch
	height = 9 * vg.Inch
	dpi    = 100
)

// render lays the chart out and writes it as a PNG: the title, a legend,
// the first panel across the page, and the other panels side by side
// below it.
func render(s *summary, title, out string) error {
	img := vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(dpi), vgimg.UseBackgroundColor(color.White))
	c := draw.New(img)

	c = drawTitle(c, title)
	c = drawLegend(c, s.Runtimes)
	top, rest := s.Panels[0], s.Panels[1:]
	if len(rest) == 0 {
		drawPanel(c, top, s.Runtimes)
	} else {
		h := c.Max.Y - c.Min.Y
		gap := vg.Length(0.25) * vg.Inch
		drawPanel(draw.Crop(c, 0, 0, h*0.42+gap, 0), top, s.Runtimes)
		lower := draw.Crop(c, 0, 0, 0, -(h * 0.58))
		w := (lower.Max.X - lower.Min.X) / vg.Length(len(rest))
		for i, p := range rest {
			left := w * vg.Length(i)
			right := -(lower.Max.X - lower.Min.X - w*vg.Length(i+1))
			drawPanel(draw.Crop(lower, left, right, 0, 0), p, s.Runtimes)
		}
	}

	f, err := os.Create(out)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func textStyle(size vg.Length, xalign draw.XAlignment) draw.TextStyle {
	return draw.TextStyle{
		Color:   color.Black,
		Font:    font.From(plot.DefaultFont, size),
		XAlign:  xalign,
		YAlign:  draw.YCenter,
		Handler: plot.DefaultTextHandler,
	}
}

// drawTitle writes the title across the top of c and returns the rest.
func drawTitle(c draw.Canvas, title string) draw.Canvas {
	h := vg.Length(0.5) * vg.Inch
	c.FillText(textStyle(20, draw.XCenter), vg.Point{X: c.Center().X, Y: c.Max.Y - h/2}, title)
	return draw.Crop(c, 0, 0, 0, -h)
}

// drawLegend writes one entry per runtime in a centered row at the top of
// c and returns the rest.
func drawLegend(c draw.Canvas, runtimes []string) draw.Canvas {
	h := vg.Length(0.45) * vg.Inch
	sty := textStyle(13, draw.XLeft)
	box, pad := vg.Length(12), vg.Length(6)
	entry := make([]vg.Length, len(runtimes))
	var total vg.Length
	for i, rt := range runtimes {
		entry[i] = box + pad + sty.Width(nameOf(rt)) + 3*pad
		total += entry[i]
	}
	x := c.Center().X - total/2
	y := c.Max.Y - h*0.4
	for i, rt := range runtimes {
		c.FillPolygon(colorOf(rt), []vg.Point{
			{X: x, Y: y - box/2}, {X: x, Y: y + box/2},
			{X: x + box, Y: y + box/2}, {X: x + box, Y: y - box/2},
		})
		c.FillText(sty, vg.Point{X: x + box + pad, Y: y}, nameOf(rt))
		x += entry[i]
	}
	return draw.Crop(c, 0, 0, 0, -h)
}

// drawPanel draws one panel on c: for several metrics, a group of bars per
// metric, one per runtime; for a single metric, one bar per runtime,
// labelled with the runtime's name.
func drawPanel(c draw.Canvas, pn panel, runtimes []string) {
	p := plot.New()
	p.Title.Text = pn.Title
	p.Title.TextStyle.Font.Size = 15
	p.Y.Label.Text = "median (log scale)"
	p.Y.Label.TextStyle.Font.Size = 12
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = logTicks{unit: pn.Unit}
	p.X.Tick.Label.Font.Size = 12
	p.Add(newGrid())
	p.Y.Min, p.Y.Max = yRange(pn)

	present := presentRuntimes(pn, runtimes)
	if len(pn.Metrics) == 1 {
		m := pn.Metrics[0]
		barWidth := c.Size().X * 0.8 / vg.Length(max(1, len(present))) * 0.7
		labels := make([]string, len(present))
		for k, rt := range present {
			labels[k] = nameOf(rt)
			b := &bars{values: make([]float64, len(present)), failed: make([]bool, len(present)), color: colorOf(rt), width: barWidth, unit: pn.Unit}
			b.values[k] = m.Medians[rt]
			b.failed[k] = m.failed(rt)
			p.Add(b)
		}
		nominalX(p, labels, len(present))
		p.Draw(c)
		return
	}

	labels := make([]string, len(pn.Metrics))
	for i, m := range pn.Metrics {
		labels[i] = m.Label
	}
	groupWidth := c.Size().X * 0.85 / vg.Length(max(1, len(pn.Metrics))) * 0.85
	barWidth := groupWidth / vg.Length(max(1, len(present)))
	for k, rt := range present {
		b := &bars{
			values: make([]float64, len(pn.Metrics)),
			failed: make([]bool, len(pn.Metrics)),
			color:  colorOf(rt),
			width:  barWidth,
			offset: (vg.Length(k) - vg.Length(len(present)-1)/2) * barWidth,
			unit:   pn.Unit,
		}
		for i, m := range pn.Metrics {
			b.values[i] = m.Medians[rt] // 0 where the runtime has no figure
			b.failed[i] = m.failed(rt)
		}
		p.Add(b)
	}
	nominalX(p, labels, len(pn.Metrics))
	p.Draw(c)
}

// nominalX labels the n categories on p's X axis. Unlike plot.NominalX
// alone, it leaves no padding above and below the data, which NominalX sets
// to half the width of the first label.
func nominalX(p *plot.Plot, labels []string, n int) {
	p.NominalX(labels...)
	p.Y.Padding = 0
	p.X.Min, p.X.Max = -0.5, float64(n)-0.5
}

// yRange returns an axis range for the panel's values: from a step of the
// scale below a third of the smallest, so that every bar shows, to a step
// above one and a half times the largest, to leave room for the labels.
// Steps are powers of ten, or of two for bytes.
func yRange(pn panel) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, m := range pn.Metrics {
		for _, v := range m.Medians {
			if v > 0 {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	if math.IsInf(lo, 1) {
		return 1, 10
	}
	base := 10.0
	if pn.Unit == "bytes" {
		base = 2
	}
	logb := func(x float64) float64 { return math.Log(x) / math.Log(base) }
	return math.Pow(base, math.Floor(logb(lo/3))), math.Pow(base, math.Ceil(logb(hi*1.5)))
}

// presentRuntimes returns the runtimes of order that have a figure in pn,
// or failed to.
func presentRuntimes(pn panel, order []string) []string {
	var out []string
	for _, rt := range order {
		for _, m := range pn.Metrics {
			if m.Medians[rt] > 0 || m.failed(rt) {
				out = append(out, rt)
				break
			}
		}
	}
	return out
}
