package fhirintake

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
)

var today = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// bundle builds a collection bundle of a patient and the resources given (JSON objects).
func bundle(resources ...string) []byte {
	entries := []string{`{"resource": ` + patientJSON + `}`}
	for _, r := range resources {
		entries = append(entries, `{"resource": `+r+`}`)
	}
	return []byte(`{"resourceType": "Bundle", "type": "collection", "entry": [` + strings.Join(entries, ",") + `]}`)
}

const patientJSON = `{"resourceType": "Patient",
  "identifier": [{"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]}, "value": "A123"}],
  "name": [{"use": "old", "family": "Maiden"}, {"family": "Okafor", "given": ["Ada"]}], "gender": "female", "birthDate": "1949-12"}`

func coding(system, code string) string {
	return `{"coding": [{"system": "` + system + `", "code": "` + code + `"}]}`
}

func observation(loinc, valueSystem, valueCode string) string {
	return `{"resourceType": "Observation", "status": "final", "code": ` + coding("http://loinc.org", loinc) +
		`, "subject": {"reference": "Patient/1"}, "valueCodeableConcept": ` + coding(valueSystem, valueCode) + `}`
}

func TestMapSuggestsItemValuesWithTheirPaths(t *testing.T) {
	m := testMapping(t)
	const (
		icdo3  = "http://terminology.hl7.org/CodeSystem/icd-o-3"
		snomed = "http://snomed.info/sct"
		rxnorm = "http://www.nlm.nih.gov/research/umls/rxnorm"
	)
	cases := []struct {
		name     string
		resource string
		item     int
		value    string
		path     string
		codes    string
	}{
		{"ICD-O-3 topography in Condition.code", `{"resourceType": "Condition", "code": ` + coding(icdo3, "C34.1") + `, "subject": {}, "recordedDate": "2026-05-06"}`,
			400, "C341", "Bundle.entry[1].resource(Condition).code.coding[0]", ""},
		{"its recorded date is the diagnosis date", `{"resourceType": "Condition", "code": ` + coding(icdo3, "C34.1") + `, "subject": {}, "recordedDate": "2026-05-06"}`,
			390, "20260506", "Bundle.entry[1].resource(Condition).recordedDate", ""},
		{"morphology in Condition.code: histology", `{"resourceType": "Condition", "code": ` + coding(icdo3, "8140/3") + `, "subject": {}}`,
			522, "8140", "Bundle.entry[1].resource(Condition).code.coding[0]", ""},
		{"morphology: behavior", `{"resourceType": "Condition", "code": ` + coding(icdo3, "8140/2") + `, "subject": {}}`,
			523, "2", "Bundle.entry[1].resource(Condition).code.coding[0]", ""},
		{"ICD-10-CM screened, onset is the date", `{"resourceType": "Condition", "code": ` + coding("http://hl7.org/fhir/sid/icd-10-cm", "C61") + `, "subject": {}, "onsetDateTime": "2026-01-02T10:00:00+01:00"}`,
			390, "20260102", "Bundle.entry[1].resource(Condition).onsetDateTime", "C61"},
		{"laterality right", `{"resourceType": "Condition", "code": ` + coding(icdo3, "C50.9") + `, "subject": {}, "bodySite": [{"extension": [{"url": "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-laterality-qualifier", "valueCodeableConcept": ` + coding(snomed, "24028007") + `}]}]}`,
			410, "1", "Bundle.entry[1].resource(Condition).bodySite[0].extension[0].valueCodeableConcept.coding[0]", ""},
		{"pathologic T", observation("21899-0", "http://cancerstaging.org", "pT2"), 1011, "pT2", "Bundle.entry[1].resource(Observation).valueCodeableConcept.coding[0]", ""},
		{"clinical M", observation("21907-1", "http://cancerstaging.org", "cM0"), 1003, "cM0", "Bundle.entry[1].resource(Observation).valueCodeableConcept.coding[0]", ""},
		{"PR negative (interpretation)", observation("16113-3", "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", "NEG"), 3915, "0", "Bundle.entry[1].resource(Observation).valueCodeableConcept.coding[0]", ""},
		{"HER2 positive (SNOMED)", observation("48676-1", snomed, "10828004"), 3855, "1", "Bundle.entry[1].resource(Observation).valueCodeableConcept.coding[0]", ""},
		{"radiation by its code", `{"resourceType": "Procedure", "status": "completed", "subject": {}, "code": ` + coding(snomed, "1217123003") + `, "performedPeriod": {"start": "2026-06-01"}}`,
			1210, "20260601", "Bundle.entry[1].resource(Procedure).performedPeriod.start", ""},
		{"surgery by its category", `{"resourceType": "Procedure", "status": "completed", "subject": {}, "category": ` + coding(snomed, "387713003") + `, "performedDateTime": "2026-04"}`,
			1200, "202604", "Bundle.entry[1].resource(Procedure).performedDateTime", ""},
		{"immunotherapy administered", `{"resourceType": "MedicationAdministration", "status": "completed", "subject": {}, "medicationCodeableConcept": ` + coding(rxnorm, "1547545") + `, "effectiveDateTime": "2026-07-07"}`,
			1240, "20260707", "Bundle.entry[1].resource(MedicationAdministration).effectiveDateTime", ""},
		{"the patient's current name", "", 2230, "Okafor", "Bundle.entry[0].resource(Patient).name[1].family", ""},
		{"a partial birth date", "", 240, "194912", "Bundle.entry[0].resource(Patient).birthDate", ""},
		{"the MRN", "", 2300, "A123", "Bundle.entry[0].resource(Patient).identifier[0].value", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var raw []byte
			if c.resource == "" {
				raw = bundle()
			} else {
				raw = bundle(c.resource)
			}
			r := m.Map(raw, today)
			if r.Issues.Fatal() {
				t.Fatalf("refused: %v", r.Issues)
			}
			s, ok := r.Suggested(c.item)
			if !ok || s.Value != c.value || s.Path != c.path {
				t.Errorf("item %d: %+v (found %v), want %s from %s", c.item, s, ok, c.value, c.path)
			}
			if got := strings.Join(r.Codes, ";"); got != c.codes {
				t.Errorf("codes %q, want %q", got, c.codes)
			}
		})
	}
}

