// Package demo makes deterministic synthetic NAACCR v26 patients for the demo database. The
// people are invented: names are drawn at random from short lists of common US first names and
// surnames, dates are random, and tumors are drawn from observed site/histology frequencies, so
// the data looks plausible without describing anyone real.
package demo

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/staging"
)

// Files read from the schemas file system.
const (
	topographyFile  = "codes/icdo3-topography.csv"
	femaleFreqsFile = "codes/site-histology-frequencies-female.csv"
	maleFreqsFile   = "codes/site-histology-frequencies-male.csv"
)

// firstDiagnosisYear is the earliest year a synthetic tumor is diagnosed in.
const firstDiagnosisYear = 2018

// Ages at diagnosis stay within these bounds.
const (
	minAge = 25
	maxAge = 90
)

// pcgStream is the second PCG word; with the seed it fixes the random sequence.
const pcgStream = 0x636172612d64656d // "cara-dem"

// dateLayout is the NAACCR CCYYMMDD form.
const dateLayout = "20060102"

// Patients returns n synthetic patients (with 1 or 2 tumors each, so that n=25 gives 30+ tumors),
// deterministic for a seed. fsys is the schemas file system (schemas.FS, or os.DirFS of the
// schemas folder in tests); stg its staging data, or nil to load it from fsys (a caller that has
// it loaded passes it: loading takes a tenth of a second). All diagnoses fall between 1 January 2018 and the day before today;
// today must therefore be 2 January 2018 or later.
func Patients(fsys fs.FS, stg *staging.DataSet, seed int64, n int, today time.Time) ([]naaccr.Patient, error) {
	if n < 0 {
		return nil, fmt.Errorf("demo: negative number of patients %d", n)
	}
	g, err := newGenerator(fsys, stg, seed, today)
	if err != nil {
		return nil, err
	}
	// About a quarter of the patients get a second primary: ceil(0.24 n), so that 25 patients
	// have at least 31 tumors whatever the seed.
	two := make([]bool, n)
	for _, i := range g.r.Perm(n)[:(n*6+24)/25] {
		two[i] = true
	}
	// Medical record numbers: increasing, unique, random-looking.
	mrn := 100000 + g.r.IntN(100000)

	out := make([]naaccr.Patient, n)
	for i := range n {
		mrn += 1 + g.r.IntN(97)
		tumors := 1
		if two[i] {
			tumors = 2
		}
		g.patient(&out[i], i+1, fmt.Sprintf("MR%06d", mrn), tumors)
	}
	return out, nil
}

// Stream makes synthetic patients one at a time, for callers that want more patients than fit
// in memory or choose the number of tumors themselves (internal/synth). Its patients are made by
// the same rules as those of Patients, but it is a different sequence: Patients decides up
// front which patients have two tumors.
type Stream struct {
	g   *generator
	id  int // patients made so far
	mrn int // last medical record number used
}

// NewStream returns a Stream of patients, deterministic for a seed; fsys, stg and today are as for
// Patients.
func NewStream(fsys fs.FS, stg *staging.DataSet, seed int64, today time.Time) (*Stream, error) {
	g, err := newGenerator(fsys, stg, seed, today)
	if err != nil {
		return nil, err
	}
	return &Stream{g: g, mrn: 100000 + g.r.IntN(100000)}, nil
}

// Next fills p with the next patient and its tumors (at least 1; fewer than asked only when the
// days between 1 January 2018 and today do not allow that many distinct diagnosis dates). The
// maps of p and of its tumors are cleared and reused, so a caller that writes each patient out
// before asking for the next allocates little.
func (s *Stream) Next(p *naaccr.Patient, tumors int) {
	s.id++
	s.mrn += 1 + s.g.r.IntN(97)
	s.g.patient(p, s.id, "MR"+zeroPad(s.mrn, 6), max(tumors, 1))
}

