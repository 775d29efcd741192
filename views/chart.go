package views

import (
	"context"
	"fmt"
	"html"
	"io"
	"math"
	"strings"

	"github.com/a-h/templ"
)

// Bar is one labelled value of a bar chart. With Range set, a whisker runs from Low to High
// across the bar (the quartiles around a median).
type Bar struct {
	Label     string
	Value     float64
	Low, High float64
	Range     bool
}

// Chart is a horizontal bar chart: one bar per label, all on one scale.
// Unit is written after each value ("%", "days", "cases"); TestID, when set,
// becomes the figure's data-testid (default "chart").
// RangeName says what a bar's whisker spans ("quartiles"), for its title and the summary.
type Chart struct {
	Title     string
	Unit      string
	Bars      []Bar
	TestID    string
	RangeName string
}

// Chart geometry in SVG user units; the SVG scales to its container through viewBox, and its
// text (13 units, app.css) with it. The width is about what a chart of the productivity page's
// two columns is drawn at, so that the text reads at about 12px there; app.css caps the drawn
// width so that a chart alone on a page does not blow its text up either.
const (
	chartWidth    = 560
	chartLabelW   = 210 // label column, right-aligned text ends here minus a gap
	chartValueW   = 100 // room for the value text after the longest bar
	chartRowH     = 26
	chartBarH     = 16
	chartTopPad   = 6
	chartLabelMax = 26 // runes shown in a label (about what fits the label column at 13 units); the full label stays in the bar's <title>
)

// FormatChartValue writes a value as the chart shows it: whole numbers without
// decimals, others with one.
func FormatChartValue(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

func chartValueText(v float64, unit string) string {
	s := FormatChartValue(v)
	switch unit {
	case "":
		return s
	case "%":
		return s + "%"
	}
	return s + " " + unit
}

// ChartSummary is the chart as one sentence, for aria-label: screen readers get
// every number the bars show.
func ChartSummary(c Chart) string {
	if len(c.Bars) == 0 {
		return c.Title + ": no data"
	}
	parts := make([]string, len(c.Bars))
	for i, b := range c.Bars {
		parts[i] = b.Label + " " + barText(b, c)
	}
	return c.Title + ": " + strings.Join(parts, "; ")
}

// barText is a bar's value as its title and the summary say it, with its range.
func barText(b Bar, c Chart) string {
	s := chartValueText(b.Value, c.Unit)
	if b.Range {
		name := c.RangeName
		if name == "" {
			name = "range"
		}
		s += " (" + name + " " + FormatChartValue(b.Low) + "–" + chartValueText(b.High, c.Unit) + ")"
	}
	return s
}

func shortLabel(s string) string {
	r := []rune(s)
	if len(r) <= chartLabelMax {
		return s
	}
	return string(r[:chartLabelMax-1]) + "…"
}

// BarChart renders c as a server-side SVG: no script, no inline style (the CSP
// forbids it); colours come from the .chart classes in app.css. The numbers are
// also in the aria-label; pages show them in a table as well.
func BarChart(c Chart) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		esc := html.EscapeString
		testID := c.TestID
		if testID == "" {
			testID = "chart"
		}
		top := 0.0
		for _, b := range c.Bars {
			if b.Value > top && !math.IsInf(b.Value, 0) {
				top = b.Value
			}
			if b.Range && b.High > top && !math.IsInf(b.High, 0) {
				top = b.High
			}
		}
		rows := len(c.Bars)
		if rows == 0 {
			rows = 1
		}
		height := chartTopPad*2 + rows*chartRowH
		barArea := float64(chartWidth - chartLabelW - chartValueW)

		var sb strings.Builder
		fmt.Fprintf(&sb, `<figure class="chart" data-testid="%s">`, esc(testID))
		fmt.Fprintf(&sb, `<svg class="bar-chart" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="%s" viewBox="0 0 %d %d" width="100%%" preserveAspectRatio="xMinYMin meet">`,
			esc(ChartSummary(c)), chartWidth, height)
		fmt.Fprintf(&sb, `<title>%s</title><desc>%s</desc>`, esc(c.Title), esc(ChartSummary(c)))
		if len(c.Bars) == 0 {
			fmt.Fprintf(&sb, `<text class="chart-empty" x="%d" y="%d">No data</text>`, chartLabelW, chartTopPad+chartRowH/2+4)
		}
		for i, b := range c.Bars {
			y := chartTopPad + i*chartRowH
			v := b.Value
			if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
				v = 0
			}
			w := 0.0
			if top > 0 {
				w = v / top * barArea
			}
			if v > 0 && w < 1 {
				w = 1 // a non-zero value stays visible
			}
			textY := y + chartRowH/2 + 4
			sb.WriteString(`<g class="chart-row" data-testid="chart-bar">`)
			fmt.Fprintf(&sb, `<title>%s: %s</title>`, esc(b.Label), esc(barText(b, c)))
			fmt.Fprintf(&sb, `<text class="chart-label" x="%d" y="%d" text-anchor="end">%s</text>`,
				chartLabelW-8, textY, esc(shortLabel(b.Label)))
			fmt.Fprintf(&sb, `<rect class="chart-bar" x="%d" y="%d" width="%.1f" height="%d" rx="2"></rect>`,
				chartLabelW, y+(chartRowH-chartBarH)/2, w, chartBarH)
			valueX := float64(chartLabelW) + w + 6
			if b.Range && top > 0 {
				lo, hi := max(b.Low, 0)/top*barArea+chartLabelW, max(b.High, 0)/top*barArea+chartLabelW
				mid := y + chartRowH/2
				fmt.Fprintf(&sb, `<path class="chart-range" data-testid="chart-range" d="M%.1f %dH%.1fM%.1f %dV%dM%.1f %dV%d"></path>`,
					lo, mid, hi, lo, mid-5, mid+5, hi, mid-5, mid+5)
				valueX = max(valueX, hi+6)
			}
			fmt.Fprintf(&sb, `<text class="chart-value" x="%.1f" y="%d">%s</text>`,
				valueX, textY, esc(chartValueText(b.Value, c.Unit)))
			sb.WriteString(`</g>`)
		}
		sb.WriteString(`</svg>`)
		fmt.Fprintf(&sb, `<figcaption>%s</figcaption></figure>`, esc(c.Title))
		_, err := io.WriteString(w, sb.String())
		return err
	})
}

