package fhirintake

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/cara-registry/cara/internal/casefinding"
	"github.com/cara-registry/cara/internal/excerpt"
)

// The items of the Patient resource: Name--Last, Name--First, Date of Birth, Sex Assigned at
// Birth, Medical Record Number, Addr at DX--No & Street, --City, --State, --Postal Code.
const (
	itemNameLast   = 2230
	itemNameFirst  = 2240
	itemBirthDate  = 240
	itemSex        = 225
	itemMRN        = 2300
	itemStreet     = 2330
	itemCity       = 70
	itemState      = 80
	itemPostalCode = 100
)

var patientItems = []int{itemNameLast, itemNameFirst, itemBirthDate, itemSex, itemMRN, itemStreet, itemCity, itemState, itemPostalCode}

// Suggestion is an item value a bundle suggests, with where it came from: the path of the
// resource field and the coding or text read there.
type Suggestion struct {
	Item  int    `json:"item"`
	ID    string `json:"id"` // the item's naaccrId
	Name  string `json:"name"`
	Value string `json:"value"`
	Path  string `json:"path"`
	From  string `json:"from"`
}

// Result is what a bundle said: the patient, the ICD-10-CM codes casefinding screens, the
// suggestions, the issues, and the bundle's natural key.
type Result struct {
	// Key is the bundle's natural key: the SHA-256 of its identifier (system|value) when it has
	// one, else of its bytes; the same bundle sent twice has the same key.
	Key        string
	Identifier string // system|value of Bundle.identifier, "" when none
	SHA256     string // of the bytes received
	Type       string // transaction or collection

	MRN, NameLast, NameFirst, DateOfBirth, Sex string
	FirstContact                               string // CCYYMMDD: the cancer's date, else the bundle's
	Codes                                      []string
	Suggestions                                []Suggestion
	Issues                                     Issues
	Resources                                  map[string]int // how many of each type were read
}

