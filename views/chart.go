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

// Bar is one labelled value of a bar chart.
type Bar struct {
	Label string
	Value float64
}

// Chart is a horizontal bar chart: one bar per label, all on one scale.
// Unit is written after each value ("%", "days", "cases"); TestID, when set,
// becomes the figure's data-testid (default "chart").
type Chart struct {
	Title  string
	Unit   string
	Bars   []Bar
	TestID string
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
	chartLabelMax = 30 // runes shown in a label; the full label stays in the bar's <title>
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
		parts[i] = b.Label + " " + chartValueText(b.Value, c.Unit)
	}
	return c.Title + ": " + strings.Join(parts, "; ")
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
		fmt.Fprintf(&sb, `<title>%s</title>`, esc(c.Title))
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
			fmt.Fprintf(&sb, `<title>%s: %s</title>`, esc(b.Label), esc(chartValueText(b.Value, c.Unit)))
			fmt.Fprintf(&sb, `<text class="chart-label" x="%d" y="%d" text-anchor="end">%s</text>`,
				chartLabelW-8, textY, esc(shortLabel(b.Label)))
			fmt.Fprintf(&sb, `<rect class="chart-bar" x="%d" y="%d" width="%.1f" height="%d" rx="2"></rect>`,
				chartLabelW, y+(chartRowH-chartBarH)/2, w, chartBarH)
			fmt.Fprintf(&sb, `<text class="chart-value" x="%.1f" y="%d">%s</text>`,
				float64(chartLabelW)+w+6, textY, esc(chartValueText(b.Value, c.Unit)))
			sb.WriteString(`</g>`)
		}
		sb.WriteString(`</svg>`)
		fmt.Fprintf(&sb, `<figcaption>%s</figcaption></figure>`, esc(c.Title))
		_, err := io.WriteString(w, sb.String())
		return err
	})
}
