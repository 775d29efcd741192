package casefinding_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/internal/casefinding"
	"github.com/cara-registry/cara/internal/edits"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

type fixture struct {
	s       *store.Store
	svc     *casefinding.Service
	fac     *store.Facility
	other   *store.Facility
	reg     casefinding.Actor
	hale    *store.Patient // a patient with a breast tumor, MRN 100200
	haleTum uint
	user    *store.User
}

func newFixture(t *testing.T, s *store.Store) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{s: s}
	f.fac = &store.Facility{Code: "CF", Name: "Casefinding General", IDNumber: "0000012345"}
	f.other = &store.Facility{Code: "OT", Name: "Other"}
	for _, fc := range []*store.Facility{f.fac, f.other} {
		if err := s.CreateFacility(ctx, fc); err != nil {
			t.Fatal(err)
		}
	}
	f.user = &store.User{Username: "reg", DisplayName: "Reg", PasswordHash: "x", Role: string(auth.RoleRegistrar), FacilityID: &f.fac.ID}
	if err := s.CreateUser(ctx, f.user); err != nil {
		t.Fatal(err)
	}
	p, err := s.CreatePatient(ctx, f.fac.ID, naaccr.Patient{
		Items:  map[string]string{"nameLast": "Hale", "nameFirst": "Anne", "dateOfBirth": "19550304", "sexAssignedAtBirth": "2"},
		Tumors: []naaccr.Tumor{{Items: map[string]string{"medicalRecordNumber": "100200", "primarySite": "C504", "sequenceNumberHospital": "00", "dateOfDiagnosis": "20240105"}}},
	}, "approved")
	if err != nil {
		t.Fatal(err)
	}
	f.hale = p
	if err := s.DB().QueryRowContext(ctx, "SELECT id FROM tumors WHERE patient_id = ?", p.ID).Scan(&f.haleTum); err != nil {
		t.Fatal(err)
	}
	f.svc = casefinding.New(s, loadLists(t), nil, func() time.Time { return time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC) })
	f.reg = casefinding.Actor{UserID: &f.user.ID, Role: auth.RoleRegistrar, Scope: store.FacilityScope(f.fac.ID), RemoteAddr: "192.0.2.1"}
	return f
}

const sampleFile = `mrn,last_name,first_name,date_of_birth,sex,encounter_date,icd10cm_codes,source,text,ward
100200,Hale,Anne,1955-03-04,F,2026-09-01,C50.912,disease index,,4B
100200,HALE,Anne,19550304,F,2026-09-02,C34.90;J18.9,pathology,adenocarcinoma of the lung,4B
555001,Ortiz,Luis,1960-01-02,M,2026-08-15,C44.311,disease index,,2
555002,Nakamura,Emi,1971-07-30,F,2026-08-20,Z85.3,physician office,,2
555003,Brown,,1980-02-30,M,2026-08-20,C61,,,1
555004,Brown,Tom,1980-02-03,X,2026-08-21,C61,,,1
555005,Okafor,Ada,1949-12-12,F,2026-10-01,C50.911,fax,,1
`

