package edits

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/expr-lang/expr/vm"

	"github.com/cara-registry/cara/internal/codes"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/synth"
)

// The runner takes shortcuts (closures instead of the VM, programs on a frame, guards, field
// rules prepared once, a memory of passed values); these tests hold each of them to the plain
// way: the program compiled as written, on a map of the items, and FieldChecker.Check.

func loadInternalSet(t *testing.T) *Set {
	t.Helper()
	fsys := os.DirFS("../../schemas")
	dict, err := naaccr.LoadBaseDictionary(fsys, "260")
	if err != nil {
		t.Fatal(err)
	}
	tables, err := codes.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Load(fsys, dict, tables, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.SetClock(func() time.Time { return time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC) })
	return s
}

// oddValues are values the synthetic files do not have: blanks, spaces, partial and impossible
// dates, codes of the wrong length, characters a type does not admit.
var oddValues = []string{
	"", " ", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "00", "01", "10", "13", "14", "20",
	"30", "38", "43", "49", "60", "88", "99", "999", " 1", "1 ", "C342", "C509", "C619", "C421",
	"C809", "C760", "C50", "C5090", "c509", "8000", "8140", "8500", "9590", "9140", "9050", "9732",
	"85003", "A000", "A980", "B120", "2", "2018", "2025", "202501", "202513", "20250230",
	"20240229", "19000229", "20000229", "18491231", "18500101", "20991231", "21000101",
	"20260115", "20260116", " 20250101", "2025010", "2025-01-01", "abc", "\x01", "\xff", "é", "*",
	"-", "01-59",
}

