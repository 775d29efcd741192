package ehr_test

import (
	"testing"

	"github.com/cara-registry/cara/internal/ehr"
	"github.com/cara-registry/cara/internal/hl7"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/schemas"
)

// FuzzMap: whatever message parses, mapping it never panics, and a report it accepts names the
// sender, the control id and the patient.
func FuzzMap(f *testing.F) {
	f.Add([]byte(pathMessage("F1", "100200", "HALE", "ANNE", "19550304")))
	f.Add([]byte("MSH|^~\\&|A|B|||||ORU^R01|1|P|2.5.1\rPID|||1||X\rOBR|1\rOBX|1|NM|21889-1^^LN||1e308|cm\rOBX|2|TX|22637-3^^LN||:,;()"))
	mp := mapper(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := hl7.Parse(data)
		if err != nil {
			return
		}
		r, p := mp.Map(m)
		if p != nil {
			if p.Detail.Reason == "" || (p.Ack != hl7.AE && p.Ack != hl7.AR) {
				t.Fatalf("problem without a reason or ACK code: %+v", p)
			}
			return
		}
		if r.Sender == "" || r.ControlID == "" || r.MRN == "" || r.NameLast == "" {
			t.Fatalf("accepted report without sender, control id or patient: %+v", r)
		}
	})
}

// The mapping names items the NAACCR dictionary has: a typo would suggest a value for nothing.
func TestMappingNamesItemsOfTheDictionary(t *testing.T) {
	d, err := naaccr.LoadBaseDictionary(schemas.FS, naaccr.CurrentVersion)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ehr.LoadMapping(schemas.FS)
	if err != nil {
		t.Fatal(err)
	}
	items := []string{"primarySite", "histologicTypeIcdO3", "behaviorCodeIcdO3", "laterality"}
	for _, r := range m.Items {
		items = append(items, r.Item)
	}
	for _, r := range m.Fields {
		items = append(items, r.Item)
	}
	for _, id := range items {
		if _, ok := d.Item(id); !ok {
			t.Errorf("item %s is not in the NAACCR %s dictionary", id, naaccr.CurrentVersion)
		}
	}
}
