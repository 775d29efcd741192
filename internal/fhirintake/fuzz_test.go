package fhirintake

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// FuzzMap: whatever the bytes, Map returns a result without panicking; a result it does not
// refuse has a patient, a 64-character key and suggestions each with a path into the bundle and
// a value no longer than its item; its OperationOutcome marshals.
func FuzzMap(f *testing.F) {
	m := testMapping(f)
	if raw, err := os.ReadFile("testdata/breast.json"); err == nil {
		f.Add(raw)
	}
	f.Add(bundle(observation("16112-5", "http://snomed.info/sct", "10828004")))
	f.Add(bundle(`{"resourceType": "Condition", "subject": {}, "bodySite": [{"extension": [{"url": "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-laterality-qualifier", "valueCodeableConcept": {}}]}]}`))
	f.Add([]byte(`{"resourceType": "Bundle", "type": "transaction", "entry": [{"resource": null}, {}]}`))
	f.Add([]byte(`{"resourceType": "Bundle", "type": "collection", "timestamp": "2026-13-01", "entry": [{"resource": {"resourceType": "MedicationRequest", "authoredOn": "0000-01-01"}}]}`))
	f.Add([]byte(`{"resourceType":`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		r := m.Map(raw, today)
		if _, err := json.Marshal(r.Issues.OperationOutcome("note")); err != nil {
			t.Fatalf("OperationOutcome: %v", err)
		}
		if len(r.Key) != 64 || len(r.FirstContact) < 4 {
			t.Fatalf("key %q, first contact %q", r.Key, r.FirstContact)
		}
		if r.Issues.Fatal() {
			return
		}
		for _, s := range r.Suggestions {
			def := m.items[s.Item]
			if !strings.HasPrefix(s.Path, "Bundle.entry[") || s.Value == "" || len([]rune(s.Value)) > def.Length && !def.AllowUnlimitedText {
				t.Fatalf("suggestion %+v", s)
			}
		}
	})
}