// testPatients are synthetic patients, and the same patients with values changed at random:
// taken from other records, from oddValues, or removed; some get a copy of their first tumor.
func testPatients(t *testing.T, s *Set, n int) []naaccr.Patient {
	t.Helper()
	reg, err := naaccr.LoadRegistry(os.DirFS("../../schemas"))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := synth.Generate(context.Background(), &buf, synth.Options{Patients: n, Seed: 7, TextItems: true}); err != nil {
		t.Fatal(err)
	}
	rd, err := naaccr.NewReader(bytes.NewReader(buf.Bytes()), naaccr.ReaderOptions{Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	var pats []naaccr.Patient
	for {
		var p naaccr.Patient
		if err := rd.Next(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pats = append(pats, p)
	}
	// Values of the items the edits read, and of a few others, from every record.
	items := slices.Clone(s.items)
	items = append(items, "primarySite", "histologicTypeIcdO3", "grade", "nameLast", "textRemarks")
	pool := map[string][]string{}
	for _, p := range pats {
		for _, m := range append([]map[string]string{p.Items}, tumorItems(p)...) {
			for _, id := range items {
				if v, ok := m[id]; ok {
					pool[id] = append(pool[id], v)
				}
			}
		}
	}
	rng := rand.New(rand.NewSource(26))
	mutate := func(m map[string]string) map[string]string {
		out := make(map[string]string, len(m))
		for k, v := range m {
			out[k] = v
		}
		for range 1 + rng.Intn(8) {
			id := items[rng.Intn(len(items))]
			switch rng.Intn(5) {
			case 0:
				delete(out, id)
			case 1:
				out[id] = "" // present and blank: a tumor's blank hides the patient's value
			case 2:
				out[id] = oddValues[rng.Intn(len(oddValues))]
			default:
				if vals := pool[id]; len(vals) > 0 {
					out[id] = vals[rng.Intn(len(vals))]
				}
			}
		}
		return out
	}
	all := slices.Clone(pats)
	for round := range 3 {
		for _, p := range pats {
			q := naaccr.Patient{Items: mutate(p.Items)}
			for _, tu := range p.Tumors {
				q.Tumors = append(q.Tumors, naaccr.Tumor{Items: mutate(tu.Items)})
			}
			if round == 2 && len(q.Tumors) > 0 {
				q.Tumors = append(q.Tumors, naaccr.Tumor{Items: mutate(q.Tumors[0].Items)})
			}
			all = append(all, q)
		}
	}
	return all
}

func tumorItems(p naaccr.Patient) []map[string]string {
	var out []map[string]string
	for _, tu := range p.Tumors {
		out = append(out, tu.Items)
	}
	return out
}

// mapEnv is the environment of the programs as written: the items the edits read, from the tumor
// or else the patient, the tumors and the helpers.
func mapEnv(s *Set, patient, tumor map[string]string, tumors []map[string]any) map[string]any {
	env := map[string]any{}
	for name, fn := range typedFunctions() {
		env[name] = fn
	}
	env["today"] = func() string { return s.now().Format("20060102") }
	for _, id := range s.items {
		v, ok := tumor[id]
		if !ok {
			v = patient[id]
		}
		env[id] = v
	}
	env["tumors"] = tumors
	return env
}

func tumorMaps(s *Set, p naaccr.Patient) []map[string]any {
	var out []map[string]any
	for _, tu := range p.Tumors {
		m := map[string]any{}
		for _, k := range s.tumorItems {
			m[k] = tu.Items[k]
		}
		out = append(out, m)
	}
	return out
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestShortcutsGiveWhatTheProgramsAsWrittenGive(t *testing.T) {
	s := loadInternalSet(t)
	pats := testPatients(t, s, 60)
	direct, onFrame := 0, 0
	for _, e := range s.Edits {
		if e.direct != nil {
			direct++
		} else if e.run != nil {
			onFrame++
		}
	}
	if direct < len(s.Edits)*3/4 || direct+onFrame != len(s.Edits) {
		t.Fatalf("%d edits direct, %d on the frame, of %d", direct, onFrame, len(s.Edits))
	}
	var machine vm.VM
	var f frame
	f.items = s.items
	f.slots = make([]frameSlot, len(s.items))
	failures := 0
	check := func(e *Edit, env map[string]any, what string) {
		t.Helper()
		want, wantErr := machine.Run(e.check, env)
		if wantErr == nil && want != true {
			failures++
		}
		if e.direct != nil {
			if got := e.direct(&f); wantErr != nil || got != want {
				t.Fatalf("%s, %s: direct gives %v, the program %v (%v)", e.ID, what, got, want, wantErr)
			}
		}
		if e.run != nil {
			got, err := machine.Run(e.run, &f)
			if got != want || errText(err) != errText(wantErr) {
				t.Fatalf("%s, %s: on the frame %v (%v), as written %v (%v)", e.ID, what, got, err, want, wantErr)
			}
		}
		for i, holds := range e.guard {
			if !holds(&f) && (want != true || wantErr != nil) {
				t.Fatalf("%s, %s: guard %d is false, but the program gives %v (%v)", e.ID, what, i, want, wantErr)
			}
		}
	}
	for i, p := range pats {
		tumors := tumorMaps(s, p)
		for j, tu := range p.Tumors {
			f.begin(p.Items, tu.Items, nil, false)
			env := mapEnv(s, p.Items, tu.Items, nil)
			for _, e := range s.tumorEdits {
				check(e, env, fmt.Sprintf("patient %d tumor %d", i, j))
			}
		}
		f.begin(p.Items, nil, tumors, false)
		env := mapEnv(s, p.Items, nil, tumors)
		for _, e := range s.patientEdits {
			check(e, env, fmt.Sprintf("patient %d", i))
		}
	}
	if failures < 100 {
		t.Fatalf("only %d failures: the records do not exercise the edits", failures)
	}
}

// resultLines are results as text, sorted within each record (tumor) for comparison.
func resultLines(rs []Result) []string {
	var out []string
	for _, r := range rs {
		out = append(out, fmt.Sprintf("%d %s %s %v %s %q", r.Tumor, r.EditID, r.Severity, r.Items, r.Override, r.Message))
	}
	sort.Strings(out)
	return out
}

// TestPatientGivesWhatItsPartsGive holds Runner.Patient (items gathered by the field checks, field
// rules prepared at load, passed values remembered) to FieldChecker.Check on each item, Tumor on
// each tumor and PatientLevel, on a runner of their own.
func TestPatientGivesWhatItsPartsGive(t *testing.T) {
	s := loadInternalSet(t)
	pats := testPatients(t, s, 60)
	r, parts := s.NewRunner(), s.NewRunner()
	for i := range pats {
		p := &pats[i]
		got, err := r.Patient(p, nil)
		if err != nil {
			t.Fatal(err)
		}
		var want []Result
		for j, m := range append([]map[string]string{p.Items}, tumorItems(*p)...) {
			for id, v := range m {
				if def, ok := s.dict.Item(id); ok {
					if res := s.Fields.Check(def, v); res != nil {
						res.Tumor = j - 1
						want = append(want, *res)
					}
				}
			}
			if j > 0 {
				if want, err = parts.Tumor(p.Items, m, j-1, want); err != nil {
					t.Fatal(err)
				}
			}
		}
		if want, err = parts.PatientLevel(p, want); err != nil {
			t.Fatal(err)
		}
		if g, w := resultLines(got), resultLines(want); !slices.Equal(g, w) {
			t.Fatalf("patient %d:\n got %q\nwant %q", i, g, w)
		}
	}
}

// TestDirectAgreesWithTheVMOnEachConstruct runs expressions of every construct the closures take
// on all pairs of values of two items, in both ways.
func TestDirectAgreesWithTheVMOnEachConstruct(t *testing.T) {
	exprs := []string{
		`{a} == {b}`, `{a} != {b}`, `{a} < {b}`, `{a} <= {b}`, `{a} > {b}`, `{a} >= {b}`, `"5" == {a}`,
		`{a} == "1" && {b} != "1"`, `{a} == "1" || {b} == "2"`, `!({a} == {b})`, `not ({a} == {b})`,
		`{a} in ["1", "2", "", " "]`, `!({a} in ["1"])`, `{a} matches "^[0-9]{2}$"`, `len({a}) == 8`,
		`len({a}) > len({b})`, `blank({a})`, `!blank({b})`, `validDate({a})`, `num({a}) == 1`,
		`num({a}) < num({b})`, `num({a}) >= -1`, `-num({a}) == -3`, `year({a}) >= 2018`,
		`year({a}) == year({b})`, `month({a}) <= 6`, `dateBefore({a}, {b})`, `dateAfter({a}, {b})`,
		`!dateAfter({a}, today())`, `inRange({a}, "01-59,99")`, `inRange({a}, "C340-C349, C509")`,
		`inRange({a}, {b})`, `yearsBetween({a}, {b}) <= 3`, `yearsBetween({b}, {a}) == num({a})`,
		`pad({a}, 2) == "01"`, `pad({a}, len({b})) == pad({b}, 3)`, `inList({a}, "1", {b}, " 2")`,
		`inList({a})`, `inTable("sex_specific_sites", {a})`, `inTable("sex_specific_sites", {a}, {b})`,
		`inTable("histology_sites", "mesothelioma", {a})`, `inTable("laterality", {a})`,
		`{a} == "1" ? {b} == "2" : {b} != "3"`, `({a} == "1") == ({b} == "1")`, `true && {a} == {b}`,
		`false || {a} < "5"`,
	}
	var yaml strings.Builder
	yaml.WriteString("edits:\n")
	for i, x := range exprs {
		x = strings.NewReplacer("{a}", "laterality", "{b}", "primarySite").Replace(x)
		fmt.Fprintf(&yaml, "  - id: E%d\n    name: e\n    severity: error\n    items: [laterality, primarySite]\n    check: '%s'\n    message: m\n",
			i, strings.ReplaceAll(x, "'", "''"))
	}
	base := loadInternalSet(t)
	fsys := fstest.MapFS{
		"edits/test.yaml":                     {Data: []byte(yaml.String())},
		"edits/tables/sex_specific_sites.csv": {Data: []byte("site,sex\nC510-C589,2\nC600-C639,1\n")},
		"edits/tables/histology_sites.csv":    {Data: []byte("group,histology,site\nmesothelioma,9050-9055,C380-C384\n")},
	}
	s, err := Load(fsys, base.dict, base.codes, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.SetClock(base.now)
	values := append(slices.Clone(oddValues), "C510", "C600", "9052", "C382")
	var machine vm.VM
	var f frame
	f.items = s.items
	f.slots = make([]frameSlot, len(s.items))
	for _, e := range s.Edits {
		if e.direct == nil {
			t.Fatalf("%s (%s) does not run directly", e.ID, e.Check)
		}
	}
	for _, a := range values {
		for _, b := range values {
			tumor := map[string]string{"laterality": a, "primarySite": b}
			f.begin(nil, tumor, nil, false)
			env := mapEnv(s, nil, tumor, nil)
			for _, e := range s.Edits {
				want, err := machine.Run(e.check, env)
				if got := e.direct(&f); err != nil || got != want {
					t.Fatalf("%s with a=%q b=%q: direct %v, the VM %v (%v)", e.Check, a, b, got, want, err)
				}
			}
		}
	}
}

func TestParseDateAgreesWithNaaccr(t *testing.T) {
	var values []string
	for y := 1840; y <= 2110; y++ {
		values = append(values, fmt.Sprintf("%04d", y))
		for m := 0; m <= 13; m++ {
			values = append(values, fmt.Sprintf("%04d%02d", y, m))
			for d := 0; d <= 32; d++ {
				values = append(values, fmt.Sprintf("%04d%02d%02d", y, m, d))
			}
		}
	}
	values = append(values, "", "1", "202", "20250", "2025010", "202501011", "2025-1", "20a50101", "０２０２")
	for _, v := range values {
		want, err := naaccr.ParseDate(v)
		got, ok := parseDate(v)
		if ok != (err == nil) || got != want {
			t.Fatalf("parseDate(%q) = %v, %v; ParseDate gives %v, %v", v, got, ok, want, err)
		}
	}
}

func TestFieldRulesCheckTypesAsNaaccrDoes(t *testing.T) {
	s := loadInternalSet(t)
	values := append(slices.Clone(oddValues), "Biopsy, left breast\n(2 cm)", "\tA1", "AB", "A1", "1.5", "1.", ".5",
		"2025-01-05T10:00:00", "2025-01-05T10:00:00.5+01:00", "2025-01-05 10:00")
	seen := map[naaccr.DataType]bool{}
	for i := range s.rules {
		fr := &s.rules[i]
		if seen[fr.dataType] {
			continue
		}
		seen[fr.dataType] = true
		for _, v := range values {
			if got, want := fr.typeOK(v), naaccr.CheckType(fr.dataType, v) == nil; got != want {
				t.Fatalf("type %q, %q: typeOK %v, CheckType %v", fr.dataType, v, got, want)
			}
		}
	}
	if len(seen) < 5 {
		t.Fatalf("only the types %v", seen)
	}
}

func TestPrintableASCIIAgreesWithAByteLoop(t *testing.T) {
	byteLoop := func(s string) bool {
		for i := 0; i < len(s); i++ {
			if s[i] < 0x20 || s[i] > 0x7e {
				return false
			}
		}
		return true
	}
	base := "Biopsy of the left breast, 2 cm mass; ER+/PR- (see path)."
	for c := 0; c < 256; c++ {
		for pos := 0; pos < 17; pos++ {
			s := []byte(base[:pos+17])
			s[pos] = byte(c)
			if got, want := printableASCII(string(s)), byteLoop(string(s)); got != want {
				t.Fatalf("printableASCII(%q) = %v, want %v", s, got, want)
			}
		}
	}
	if !printableASCII(base) || printableASCII(base+"\x7f") || printableASCII("é"+base) {
		t.Fatal("printableASCII is wrong on plain text")
	}
}

func TestDigitCodesAgreeWithTheirList(t *testing.T) {
	tables, err := codes.Load(os.DirFS("../../schemas"))
	if err != nil {
		t.Fatal(err)
	}
	dict, err := naaccr.LoadBaseDictionary(os.DirFS("../../schemas"), "260")
	if err != nil {
		t.Fatal(err)
	}
	used := 0
	for _, def := range dict.Items {
		l, ok := tables.ForItem(def.ID)
		if !ok {
			continue
		}
		d := newDigitCodes(l)
		if d == nil {
			continue
		}
		used++
		// Every number of the codes' width and the next, and values of other widths.
		values := []string{"", " ", "a", "-1", "00000", " 1", "1 ", "1a", "9"}
		size := 1
		for range d.width + 1 {
			size *= 10
		}
		for n := range size {
			values = append(values, fmt.Sprintf("%0*d", d.width, n))
		}
		for _, v := range values {
			if got, want := d.contains(v), l.Contains(v); got != want {
				t.Fatalf("%s: contains(%q) = %v, the list says %v", l.Name, v, got, want)
			}
		}
	}
	if used == 0 {
		t.Fatal("no code list of digits")
	}
}

func TestCellsAgreeWithTheirText(t *testing.T) {
	// The matching of a cell before cells were split at load.
	match := func(v, cell string) bool {
		if cell == "*" {
			return true
		}
		if lo, hi, ok := strings.Cut(cell, "-"); ok && len(lo) == len(hi) && len(lo) == len(v) {
			return v >= lo && v <= hi
		}
		return v == cell
	}
	cells := []string{"*", "-", "", "C340-C349", "C509", "8000-8799", "01-59", "1-", "-1", "a-b-c", "C34-C349", "9590-9992"}
	values := []string{"", "-", "*", "C340", "C345", "C349", "C350", "C34", "C509", "8000", "8500", "8800", "01", "59", "60", "1", "a", "b", "a-b-c", "9600"}
	for _, c := range cells {
		for _, v := range values {
			if got, want := matchCell(v, c), match(v, c); got != want {
				t.Fatalf("matchCell(%q, %q) = %v, want %v", v, c, got, want)
			}
		}
	}
	for _, spec := range []string{"C340-C349,C384", "01-59, 61-87", "", ",", "*", "8000-8589"} {
		for _, v := range values {
			if got, want := inCells(v, rangeCells(spec)), inRanges(v, spec); got != want {
				t.Fatalf("inCells(%q, %q) = %v, inRanges %v", v, spec, got, want)
			}
		}
	}
}

func TestTodayFollowsTheClock(t *testing.T) {
	s := loadInternalSet(t)
	day := time.Date(2026, 3, 1, 23, 59, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return day })
	if got := s.today(); got != "20260301" {
		t.Fatalf("today() = %q", got)
	}
	day = day.Add(2 * time.Minute)
	if got := s.today(); got != "20260302" {
		t.Fatalf("today() after midnight = %q", got)
	}
}
