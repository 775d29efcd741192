package submission_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/submission"
	"github.com/cara-registry/cara/schemas"
)

// fakeTarget records the batches it is given, as ImportPatients would store them.
type fakeTarget struct {
	facility uint
	status   string
	batches  [][]naaccr.Patient
	failOn   int // 1-based batch that fails; 0 never
}

func (f *fakeTarget) ImportPatients(_ context.Context, facilityID uint, status string, pats []naaccr.Patient, counts [][]store.TumorCounts) (store.ImportResult, error) {
	f.facility, f.status = facilityID, status
	if len(f.batches)+1 == f.failOn {
		return store.ImportResult{}, errors.New("disk full")
	}
	// Keep the patients, not the slice: Import may reuse its backing array for the next batch.
	f.batches = append(f.batches, slices.Clone(pats))
	res := store.ImportResult{PatientsCreated: len(pats)}
	for _, p := range pats {
		res.TumorsCreated += len(p.Tumors)
	}
	return res, nil
}

// ids lists the patient id numbers of each batch.
func (f *fakeTarget) ids() [][]string {
	var out [][]string
	for _, b := range f.batches {
		var ids []string
		for _, p := range b {
			ids = append(ids, p.Items["patientIdNumber"])
		}
		out = append(out, ids)
	}
	return out
}

