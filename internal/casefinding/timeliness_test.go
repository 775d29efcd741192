package casefinding

import (
	"testing"
	"time"

	"github.com/cara-registry/cara/internal/store"
)

func TestTimelinessCountsFromFirstContactToApproval(t *testing.T) {
	at := func(s string) *time.Time {
		v, _ := time.Parse("20060102", s)
		return &v
	}
	now, _ := time.Parse("20060102", "20261102")
	cases := []struct {
		name string
		rows []store.SuspenseCaseTime
		want Timeliness
	}{
		{"none", nil, Timeliness{MedianDays: -1}},
		{"in time, late, open and overdue", []store.SuspenseCaseTime{
			{FirstContact: "20260101", ApprovedAt: at("20260131")}, // 30 days
			{FirstContact: "20260101", ApprovedAt: at("20260702")}, // 182 days, past six months
			{FirstContact: "20260901"},                             // open, not yet due
			{FirstContact: "20260301"},                             // open past 1 September
		}, Timeliness{Started: 4, Completed: 2, InTime: 1, MedianDays: 106, Open: 2, Overdue: 1}},
		{"the sixth month's last day is in time", []store.SuspenseCaseTime{
			{FirstContact: "20260115", ApprovedAt: at("20260715")},
		}, Timeliness{Started: 1, Completed: 1, InTime: 1, MedianDays: 181}},
	}
	for _, c := range cases {
		if got := timeliness(c.rows, now); *got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, *got, c.want)
		}
	}
}

func TestTimeOfCaseOpenOrCompleteAndLate(t *testing.T) {
	at := func(s string) *time.Time {
		v, _ := time.Parse("20060102", s)
		return &v
	}
	now, _ := time.Parse("20060102", "20261102")
	cases := []struct {
		name, first string
		approved    *time.Time
		want        CaseTime
		ok          bool
	}{
		{"open, not yet due", "20260901", nil, CaseTime{Days: 62}, true},
		{"open past six months", "20260301", nil, CaseTime{Days: 246, Late: true}, true},
		{"complete in time", "20260101", at("20260131"), CaseTime{Days: 30, Complete: true}, true},
		{"complete on the last day", "20260115", at("20260715"), CaseTime{Days: 181, Complete: true}, true},
		{"complete late", "20260101", at("20260702"), CaseTime{Days: 182, Complete: true, Late: true}, true},
		{"partial first contact", "202601", nil, CaseTime{}, false},
		{"no first contact", "", at("20260131"), CaseTime{}, false},
	}
	for _, c := range cases {
		got, ok := TimeOfCase(c.first, c.approved, now)
		if got != c.want || ok != c.ok {
			t.Errorf("%s: %+v %v, want %+v %v", c.name, got, ok, c.want, c.ok)
		}
	}
}
