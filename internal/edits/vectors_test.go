package edits_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/cara-registry/cara/internal/edits"
	"github.com/cara-registry/cara/internal/naaccr"
)

// minEdits is the size the core edit set must keep (issue 6: at least 60 inter-field edits).
const minEdits = 60

// vector is one test case of testdata/edits/*.yaml: the items of a case and whether the named edit
// fails on it. Tumor-level edits take patient and tumor; patient-level edits take patient and
// tumors.
type vector struct {
	Edit    string              `yaml:"edit"`
	Fails   *bool               `yaml:"fails"`
	Note    string              `yaml:"note"`
	Patient map[string]string   `yaml:"patient"`
	Tumor   map[string]string   `yaml:"tumor"`
	Tumors  []map[string]string `yaml:"tumors"`

	file string
	line int
}

func (v *vector) where() string { return fmt.Sprintf("%s:%d (%s)", v.file, v.line, v.Edit) }

func loadVectors(t *testing.T) []*vector {
	t.Helper()
	files, err := filepath.Glob("../../testdata/edits/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no test vectors in testdata/edits")
	}
	var all []*vector
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Vectors []yaml.Node `yaml:"vectors"`
		}
		if err := yaml.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for i := range doc.Vectors {
			n := &doc.Vectors[i]
			v := &vector{file: filepath.Base(f), line: n.Line}
			if err := n.Decode(v); err != nil {
				t.Fatalf("%s:%d: %v", f, n.Line, err)
			}
			all = append(all, v)
		}
	}
	return all
}

// run runs the edits of v's level on its case and reports whether v.Edit is among the failures,
// with the message it gave.
func (v *vector) run(t *testing.T, set *edits.Set, e *edits.Edit) (bool, string) {
	t.Helper()
	r := set.NewRunner()
	var res []edits.Result
	var err error
	patient := v.Patient
	if patient == nil {
		patient = map[string]string{}
	}
	switch e.Level {
	case edits.LevelPatient:
		p := &naaccr.Patient{Items: patient}
		for _, tm := range v.Tumors {
			p.Tumors = append(p.Tumors, naaccr.Tumor{Items: tm})
		}
		res, err = r.PatientLevel(p, nil)
	default:
		tumor := v.Tumor
		if tumor == nil {
			tumor = map[string]string{}
		}
		res, err = r.Tumor(patient, tumor, 0, nil)
	}
	if err != nil {
		t.Fatalf("%s: %v", v.where(), err)
	}
	for _, x := range res {
		if x.EditID == v.Edit {
			return true, x.Message
		}
	}
	return false, ""
}

// TestEditVectors runs every vector of testdata/edits through the edit it names and checks the
// expected outcome; every edit of the set must have at least one passing and one failing vector.
func TestEditVectors(t *testing.T) {
	set := loadSet(t)
	if len(set.Edits) < minEdits {
		t.Errorf("the edit set has %d edits, want at least %d", len(set.Edits), minEdits)
	}
	byID := map[string]*edits.Edit{}
	for _, e := range set.Edits {
		byID[e.ID] = e
	}
	passing, failing := map[string]int{}, map[string]int{}
	for _, v := range loadVectors(t) {
		e, ok := byID[v.Edit]
		switch {
		case v.Edit == "":
			t.Errorf("%s: vector names no edit", v.where())
			continue
		case !ok:
			t.Errorf("%s: no edit %q in the set", v.where(), v.Edit)
			continue
		case v.Fails == nil:
			t.Errorf("%s: say whether the edit fails (fails: true or false)", v.where())
			continue
		case e.Level == edits.LevelPatient && v.Tumor != nil:
			t.Errorf("%s: %s is a patient-level edit: give tumors, not tumor", v.where(), v.Edit)
			continue
		case e.Level != edits.LevelPatient && v.Tumors != nil:
			t.Errorf("%s: %s is a tumor-level edit: give tumor, not tumors", v.where(), v.Edit)
			continue
		}
		got, msg := v.run(t, set, e)
		if got != *v.Fails {
			t.Errorf("%s: fails = %v, want %v %s", v.where(), got, *v.Fails, v.Note)
			continue
		}
		if got {
			failing[v.Edit]++
			if strings.TrimSpace(msg) == "" {
				t.Errorf("%s: the failure has no message", v.where())
			}
		} else {
			passing[v.Edit]++
		}
	}
	var missing []string
	for _, e := range set.Edits {
		if passing[e.ID] == 0 {
			missing = append(missing, e.ID+" (no passing vector)")
		}
		if failing[e.ID] == 0 {
			missing = append(missing, e.ID+" (no failing vector)")
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("edit %s in testdata/edits", m)
	}
}

// TestEditOverrides checks that every edit with an override is silenced by it: each failing
// vector of such an edit passes once the override item is 1.
func TestEditOverrides(t *testing.T) {
	set := loadSet(t)
	byID := map[string]*edits.Edit{}
	for _, e := range set.Edits {
		byID[e.ID] = e
	}
	checked := map[string]bool{}
	for _, v := range loadVectors(t) {
		e, ok := byID[v.Edit]
		if !ok || e.Override == "" || v.Fails == nil || !*v.Fails || e.Level == edits.LevelPatient {
			continue
		}
		w := *v
		w.Tumor = map[string]string{}
		for k, x := range v.Tumor {
			w.Tumor[k] = x
		}
		w.Tumor[e.Override] = "1"
		if got, _ := w.run(t, set, e); got {
			t.Errorf("%s: still fails with %s = 1", v.where(), e.Override)
		}
		checked[e.ID] = true
	}
	for _, e := range set.Edits {
		if e.Override != "" && e.Level != edits.LevelPatient && !checked[e.ID] {
			t.Errorf("edit %s has override %s but no failing vector to check it on", e.ID, e.Override)
		}
	}
}

// TestEditMessagesNameTheirValues checks that every tumor-level edit's message names a value of
// one of its items, so a registrar sees what to fix. (Patient-level messages speak of the tumors.)
func TestEditMessagesNameTheirValues(t *testing.T) {
	set := loadSet(t)
	for _, e := range set.Edits {
		if e.Level == edits.LevelPatient {
			continue
		}
		if e.Staging != nil {
			// A staging edit names the values its check found ({value}, {derived}, {needs}).
			if !strings.Contains(e.Message, "{") {
				t.Errorf("edit %s: the message names no value", e.ID)
			}
			continue
		}
		if !slices.ContainsFunc(e.Items, func(it string) bool { return strings.Contains(e.Message, "{"+it+"}") }) {
			t.Errorf("edit %s: the message names none of its items' values", e.ID)
		}
	}
}
