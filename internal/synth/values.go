package synth

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/cara-registry/cara/internal/codes"
	"github.com/cara-registry/cara/internal/naaccr"
)

// poolSize is the number of values made ahead for an item without a code list; a record picks
// one of them, which keeps generation cheap.
const poolSize = 32

const dateLayout = "20060102"

// patientCtx is what the values of one patient's items must agree with.
type patientCtx struct {
	birth, lastContact, today time.Time
	dead                      bool
}

// tumorCtx is what the values of one tumor's items must agree with.
type tumorCtx struct {
	dx  time.Time
	seq string // sequenceNumberHospital
}

type genKind int

const (
	kindPool        genKind = iota // a value from pool
	kindAge                        // age at diagnosis in years
	kindSeq                        // the tumor's hospital sequence number
	kindDeath                      // date of death: the last contact of a dead patient
	kindLastContact                // the patient's date of last contact
	kindPatientDate                // between birth and last contact
	kindCovidDate                  // between March 2020 and last contact
	kindAdminDate                  // case administration: within a year after diagnosis, not after today
	kindRxDate                     // treatment and work-up: within six months after diagnosis, not after last contact
	kindDateTime                   // specimen collection: the diagnosis day at a random time
)

// itemGen makes values of one item.
type itemGen struct {
	def  *naaccr.ItemDef
	kind genKind
	pool []string
	// common is how many values at the start of pool are codes that do not mean "unknown";
	// they are picked nine times in ten.
	common int
}

// newItemGen decides how to make an item's values and makes its pool: the item's valid codes,
// or values of its data type and length.
func newItemGen(r *rand.Rand, def *naaccr.ItemDef, tables *codes.Tables) (*itemGen, error) {
	ig := &itemGen{def: def, kind: kindPool}
	switch def.DataType {
	case naaccr.TypeDate:
		switch {
		case def.ID == "dateOfDeathCanada":
			ig.kind = kindDeath
		case def.ID == "dateOfLastCancerStatus":
			ig.kind = kindLastContact
		case def.ID == "ncdbSarsCov2PosDate":
			ig.kind = kindCovidDate
		case def.Parent == naaccr.ParentPatient:
			ig.kind = kindPatientDate
		case hasPrefix(def.ID, "dateCase") || hasPrefix(def.ID, "dateTumorRecord") || hasPrefix(def.ID, "edpMde"):
			ig.kind = kindAdminDate
		default:
			ig.kind = kindRxDate
		}
		return ig, nil
	case naaccr.TypeDateTime:
		ig.kind = kindDateTime
		return ig, nil
	}
	switch {
	case def.ID == "ageAtDiagnosis" && def.DataType == naaccr.TypeDigits && def.Length >= 3:
		ig.kind = kindAge
		return ig, nil
	case def.ID == "sequenceNumberCentral":
		ig.kind = kindSeq
		return ig, nil
	}
	if l, ok := tables.ForItem(def.ID); ok {
		var missing []string
		for _, c := range l.Codes {
			if valid(def, c.Code) != nil {
				continue // blank "not coded" entries, or codes of another width
			}
			if c.MeansMissing {
				missing = append(missing, c.Code)
			} else {
				ig.pool = append(ig.pool, c.Code)
			}
		}
		ig.common = len(ig.pool)
		ig.pool = append(ig.pool, missing...)
		if len(ig.pool) > 0 {
			return ig, nil
		}
	}
	for range poolSize {
		v := typedValue(r, def)
		if err := valid(def, v); err != nil {
			return nil, err
		}
		ig.pool = append(ig.pool, v)
	}
	ig.common = len(ig.pool)
	return ig, nil
}

// value returns a value for the item, or "" to leave it out (a date of death of a living
// patient). tc is nil for a patient's items.
func (ig *itemGen) value(r *rand.Rand, pc *patientCtx, tc *tumorCtx) string {
	switch ig.kind {
	case kindPool:
		if ig.common > 0 && (ig.common == len(ig.pool) || r.IntN(10) > 0) {
			return ig.pool[r.IntN(ig.common)]
		}
		return ig.pool[r.IntN(len(ig.pool))]
	case kindAge:
		if tc == nil {
			return ""
		}
		return zeroPad(ageAt(pc.birth, tc.dx), ig.def.Length)
	case kindSeq:
		if tc == nil || valid(ig.def, tc.seq) != nil {
			return ""
		}
		return tc.seq
	case kindDeath:
		if !pc.dead {
			return ""
		}
		return ig.date(pc.lastContact)
	case kindLastContact:
		return ig.date(pc.lastContact)
	case kindPatientDate:
		return ig.date(randomDay(r, pc.birth, pc.lastContact))
	case kindCovidDate:
		from := time.Date(2020, time.March, 1, 0, 0, 0, 0, time.UTC)
		if pc.birth.After(from) {
			from = pc.birth
		}
		if pc.lastContact.Before(from) {
			return ""
		}
		return ig.date(randomDay(r, from, pc.lastContact))
	}
	if tc == nil { // tumor kinds below; a patient item never gets one
		return ""
	}
	switch ig.kind {
	case kindAdminDate:
		return ig.date(randomDay(r, tc.dx, earliest(pc.today, tc.dx.AddDate(1, 0, 0))))
	case kindRxDate:
		return ig.date(randomDay(r, tc.dx, earliest(pc.lastContact, tc.dx.AddDate(0, 6, 0))))
	case kindDateTime:
		t := tc.dx.Add(time.Duration(7*3600+r.IntN(10*3600)) * time.Second)
		if v := t.Format("2006-01-02T15:04:05"); len(v) <= ig.def.Length {
			return v
		}
	}
	return ""
}

