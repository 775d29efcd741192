package ehr_test

import (
	"context"
	"github.com/cara-registry/cara/internal/auth"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/casefinding"
	"github.com/cara-registry/cara/internal/codes"
	"github.com/cara-registry/cara/internal/ehr"
	"github.com/cara-registry/cara/internal/hl7"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
	"github.com/cara-registry/cara/schemas"
)

// pathMessage builds a NAACCR Volume V pathology report for a patient, with control id id.
func pathMessage(id, mrn, last, first, dob string) string {
	return strings.Join([]string{
		`MSH|^~\&|COPATH^2.16.840.1.113883.3.1^ISO|STATE LAB^12D3456789^CLIA|CARA|REGISTRY|20261101093000-0500||ORU^R01^ORU_R01|` + id + `|P|2.5.1|||||||||VOL_V_50_ORU_R01^NAACCR_CP^2.16.840.1.113883.9.82^ISO`,
		`PID|1||` + mrn + `^^^GENERAL^MR~999-99-9999^^^SSA^SS||` + last + `^` + first + `^M||` + dob + `|F|||12 Elm St^^Springfield^IL^62704^USA`,
		`ORC|RE||S26-1234^COPATH||||||||||1234567890^Welby^Marcus^^^^^^NPI`,
		`OBR|1||S26-1234^COPATH|60568-3^Pathology Synoptic report^LN|||20261028101500|||||||||1234567890^Welby^Marcus^^^^^^NPI||||S26-1234`,
		`OBX|1|TX|22637-3^Final diagnosis^LN||LEFT BREAST, 2 O'CLOCK, CORE BIOPSY:~INVASIVE DUCTAL CARCINOMA, GRADE 2||||||F`,
		`OBX|2|TX|22634-0^Gross description^LN||Received in formalin \T\ labeled with the patient's name, three cores.||||||F`,
		`OBX|3|TX|22635-7^Microscopic^LN||Sections show nests of tumor cells\.br\infiltrating the stroma.||||||F`,
		`OBX|4|CWE|85337-4^ER^LN||LA6576-8^Positive^LN||||||F`,
		`OBX|5|CWE|85339-0^PR^LN||LA6577-6^Negative^LN||||||F`,
		`OBX|6|CWE|85319-2^HER2 IHC^LN||^Equivocal (2+)||||||F`,
		`OBX|7|NM|21889-1^Tumor size^LN||1.4|cm^centimeter^UCUM|||||F`,
		`ZPI|1|local extension`,
	}, "\r") + "\r"
}

func mapper(t testing.TB) *ehr.Mapper {
	t.Helper()
	m, err := ehr.LoadMapping(schemas.FS)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := codes.Load(schemas.FS)
	if err != nil {
		t.Fatal(err)
	}
	return ehr.NewMapper(m, tables)
}

func TestMapReadsPatientOrderTextAndSuggestions(t *testing.T) {
	msg, err := hl7.Parse([]byte(pathMessage("M1", "100200", "HALE", "ANNE", "19550304")))
	if err != nil {
		t.Fatal(err)
	}
	r, p := mapper(t).Map(msg)
	if p != nil {
		t.Fatal(p)
	}
	for _, c := range []struct{ name, got, want string }{
		{"sender", r.Sender, "COPATH^STATE LAB^12D3456789"},
		{"MRN (the MR repetition)", r.MRN, "100200"},
		{"name", r.NameLast + "/" + r.NameFirst + "/" + r.NameMiddle, "HALE/ANNE/M"},
		{"DOB", r.DateOfBirth, "19550304"},
		{"sex", r.Sex, "2"},
		{"accession", r.Accession, "S26-1234"},
		{"collected", r.CollectedAt, "20261028"},
		{"provider", r.OrderingProvider, "Marcus Welby (1234567890)"},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
		}
	}
	text := r.Text()
	for _, want := range []string{"FINAL DIAGNOSIS:\nLEFT BREAST, 2 O'CLOCK, CORE BIOPSY:\nINVASIVE DUCTAL CARCINOMA", "formalin & labeled",
		"tumor cells\ninfiltrating", "GROSS DESCRIPTION:", "Accession S26-1234, collected 20261028"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	got := map[string]ehr.Suggestion{}
	for _, s := range r.Suggestions {
		got[s.Item] = s
	}
	for _, w := range []struct{ item, value, source string }{
		{"primarySite", "C509", "final diagnosis (look-up)"},
		{"histologicTypeIcdO3", "8500", "final diagnosis (look-up)"},
		{"behaviorCodeIcdO3", "3", "final diagnosis"},
		{"laterality", "2", "final diagnosis"},
		{"estrogenReceptorSummary", "1", "OBX 8 (LN 85337-4)"},
		{"progesteroneRecepSummary", "0", "OBX 9 (LN 85339-0)"},
		{"tumorSizeSummary", "014", "OBX 11 (LN 21889-1)"},
		{"dateOfDiagnosis", "20261028", "OBR-7 (specimen collection date)"},
		{"addrAtDxCity", "Springfield", "PID-11.3"},
	} {
		s, ok := got[w.item]
		if !ok || s.Value != w.value || s.Source != w.source {
			t.Errorf("%s: got %+v, want %s from %s", w.item, s, w.value, w.source)
		}
	}
	if s, ok := got["her2OverallSummary"]; ok {
		t.Errorf("HER2 equivocal is not a summary code the mapping gives, yet suggested %+v", s)
	}
}

