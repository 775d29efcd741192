package submission

import (
	"github.com/cara-registry/cara/internal/edits"
	"github.com/cara-registry/cara/internal/store"
)

// verdict is what the edits say of one patient of a file.
type verdict struct {
	failures   []store.IntakeFailure
	patientBad bool   // an error at patient level: none of its tumors is acceptable
	tumorBad   []bool // by tumor
	errors     int
	warnings   int
}

// judge turns one patient's edit results, reader problems and missing keys into failures.
func judge(pr *edits.PatientResult) verdict {
	p := &pr.Patient
	v := verdict{tumorBad: make([]bool, len(p.Tumors))}
	pid := p.Items["patientIdNumber"]
	add := func(tumor int, edit, severity, item, msg string) {
		seq := ""
		if tumor >= 0 && tumor < len(p.Tumors) {
			seq = sequenceOf(p.Tumors[tumor].Items)
		}
		v.failures = append(v.failures, store.IntakeFailure{PatientIndex: pr.Index, TumorIndex: tumor, PatientIDNumber: pid,
			TumorSequence: seq, EditID: edit, Severity: severity, Item: item, Message: msg})
		if severity != string(edits.SeverityError) {
			v.warnings++
			return
		}
		v.errors++
		if tumor >= 0 && tumor < len(v.tumorBad) {
			v.tumorBad[tumor] = true
		} else {
			v.patientBad = true
		}
	}
	for _, pb := range pr.Problems {
		add(pb.Tumor-1, "xml."+pb.Code, string(edits.SeverityError), pb.Item, pb.Message)
	}
	for _, r := range pr.Results {
		item := ""
		if len(r.Items) > 0 {
			item = r.Items[0]
		}
		add(r.Tumor, r.EditID, string(r.Severity), item, r.Message)
	}
	if pid == "" {
		add(-1, EditImportKey, string(edits.SeverityError), "patientIdNumber", "no Patient ID Number [20]: the record cannot be told from others, so it cannot be imported")
	}
	for i, t := range p.Tumors {
		if sequenceOf(t.Items) == "" {
			add(i, EditImportKey, string(edits.SeverityError), "sequenceNumberHospital", "no Sequence Number--Hospital [560] or --Central [380]: the tumor cannot be told from the patient's others, so it cannot be imported")
		}
	}
	return v
}

func sequenceOf(items map[string]string) string {
	if s := items["sequenceNumberHospital"]; s != "" {
		return s
	}
	return items["sequenceNumberCentral"]
}
