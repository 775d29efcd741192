// Package synth makes deterministic synthetic NAACCR XML data files for tests, demos and speed
// measurements. The core of each patient and tumor (names, dates, site, histology) comes from
// internal/demo; the other items are filled up to a target count with values of the right code
// list, data type and length, and dates that agree with the diagnosis and follow-up. The people
// are invented.
package synth

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/cara-registry/cara/internal/codes"
	"github.com/cara-registry/cara/internal/demo"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/staging"
	"github.com/cara-registry/cara/schemas"
)

// Defaults of Options.
const (
	DefaultItemsPerTumor = 150
	DefaultRecordType    = "A"
	// MaxPatients is the largest number of patients: patientIdNumber has 8 digits.
	MaxPatients = 99_999_999
	// MaxTumorsPerPatient bounds Options.Tumors.Max.
	MaxTumorsPerPatient = 20
)

// DefaultToday is the "today" of Options with none: a fixed day, so that a seed gives the same
// file whenever it is run.
var DefaultToday = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

// Fixed parts of the output.
const (
	patientItemsTarget = 25                  // items per patient, as in the reference generator
	textItemsPerTumor  = 3                   // long text items per tumor when Options.TextItems
	textWords          = 40                  // about this many words in each
	pcgStream          = 0x63617261_73796e74 // "carasynt"; with the seed it fixes the random sequence
)

// Range is an inclusive range of counts.
type Range struct{ Min, Max int }

// Options says what to generate. The zero value of a field means its default.
type Options struct {
	// Version is the NAACCR version of the base dictionary, "240", "250" or "260"
	// (default naaccr.CurrentVersion). Dictionary, when set, is used instead.
	Version    string
	Dictionary *naaccr.Dictionary
	Patients   int
	// Tumors is the number of tumors per patient (default 1-3). Most patients get Min; each
	// further tumor up to Max is a one-in-four chance, so 1-3 gives 75% one, 19% two, 6% three.
	Tumors Range
	// ItemsPerTumor is the number of items of each tumor, core and text items included
	// (default 150); fewer when the dictionary has fewer for the record type.
	ItemsPerTumor int
	Seed          int64
	RecordType    string    // "A", "M", "C" or "I" (default "A"); only items of that type are written
	Today         time.Time // no date falls after it (default DefaultToday); must be after 2018-01-01
	// TextItems adds three long text items (text*, e.g. textDxProcPath) of about 40 clinical
	// words to each tumor; record types C and I have none.
	TextItems bool
	// FS is the schemas file system (default schemas.FS).
	FS fs.FS
	// Staging is FS's staging data when the caller has it loaded (nil: loaded from FS).
	Staging *staging.DataSet
	// FillFrom, when set, limits the items filled at random (text items included) to these
	// naaccrIds: the demo fills the items of its abstract form, which its pages show.
	FillFrom []string
}

// Stats counts what was generated.
type Stats struct {
	Patients int
	Tumors   int
	Items    int   // patient and tumor items
	Bytes    int64 // bytes of XML written (before any compression by the caller)
}

// Generate writes a NAACCR XML data file of synthetic patients to w, one patient at a time, so
// memory use does not grow with the number of patients. The same options give the same bytes.
func Generate(ctx context.Context, w io.Writer, opt Options) (Stats, error) {
	g, err := NewGenerator(opt)
	if err != nil {
		return Stats{}, err
	}
	cw := &countingWriter{w: w}
	nw, err := naaccr.NewWriter(cw, g.Dictionary(), g.Header())
	if err != nil {
		return Stats{}, fmt.Errorf("synth: %w", err)
	}
	var p naaccr.Patient
	for g.Next(&p) {
		if g.made%256 == 1 {
			if err := ctx.Err(); err != nil {
				return g.Stats(), fmt.Errorf("synth: %w", err)
			}
		}
		if err := nw.WritePatient(&p); err != nil {
			return g.Stats(), fmt.Errorf("synth: %w", err)
		}
	}
	if err := nw.Close(); err != nil {
		return g.Stats(), fmt.Errorf("synth: %w", err)
	}
	st := g.Stats()
	st.Bytes = cw.n
	return st, nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}

// Generator makes synthetic patients one at a time, for callers that want them in memory (a
// benchmark of a store or an edit engine) rather than as XML.
type Generator struct {
	opt    Options
	dict   *naaccr.Dictionary
	stream *demo.Stream
	r      *rand.Rand
	today  time.Time

	patientFill, tumorFill []*itemGen // items filled at random, by level
	patientPerm, tumorPerm []int      // permutations of the fill lists, drawn from in turn
	texts                  []*naaccr.ItemDef
	textPerm               []int
	root                   map[string]string

	// staging fits each tumor's items to its EOD schema (demo.FitSchema).
	staging *staging.DataSet

	made  int // patients made so far
	stats Stats
	words []string // scratch for text items
}

