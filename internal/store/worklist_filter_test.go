package store_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

// worklistCase is one case of the worklist fixture.
type worklistCase struct {
	mrn, last, first, acc, site, dx, status string
	assigned                                int // index into the fixture's users, -1 for no one
	errors                                  int
}

// worklistFixture stores cases in facility A and one in facility B, with the edit counts and
// assignments set as given, and returns A, B and the two users of A.
func worklistFixture(t *testing.T, s *store.Store, cases []worklistCase) (a, b *store.Facility, users []uint) {
	t.Helper()
	ctx := context.Background()
	a, b = addFacility(t, s, "A"), addFacility(t, s, "B")
	for _, name := range []string{"ann", "bob"} {
		u := &store.User{Username: name, PasswordHash: "x", Role: "registrar", FacilityID: &a.ID}
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		users = append(users, u.ID)
	}
	var counts []store.EditCounts
	for _, c := range cases {
		_, ids := addPatient(t, s, a.ID, map[string]string{"nameLast": c.last, "nameFirst": c.first}, c.status, map[string]string{
			"medicalRecordNumber": c.mrn, "accessionNumberHosp": c.acc, "primarySite": c.site, "dateOfDiagnosis": c.dx,
		})
		if c.assigned >= 0 {
			if _, err := s.DB().ExecContext(ctx, "UPDATE tumors SET assigned_to = ? WHERE id = ?", users[c.assigned], ids[0]); err != nil {
				t.Fatal(err)
			}
		}
		counts = append(counts, store.EditCounts{TumorID: ids[0], Errors: c.errors})
	}
	if err := s.UpdateEditCounts(ctx, counts); err != nil {
		t.Fatal(err)
	}
	addPatient(t, s, b.ID, map[string]string{"nameLast": "Adams", "nameFirst": "Bea"}, "draft", map[string]string{
		"medicalRecordNumber": "B1", "accessionNumberHosp": "202400001", "primarySite": "C509", "dateOfDiagnosis": "20240101",
	})
	return a, b, users
}

var worklistCases = []worklistCase{
	{"M1", "Adams", "Zoe", "202400001", "C500", "20240105", "draft", 0, 0},
	{"M2", "baker", "Yan", "202400002", "C509", "202402", "draft", 1, 2},
	{"M3", "Clark", "Xia", "202300001", "C341", "2023", "in_review", 0, 1},
	{"M4", "Davis", "Will", "202300002", "C619", "20231231", "approved", -1, 0},
	{"m5", "Evans", "Vera", "202500001", "C180", "20250101", "returned", -1, 0},
	{"M6", "Adams", "Abe", "202400003", "C209", "", "draft", 1, 0},
	{"M7", "Fox", "Adams", "202200001", "C510", "20221010", "submitted", 0, 3},
}

func TestWorklistFiltersKeepOnlyTheirCases(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a, b, users := worklistFixture(t, s, worklistCases)
		scopeA := store.FacilityScope(a.ID)
		breast := []store.SiteRange{{From: "C500", To: "C509"}}
		colorectal := []store.SiteRange{{From: "C180", To: "C209"}}
		tests := []struct {
			name   string
			filter store.WorklistFilter
			want   []string
		}{
			{"everything of A", store.WorklistFilter{Scope: scopeA}, []string{"M1", "M2", "M3", "M4", "M6", "M7", "m5"}},
			{"everything of B", store.WorklistFilter{Scope: store.FacilityScope(b.ID)}, []string{"B1"}},
			{"status", store.WorklistFilter{Scope: scopeA, Status: "draft"}, []string{"M1", "M2", "M6"}},
			{"site group", store.WorklistFilter{Scope: scopeA, Sites: breast}, []string{"M1", "M2"}},
			{"site group of two ranges", store.WorklistFilter{Scope: scopeA, Sites: append(breast, colorectal...)}, []string{"M1", "M2", "M6", "m5"}},
			{"site group stays in scope", store.WorklistFilter{Scope: store.FacilityScope(b.ID), Sites: colorectal}, []string{}},
			{"diagnosis year, partial dates included", store.WorklistFilter{Scope: scopeA, DiagnosisYear: 2024}, []string{"M1", "M2"}},
			{"diagnosis year of a year-only date", store.WorklistFilter{Scope: scopeA, DiagnosisYear: 2023}, []string{"M3", "M4"}},
			{"assigned", store.WorklistFilter{Scope: scopeA, AssignedTo: &users[0]}, []string{"M1", "M3", "M7"}},
			{"unassigned", store.WorklistFilter{Scope: scopeA, Unassigned: true}, []string{"M4", "m5"}},
			{"with edit errors", store.WorklistFilter{Scope: scopeA, WithEditErrors: true}, []string{"M2", "M3", "M7"}},
			{"search last name, any case", store.WorklistFilter{Scope: scopeA, Search: "BAK"}, []string{"M2"}},
			{"search first name", store.WorklistFilter{Scope: scopeA, Search: "adams"}, []string{"M1", "M6", "M7"}},
			{"search last, first", store.WorklistFilter{Scope: scopeA, Search: "Adams, Z"}, []string{"M1"}},
			{"search MRN, any case", store.WorklistFilter{Scope: scopeA, Search: "M5"}, []string{"m5"}},
			{"search accession number", store.WorklistFilter{Scope: scopeA, Search: "2023"}, []string{"M3", "M4"}},
			{"search stays in scope", store.WorklistFilter{Scope: scopeA, Search: "B1"}, []string{}},
			{"search with filters", store.WorklistFilter{Scope: scopeA, Search: "Adams", Status: "draft", AssignedTo: &users[1]}, []string{"M6"}},
			{"every filter", store.WorklistFilter{Scope: scopeA, Status: "draft", Sites: breast, DiagnosisYear: 2024, AssignedTo: &users[1], WithEditErrors: true, Search: "M"}, []string{"M2"}},
			{"administrator, status", store.WorklistFilter{Scope: store.AllFacilities, Status: "draft", Sites: breast}, []string{"B1", "M1", "M2"}},
			{"administrator, search", store.WorklistFilter{Scope: store.AllFacilities, Search: "202400001"}, []string{"B1", "M1"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				rows, total, err := s.WorklistPage(ctx, tt.filter)
				if err != nil {
					t.Fatal(err)
				}
				if got := mrns(rows); !slices.Equal(got, tt.want) {
					t.Errorf("MRNs %v, want %v", got, tt.want)
				}
				if total != int64(len(tt.want)) {
					t.Errorf("total %d, want %d", total, len(tt.want))
				}
			})
		}
	})
}

