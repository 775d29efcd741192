package views

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
)

func renderChart(t *testing.T, c Chart) *goquery.Document {
	t.Helper()
	var buf bytes.Buffer
	if err := BarChart(c).Render(context.Background(), &buf); err != nil {
		t.Fatalf("render chart: %v", err)
	}
	if strings.Contains(buf.String(), "style=") {
		t.Fatalf("chart has an inline style (CSP): %s", buf.String())
	}
	doc, err := goquery.NewDocumentFromReader(&buf)
	if err != nil {
		t.Fatalf("parse chart: %v", err)
	}
	return doc
}

func TestBarChartScalesBarsToTheLargestValueAndLabelsThem(t *testing.T) {
	doc := renderChart(t, Chart{Title: "Agreement <by item>", Unit: "%", TestID: "agree-chart", Bars: []Bar{
		{Label: "primarySite", Value: 100},
		{Label: "laterality", Value: 50},
		{Label: "grade", Value: 87.5},
	}})
	fig := doc.Find(`figure[data-testid="agree-chart"]`)
	if fig.Length() != 1 {
		t.Fatal("figure with the chart's test id missing")
	}
	svg := fig.Find("svg")
	if role, _ := svg.Attr("role"); role != "img" {
		t.Errorf("svg role = %q, want img", role)
	}
	label, _ := svg.Attr("aria-label")
	want := "Agreement <by item>: primarySite 100%; laterality 50%; grade 87.5%"
	if label != want {
		t.Errorf("aria-label = %q, want %q", label, want)
	}
	if got := svg.ChildrenFiltered("title").Text(); got != "Agreement <by item>" {
		t.Errorf("svg title = %q", got)
	}
	rects := svg.Find("rect.chart-bar")
	if rects.Length() != 3 {
		t.Fatalf("bars = %d, want 3", rects.Length())
	}
	w0, _ := rects.Eq(0).Attr("width")
	w1, _ := rects.Eq(1).Attr("width")
	if w0 != "250.0" || w1 != "125.0" {
		t.Errorf("bar widths = %s, %s; want 250.0 (largest: the bar area) and 125.0 (half)", w0, w1)
	}
	values := svg.Find("text.chart-value")
	if got := values.Eq(2).Text(); got != "87.5%" {
		t.Errorf("third value = %q, want 87.5%%", got)
	}
	if got := svg.Find("text.chart-label").Eq(1).Text(); got != "laterality" {
		t.Errorf("second label = %q", got)
	}
}

func TestBarChartWithoutBarsSaysNoData(t *testing.T) {
	doc := renderChart(t, Chart{Title: "Cases per week", Unit: "cases"})
	if doc.Find("rect").Length() != 0 {
		t.Error("empty chart drew bars")
	}
	if got := doc.Find("text.chart-empty").Text(); got != "No data" {
		t.Errorf("empty text = %q", got)
	}
	if label, _ := doc.Find("svg").Attr("aria-label"); label != "Cases per week: no data" {
		t.Errorf("aria-label = %q", label)
	}
}

func TestBarChartShortensLongLabelsButKeepsThemInTheTitle(t *testing.T) {
	long := strings.Repeat("x", 50)
	doc := renderChart(t, Chart{Title: "t", Unit: "days", Bars: []Bar{{Label: long, Value: 3}, {Label: "neg", Value: -2}}})
	if got := doc.Find("text.chart-label").First().Text(); len([]rune(got)) != chartLabelMax {
		t.Errorf("label shown = %q, want %d runes", got, chartLabelMax)
	}
	if got := doc.Find("g.chart-row title").First().Text(); got != long+": 3 days" {
		t.Errorf("row title = %q", got)
	}
	if w, _ := doc.Find("rect.chart-bar").Eq(1).Attr("width"); w != "0.0" {
		t.Errorf("negative value bar width = %q, want 0.0", w)
	}
}

func renderSeries(t *testing.T, c templ.Component) *goquery.Document {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(context.Background(), &buf); err != nil {
		t.Fatalf("render chart: %v", err)
	}
	if strings.Contains(buf.String(), "style=") {
		t.Fatalf("chart has an inline style (CSP): %s", buf.String())
	}
	doc, err := goquery.NewDocumentFromReader(&buf)
	if err != nil {
		t.Fatalf("parse chart: %v", err)
	}
	return doc
}