// zeroPad formats a non-negative n with at least width digits.
func zeroPad(n, width int) string {
	s := strconv.Itoa(n)
	if len(s) < width {
		s = strings.Repeat("0", width-len(s)) + s
	}
	return s
}

func newGenerator(fsys fs.FS, stg *staging.DataSet, seed int64, today time.Time) (*generator, error) {
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	first := time.Date(firstDiagnosisYear, time.January, 1, 0, 0, 0, 0, time.UTC)
	lastDx := today.AddDate(0, 0, -1)
	if lastDx.Before(first) {
		return nil, fmt.Errorf("demo: today (%s) must be after %s", today.Format(time.DateOnly), first.Format(time.DateOnly))
	}
	topo, err := loadTopography(fsys)
	if err != nil {
		return nil, err
	}
	female, err := loadSites(fsys, femaleFreqsFile, topo, "2")
	if err != nil {
		return nil, err
	}
	male, err := loadSites(fsys, maleFreqsFile, topo, "1")
	if err != nil {
		return nil, err
	}
	paired, err := loadPairedSites(fsys)
	if err != nil {
		return nil, err
	}
	if stg == nil {
		if stg, err = staging.Load(fsys); err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
	}
	return &generator{
		staging: stg,
		paired:  paired,
		r:       rand.New(rand.NewPCG(uint64(seed), pcgStream)),
		today:   today,
		first:   first,
		lastDx:  lastDx,
		sites:   map[string]*siteTable{"1": male, "2": female},
		accSeq:  map[int]int{},
	}, nil
}

type generator struct {
	staging *staging.DataSet // the tumors' core items are fitted to their EOD schema
	paired  []string         // cells of the paired-site table
	r       *rand.Rand
	today   time.Time
	first   time.Time // earliest diagnosis date
	lastDx  time.Time // latest diagnosis date (the day before today)
	sites   map[string]*siteTable
	accSeq  map[int]int // last accession sequence used, by year
}

