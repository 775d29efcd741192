package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"testing"

	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

func idOf(id uint) string { return strconv.FormatUint(uint64(id), 10) }

func recordNames(recs []store.PatientRecord) []string {
	var out []string
	for _, r := range recs {
		out = append(out, r.Patient.NameLast+", "+r.Patient.NameFirst)
	}
	return out
}

func TestAddPatientNumbersAndAuditsIt(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a, b := addFacility(t, s, "A"), addFacility(t, s, "B")
		addPatient(t, s, a.ID, map[string]string{"patientIdNumber": "00000041", "nameLast": "Imported"}, "draft")
		addPatient(t, s, a.ID, map[string]string{"patientIdNumber": "X1", "nameLast": "Odd"}, "draft")
		user := &store.User{Username: "reg", PasswordHash: "x", Role: "registrar", FacilityID: &a.ID}
		if err := s.CreateUser(ctx, user); err != nil {
			t.Fatal(err)
		}
		p, err := s.AddPatient(ctx, store.NewPatient{FacilityID: a.ID, Scope: store.AllFacilities, Items: map[string]string{"nameLast": "Doe", "nameFirst": "Jane", "dateOfBirth": "19700101"}, UserID: &user.ID, RemoteAddr: "10.0.0.1"})
		if err != nil {
			t.Fatal(err)
		}
		if p.PatientIDNumber != "00000042" || p.Items["patientIdNumber"] != "00000042" || p.NameLast != "Doe" || p.FacilityID != a.ID {
			t.Errorf("patient %+v, want number 00000042 after the facility's highest", p)
		}
		first, err := s.AddPatient(ctx, store.NewPatient{FacilityID: b.ID, Scope: store.AllFacilities, Items: map[string]string{"nameLast": "Roe"}})
		if err != nil || first.PatientIDNumber != "00000001" {
			t.Errorf("first patient of B: %+v, %v; want number 00000001", first, err)
		}
		evs, err := s.AuditEvents(ctx, "patient", idOf(p.ID), 10)
		if err != nil || len(evs) != 1 || evs[0].Action != "patient.create" || evs[0].UserID == nil || *evs[0].UserID != user.ID || evs[0].RemoteAddr != "10.0.0.1" {
			t.Errorf("audit of the new patient: %+v, %v", evs, err)
		}
		if _, err := s.AddPatient(ctx, store.NewPatient{FacilityID: b.ID + 100, Scope: store.AllFacilities, Items: map[string]string{"nameLast": "Nowhere"}}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("patient of a facility that does not exist: %v, want ErrNotFound", err)
		}
	})
}

func TestAddTumorKeepsThePatientsFacilityAndScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a, b := addFacility(t, s, "A"), addFacility(t, s, "B")
		p, err := s.AddPatient(ctx, store.NewPatient{FacilityID: a.ID, Scope: store.AllFacilities, Items: map[string]string{"nameLast": "Doe", "nameFirst": "Jane"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddTumor(ctx, store.NewTumor{PatientID: p.ID, Scope: store.FacilityScope(b.ID), Items: map[string]string{"primarySite": "C509"}, Status: "draft"}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("tumor added from another facility: %v, want ErrNotFound", err)
		}
		tu, err := s.AddTumor(ctx, store.NewTumor{
			PatientID: p.ID, Scope: store.FacilityScope(a.ID), Status: "draft", EditErrors: 2, EditWarnings: 1,
			Items: map[string]string{"medicalRecordNumber": "MR9", "sequenceNumberHospital": "00", "primarySite": "C509", "dateOfDiagnosis": "20260101"},
		})
		if err != nil {
			t.Fatal(err)
		}
		if tu.FacilityID != a.ID || tu.NameLast != "Doe" || tu.SequenceNumber != "00" || tu.PrimarySite != "C509" {
			t.Errorf("tumor %+v", tu)
		}
		rows, total, err := s.WorklistPage(ctx, store.WorklistFilter{Scope: store.FacilityScope(a.ID), Search: "doe", WithEditErrors: true})
		if err != nil || total != 1 || rows[0].TumorID != tu.ID {
			t.Errorf("the new tumor on A's worklist: %v, %d, %v", rows, total, err)
		}
		evs, err := s.AuditEvents(ctx, "tumor", idOf(tu.ID), 10)
		if err != nil || len(evs) != 1 || evs[0].Action != "tumor.create" {
			t.Fatalf("audit of the new tumor: %+v, %v", evs, err)
		}
		var details map[string]any
		if err := json.Unmarshal([]byte(evs[0].Details), &details); err != nil || details["sequenceNumber"] != "00" {
			t.Errorf("audit details %s, %v", evs[0].Details, err)
		}
		rec, err := s.LoadPatient(ctx, p.ID, store.FacilityScope(a.ID))
		if err != nil || len(rec.Tumors) != 1 || rec.Tumors[0].ID != tu.ID || rec.Tumors[0].EditErrors != 2 {
			t.Errorf("patient record %+v, %v", rec, err)
		}
		if _, err := s.LoadPatient(ctx, p.ID, store.FacilityScope(b.ID)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("A's patient in B's scope: %v, want ErrNotFound", err)
		}
	})
}

