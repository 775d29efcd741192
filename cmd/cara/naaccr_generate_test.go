package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func runGenerate(t *testing.T, args ...string) (string, error) {
	t.Helper()
	out, _, err := runGenerateStderr(t, args...)
	return out, err
}

func runGenerateStderr(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, stderr bytes.Buffer
	err := cmdNaaccrGenerate(context.Background(), env{Now: func() time.Time { return testNow }}, args, &out, &stderr)
	return out.String(), stderr.String(), err
}

func TestNaaccrGenerateWritesTheSameFileForTheSameSeed(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.xml"), filepath.Join(dir, "b.xml")
	out, err := runGenerate(t, "--patients", "30", "--seed", "5", "--out", a)
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	if !strings.Contains(out, "generated 30 patients") || !strings.Contains(out, "bytes") || strings.Count(out, "\n") != 1 {
		t.Errorf("summary %q, want one line with 30 patients, tumors and bytes", out)
	}
	if _, err := runGenerate(t, "--patients", "30", "--seed", "5", "--out", b); err != nil {
		t.Fatal(err)
	}
	ab, _ := os.ReadFile(a)
	bb, _ := os.ReadFile(b)
	if len(ab) == 0 || !bytes.Equal(ab, bb) {
		t.Fatalf("two runs wrote different files (%d and %d bytes)", len(ab), len(bb))
	}
	var f struct {
		BaseURI  string     `xml:"baseDictionaryUri,attr"`
		Patients []struct{} `xml:"Patient"`
	}
	if err := xml.Unmarshal(ab, &f); err != nil {
		t.Fatalf("the file does not parse: %v", err)
	}
	if len(f.Patients) != 30 || !strings.HasSuffix(f.BaseURI, "-260.xml") {
		t.Errorf("file has %d patients and dictionary %s, want 30 and v260", len(f.Patients), f.BaseURI)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("%d files in the folder, want 2 (no temporary files left)", len(entries))
	}
}

func TestNaaccrGenerateGzipsAGzFile(t *testing.T) {
	dir := t.TempDir()
	plain, gz := filepath.Join(dir, "x.xml"), filepath.Join(dir, "x.xml.gz")
	args := []string{"--patients", "20", "--version", "250", "--tumors-per-patient", "2", "--items", "80"}
	if _, err := runGenerate(t, append(args, "--out", plain)...); err != nil {
		t.Fatal(err)
	}
	out, err := runGenerate(t, append(args, "--out", gz)...)
	if err != nil || !strings.Contains(out, "gzipped") {
		t.Fatalf("generate .gz: %q, %v", out, err)
	}
	f, err := os.Open(gz)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("not gzip: %v", err)
	}
	unzipped, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(plain)
	if !bytes.Equal(unzipped, want) {
		t.Error("the .gz file does not hold the same XML as the plain one")
	}
	if !bytes.Contains(want, []byte("naaccr-dictionary-250.xml")) || bytes.Count(want, []byte("<Tumor>")) != 40 {
		t.Errorf("want a v250 file with 40 tumors")
	}
}

func TestNaaccrGenerateWritesToStdoutWithTheSummaryOnStderr(t *testing.T) {
	out, stderr, err := runGenerateStderr(t, "--patients", "3", "--out", "-")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out, "<?xml") || !strings.HasSuffix(out, "</NaaccrData>\n") {
		t.Errorf("stdout is not the XML file: %.80q", out)
	}
	if !strings.Contains(stderr, "generated 3 patients") {
		t.Errorf("stderr %q, want the summary", stderr)
	}
}

func TestNaaccrGenerateRejectsBadArguments(t *testing.T) {
	tests := []struct {
		args []string
		want string // the flag the error names
	}{
		{[]string{}, "--patients"},
		{[]string{"--patients", "0"}, "--patients"},
		{[]string{"--patients", "x"}, "-patients"},
		{[]string{"--patients", "5", "--tumors-per-patient", "3-1"}, "--tumors-per-patient"},
		{[]string{"--patients", "5", "--tumors-per-patient", "0"}, "--tumors-per-patient"},
		{[]string{"--patients", "5", "--tumors-per-patient", "one"}, "--tumors-per-patient"},
		{[]string{"--patients", "5", "--items", "0"}, "--items"},
		{[]string{"--patients", "5", "--version", "180"}, "--version"},
		{[]string{"--patients", "5", "--record-type", "X"}, "--record-type"},
		{[]string{"--patients", "5", "--today", "2026-13-01"}, "--today"},
		{[]string{"--patients", "5", "--today", "2017-06-01"}, "--today"},
		{[]string{"--patients", "5", "--out", ""}, "--out"},
		{[]string{"--patients", "5", "stray"}, "stray"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			_, err := runGenerate(t, tt.args...)
			if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want a usage error naming %s", err, tt.want)
			}
		})
	}
}