func TestImportScreensMatchesAndKeepsTheGoodRows(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		ctx := context.Background()
		sum, err := f.svc.Import(ctx, f.reg, f.fac.ID, strings.NewReader(sampleFile), "list.csv", "other")
		if err != nil {
			t.Fatal(err)
		}
		if sum.Read != 7 || sum.Added != 4 || sum.Already != 0 || sum.SetAside != 1 || len(sum.Errors) != 3 {
			t.Fatalf("summary %+v, want 7 read, 4 added, 1 set aside, 3 errors", sum)
		}
		if len(sum.Ignored) != 1 || sum.Ignored[0] != "ward" {
			t.Errorf("ignored %v, want [ward]", sum.Ignored)
		}
		wantErrs := []string{"row 6, column date_of_birth", "row 7, column sex", "row 8, column source"}
		for i, w := range wantErrs {
			if !strings.HasPrefix(sum.Errors[i].Error(), w) {
				t.Errorf("error %d = %q, want it to start %q", i, sum.Errors[i].Error(), w)
			}
		}
		recs, total, err := f.svc.List(ctx, f.reg, casefinding.Filter{FacilityID: f.fac.ID})
		if err != nil || total != 4 {
			t.Fatalf("list: %d records (%v), want 4", total, err)
		}
		byMRNCode := map[string]store.SuspenseRecord{}
		for _, r := range recs {
			byMRNCode[r.MRN+" "+r.Codes] = r
		}
		cases := []struct {
			key, screening, rule, match, status, source string
			tumor                                       *uint
		}{
			{"100200 C50.912", "reportable", "C45-C96", casefinding.MatchAlreadyAbstracted, "waiting", "disease_index", &f.haleTum},
			{"100200 C34.90;J18.9", "reportable", "C00-C43", casefinding.MatchKnownPatient, "waiting", "pathology", nil},
			{"555001 C44.311", "not_reportable", "C44*", casefinding.MatchNewPatient, "set_aside", "disease_index", nil},
			{"555002 Z85.3", "review", "Z85*", casefinding.MatchNewPatient, "waiting", "physician_office", nil},
		}
		for _, c := range cases {
			r, ok := byMRNCode[c.key]
			if !ok {
				t.Errorf("no record %s in %v", c.key, byMRNCode)
				continue
			}
			if r.Screening != c.screening || r.RulePattern != c.rule || r.MatchKind != c.match || r.Status != c.status || r.Source != c.source {
				t.Errorf("%s: %s by %s, match %s, status %s, source %s; want %s by %s, %s, %s, %s", c.key, r.Screening, r.RulePattern,
					r.MatchKind, r.Status, r.Source, c.screening, c.rule, c.match, c.status, c.source)
			}
			if c.tumor != nil && (r.MatchTumor == nil || *r.MatchTumor != *c.tumor) {
				t.Errorf("%s: matched tumor %v, want %d", c.key, r.MatchTumor, *c.tumor)
			}
			if c.match != casefinding.MatchNewPatient && (r.MatchPatient == nil || *r.MatchPatient != f.hale.ID) {
				t.Errorf("%s: matched patient %v, want %d", c.key, r.MatchPatient, f.hale.ID)
			}
		}
		if rs := casefinding.Reasons(new(byMRNCode["100200 C50.912"])); !strings.Contains(strings.Join(rs, "|"), "MRN 100200 agrees (+7)") {
			t.Errorf("reasons %v lack the MRN", rs)
		}

		again, err := f.svc.Import(ctx, f.reg, f.fac.ID, strings.NewReader(sampleFile), "list.csv", "other")
		if err != nil {
			t.Fatal(err)
		}
		if again.Added != 0 || again.Already != 4 {
			t.Errorf("re-import: %+v, want nothing added and 4 already there", again)
		}
		n, err := s.CountAudit(ctx, "casefinding.import", "facility", idString(f.fac.ID), time.Time{})
		if err != nil || n != 2 {
			t.Errorf("%d import events (%v), want 2", n, err)
		}
		// Another facility's registrar sees none of it, and cannot import into it.
		otherReg := f.reg
		otherReg.Scope = store.FacilityScope(f.other.ID)
		if _, total, _ := f.svc.List(ctx, otherReg, casefinding.Filter{FacilityID: f.fac.ID}); total != 0 {
			t.Errorf("another facility's registrar sees %d records", total)
		}
		if _, err := f.svc.Import(ctx, otherReg, f.fac.ID, strings.NewReader(sampleFile), "x.csv", ""); !errors.Is(err, casefinding.ErrNotFound) {
			t.Errorf("import out of scope: %v, want not found", err)
		}
	})
}

func idString(id uint) string { return strconv.FormatUint(uint64(id), 10) }

func recordBy(t *testing.T, f *fixture, mrn, codes string) store.SuspenseRecord {
	t.Helper()
	recs, _, err := f.s.SuspenseRecords(context.Background(), store.SuspenseQuery{Scope: store.AllFacilities, FacilityID: f.fac.ID})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.MRN == mrn && r.Codes == codes {
			return r
		}
	}
	t.Fatalf("no record %s %s", mrn, codes)
	return store.SuspenseRecord{}
}