func TestSearchPatientsByNameMRNAndBirthDate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a, b := addFacility(t, s, "A"), addFacility(t, s, "B")
		addPatient(t, s, a.ID, map[string]string{"nameLast": "Smith", "nameFirst": "Anna", "dateOfBirth": "19580704"}, "draft",
			map[string]string{"medicalRecordNumber": "MR100001", "sequenceNumberHospital": "01"},
			map[string]string{"medicalRecordNumber": "MR100001", "sequenceNumberHospital": "02"})
		addPatient(t, s, a.ID, map[string]string{"nameLast": "smithers", "nameFirst": "Bo", "dateOfBirth": "19580912"}, "draft",
			map[string]string{"medicalRecordNumber": "MR200002"})
		addPatient(t, s, a.ID, map[string]string{"nameLast": "Jones", "nameFirst": "Anna", "dateOfBirth": "19601010"}, "draft")
		addPatient(t, s, b.ID, map[string]string{"nameLast": "Smith", "nameFirst": "Carl", "dateOfBirth": "19580704"}, "draft",
			map[string]string{"medicalRecordNumber": "MR100001"})
		scope := store.FacilityScope(a.ID)
		tests := []struct {
			name string
			q    store.PatientSearch
			want []string
		}{
			{"last name prefix, any case", store.PatientSearch{Name: "SMI"}, []string{"Smith, Anna", "smithers, Bo"}},
			{"last, first", store.PatientSearch{Name: "Smith, A"}, []string{"Smith, Anna"}},
			{"MRN prefix", store.PatientSearch{MRN: "mr2"}, []string{"smithers, Bo"}},
			{"birth date", store.PatientSearch{DateOfBirth: "19580704"}, []string{"Smith, Anna"}},
			{"birth year", store.PatientSearch{DateOfBirth: "1958"}, []string{"Smith, Anna", "smithers, Bo"}},
			{"all given must match", store.PatientSearch{Name: "Smi", DateOfBirth: "195809"}, []string{"smithers, Bo"}},
			{"nothing given finds nothing", store.PatientSearch{}, nil},
			{"wildcards are literal", store.PatientSearch{Name: "%"}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				tt.q.Scope = scope
				recs, err := s.SearchPatients(ctx, tt.q)
				if err != nil {
					t.Fatal(err)
				}
				if got := recordNames(recs); !slices.Equal(got, tt.want) {
					t.Errorf("found %v, want %v", got, tt.want)
				}
			})
		}
		recs, err := s.SearchPatients(ctx, store.PatientSearch{Scope: scope, Name: "Smith, Anna"})
		if err != nil || len(recs) != 1 || len(recs[0].Tumors) != 2 || recs[0].Tumors[1].SequenceNumber != "02" {
			t.Errorf("Smith's tumors: %+v, %v", recs, err)
		}
		recs, err = s.SearchPatients(ctx, store.PatientSearch{Scope: store.FacilityScope(b.ID), Name: "Smith"})
		if got := recordNames(recs); err != nil || !slices.Equal(got, []string{"Smith, Carl"}) {
			t.Errorf("B's search: %v, %v", got, err)
		}
	})
}

