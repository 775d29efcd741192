package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

// patientOf returns the patient of a fixture case.
func (f *fixture) patientOf(t *testing.T, tumorID uint) uint {
	t.Helper()
	return f.loadCase(t, tumorID).Patient.ID
}

func patientPath(id uint) string { return "/patients/" + idString(id) }

// patientsNamed counts a facility's patients with a last name.
func (f *fixture) patientsNamed(t *testing.T, facility uint, last string) int {
	t.Helper()
	recs, err := f.store.SearchPatients(context.Background(), store.PatientSearch{Scope: store.FacilityScope(facility), Name: last})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range recs {
		if strings.EqualFold(r.Patient.NameLast, last) {
			n++
		}
	}
	return n
}

// formOf returns the values a browser would send for a form of a page, by its data-testid.
func formOf(t *testing.T, p *page, testid string) url.Values {
	t.Helper()
	form := p.testid(testid)
	if form.Length() != 1 {
		t.Fatalf("no %s\n%s", testid, excerpt(p.body))
	}
	return formValues(form)
}

func TestNewCaseFromSearchThroughDuplicateWarningToTheCaseForm(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		a := f.signIn(t, registrarA)

		// The worklist's New case button opens the search.
		p := a.get(t, "/cases")
		if href, _ := p.testid("new-case").Attr("href"); href != "/patients" {
			t.Fatalf("New case links to %q, want /patients", href)
		}

		// Search: Smith is there, with her tumor.
		p = a.get(t, "/patients?name=smith")
		p.wantStatus(http.StatusOK)
		if n := p.testid("patient-result").Length(); n != 1 {
			t.Fatalf("%d patients found for smith, want 1\n%s", n, excerpt(p.body))
		}
		if got := strings.TrimSpace(p.testid("tumor-seq").Text()); got != "00" {
			t.Errorf("Smith's tumor shown with sequence %q, want 00", got)
		}
		if evs := f.auditEvents(t, "patient.search", "facility", idString(f.facA)); len(evs) != 1 {
			t.Errorf("%d patient.search events, want 1", len(evs))
		}
		next, _ := p.testid("new-patient").Attr("href")
		if !strings.HasPrefix(next, "/patients/new?") || !strings.Contains(next, "nameLast=smith") {
			t.Fatalf("new patient link %q, want the form filled with the search", next)
		}

		// The form, filled with the name searched for.
		p = a.get(t, next)
		p.wantStatus(http.StatusOK)
		vals := formOf(t, p, "patient-form")
		if vals.Get("nameLast") != "smith" || vals.Get("_csrf") == "" {
			t.Fatalf("patient form values %v", vals)
		}
		vals.Set("nameLast", "Smith")
		vals.Set("nameFirst", "Anne")
		vals.Set("dateOfBirth", "19580704")
		vals.Set("sexAssignedAtBirth", "2")
		vals.Set("medicalRecordNumber", "MR100777")

		// Same last name and date of birth as Anna Smith: shown, not stored.
		p = a.post(t, "/patients", vals)
		p.wantStatus(http.StatusOK)
		if p.testid("duplicates").Length() != 1 || !strings.Contains(p.testid("duplicates").Text(), "Smith, Anna") {
			t.Fatalf("no duplicate warning naming Smith, Anna\n%s", excerpt(p.body))
		}
		if href, _ := p.testid("duplicates").Find(`[data-testid="add-tumor"]`).Attr("href"); href != patientPath(f.patientOf(t, f.caseA))+"/tumors/new" {
			t.Errorf("the duplicate offers %q to add the tumor to", href)
		}
		if n := f.patientsNamed(t, f.facA, "Smith"); n != 1 {
			t.Fatalf("%d Smiths stored after the warning, want still 1", n)
		}

		// The registrar knows it is someone else: create anyway.
		vals = formOf(t, p, "patient-form")
		if vals.Get("dateOfBirth") != "19580704" || vals.Get("nameFirst") != "Anne" {
			t.Errorf("the form lost the entries: %v", vals)
		}
		vals.Set("confirm", "1")
		p = a.post(t, "/patients", vals)
		p.wantStatus(http.StatusSeeOther)
		loc := p.location()
		if !strings.HasPrefix(loc, "/patients/") || !strings.Contains(loc, "/tumors/new?") || !strings.Contains(loc, "medicalRecordNumber=MR100777") {
			t.Fatalf("Location %q, want the new patient's tumor form with the MRN", loc)
		}
		if n := f.patientsNamed(t, f.facA, "Smith"); n != 2 {
			t.Fatalf("%d Smiths stored, want 2", n)
		}
		pid := strings.TrimPrefix(strings.Split(loc, "/tumors/")[0], "/patients/")
		if evs := f.auditEvents(t, "patient.create", "patient", pid); len(evs) != 1 {
			t.Errorf("%d patient.create events for patient %s, want 1", len(evs), pid)
		}

		// The tumor form: MRN carried, first tumor 00, the facility's next accession number.
		p = a.get(t, loc)
		p.wantStatus(http.StatusOK)
		vals = formOf(t, p, "tumor-form")
		for k, want := range map[string]string{"medicalRecordNumber": "MR100777", "sequenceNumberHospital": "00", "accessionNumberHosp": "202600001"} {
			if got := vals.Get(k); got != want {
				t.Errorf("tumor form %s = %q, want %q", k, got, want)
			}
		}
		vals.Set("dateOfDiagnosis", "20260115")
		vals.Set("primarySite", "c504")
		p = a.post(t, "/patients/"+pid+"/tumors", vals)
		p.wantStatus(http.StatusSeeOther)
		casePage := p.location()
		if !strings.HasPrefix(casePage, "/cases/") {
			t.Fatalf("Location %q, want the new case", casePage)
		}
		tid := strings.TrimPrefix(casePage, "/cases/")
		if evs := f.auditEvents(t, "tumor.create", "tumor", tid); len(evs) != 1 {
			t.Errorf("%d tumor.create events for tumor %s, want 1", len(evs), tid)
		}

		// The case form opens on the new case.
		p = a.get(t, casePage)
		p.wantStatus(http.StatusOK)
		if title := p.testid("case-title").Text(); !strings.Contains(title, "Smith, Anne") {
			t.Errorf("case title %q", title)
		}

		// The patient page lists the tumor; the worklist has the case, assigned to its registrar.
		p = a.get(t, "/patients/"+pid)
		p.wantStatus(http.StatusOK)
		if p.testid("tumor-row").Length() != 1 || strings.TrimSpace(p.testid("tumor-site").Text()) != "C504" {
			t.Errorf("patient page tumors\n%s", excerpt(p.body))
		}
		p = a.get(t, "/cases?assigned=me")
		if got := worklistMRNs(p); len(got) != 1 || got[0] != "MR100777" {
			t.Errorf("my cases %q, want the new one", got)
		}
	})
}

