package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

// importPatient builds a patient for ImportPatients: a patient id number and last name, and one
// tumor per sequence number, its medical record number made from both.
func importPatient(id, nameLast string, seqs ...string) naaccr.Patient {
	p := naaccr.Patient{Items: map[string]string{"patientIdNumber": id, "nameLast": nameLast}}
	for _, seq := range seqs {
		p.Tumors = append(p.Tumors, naaccr.Tumor{Items: map[string]string{
			"sequenceNumberHospital": seq, "medicalRecordNumber": id + "-" + seq,
		}})
	}
	return p
}

// storedTumors lists "patientIdNumber/sequence_number" of every tumor of a facility, sorted.
func storedTumors(t *testing.T, s *store.Store, facilityID uint) []string {
	t.Helper()
	rows, err := s.DB().QueryContext(context.Background(),
		`SELECT patients.patient_id_number, tumors.sequence_number FROM tumors
		 JOIN patients ON patients.id = tumors.patient_id WHERE patients.facility_id = ?`, facilityID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var id, seq string
		if err := rows.Scan(&id, &seq); err != nil {
			t.Fatal(err)
		}
		out = append(out, id+"/"+seq)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

func TestImportPatientsAddsNewCasesAndSkipsStoredOnes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f, other := addFacility(t, s, "F"), addFacility(t, s, "O")
		steps := []struct {
			name       string
			facility   uint
			pats       []naaccr.Patient
			want       store.ImportResult
			wantTumors []string // of facility F after the step
		}{
			{
				name:       "new patients and tumors",
				facility:   f.ID,
				pats:       []naaccr.Patient{importPatient("00000001", "DOE", "01", "02"), importPatient("00000002", "ROE", "00")},
				want:       store.ImportResult{PatientsCreated: 2, TumorsCreated: 3},
				wantTumors: []string{"00000001/01", "00000001/02", "00000002/00"},
			},
			{
				name:       "the same batch again adds nothing",
				facility:   f.ID,
				pats:       []naaccr.Patient{importPatient("00000001", "DOE", "01", "02"), importPatient("00000002", "ROE", "00")},
				want:       store.ImportResult{TumorsExisting: 3},
				wantTumors: []string{"00000001/01", "00000001/02", "00000002/00"},
			},
			{
				name:       "a new tumor of a stored patient joins it",
				facility:   f.ID,
				pats:       []naaccr.Patient{importPatient("00000001", "CHANGED", "02", "03"), importPatient("00000003", "POE", "00")},
				want:       store.ImportResult{PatientsCreated: 1, TumorsCreated: 2, TumorsExisting: 1},
				wantTumors: []string{"00000001/01", "00000001/02", "00000001/03", "00000002/00", "00000003/00"},
			},
			{
				name:     "the same patient twice in one batch is one patient",
				facility: f.ID,
				pats: []naaccr.Patient{
					importPatient("00000004", "TWICE", "01"),
					importPatient("00000004", "TWICE", "02", "01"),
				},
				want:       store.ImportResult{PatientsCreated: 1, TumorsCreated: 2, TumorsExisting: 1},
				wantTumors: []string{"00000001/01", "00000001/02", "00000001/03", "00000002/00", "00000003/00", "00000004/01", "00000004/02"},
			},
			{
				name:       "the same patient id number in another facility is another patient",
				facility:   other.ID,
				pats:       []naaccr.Patient{importPatient("00000001", "DOE", "01")},
				want:       store.ImportResult{PatientsCreated: 1, TumorsCreated: 1},
				wantTumors: []string{"00000001/01", "00000001/02", "00000001/03", "00000002/00", "00000003/00", "00000004/01", "00000004/02"},
			},
		}
		for _, st := range steps {
			got, err := s.ImportPatients(ctx, st.facility, "draft", st.pats, nil)
			if err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			if got != st.want {
				t.Errorf("%s: result %+v, want %+v", st.name, got, st.want)
			}
			if tumors := storedTumors(t, s, f.ID); !slices.Equal(tumors, st.wantTumors) {
				t.Errorf("%s: facility F has tumors %v, want %v", st.name, tumors, st.wantTumors)
			}
		}
		if n, err := s.CountPatients(ctx, store.FacilityScope(f.ID)); err != nil || n != 4 {
			t.Errorf("facility F has %d patients (%v), want 4", n, err)
		}
		// A stored patient is left as it is: the second import's "CHANGED" did not overwrite DOE.
		rows, err := s.Worklist(ctx, store.WorklistFilter{Scope: store.FacilityScope(f.ID), Search: "CHANGED"})
		if err != nil || len(rows) != 0 {
			t.Errorf("worklist search CHANGED: %d rows, %v; want none", len(rows), err)
		}
	})
}

