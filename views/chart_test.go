package views

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
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