func TestDecisionsStartCasesAndRecordWhoAndWhy(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		ctx := context.Background()
		if _, err := f.svc.Import(ctx, f.reg, f.fac.ID, strings.NewReader(sampleFile), "list.csv", "other"); err != nil {
			t.Fatal(err)
		}
		// Start abstract: a new patient and a draft tumor, pre-filled.
		nak := recordBy(t, f, "555002", "Z85.3")
		out, err := f.svc.Decide(ctx, f.reg, casefinding.Choice{Action: casefinding.DecideStartAbstract, Refs: []casefinding.Ref{{ID: nak.ID, Version: nak.Version}}})
		if err != nil || len(out.Decided) != 1 {
			t.Fatalf("start abstract: %+v, %v", out, err)
		}
		cs, err := s.LoadCase(ctx, out.Tumors[nak.ID], store.AllFacilities)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"nameLast": "Nakamura", "nameFirst": "Emi", "dateOfBirth": "19710730", "sexAssignedAtBirth": "2"}
		for k, v := range want {
			if cs.Patient.Items[k] != v {
				t.Errorf("patient %s = %q, want %q", k, cs.Patient.Items[k], v)
			}
		}
		wantT := map[string]string{"medicalRecordNumber": "555002", "dateOf1stContact": "20260820", "casefindingSource": "30",
			"sequenceNumberHospital": "00", "accessionNumberHosp": "202600001", "reportingFacility": "0000012345"}
		for k, v := range wantT {
			if cs.Tumor.Items[k] != v {
				t.Errorf("tumor %s = %q, want %q", k, cs.Tumor.Items[k], v)
			}
		}
		if cs.Tumor.Status != "draft" || cs.Tumor.AssignedTo == nil || *cs.Tumor.AssignedTo != f.user.ID {
			t.Errorf("tumor status %s assigned %v, want a draft of the registrar", cs.Tumor.Status, cs.Tumor.AssignedTo)
		}
		got := recordBy(t, f, "555002", "Z85.3")
		if got.Status != store.SuspenseAbstractStarted || got.TumorID == nil || *got.TumorID != cs.Tumor.ID || got.DecidedBy == nil || *got.DecidedBy != f.user.ID {
			t.Errorf("record after start: %+v", got)
		}
		// Deciding again (a stale page) is refused, naming why.
		again, err := f.svc.Decide(ctx, f.reg, casefinding.Choice{Action: casefinding.DecideStartAbstract, Refs: []casefinding.Ref{{ID: nak.ID, Version: got.Version}}})
		if err != nil || len(again.Decided) != 0 || !strings.Contains(again.Refused[nak.ID], "decided already") {
			t.Errorf("second start: %+v, %v", again, err)
		}

		// Add to patient: the lung record goes to Hale as her second tumor.
		lung := recordBy(t, f, "100200", "C34.90;J18.9")
		out, err = f.svc.Decide(ctx, f.reg, casefinding.Choice{Action: casefinding.DecideAddToPatient, Refs: []casefinding.Ref{{ID: lung.ID, Version: lung.Version}}})
		if err != nil || len(out.Decided) != 1 {
			t.Fatalf("add to patient: %+v, %v", out, err)
		}
		cs, err = s.LoadCase(ctx, out.Tumors[lung.ID], store.AllFacilities)
		if err != nil || cs.Patient.ID != f.hale.ID || cs.Tumor.Items["sequenceNumberHospital"] != "02" {
			t.Errorf("added tumor: patient %d seq %q (%v), want patient %d seq 02", cs.Patient.ID, cs.Tumor.Items["sequenceNumberHospital"], err, f.hale.ID)
		}

		// Not reportable needs a reason of the list; bulk over two records.
		breast := recordBy(t, f, "100200", "C50.912")
		ortiz := recordBy(t, f, "555001", "C44.311")
		refs := []casefinding.Ref{{ID: breast.ID, Version: breast.Version}, {ID: ortiz.ID, Version: ortiz.Version}}
		var p *casefinding.Problem
		if _, err := f.svc.Decide(ctx, f.reg, casefinding.Choice{Action: casefinding.DecideNotReportable, Refs: refs}); !errors.As(err, &p) {
			t.Errorf("not reportable without a reason: %v, want a problem", err)
		}
		if _, err := f.svc.Decide(ctx, f.reg, casefinding.Choice{Action: casefinding.DecideNotReportable, Refs: refs, Reason: "other"}); !errors.As(err, &p) {
			t.Errorf("reason other without a text: %v, want a problem", err)
		}
		out, err = f.svc.Decide(ctx, f.reg, casefinding.Choice{Action: casefinding.DecideNotReportable, Refs: refs, Reason: "skin_bcc_scc", Note: "BCC per path"})
		if err != nil || len(out.Decided) != 2 {
			t.Fatalf("bulk not reportable: %+v, %v", out, err)
		}
		if r := recordBy(t, f, "555001", "C44.311"); r.Status != store.SuspenseNotReportable || r.Reason != "skin_bcc_scc" || r.DecisionNote != "BCC per path" {
			t.Errorf("record after not reportable: %+v", r)
		}
		n, err := s.CountAudit(ctx, "casefinding.decide", "suspense", idString(ortiz.ID), time.Time{})
		if err != nil || n != 1 {
			t.Errorf("%d decide events for the record (%v), want 1", n, err)
		}
		// A reviewer cannot decide.
		rev := f.reg
		rev.Role = auth.RoleReviewer
		if _, err := f.svc.Decide(ctx, rev, casefinding.Choice{Action: casefinding.DecideNotReportable, Refs: refs, Reason: "not_cancer"}); !errors.Is(err, casefinding.ErrForbidden) {
			t.Errorf("reviewer decides: %v", err)
		}
	})
}