func TestNewPatientWithoutDuplicateIsCreatedAtOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		a := f.signIn(t, registrarA)
		vals := formOf(t, a.get(t, "/patients/new"), "patient-form")
		vals.Set("nameLast", "Brown") // B's Brown is no duplicate of A's patients
		vals.Set("nameFirst", "Carla")
		vals.Set("dateOfBirth", "19690930")
		vals.Set("medicalRecordNumber", "MR200001")
		p := a.post(t, "/patients", vals)
		p.wantStatus(http.StatusSeeOther)
		if n := f.patientsNamed(t, f.facA, "Brown"); n != 1 {
			t.Errorf("%d Browns in A, want 1", n)
		}
		if n := f.patientsNamed(t, f.facB, "Brown"); n != 1 {
			t.Errorf("%d Browns in B, want still 1", n)
		}
	})
}

func TestNewPatientWithTheSameMRNIsAPossibleDuplicate(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		a := f.signIn(t, registrarA)
		vals := formOf(t, a.get(t, "/patients/new"), "patient-form")
		vals.Set("nameLast", "Jonas") // a misspelled Jones, born another day, but the same MRN
		vals.Set("nameFirst", "Rob")
		vals.Set("dateOfBirth", "19470212")
		vals.Set("medicalRecordNumber", "mr100002")
		p := a.post(t, "/patients", vals)
		p.wantStatus(http.StatusOK)
		if !strings.Contains(p.testid("duplicates").Text(), "Jones, Robert") {
			t.Errorf("no duplicate warning naming Jones, Robert\n%s", excerpt(p.body))
		}
		if p.testid("create-anyway").Length() != 1 {
			t.Errorf("no way to create the patient anyway")
		}
		if n := f.patientsNamed(t, f.facA, "Jonas"); n != 0 {
			t.Errorf("patient stored despite the warning")
		}
	})
}