func TestMapTakesTheEarliestTreatmentDate(t *testing.T) {
	m := testMapping(t)
	chemo := func(code, date string) string {
		return `{"resourceType": "MedicationAdministration", "status": "completed", "subject": {}, "medicationCodeableConcept": ` +
			coding("http://www.nlm.nih.gov/research/umls/rxnorm", code) + `, "effectiveDateTime": "` + date + `"}`
	}
	r := m.Map(bundle(chemo("3002", "2026-05-10"), chemo("3639", "2026-04-20"), chemo("56946", "2026-06-01")), today)
	if s, _ := r.Suggested(1220); s.Value != "20260420" || s.Path != "Bundle.entry[2].resource(MedicationAdministration).effectiveDateTime" {
		t.Errorf("RX Date Chemo %+v, want 20260420 from entry 2", s)
	}
}

func TestMapWarnsAndRefuses(t *testing.T) {
	m := testMapping(t)
	cases := []struct {
		name     string
		raw      []byte
		severity string
		path     string
		reason   string
	}{
		{"unknown code system: a warning", bundle(`{"resourceType": "Condition", "subject": {}, "code": ` + coding("http://example.org/local", "BRCA") + `}`),
			SeverityWarning, "Bundle.entry[1].resource(Condition).code.coding[0].system", "not one cara reads"},
		{"a resource cara does not read", bundle(`{"resourceType": "Encounter", "status": "finished"}`),
			SeverityWarning, "Bundle.entry[1].resource(Encounter)", "not read"},
		{"a marker value not mapped", bundle(observation("16112-5", "http://snomed.info/sct", "123")),
			SeverityWarning, "Bundle.entry[1].resource(Observation).valueCodeableConcept", "Estrogen"},
		{"two ER results", bundle(observation("16112-5", "http://snomed.info/sct", "10828004"), observation("16112-5", "http://snomed.info/sct", "260385009")),
			SeverityWarning, "Bundle.entry[2].resource(Observation).valueCodeableConcept.coding[0]", "the first is suggested"},
		{"an unparseable onset", bundle(`{"resourceType": "Condition", "subject": {}, "code": ` + coding("http://hl7.org/fhir/sid/icd-10-cm", "C61") + `, "onsetDateTime": "March 2026"}`),
			SeverityError, "Bundle.entry[1].resource(Condition).onsetDateTime", "not a FHIR date"},
		{"two patients", bundle(patientJSON), SeverityError, "Bundle.entry[1].resource(Patient)", "a second Patient"},
		{"an entry without resourceType", bundle(`{"id": "x"}`), SeverityError, "Bundle.entry[1].resource", "no resourceType"},
		{"a field of the wrong JSON type", bundle(`{"resourceType": "Procedure", "status": "completed", "subject": {}, "performedDateTime": ["2026"]}`),
			SeverityError, "Bundle.entry[1].resource(Procedure).performedDateTime", "a JSON array"},
		{"not UTF-8", []byte("{\"resourceType\": \"Bundle\", \"x\": \"\xff\"}"), SeverityError, "Bundle", "not UTF-8"},
		{"a JSON array", []byte(`[1, 2]`), SeverityError, "Bundle", "JSON"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := m.Map(c.raw, today)
			found := false
			for _, is := range r.Issues {
				if is.Severity == c.severity && is.Path == c.path && strings.Contains(is.Reason, c.reason) {
					found = true
				}
			}
			if !found {
				t.Errorf("issues %v, want a %s at %s saying %q", r.Issues, c.severity, c.path, c.reason)
			}
			if r.Issues.Fatal() != (c.severity == SeverityError) {
				t.Errorf("fatal %v, want %v", r.Issues.Fatal(), c.severity == SeverityError)
			}
		})
	}
}

