package staging_test

import (
	"bytes"
	"context"
	"errors"
	"github.com/cara-registry/cara/internal/cputime"
	"io"
	"os"
	"sync"
	"testing"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/staging"
	"github.com/cara-registry/cara/internal/synth"
	"github.com/cara-registry/cara/schemas"
)

// Speed figures of staging (README). The batch benchmark runs over the tumors of the reference
// file of ../shared/bench/gen_naaccr.py when CARA_BENCH_REF names it:
//
//	python3 ../shared/bench/gen_naaccr.py ../shared/naaccr/dictionaries/naaccr-dictionary-260.xml 20000 /tmp/ref.xml
//	CARA_BENCH_REF=/tmp/ref.xml go test -run '^$' -bench Stage ./internal/staging/
//
// and without it over a file of the same shape made by internal/synth, whose sites and histologies
// are real ones (those of gen_naaccr.py are random characters, so few of its tumors have a schema).

var (
	benchOnce sync.Once
	benchData *staging.DataSet
	benchErr  error
)

func benchEOD(b testing.TB) *staging.DataSet {
	benchOnce.Do(func() { benchData, benchErr = staging.Load(schemas.FS) })
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchData
}

// benchTumors are realistic abstracts of the common schemas, each worked through the schema's
// tables to a stage (the figures in the comments are what the tables give).
var benchTumors = []struct {
	name   string
	schema string
	stage  string // Derived Summary Stage 2018
	items  map[string]string
}{
	// Breast: EOD 100 (confined to breast: L in extension_bak), nodes 300 (axillary and internal
	// mammary: RN in nodes_daj), mets 00 → 3 (summary_stage_rpa: L, RN, NONE).
	{"breast", "breast", "3", map[string]string{
		"dateOfDiagnosis": "20240115", "primarySite": "C504", "histologicTypeIcdO3": "8500", "behaviorCodeIcdO3": "3",
		"eodPrimaryTumor": "100", "eodRegionalNodes": "300", "eodMets": "00", "gradeClinical": "2", "gradePathological": "2",
		"tumorSizeSummary": "022", "regionalNodesPositive": "03", "regionalNodesExamined": "12",
		"estrogenReceptorSummary": "1", "progesteroneRecepSummary": "1", "her2OverallSummary": "0",
		"sentinelLymphNodesExamined": "02", "sentinelLymphNodesPositive": "01"}},
	// Lung (the 2025+ schema): EOD 100, nodes 000, mets 00 → 1 (localized).
	{"lung", "lung_v9_2025", "1", map[string]string{
		"dateOfDiagnosis": "20250310", "primarySite": "C341", "histologicTypeIcdO3": "8140", "behaviorCodeIcdO3": "3",
		"eodPrimaryTumor": "100", "eodRegionalNodes": "000", "eodMets": "00", "gradeClinical": "2", "gradePathological": "9",
		"tumorSizeSummary": "018", "regionalNodesPositive": "00", "regionalNodesExamined": "08"}},
	// Prostate: EOD 200 (clinically apparent, one-half of one side or less: L in extension_bbo;
	// pathologic extension blank → 999, U), nodes 000, mets 00 → 1.
	{"prostate", "prostate", "1", map[string]string{
		"dateOfDiagnosis": "20230602", "primarySite": "C619", "histologicTypeIcdO3": "8140", "behaviorCodeIcdO3": "3",
		"eodPrimaryTumor": "200", "eodRegionalNodes": "000", "eodMets": "00", "gradeClinical": "2",
		"psaLabValue": "065", "gleasonPatternsClinical": "34", "gleasonScoreClinical": "07", "numberOfCoresPositive": "04", "numberOfCoresExamined": "12"}},
	// Colon: EOD 300 (through the muscularis propria: L in extension_bao), nodes 300 (RN in
	// nodes_dan), mets 00 → 3 (summary_stage_rpa: L, RN, NONE).
	{"colon", "colon_rectum", "3", map[string]string{
		"dateOfDiagnosis": "20220917", "primarySite": "C187", "histologicTypeIcdO3": "8140", "behaviorCodeIcdO3": "3",
		"eodPrimaryTumor": "300", "eodRegionalNodes": "300", "eodMets": "00", "gradeClinical": "2", "gradePathological": "2",
		"regionalNodesPositive": "02", "regionalNodesExamined": "15", "cea": "XXXX.9", "kras": "9", "msiMmr": "9"}},
	// Lymphoma, diffuse large B-cell, lymph nodes of the head: EOD 100 (single lymph node region:
	// L in eod_primary_tumor_72245) → 1 (summary_stage_lymphoma_25139 reads the T only).
	{"lymphoma", "lymphoma", "1", map[string]string{
		"dateOfDiagnosis": "20240420", "primarySite": "C770", "histologicTypeIcdO3": "9680", "behaviorCodeIcdO3": "3",
		"eodPrimaryTumor": "100", "eodRegionalNodes": "888", "eodMets": "88"}},
}

