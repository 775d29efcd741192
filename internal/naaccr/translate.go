package naaccr

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"unicode/utf8"
)

// TranslationsFile is where LoadTranslations reads the translation rules in the schemas file
// system.
const TranslationsFile = "dictionaries/translations.csv"

// ItemTranslation is one rule of translations.csv: what becomes of an item going from one NAACCR
// version to the adjacent one. Items without a rule keep their naaccrId.
type ItemTranslation struct {
	FromVersion, ToVersion string
	FromID, ToID           string
	// Codes, when not nil, are the only values carried over, each to its new value; any other
	// value is reported as not carried over.
	Codes map[string]string
}

// Translations are the item translations between adjacent NAACCR base versions.
type Translations struct {
	rules map[versionStep]map[string]ItemTranslation // by step, then by FromID
}

type versionStep struct{ from, to string }

// LoadTranslations reads TranslationsFile from fsys (the schemas file system).
func LoadTranslations(fsys fs.FS) (*Translations, error) {
	f, err := fsys.Open(TranslationsFile)
	if err != nil {
		return nil, fmt.Errorf("naaccr: load translations: %w", err)
	}
	defer f.Close()
	return ParseTranslations(f)
}

var translationsHeader = []string{"from_version", "to_version", "from_id", "to_id", "codes"}

// ParseTranslations reads translation rules as CSV: a header from_version,to_version,from_id,
// to_id,codes, then one rule a line; lines starting with # are comments. codes is empty (values
// carried as they are) or space-separated from=to pairs. Rules go between adjacent versions of
// BaseVersions, at most one per item and step.
func ParseTranslations(r io.Reader) (*Translations, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = len(translationsHeader)
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("naaccr: parse translations: %w", err)
	}
	if !slices.Equal(header, translationsHeader) {
		return nil, fmt.Errorf("naaccr: parse translations: header %v, want %v", header, translationsHeader)
	}
	t := &Translations{rules: map[versionStep]map[string]ItemTranslation{}}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return t, nil
		}
		if err != nil {
			return nil, fmt.Errorf("naaccr: parse translations: %w", err)
		}
		line, _ := cr.FieldPos(0)
		if err := t.add(rec); err != nil {
			return nil, fmt.Errorf("naaccr: parse translations: line %d: %w", line, err)
		}
	}
}

// add checks one CSV record and adds its rule.
func (t *Translations) add(rec []string) error {
	rule := ItemTranslation{FromVersion: rec[0], ToVersion: rec[1], FromID: rec[2], ToID: rec[3]}
	if !adjacentVersions(rule.FromVersion, rule.ToVersion) {
		return fmt.Errorf("versions %q to %q are not adjacent versions of %v", rule.FromVersion, rule.ToVersion, BaseVersions)
	}
	for _, id := range []string{rule.FromID, rule.ToID} {
		if err := checkID(id); err != nil {
			return err
		}
	}
	codes, err := parseCodes(rec[4])
	if err != nil {
		return fmt.Errorf("item %s: %w", rule.FromID, err)
	}
	rule.Codes = codes
	step := versionStep{rule.FromVersion, rule.ToVersion}
	if t.rules[step] == nil {
		t.rules[step] = map[string]ItemTranslation{}
	}
	if _, dup := t.rules[step][rule.FromID]; dup {
		return fmt.Errorf("item %s has a second rule from %s to %s", rule.FromID, rule.FromVersion, rule.ToVersion)
	}
	t.rules[step][rule.FromID] = rule
	return nil
}

func adjacentVersions(a, b string) bool {
	i, j := slices.Index(BaseVersions, a), slices.Index(BaseVersions, b)
	return i >= 0 && j >= 0 && (i-j == 1 || j-i == 1)
}

// parseCodes parses "1=1 2=2 9=9"; an empty field gives nil (every value carried as is).
func parseCodes(s string) (map[string]string, error) {
	pairs := strings.Fields(s)
	if len(pairs) == 0 {
		return nil, nil
	}
	codes := make(map[string]string, len(pairs))
	for _, p := range pairs {
		from, to, ok := strings.Cut(p, "=")
		if !ok || from == "" || to == "" {
			return nil, fmt.Errorf("code pair %q, want from=to", p)
		}
		if _, dup := codes[from]; dup {
			return nil, fmt.Errorf("code %q is mapped twice", from)
		}
		codes[from] = to
	}
	return codes, nil
}