func TestPatientDuplicatesAreSameNameAndBirthOrSameMRN(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a, b := addFacility(t, s, "A"), addFacility(t, s, "B")
		addPatient(t, s, a.ID, map[string]string{"nameLast": "Smith", "nameFirst": "Anna", "dateOfBirth": "19580704"}, "draft",
			map[string]string{"medicalRecordNumber": "MR100001"})
		addPatient(t, s, a.ID, map[string]string{"nameLast": "Jones", "nameFirst": "Bo", "dateOfBirth": "19600101"}, "draft",
			map[string]string{"medicalRecordNumber": "MR300003"})
		addPatient(t, s, b.ID, map[string]string{"nameLast": "Brown", "nameFirst": "Cy", "dateOfBirth": "19700101"}, "draft",
			map[string]string{"medicalRecordNumber": "MR999999"})
		tests := []struct {
			name             string
			facility         uint
			last, birth, mrn string
			want             []string
		}{
			{"same name and birth date, any case", a.ID, "SMITH", "19580704", "", []string{"Smith, Anna"}},
			{"same MRN", a.ID, "Other", "20000101", "MR300003", []string{"Jones, Bo"}},
			{"both, each found once", a.ID, "Smith", "19580704", "MR100001", []string{"Smith, Anna"}},
			{"either", a.ID, "Smith", "19580704", "MR300003", []string{"Jones, Bo", "Smith, Anna"}},
			{"same name, other birth date", a.ID, "Smith", "19580705", "", nil},
			{"same birth date, other name", a.ID, "Smythe", "19580704", "", nil},
			{"a blank birth date matches nothing", a.ID, "Smith", "", "", nil},
			{"another facility's MRN", a.ID, "Brown", "19700101", "MR999999", nil},
			{"in that facility", b.ID, "Brown", "19700101", "", []string{"Brown, Cy"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				recs, err := s.PatientDuplicates(ctx, store.AllFacilities, tt.facility, tt.last, tt.birth, tt.mrn)
				if err != nil {
					t.Fatal(err)
				}
				if got := recordNames(recs); !slices.Equal(got, tt.want) {
					t.Errorf("duplicates %v, want %v", got, tt.want)
				}
			})
		}
	})
}

func TestNextAccessionNumberFollowsTheYearsHighest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a, b := addFacility(t, s, "A"), addFacility(t, s, "B")
		addPatient(t, s, a.ID, map[string]string{"nameLast": "X"}, "draft",
			map[string]string{"accessionNumberHosp": "202600007"}, map[string]string{"accessionNumberHosp": "202600012"},
			map[string]string{"accessionNumberHosp": "202599999"}, map[string]string{"accessionNumberHosp": "2026ABCDE"})
		addPatient(t, s, b.ID, map[string]string{"nameLast": "Y"}, "draft", map[string]string{"accessionNumberHosp": "202600500"})
		for _, tt := range []struct {
			facility uint
			year     int
			want     string
		}{
			{a.ID, 2026, "202600013"},
			{a.ID, 2025, ""}, // full
			{a.ID, 2024, "202400001"},
			{b.ID, 2026, "202600501"},
		} {
			got, err := s.NextAccessionNumber(ctx, tt.facility, tt.year)
			if err != nil || got != tt.want {
				t.Errorf("facility %d, %d: %q, %v; want %q", tt.facility, tt.year, got, err, tt.want)
			}
		}
	})
}

func TestPatientQueriesStayInScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a, b := addFacility(t, s, "A"), addFacility(t, s, "B")
		pa, _ := addPatient(t, s, a.ID, map[string]string{"nameLast": "Doe", "dateOfBirth": "19700101"}, "draft",
			map[string]string{"primarySite": "C509", "medicalRecordNumber": "MR1"})
		onlyB := store.FacilityScope(b.ID)

		if _, err := s.AddPatient(ctx, store.NewPatient{FacilityID: a.ID, Scope: onlyB, Items: map[string]string{"nameLast": "Roe"}}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("add a patient to a facility out of scope: %v, want ErrNotFound", err)
		}
		if _, err := s.AddPatient(ctx, store.NewPatient{FacilityID: a.ID, Items: map[string]string{"nameLast": "Roe"}}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("add a patient with the zero scope: %v, want ErrNotFound", err)
		}
		if ts, err := s.PatientTumors(ctx, pa.ID, onlyB); err != nil || len(ts) != 0 {
			t.Errorf("tumors of A's patient in B's scope = %d, %v; want none", len(ts), err)
		}
		if ts, err := s.PatientTumors(ctx, pa.ID, store.FacilitiesScope([]uint{b.ID, a.ID})); err != nil || len(ts) != 1 {
			t.Errorf("tumors of A's patient in scope A+B = %d, %v; want 1", len(ts), err)
		}
		if recs, err := s.PatientDuplicates(ctx, onlyB, a.ID, "Doe", "19700101", "MR1"); err != nil || len(recs) != 0 {
			t.Errorf("duplicates in A seen from B = %d, %v; want none", len(recs), err)
		}
		if recs, err := s.PatientDuplicates(ctx, store.FacilityScope(a.ID), a.ID, "Doe", "19700101", ""); err != nil || len(recs) != 1 {
			t.Errorf("duplicates in A seen from A = %d, %v; want 1", len(recs), err)
		}
		if n, err := s.CountPatients(ctx, store.Scope{}); err != nil || n != 0 {
			t.Errorf("patients in the zero scope = %d, %v; want 0", n, err)
		}
		if n, err := s.CountPatients(ctx, store.FacilitiesScope([]uint{a.ID, b.ID})); err != nil || n != 1 {
			t.Errorf("patients in scope A+B = %d, %v; want 1", n, err)
		}
	})
}