func TestImportPatientsMatchesTumorsOnTheCentralSequenceNumberWhenTheHospitalOneIsBlank(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := addFacility(t, s, "F")
		central := func(seq string) naaccr.Patient {
			return naaccr.Patient{
				Items:  map[string]string{"patientIdNumber": "00000009"},
				Tumors: []naaccr.Tumor{{Items: map[string]string{"sequenceNumberCentral": seq}}},
			}
		}
		tests := []struct {
			name string
			pat  naaccr.Patient
			want store.ImportResult
		}{
			{"first import", central("01"), store.ImportResult{PatientsCreated: 1, TumorsCreated: 1}},
			{"the same central number", central("01"), store.ImportResult{TumorsExisting: 1}},
			{"another central number", central("02"), store.ImportResult{TumorsCreated: 1}},
		}
		for _, tt := range tests {
			got, err := s.ImportPatients(ctx, f.ID, "draft", []naaccr.Patient{tt.pat}, nil)
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			if got != tt.want {
				t.Errorf("%s: result %+v, want %+v", tt.name, got, tt.want)
			}
		}
		if got, want := storedTumors(t, s, f.ID), []string{"00000009/01", "00000009/02"}; !slices.Equal(got, want) {
			t.Errorf("tumors %v, want %v", got, want)
		}
	})
}

func TestImportPatientsFillsTheColumnsTheWorklistShows(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := addFacility(t, s, "F")
		pats := []naaccr.Patient{{
			Items: map[string]string{"patientIdNumber": "00000042", "nameLast": "LOVELACE", "nameFirst": "ADA", "dateOfBirth": "19501210"},
			Tumors: []naaccr.Tumor{{Items: map[string]string{
				"sequenceNumberHospital": "00", "medicalRecordNumber": "MRN42", "accessionNumberHosp": "202400042",
				"primarySite": "C509", "histologicTypeIcdO3": "8500", "behaviorCodeIcdO3": "3", "dateOfDiagnosis": "20240315",
			}}},
		}}
		if _, err := s.ImportPatients(ctx, f.ID, "in_review", pats, nil); err != nil {
			t.Fatal(err)
		}
		rows, err := s.Worklist(ctx, store.WorklistFilter{Scope: store.FacilityScope(f.ID), Search: "LOVE"})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 {
			t.Fatalf("worklist search LOVE: %d rows, want the imported case", len(rows))
		}
		r := rows[0]
		got := fmt.Sprint(r.NameLast, " ", r.NameFirst, " ", r.MedicalRecordNumber, " ", r.PrimarySite, " ", r.Histology, " ", r.DateOfDiagnosis, " ", r.SequenceNumber, " ", r.Status)
		if want := "LOVELACE ADA MRN42 C509 8500 20240315 00 in_review"; got != want {
			t.Errorf("worklist row %q, want %q", got, want)
		}
		c, err := s.LoadCase(ctx, r.TumorID, store.FacilityScope(f.ID))
		if err != nil {
			t.Fatal(err)
		}
		if c.Patient.PatientIDNumber != "00000042" || c.Patient.DateOfBirth != "19501210" || c.Tumor.AccessionNumber != "202400042" || c.Tumor.Behavior != "3" {
			t.Errorf("promoted columns: patient %+v, tumor %+v", c.Patient, c.Tumor)
		}
		if c.Tumor.Items["primarySite"] != "C509" || c.Patient.Items["nameFirst"] != "ADA" || c.Tumor.Version != 1 {
			t.Errorf("stored items: patient %v, tumor %v (version %d)", c.Patient.Items, c.Tumor.Items, c.Tumor.Version)
		}
	})
}