func TestMapRefusesWhatIsNotAPathologyReport(t *testing.T) {
	good := pathMessage("M1", "100200", "HALE", "ANNE", "19550304")
	tests := []struct {
		name, msg, ack, reason, seg string
		field                       int
	}{
		{"ADT", strings.Replace(good, "ORU^R01^ORU_R01", "ADT^A01", 1), hl7.AR, "message type \"ADT^A01\"", "MSH", 9},
		{"version 3", strings.Replace(good, "|P|2.5.1|", "|P|3.0|", 1), hl7.AR, "version", "MSH", 12},
		{"no control id", strings.Replace(good, "|M1|P|", "||P|", 1), hl7.AE, "MSH-10", "MSH", 10},
		{"bad DOB", strings.Replace(good, "|19550304|F|", "|19551304|F|", 1), hl7.AE, "PID-7: date of birth \"19551304\"", "PID", 7},
		{"no MRN", strings.Replace(good, "|100200^^^GENERAL^MR~999-99-9999^^^SSA^SS|", "||", 1), hl7.AE, "PID-3", "PID", 3},
		{"no PID", strings.Replace(good, "PID|", "ZZZ|", 1), hl7.AE, "no PID segment", "PID", 0},
		{"bad collection date", strings.Replace(good, "|20261028101500|", "|2026-10-28|", 1), hl7.AE, "OBR-7", "OBR", 7},
	}
	mp := mapper(t)
	for _, tt := range tests {
		msg, err := hl7.Parse([]byte(tt.msg))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		_, p := mp.Map(msg)
		if p == nil || p.Ack != tt.ack || !strings.Contains(p.Detail.Reason, tt.reason) || p.Detail.Segment != tt.seg || p.Detail.Field != tt.field {
			t.Errorf("%s: got %+v, want %s %q at %s-%d", tt.name, p, tt.ack, tt.reason, tt.seg, tt.field)
		}
	}
}

func TestParseMappingRefusesBadRules(t *testing.T) {
	for _, tt := range []struct{ name, yaml, want string }{
		{"twice", "sections:\n- {role: a, label: A, observations: [LN 1]}\nitems:\n- {item: x, observations: [ln 1], convert: size_mm}\n", "named by section a and by item x"},
		{"bad convert", "items:\n- {item: x, observations: [LN 1], convert: inches}\n", "convert \"inches\""},
		{"bad field", "fields:\n- {item: x, field: OBR7}\n", "want SEG-n"},
		{"unknown key", "sectionz: []\n", "sectionz"},
	} {
		if _, err := ehr.ParseMapping([]byte(tt.yaml)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestSplitCutsAtEachMSHWhateverTheLineEnds(t *testing.T) {
	a := pathMessage("A", "1", "X", "Y", "19500101")
	b := strings.ReplaceAll(pathMessage("B", "2", "X", "Y", "19500101"), "\r", "\r\n")
	file := "FHS|^~\\&\nBHS|^~\\&\n" + strings.ReplaceAll(a, "\r", "\n") + "\n" + b + "BTS|2\nFTS|1\n"
	msgs, lines := ehr.Split([]byte(file))
	if len(msgs) != 2 || lines[0] != 3 || lines[1] != 16 {
		t.Fatalf("got %d messages at lines %v", len(msgs), lines)
	}
	for i, want := range []string{"A", "B"} {
		m, err := hl7.Parse(msgs[i])
		if err != nil || m.ControlID() != want || len(m.Segments) != 12 {
			t.Errorf("message %d: %v", i, err)
		}
	}
}

type fixture struct {
	s   *store.Store
	svc *ehr.Service
	fac *store.Facility
	pat *store.Patient
}

func newFixture(t testing.TB, s *store.Store) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{s: s, fac: &store.Facility{Code: "EH", Name: "EHR General"}}
	if err := s.CreateFacility(ctx, f.fac); err != nil {
		t.Fatal(err)
	}
	p, err := s.CreatePatient(ctx, f.fac.ID, naaccr.Patient{
		Items:  map[string]string{"nameLast": "Hale", "nameFirst": "Anne", "dateOfBirth": "19550304", "sexAssignedAtBirth": "2"},
		Tumors: []naaccr.Tumor{{Items: map[string]string{"medicalRecordNumber": "100200", "primarySite": "C341", "sequenceNumberHospital": "00", "dateOfDiagnosis": "20240105"}}},
	}, "approved")
	if err != nil {
		t.Fatal(err)
	}
	f.pat = p
	lists, err := casefinding.Load(schemas.FS)
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC) }
	f.svc = ehr.New(s, casefinding.New(s, lists, nil, now), mapper(t), now)
	return f
}