func TestNewPatientRejectsInvalidAndMissingItems(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		a := f.signIn(t, registrarA)
		vals := formOf(t, a.get(t, "/patients/new"), "patient-form")
		vals.Set("nameLast", "")
		vals.Set("nameFirst", "Al")
		vals.Set("dateOfBirth", "19581340")
		vals.Set("race1", "XX")
		p := a.post(t, "/patients", vals)
		p.wantStatus(http.StatusUnprocessableEntity)
		for _, id := range []string{"nameLast", "dateOfBirth", "race1"} {
			if p.testid("error-"+id).Length() != 1 {
				t.Errorf("no error beside %s\n%s", id, excerpt(p.body))
			}
		}
		if got := formOf(t, p, "patient-form").Get("dateOfBirth"); got != "19581340" {
			t.Errorf("the entry is lost: dateOfBirth %q", got)
		}
		if n, err := s.CountPatients(context.Background(), store.FacilityScope(f.facA)); err != nil || n != 2 {
			t.Errorf("A has %d patients (%v), want still 2", n, err)
		}
	})
}

func TestSecondTumorGetsTheNextSequenceNumber(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		a := f.signIn(t, registrarA)
		smith := patientPath(f.patientOf(t, f.caseA))
		p := a.get(t, smith+"/tumors/new")
		p.wantStatus(http.StatusOK)
		vals := formOf(t, p, "tumor-form")
		for k, want := range map[string]string{"sequenceNumberHospital": "02", "medicalRecordNumber": "MR100001", "accessionNumberHosp": "202500001"} {
			if got := vals.Get(k); got != want {
				t.Errorf("%s suggested %q, want %q", k, got, want)
			}
		}
		if note := p.testid("sequence-note").Text(); !strings.Contains(note, "00") || !strings.Contains(note, "01") {
			t.Errorf("sequence note %q, want it to say that 00 should now be 01", note)
		}
		// 00 is taken.
		vals.Set("sequenceNumberHospital", "00")
		vals.Set("dateOfDiagnosis", "20260301")
		p = a.post(t, smith+"/tumors", vals)
		p.wantStatus(http.StatusUnprocessableEntity)
		if p.testid("error-sequenceNumberHospital").Length() != 1 {
			t.Errorf("no error beside the sequence number\n%s", excerpt(p.body))
		}
		// 02 is stored; the existing 00 is left as it is.
		vals.Set("sequenceNumberHospital", "02")
		p = a.post(t, smith+"/tumors", vals)
		p.wantStatus(http.StatusSeeOther)
		p = a.get(t, smith)
		var seqs []string
		p.testid("tumor-seq").Each(func(_ int, s *goquery.Selection) { seqs = append(seqs, strings.TrimSpace(s.Text())) })
		if strings.Join(seqs, " ") != "00 02" {
			t.Errorf("Smith's tumors %q, want 00 02", seqs)
		}
		if f.loadCase(t, f.caseA).Tumor.SequenceNumber != "00" {
			t.Errorf("the first tumor was renumbered")
		}
	})
}

func TestPatientsOfAnotherFacilityCannotBeFoundOrChanged(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		a := f.signIn(t, registrarA)
		brown := f.patientOf(t, f.caseB)

		p := a.get(t, "/patients?name=Brown&facility="+idString(f.facB)) // the facility value is ignored
		p.wantStatus(http.StatusOK)
		if p.testid("patient-result").Length() != 0 || p.testid("no-patients").Length() != 1 {
			t.Errorf("A's registrar finds B's Brown\n%s", excerpt(p.body))
		}
		for _, path := range []string{patientPath(brown), patientPath(brown) + "/tumors/new"} {
			a.get(t, path).wantStatus(http.StatusNotFound)
		}
		p = a.post(t, patientPath(brown)+"/tumors", url.Values{
			"_csrf": {a.csrf(t)}, "medicalRecordNumber": {"X"}, "sequenceNumberHospital": {"01"}, "dateOfDiagnosis": {"20260101"},
		})
		p.wantStatus(http.StatusNotFound)
		if evs := f.auditEvents(t, "patient.view", "patient", idString(brown)); len(evs) != 0 {
			t.Errorf("a refused view was audited")
		}
		if rec, err := s.LoadPatient(context.Background(), brown, store.AllFacilities); err != nil || len(rec.Tumors) != 1 {
			t.Errorf("Brown's tumors after A's attempt: %v, %v", rec, err)
		}
		// B's registrar sees Brown.
		b := f.signIn(t, registrarB)
		b.get(t, patientPath(brown)).wantStatus(http.StatusOK)
		if evs := f.auditEvents(t, "patient.view", "patient", idString(brown)); len(evs) != 1 {
			t.Errorf("%d patient.view events, want 1", len(evs))
		}
	})
}