func TestDuplicateLinksARecordOrACase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		ctx := context.Background()
		if _, err := f.svc.Import(ctx, f.reg, f.fac.ID, strings.NewReader(sampleFile), "list.csv", "other"); err != nil {
			t.Fatal(err)
		}
		breast := recordBy(t, f, "100200", "C50.912")
		lung := recordBy(t, f, "100200", "C34.90;J18.9")
		out, err := f.svc.Decide(ctx, f.reg, casefinding.Choice{Action: casefinding.DecideDuplicate, DuplicateOfTumor: f.haleTum,
			Refs: []casefinding.Ref{{ID: breast.ID, Version: breast.Version}}})
		if err != nil || len(out.Decided) != 1 {
			t.Fatalf("duplicate of a case: %+v %v", out, err)
		}
		if r := recordBy(t, f, "100200", "C50.912"); r.Status != store.SuspenseDuplicate || r.TumorID == nil || *r.TumorID != f.haleTum {
			t.Errorf("after duplicate of case: %+v", r)
		}
		out, err = f.svc.Decide(ctx, f.reg, casefinding.Choice{Action: casefinding.DecideDuplicate, DuplicateOf: lung.ID,
			Refs: []casefinding.Ref{{ID: lung.ID, Version: lung.Version}}})
		if err != nil || len(out.Refused) != 1 {
			t.Errorf("duplicate of itself: %+v %v, want refused", out, err)
		}
		out, err = f.svc.Decide(ctx, f.reg, casefinding.Choice{Action: casefinding.DecideDuplicate, DuplicateOf: breast.ID,
			Refs: []casefinding.Ref{{ID: lung.ID, Version: lung.Version + 5}}})
		if err != nil || !strings.Contains(out.Refused[lung.ID], "changed since") {
			t.Errorf("stale version: %+v %v, want refused as changed", out, err)
		}
	})
}

// fakeChecks derives one item and finds one error and two warnings, whatever the case.
type fakeChecks struct{ seen *store.Case }

func (f *fakeChecks) Derive(patient, tumor map[string]string) { tumor["schemaId"] = "00500" }

func (f *fakeChecks) Edits(cs *store.Case) ([]edits.Result, error) {
	f.seen = cs
	return []edits.Result{{Severity: edits.SeverityError}, {Severity: edits.SeverityWarning}, {Severity: edits.SeverityWarning}}, nil
}

