package naaccr_test

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/synth"
)

// writeAll writes a file read by readAll back out.
func writeAll(t *testing.T, info *naaccr.FileInfo, pats []naaccr.Patient) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := naaccr.NewWriter(&buf, info.Schema.Base, naaccr.Header{RecordType: info.RecordType, RootItems: info.RootItems, UserDictionaries: info.Schema.User})
	if err != nil {
		t.Fatal(err)
	}
	for i := range pats {
		if err := w.WritePatient(&pats[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestRoundTrip: read → write → read gives the same data, and write → read → write the same
// bytes, for the conformance files and for generated files of every version.
func TestRoundTrip(t *testing.T) {
	reg := testRegistry(t)
	files := conformanceFiles(t, "valid")
	for _, v := range naaccr.BaseVersions {
		var buf bytes.Buffer
		if _, err := synth.Generate(context.Background(), &buf, synth.Options{Version: v, Patients: 60, Seed: 3, TextItems: true}); err != nil {
			t.Fatal(err)
		}
		files["generated-"+v] = buf.Bytes()
	}
	for name, data := range files {
		t.Run(name, func(t *testing.T) {
			info, pats, probs, err := readAll(t, reg, data, false)
			if err != nil || len(probs) > 0 {
				t.Fatalf("read: %v %v", err, probs)
			}
			first := writeAll(t, info, pats)
			info2, pats2, probs2, err := readAll(t, reg, first, false)
			if err != nil || len(probs2) > 0 {
				t.Fatalf("read of the written file: %v %v\n%s", err, probs2, first)
			}
			if !reflect.DeepEqual(info.RootItems, info2.RootItems) || !samePatients(pats, pats2) {
				t.Fatalf("read → write → read changed the data")
			}
			if second := writeAll(t, info2, pats2); !bytes.Equal(first, second) {
				t.Fatalf("write → read → write changed the bytes")
			}
			if strings.HasPrefix(name, "generated") && len(pats) != 60 {
				t.Fatalf("%d patients", len(pats))
			}
		})
	}
}

func samePatients(a, b []naaccr.Patient) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !reflect.DeepEqual(a[i].Items, b[i].Items) || len(a[i].Tumors) != len(b[i].Tumors) {
			return false
		}
		for j := range a[i].Tumors {
			if !reflect.DeepEqual(a[i].Tumors[j].Items, b[i].Tumors[j].Items) {
				return false
			}
		}
	}
	return true
}