func TestBarChartDrawsTheRangeOfABarAndSaysIt(t *testing.T) {
	doc := renderChart(t, Chart{Title: "Days to treatment", Unit: "days", RangeName: "quartiles", Bars: []Bar{
		{Label: "Lung", Value: 30, Low: 20, High: 60, Range: true},
		{Label: "Breast", Value: 40},
	}})
	// The scale is the largest of values and ranges: 60 is the whole bar area (250 units).
	if w, _ := doc.Find("rect.chart-bar").First().Attr("width"); w != "125.0" {
		t.Errorf("bar of 30 on a scale to 60: width %s, want 125.0", w)
	}
	if d, _ := doc.Find("path.chart-range").Attr("d"); !strings.HasPrefix(d, "M293.3 19H460.0") {
		t.Errorf("range path %q, want from 20 (293.3) to 60 (460.0)", d)
	}
	if doc.Find("path.chart-range").Length() != 1 {
		t.Errorf("%d ranges drawn, want one (Breast has none)", doc.Find("path.chart-range").Length())
	}
	want := "Days to treatment: Lung 30 days (quartiles 20–60 days); Breast 40 days"
	if got, _ := doc.Find("svg").Attr("aria-label"); got != want {
		t.Errorf("aria-label %q, want %q", got, want)
	}
	if got := doc.Find("svg > desc").Text(); got != want {
		t.Errorf("desc %q, want %q", got, want)
	}
}

func TestStackedBarChartStacksTheSeriesOfEachCategory(t *testing.T) {
	doc := renderSeries(t, StackedBarChart(SeriesChart{Title: "By sex", Unit: "cases", TestID: "stack",
		Categories: []string{"Lung", "Breast"},
		Series: []Series{
			{Name: "Male", Values: []float64{3, 0}},
			{Name: "Female", Values: []float64{2, 5}},
			{Name: "Unknown", Values: []float64{0, 0}}, // zero everywhere: neither drawn nor in the legend
		}}))
	if doc.Find(`figure[data-testid="stack"] svg.stacked-chart`).Length() != 1 {
		t.Fatal("no stacked chart")
	}
	segs := doc.Find("rect.chart-seg")
	if segs.Length() != 3 {
		t.Fatalf("%d segments, want 3 (Lung: male, female; Breast: female)", segs.Length())
	}
	// The axis runs to 5 (ticks of 1); the bar area is 560-210-60 = 290 units.
	x0, _ := segs.Eq(0).Attr("x")
	w0, _ := segs.Eq(0).Attr("width")
	x1, _ := segs.Eq(1).Attr("x")
	if x0 != "210.0" || w0 != "174.0" || x1 != "384.0" {
		t.Errorf("Lung's segments at x %s width %s, then x %s; want 210.0, 174.0, 384.0", x0, w0, x1)
	}
	if c0, _ := segs.Eq(0).Attr("class"); c0 != "chart-seg s0" {
		t.Errorf("first segment class %q", c0)
	}
	if c2, _ := segs.Eq(2).Attr("class"); c2 != "chart-seg s1" {
		t.Errorf("Breast's female segment class %q, want the female colour s1", c2)
	}
	if got := segs.Eq(1).Find("title").Text(); got != "Lung, Female: 2 cases" {
		t.Errorf("segment title %q", got)
	}
	var legend []string
	doc.Find(`[data-testid="chart-legend"] text`).Each(func(_ int, s *goquery.Selection) { legend = append(legend, s.Text()) })
	if strings.Join(legend, ",") != "Male,Female" {
		t.Errorf("legend %v, want Male, Female", legend)
	}
	var ticks []string
	doc.Find("text.chart-tick").Each(func(_ int, s *goquery.Selection) { ticks = append(ticks, s.Text()) })
	if strings.Join(ticks, ",") != "0,1,2,3,4,5" {
		t.Errorf("ticks %v", ticks)
	}
	if got := doc.Find("svg > title").Text(); got != "By sex" {
		t.Errorf("title %q", got)
	}
	if got := doc.Find("svg > desc").Text(); got != "By sex. Lung: Male 3 cases, Female 2 cases, Unknown 0 cases; Breast: Male 0 cases, Female 5 cases, Unknown 0 cases" {
		t.Errorf("desc %q", got)
	}
}