func TestReceiveStoresOnceJoinsTheKnownPatientAndKeepsTheRawMessage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newFixture(t, s)
		raw := []byte(pathMessage("M1", "100200", "HALE", "ANNE", "19550304"))
		r := f.svc.Receive(ctx, ehr.Input{FacilityID: f.fac.ID, Raw: raw, Via: "file"})
		if r.Outcome != ehr.Accepted || r.SuspenseID == 0 || r.MatchKind != casefinding.MatchKnownPatient {
			t.Fatalf("first: %+v (%s)", r, r.Reason())
		}
		again := f.svc.Receive(ctx, ehr.Input{FacilityID: f.fac.ID, Raw: raw, Via: "mllp"})
		if again.Outcome != ehr.Duplicate || again.ReportID != r.ReportID {
			t.Fatalf("second: %+v", again)
		}
		recs, n, err := s.SuspenseRecords(ctx, store.SuspenseQuery{Scope: store.AllFacilities, FacilityID: f.fac.ID})
		if err != nil || n != 1 {
			t.Fatalf("suspense records: %d, %v", n, err)
		}
		rec := recs[0]
		if rec.Source != "pathology" || rec.MRN != "100200" || rec.FirstContact != "20261028" || rec.MatchPatient == nil || *rec.MatchPatient != f.pat.ID ||
			!strings.Contains(rec.Text, "INVASIVE DUCTAL CARCINOMA") {
			t.Errorf("suspense record: %+v", rec)
		}
		rep, sugg, err := s.EHRReportOf(ctx, rec.ID)
		if err != nil {
			t.Fatal(err)
		}
		if string(rep.Raw) != string(raw) || len(rep.SHA256) != 64 || rep.ControlID != "M1" || rep.Accession != "S26-1234" {
			t.Errorf("report: %+v", rep)
		}
		found := false
		for _, g := range sugg {
			if g.NaaccrID == "histologicTypeIcdO3" && g.Value == "8500" && g.SourceText == "INVASIVE DUCTAL CARCINOMA" {
				found = true
			}
		}
		if !found {
			t.Errorf("no histology suggestion among %+v", sugg)
		}
		// A broken message is refused and audited, never stored.
		bad := f.svc.Receive(ctx, ehr.Input{FacilityID: f.fac.ID, Raw: []byte("MSH|^~\\&|X|Y|||||ADT^A01|Z1|P|2.5.1\r"), Via: "file"})
		if bad.Outcome != ehr.Rejected {
			t.Errorf("ADT: %+v", bad)
		}
		if n, _ := s.CountEHRReports(ctx, f.fac.ID); n != 1 {
			t.Errorf("reports stored: %d, want 1", n)
		}
		// Every message received is audited: accepted, duplicate and rejected.
		page, err := s.SearchAudit(ctx, store.AuditFilter{Action: audit.EHRReceive, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		var outcomes []string
		for _, e := range page.Events {
			for _, o := range []string{ehr.Accepted, ehr.Duplicate, ehr.Rejected} {
				if strings.Contains(e.Details, `"outcome":"`+o+`"`) {
					outcomes = append(outcomes, o)
				}
			}
		}
		slices.Sort(outcomes)
		if want := []string{ehr.Accepted, ehr.Duplicate, ehr.Rejected}; !slices.Equal(outcomes, want) {
			t.Errorf("audited outcomes %v, want %v", outcomes, want)
		}
	})
}

func TestReceiveStoresTheSameMessageOnceWhenSentAtOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		raw := []byte(pathMessage("SAME", "555", "ORTIZ", "LUIS", "19600102"))
		var wg sync.WaitGroup
		outcomes := make([]string, 6)
		for i := range outcomes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				outcomes[i] = f.svc.Receive(context.Background(), ehr.Input{FacilityID: f.fac.ID, Raw: raw}).Outcome
			}()
		}
		wg.Wait()
		acc := 0
		for _, o := range outcomes {
			if o == ehr.Accepted {
				acc++
			} else if o != ehr.Duplicate {
				t.Errorf("outcome %s", o)
			}
		}
		if n, _ := s.CountEHRReports(context.Background(), f.fac.ID); n != 1 || acc != 1 {
			t.Errorf("stored %d, accepted %d; want 1 and 1 (%v)", n, acc, outcomes)
		}
	})
}