// date formats d as CCYYMMDD, or as CCYYMM or CCYY for an item too short for the full date.
func (ig *itemGen) date(d time.Time) string {
	v := d.Format(dateLayout)
	switch {
	case ig.def.Length >= 8:
		return v
	case ig.def.Length >= 6:
		return v[:6]
	case ig.def.Length >= 4:
		return v[:4]
	}
	return ""
}

// typedValue makes a value of def's data type that fits its length, for an item without a
// code list.
func typedValue(r *rand.Rand, def *naaccr.ItemDef) string {
	n := def.Length
	switch def.DataType {
	case naaccr.TypeDigits:
		if def.Padding == "leftZero" {
			return zeroPad(r.IntN(pow10(min(n, 4))), n)
		}
		return randomString(r, digits, n)
	case naaccr.TypeNumeric:
		if n >= 4 && r.IntN(2) == 0 {
			return strconv.Itoa(r.IntN(pow10(min(n-2, 3)))) + "." + strconv.Itoa(r.IntN(10))
		}
		return strconv.Itoa(r.IntN(pow10(min(n, 5))))
	case naaccr.TypeAlpha:
		return randomString(r, letters, min(n, 3))
	case naaccr.TypeMixed:
		if n > 4 {
			n = 1 + r.IntN(min(n, 10))
		}
		return randomString(r, letters+digits, n)
	}
	return shortText(r, def)
}

// shortText makes a text value that looks like what the item holds: a city, a postal code, a
// name, an address, coordinates, a short code or a few clinical words.
func shortText(r *rand.Rand, def *naaccr.ItemDef) string {
	id, n := def.ID, def.Length
	fit := func(v string) string {
		if len(v) <= n {
			return v
		}
		return randomString(r, letters+digits, min(n, 4))
	}
	switch {
	case def.Padding == "leftZero":
		return randomString(r, digits, n)
	case strings.Contains(id, "City"):
		return fit(cities[r.IntN(len(cities))])
	case strings.Contains(id, "Postal"):
		return fit(randomString(r, digits, 5))
	case id == "latitude":
		return fit(fmt.Sprintf("%.6f", 25+r.Float64()*23))
	case id == "longitude":
		return fit(fmt.Sprintf("-%.6f", 70+r.Float64()*54))
	case id == "namePrefix":
		return fit(pickString(r, "MR", "MRS", "MS", "DR"))
	case id == "nameSuffix":
		return fit(pickString(r, "JR", "SR", "II", "III"))
	case hasPrefix(id, "name"):
		return fit(surnames[r.IntN(len(surnames))])
	case strings.HasSuffix(id, "Name"):
		return fit(firstNames[r.IntN(len(firstNames))] + " " + surnames[r.IntN(len(surnames))])
	case strings.Contains(id, "NoStreet") || strings.HasSuffix(id, "Nost"):
		return fit(strconv.Itoa(1+r.IntN(9999)) + " " + streets[r.IntN(len(streets))])
	case strings.Contains(id, "Suppl"):
		return fit(pickString(r, "APT ", "UNIT ", "STE ") + strconv.Itoa(1+r.IntN(400)))
	case hasPrefix(id, "text"):
		// A few clinical words, as many as fit.
		var b strings.Builder
		for range 1 + r.IntN(6) {
			w := clinicalWords[r.IntN(len(clinicalWords))]
			if b.Len()+1+len(w) > n {
				break
			}
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(w)
		}
		if b.Len() > 0 {
			return b.String()
		}
	}
	// A code: a lab value, a stage, an identifier.
	return randomString(r, letters+digits, 1+r.IntN(min(n, 6)))
}