// patient fills p (reusing its maps) with a patient with the given number of tumors, each
// diagnosed on a later day than the one before.
func (g *generator) patient(p *naaccr.Patient, id int, mrn string, tumors int) {
	r := g.r
	sex := "2"
	if r.IntN(100) < 48 {
		sex = "1"
	}
	if room := days(g.first, g.lastDx) + 1; tumors > room {
		tumors = room // no room for that many distinct diagnosis dates
	}

	// Diagnosis dates: each primary strictly after the one before, leaving a day for each
	// primary still to come.
	var dxBuf [4]time.Time
	dx := dxBuf[:0]
	from := g.first
	for k := range tumors {
		d := randomDay(r, from, g.lastDx.AddDate(0, 0, -(tumors-1-k)))
		dx = append(dx, d)
		from = d.AddDate(0, 0, 1)
	}
	latest := dx[len(dx)-1]

	// Birth: an age at first diagnosis, kept within minAge..maxAge at every diagnosis.
	birth := dx[0].AddDate(-randomAge(r), 0, -r.IntN(365))
	for ageAt(birth, dx[0]) < minAge {
		birth = birth.AddDate(-1, 0, 0)
	}
	for ageAt(birth, latest) > maxAge {
		birth = birth.AddDate(1, 0, 0)
	}

	// Follow-up: alive at a last contact after the latest diagnosis, or dead at that date.
	vital := "1"
	if r.IntN(100) < 18 {
		vital = "0"
	}
	from = latest.AddDate(0, 0, 1)
	if recent := g.today.AddDate(0, 0, -400); vital == "1" && from.Before(recent) && r.IntN(5) > 0 {
		from = recent // most living patients were followed up within the last year or so
	}
	lastContact := randomDay(r, from, g.today)

	first, middle := names(r, sex)
	if p.Items == nil {
		p.Items = make(map[string]string, 16)
	} else {
		clear(p.Items)
	}
	it := p.Items
	it["patientIdNumber"] = zeroPad(id, 8)
	it["nameLast"] = surnames[r.IntN(len(surnames))]
	it["nameFirst"] = first
	it["dateOfBirth"] = birth.Format(dateLayout)
	it["sexAssignedAtBirth"] = sex
	it["race1"] = pick(r, raceWeights)
	it["spanishHispanicOrigin"] = pick(r, hispanicWeights)
	it["dateOfLastContact"] = lastContact.Format(dateLayout)
	it["vitalStatus"] = vital
	if middle != "" {
		it["nameMiddle"] = middle
	}

	// One hospital accession number per patient, from the year of first diagnosis. The sequence
	// has five digits; past 99999 patients in a year (only in a Stream) it starts again at 1.
	year := dx[0].Year()
	g.accSeq[year] = g.accSeq[year]%99999 + 1
	accession := zeroPad(year, 4) + zeroPad(g.accSeq[year], 5)

	p.Tumors = slices.Grow(p.Tumors[:0], len(dx))[:len(dx)]
	var prevSite string
	for k, d := range dx {
		row := g.sites[sex].draw(r, prevSite)
		prevSite = row.site
		seq := "00"
		if len(dx) > 1 {
			seq = zeroPad(k+1, 2)
		}
		clinical := pick(r, gradeClinicalWeights)
		grade := clinical
		if clinical == "3" && r.IntN(4) == 0 {
			grade = "4"
		}
		confirm := pick(r, confirmationWeights)
		if h, _ := strconv.Atoi(row.histology); h >= 9590 && confirm == "1" && r.IntN(2) == 0 {
			confirm = "3" // lymphomas and leukemias: histology plus immunophenotyping
		}
		t := &p.Tumors[k]
		if t.Items == nil {
			t.Items = make(map[string]string, 16)
		} else {
			clear(t.Items)
		}
		ti := t.Items
		ti["medicalRecordNumber"] = mrn
		ti["accessionNumberHosp"] = accession
		ti["sequenceNumberHospital"] = seq
		ti["dateOfDiagnosis"] = d.Format(dateLayout)
		ti["primarySite"] = row.site
		ti["histologicTypeIcdO3"] = row.histology
		ti["behaviorCodeIcdO3"] = row.behavior
		ti["laterality"] = g.laterality(row.site)
		ti["grade"] = grade
		ti["gradeClinical"] = clinical
		ti["diagnosticConfirmation"] = confirm
		ti["classOfCase"] = pick(r, classOfCaseWeights)
		ti["typeOfReportingSource"] = "1"
		// Grade Clinical 1-3 is a grade of most schemas but not of all (melanoma's are A-D), and
		// some sites need a discriminator: the abstract follows its schema.
		FitSchema(g.staging, it, ti, g.today.Year(), true)
	}
}

// randomAge returns an age at diagnosis, skewed to the sixties and seventies as cancer is.
func randomAge(r *rand.Rand) int {
	if r.IntN(10) == 0 {
		return minAge + r.IntN(45-minAge) // 25-44
	}
	return 45 + (r.IntN(maxAge-45+1)+r.IntN(maxAge-45+1))/2 // 45-90, mode about 67
}

// ageAt returns the age in whole years on day d of someone born on birth.
func ageAt(birth, d time.Time) int {
	age := d.Year() - birth.Year()
	if d.Month() < birth.Month() || (d.Month() == birth.Month() && d.Day() < birth.Day()) {
		age--
	}
	return age
}

// days returns the number of days from a to b (dates at UTC midnight).
func days(a, b time.Time) int {
	return int(b.Sub(a).Hours()+12) / 24
}

// randomDay returns a day between from and to, both included (to must not be before from).
func randomDay(r *rand.Rand, from, to time.Time) time.Time {
	return from.AddDate(0, 0, r.IntN(days(from, to)+1))
}

func names(r *rand.Rand, sex string) (first, middle string) {
	list := femaleFirstNames
	if sex == "1" {
		list = maleFirstNames
	}
	first = list[r.IntN(len(list))]
	if r.IntN(100) < 40 {
		middle = list[r.IntN(len(list))]
		for middle == first {
			middle = list[r.IntN(len(list))]
		}
	}
	return first, middle
}

