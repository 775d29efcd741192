package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/synth"
)

// synthFile writes a synthetic NAACCR XML file of the given version into a temporary folder.
func synthFile(t *testing.T, version string, patients int) (string, synth.Stats) {
	t.Helper()
	path := filepath.Join(t.TempDir(), fmt.Sprintf("synth-%s.xml", version))
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := synth.Generate(context.Background(), f, synth.Options{Version: version, Patients: patients, Seed: 7, ItemsPerTumor: 60})
	if err != nil {
		t.Fatal(err)
	}
	return path, st
}

// addFacility adds facility F1 through the command line.
func addFacility(t *testing.T, e env) {
	t.Helper()
	if out, err := runCmd(t, e, "", "facility", "add", "--code", "F1", "--name", "General Hospital"); err != nil {
		t.Fatalf("facility add: %v\n%s", err, out)
	}
}

// openTestStore opens the database the commands of e use.
func openTestStore(t *testing.T, e env) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), store.Config{MySQLDSN: e.DatabaseURL, SQLitePath: defaultSQLitePath})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestImportStoresAFileOnceAndAuditsIt(t *testing.T) {
	eachDialect(t, func(t *testing.T, e env) {
		path, st := synthFile(t, "260", 50)
		addFacility(t, e)

		out, err := runCmd(t, e, "", "import", "--facility", "F1", "--batch", "20", path)
		if err != nil {
			t.Fatalf("import: %v\n%s", err, out)
		}
		want := fmt.Sprintf("%s: 50 patients read; 50 patients and %d tumors imported, 0 tumors already there, 0 patients rejected", path, st.Tumors)
		if !strings.HasPrefix(out, want) {
			t.Errorf("first import said %q, want %q", out, want)
		}

		out, err = runCmd(t, e, "", "import", "--facility", "F1", path)
		if err != nil {
			t.Fatalf("second import: %v\n%s", err, out)
		}
		want = fmt.Sprintf("%s: 50 patients read; 0 patients and 0 tumors imported, %d tumors already there, 0 patients rejected", path, st.Tumors)
		if !strings.HasPrefix(out, want) {
			t.Errorf("second import said %q, want %q", out, want)
		}

		s := openTestStore(t, e)
		ctx := context.Background()
		if n, err := s.CountPatients(ctx, store.AllFacilities); err != nil || n != 50 {
			t.Errorf("%d patients stored (%v), want 50", n, err)
		}
		rows, err := s.Worklist(ctx, store.WorklistFilter{Scope: store.AllFacilities, Status: "draft", Limit: 1000})
		if err != nil || len(rows) != st.Tumors {
			t.Errorf("%d draft tumors on the worklist (%v), want %d", len(rows), err, st.Tumors)
		}
		evs, err := s.AuditEvents(ctx, "file", path, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 2 {
			t.Fatalf("%d audit events for the file, want one per import", len(evs))
		}
		var details map[string]any
		if err := json.Unmarshal([]byte(evs[1].Details), &details); err != nil {
			t.Fatal(err)
		}
		if evs[1].Action != "import" || details["file"] != path || details["facility"] != "F1" || details["patients_created"] != 50.0 || details["tumors_created"] != float64(st.Tumors) {
			t.Errorf("first import's audit event: %s %s", evs[1].Action, evs[1].Details)
		}
		if evs[0].Action != "import" || !strings.Contains(evs[0].Details, fmt.Sprintf(`"tumors_existing":%d`, st.Tumors)) {
			t.Errorf("second import's audit event: %s %s", evs[0].Action, evs[0].Details)
		}
	})
}

func TestImportRejectsAPatientWithDataProblemsAndImportsTheOthers(t *testing.T) {
	eachDialect(t, func(t *testing.T, e env) {
		doc := naaccrDoc(base260, "",
			xmlPatient([]string{"patientIdNumber", "00000001", "nameLast", "ONE"}, []string{"sequenceNumberHospital", "00", "primarySite", "C509"}),
			xmlPatient([]string{"patientIdNumber", "00000002", "nameLast", "TWO"}, []string{"sequenceNumberHospital", "00", "dateOfDiagnosis", "20231345"}),
			xmlPatient([]string{"patientIdNumber", "00000003", "nameLast", "THREE"}, []string{"sequenceNumberHospital", "01", "primarySite", "C341"}, []string{"sequenceNumberHospital", "02"}),
		)
		path := writeFile(t, "mixed.xml", doc)
		addFacility(t, e)
		out, err := runCmd(t, e, "", "import", "--facility", "F1", "--status", "in_review", path)
		if !errors.Is(err, errProblems) || !strings.Contains(err.Error(), "1 patients were rejected") {
			t.Fatalf("err = %v, want errProblems for one patient\n%s", err, out)
		}
		line, col := positionOf(t, doc, `<Item naaccrId="dateOfDiagnosis"`, 1)
		for _, want := range []string{
			fmt.Sprintf("%s: rejected patient 2 (00000002): line %d, column %d, patient 2, tumor 1, item dateOfDiagnosis: ", path, line, col),
			path + ": 3 patients read; 2 patients and 3 tumors imported, 0 tumors already there, 1 patients rejected",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("import said:\n%s\nwant %q", out, want)
			}
		}
		s := openTestStore(t, e)
		rows, err := s.Worklist(context.Background(), store.WorklistFilter{Scope: store.AllFacilities, Status: "in_review"})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, r := range rows {
			names = append(names, r.NameLast)
		}
		if len(rows) != 3 || strings.Contains(strings.Join(names, " "), "TWO") {
			t.Errorf("in-review cases of %v, want ONE's and THREE's", names)
		}
	})
}