func TestStackedBarChartFoldsTheSeriesPastThePaletteIntoOther(t *testing.T) {
	var ss []Series
	for i := range PaletteSize + 2 {
		ss = append(ss, Series{Name: fmt.Sprintf("S%d", i), Values: []float64{1}})
	}
	doc := renderSeries(t, StackedBarChart(SeriesChart{Title: "Many", Categories: []string{"All"}, Series: ss}))
	segs := doc.Find("rect.chart-seg")
	if segs.Length() != PaletteSize {
		t.Fatalf("%d segments, want %d", segs.Length(), PaletteSize)
	}
	last := segs.Last()
	if c, _ := last.Attr("class"); c != "chart-seg s-other" || last.Find("title").Text() != "All, Other: 3" {
		t.Errorf("last segment %q %q, want the grey Other of 3", c, last.Find("title").Text())
	}
}

func TestLineChartDrawsALinePerSeriesOverTheCategories(t *testing.T) {
	doc := renderSeries(t, LineChart(SeriesChart{Title: "Trend", Unit: "cases", XTitle: "Year of diagnosis",
		Categories: []string{"2022", "2023", "2024"},
		Series: []Series{
			{Name: "Lung", Values: []float64{10, 20, 40}},
			{Name: "Breast", Values: []float64{5, 0, 15}},
		}}))
	lines := doc.Find("polyline.chart-line")
	if lines.Length() != 2 {
		t.Fatalf("%d lines, want 2", lines.Length())
	}
	// The plot runs from x 56 to 544 and from y 248 (0) up to 28 (the axis top, 40).
	if pts, _ := lines.First().Attr("points"); pts != "56.0,193.0 300.0,138.0 544.0,28.0" {
		t.Errorf("Lung's points %q", pts)
	}
	if c, _ := lines.Eq(1).Attr("class"); c != "chart-line s1" {
		t.Errorf("second line class %q", c)
	}
	if got := doc.Find("circle.chart-point title").Eq(4).Text(); got != "Breast, 2023: 0 cases" {
		t.Errorf("a point's title %q", got)
	}
	var ticks []string
	doc.Find("text.chart-tick").Each(func(_ int, s *goquery.Selection) { ticks = append(ticks, s.Text()) })
	if strings.Join(ticks, ",") != "cases,0,10,20,30,40,2022,2023,2024" {
		t.Errorf("ticks %v", ticks)
	}
	if doc.Find(`[data-testid="chart-legend"] path.chart-line`).Length() != 2 {
		t.Error("the legend draws no line per series")
	}
	if !strings.Contains(doc.Find("svg").Text(), "Year of diagnosis") {
		t.Error("no x axis title")
	}
}

func TestSeriesChartsWithoutDataSayNoData(t *testing.T) {
	for name, c := range map[string]templ.Component{
		"stacked": StackedBarChart(SeriesChart{Title: "Empty"}),
		"line":    LineChart(SeriesChart{Title: "Empty", Categories: []string{"2024"}}),
	} {
		doc := renderSeries(t, c)
		if got := doc.Find("text.chart-empty").Text(); got != "No data" {
			t.Errorf("%s: empty text %q", name, got)
		}
		if got, _ := doc.Find("svg").Attr("aria-label"); got != "Empty: no data" {
			t.Errorf("%s: aria-label %q", name, got)
		}
	}
}

func TestAxisTicksAreRoundNumbers(t *testing.T) {
	for _, tc := range []struct {
		top   float64
		whole bool
		step  float64
		n     int
	}{
		{5, true, 1, 5}, {2, true, 1, 2}, {2, false, 0.5, 4}, {37, true, 10, 4}, {100, true, 20, 5}, {1234, true, 500, 3}, {0, true, 1, 1},
	} {
		if step, n := axisTicks(tc.top, tc.whole); step != tc.step || n != tc.n {
			t.Errorf("axisTicks(%v, %v) = %v, %d; want %v, %d", tc.top, tc.whole, step, n, tc.step, tc.n)
		}
	}
}
