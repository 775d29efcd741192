package naaccr_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/cara-registry/cara/internal/naaccr"
)

// FuzzReader: whatever the input, the reader does not panic or hang, and every error and every
// data problem carries a position.
func FuzzReader(f *testing.F) {
	paths, _ := filepath.Glob("../../testdata/naaccr/conformance/*/*.xml")
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b, false)
			f.Add(b, true)
		}
	}
	f.Add([]byte(fileHead+`<Patient><Item naaccrId="race1">0A</Item><Tumor><Item naaccrId="primarySite">C5099</Item></Tumor></Patient></NaaccrData>`), false)
	// The rules of the letter of the specification: record types, xsd:dateTime, several user
	// dictionaries only from 1.2, items of another NAACCR version.
	f.Add([]byte(specHead("260", "I", "1.8", ` timeGenerated="2026-03-15T1:20:30Z"`)+`<Patient><Item naaccrId="nameLast">SMITH</Item><Tumor><Item naaccrId="pathDateSpecCollect1">2026-03-15T10:20:30.5+14:00</Item></Tumor></Patient></NaaccrData>`), false)
	f.Add([]byte(specHead("250", "A", "1.1", ` userDictionaryUri="a b"`)+`</NaaccrData>`), false)
	f.Add([]byte(specHead("250", "A", "1.7", "")+`<Patient><Tumor><Item naaccrId="ruca2020">1</Item></Tumor></Patient></NaaccrData>`), false)
	reg := testRegistry(f)
	f.Fuzz(func(t *testing.T, data []byte, relaxed bool) {
		r, err := naaccr.NewReader(bytes.NewReader(data), naaccr.ReaderOptions{Registry: reg, Relaxed: relaxed})
		if err != nil {
			checkPositioned(t, err)
			return
		}
		checkProblems(t, r.Problems())
		var p naaccr.Patient
		for i := 0; ; i++ {
			if i > len(data) {
				t.Fatalf("more patients than bytes: the reader does not advance")
			}
			err := r.Next(&p)
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				checkPositioned(t, err)
				if again := r.Next(&p); again == nil || errors.Is(again, io.EOF) {
					t.Fatalf("after error %v, Next returned %v", err, again)
				}
				return
			}
			checkProblems(t, r.Problems())
		}
	})
}

func checkPositioned(t *testing.T, err error) {
	t.Helper()
	var pr *naaccr.Problem
	if !errors.As(err, &pr) || pr.Line < 1 || pr.Column < 1 || pr.Message == "" {
		t.Fatalf("error without a position: %#v", err)
	}
}

func checkProblems(t *testing.T, probs []naaccr.Problem) {
	t.Helper()
	for _, p := range probs {
		if p.Line < 1 || p.Column < 1 || p.Message == "" {
			t.Fatalf("problem without a position: %+v", p)
		}
	}
}
