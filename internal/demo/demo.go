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
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cara-registry/cara/internal/naaccr"
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
// schemas folder in tests). All diagnoses fall between 1 January 2018 and the day before today;
// today must therefore be 2 January 2018 or later.
func Patients(fsys fs.FS, seed int64, n int, today time.Time) ([]naaccr.Patient, error) {
	if n < 0 {
		return nil, fmt.Errorf("demo: negative number of patients %d", n)
	}
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

	g := &generator{
		r:      rand.New(rand.NewPCG(uint64(seed), pcgStream)),
		today:  today,
		first:  first,
		lastDx: lastDx,
		sites:  map[string]*siteTable{"1": male, "2": female},
		accSeq: map[int]int{},
	}
	// About a quarter of the patients get a second primary: ceil(0.24 n), so that 25 patients
	// have at least 31 tumors whatever the seed.
	two := make([]bool, n)
	for _, i := range g.r.Perm(n)[:(n*6+24)/25] {
		two[i] = true
	}
	// Medical record numbers: increasing, unique, random-looking.
	mrn := 100000 + g.r.IntN(100000)

	out := make([]naaccr.Patient, 0, n)
	for i := range n {
		mrn += 1 + g.r.IntN(97)
		out = append(out, g.patient(i+1, fmt.Sprintf("MR%06d", mrn), two[i]))
	}
	return out, nil
}

type generator struct {
	r      *rand.Rand
	today  time.Time
	first  time.Time // earliest diagnosis date
	lastDx time.Time // latest diagnosis date (the day before today)
	sites  map[string]*siteTable
	accSeq map[int]int // last accession sequence used, by year
}

func (g *generator) patient(id int, mrn string, twoTumors bool) naaccr.Patient {
	r := g.r
	sex := "2"
	if r.IntN(100) < 48 {
		sex = "1"
	}
	if days(g.first, g.lastDx) < 1 {
		twoTumors = false // no room for two distinct diagnosis dates
	}

	// Diagnosis dates: the second primary strictly after the first.
	var dx []time.Time
	if twoTumors {
		d1 := randomDay(r, g.first, g.lastDx.AddDate(0, 0, -1))
		dx = []time.Time{d1, randomDay(r, d1.AddDate(0, 0, 1), g.lastDx)}
	} else {
		dx = []time.Time{randomDay(r, g.first, g.lastDx)}
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
	from := latest.AddDate(0, 0, 1)
	if recent := g.today.AddDate(0, 0, -400); vital == "1" && from.Before(recent) && r.IntN(5) > 0 {
		from = recent // most living patients were followed up within the last year or so
	}
	lastContact := randomDay(r, from, g.today)

	first, middle := names(r, sex)
	p := naaccr.Patient{Items: map[string]string{
		"patientIdNumber":       fmt.Sprintf("%08d", id),
		"nameLast":              surnames[r.IntN(len(surnames))],
		"nameFirst":             first,
		"dateOfBirth":           birth.Format(dateLayout),
		"sexAssignedAtBirth":    sex,
		"race1":                 pick(r, raceWeights),
		"spanishHispanicOrigin": pick(r, hispanicWeights),
		"dateOfLastContact":     lastContact.Format(dateLayout),
		"vitalStatus":           vital,
	}}
	if middle != "" {
		p.Items["nameMiddle"] = middle
	}

	// One hospital accession number per patient, from the year of first diagnosis.
	year := dx[0].Year()
	g.accSeq[year]++
	accession := fmt.Sprintf("%04d%05d", year, g.accSeq[year])

	var prevSite string
	for k, d := range dx {
		row := g.sites[sex].draw(r, prevSite)
		prevSite = row.site
		seq := "00"
		if len(dx) > 1 {
			seq = fmt.Sprintf("%02d", k+1)
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
		p.Tumors = append(p.Tumors, naaccr.Tumor{Items: map[string]string{
			"medicalRecordNumber":    mrn,
			"accessionNumberHosp":    accession,
			"sequenceNumberHospital": seq,
			"dateOfDiagnosis":        d.Format(dateLayout),
			"primarySite":            row.site,
			"histologicTypeIcdO3":    row.histology,
			"behaviorCodeIcdO3":      row.behavior,
			"laterality":             laterality(r, row.site),
			"grade":                  grade,
			"gradeClinical":          clinical,
			"diagnosticConfirmation": confirm,
			"classOfCase":            pick(r, classOfCaseWeights),
			"typeOfReportingSource":  "1",
		}})
	}
	return p
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
func laterality(r *rand.Rand, site string) string {
	if !pairedSite(site) {
		return "0"
	}
	if site == "C342" { // the middle lobe is in the right lung only
		return "1"
	}
	return strconv.Itoa(1 + r.IntN(2))
}

// pairedSites lists the topography codes (or their first three characters for a whole group)
// of paired organs, for which laterality is coded 1-5 or 9. It is a small stand-in good enough
// for demo data: the edit engine owns the real paired-site table.
var pairedSites = []string{
	"C079", "C080", "C081", "C090", "C091", "C098", "C099", // parotid, salivary glands, tonsil
	"C300", "C301", "C310", "C312", // nasal cavity, middle ear, maxillary and frontal sinus
	"C34",                          // lung and bronchus (not C339 trachea)
	"C384",                         // pleura
	"C400", "C401", "C402", "C403", // long and short bones of the limbs
	"C413", "C414", // rib and clavicle, pelvic bones
	"C441", "C442", "C443", "C445", "C446", "C447", // skin; C444 scalp and neck is unpaired
	"C471", "C472", "C491", "C492", // nerves and soft tissue of the limbs
	"C50",          // breast
	"C569", "C570", // ovary, fallopian tube
	"C62", "C630", "C631", // testis, epididymis, spermatic cord
	"C649", "C659", "C669", // kidney, renal pelvis, ureter
	"C69",         // eye and adnexa
	"C74", "C754", // adrenal gland, carotid body
}

func pairedSite(site string) bool {
	for _, p := range pairedSites {
		if strings.HasPrefix(site, p) {
			return true
		}
	}
	return false
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
	confirmationWeights  = []weighted{{"1", 86}, {"2", 5}, {"3", 3}, {"5", 1}, {"7", 4}, {"8", 1}}
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
