package store_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"testing"

	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

// mrns returns the medical record numbers of worklist rows, sorted.
func mrns(rows []store.WorklistRow) []string {
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.MedicalRecordNumber)
	}
	slices.Sort(out)
	return out
}

func TestWorklistAndLoadCaseKeepFacilitiesApart(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a, b := addFacility(t, s, "A"), addFacility(t, s, "B")
		addPatient(t, s, a.ID, map[string]string{"nameLast": "Doe"}, "draft",
			map[string]string{"medicalRecordNumber": "A1"}, map[string]string{"medicalRecordNumber": "A2"})
		addPatient(t, s, a.ID, map[string]string{"nameLast": "Smith"}, "approved", map[string]string{"medicalRecordNumber": "A3"})
		_, bTumors := addPatient(t, s, b.ID, map[string]string{"nameLast": "Doe"}, "draft", map[string]string{"medicalRecordNumber": "B1", "primarySite": "C509"})

		tests := []struct {
			name   string
			filter store.WorklistFilter
			want   []string
		}{
			{"facility A", store.WorklistFilter{Scope: store.FacilityScope(a.ID)}, []string{"A1", "A2", "A3"}},
			{"facility B", store.WorklistFilter{Scope: store.FacilityScope(b.ID)}, []string{"B1"}},
			{"all facilities", store.WorklistFilter{Scope: store.AllFacilities}, []string{"A1", "A2", "A3", "B1"}},
			{"a facility with no cases", store.WorklistFilter{Scope: store.FacilityScope(b.ID + 100)}, []string{}},
			{"search stays in scope", store.WorklistFilter{Scope: store.FacilityScope(a.ID), Search: "Doe"}, []string{"A1", "A2"}},
			{"search by MRN stays in scope", store.WorklistFilter{Scope: store.FacilityScope(a.ID), Search: "B1"}, []string{}},
			{"status filter", store.WorklistFilter{Scope: store.FacilityScope(a.ID), Status: "approved"}, []string{"A3"}},
			{"status and search", store.WorklistFilter{Scope: store.AllFacilities, Status: "draft", Search: "Doe"}, []string{"A1", "A2", "B1"}},
			{"limit", store.WorklistFilter{Scope: store.AllFacilities, Limit: 2}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				rows, err := s.Worklist(ctx, tt.filter)
				if err != nil {
					t.Fatal(err)
				}
				if tt.want == nil { // the limit case: only the count matters
					if len(rows) != tt.filter.Limit {
						t.Errorf("%d rows, want %d", len(rows), tt.filter.Limit)
					}
					return
				}
				if got := mrns(rows); !slices.Equal(got, tt.want) {
					t.Errorf("worklist MRNs %v, want %v", got, tt.want)
				}
			})
		}

		n, err := s.CountPatients(ctx, store.FacilityScope(a.ID))
		if err != nil || n != 2 {
			t.Errorf("CountPatients(A) = %d, %v; want 2", n, err)
		}

		bCase, err := s.LoadCase(ctx, bTumors[0], store.FacilityScope(b.ID))
		if err != nil {
			t.Fatalf("B's case in B's scope: %v", err)
		}
		if _, err := s.LoadCase(ctx, bTumors[0], store.FacilityScope(a.ID)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("B's case in A's scope: err = %v, want ErrNotFound", err)
		}
		if _, err := s.LoadCase(ctx, bTumors[0]+1000, store.AllFacilities); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a tumor that does not exist: err = %v, want ErrNotFound", err)
		}
		items := maps.Clone(bCase.Tumor.Items)
		items["primarySite"] = "C501"
		_, _, err = s.SaveCase(ctx, store.CaseSave{
			TumorID: bTumors[0], Scope: store.FacilityScope(a.ID),
			PatientVersion: bCase.Patient.Version, TumorVersion: bCase.Tumor.Version,
			PatientItems: bCase.Patient.Items, TumorItems: items,
		})
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("saving B's case in A's scope: err = %v, want ErrNotFound", err)
		}
		after, err := s.LoadCase(ctx, bTumors[0], store.AllFacilities)
		if err != nil || after.Tumor.PrimarySite != "C509" || after.Tumor.Version != bCase.Tumor.Version {
			t.Errorf("B's case after the refused save: %+v, %v; want it unchanged", after, err)
		}
	})
}

func TestWorklistSearchMatchesPrefixesLiterally(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := addFacility(t, s, "F")
		for _, p := range []struct{ last, first, mrn string }{
			{"Doe", "John", "M001"},
			{"Dodd", "Jane", "M002"},
			{"Do_e", "Ann", "M003"},
			{"Doxe", "Bob", "M004"},
			{"Ng", "Jo", "50%OFF"},
			{"Ng", "Al", "500"},
			{"A!b", "Cy", "M007"},
			{"Ab", "Di", "M008"},
			{"Smith", "Doe", "M009"},
		} {
			addPatient(t, s, f.ID, map[string]string{"nameLast": p.last, "nameFirst": p.first}, "draft",
				map[string]string{"medicalRecordNumber": p.mrn})
		}
		tests := []struct {
			search string
			want   []string
		}{
			{"Doe", []string{"M001", "M009"}}, // last name, and first name
			{"doe", []string{"M001", "M009"}}, // case does not matter
			{"Do", []string{"M001", "M002", "M003", "M004", "M009"}},
			{"oe", []string{}},          // a prefix, not a substring
			{"Do_", []string{"M003"}},   // _ is a character, not a wildcard
			{"D_e", []string{}},         // ... so it does not match Doe
			{"50%", []string{"50%OFF"}}, // % is a character, not a wildcard
			{"5%", []string{}},          // ... so it does not match 500
			{"500", []string{"500"}},    // MRN prefix
			{"M00", []string{"M001", "M002", "M003", "M004", "M007", "M008", "M009"}},
			{"A!", []string{"M007"}},           // the escape character itself is literal
			{"Jo", []string{"50%OFF", "M001"}}, // first name prefix
			{"%", []string{}},
			{"_", []string{}},
		}
		for _, tt := range tests {
			t.Run(tt.search, func(t *testing.T) {
				rows, err := s.Worklist(ctx, store.WorklistFilter{Scope: store.FacilityScope(f.ID), Search: tt.search})
				if err != nil {
					t.Fatal(err)
				}
				if got := mrns(rows); !slices.Equal(got, tt.want) {
					t.Errorf("search %q found %v, want %v", tt.search, got, tt.want)
				}
			})
		}
	})
}
