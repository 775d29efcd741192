package submission

import "testing"

// An accept's summary counts in words: one tumor is "1 tumor", never "1 tumors".
func TestAcceptSummaryCountsInWords(t *testing.T) {
	for _, tc := range []struct {
		r    AcceptResult
		want string
	}{
		{AcceptResult{TumorsCreated: 1}, "imported 1 tumor as received; 0 were already received; 0 left out for errors"},
		{AcceptResult{TumorsCreated: 2, PatientsCreated: 1, TumorsExisting: 1}, "imported 2 tumors (1 new patient) as received; 1 was already received; 0 left out for errors"},
		{AcceptResult{TumorsExisting: 1, TumorsSkipped: 3}, "nothing new: the one acceptable tumor was already received (3 left out for errors)"},
		{AcceptResult{TumorsExisting: 4}, "nothing new: all 4 acceptable tumors were already received (0 left out for errors)"},
		{AcceptResult{TumorsSkipped: 2}, "nothing imported: no tumor was free of error-severity failures (2 left out)"},
	} {
		if got := tc.r.Summary(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.r, got, tc.want)
		}
	}
}