// TestStartedCasesAreDerivedAndCountTheirEdits: a case started from the suspense list enters the
// worklist with its derived items and its edit counts, as one started by hand.
func TestStartedCasesAreDerivedAndCountTheirEdits(t *testing.T) {
	s := storetest.New(t, store.DialectSQLite)
	f := newFixture(t, s)
	ctx := context.Background()
	checks := &fakeChecks{}
	svc := casefinding.New(s, loadLists(t), checks, func() time.Time { return time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC) })
	if _, err := svc.Import(ctx, f.reg, f.fac.ID, strings.NewReader(sampleFile), "list.csv", "other"); err != nil {
		t.Fatal(err)
	}
	lung := recordBy(t, f, "100200", "C34.90;J18.9")
	out, err := svc.Decide(ctx, f.reg, casefinding.Choice{Action: casefinding.DecideAddToPatient, Refs: []casefinding.Ref{{ID: lung.ID, Version: lung.Version}}})
	if err != nil || len(out.Decided) != 1 {
		t.Fatalf("add to patient: %+v %v", out, err)
	}
	cs, err := s.LoadCase(ctx, out.Tumors[lung.ID], store.AllFacilities)
	if err != nil {
		t.Fatal(err)
	}
	if cs.Tumor.Items["schemaId"] != "00500" || cs.Tumor.EditErrors != 1 || cs.Tumor.EditWarnings != 2 {
		t.Errorf("started case: schemaId %q, %d errors, %d warnings; want 00500, 1, 2", cs.Tumor.Items["schemaId"], cs.Tumor.EditErrors, cs.Tumor.EditWarnings)
	}
	if checks.seen == nil || len(checks.seen.Tumors) != 1 || checks.seen.Tumors[0].ID != f.haleTum || checks.seen.Tumors[0].Items["primarySite"] != "C504" {
		t.Errorf("the edits did not see the patient's other tumor with its items: %+v", checks.seen)
	}
}

// TestImportNotesTheSameCaseFoundTwice: a pathology report of a tumor the disease index listed
// already (same MRN, a code of the same category) says so in its reasons, as does a second row
// of one file.
func TestImportNotesTheSameCaseFoundTwice(t *testing.T) {
	s := storetest.New(t, store.DialectSQLite)
	f := newFixture(t, s)
	ctx := context.Background()
	if _, err := f.svc.Import(ctx, f.reg, f.fac.ID, strings.NewReader(sampleFile), "list.csv", "other"); err != nil {
		t.Fatal(err)
	}
	second := header + "555002,Nakamura,Emi,19710730,F,20260901,Z85.3;C50.911\n555002,Nakamura,Emi,19710730,F,20260902,Z85.3\n"
	if _, err := f.svc.Import(ctx, f.reg, f.fac.ID, strings.NewReader(second), "path.csv", "pathology"); err != nil {
		t.Fatal(err)
	}
	first := strings.Join(casefinding.Reasons(new(recordBy(t, f, "555002", "Z85.3;C50.911"))), " | ")
	if !strings.Contains(first, "also on the list: possible case #") || !strings.Contains(first, "(Physician office, first contact 20260820, waiting), with the same MRN and a code of Z85") {
		t.Errorf("reasons of the report %q", first)
	}
	recs, _, err := s.SuspenseRecords(ctx, store.SuspenseQuery{Scope: store.AllFacilities, FacilityID: f.fac.ID, Source: "pathology"})
	if err != nil {
		t.Fatal(err)
	}
	var again string
	for _, r := range recs {
		if r.MRN == "555002" && r.FirstContact == "20260902" {
			again = strings.Join(casefinding.Reasons(&r), " | ")
		}
	}
	if !strings.Contains(again, "also on the list: row 2 of this file") {
		t.Errorf("reasons of the second row %q", again)
	}
}