// BenchmarkStageOneTumor derives the staged items of one tumor (Stage and Items), as a save does (target: under
// 0.1 ms a tumor); each iteration stages each of the five abstracts once.
func BenchmarkStageOneTumor(b *testing.B) {
	d := benchEOD(b)
	recs := make([]staging.Record, len(benchTumors))
	for i, tc := range benchTumors {
		recs[i] = abstract.RecordOf(map[string]string{"sexAssignedAtBirth": "2"}, tc.items)
		r := d.Stage(recs[i], 2026)
		if r.Status != staging.Staged || r.Schema.ID != tc.schema || r.Output("ss2018_derived") != tc.stage || len(r.Errors) > 0 {
			b.Fatalf("%s: status %s, schema %v, outputs %v, errors %v; want %s staged %s", tc.name, r.Status, r.Schema, r.Outputs, r.Errors, tc.schema, tc.stage)
		}
	}
	for i, tc := range benchTumors {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := cputime.Process()
			for n := 0; n < b.N; n++ {
				_ = d.Stage(recs[i], 2026).Items(d)
			}
			b.ReportMetric(float64((cputime.Process()-cpu0).Microseconds())/float64(b.N), "CPU-µs/tumor")
		})
	}
}

var (
	refOnce    sync.Once
	refRecords []staging.Record
	refErr     error
)

// benchPatients is how many patients of the reference file the batch benchmark holds in memory,
// as BenchmarkEvaluate of the edits does: the whole file's 150-item maps would make the figure
// mostly the garbage collector's marking of them, which a streaming run does not pay.
const benchPatients = 5000

// referenceRecords reads the tumors of the first benchPatients patients of the reference file (or
// its synthetic stand-in) into memory.
func referenceRecords(b *testing.B) []staging.Record {
	refOnce.Do(func() {
		var data []byte
		if p := os.Getenv("CARA_BENCH_REF"); p != "" {
			data, refErr = os.ReadFile(p)
		} else {
			var buf bytes.Buffer
			_, refErr = synth.Generate(context.Background(), &buf, synth.Options{Patients: benchPatients, Seed: 26, TextItems: true})
			data = buf.Bytes()
		}
		if refErr != nil {
			return
		}
		reg, err := naaccr.LoadRegistry(schemas.FS)
		if err != nil {
			refErr = err
			return
		}
		rd, err := naaccr.NewReader(bytes.NewReader(data), naaccr.ReaderOptions{Registry: reg})
		if err != nil {
			refErr = err
			return
		}
		for n := 0; n < benchPatients; n++ {
			var p naaccr.Patient
			if err := rd.Next(&p); errors.Is(err, io.EOF) {
				return
			} else if err != nil {
				refErr = err
				return
			}
			for _, t := range p.Tumors {
				refRecords = append(refRecords, abstract.RecordOf(p.Items, t.Items))
			}
		}
	})
	if refErr != nil {
		b.Fatal(refErr)
	}
	return refRecords
}

// BenchmarkStageBatch derives the staged items of the tumors of the reference file's first
// benchPatients patients, read into memory first, on one core (target: 30,000 tumors/s or more).
// It reports the share of tumors staged, so that a figure over a file of few stageable tumors is
// seen for what it is.
func BenchmarkStageBatch(b *testing.B) {
	d := benchEOD(b)
	recs := referenceRecords(b)
	staged := 0
	for _, rec := range recs {
		if d.Stage(rec, 2026).Status == staging.Staged {
			staged++
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cputime.Process()
	for n := 0; n < b.N; n++ {
		for _, rec := range recs {
			r := d.Stage(rec, 2026)
			_ = r.Items(d)
		}
	}
	cpu := cputime.Process() - cpu0
	b.ReportMetric(float64(len(recs)*b.N)/b.Elapsed().Seconds(), "tumors/s")
	// On a shared machine the wall clock counts the time other jobs had the core; the CPU time
	// this process used is the steadier figure (1e6 / CPU-µs/tumor is tumors/s on a core of one's own).
	b.ReportMetric(float64(cpu.Microseconds())/float64(len(recs)*b.N), "CPU-µs/tumor")
	b.ReportMetric(float64(len(recs)), "tumors")
	b.ReportMetric(100*float64(staged)/float64(len(recs)), "%staged")
}