// A report for a patient the facility knows by another MRN still finds them by name and date
// of birth, among many other patients (the candidates are looked up, not all loaded).
func TestReceiveFindsTheKnownPatientAmongOthers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newFixture(t, s)
		for i := 0; i < 30; i++ {
			if _, err := s.CreatePatient(ctx, f.fac.ID, naaccr.Patient{
				Items:  map[string]string{"nameLast": "Other", "nameFirst": "Pat", "dateOfBirth": "19700101", "sexAssignedAtBirth": "1"},
				Tumors: []naaccr.Tumor{{Items: map[string]string{"medicalRecordNumber": "X" + strings.Repeat("9", i%5+1), "primarySite": "C619", "sequenceNumberHospital": "00"}}},
			}, "approved"); err != nil {
				t.Fatal(err)
			}
		}
		r := f.svc.Receive(ctx, ehr.Input{FacilityID: f.fac.ID, Raw: []byte(pathMessage("K1", "777777", "HALE", "ANNE", "19550304"))})
		if r.Outcome != ehr.Accepted || r.MatchKind != casefinding.MatchKnownPatient {
			t.Fatalf("%+v (%s)", r, r.Reason())
		}
		recs, _, err := s.SuspenseRecords(ctx, store.SuspenseQuery{Scope: store.AllFacilities, IDs: []uint{r.SuspenseID}})
		if err != nil || len(recs) != 1 || recs[0].MatchPatient == nil || *recs[0].MatchPatient != f.pat.ID {
			t.Fatalf("record %+v, %v", recs, err)
		}
		r = f.svc.Receive(ctx, ehr.Input{FacilityID: f.fac.ID, Raw: []byte(pathMessage("K2", "123", "NEWMAN", "NORA", "19991231"))})
		if r.Outcome != ehr.Accepted || r.MatchKind != casefinding.MatchNewPatient {
			t.Fatalf("new patient: %+v", r)
		}
	})
}

func TestReceiveWithoutAFacilityTakesRegisteredSendersOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newFixture(t, s)
		tok, err := ehr.NewToken()
		if err != nil {
			t.Fatal(err)
		}
		snd := &store.EHRSender{FacilityID: f.fac.ID, Name: "State lab", TokenHash: auth.HashToken(tok)}
		if err := s.AddEHRSender(ctx, snd, store.AuditEntry{Action: audit.EHRSenderAdd, Entity: "ehr_sender"}); err != nil {
			t.Fatal(err)
		}
		withToken := func(id, token string) []byte {
			return []byte(strings.Replace(pathMessage(id, "100200", "HALE", "ANNE", "19550304"), "||ORU^R01", "|"+token+"|ORU^R01", 1))
		}
		for _, tt := range []struct {
			name, token, outcome, reason string
		}{
			{"no token", "", ehr.Rejected, "MSH-8: no sender token"},
			{"wrong token", "cara-mllp-guess", ehr.Rejected, "MSH-8: unknown or revoked sender token"},
			{"token", tok, ehr.Accepted, ""},
		} {
			r := f.svc.Receive(ctx, ehr.Input{Raw: withToken("T-"+tt.name, tt.token), Via: "mllp"})
			if r.Outcome != tt.outcome || !strings.Contains(r.Reason(), tt.reason) {
				t.Errorf("%s: %s %q", tt.name, r.Outcome, r.Reason())
			}
		}
		recs, _, _ := s.SuspenseRecords(ctx, store.SuspenseQuery{Scope: store.AllFacilities})
		if len(recs) != 1 || recs[0].FacilityID != f.fac.ID {
			t.Fatalf("records %+v", recs)
		}
		rep, _, err := s.EHRReportOf(ctx, recs[0].ID)
		if err != nil || strings.Contains(string(rep.Raw), tok) || !strings.Contains(string(rep.Raw), "|REDACTED|ORU^R01") {
			t.Errorf("the token is kept in the raw message: %v\n%s", err, rep.Raw)
		}
		if err := s.RevokeEHRSender(ctx, snd.ID, store.AuditEntry{Action: audit.EHRSenderRevoke, Entity: "ehr_sender"}); err != nil {
			t.Fatal(err)
		}
		if r := f.svc.Receive(ctx, ehr.Input{Raw: withToken("T-after", tok)}); r.Outcome != ehr.Rejected {
			t.Errorf("revoked token: %s", r.Outcome)
		}
	})
}