// Rules returns the rules of one step, sorted by FromID.
func (t *Translations) Rules(fromVersion, toVersion string) []ItemTranslation {
	var out []ItemTranslation
	for _, r := range t.rules[versionStep{fromVersion, toVersion}] {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b ItemTranslation) int { return strings.Compare(a.FromID, b.FromID) })
	return out
}

// Translator carries item values from one schema to another: from one NAACCR base version to
// another (240, 250 and 260, either way, through the versions in between) and between sets of
// user dictionaries. Build one per pair of schemas and use it for every patient of a file; it is
// safe for concurrent use.
//
// A value is carried over when its item, renamed or recoded by the translation rules, exists in
// the target schema at the same level, its value is among the rule's codes (if the rule lists
// codes), it is no longer than the target item (unless the target allows unlimited text) and,
// when the data type changed between the schemas, it is valid for the new type. Any other value
// is not carried over and is counted in the TranslateReport under its source naaccrId with the
// reason: nothing is dropped silently. Empty values are left out.
type Translator struct {
	fromVersion, toVersion string
	routes                 map[string]route // by source naaccrId
	// identity says every item goes to the item of the same naaccrId, with its codes and data
	// type: a conversion to the same schema, which changes only what cannot be carried at all.
	identity bool
}

// route is where the values of one source item go.
type route struct {
	def       *ItemDef          // target item; nil when there is none
	codes     map[string]string // nil: values carried as they are
	checkType bool              // the data type changed: check values against the target's
	lost      string            // why values are not carried, when def is nil
}

// NewTranslator plans the translation of every item of from into to.
func (t *Translations) NewTranslator(from, to *Schema) (*Translator, error) {
	if from == nil || to == nil || from.Base == nil || to.Base == nil {
		return nil, errors.New("naaccr: new translator: a schema with a base dictionary is required at both ends")
	}
	steps, err := versionSteps(from.Base.NaaccrVersion, to.Base.NaaccrVersion)
	if err != nil {
		return nil, fmt.Errorf("naaccr: new translator: %w", err)
	}
	tr := &Translator{
		fromVersion: from.Base.NaaccrVersion,
		toVersion:   to.Base.NaaccrVersion,
		routes:      make(map[string]route, len(from.Items())),
	}
	sources := map[string]string{} // target naaccrId -> source naaccrId
	tr.identity = tr.fromVersion == tr.toVersion
	for _, src := range from.Items() {
		r := t.route(src, steps, to)
		if r.def == nil || r.def.ID != src.ID || r.codes != nil || r.checkType || r.def.Parent != src.Parent ||
			r.def.Length != src.Length || r.def.AllowUnlimitedText != src.AllowUnlimitedText {
			tr.identity = false
		}
		if r.def != nil {
			if other, dup := sources[r.def.ID]; dup {
				return nil, fmt.Errorf("naaccr: new translator: items %q and %q both translate to %q", other, src.ID, r.def.ID)
			}
			sources[r.def.ID] = src.ID
		}
		tr.routes[src.ID] = r
	}
	return tr, nil
}

// route follows one source item through the steps and finds its target item.
func (t *Translations) route(src *ItemDef, steps []versionStep, to *Schema) route {
	id := src.ID
	var codes map[string]string
	for _, s := range steps {
		if rule, ok := t.rules[s][id]; ok {
			id = rule.ToID
			codes = composeCodes(codes, rule.Codes)
		}
	}
	def, ok := to.Item(id)
	if !ok {
		reason := fmt.Sprintf("not defined in NAACCR %s", to.Base.NaaccrVersion)
		if id != src.ID {
			reason = fmt.Sprintf("becomes %s, not defined in NAACCR %s", id, to.Base.NaaccrVersion)
		}
		return route{lost: reason}
	}
	return route{def: def, codes: codes, checkType: def.DataType != src.DataType}
}