// Text is a summary of the suggestions, one a line, for the suspense record.
func (r *Result) Text() string {
	var b strings.Builder
	for _, s := range r.Suggestions {
		fmt.Fprintf(&b, "%s [%d] = %s (%s: %s)\n", s.Name, s.Item, s.Value, s.Path, s.From)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// Suggested returns the suggestion of an item.
func (r *Result) Suggested(item int) (Suggestion, bool) {
	for _, s := range r.Suggestions {
		if s.Item == item {
			return s, true
		}
	}
	return Suggestion{}, false
}

// Map reads a bundle's bytes and maps its resources. It never panics on bad input: what is
// wrong is an issue of the result, and an error issue refuses the bundle (Result.Issues.Fatal).
func (m *Mapping) Map(raw []byte, today time.Time) *Result {
	sum := sha256.Sum256(raw)
	r := &Result{SHA256: hex.EncodeToString(sum[:]), Resources: map[string]int{}}
	mp := mapper{m: m, r: r, dates: map[int]string{}}
	mp.bundle(raw)
	if r.Key == "" {
		r.Key = r.SHA256
	}
	if r.FirstContact == "" {
		r.FirstContact = today.Format("20060102")
	}
	return r
}

type mapper struct {
	m       *Mapping
	r       *Result
	dates   map[int]string // item → the earliest date suggested
	patient string         // path of the Patient read
	cancer  string         // path of the first cancer Condition
}

func resourceType(raw []byte) (string, error) {
	var probe struct {
		ResourceType *string `json:"resourceType"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return "", err
	}
	if probe.ResourceType == nil {
		return "", errors.New("no resourceType")
	}
	return *probe.ResourceType, nil
}

// jsonReason says why JSON did not decode, and the field it names, if any.
func jsonReason(err error, raw []byte) (field, reason string) {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		line := 1 + bytes.Count(raw[:min(int(se.Offset), len(raw))], []byte("\n"))
		return "", fmt.Sprintf("not valid JSON: %s (line %d, byte %d)", se.Error(), line, se.Offset)
	case errors.As(err, &te):
		return te.Field, fmt.Sprintf("a JSON %s where FHIR wants a %s", te.Value, te.Type.String())
	}
	return "", excerpt.Clip(err.Error())
}

func (mp *mapper) bundle(raw []byte) {
	is := &mp.r.Issues
	if !utf8.Valid(raw) {
		is.add(SeverityError, "structure", "Bundle", "the body is not UTF-8 text: FHIR JSON is UTF-8")
		return
	}
	rt, err := resourceType(raw)
	if err != nil {
		_, reason := jsonReason(err, raw)
		if err.Error() == "no resourceType" {
			reason = "no resourceType: a FHIR Bundle is a JSON object with \"resourceType\": \"Bundle\""
		}
		is.add(SeverityError, "structure", "Bundle", "%s", reason)
		return
	}
	if rt != "Bundle" {
		is.add(SeverityError, "not-supported", rt, "a %s, not a Bundle: send a transaction or collection Bundle", excerpt.Quote(rt))
		return
	}
	b, err := fhir.UnmarshalBundle(raw)
	if err != nil {
		field, reason := jsonReason(err, raw)
		is.add(SeverityError, "structure", joinPath("Bundle", field), "%s", reason)
		return
	}
	switch b.Type {
	case fhir.BundleTypeTransaction, fhir.BundleTypeCollection:
		mp.r.Type = b.Type.Code()
	default:
		is.add(SeverityError, "not-supported", "Bundle.type", "a %s bundle: cara takes a transaction or collection bundle", b.Type.Code())
		return
	}
	if id := b.Identifier; id != nil && id.Value != nil && *id.Value != "" {
		mp.r.Identifier = deref(id.System) + "|" + *id.Value
		k := sha256.Sum256([]byte("fhir-bundle-identifier\x1f" + mp.r.Identifier))
		mp.r.Key = hex.EncodeToString(k[:])
	}
	for i, e := range b.Entry {
		mp.entry(i, e)
	}
	if mp.patient == "" {
		is.add(SeverityError, "required", "Bundle.entry", "no Patient: a bundle brings the patient its resources are about, for matching")
	}
	if mp.cancer == "" && !is.Fatal() {
		is.add(SeverityWarning, "not-found", "Bundle.entry", "no Condition with a cancer code cara maps: the registrar reads the record")
	}
	for item, d := range mp.dates {
		if item == 390 && len(d) == 8 {
			mp.r.FirstContact = d
		}
	}
	if mp.r.FirstContact == "" && b.Timestamp != nil {
		if d, ok := fhirDate(*b.Timestamp); ok && len(d) == 8 {
			mp.r.FirstContact = d
		}
	}
}

func joinPath(base, field string) string {
	if field == "" {
		return base
	}
	return base + "." + field
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (mp *mapper) entry(i int, e fhir.BundleEntry) {
	is := &mp.r.Issues
	at := fmt.Sprintf("Bundle.entry[%d]", i)
	if len(e.Resource) == 0 || string(e.Resource) == "null" {
		is.add(SeverityWarning, "required", at, "an entry without a resource is not read")
		return
	}
	rt, err := resourceType(e.Resource)
	if err != nil {
		is.add(SeverityError, "structure", at+".resource", "the resource has no resourceType")
		return
	}
	at = fmt.Sprintf("%s.resource(%s)", at, rt)
	decode := func(v any) bool {
		if err := json.Unmarshal(e.Resource, v); err != nil {
			field, reason := jsonReason(err, e.Resource)
			is.add(SeverityError, "structure", joinPath(at, field), "%s", reason)
			return false
		}
		mp.r.Resources[rt]++
		return true
	}
	switch rt {
	case "Patient":
		var p fhir.Patient
		if decode(&p) {
			mp.patientResource(at, &p)
		}
	case "Condition":
		var c fhir.Condition
		if decode(&c) {
			mp.condition(at, &c)
		}
	case "Observation":
		var o fhir.Observation
		if decode(&o) {
			mp.observation(at, &o)
		}
	case "Procedure":
		var p fhir.Procedure
		if decode(&p) {
			mp.procedure(at, &p)
		}
	case "MedicationAdministration":
		var ma fhir.MedicationAdministration
		if decode(&ma) {
			date, datePath := ma.EffectiveDateTime, at+".effectiveDateTime"
			if date == "" && ma.EffectivePeriod.Start != nil {
				date, datePath = *ma.EffectivePeriod.Start, at+".effectivePeriod.start"
			}
			mp.codeable(rt, "medication", at+".medicationCodeableConcept", &ma.MedicationCodeableConcept, date, datePath, nil)
		}
	case "MedicationRequest":
		var mr fhir.MedicationRequest
		if decode(&mr) {
			mp.codeable(rt, "medication", at+".medicationCodeableConcept", &mr.MedicationCodeableConcept, deref(mr.AuthoredOn), at+".authoredOn", nil)
		}
	default:
		is.add(SeverityWarning, "not-supported", at, "a %s is not one of the resources cara reads (Patient, Condition, Observation, Procedure, MedicationAdministration, MedicationRequest): not read", rt)
	}
}

func (mp *mapper) patientResource(at string, p *fhir.Patient) {
	is := &mp.r.Issues
	if mp.patient != "" {
		is.add(SeverityError, "structure", at, "a second Patient (the first is %s): a bundle brings one patient's resources", mp.patient)
		return
	}
	mp.patient = at
	for i, n := range p.Name {
		if n.Use != nil && (*n.Use == fhir.NameUseOld || *n.Use == fhir.NameUseMaiden) {
			continue
		}
		np := fmt.Sprintf("%s.name[%d]", at, i)
		if n.Family != nil {
			mp.r.NameLast = strings.TrimSpace(*n.Family)
			mp.suggest(itemNameLast, mp.r.NameLast, np+".family", *n.Family)
		}
		if len(n.Given) > 0 {
			mp.r.NameFirst = strings.TrimSpace(n.Given[0])
			mp.suggest(itemNameFirst, mp.r.NameFirst, np+".given[0]", n.Given[0])
		}
		break
	}
	if p.BirthDate != nil {
		if d, ok := mp.date(*p.BirthDate, at+".birthDate"); ok {
			mp.r.DateOfBirth = d
			mp.suggest(itemBirthDate, d, at+".birthDate", *p.BirthDate)
		}
	}
	if p.Gender != nil {
		g := p.Gender.Code()
		if v, ok := mp.m.Patient.Gender[g]; ok {
			mp.r.Sex = v
			mp.suggest(itemSex, v, at+".gender", g)
		} else {
			is.add(SeverityWarning, "code-invalid", at+".gender", "gender %s says nothing of the sex assigned at birth: Sex [225] is left to the registrar", g)
		}
	}
	for i, id := range p.Identifier {
		if id.Value == nil || id.Type == nil {
			continue
		}
		for _, c := range id.Type.Coding {
			if deref(c.System) == mp.m.Systems["identifier_type"] && containsStr(mp.m.Patient.MRNTypes, deref(c.Code)) && mp.r.MRN == "" {
				mp.r.MRN = strings.TrimSpace(*id.Value)
				mp.suggest(itemMRN, mp.r.MRN, fmt.Sprintf("%s.identifier[%d].value", at, i), deref(id.System)+"|"+*id.Value)
			}
		}
	}
	if mp.r.MRN == "" {
		is.add(SeverityWarning, "required", at+".identifier", "no medical record number (an identifier of type MR): the match rests on name and date of birth")
	}
	for i, a := range p.Address {
		if a.Use != nil && *a.Use == fhir.AddressUseOld {
			continue
		}
		ap := fmt.Sprintf("%s.address[%d]", at, i)
		if len(a.Line) > 0 {
			mp.suggest(itemStreet, strings.ToUpper(strings.Join(a.Line, " ")), ap+".line", strings.Join(a.Line, ", "))
		}
		if a.City != nil {
			mp.suggest(itemCity, strings.ToUpper(*a.City), ap+".city", *a.City)
		}
		if a.State != nil {
			mp.suggest(itemState, strings.ToUpper(*a.State), ap+".state", *a.State)
		}
		if a.PostalCode != nil {
			mp.suggest(itemPostalCode, strings.ReplaceAll(*a.PostalCode, "-", ""), ap+".postalCode", *a.PostalCode)
		}
		break
	}
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// The mCODE extensions cara reads.
const (
	extMorphology = "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-histology-morphology-behavior"
	extLaterality = "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-laterality-qualifier"
)

func (mp *mapper) condition(at string, c *fhir.Condition) {
	date, datePath := deref(c.OnsetDateTime), at+".onsetDateTime"
	if date == "" && c.OnsetPeriod != nil && c.OnsetPeriod.Start != nil {
		date, datePath = *c.OnsetPeriod.Start, at+".onsetPeriod.start"
	}
	if date == "" && c.RecordedDate != nil {
		date, datePath = *c.RecordedDate, at+".recordedDate"
	}
	before := len(mp.r.Suggestions) + len(mp.r.Codes)
	if c.Code != nil {
		mp.codeable("Condition", "code", at+".code", c.Code, date, datePath, nil)
	}
	for i, bs := range c.BodySite {
		bp := fmt.Sprintf("%s.bodySite[%d]", at, i)
		mp.codeable("Condition", "bodySite", bp, &bs, date, datePath, nil)
		for j, x := range bs.Extension {
			if x.Url == extLaterality && x.ValueCodeableConcept != nil {
				mp.codeable("Condition", "laterality", fmt.Sprintf("%s.extension[%d].valueCodeableConcept", bp, j), x.ValueCodeableConcept, "", "", nil)
			}
		}
	}
	for i, x := range c.Extension {
		if x.Url == extMorphology && x.ValueCodeableConcept != nil {
			mp.codeable("Condition", "morphology", fmt.Sprintf("%s.extension[%d].valueCodeableConcept", at, i), x.ValueCodeableConcept, "", "", nil)
		}
	}
	if len(mp.r.Suggestions)+len(mp.r.Codes) > before && mp.cancer == "" {
		mp.cancer = at
	}
}

func (mp *mapper) observation(at string, o *fhir.Observation) {
	mp.codeable("Observation", "code", at+".code", &o.Code, "", "", &observationValue{o: o, at: at})
}

func (mp *mapper) procedure(at string, p *fhir.Procedure) {
	date, datePath := deref(p.PerformedDateTime), at+".performedDateTime"
	if date == "" && p.PerformedPeriod != nil && p.PerformedPeriod.Start != nil {
		date, datePath = *p.PerformedPeriod.Start, at+".performedPeriod.start"
	}
	if p.Category != nil {
		mp.codeable("Procedure", "category", at+".category", p.Category, date, datePath, nil)
	}
	if p.Code != nil {
		mp.codeable("Procedure", "code", at+".code", p.Code, date, datePath, nil)
	}
}

// observationValue is the value of an Observation whose code a rule matched.
type observationValue struct {
	o  *fhir.Observation
	at string
}

// codeable applies the rules to the codings of one CodeableConcept of a resource; date is the
// resource's date for a rule's date_item, and obs the Observation whose value a rule may take.
func (mp *mapper) codeable(resource, field, at string, cc *fhir.CodeableConcept, date, datePath string, obs *observationValue) {
	is := &mp.r.Issues
	if !mp.m.reads(resource, field) {
		return
	}
	for i, c := range cc.Coding {
		cp := fmt.Sprintf("%s.coding[%d]", at, i)
		system, code := deref(c.System), strings.TrimSpace(deref(c.Code))
		if system == "" || code == "" {
			is.add(SeverityWarning, "required", cp, "a coding without a system and a code is not read")
			continue
		}
		if _, known := mp.m.known[system]; !known {
			is.add(SeverityWarning, "code-invalid", cp+".system", "code system %s is not one cara reads (schemas/ehr/fhir-mcode.yaml): the coding is not read", excerpt.Quote(system))
			continue
		}
		from := system + "|" + code
		if c.Display != nil {
			from += " (" + *c.Display + ")"
		}
		for ri := range mp.m.Rules {
			r := &mp.m.Rules[ri]
			if !r.matches(resource, field, system, code) {
				continue
			}
			if r.ICD10CM {
				if n, err := casefinding.NormalizeCode(code); err == nil {
					if !containsStr(mp.r.Codes, n) {
						mp.r.Codes = append(mp.r.Codes, n)
					}
				} else {
					is.add(SeverityWarning, "code-invalid", cp+".code", "%s", err.Error())
				}
			}
			if r.item != nil {
				if obs != nil && (r.Take == "value" || r.values != nil) {
					mp.obsValue(r, obs, from)
				} else {
					mp.suggest(r.Item, takeValue(r, code), cp, from)
				}
			}
			if r.dateItem != nil {
				if date == "" {
					is.add(SeverityWarning, "required", at, "no date: %s [%d] is left to the registrar", r.dateItem.Name, r.DateItem)
				} else if d, ok := mp.date(date, datePath); ok {
					if prev, had := mp.dates[r.DateItem]; !had || d < prev {
						mp.dates[r.DateItem] = d
						mp.replace(r.DateItem, d, datePath, date+" ("+from+")")
					}
				}
			}
		}
	}
}

func takeValue(r *Rule, code string) string {
	switch r.Take {
	case "topography":
		return strings.ReplaceAll(strings.ToUpper(code), ".", "")
	case "histology":
		h, _, _ := strings.Cut(code, "/")
		return h
	case "behavior":
		_, b, _ := strings.Cut(code, "/")
		return b
	case "code":
		return code
	}
	return r.Value
}

// obsValue suggests the item of a rule from the value of an Observation.
func (mp *mapper) obsValue(r *Rule, ov *observationValue, from string) {
	is := &mp.r.Issues
	o := ov.o
	if vc := o.ValueCodeableConcept; vc != nil {
		for i, c := range vc.Coding {
			cp := fmt.Sprintf("%s.valueCodeableConcept.coding[%d]", ov.at, i)
			code := strings.TrimSpace(deref(c.Code))
			if r.Take == "value" && code != "" {
				mp.suggest(r.Item, code, cp, from+" = "+deref(c.System)+"|"+code)
				return
			}
			if v, ok := r.values[deref(c.System)+"|"+code]; ok {
				mp.suggest(r.Item, v, cp, from+" = "+deref(c.System)+"|"+code+displayOf(c.Display))
				return
			}
		}
		is.add(SeverityWarning, "code-invalid", ov.at+".valueCodeableConcept", "no coding of the value maps to %s [%d]: left to the registrar", r.item.Name, r.Item)
		return
	}
	if r.Take == "value" && o.ValueString != nil && strings.TrimSpace(*o.ValueString) != "" {
		mp.suggest(r.Item, strings.TrimSpace(*o.ValueString), ov.at+".valueString", from+" = "+*o.ValueString)
		return
	}
	is.add(SeverityWarning, "required", ov.at+".value[x]", "no value cara reads (valueCodeableConcept): %s [%d] is left to the registrar", r.item.Name, r.Item)
}

func displayOf(d *string) string {
	if d == nil {
		return ""
	}
	return " (" + *d + ")"
}

// suggest adds an item's value; a second, different value of the same item is a warning and the
// first is kept.
func (mp *mapper) suggest(item int, value, path, from string) {
	is := &mp.r.Issues
	def := mp.m.items[item]
	if value == "" || def == nil {
		return
	}
	if utf8.RuneCountInString(value) > def.Length && !def.AllowUnlimitedText {
		is.add(SeverityWarning, "too-long", path, "%s is longer than %s [%d] holds (%d characters): not suggested", excerpt.Quote(value), def.Name, item, def.Length)
		return
	}
	for _, s := range mp.r.Suggestions {
		if s.Item == item {
			if s.Value != value {
				is.add(SeverityWarning, "value", path, "%s [%d] is %s here and %s at %s: the first is suggested", def.Name, item, excerpt.Quote(value), excerpt.Quote(s.Value), s.Path)
			}
			return
		}
	}
	mp.r.Suggestions = append(mp.r.Suggestions, Suggestion{Item: item, ID: def.ID, Name: def.Name, Value: value, Path: path, From: from})
}

// replace sets an item's value, replacing an earlier suggestion (a date earlier than the one
// suggested).
func (mp *mapper) replace(item int, value, path, from string) {
	for i := range mp.r.Suggestions {
		if mp.r.Suggestions[i].Item == item {
			mp.r.Suggestions[i].Value, mp.r.Suggestions[i].Path, mp.r.Suggestions[i].From = value, path, from
			return
		}
	}
	mp.suggest(item, value, path, from)
}

var fhirDateRE = regexp.MustCompile(`^([0-9]{4})(-([0-9]{2})(-([0-9]{2})(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}:[0-9]{2})?)?)?)?$`)

// fhirDate reads a FHIR date or dateTime (2026, 2026-03, 2026-03-02, 2026-03-02T10:00:00-05:00)
// as a NAACCR date: CCYY, CCYYMM or CCYYMMDD, the date as written (not moved to UTC).
func fhirDate(s string) (string, bool) {
	m := fhirDateRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return "", false
	}
	y, mo, d := m[1], m[3], m[5]
	switch {
	case d != "":
		if _, err := time.Parse("20060102", y+mo+d); err != nil {
			return "", false
		}
		return y + mo + d, true
	case mo != "":
		if mo < "01" || mo > "12" {
			return "", false
		}
		return y + mo, true
	}
	return y, true
}

// date reads a date of the bundle; an unparseable one is an error at its path.
func (mp *mapper) date(s, path string) (string, bool) {
	d, ok := fhirDate(s)
	if !ok || d[:4] < "1850" {
		mp.r.Issues.add(SeverityError, "value", path, "%s is not a FHIR date (YYYY, YYYY-MM, YYYY-MM-DD or a dateTime YYYY-MM-DDThh:mm:ss+zz:zz)", excerpt.Quote(s))
		return "", false
	}
	return d, true
}
