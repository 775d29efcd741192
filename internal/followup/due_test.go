package followup_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/internal/codes"
	"github.com/cara-registry/cara/internal/followup"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
	"github.com/cara-registry/cara/schemas"
)

// today is the follow-up's clock in these tests.
var today = time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)

// dueCase is one patient with one tumor, named by what it tests.
type dueCase struct {
	name                    string
	dlc, vital, class, site string
	hist, behavior, next    string
	physician               string
}

var dueCases = []dueCase{
	{name: "Due", dlc: "20251115", vital: "1", class: "14", site: "C509", physician: "DRA"},
	{name: "Lost", dlc: "20250601", vital: "1", class: "10", site: "C341", physician: "DRB"},
	{name: "Recent", dlc: "20260301", vital: "1", class: "14", site: "C509"},
	{name: "Dead", dlc: "20250101", vital: "0", class: "14", site: "C509"},
	{name: "Class00", dlc: "20250101", vital: "1", class: "00", site: "C509"},
	{name: "Nonanalytic", dlc: "20250101", vital: "1", class: "32", site: "C509"},
	{name: "Benign", dlc: "20250101", vital: "1", class: "14", site: "C700", behavior: "0"},
	{name: "CervixInSitu", dlc: "20250101", vital: "1", class: "14", site: "C539", behavior: "2"},
	{name: "Foreign", dlc: "20250101", vital: "1", class: "14", site: "C509", next: "8"},
	{name: "NeverContacted", dlc: "", vital: "1", class: "22", site: "C619"},
	{name: "PartialDate", dlc: "202511", vital: "1", class: "20", site: "C619"},
}

func seedDue(t *testing.T, s *store.Store) (uint, map[string]uint) {
	t.Helper()
	ctx := context.Background()
	fac := &store.Facility{Code: "0000001001", Name: "Alder General"}
	other := &store.Facility{Code: "0000001002", Name: "Birch"}
	for _, f := range []*store.Facility{fac, other} {
		if err := s.CreateFacility(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	ids := map[string]uint{}
	for i, c := range dueCases {
		tumor := map[string]string{"sequenceNumberHospital": "00", "dateOfDiagnosis": "20240105", "classOfCase": c.class,
			"primarySite": c.site, "histologicTypeIcdO3": cmp(c.hist, "8500"), "behaviorCodeIcdO3": cmp(c.behavior, "3"),
			"nextFollowUpSource": cmp(c.next, "1"), "physicianFollowUp": c.physician, "followUpContactName": "Contact " + c.name}
		p := naaccr.Patient{Items: map[string]string{"patientIdNumber": fmt.Sprintf("%08d", i+1), "nameLast": c.name, "nameFirst": "Pat",
			"dateOfBirth": "19500101", "vitalStatus": c.vital, "dateOfLastContact": c.dlc}, Tumors: []naaccr.Tumor{{Items: tumor}}}
		if _, err := s.CreatePatient(ctx, fac.ID, p, "submitted"); err != nil {
			t.Fatal(err)
		}
	}
	// The other facility's due case is never on this facility's list.
	p := naaccr.Patient{Items: map[string]string{"patientIdNumber": "00000099", "nameLast": "Elsewhere", "vitalStatus": "1", "dateOfLastContact": "20240101"},
		Tumors: []naaccr.Tumor{{Items: map[string]string{"classOfCase": "14", "primarySite": "C509", "behaviorCodeIcdO3": "3"}}}}
	if _, err := s.CreatePatient(ctx, other.ID, p, "submitted"); err != nil {
		t.Fatal(err)
	}
	rows, err := s.Worklist(ctx, store.WorklistFilter{Scope: store.FacilityScope(fac.ID)})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		ids[r.NameLast] = r.TumorID
	}
	return fac.ID, ids
}

func cmp(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func TestDueListHoldsTheFollowedCasesOfLivingPatientsNotContactedForAYear(t *testing.T) {
	groups, err := codes.LoadSiteGroups(schemas.FS)
	if err != nil {
		t.Fatal(err)
	}
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		fac, ids := seedDue(t, s)
		svc := followup.New(s, nil, groups, nil, followup.Options{Now: func() time.Time { return today }})
		a := followup.Actor{UserID: 0, Role: auth.RoleRegistrar, Scope: store.FacilityScope(fac)}
		tests := []struct {
			name string
			q    followup.DueQuery
			want []string // in order
		}{
			{"every case due", followup.DueQuery{}, []string{"NeverContacted", "Lost", "PartialDate", "Due"}},
			{"lost to follow-up", followup.DueQuery{Lost: true}, []string{"NeverContacted", "Lost"}},
			{"by physician", followup.DueQuery{Physician: "DRA"}, []string{"Due"}},
			{"by site group", followup.DueQuery{SiteGroup: "lung"}, []string{"Lost"}},
			{"due in a month", followup.DueQuery{Month: "202611"}, []string{"PartialDate", "Due"}},
			{"due next month, not yet due", followup.DueQuery{Month: "202703"}, []string{"Recent"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				q := tt.q
				q.Scope = a.Scope
				list, err := svc.Due(context.Background(), a, q)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, r := range list.Rows {
					got = append(got, r.NameLast)
					if r.TumorID != ids[r.NameLast] {
						t.Errorf("%s: tumor %d, want %d", r.NameLast, r.TumorID, ids[r.NameLast])
					}
				}
				if !slices.Equal(got, tt.want) || list.Total != int64(len(tt.want)) {
					t.Errorf("due list = %v (total %d), want %v", got, list.Total, tt.want)
				}
			})
		}
		list, err := svc.Due(context.Background(), a, followup.DueQuery{Scope: a.Scope, Physician: "DRA"})
		if err != nil {
			t.Fatal(err)
		}
		if r := list.Rows[0]; r.DueDate != "20261115" || r.MonthsSince != 12 || r.Lost || r.Contact != "Contact Due" {
			t.Errorf("due row = due %s, %d months, lost %v, contact %q", r.DueDate, r.MonthsSince, r.Lost, r.Contact)
		}
		if _, err := svc.Due(context.Background(), a, followup.DueQuery{Scope: a.Scope, Month: "2026-11"}); err == nil {
			t.Error("a month not CCYYMM was accepted")
		}
	})
}