// Series is one named run of values of a SeriesChart, one value per category.
type Series struct {
	Name   string
	Values []float64
}

// SeriesChart is a chart of several series over the same categories: a stacked bar chart (a
// bar per category, a segment per series) or a line chart (the categories along the x axis, a
// line per series). Series are coloured apart by the palette of app.css (.s0 to .s7,
// Okabe–Ito, which readers with any common colour-vision deficiency tell apart), and the lines
// are dashed apart as well.
type SeriesChart struct {
	Title      string
	Unit       string // after each value ("cases")
	Categories []string
	Series     []Series
	TestID     string
	XTitle     string // what the categories are ("Year of diagnosis"), under a line chart's axis
}

// PaletteSize is how many series a chart colours apart; StackedBarChart folds the series past
// the first PaletteSize-1 into one "Other" segment, and a line chart should have no more.
const PaletteSize = 8

// SeriesOther names the segment of the folded series.
const SeriesOther = "Other"

// SeriesSummary is the chart as sentences, for aria-label and <desc>: every number it draws.
func SeriesSummary(c SeriesChart) string {
	if len(c.Categories) == 0 || len(c.Series) == 0 {
		return c.Title + ": no data"
	}
	parts := make([]string, len(c.Categories))
	for i, cat := range c.Categories {
		var vals []string
		for _, s := range c.Series {
			vals = append(vals, s.Name+" "+chartValueText(s.value(i), c.Unit))
		}
		parts[i] = cat + ": " + strings.Join(vals, ", ")
	}
	return c.Title + ". " + strings.Join(parts, "; ")
}

func (s Series) value(i int) float64 {
	if i >= len(s.Values) || math.IsNaN(s.Values[i]) || math.IsInf(s.Values[i], 0) {
		return 0
	}
	return s.Values[i]
}

// foldSeries drops the series that are zero everywhere and folds those past the palette into
// SeriesOther, so that every segment drawn has a colour of its own.
func foldSeries(c SeriesChart) []Series {
	var kept []Series
	for _, s := range c.Series {
		for i := range c.Categories {
			if s.value(i) > 0 {
				kept = append(kept, s)
				break
			}
		}
	}
	if len(kept) <= PaletteSize {
		return kept
	}
	other := Series{Name: SeriesOther, Values: make([]float64, len(c.Categories))}
	for _, s := range kept[PaletteSize-1:] {
		for i := range other.Values {
			other.Values[i] += s.value(i)
		}
	}
	return append(kept[:PaletteSize-1:PaletteSize-1], other)
}