func TestImportRefusesWhatItCannotImport(t *testing.T) {
	broken, err := filepath.Abs(filepath.Join(conformanceDir, "invalid", "invalid_bad-tag-1.xml"))
	if err != nil {
		t.Fatal(err)
	}
	e := testEnv(t, store.DialectSQLite) // changes the working directory
	addFacility(t, e)
	v260, _ := synthFile(t, "260", 2)
	v250, _ := synthFile(t, "250", 2)
	tests := []struct {
		name      string
		args      []string
		want      string
		wantUsage bool
	}{
		{"an older NAACCR version", []string{"--facility", "F1", v250}, "is NAACCR version 250; convert it first: cara naaccr convert --to 260 " + v250, false},
		{"unknown facility", []string{"--facility", "NOPE", v260}, `no facility with code "NOPE"`, false},
		{"no facility", []string{v260}, "--facility is required", true},
		{"no file", []string{"--facility", "F1"}, "name one NAACCR XML file", true},
		{"two files", []string{"--facility", "F1", v260, v260}, "name one NAACCR XML file", true},
		{"bad status", []string{"--facility", "F1", "--status", "done", v260}, `--status "done"`, true},
		{"bad batch", []string{"--facility", "F1", "--batch", "0", v260}, "--batch 0", true},
		{"missing file", []string{"--facility", "F1", "no/such.xml"}, "no/such.xml", false},
		{"not a NAACCR file", []string{"--facility", "F1", broken}, "NaaccrDat", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runCmd(t, e, "", append([]string{"import"}, tt.args...)...)
			if err == nil || !strings.Contains(err.Error(), tt.want) || errors.Is(err, errUsage) != tt.wantUsage {
				t.Errorf("err = %v (output %q); want it to say %q (usage error: %v)", err, out, tt.want, tt.wantUsage)
			}
		})
	}
	s := openTestStore(t, e)
	if n, err := s.CountPatients(context.Background(), store.AllFacilities); err != nil || n != 0 {
		t.Errorf("%d patients stored (%v) by refused imports, want none", n, err)
	}
}

// diagnosisDates lists the dateOfDiagnosis of every tumor of an exported file.
func diagnosisDates(t *testing.T, path string) []string {
	t.Helper()
	var dates []string
	for _, p := range readItems(t, path).Patients {
		for _, tu := range p.Tumors {
			dates = append(dates, items(tu.Items)["dateOfDiagnosis"])
		}
	}
	return dates
}