// versionSteps lists the adjacent steps from one base version to another.
func versionSteps(from, to string) ([]versionStep, error) {
	i, j := slices.Index(BaseVersions, from), slices.Index(BaseVersions, to)
	if i < 0 || j < 0 {
		return nil, fmt.Errorf("no translation from NAACCR %q to %q: versions %v are known", from, to, BaseVersions)
	}
	var steps []versionStep
	for i != j {
		next := i + 1
		if j < i {
			next = i - 1
		}
		steps = append(steps, versionStep{BaseVersions[i], BaseVersions[next]})
		i = next
	}
	return steps, nil
}

// composeCodes chains two code maps; nil means every value carried as is.
func composeCodes(first, then map[string]string) map[string]string {
	if first == nil {
		return then
	}
	if then == nil {
		return first
	}
	out := make(map[string]string, len(first))
	for k, v := range first {
		if w, ok := then[v]; ok {
			out[k] = w
		}
	}
	return out
}

// Patient returns p translated into the target schema, leaving p as it is, with a report of the
// values it could not carry over. Its extension elements are carried over unchanged.
func (t *Translator) Patient(p *Patient) (*Patient, TranslateReport) {
	rep := t.newReport()
	// Extensions belong to no NAACCR version: they are carried over as they are.
	out := &Patient{Items: t.items(p.Items, ParentPatient, &rep), Extensions: slices.Clone(p.Extensions)}
	for _, tu := range p.Tumors {
		out.Tumors = append(out.Tumors, Tumor{Items: t.items(tu.Items, ParentTumor, &rep), Extensions: slices.Clone(tu.Extensions)})
	}
	return out, rep
}

// PatientInPlace translates p itself, with the report Patient gives. A translation to the same
// schema (a copy) changes p's maps only where a value cannot be carried over, without copying
// the others: the reader's values go straight to the writer. Other translations replace p's
// maps with translated ones.
func (t *Translator) PatientInPlace(p *Patient) TranslateReport {
	if !t.identity {
		out, rep := t.Patient(p)
		p.Items, p.Extensions = out.Items, out.Extensions
		p.Tumors = append(p.Tumors[:0], out.Tumors...)
		return rep
	}
	rep := t.newReport()
	t.keepInPlace(p.Items, ParentPatient, &rep)
	for i := range p.Tumors {
		t.keepInPlace(p.Tumors[i].Items, ParentTumor, &rep)
	}
	return rep
}

// keepInPlace is items for an identity translation: it deletes from m what cannot be carried
// over, for the same reasons.
func (t *Translator) keepInPlace(m map[string]string, level Parent, rep *TranslateReport) {
	for id, v := range m {
		if v == "" {
			delete(m, id)
			continue
		}
		r, ok := t.routes[id]
		if ok && r.def.Parent == level && (r.def.AllowUnlimitedText || len(v) <= r.def.Length) {
			rep.Carried++ // bytes ≥ characters: short enough (the usual case) without counting
			continue
		}
		if _, _, reason := t.value(id, v, level); reason != "" {
			rep.lose(id, reason)
			delete(m, id)
			continue
		}
		rep.Carried++
	}
}

// Root translates the items of a file's NaaccrData element (Header.RootItems), such as
// naaccrRecordVersion.
func (t *Translator) Root(items map[string]string) (map[string]string, TranslateReport) {
	rep := t.newReport()
	return t.items(items, ParentRoot, &rep), rep
}

func (t *Translator) newReport() TranslateReport {
	return TranslateReport{From: t.fromVersion, To: t.toVersion}
}

// items translates the items of one element at the given level.
func (t *Translator) items(src map[string]string, level Parent, rep *TranslateReport) map[string]string {
	out := make(map[string]string, len(src))
	for id, v := range src {
		if v == "" {
			continue
		}
		toID, tv, reason := t.value(id, v, level)
		if reason != "" {
			rep.lose(id, reason)
			continue
		}
		out[toID] = tv
		rep.Carried++
	}
	return out
}