func TestRateCountsDeadAndCurrentAmongTheFollowedCasesAndSaysWhyOthersAreLeftOut(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		fac, _ := seedDue(t, s)
		svc := followup.New(s, nil, nil, nil, followup.Options{Now: func() time.Time { return today }})
		a := followup.Actor{Role: auth.RoleRegistrar, Scope: store.FacilityScope(fac)}
		rep, err := svc.Rate(context.Background(), a, a.Scope, "20200101")
		if err != nil {
			t.Fatal(err)
		}
		r := rep.All
		if r.Cases != 11 || r.Followed != 6 || r.Dead != 1 || r.Current != 3 || r.Lost != 2 {
			t.Errorf("rate = %+v, want 11 cases, 6 followed: 1 dead, 3 current, 2 lost", r)
		}
		if r.Rate < 0.666 || r.Rate > 0.667 || r.Met() {
			t.Errorf("rate %.3f met %v, want 4/6 under the 80%% target", r.Rate, r.Met())
		}
		wantExcluded := map[string]int{"class00": 1, "nonanalytic": 1, "benign": 1, "cervixInSitu": 1, "foreign": 1}
		for k, v := range wantExcluded {
			if r.Excluded[k] != v {
				t.Errorf("excluded %s = %d, want %d (all: %v)", k, r.Excluded[k], v, r.Excluded)
			}
		}
		if rep.FiveYears.From != "20211202" || rep.FiveYears.Cases != 11 {
			t.Errorf("five years from %s with %d cases", rep.FiveYears.From, rep.FiveYears.Cases)
		}
		if later, _ := svc.Rate(context.Background(), a, a.Scope, "20250101"); later.All.Cases != 0 || !later.All.Met() {
			t.Errorf("cases diagnosed before the reference date counted: %+v", later.All)
		}
	})
}
