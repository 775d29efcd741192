package followed_test

import (
	"testing"

	"github.com/cara-registry/cara/internal/followed"
)

func TestReasonSaysWhyACaseIsNotFollowed(t *testing.T) {
	base := followed.Case{ClassOfCase: "14", Behavior: "3", PrimarySite: "C509", Histology: "8500", NextFollowUpSource: "1"}
	with := func(f func(*followed.Case)) followed.Case { c := base; f(&c); return c }
	tests := []struct {
		name string
		c    followed.Case
		want string
	}{
		{"analytic malignant breast", base, ""},
		{"class 22", with(func(c *followed.Case) { c.ClassOfCase = "22" }), ""},
		{"class 00", with(func(c *followed.Case) { c.ClassOfCase = "00" }), followed.ReasonClass00},
		{"class 32", with(func(c *followed.Case) { c.ClassOfCase = "32" }), followed.ReasonNonanalytic},
		{"no class", with(func(c *followed.Case) { c.ClassOfCase = "" }), followed.ReasonNonanalytic},
		{"benign brain", with(func(c *followed.Case) { c.PrimarySite, c.Behavior = "C710", "0" }), followed.ReasonBenign},
		{"borderline", with(func(c *followed.Case) { c.Behavior = "1" }), followed.ReasonBenign},
		{"cervix in situ", with(func(c *followed.Case) { c.PrimarySite, c.Behavior = "C539", "2" }), followed.ReasonCervixInSitu},
		{"cervix invasive", with(func(c *followed.Case) { c.PrimarySite = "C539" }), ""},
		{"breast in situ", with(func(c *followed.Case) { c.Behavior = "2" }), ""},
		{"squamous skin", with(func(c *followed.Case) { c.PrimarySite, c.Histology = "C443", "8070" }), followed.ReasonSkin},
		{"melanoma of skin", with(func(c *followed.Case) { c.PrimarySite, c.Histology = "C443", "8720" }), ""},
		{"foreign resident", with(func(c *followed.Case) { c.NextFollowUpSource = "8" }), followed.ReasonForeign},
	}
	for _, tt := range tests {
		if got := followed.Reason(tt.c); got != tt.want {
			t.Errorf("%s: Reason = %q, want %q", tt.name, got, tt.want)
		}
		if tt.want != "" && followed.Labels[tt.want] == "" {
			t.Errorf("%s: reason %q has no label", tt.name, tt.want)
		}
	}
}
