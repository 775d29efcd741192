package naaccr_test

import (
	"strings"
	"testing"

	"github.com/cara-registry/cara/internal/naaccr"
)

// specHead is a file header of a NAACCR version with a record type and specification to fill in.
func specHead(version, recordType, spec, extra string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<NaaccrData xmlns="http://naaccr.org/naaccrxml" baseDictionaryUri="http://naaccr.org/naaccrxml/naaccr-dictionary-` + version +
		`.xml" recordType="` + recordType + `" specificationVersion="` + spec + `"` + extra + `>
`
}

func TestReaderReportsWhatTheSpecificationForbidsAsDataProblems(t *testing.T) {
	reg := testRegistry(t)
	tests := []struct {
		name     string
		doc      string
		code     string
		item     string
		contains string
	}{
		{"name in an incidence file", specHead("260", "I", "1.8", "") + `<Patient><Item naaccrId="nameLast">SMITH</Item></Patient>`,
			naaccr.ProblemRecordType, "nameLast", "item nameLast [2230] is not part of record type I (incidence) files; it belongs to record types A, M, C"},
		{"an A,M item in a confidential file", specHead("260", "C", "1.8", "") + `<Patient><Tumor><Item naaccrId="pathDateSpecCollect1">2026-03-15T10:20:30</Item></Tumor></Patient>`,
			naaccr.ProblemRecordType, "pathDateSpecCollect1", "not part of record type C (confidential)"},
		{"one-digit hour in timeGenerated", specHead("260", "A", "1.8", ` timeGenerated="2026-03-15T1:20:30Z"`),
			naaccr.ProblemTimeGenerated, "", "timeGenerated"},
		{"one-digit hour in a dateTime item", specHead("260", "A", "1.8", "") + `<Patient><Tumor><Item naaccrId="pathDateSpecCollect1">2026-03-15T1:20:30</Item></Tumor></Patient>`,
			naaccr.ProblemDataType, "pathDateSpecCollect1", "type dateTime"},
		{"v26 item in a v25 file", specHead("250", "A", "1.7", "") + `<Patient><Tumor><Item naaccrId="ruca2020">1</Item></Tumor></Patient>`,
			naaccr.ProblemOtherVersion, "ruca2020", "item ruca2020 is not in NAACCR 250; it was added in 260"},
		{"retired item in a v26 file", specHead("260", "A", "1.8", "") + `<Patient><Tumor><Item naaccrId="comorbidComplication1">00000</Item></Tumor></Patient>`,
			naaccr.ProblemOtherVersion, "comorbidComplication1", "item comorbidComplication1 is not in NAACCR 260; it was retired after 250"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, pats, probs, err := readAll(t, reg, []byte(tc.doc+"\n</NaaccrData>\n"), false)
			if err != nil {
				t.Fatalf("a data problem stopped the read: %v", err)
			}
			if len(probs) != 1 {
				t.Fatalf("problems = %+v, want one", probs)
			}
			p := probs[0]
			if p.Code != tc.code || p.Item != tc.item || !strings.Contains(p.Message, tc.contains) || p.Line == 0 {
				t.Errorf("problem = %+v, want code %s, item %q, message with %q", p, tc.code, tc.item, tc.contains)
			}
			if tc.code == naaccr.ProblemRecordType && len(pats) == 1 && len(pats[0].Items)+len(pats[0].Tumors) == 0 {
				t.Errorf("the value of an item outside the record type was dropped: %+v", pats[0])
			}
		})
	}
}

func TestReaderAcceptsWhatTheSpecificationAllows(t *testing.T) {
	reg := testRegistry(t)
	user := `http://mycompany.org/my-very-own-naaccr-dictionary.xml`
	tests := []struct{ name, doc string }{
		{"an I item in an I file", specHead("260", "I", "1.8", "") + `<Patient><Tumor><Item naaccrId="primarySite">C509</Item></Tumor></Patient>`},
		{"fractional seconds and a zone", specHead("260", "A", "1.8", ` timeGenerated="2026-03-15T10:20:30.25+05:30"`)},
		{"no zone", specHead("260", "A", "1.8", ` timeGenerated="2026-03-15T10:20:30"`)},
		{"two user dictionaries from 1.2", specHead("260", "A", "1.2", ` userDictionaryUri="`+user+` `+naaccr.BaseDictionaryURI("260")+`"`)},
		{"one user dictionary before 1.2", specHead("260", "A", "1.1", ` userDictionaryUri="`+user+`"`)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, probs, err := readAll(t, reg, []byte(tc.doc+"</NaaccrData>\n"), false)
			if err != nil || len(probs) > 0 {
				t.Fatalf("err %v, problems %+v", err, probs)
			}
		})
	}
}

func TestReaderRefusesSeveralUserDictionariesBeforeSpecification12(t *testing.T) {
	reg := testRegistry(t)
	doc := specHead("260", "A", "1.1", ` userDictionaryUri="http://mycompany.org/my-very-own-naaccr-dictionary.xml http://example.org/state.xml"`) + "</NaaccrData>"
	_, _, _, err := readAll(t, reg, []byte(doc), false)
	if err == nil || !strings.Contains(err.Error(), "names 2 user dictionaries; specification 1.1 allows one") {
		t.Fatalf("err = %v, want several user dictionaries refused for 1.1", err)
	}
}