func TestOperationOutcomeIsFHIRJSON(t *testing.T) {
	is := Issues{{Severity: SeverityError, Code: "value", Path: "Bundle.entry[0].resource(Patient).birthDate", Reason: "bad"},
		{Severity: SeverityWarning, Code: "code-invalid", Path: "Bundle.entry[1]", Reason: "unknown"}}
	b, err := json.Marshal(is.OperationOutcome("done"))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"issue":[{"severity":"error","code":"value","diagnostics":"bad","expression":["Bundle.entry[0].resource(Patient).birthDate"]},` +
		`{"severity":"warning","code":"code-invalid","diagnostics":"unknown","expression":["Bundle.entry[1]"]},` +
		`{"severity":"information","code":"informational","diagnostics":"done"}],"resourceType":"OperationOutcome"}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
}

func TestTheExampleBundleMapsWithoutIssues(t *testing.T) {
	raw, err := os.ReadFile("testdata/breast.json")
	if err != nil {
		t.Fatal(err)
	}
	r := testMapping(t).Map(raw, today)
	if len(r.Issues) != 0 || len(r.Suggestions) != 19 || r.Identifier != "urn:oid:1.2.3.4.5|bundle-0001" {
		t.Errorf("issues %v, %d suggestions, identifier %q; want none, 19, urn:oid:1.2.3.4.5|bundle-0001", r.Issues, len(r.Suggestions), r.Identifier)
	}
}

func TestMappingFileMistakesAreNamed(t *testing.T) {
	d := testMapping(t) // the shipped file loads
	_ = d
	cases := []struct{ yaml, want string }{
		{"systems: {loinc: http://loinc.org}\nrules:\n- {resource: [Observation], fields: [code], systems: [loinc], codes: [x], item: 99999, take: value}", "item 99999"},
		{"systems: {loinc: http://loinc.org}\nrules:\n- {resource: [Encounter], fields: [code], systems: [loinc], codes: [x], item: 400, take: code}", "Encounter"},
		{"systems: {loinc: http://loinc.org}\nrules:\n- {resource: [Observation], fields: [code], systems: [snomed], codes: [x], item: 400, take: code}", "snomed"},
		{"systems: {loinc: http://loinc.org}\nrules:\n- {resource: [Observation], fields: [code], systems: [loinc], codes: [x], item: 400}", "needs one of"},
		{"systems: {loinc: http://loinc.org}\nrules:\n- {resource: [Procedure], fields: [code], systems: [loinc], codes: [x], date_item: 400}", "not a date"},
		{"systems: {loinc: http://loinc.org}\nrules:\n- {resource: [Observation], fields: [code], systems: [loinc], pattern: '(', item: 400, take: code}", "pattern"},
	}
	dict := testDict(t)
	for _, c := range cases {
		if _, err := ParseMapping([]byte(c.yaml), dict); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one naming %q", c.yaml, err, c.want)
		}
	}
}
