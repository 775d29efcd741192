package edits_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/cara-registry/cara/internal/edits"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/synth"
)

var (
	genOnce sync.Once
	genData []byte
	genErr  error
)

// generatedFile is a synthetic NAACCR XML file of 300 patients (some with several tumors, many
// failing edits), made once per test binary.
func generatedFile(t *testing.T) []byte {
	t.Helper()
	genOnce.Do(func() {
		var buf bytes.Buffer
		_, genErr = synth.Generate(context.Background(), &buf, synth.Options{Patients: 300, Seed: 6, ItemsPerTumor: 80})
		genData = buf.Bytes()
	})
	if genErr != nil {
		t.Fatal(genErr)
	}
	return genData
}

// batchSet is a small edit set of its own (the edits of schemas/edits change), with tumor- and
// patient-level edits that fail on part of the generated file.
func batchSet(t *testing.T) *edits.Set {
	t.Helper()
	return loadTestSet(t, `edits:
  - id: RightLung
    name: right lung
    severity: warning
    items: [primarySite, laterality]
    check: '!(inRange(primarySite, "C340-C349") && laterality == "1")'
    message: "Site {primarySite}, laterality {laterality}."
  - id: Over70
    name: over 70 at diagnosis
    severity: error
    items: [dateOfBirth, dateOfDiagnosis]
    when: validDate(dateOfBirth) && validDate(dateOfDiagnosis)
    check: yearsBetween(dateOfBirth, dateOfDiagnosis) < 70
    message: "Born {dateOfBirth}, diagnosed {dateOfDiagnosis}."
  - id: BornBeforeDiagnosis
    name: born before diagnosis
    severity: error
    items: [dateOfBirth, dateOfDiagnosis]
    check: "!dateBefore(dateOfDiagnosis, dateOfBirth)"
    message: "Diagnosed {dateOfDiagnosis} before birth {dateOfBirth}."
  - id: SeveralTumors
    name: several tumors, none 00
    severity: warning
    level: patient
    items: [sequenceNumberHospital, patientIdNumber]
    check: 'len(tumors) < 2 || (len(tumors) < 3 && none(tumors, {.sequenceNumberHospital == "00"}))'
    message: "Patient {patientIdNumber} has several tumors."
`)
}

func newReader(t *testing.T, data []byte) *naaccr.Reader {
	t.Helper()
	return newReaderWorkers(t, data, 0)
}

// newReaderWorkers is newReader with the patients parsed on that many reader workers.
func newReaderWorkers(t *testing.T, data []byte, workers int) *naaccr.Reader {
	t.Helper()
	reg, err := naaccr.LoadRegistry(os.DirFS("../../schemas"))
	if err != nil {
		t.Fatal(err)
	}
	rd, err := naaccr.NewReader(bytes.NewReader(data), naaccr.ReaderOptions{Registry: reg, Workers: workers})
	if err != nil {
		t.Fatal(err)
	}
	return rd
}

// delivered is what a batch callback was given for one patient.
type delivered struct {
	Index    int
	ID       string
	Tumors   int
	Results  []edits.Result
	Problems []naaccr.Problem
}

// sequential runs the edits over a file patient by patient, without RunReader.
func sequential(t *testing.T, set *edits.Set, data []byte) []delivered {
	t.Helper()
	rd := newReader(t, data)
	r := set.NewRunner()
	var out []delivered
	for i := 0; ; i++ {
		var p naaccr.Patient
		err := rd.Next(&p)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		res, err := r.Patient(&p, nil)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, delivered{Index: i, ID: p.Items["patientIdNumber"], Tumors: len(p.Tumors), Results: res})
	}
}

// collect runs RunReader and keeps what the callback was given.
func collect(t *testing.T, set *edits.Set, data []byte, opt edits.BatchOptions) ([]delivered, error) {
	t.Helper()
	return collectFrom(t, set, newReader(t, data), opt)
}

func collectFrom(t *testing.T, set *edits.Set, rd *naaccr.Reader, opt edits.BatchOptions) ([]delivered, error) {
	t.Helper()
	var got []delivered
	err := set.RunReader(context.Background(), rd, opt, func(pr *edits.PatientResult) error {
		got = append(got, delivered{
			Index: pr.Index, ID: pr.Patient.Items["patientIdNumber"], Tumors: len(pr.Patient.Tumors),
			Results: pr.Results, Problems: pr.Problems,
		})
		return nil
	})
	return got, err
}