func TestAdministratorPicksTheFacilityOfANewCase(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		admin := f.signIn(t, adminUser)
		p := admin.get(t, "/patients?name=Brown")
		p.wantStatus(http.StatusOK)
		if p.testid("choose-facility").Length() != 1 || p.testid("patient-result").Length() != 0 || p.testid("new-patient").Length() != 0 {
			t.Errorf("without a facility: want the choice and no results\n%s", excerpt(p.body))
		}
		p = admin.get(t, "/patients?name=Brown&facility="+idString(f.facB))
		if p.testid("patient-result").Length() != 1 {
			t.Errorf("Brown not found in B\n%s", excerpt(p.body))
		}
		next, _ := p.testid("new-patient").Attr("href")
		if !strings.Contains(next, "facility="+idString(f.facB)) {
			t.Errorf("new patient link %q does not keep the facility", next)
		}
		// A post without a facility is refused; with one, the patient goes there.
		vals := url.Values{"_csrf": {admin.csrf(t)}, "nameLast": {"Green"}, "nameFirst": {"Gil"}, "dateOfBirth": {"19800101"}}
		admin.post(t, "/patients", vals).wantStatus(http.StatusBadRequest)
		vals.Set("facility", idString(f.facB))
		admin.post(t, "/patients", vals).wantStatus(http.StatusSeeOther)
		if n := f.patientsNamed(t, f.facB, "Green"); n != 1 {
			t.Errorf("%d Greens in B, want 1", n)
		}
	})
}

func TestCreatingAPatientNeedsTheCSRFToken(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		a := f.signIn(t, registrarA)
		p := a.post(t, "/patients", url.Values{"nameLast": {"Forged"}, "nameFirst": {"F"}, "dateOfBirth": {"19800101"}, "confirm": {"1"}})
		p.wantStatus(http.StatusForbidden)
		smith := patientPath(f.patientOf(t, f.caseA))
		a.post(t, smith+"/tumors", url.Values{"sequenceNumberHospital": {"02"}, "dateOfDiagnosis": {"20260101"}, "medicalRecordNumber": {"X"}}).
			wantStatus(http.StatusForbidden)
		if n := f.patientsNamed(t, f.facA, "Forged"); n != 0 {
			t.Errorf("a forged post stored a patient")
		}
		if evs := f.auditEvents(t, "tumor.create", "", ""); len(evs) != 0 {
			t.Errorf("a forged post stored a tumor")
		}
	})
}

func TestNewTumorNamesItsReportingFacility(t *testing.T) {
	t.Parallel()
	s := storetest.New(t, store.DialectSQLite)
	f := newFixture(t, s)
	ctx := context.Background()
	fac, err := s.FacilityByID(ctx, f.facA)
	if err != nil {
		t.Fatal(err)
	}
	fac.IDNumber = "0012345678"
	if err := s.UpdateFacility(ctx, fac, store.Actor{UserID: &f.users[adminUser].ID}); err != nil {
		t.Fatal(err)
	}
	a := f.signIn(t, registrarA)
	smith := f.patientOf(t, f.caseA)
	vals := formOf(t, a.get(t, patientPath(smith)+"/tumors/new"), "tumor-form")
	vals.Set("dateOfDiagnosis", "20260301")
	p := a.post(t, patientPath(smith)+"/tumors", vals)
	p.wantStatus(http.StatusSeeOther)
	id, err := strconv.ParseUint(strings.TrimPrefix(p.location(), "/cases/"), 10, 32)
	if err != nil {
		t.Fatalf("new case at %q", p.location())
	}
	if got := f.loadCase(t, uint(id)).Tumor.Items["reportingFacility"]; got != "0012345678" {
		t.Errorf("reportingFacility of the new tumor = %q, want the facility's number 0012345678", got)
	}
}