// value translates one value; a non-empty reason says why it cannot be carried over.
func (t *Translator) value(id, v string, level Parent) (toID, tv, reason string) {
	r, ok := t.routes[id]
	switch {
	case !ok:
		return "", "", fmt.Sprintf("not defined in the source dictionaries (NAACCR %s)", t.fromVersion)
	case r.def == nil:
		return "", "", r.lost
	case r.def.Parent != level:
		return "", "", fmt.Sprintf("%s is a %s item in NAACCR %s", r.def.ID, r.def.Parent, t.toVersion)
	}
	if r.codes != nil {
		code, ok := r.codes[v]
		if !ok {
			return "", "", fmt.Sprintf("code %q has no equivalent in %s", clip(v), r.def.ID)
		}
		v = code
	}
	if !r.def.AllowUnlimitedText && utf8.RuneCountInString(v) > r.def.Length {
		return "", "", fmt.Sprintf("longer than %d characters, the length of %s in NAACCR %s", r.def.Length, r.def.ID, t.toVersion)
	}
	if r.checkType && CheckType(r.def.DataType, v) != nil {
		return "", "", fmt.Sprintf("not a valid %s value, the data type of %s in NAACCR %s", r.def.DataType, r.def.ID, t.toVersion)
	}
	return r.def.ID, v, ""
}

// TranslateReport says what a translation carried over and what it could not. Reports of the
// patients of a file add up with Add.
type TranslateReport struct {
	From, To string // NAACCR versions
	Carried  int    // values carried over, renamed or recoded as the rules say
	// Lost holds, by source naaccrId, the values not carried over; nil when there are none.
	Lost map[string]*ItemLoss
}

// ItemLoss counts the values of one item that were not carried over, and says why.
type ItemLoss struct {
	Count   int
	Reasons []string // distinct, sorted; at most maxReasons
	// MoreReasons says that reasons beyond maxReasons were left out (each bad code of a file is a
	// reason of its own: a hostile file must not make the report as big as itself).
	MoreReasons bool
}

// maxReasons is how many distinct reasons an ItemLoss keeps.
const maxReasons = 20

func (r *TranslateReport) lose(id, reason string) {
	l := r.loss(id)
	l.Count++
	l.addReason(reason)
}

// loss returns the loss entry of an item, made if need be.
func (r *TranslateReport) loss(id string) *ItemLoss {
	if r.Lost == nil {
		r.Lost = map[string]*ItemLoss{}
	}
	l := r.Lost[id]
	if l == nil {
		l = &ItemLoss{}
		r.Lost[id] = l
	}
	return l
}

func (l *ItemLoss) addReason(reason string) {
	if i, found := slices.BinarySearch(l.Reasons, reason); !found {
		if len(l.Reasons) >= maxReasons {
			l.MoreReasons = true
			return
		}
		l.Reasons = slices.Insert(l.Reasons, i, reason)
	}
}

// Add adds the counts of another report to r, taking its versions if r has none yet.
func (r *TranslateReport) Add(o TranslateReport) {
	if r.From == "" && r.To == "" {
		r.From, r.To = o.From, o.To
	}
	r.Carried += o.Carried
	for id, ol := range o.Lost {
		l := r.loss(id)
		l.Count += ol.Count
		for _, reason := range ol.Reasons {
			l.addReason(reason)
		}
		l.MoreReasons = l.MoreReasons || ol.MoreReasons
	}
}

// LostValues is the number of values not carried over.
func (r *TranslateReport) LostValues() int {
	n := 0
	for _, l := range r.Lost {
		n += l.Count
	}
	return n
}

// String summarises the report: a first line of counts, then a line per item not carried over,
// by naaccrId.
func (r *TranslateReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "NAACCR %s to %s: %d values carried over, %d not", r.From, r.To, r.Carried, r.LostValues())
	ids := make([]string, 0, len(r.Lost))
	for id := range r.Lost {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		l := r.Lost[id]
		more := ""
		if l.MoreReasons {
			more = "; and other reasons"
		}
		fmt.Fprintf(&b, "\n%s: %d not carried over (%s%s)", id, l.Count, strings.Join(l.Reasons, "; "), more)
	}
	return b.String()
}