// NewGenerator checks the options and loads what generation needs.
func NewGenerator(opt Options) (*Generator, error) {
	if opt.FS == nil {
		opt.FS = schemas.FS
	}
	if opt.Version == "" {
		opt.Version = naaccr.CurrentVersion
	}
	if opt.Tumors == (Range{}) {
		opt.Tumors = Range{1, 3}
	}
	if opt.ItemsPerTumor == 0 {
		opt.ItemsPerTumor = DefaultItemsPerTumor
	}
	if opt.RecordType == "" {
		opt.RecordType = DefaultRecordType
	}
	if opt.Today.IsZero() {
		opt.Today = DefaultToday
	}
	switch {
	case opt.Patients < 0 || opt.Patients > MaxPatients:
		return nil, fmt.Errorf("synth: patients must be 0 to %d, got %d", MaxPatients, opt.Patients)
	case opt.Tumors.Min < 1 || opt.Tumors.Max < opt.Tumors.Min || opt.Tumors.Max > MaxTumorsPerPatient:
		return nil, fmt.Errorf("synth: tumors per patient must be a range within 1-%d, got %d-%d", MaxTumorsPerPatient, opt.Tumors.Min, opt.Tumors.Max)
	case opt.ItemsPerTumor < 0:
		return nil, fmt.Errorf("synth: items per tumor must not be negative, got %d", opt.ItemsPerTumor)
	}
	switch opt.RecordType {
	case "A", "M", "C", "I":
	default:
		return nil, fmt.Errorf("synth: record type must be A, M, C or I, got %q", opt.RecordType)
	}
	dict := opt.Dictionary
	if dict == nil {
		if !slices.Contains(naaccr.BaseVersions, opt.Version) {
			return nil, fmt.Errorf("synth: NAACCR version must be one of %v, got %q", naaccr.BaseVersions, opt.Version)
		}
		var err error
		if dict, err = naaccr.LoadBaseDictionary(opt.FS, opt.Version); err != nil {
			return nil, fmt.Errorf("synth: %w", err)
		}
	}
	stg := opt.Staging
	if stg == nil {
		var err error
		if stg, err = staging.Load(opt.FS); err != nil {
			return nil, fmt.Errorf("synth: %w", err)
		}
	}
	stream, err := demo.NewStream(opt.FS, stg, opt.Seed, opt.Today)
	if err != nil {
		return nil, fmt.Errorf("synth: %w", err)
	}
	tables, err := codes.Load(opt.FS)
	if err != nil {
		return nil, fmt.Errorf("synth: %w", err)
	}
	g := &Generator{
		opt:    opt,
		dict:   dict,
		stream: stream,
		r:      rand.New(rand.NewPCG(uint64(opt.Seed), pcgStream)),
		today:  time.Date(opt.Today.Year(), opt.Today.Month(), opt.Today.Day(), 0, 0, 0, 0, time.UTC),

		staging: stg,
	}
	if err := g.plan(tables); err != nil {
		return nil, err
	}
	return g, nil
}

// plan sorts the dictionary's items into those filled at random, by level, and the text items,
// and works out the root items.
func (g *Generator) plan(tables *codes.Tables) error {
	rt := g.opt.RecordType
	var only map[string]bool
	if len(g.opt.FillFrom) > 0 {
		only = make(map[string]bool, len(g.opt.FillFrom))
		for _, id := range g.opt.FillFrom {
			only[id] = true
		}
	}
	for _, def := range g.dict.Items {
		if !def.InRecordType(rt) || (only != nil && !only[def.ID]) {
			continue
		}
		switch {
		case def.Parent == naaccr.ParentRoot:
			continue
		case def.Length >= 1000:
			if def.Parent == naaccr.ParentTumor && def.DataType == naaccr.TypeText && hasPrefix(def.ID, "text") {
				g.texts = append(g.texts, def)
			}
			continue
		}
		ig, err := newItemGen(g.r, def, tables)
		if err != nil {
			return err
		}
		if def.Parent == naaccr.ParentPatient {
			g.patientFill = append(g.patientFill, ig)
		} else {
			g.tumorFill = append(g.tumorFill, ig)
		}
	}
	g.patientPerm = identity(len(g.patientFill))
	g.tumorPerm = identity(len(g.tumorFill))
	g.textPerm = identity(len(g.texts))

	g.root = map[string]string{}
	for id, v := range map[string]string{
		"registryId":          zeroPad(int(uint64(g.opt.Seed)%100_000_000), 10),
		"naaccrRecordVersion": g.dict.NaaccrVersion,
		"recordType":          rt,
	} {
		if def, ok := g.dict.Item(id); ok && def.Parent == naaccr.ParentRoot && def.InRecordType(rt) && valid(def, v) == nil {
			g.root[id] = v
		}
	}
	return nil
}

// renamed maps items of demo's (NAACCR v26) patients to their names in older versions.
var renamed = map[string]string{"sexAssignedAtBirth": "sex"}

func identity(n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	return p
}

// Dictionary returns the dictionary the patients are made for.
func (g *Generator) Dictionary() *naaccr.Dictionary { return g.dict }