func TestExportSelectsTumorsByDateOfDiagnosis(t *testing.T) {
	eachDialect(t, func(t *testing.T, e env) {
		if out, err := runDemo(t, e); err != nil {
			t.Fatalf("demo: %v\n%s", err, out)
		}
		if out, err := runCmd(t, e, "", "export", "--out", "all.xml"); err != nil {
			t.Fatalf("export: %v\n%s", err, out)
		}
		all := diagnosisDates(t, "all.xml")
		tests := []struct{ from, to string }{
			{"2022", "2023"},
			{"202203", "20230727"}, // month and day bounds, inclusive
			{"", "2019"},
			{"20251203", ""},
		}
		for _, tt := range tests {
			t.Run(tt.from+"-"+tt.to, func(t *testing.T) {
				// The bounds of partial dates: the first and the last day they can mean.
				lo, hi := tt.from+"00000000"[len(tt.from):], tt.to+"99999999"[len(tt.to):]
				want := 0
				for _, d := range all {
					if len(d) != 8 {
						t.Fatalf("demo date of diagnosis %q is not CCYYMMDD", d)
					}
					if d >= lo && d <= hi {
						want++
					}
				}
				if want == 0 || want == len(all) {
					t.Fatalf("%d of %d demo tumors fall in the range: pick a range that tells", want, len(all))
				}
				args := []string{"export", "--out", "range.xml"}
				if tt.from != "" {
					args = append(args, "--from", tt.from)
				}
				if tt.to != "" {
					args = append(args, "--to", tt.to)
				}
				out, err := runCmd(t, e, "", args...)
				if err != nil {
					t.Fatalf("export: %v\n%s", err, out)
				}
				got := diagnosisDates(t, "range.xml")
				if len(got) != want {
					t.Errorf("export of %s to %s has %d tumors %v, want %d", tt.from, tt.to, len(got), got, want)
				}
				if !strings.Contains(out, fmt.Sprintf(" %d tumors", want)) {
					t.Errorf("export said %q, want %d tumors", out, want)
				}
			})
		}
	})
}

func TestExportWritesANAACCR25File(t *testing.T) {
	e := testEnv(t, store.DialectSQLite)
	if out, err := runDemo(t, e); err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	out, err := runCmd(t, e, "", "export", "--out", "v250.xml", "--version", "250")
	if err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	b, err := os.ReadFile("v250.xml")
	if err != nil {
		t.Fatal(err)
	}
	root, patients, _ := readNAACCR(t, bytes.NewReader(b))
	if attr(root, "baseDictionaryUri") != base250 || patients != 25 {
		t.Errorf("file of dictionary %s with %d patients, want v250 and 25", attr(root, "baseDictionaryUri"), patients)
	}
	if !strings.Contains(out, "NAACCR XML 250") {
		t.Errorf("export said %q", out)
	}
	sexes := 0
	for _, p := range readItems(t, "v250.xml").Patients {
		pi := items(p.Items)
		if pi["sexAssignedAtBirth"] != "" {
			t.Fatalf("a v250 file has sexAssignedAtBirth: %v", pi)
		}
		if pi["sex"] != "" {
			sexes++
		}
	}
	if sexes != 25 {
		t.Errorf("%d of 25 patients have sex [220], want all (from sexAssignedAtBirth)", sexes)
	}
}

func TestExportRefusesBadDatesAndVersions(t *testing.T) {
	e := testEnv(t, store.DialectSQLite)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--from", "2025-01-01"}, `--from "2025-01-01"`},
		{[]string{"--to", "20251301"}, `--to "20251301": month 13`},
		{[]string{"--from", "1700"}, `--from "1700"`},
		{[]string{"--version", "999"}, `--version "999"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			_, err := runCmd(t, e, "", append([]string{"export", "--out", "x.xml"}, tt.args...)...)
			if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want a usage error saying %q", err, tt.want)
			}
			if _, statErr := os.Stat("x.xml"); statErr == nil {
				t.Errorf("a refused export left x.xml behind")
			}
		})
	}
}

// TestImportStoresEachTumorsEditCounts: imported tumors carry their failing edits, the same a
// full run of the edits over the store finds, so the worklist shows and filters them at once.
func TestImportStoresEachTumorsEditCounts(t *testing.T) {
	e := testEnv(t, store.DialectSQLite)
	path, _ := synthFile(t, "260", 30)
	addFacility(t, e)
	if out, err := runCmd(t, e, "", "import", "--facility", "F1", path); err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	s := openTestStore(t, e)
	ctx := context.Background()
	read := func() map[uint][2]int {
		t.Helper()
		got := map[uint][2]int{}
		err := s.EachPatient(ctx, store.PatientFilter{Scope: store.AllFacilities}, 100, func(_ *store.Patient, ts []store.Tumor) error {
			for _, tu := range ts {
				got[tu.ID] = [2]int{tu.EditErrors, tu.EditWarnings}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	imported := read()
	failing := 0
	for _, c := range imported {
		if c[0]+c[1] > 0 {
			failing++
		}
	}
	if failing == 0 {
		t.Fatalf("no imported tumor has a failing edit; the synthetic file has some")
	}
	var cat catalog
	set, err := cat.editSet()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := updateEditCounts(ctx, s, set, store.AllFacilities); err != nil {
		t.Fatal(err)
	}
	for id, want := range read() {
		if imported[id] != want {
			t.Errorf("tumor %d: imported with errors/warnings %v, a run over the store finds %v", id, imported[id], want)
		}
	}
}