// seriesClass is the palette class of the i-th series ("s0"); the folded series is grey.
func seriesClass(s Series, i int) string {
	if s.Name == SeriesOther && i == PaletteSize-1 {
		return "s-other"
	}
	return fmt.Sprintf("s%d", i%PaletteSize)
}

// axisTicks chooses the step of an axis from 0 to at least top: 1, 2 or 5 times a power of ten,
// for about five ticks; whole numbers only when every value is whole.
func axisTicks(top float64, whole bool) (step float64, n int) {
	if top <= 0 || math.IsNaN(top) || math.IsInf(top, 0) {
		return 1, 1
	}
	raw := top / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step = 10 * mag
	for _, m := range []float64{1, 2, 5} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	if whole && step < 1 {
		step = 1
	}
	return step, int(math.Ceil(top/step - 1e-9))
}

func allWhole(ss []Series) bool {
	for _, s := range ss {
		for _, v := range s.Values {
			if v != math.Trunc(v) {
				return false
			}
		}
	}
	return true
}

// Legend geometry: a swatch and its name, laid out in rows across the chart's width. Text width
// is estimated (about 0.6 em a character at the 13-unit font).
const (
	legendRowH    = 20
	legendSwatch  = 12
	legendGap     = 16
	legendCharW   = 7.2
	legendNameMax = 28
)

type legendItem struct {
	name, class string
	x, y        float64
}

// layoutLegend places the legend's items in rows from (x0, y0) within width; it returns them
// and the height they take.
func layoutLegend(ss []Series, x0, y0, width float64) ([]legendItem, float64) {
	var items []legendItem
	x, y := x0, y0
	for i, s := range ss {
		name := shortName(s.Name, legendNameMax)
		w := legendSwatch + 4 + float64(len([]rune(name)))*legendCharW + legendGap
		if x > x0 && x+w > x0+width {
			x, y = x0, y+legendRowH
		}
		items = append(items, legendItem{name: name, class: seriesClass(s, i), x: x, y: y})
		x += w
	}
	if len(items) == 0 {
		return nil, 0
	}
	return items, y - y0 + legendRowH
}

