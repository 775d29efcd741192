package web_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

// TestBrowserChartLabelsAreReadable: the productivity page's charts, drawn in a 1280-pixel window,
// set their axis and bar labels at 12 pixels or more (they were about 6: the SVG was drawn at half
// its width and its text shrank with it).
func TestBrowserChartLabelsAreReadable(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.New(t, store.DialectSQLite))
	tab := startBrowser(t, 60*time.Second, 1280, 900)
	bt := newBrowserTab(t, tab, "cara-chart-failure.png")
	if err := chromedp.Do(tab, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	bt.run("sign in as "+reviewerA,
		chromedp.Navigate(f.server.URL+"/login"),
		chromedp.WaitVisible(testid("login-form")),
		chromedp.SendKeys(css("#username"), reviewerA),
		chromedp.SendKeys(css("#password"), testPassword), chromedp.SendKeys(css("#password"), kb.Enter),
		chromedp.WaitVisible(testid("current-user")),
	)
	bt.run("open the productivity page", chromedp.Navigate(f.server.URL+"/productivity"), chromedp.WaitVisible(css("svg.bar-chart")))
	// The drawn size of a label: its font size in SVG units times the SVG's drawn scale.
	sizes, err := chromedp.Run(tab, chromedp.Evaluate[[]float64](`[...document.querySelectorAll("svg.bar-chart text")].map(t => {
		const svg = t.ownerSVGElement;
		return parseFloat(getComputedStyle(t).fontSize) * svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
	})`))
	if err != nil {
		bt.fail("measure the labels: %v", err)
	}
	if len(sizes) == 0 {
		bt.fail("no chart text on the productivity page")
	}
	for i, px := range sizes {
		if px < 11.5 {
			bt.fail("chart label %d is drawn %.1f px high, want at least 12 (screenshot %s)", i, px, bt.screenshot("cara-chart-small.png"))
		}
	}
}