// laterality returns 1 (right) or 2 (left) for a paired site, 0 otherwise.
func (g *generator) laterality(site string) string {
	r := g.r
	if !g.pairedSite(site) {
		return "0"
	}
	if site == "C342" { // the middle lobe is in the right lung only
		return "1"
	}
	return strconv.Itoa(1 + r.IntN(2))
}

// pairedSite reports whether a site is a paired organ, by the edit set's table of paired sites
// (schemas/edits/tables/paired_sites.csv), so demo data and edits agree.
func (g *generator) pairedSite(site string) bool {
	for _, cell := range g.paired {
		if lo, hi, ok := strings.Cut(cell, "-"); ok {
			if site >= lo && site <= hi {
				return true
			}
		} else if site == cell {
			return true
		}
	}
	return false
}

// loadPairedSites reads the cells of the paired-site table: codes and ranges such as C341-C349.
func loadPairedSites(fsys fs.FS) ([]string, error) {
	f, err := fsys.Open("edits/tables/paired_sites.csv")
	if err != nil {
		return nil, fmt.Errorf("demo: paired sites: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comment = '#'
	rows, err := r.ReadAll()
	if err != nil || len(rows) < 2 {
		return nil, fmt.Errorf("demo: paired sites: %v", err)
	}
	var out []string
	for _, row := range rows[1:] {
		out = append(out, strings.TrimSpace(row[0]))
	}
	return out, nil
}

// weighted is a code and its relative weight.
type weighted struct {
	code   string
	weight int
}

func pick(r *rand.Rand, ws []weighted) string {
	total := 0
	for _, w := range ws {
		total += w.weight
	}
	x := r.IntN(total)
	for _, w := range ws {
		if x < w.weight {
			return w.code
		}
		x -= w.weight
	}
	return ws[len(ws)-1].code
}

var (
	raceWeights = []weighted{
		{"01", 74}, {"02", 13}, {"03", 1}, {"04", 2}, {"05", 1}, {"06", 2}, {"08", 1},
		{"10", 1}, {"16", 2}, {"96", 1}, {"98", 1}, {"99", 1},
	}
	hispanicWeights = []weighted{
		{"0", 84}, {"1", 7}, {"2", 2}, {"3", 1}, {"4", 2}, {"6", 2}, {"9", 2},
	}
	gradeClinicalWeights = []weighted{{"1", 20}, {"2", 35}, {"3", 25}, {"9", 20}}
	confirmationWeights  = []weighted{{"1", 89}, {"2", 5}, {"5", 1}, {"7", 4}, {"8", 1}}
	classOfCaseWeights   = []weighted{{"10", 40}, {"14", 30}, {"00", 15}, {"20", 15}}
)

// siteRow is one site/histology/behavior combination with its observed frequency.
type siteRow struct {
	site, histology, behavior string
}

// siteTable draws site/histology/behavior combinations by weight.
type siteTable struct {
	rows []siteRow
	cum  []float64 // cumulative weights, cum[i] = sum of weights of rows[0..i]
}

// draw returns a weighted random row, avoiding the organ (first three characters of the site)
// of avoid so that a second primary is elsewhere.
func (t *siteTable) draw(r *rand.Rand, avoid string) siteRow {
	total := t.cum[len(t.cum)-1]
	var row siteRow
	for range 100 {
		x := r.Float64() * total
		i := sort.Search(len(t.cum), func(i int) bool { return t.cum[i] > x })
		row = t.rows[min(i, len(t.rows)-1)]
		if avoid == "" || row.site[:3] != avoid[:3] {
			break
		}
	}
	return row
}

// Sites that only one sex has: vulva to placenta (C51-C58) and male genital organs (C60-C63).
func sexCompatible(site, sex string) bool {
	switch sex {
	case "1":
		return site < "C51" || site >= "C59"
	case "2":
		return site < "C60" || site >= "C64"
	}
	return true
}

// loadSites reads a site-histology frequency file, keeping the in situ and malignant rows
// (behavior 2 or 3) whose site is in the topography list and fits the sex.
func loadSites(fsys fs.FS, name string, topo map[string]bool, sex string) (*siteTable, error) {
	recs, err := readCSV(fsys, name, "percent", "site", "histology", "behavior")
	if err != nil {
		return nil, err
	}
	t := &siteTable{}
	sum := 0.0
	for i, rec := range recs {
		pct, err := strconv.ParseFloat(rec[0], 64)
		if err != nil || pct < 0 {
			return nil, fmt.Errorf("demo: %s line %d: bad percent %q", name, i+2, rec[0])
		}
		site, hist, beh := rec[1], rec[2], rec[3]
		if pct == 0 || (beh != "2" && beh != "3") || !topo[site] || !sexCompatible(site, sex) ||
			len(hist) != 4 || !naaccr.IsDigits(hist) {
			continue
		}
		sum += pct
		t.rows = append(t.rows, siteRow{site: site, histology: hist, behavior: beh})
		t.cum = append(t.cum, sum)
	}
	if len(t.rows) == 0 {
		return nil, fmt.Errorf("demo: %s: no usable site/histology rows", name)
	}
	return t, nil
}

// loadTopography returns the set of ICD-O-3 topography codes.
func loadTopography(fsys fs.FS) (map[string]bool, error) {
	recs, err := readCSV(fsys, topographyFile, "code")
	if err != nil {
		return nil, err
	}
	set := make(map[string]bool, len(recs))
	for _, rec := range recs {
		set[rec[0]] = true
	}
	return set, nil
}

// readCSV reads a CSV file with a header line and returns, for every data line, the values of
// the named columns in the order asked.
func readCSV(fsys fs.FS, name string, columns ...string) ([][]string, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("demo: %s: header: %w", name, err)
	}
	idx := make([]int, len(columns))
	for i, c := range columns {
		idx[i] = -1
		for j, h := range header {
			if strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")) == c {
				idx[i] = j
			}
		}
		if idx[i] < 0 {
			return nil, fmt.Errorf("demo: %s: no column %q", name, c)
		}
	}
	var out [][]string
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("demo: %s: %w", name, err)
		}
		row := make([]string, len(columns))
		for i, j := range idx {
			if j >= len(rec) {
				return nil, fmt.Errorf("demo: %s line %d: missing column %q", name, line, columns[i])
			}
			row[i] = strings.TrimSpace(rec[j])
		}
		out = append(out, row)
	}
}