func TestRunReaderDeliversPatientsInFileOrderWithTheResultsOfASequentialRun(t *testing.T) {
	set := batchSet(t)
	data := generatedFile(t)
	want := sequential(t, set, data)
	if len(want) != 300 {
		t.Fatalf("generated file has %d patients, want 300", len(want))
	}
	failing, multi := 0, 0
	for _, d := range want {
		if len(d.Results) > 0 {
			failing++
		}
		if d.Tumors > 1 {
			multi++
		}
	}
	if failing == 0 || failing == len(want) || multi == 0 {
		t.Fatalf("%d of %d patients fail an edit, %d have several tumors; the file does not test much", failing, len(want), multi)
	}
	for _, workers := range []int{1, 2, 4} {
		for _, size := range []int{1, 3, 64} {
			t.Run(fmt.Sprintf("%d workers, chunks of %d", workers, size), func(t *testing.T) {
				// The reader parses on as many workers as the edits run on (none for 1).
				got, err := collectFrom(t, set, newReaderWorkers(t, data, workers), edits.BatchOptions{Workers: workers, ChunkSize: size})
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != len(want) {
					t.Fatalf("%d patients delivered, want %d", len(got), len(want))
				}
				for i := range want {
					if got[i].Index != i {
						t.Fatalf("callback %d has Index %d (patient %s); want file order", i, got[i].Index, got[i].ID)
					}
					if !reflect.DeepEqual(got[i], want[i]) {
						t.Fatalf("patient %d:\n got %+v\nwant %+v", i, got[i], want[i])
					}
				}
			})
		}
	}
}