// dataFile wraps Patient elements in a NAACCR 26 root element.
func dataFile(patients ...string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<NaaccrData baseDictionaryUri="http://naaccr.org/naaccrxml/naaccr-dictionary-260.xml" recordType="A" specificationVersion="1.8" xmlns="http://naaccr.org/naaccrxml">
` + strings.Join(patients, "") + "</NaaccrData>\n"
}

// patientXML is a Patient element with a patient id number and one tumor per sequence number,
// each tumor's primary site made from both.
func patientXML(id string, seqs ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "  <Patient>\n    <Item naaccrId=\"patientIdNumber\">%s</Item>\n", id)
	for _, s := range seqs {
		fmt.Fprintf(&b, "    <Tumor>\n      <Item naaccrId=\"sequenceNumberHospital\">%s</Item>\n      <Item naaccrId=\"primarySite\">%s</Item>\n    </Tumor>\n", s, siteOf(id, s))
	}
	b.WriteString("  </Patient>\n")
	return b.String()
}

// siteOf is a primary site that differs from patient to patient and tumor to tumor.
func siteOf(id, seq string) string { return "C" + id[len(id)-2:] + seq[len(seq)-1:] }

// registry loads the embedded base dictionaries once for the package's tests.
var registry = sync.OnceValues(func() (*naaccr.Registry, error) { return naaccr.LoadRegistry(schemas.FS) })

func newReader(t *testing.T, doc string) *naaccr.Reader {
	t.Helper()
	reg, err := registry()
	if err != nil {
		t.Fatal(err)
	}
	rd, err := naaccr.NewReader(strings.NewReader(doc), naaccr.ReaderOptions{Registry: reg})
	if err != nil {
		t.Fatalf("read the header: %v", err)
	}
	return rd
}

func TestImportSendsPatientsInBatchesOfBatchSize(t *testing.T) {
	var pats []string
	var want []string
	for i := range 5 {
		id := fmt.Sprintf("%08d", i+1)
		pats = append(pats, patientXML(id, "01"))
		want = append(want, id)
	}
	tests := []struct {
		size         int
		wantBatches  [][]string
		wantProgress []int // PatientsRead at each call
	}{
		{2, [][]string{want[0:2], want[2:4], want[4:5]}, []int{2, 4, 5}},
		{5, [][]string{want}, []int{5}},
		{1, [][]string{want[0:1], want[1:2], want[2:3], want[3:4], want[4:5]}, []int{1, 2, 3, 4, 5}},
		{0, [][]string{want}, []int{5}}, // 0: the default, 500
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint("batch size ", tt.size), func(t *testing.T) {
			dst := &fakeTarget{}
			var progress []int
			st, err := submission.Import(context.Background(), newReader(t, dataFile(pats...)), dst, submission.ImportOptions{
				FacilityID: 7, Status: "in_review", BatchSize: tt.size,
				Progress: func(s submission.ImportStats) { progress = append(progress, s.PatientsRead) },
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := dst.ids(); !reflect.DeepEqual(got, tt.wantBatches) {
				t.Errorf("batches %v, want %v", got, tt.wantBatches)
			}
			if !slices.Equal(progress, tt.wantProgress) {
				t.Errorf("progress calls %v, want %v", progress, tt.wantProgress)
			}
			if dst.facility != 7 || dst.status != "in_review" {
				t.Errorf("target got facility %d, status %q; want 7, in_review", dst.facility, dst.status)
			}
			if st.PatientsRead != 5 || st.TumorsRead != 5 || st.PatientsCreated != 5 || st.TumorsCreated != 5 || st.RejectedCount != 0 {
				t.Errorf("stats %+v, want 5 patients and tumors read and created", st)
			}
		})
	}
}

func TestImportBatchesHoldCopiesOfTheReadersReusedMaps(t *testing.T) {
	// Patients with 2, 1 and 3 tumors: the reader reuses its patient and tumor maps from one
	// patient to the next, so a batch that kept them would see only the last patient's values.
	doc := dataFile(
		patientXML("00000011", "01", "02"),
		patientXML("00000012", "01"),
		patientXML("00000013", "01", "02", "03"),
		patientXML("00000014", "02"),
	)
	dst := &fakeTarget{}
	if _, err := submission.Import(context.Background(), newReader(t, doc), dst, submission.ImportOptions{BatchSize: 3}); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"00000011": {"01", "02"},
		"00000012": {"01"},
		"00000013": {"01", "02", "03"},
		"00000014": {"02"},
	}
	seen := map[uintptr]bool{}
	distinct := func(m map[string]string) {
		ptr := reflect.ValueOf(m).Pointer()
		if seen[ptr] {
			t.Errorf("a map is shared by two records of the batches")
		}
		seen[ptr] = true
	}
	n := 0
	for _, b := range dst.batches {
		for _, p := range b {
			n++
			id := p.Items["patientIdNumber"]
			distinct(p.Items)
			var seqs []string
			for _, tu := range p.Tumors {
				distinct(tu.Items)
				seq := tu.Items["sequenceNumberHospital"]
				seqs = append(seqs, seq)
				if got := tu.Items["primarySite"]; got != siteOf(id, seq) {
					t.Errorf("patient %s tumor %s: primarySite %q, want %q", id, seq, got, siteOf(id, seq))
				}
			}
			if !slices.Equal(seqs, want[id]) {
				t.Errorf("patient %s has tumors %v, want %v", id, seqs, want[id])
			}
		}
	}
	if n != 4 {
		t.Errorf("%d patients in the batches, want 4", n)
	}
}

func TestImportRejectsPatientsItCannotMatchOrThatHaveDataProblems(t *testing.T) {
	noID := "  <Patient>\n    <Item naaccrId=\"nameLast\">NOID</Item>\n    <Tumor>\n      <Item naaccrId=\"sequenceNumberHospital\">00</Item>\n    </Tumor>\n  </Patient>\n"
	noSeq := "  <Patient>\n    <Item naaccrId=\"patientIdNumber\">00000003</Item>\n    <Tumor>\n      <Item naaccrId=\"sequenceNumberHospital\">01</Item>\n    </Tumor>\n    <Tumor>\n      <Item naaccrId=\"primarySite\">C509</Item>\n    </Tumor>\n  </Patient>\n"
	central := "  <Patient>\n    <Item naaccrId=\"patientIdNumber\">00000004</Item>\n    <Tumor>\n      <Item naaccrId=\"sequenceNumberCentral\">01</Item>\n    </Tumor>\n  </Patient>\n"
	badDate := "  <Patient>\n    <Item naaccrId=\"patientIdNumber\">00000005</Item>\n    <Tumor>\n      <Item naaccrId=\"sequenceNumberHospital\">00</Item>\n      <Item naaccrId=\"dateOfDiagnosis\">20231399</Item>\n    </Tumor>\n  </Patient>\n"
	doc := dataFile(patientXML("00000001", "00"), noID, noSeq, central, badDate, patientXML("00000006", "00"))
	dst := &fakeTarget{}
	st, err := submission.Import(context.Background(), newReader(t, doc), dst, submission.ImportOptions{BatchSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := dst.ids(), [][]string{{"00000001", "00000004"}, {"00000006"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("imported batches %v, want %v", got, want)
	}
	if st.PatientsRead != 6 || st.RejectedCount != 3 || len(st.Rejected) != 3 || st.PatientsCreated != 3 {
		t.Fatalf("stats %+v, want 6 read, 3 rejected, 3 created", st)
	}
	tests := []struct {
		patient    int
		id         string
		item       string
		tumor      int
		inMessage  string
		wantLineOK bool // a data problem of the file has a line; a missing key has none
	}{
		{2, "", "patientIdNumber", 0, "Patient ID Number [20]", false},
		{3, "00000003", "sequenceNumberHospital", 2, "Sequence Number", false},
		{5, "00000005", "dateOfDiagnosis", 1, "month 13", true},
	}
	for i, tt := range tests {
		rj := st.Rejected[i]
		if rj.Patient != tt.patient || rj.PatientIDNumber != tt.id || len(rj.Problems) != 1 {
			t.Errorf("rejected[%d] = patient %d (%q) with %d problems, want patient %d (%q) with one", i, rj.Patient, rj.PatientIDNumber, len(rj.Problems), tt.patient, tt.id)
			continue
		}
		p := rj.Problems[0]
		if p.Item != tt.item || p.Tumor != tt.tumor || p.Patient != tt.patient || !strings.Contains(p.Message, tt.inMessage) || (p.Line > 0) != tt.wantLineOK {
			t.Errorf("rejected patient %d: problem %+v, want item %s, tumor %d, a message with %q", tt.patient, p, tt.item, tt.tumor, tt.inMessage)
		}
	}
}

func TestImportKeepsTheBatchesBeforeAStructuralError(t *testing.T) {
	broken := "  <Patient>\n    <Item naaccrId=\"patientIdNumber\">00000004</Item>\n    <Bogus/>\n  </Patient>\n"
	doc := dataFile(patientXML("00000001", "01"), patientXML("00000002", "01"), patientXML("00000003", "01"), broken, patientXML("00000005", "01"))
	dst := &fakeTarget{}
	st, err := submission.Import(context.Background(), newReader(t, doc), dst, submission.ImportOptions{BatchSize: 2})
	var pr *naaccr.Problem
	if !errors.As(err, &pr) || !strings.Contains(err.Error(), "stopped after 3 patients") {
		t.Fatalf("err = %v, want the structural problem, after 3 patients", err)
	}
	wantLine := strings.Count(doc[:strings.Index(doc, "<Bogus/>")], "\n") + 1
	if pr.Patient != 4 || pr.Line != wantLine || !strings.Contains(pr.Message, "Bogus") {
		t.Errorf("problem %+v, want patient 4, line %d, naming <Bogus>", pr, wantLine)
	}
	if got, want := dst.ids(), [][]string{{"00000001", "00000002"}, {"00000003"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("stored batches %v, want %v (everything before the error)", got, want)
	}
	if st.PatientsCreated != 3 || st.PatientsRead != 3 {
		t.Errorf("stats %+v, want 3 read and created", st)
	}
}

func TestImportStopsWhenTheTargetFails(t *testing.T) {
	var pats []string
	for i := range 5 {
		pats = append(pats, patientXML(fmt.Sprintf("%08d", i+1), "01"))
	}
	dst := &fakeTarget{failOn: 2}
	st, err := submission.Import(context.Background(), newReader(t, dataFile(pats...)), dst, submission.ImportOptions{BatchSize: 2})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("err = %v, want the target's error", err)
	}
	if len(dst.batches) != 1 || st.PatientsCreated != 2 || st.PatientsRead != 4 {
		t.Errorf("%d batches stored, stats %+v; want the first batch only, 4 patients read", len(dst.batches), st)
	}
}

func TestImportStopsWhenTheContextIsCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dst := &fakeTarget{}
	_, err := submission.Import(ctx, newReader(t, dataFile(patientXML("00000001", "01"))), dst, submission.ImportOptions{})
	if !errors.Is(err, context.Canceled) || len(dst.batches) != 0 {
		t.Errorf("err = %v, %d batches; want context.Canceled and nothing stored", err, len(dst.batches))
	}
}