func TestWorklistSortsEveryColumnBothWays(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a, _, _ := worklistFixture(t, s, worklistCases)
		// Change times apart, in an order of their own: M3 oldest, then M1, M7, M2, M6, m5, M4;
		// the times each case entered its status the other way round.
		for i, mrn := range []string{"M3", "M1", "M7", "M2", "M6", "m5", "M4"} {
			if _, err := s.DB().ExecContext(ctx, "UPDATE tumors SET updated_at = ?, status_changed_at = ? WHERE medical_record_number = ?",
				storetest.Clock.AddDate(0, 0, i), storetest.Clock.AddDate(0, 0, -i), mrn); err != nil {
				t.Fatal(err)
			}
		}
		tests := []struct {
			sort store.WorklistSort
			asc  []string
		}{
			// Names and MRNs ignore case (baker after Adams; m5 between M4 and M6); the same name
			// sorts by first name, then patient.
			{store.SortName, []string{"M6", "M1", "M2", "M3", "M4", "m5", "M7"}},
			{store.SortMRN, []string{"M1", "M2", "M3", "M4", "m5", "M6", "M7"}},
			{store.SortSite, []string{"m5", "M6", "M3", "M1", "M2", "M7", "M4"}},
			// Blank first; partial dates where their known part sorts.
			{store.SortDiagnosis, []string{"M6", "M7", "M3", "M4", "M1", "M2", "m5"}},
			// The drafts by the time they became drafts.
			{store.SortStatus, []string{"M4", "M6", "M2", "M1", "M3", "m5", "M7"}},
			{store.SortUpdated, []string{"M3", "M1", "M7", "M2", "M6", "m5", "M4"}},
		}
		for _, scope := range []store.Scope{store.FacilityScope(a.ID), store.AllFacilities} {
			for _, tt := range tests {
				for _, desc := range []bool{false, true} {
					want := slices.Clone(tt.asc)
					if desc {
						slices.Reverse(want)
					}
					rows, err := s.Worklist(ctx, store.WorklistFilter{Scope: scope, Sort: tt.sort, Desc: desc})
					if err != nil {
						t.Fatal(err)
					}
					var got []string
					for _, r := range rows {
						if r.MedicalRecordNumber != "B1" {
							got = append(got, r.MedicalRecordNumber)
						}
					}
					if !slices.Equal(got, want) {
						t.Errorf("scope %v, sort %s, desc %v: %v, want %v", !scope.All(), tt.sort, desc, got, want)
					}
				}
			}
		}
		// The zero filter is the newest change first.
		rows, err := s.Worklist(ctx, store.WorklistFilter{Scope: store.FacilityScope(a.ID)})
		if err != nil || len(rows) == 0 || rows[0].MedicalRecordNumber != "M4" {
			t.Errorf("default order starts with %v, %v; want M4, the latest change", rows, err)
		}
	})
}

func TestWorklistPagesCoverEveryCaseOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a, _, _ := worklistFixture(t, s, worklistCases)
		for _, sort := range store.WorklistSorts {
			for _, search := range []string{"", "M"} {
				var seen []string
				for offset := 0; offset < 9; offset += 3 {
					rows, total, err := s.WorklistPage(ctx, store.WorklistFilter{
						Scope: store.FacilityScope(a.ID), Sort: sort, Search: search, Limit: 3, Offset: offset,
					})
					if err != nil {
						t.Fatal(err)
					}
					if total != 7 {
						t.Errorf("sort %s: total %d, want 7", sort, total)
					}
					if want := min(3, 7-offset); len(rows) != want {
						t.Errorf("sort %s, offset %d: %d rows, want %d", sort, offset, len(rows), want)
					}
					for _, r := range rows {
						seen = append(seen, r.MedicalRecordNumber)
					}
				}
				slices.Sort(seen)
				if want := []string{"M1", "M2", "M3", "M4", "M6", "M7", "m5"}; !slices.Equal(seen, want) {
					t.Errorf("sort %s, search %q: pages hold %v, want each of %v once", sort, search, seen, want)
				}
			}
		}
		// Past the end: the count, and no rows.
		rows, total, err := s.WorklistPage(ctx, store.WorklistFilter{Scope: store.FacilityScope(a.ID), Limit: 3, Offset: 9})
		if err != nil || len(rows) != 0 || total != 7 {
			t.Errorf("past the end: %d rows, total %d, %v; want none of 7", len(rows), total, err)
		}
	})
}

func TestWorklistRowsCarryTheirCase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a, _, users := worklistFixture(t, s, worklistCases)
		rows, err := s.Worklist(ctx, store.WorklistFilter{Scope: store.FacilityScope(a.ID), Search: "baker"})
		if err != nil || len(rows) != 1 {
			t.Fatalf("rows %v, %v", rows, err)
		}
		r := rows[0]
		if r.NameLast != "baker" || r.NameFirst != "Yan" || r.AccessionNumber != "202400002" || r.PrimarySite != "C509" ||
			r.DateOfDiagnosis != "202402" || r.Status != "draft" || r.EditErrors != 2 || r.AssignedTo == nil || *r.AssignedTo != users[1] ||
			r.PatientID == 0 || r.TumorID == 0 || r.UpdatedAt.IsZero() {
			t.Errorf("row %+v", r)
		}
	})
}

func TestWorklistFollowsAPatientsNewName(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a := addFacility(t, s, "A")
		_, ids := addPatient(t, s, a.ID, map[string]string{"nameLast": "Old", "nameFirst": "Ann"}, "draft",
			map[string]string{"medicalRecordNumber": "M1", "sequenceNumberHospital": "01"},
			map[string]string{"medicalRecordNumber": "M1", "sequenceNumberHospital": "02"})
		cs, err := s.LoadCase(ctx, ids[0], store.AllFacilities)
		if err != nil {
			t.Fatal(err)
		}
		patient := map[string]string{"nameLast": "Newname", "nameFirst": "Ann"}
		if _, _, err := s.SaveCase(ctx, store.CaseSave{
			TumorID: ids[0], Scope: store.AllFacilities, PatientVersion: cs.Patient.Version, TumorVersion: cs.Tumor.Version,
			PatientItems: patient, TumorItems: cs.Tumor.Items,
		}); err != nil {
			t.Fatal(err)
		}
		for _, search := range []string{"Newname", "Old"} {
			rows, err := s.Worklist(ctx, store.WorklistFilter{Scope: store.FacilityScope(a.ID), Search: search})
			if err != nil {
				t.Fatal(err)
			}
			want := 0
			if search == "Newname" {
				want = 2 // both tumors of the patient, not only the one saved
			}
			if len(rows) != want {
				t.Errorf("search %q: %d rows, want %d", search, len(rows), want)
			}
			for _, r := range rows {
				if !strings.EqualFold(r.NameLast, "Newname") {
					t.Errorf("row shows %q", r.NameLast)
				}
			}
		}
	})
}

func TestFacilityUsersAreThoseOfTheScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a, b, _ := worklistFixture(t, s, nil)
		other := &store.User{Username: "zed", PasswordHash: "x", Role: "registrar", FacilityID: &b.ID}
		if err := s.CreateUser(ctx, other); err != nil {
			t.Fatal(err)
		}
		us, err := s.FacilityUsers(ctx, store.FacilityScope(a.ID))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, u := range us {
			names = append(names, u.Username)
		}
		if !slices.Equal(names, []string{"ann", "bob"}) {
			t.Errorf("users of A %v, want ann, bob", names)
		}
	})
}
