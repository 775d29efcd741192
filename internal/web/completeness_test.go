package web_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

// The case's completeness is the sum of its sections' meters of required items.
func TestCasePageShowsCompletenessOfTheWholeCase(t *testing.T) {
	f := newFixture(t, storetest.New(t, store.DialectSQLite))
	c := f.signIn(t, registrarA)
	p := c.openCase(t, f.caseA, "diagnosis")
	filled, required := 0, 0
	p.doc.Find(".tabs .meter").Each(func(_ int, s *goquery.Selection) {
		a, b, _ := strings.Cut(strings.TrimSpace(s.Text()), "/")
		x, _ := strconv.Atoi(a)
		y, _ := strconv.Atoi(b)
		filled, required = filled+x, required+y
	})
	want := fmt.Sprintf("%d of %d required items filled", filled, required)
	got := strings.Join(strings.Fields(p.testid("case-completeness").Text()), " ")
	if required == 0 || got != want {
		t.Fatalf("completeness %q, want %q", got, want)
	}
}