// doc is a NAACCR XML v26 file holding the given patients (XML text).
func doc(patients ...string) []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<NaaccrData baseDictionaryUri="http://naaccr.org/naaccrxml/naaccr-dictionary-260.xml" recordType="A" specificationVersion="1.8" xmlns="http://naaccr.org/naaccrxml">
` + strings.Join(patients, "") + "</NaaccrData>\n")
}

// patientXML is a Patient with an id, a birth date and one tumor diagnosed on dx, plus extra XML
// inside the tumor.
func patientXML(id, born, dx, extra string) string {
	return `<Patient><Item naaccrId="patientIdNumber">` + id + `</Item><Item naaccrId="dateOfBirth">` + born +
		`</Item><Tumor><Item naaccrId="dateOfDiagnosis">` + dx + `</Item>` + extra + "</Tumor></Patient>\n"
}

func TestRunReaderDeliversThePatientsBeforeAStructuralErrorThenTheError(t *testing.T) {
	set := batchSet(t)
	var ps []string
	for i := range 7 {
		ps = append(ps, patientXML(fmt.Sprintf("%08d", i+1), "19600101", "20200101", ""))
	}
	ps[5] = patientXML("00000006", "19600101", "20200101", "<Bogus/>")
	data := doc(ps...)
	for _, workers := range []int{1, 3} {
		for _, size := range []int{1, 2, 64} {
			t.Run(fmt.Sprintf("%d workers, chunks of %d", workers, size), func(t *testing.T) {
				got, err := collect(t, set, data, edits.BatchOptions{Workers: workers, ChunkSize: size})
				var pr *naaccr.Problem
				if !errors.As(err, &pr) || !strings.Contains(err.Error(), "Bogus") || pr.Patient != 6 {
					t.Fatalf("err = %v, want the structural problem naming <Bogus> in patient 6", err)
				}
				if len(got) != 5 {
					t.Fatalf("%d patients delivered before the error, want the 5 before it: %+v", len(got), got)
				}
				for i, d := range got {
					if d.Index != i || d.ID != fmt.Sprintf("%08d", i+1) {
						t.Errorf("callback %d: Index %d, patient %s", i, d.Index, d.ID)
					}
				}
			})
		}
	}
}

func TestRunReaderStopsAtACallbackErrorAndReturnsIt(t *testing.T) {
	set := batchSet(t)
	data := generatedFile(t)
	stop := errors.New("disk full")
	for _, size := range []int{1, 64} {
		t.Run(fmt.Sprintf("chunks of %d", size), func(t *testing.T) {
			calls := 0
			err := set.RunReader(context.Background(), newReader(t, data), edits.BatchOptions{Workers: 4, ChunkSize: size}, func(pr *edits.PatientResult) error {
				calls++
				if pr.Index == 10 {
					return stop
				}
				return nil
			})
			if !errors.Is(err, stop) {
				t.Fatalf("err = %v, want the callback's error", err)
			}
			if calls != 11 {
				t.Errorf("callback called %d times, want 11 (none after its error)", calls)
			}
		})
	}
}

func TestRunReaderStopsWhenTheContextIsCancelled(t *testing.T) {
	set := batchSet(t)
	data := generatedFile(t)
	for _, size := range []int{1, 3} {
		t.Run(fmt.Sprintf("chunks of %d", size), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			calls, after := 0, 0
			cancelled := false
			err := set.RunReader(ctx, newReader(t, data), edits.BatchOptions{Workers: 2, ChunkSize: size}, func(pr *edits.PatientResult) error {
				calls++
				if cancelled {
					after++
				}
				if pr.Index == 20 {
					cancel()
					cancelled = true
				}
				return nil
			})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v, want context.Canceled", err)
			}
			if after != 0 {
				t.Errorf("callback called %d times after the context was cancelled", after)
			}
			if calls != 21 {
				t.Errorf("callback called %d times, want 21", calls)
			}
		})
	}

	t.Run("before the start", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		calls := 0
		err := set.RunReader(ctx, newReader(t, data), edits.BatchOptions{Workers: 2}, func(*edits.PatientResult) error {
			calls++
			return nil
		})
		if !errors.Is(err, context.Canceled) || calls != 0 {
			t.Fatalf("err = %v after %d callbacks; want context.Canceled and none", err, calls)
		}
	})
}

func TestRunReaderPassesReaderProblemsThatFieldChecksDoNotCover(t *testing.T) {
	set := batchSet(t)
	data := doc(
		patientXML("00000001", "19600101", "20200101", ""),
		// An unknown item, a duplicate, an item at the wrong level (reader problems), a value
		// too long and a value of the wrong type (field checks).
		`<Patient><Item naaccrId="patientIdNumber">00000002</Item><Item naaccrId="notAnItem">x</Item>`+
			`<Item naaccrId="dateOfBirth">19601345</Item>`+
			`<Tumor><Item naaccrId="primarySite">C341</Item><Item naaccrId="primarySite">C342</Item>`+
			`<Item naaccrId="nameLast">Smith</Item><Item naaccrId="laterality">12</Item></Tumor></Patient>`+"\n",
	)
	got, err := collect(t, set, data, edits.BatchOptions{Workers: 2, ChunkSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d patients, want 2", len(got))
	}
	if len(got[0].Problems) != 0 {
		t.Errorf("a clean patient has problems %+v", got[0].Problems)
	}
	codes := map[string]string{}
	for _, p := range got[1].Problems {
		codes[p.Code] = p.Item
	}
	want := map[string]string{
		naaccr.ProblemUnknownItem: "notAnItem",
		naaccr.ProblemDuplicate:   "primarySite",
		naaccr.ProblemWrongLevel:  "nameLast",
	}
	if !reflect.DeepEqual(codes, want) {
		t.Errorf("problems %+v\nwant codes and items %v (too long and data type are field checks)", got[1].Problems, want)
	}
	fields := map[string]string{}
	for _, r := range got[1].Results {
		if strings.HasPrefix(r.EditID, "field.") {
			fields[r.Items[0]] = r.EditID
		}
	}
	wantFields := map[string]string{"dateOfBirth": "field.naaccr_type", "laterality": "field.max"}
	if !reflect.DeepEqual(fields, wantFields) {
		t.Errorf("field results %v, want %v", fields, wantFields)
	}
}

func TestRunReaderOnAnEmptyFileCallsNothing(t *testing.T) {
	set := batchSet(t)
	got, err := collect(t, set, doc(), edits.BatchOptions{})
	if err != nil || len(got) != 0 {
		t.Fatalf("got %+v, %v; want nothing and no error", got, err)
	}
}

func TestRunReaderReturnsAnEditThatCannotBeEvaluated(t *testing.T) {
	set := loadTestSet(t, oneEdit("primarySite", `inTable("no_such_table", primarySite)`))
	for _, size := range []int{1, 64} {
		t.Run(fmt.Sprintf("chunks of %d", size), func(t *testing.T) {
			_, err := collect(t, set, generatedFile(t), edits.BatchOptions{Workers: 2, ChunkSize: size})
			if err == nil || !strings.Contains(err.Error(), `no table "no_such_table"`) || !strings.Contains(err.Error(), "E") {
				t.Fatalf("err = %v, want the evaluation error of edit E", err)
			}
		})
	}
}