// Header returns the file header to write the patients under: the record type and the root
// items registryId, naaccrRecordVersion and recordType. It has no time, so output stays
// deterministic.
func (g *Generator) Header() naaccr.Header {
	return naaccr.Header{RecordType: g.opt.RecordType, RootItems: g.root}
}

// Stats returns the counts of the patients made so far (Bytes is 0: a Generator writes nothing).
func (g *Generator) Stats() Stats { return g.stats }

// Next fills p with the next patient, reusing its maps and tumor slice, and reports whether
// there was one: it returns false once Options.Patients patients have been made.
func (g *Generator) Next(p *naaccr.Patient) bool {
	if g.made >= g.opt.Patients {
		return false
	}
	g.made++
	n := g.opt.Tumors.Min
	for n < g.opt.Tumors.Max && g.r.IntN(4) == 0 {
		n++
	}
	g.stream.Next(p, n)
	g.Fill(p)
	return true
}

// Fill adds items to a patient made elsewhere (the demo's named patients), as Next does to its
// own: the patient's and each tumor's items are filled up to the targets with values that agree
// with the birth, diagnosis and last contact dates already there. Items already set are kept,
// except EOD schema inputs the tumor's schema refuses, which get a code it accepts
// (demo.FitSchema); items the dictionary or record type lacks are dropped.
func (g *Generator) Fill(p *naaccr.Patient) {
	g.adapt(p.Items, naaccr.ParentPatient)

	pc := patientCtx{
		birth:       parseDate(p.Items["dateOfBirth"]),
		lastContact: parseDate(p.Items["dateOfLastContact"]),
		dead:        p.Items["vitalStatus"] == "0",
		today:       g.today,
	}
	g.fill(p.Items, g.patientFill, g.patientPerm, patientItemsTarget, &pc, nil)
	g.stats.Items += len(p.Items)

	for i := range p.Tumors {
		items := p.Tumors[i].Items
		g.adapt(items, naaccr.ParentTumor)
		tc := tumorCtx{dx: parseDate(items["dateOfDiagnosis"]), seq: items["sequenceNumberHospital"]}
		texts := 0
		if g.opt.TextItems {
			texts = min(textItemsPerTumor, len(g.texts), max(g.opt.ItemsPerTumor-len(items), 0))
		}
		g.fill(items, g.tumorFill, g.tumorPerm, g.opt.ItemsPerTumor-texts, &pc, &tc)
		if adm, disch := items["dateOfInptAdm"], items["dateOfInptDisch"]; adm != "" && disch != "" && disch < adm {
			items["dateOfInptAdm"], items["dateOfInptDisch"] = disch, adm
		}
		// The demo's core items fit the schema (demo.FitSchema); those filled in may not.
		if g.dict.NaaccrVersion == naaccr.CurrentVersion {
			demo.FitSchema(g.staging, p.Items, items, g.today.Year(), false)
		}
		for k := range texts {
			j := k + g.r.IntN(len(g.textPerm)-k)
			g.textPerm[k], g.textPerm[j] = g.textPerm[j], g.textPerm[k]
			def := g.texts[g.textPerm[k]]
			items[def.ID] = g.clinicalText(def.Length)
		}
		g.stats.Items += len(items)
	}
	g.stats.Patients++
	g.stats.Tumors += len(p.Tumors)
}

// adapt fits demo's (NAACCR v26) items of one level to the dictionary and record type: it
// renames those an older version names differently and drops those it lacks.
func (g *Generator) adapt(items map[string]string, lvl naaccr.Parent) {
	for id, v := range items {
		def, ok := g.dict.Item(id)
		if !ok && renamed[id] != "" {
			delete(items, id)
			def, ok = g.dict.Item(renamed[id])
			id = renamed[id]
			items[id] = v // checked below like any other item
		}
		if !ok || def.Parent != lvl || !def.InRecordType(g.opt.RecordType) {
			delete(items, id)
		}
	}
}

// fill adds items from cands, in random order, until items has target of them or cands runs
// out. perm is a permutation of cands that the draws shuffle in place as they go (a partial
// Fisher-Yates shuffle), so each record gets a fresh random subset at the cost of the items drawn.
func (g *Generator) fill(items map[string]string, cands []*itemGen, perm []int, target int, pc *patientCtx, tc *tumorCtx) {
	n := len(perm)
	for i := 0; i < n && len(items) < target; i++ {
		j := i + g.r.IntN(n-i)
		perm[i], perm[j] = perm[j], perm[i]
		ig := cands[perm[i]]
		if _, set := items[ig.def.ID]; set {
			continue
		}
		if v := ig.value(g.r, pc, tc); v != "" {
			items[ig.def.ID] = v
		}
	}
}

// valid checks a value against its item the way a reader of the file would.
func valid(def *naaccr.ItemDef, v string) error {
	if err := naaccr.CheckType(def.DataType, v); err != nil {
		return fmt.Errorf("synth: item %s value %q: %w", def.ID, v, err)
	}
	if len(v) > def.Length {
		return fmt.Errorf("synth: item %s value %q is longer than %d", def.ID, v, def.Length)
	}
	return nil
}