func TestTimelinessOfCasesStartedFromTheList(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		ctx := context.Background()
		if _, err := f.svc.Import(ctx, f.reg, f.fac.ID, strings.NewReader(sampleFile), "list.csv", "other"); err != nil {
			t.Fatal(err)
		}
		var refs []casefinding.Ref
		for _, k := range [][2]string{{"555002", "Z85.3"}, {"100200", "C34.90;J18.9"}} {
			r := recordBy(t, f, k[0], k[1])
			refs = append(refs, casefinding.Ref{ID: r.ID, Version: r.Version})
		}
		out, err := f.svc.Decide(ctx, f.reg, casefinding.Choice{Action: casefinding.DecideStartAbstract, Refs: refs})
		if err != nil || len(out.Decided) != 2 {
			t.Fatalf("bulk start: %+v %v", out, err)
		}
		// Nakamura's case (first contact 2026-08-20) is approved on 2026-10-19, 60 days on.
		tumor := out.Tumors[refs[0].ID]
		at := time.Date(2026, 10, 19, 12, 0, 0, 0, time.UTC)
		for _, st := range [][2]string{{"draft", "in_review"}, {"in_review", "approved"}} {
			if _, err := s.ChangeStatus(ctx, store.StatusUpdate{TumorID: tumor, Scope: store.AllFacilities, Action: "step", From: st[0], To: st[1], At: at}); err != nil {
				t.Fatal(err)
			}
		}
		got, err := f.svc.Timeliness(ctx, f.reg, f.fac.ID, time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		want := casefinding.Timeliness{Started: 2, Completed: 1, InTime: 1, MedianDays: 60, Open: 1}
		if *got != want {
			t.Errorf("timeliness %+v, want %+v", *got, want)
		}
	})
}

// TestPickerSearchesTheRecordsFacilityOnly: the picker finds the record's facility's patients
// by MRN or last name (the record's last name when no query is given) and audits the search;
// another facility's patient is not found, and a reviewer or another facility's registrar gets
// nothing.
func TestPickerSearchesTheRecordsFacilityOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		ctx := context.Background()
		if _, err := s.CreatePatient(ctx, f.other.ID, naaccr.Patient{
			Items:  map[string]string{"nameLast": "Ortiz", "nameFirst": "Luis", "dateOfBirth": "19600102", "sexAssignedAtBirth": "2"},
			Tumors: []naaccr.Tumor{{Items: map[string]string{"medicalRecordNumber": "100201", "primarySite": "C509", "sequenceNumberHospital": "00"}}},
		}, "draft"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Import(ctx, f.reg, f.fac.ID, strings.NewReader(sampleFile), "list.csv", "other"); err != nil {
			t.Fatal(err)
		}
		var ortiz uint
		if err := s.DB().QueryRowContext(ctx, "SELECT id FROM suspense_records WHERE mrn = '555001'").Scan(&ortiz); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			q, query string
			found    int
		}{
			{"", "Ortiz", 0},    // the record's name: Ortiz is a patient of the other facility only
			{"1002", "1002", 1}, // Hale's MRN 100200; 100201 is the other facility's
			{"hale", "hale", 1},
			{"Zed", "Zed", 0},
		} {
			rec, pats, query, err := f.svc.Picker(ctx, f.reg, ortiz, c.q)
			if err != nil {
				t.Fatalf("q=%q: %v", c.q, err)
			}
			if rec.ID != ortiz || query != c.query || len(pats) != c.found || (c.found == 1 && pats[0].Patient.ID != f.hale.ID) {
				t.Errorf("q=%q: record %d, query %q, %d patients, want %q and %d", c.q, rec.ID, query, len(pats), c.query, c.found)
			}
		}
		var searches int
		if err := s.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM audit_events WHERE action = 'patient.search'").Scan(&searches); err != nil || searches != 4 {
			t.Errorf("%d patient searches audited (%v), want 4", searches, err)
		}
		rev := f.reg
		rev.Role = auth.RoleReviewer
		if _, _, _, err := f.svc.Picker(ctx, rev, ortiz, "hale"); !errors.Is(err, casefinding.ErrForbidden) {
			t.Errorf("a reviewer: %v, want ErrForbidden", err)
		}
		other := f.reg
		other.Scope = store.FacilityScope(f.other.ID)
		if _, _, _, err := f.svc.Picker(ctx, other, ortiz, "hale"); !errors.Is(err, casefinding.ErrNotFound) {
			t.Errorf("another facility's registrar: %v, want ErrNotFound", err)
		}
	})
}