// clinicalText returns sentences of clinical phrases, about textWords words and at most n bytes.
func (g *Generator) clinicalText(n int) string {
	b := make([]byte, 0, 320)
	words, prev := 0, -1
	for words < textWords {
		i := g.r.IntN(len(phrases))
		if i == prev {
			continue
		}
		prev = i
		ph := phrases[i]
		if len(b)+len(ph)+3 > n {
			break
		}
		if len(b) > 0 {
			b = append(b, ". "...)
		}
		b = append(b, ph...)
		words += strings.Count(ph, " ") + 1
	}
	return string(append(b, '.'))
}

const (
	digits  = "0123456789"
	letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
)

func randomString(r *rand.Rand, alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

func pickString(r *rand.Rand, s ...string) string { return s[r.IntN(len(s))] }

func pow10(n int) int {
	p := 1
	for range n {
		p *= 10
	}
	return p
}

// zeroPad formats a non-negative n with at least width digits.
func zeroPad(n, width int) string {
	s := strconv.Itoa(n)
	if len(s) < width {
		s = strings.Repeat("0", width-len(s)) + s
	}
	return s
}

func hasPrefix(s, prefix string) bool { return strings.HasPrefix(s, prefix) }

// parseDate parses a full CCYYMMDD date; demo's dates always are.
func parseDate(s string) time.Time {
	t, _ := time.Parse(dateLayout, s)
	return t
}

// randomDay returns a day from from to to, both included; from when to is before it.
func randomDay(r *rand.Rand, from, to time.Time) time.Time {
	n := int(to.Sub(from).Hours()+12) / 24
	if n <= 0 {
		return from
	}
	return from.AddDate(0, 0, r.IntN(n+1))
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// ageAt returns the age in whole years on day d of someone born on birth.
func ageAt(birth, d time.Time) int {
	age := d.Year() - birth.Year()
	if d.Month() < birth.Month() || (d.Month() == birth.Month() && d.Day() < birth.Day()) {
		age--
	}
	return max(age, 0)
}

var (
	cities = []string{
		"Springfield", "Riverside", "Franklin", "Greenville", "Fairview", "Madison", "Georgetown",
		"Salem", "Clinton", "Arlington", "Ashland", "Burlington", "Manchester", "Milton", "Oxford",
		"Jackson", "Dayton", "Lexington", "Marion", "Chester",
	}
	streets = []string{
		"MAIN ST", "OAK AVE", "MAPLE DR", "PARK RD", "ELM ST", "CEDAR LN", "LAKE VIEW DR",
		"HILLCREST AVE", "WASHINGTON BLVD", "CHURCH ST", "MILL RD", "PINE ST",
	}
	firstNames = []string{
		"Mary", "James", "Linda", "Robert", "Susan", "Michael", "Karen", "David", "Nancy", "John",
	}
	surnames = []string{
		"Smith", "Johnson", "Brown", "Garcia", "Miller", "Davis", "Wilson", "Moore", "Taylor",
		"Clark", "Lewis", "Walker", "Young", "Hill", "Baker", "Nelson",
	}
	clinicalWords = []string{
		"biopsy", "carcinoma", "invasive", "margin", "negative", "positive", "nodes", "mass",
		"lesion", "resection", "excision", "grade", "tumor", "benign", "malignant", "ductal",
		"lobular", "squamous", "adenocarcinoma", "metastatic", "right", "left", "upper", "lower",
	}
	// phrases are the sentences of the long text items.
	phrases = []string{
		"Biopsy of the mass shows invasive carcinoma",
		"Margins are negative for tumor",
		"Regional lymph nodes negative for metastatic disease",
		"Moderately differentiated adenocarcinoma",
		"CT of chest, abdomen and pelvis shows no distant metastasis",
		"Tumor measures 2.3 cm in greatest dimension",
		"Estrogen and progesterone receptors positive",
		"HER2 negative by immunohistochemistry",
		"Patient presented with a palpable mass",
		"No lymphovascular invasion identified",
		"Perineural invasion present",
		"PET scan shows a hypermetabolic primary lesion",
		"Referred to medical oncology for adjuvant therapy",
		"Surgical resection performed with curative intent",
		"Case presented at the multidisciplinary tumor board",
		"Clinical stage assigned by the managing physician",
		"Former smoker with a history of thirty pack years",
		"Family history of cancer in a first degree relative",
		"Follow-up imaging scheduled in three months",
		"Well differentiated squamous cell carcinoma",
		"Poorly differentiated with focal necrosis",
		"Ki-67 proliferation index about twenty percent",
		"Sentinel lymph node biopsy negative",
		"Colonoscopy shows an ulcerated mass in the sigmoid colon",
		"Mammogram shows a spiculated mass in the upper outer quadrant",
		"Radiation therapy completed without interruption",
		"Chemotherapy started four weeks after surgery",
		"Patient declined further treatment",
	}
)