// Common US first names and surnames. They are combined at random; no real person is meant.
var (
	femaleFirstNames = []string{
		"Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica",
		"Sarah", "Karen", "Lisa", "Nancy", "Betty", "Margaret", "Sandra", "Ashley",
		"Kimberly", "Emily", "Donna", "Michelle", "Carol", "Amanda", "Dorothy", "Melissa",
		"Deborah", "Stephanie", "Rebecca", "Sharon", "Laura", "Cynthia", "Kathleen", "Amy",
		"Angela", "Shirley", "Anna", "Brenda", "Pamela", "Nicole", "Emma", "Helen",
	}
	maleFirstNames = []string{
		"James", "Robert", "John", "Michael", "David", "William", "Richard", "Joseph",
		"Thomas", "Charles", "Christopher", "Daniel", "Matthew", "Anthony", "Mark", "Donald",
		"Steven", "Paul", "Andrew", "Joshua", "Kenneth", "Kevin", "Brian", "George",
		"Timothy", "Ronald", "Edward", "Jason", "Jeffrey", "Ryan", "Jacob", "Gary",
		"Nicholas", "Eric", "Jonathan", "Stephen", "Larry", "Justin", "Scott", "Frank",
	}
	surnames = []string{
		"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
		"Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas",
		"Taylor", "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White",
		"Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young",
		"Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
		"Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell",
	}
)
