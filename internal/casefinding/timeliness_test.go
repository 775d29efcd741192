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