func shortName(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// writeLegend draws the legend; line charts draw a stroke, bar charts a square.
func writeLegend(sb *strings.Builder, items []legendItem, line bool) {
	esc := html.EscapeString
	sb.WriteString(`<g class="chart-legend" data-testid="chart-legend">`)
	for _, it := range items {
		mid := it.y + legendRowH/2
		if line {
			fmt.Fprintf(sb, `<path class="chart-line %s" d="M%.1f %.1fh%d"></path>`, it.class, it.x, mid, legendSwatch+4)
		} else {
			fmt.Fprintf(sb, `<rect class="chart-swatch %s" x="%.1f" y="%.1f" width="%d" height="%d" rx="2"></rect>`,
				it.class, it.x, mid-legendSwatch/2, legendSwatch, legendSwatch)
		}
		fmt.Fprintf(sb, `<text class="chart-label" x="%.1f" y="%.1f">%s</text>`, it.x+legendSwatch+(map[bool]float64{true: 8, false: 4})[line], mid+4, esc(it.name))
	}
	sb.WriteString(`</g>`)
}

// writeSeriesOpen starts a series chart's figure and svg with its title and description.
func writeSeriesOpen(sb *strings.Builder, c SeriesChart, class string, height float64) {
	esc := html.EscapeString
	testID := c.TestID
	if testID == "" {
		testID = "chart"
	}
	summary := SeriesSummary(c)
	fmt.Fprintf(sb, `<figure class="chart" data-testid="%s">`, esc(testID))
	fmt.Fprintf(sb, `<svg class="%s" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="%s" viewBox="0 0 %d %.0f" width="100%%" preserveAspectRatio="xMinYMin meet">`,
		class, esc(summary), chartWidth, height)
	fmt.Fprintf(sb, `<title>%s</title><desc>%s</desc>`, esc(c.Title), esc(summary))
}

func writeSeriesClose(sb *strings.Builder, c SeriesChart) {
	fmt.Fprintf(sb, `</svg><figcaption>%s</figcaption></figure>`, html.EscapeString(c.Title))
}

// Stacked bar geometry: the label column and row height of BarChart, a narrower value column
// (the bar's total only), and the x axis under the rows.
const (
	stackValueW = 60
	axisH       = 22
)

// StackedBarChart renders c as horizontal stacked bars: a bar per category, its segments the
// series in order, its total after it, the legend above and a scale under the bars. No script
// and no inline style (CSP): colours are the palette classes of app.css.
func StackedBarChart(c SeriesChart) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		esc := html.EscapeString
		ss := foldSeries(c)
		totals := make([]float64, len(c.Categories))
		top := 0.0
		for i := range c.Categories {
			for _, s := range ss {
				totals[i] += s.value(i)
			}
			top = max(top, totals[i])
		}
		step, ticks := axisTicks(top, allWhole(ss))
		axisTop := step * float64(ticks)
		barArea := float64(chartWidth - chartLabelW - stackValueW)
		scale := func(v float64) float64 { return v / axisTop * barArea }

		items, legendH := layoutLegend(ss, chartLabelW, chartTopPad, float64(chartWidth-chartLabelW))
		rowsTop := chartTopPad + legendH + 4
		rows := max(len(c.Categories), 1)
		plotBottom := rowsTop + float64(rows*chartRowH)
		height := plotBottom + axisH + chartTopPad

		var sb strings.Builder
		writeSeriesOpen(&sb, c, "stacked-chart", height)
		writeLegend(&sb, items, false)
		// The scale: a grid line and a label per tick.
		sb.WriteString(`<g class="chart-axis">`)
		for k := 0; k <= ticks; k++ {
			x := float64(chartLabelW) + scale(step*float64(k))
			fmt.Fprintf(&sb, `<path class="chart-grid" d="M%.1f %.1fV%.1f"></path>`, x, rowsTop, plotBottom)
			fmt.Fprintf(&sb, `<text class="chart-tick" x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, x, plotBottom+16, FormatChartValue(step*float64(k)))
		}
		sb.WriteString(`</g>`)
		if len(c.Categories) == 0 || len(ss) == 0 {
			fmt.Fprintf(&sb, `<text class="chart-empty" x="%d" y="%.1f">No data</text>`, chartLabelW, rowsTop+chartRowH/2+4)
		}
		for i, cat := range c.Categories {
			if len(ss) == 0 {
				break
			}
			y := rowsTop + float64(i*chartRowH)
			textY := y + chartRowH/2 + 4
			var parts []string
			for _, s := range ss {
				if v := s.value(i); v > 0 {
					parts = append(parts, s.Name+" "+FormatChartValue(v))
				}
			}
			sb.WriteString(`<g class="chart-row" data-testid="chart-bar">`)
			fmt.Fprintf(&sb, `<title>%s: %s (%s)</title>`, esc(cat), esc(chartValueText(totals[i], c.Unit)), esc(strings.Join(parts, ", ")))
			fmt.Fprintf(&sb, `<text class="chart-label" x="%d" y="%.1f" text-anchor="end">%s</text>`, chartLabelW-8, textY, esc(shortLabel(cat)))
			x := float64(chartLabelW)
			for j, s := range ss {
				v := s.value(i)
				if v <= 0 {
					continue
				}
				sw := max(scale(v), 1) // a non-zero segment stays visible
				fmt.Fprintf(&sb, `<rect class="chart-seg %s" data-testid="chart-seg" x="%.1f" y="%.1f" width="%.1f" height="%d"><title>%s, %s: %s</title></rect>`,
					seriesClass(s, j), x, y+(chartRowH-chartBarH)/2, sw, chartBarH, esc(cat), esc(s.Name), esc(chartValueText(v, c.Unit)))
				x += sw
			}
			fmt.Fprintf(&sb, `<text class="chart-value" x="%.1f" y="%.1f">%s</text>`, x+6, textY, esc(FormatChartValue(totals[i])))
			sb.WriteString(`</g>`)
		}
		writeSeriesClose(&sb, c)
		_, err := io.WriteString(w, sb.String())
		return err
	})
}

// Line chart geometry: the plot between a y axis of tick labels on the left and the x axis's
// category labels and title below; the legend under them.
const (
	lineLeft     = 56
	lineRight    = 16
	linePlotH    = 220
	lineMinLabel = 44 // units between two x labels at least; others are left out (the points keep their titles)
)

// LineChart renders c as lines over the categories (years, for a trend): a line per series
// with a marker on each point (its title gives the value), tick labels on both axes, the
// legend below. A series is coloured and dashed apart from the others.
func LineChart(c SeriesChart) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		esc := html.EscapeString
		top := 0.0
		for _, s := range c.Series {
			for i := range c.Categories {
				top = max(top, s.value(i))
			}
		}
		step, ticks := axisTicks(top, allWhole(c.Series))
		axisTop := step * float64(ticks)
		plotW := float64(chartWidth - lineLeft - lineRight)
		plotTop := float64(chartTopPad + 22) // room for the unit above the axis
		plotBottom := plotTop + linePlotH
		n := len(c.Categories)
		xOf := func(i int) float64 {
			if n <= 1 {
				return lineLeft + plotW/2
			}
			return lineLeft + float64(i)*plotW/float64(n-1)
		}
		yOf := func(v float64) float64 { return plotBottom - v/axisTop*linePlotH }
		labelsBottom := plotBottom + 18
		if c.XTitle != "" {
			labelsBottom += 18
		}
		items, legendH := layoutLegend(c.Series, lineLeft, labelsBottom+6, plotW)
		height := labelsBottom + 6 + legendH + chartTopPad

		var sb strings.Builder
		writeSeriesOpen(&sb, c, "line-chart", height)
		sb.WriteString(`<g class="chart-axis">`)
		if c.Unit != "" {
			fmt.Fprintf(&sb, `<text class="chart-tick" x="%d" y="%d" text-anchor="start">%s</text>`, 4, chartTopPad+8, esc(c.Unit))
		}
		for k := 0; k <= ticks; k++ {
			y := yOf(step * float64(k))
			fmt.Fprintf(&sb, `<path class="chart-grid" d="M%d %.1fH%.1f"></path>`, lineLeft, y, lineLeft+plotW)
			fmt.Fprintf(&sb, `<text class="chart-tick" x="%d" y="%.1f" text-anchor="end">%s</text>`, lineLeft-8, y+4, FormatChartValue(step*float64(k)))
		}
		every := 1
		if n > 1 {
			every = int(math.Ceil(lineMinLabel / (plotW / float64(n-1))))
		}
		for i, cat := range c.Categories {
			// Every every-th label, and the last when it does not run into the one before it.
			if i%every != 0 && (i != n-1 || xOf(i)-xOf(i-i%every) < lineMinLabel) {
				continue
			}
			fmt.Fprintf(&sb, `<text class="chart-tick" x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, xOf(i), plotBottom+16, esc(shortName(cat, 8)))
		}
		if c.XTitle != "" {
			fmt.Fprintf(&sb, `<text class="chart-label" x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, lineLeft+plotW/2, plotBottom+34, esc(c.XTitle))
		}
		sb.WriteString(`</g>`)
		if n == 0 || len(c.Series) == 0 {
			fmt.Fprintf(&sb, `<text class="chart-empty" x="%.1f" y="%.1f" text-anchor="middle">No data</text>`, lineLeft+plotW/2, plotTop+linePlotH/2)
		}
		for j, s := range c.Series {
			if n == 0 {
				break
			}
			class := seriesClass(s, j)
			pts := make([]string, n)
			for i := range c.Categories {
				pts[i] = fmt.Sprintf("%.1f,%.1f", xOf(i), yOf(s.value(i)))
			}
			fmt.Fprintf(&sb, `<g class="chart-series" data-testid="chart-line"><title>%s</title>`, esc(s.Name))
			fmt.Fprintf(&sb, `<polyline class="chart-line %s" points="%s"></polyline>`, class, strings.Join(pts, " "))
			for i, cat := range c.Categories {
				fmt.Fprintf(&sb, `<circle class="chart-point %s" cx="%.1f" cy="%.1f" r="3"><title>%s, %s: %s</title></circle>`,
					class, xOf(i), yOf(s.value(i)), esc(s.Name), esc(cat), esc(chartValueText(s.value(i), c.Unit)))
			}
			sb.WriteString(`</g>`)
		}
		writeLegend(&sb, items, true)
		writeSeriesClose(&sb, c)
		_, err := io.WriteString(w, sb.String())
		return err
	})
}