func TestImportPatientsLinksEachTumorToItsPatientAcrossInsertChunks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := addFacility(t, s, "F")
		// More rows than one bulk insert statement takes, so ids come from several chunks.
		var pats []naaccr.Patient
		for i := range 450 {
			pats = append(pats, importPatient(fmt.Sprintf("%08d", i+1), "N", "01"))
		}
		res, err := s.ImportPatients(ctx, f.ID, "draft", pats, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res != (store.ImportResult{PatientsCreated: 450, TumorsCreated: 450}) {
			t.Errorf("result %+v, want 450 patients and tumors", res)
		}
		var linked int
		err = s.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM tumors JOIN patients ON patients.id = tumors.patient_id
			WHERE tumors.medical_record_number = `+concat(s, "patients.patient_id_number", "'-01'")).Scan(&linked)
		if err != nil {
			t.Fatal(err)
		}
		if linked != 450 {
			t.Errorf("%d of 450 tumors are linked to their own patient", linked)
		}
	})
}

// concat is SQL string concatenation in the store's dialect.
func concat(s *store.Store, a, b string) string {
	if s.Dialect() == store.DialectMySQL {
		return "CONCAT(" + a + ", " + b + ")"
	}
	return a + " || " + b
}

func TestAuditKeepsEventsWhoseEntityIDIsLongerThanItsColumn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		// An import audits the path of its file; a path can be far longer than entity_id.
		long := "/srv/registry/incoming/" + strings.Repeat("quarterly-submission-", 10) + "2026Q3.xml"
		if err := s.Audit(ctx, store.AuditEntry{Action: "import", Entity: "file", EntityID: long, Details: map[string]any{"file": long}}); err != nil {
			t.Fatalf("audit with a %d-character entity id: %v", len(long), err)
		}
		evs, err := s.AuditEvents(ctx, "file", long, 10)
		if err != nil || len(evs) != 1 {
			t.Fatalf("look-up by the long id: %d events, %v; want the one", len(evs), err)
		}
		if id := evs[0].EntityID; len(id) > 64 || !strings.HasSuffix(id, "2026Q3.xml") {
			t.Errorf("stored entity id %q, want at most 64 characters ending with the file name", id)
		}
		if !strings.Contains(evs[0].Details, long) {
			t.Errorf("details %s lost the full path", evs[0].Details)
		}
		n, err := s.CountAudit(ctx, "import", "file", long, storetest.Clock.Add(-time.Minute))
		if err != nil || n != 1 {
			t.Errorf("CountAudit by the long id = %d, %v; want 1", n, err)
		}
		if err := s.Audit(ctx, store.AuditEntry{Action: "login.failure", Entity: "user", EntityID: strings.Repeat("é", 70)}); err != nil {
			t.Errorf("audit with 70 two-byte characters: %v", err)
		}
	})
}

func TestImportPatientsStoresTheTumorsEditCounts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := addFacility(t, s, "F")
		two := importPatient("00000001", "Two", "01")
		two.Tumors = append(two.Tumors, importPatient("00000001", "Two", "02").Tumors...)
		pats := []naaccr.Patient{two, importPatient("00000002", "One", "01")}
		counts := [][]store.TumorCounts{{{Errors: 2, Warnings: 1}, {Warnings: 3}}, {}}
		if _, err := s.ImportPatients(ctx, f.ID, "received", pats, counts); err != nil {
			t.Fatal(err)
		}
		got := map[string][2]int{}
		err := s.EachPatient(ctx, store.PatientFilter{Scope: store.AllFacilities}, 10, func(p *store.Patient, ts []store.Tumor) error {
			for _, tu := range ts {
				got[p.PatientIDNumber+"/"+tu.SequenceNumber] = [2]int{tu.EditErrors, tu.EditWarnings}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string][2]int{"00000001/01": {2, 1}, "00000001/02": {0, 3}, "00000002/01": {0, 0}}
		for k, w := range want {
			if got[k] != w {
				t.Errorf("tumor %s: errors/warnings %v, want %v", k, got[k], w)
			}
		}
	})
}
