package ehr

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/cara-registry/cara/internal/codes"
	"github.com/cara-registry/cara/internal/hl7"
)

// Report is a pathology message as cara reads it.
type Report struct {
	Sender      string // MSH-3 and MSH-4, as "LAB^FACILITY^ID"
	ControlID   string // MSH-10
	MessageType string
	MessageDate string // MSH-7, CCYYMMDD

	MRN, NameLast, NameFirst, NameMiddle string
	DateOfBirth                          string // CCYYMMDD
	Sex                                  string // Sex Assigned at Birth code: 1, 2, 9 or ""

	OrderingProvider string
	Accession        string
	CollectedAt      string // specimen collection date, CCYYMMDD

	Sections    []ReportSection
	Suggestions []Suggestion
}

// ReportSection is a part of the report's text.
type ReportSection struct {
	Role, Label, Text string
}

// Suggestion is a value for an item read from the report, with where it came from: the
// segment (and its position) and field, and the text read.
type Suggestion struct {
	Item       string
	Value      string
	Source     string // "OBX 7 (LN 85337-4)", "OBR-7", "final diagnosis"
	SourceText string
}

// Problem is a message cara will not take, with where and why, as the ACK's ERR says it.
type Problem struct {
	Ack    string // hl7.AE or hl7.AR
	Detail hl7.AckError
}

func (p *Problem) Error() string { return p.Detail.Reason }

func problem(ack, seg string, seq, field int, code, format string, a ...any) *Problem {
	reason := fmt.Sprintf(format, a...)
	if seg != "" && field > 0 {
		reason = fmt.Sprintf("%s-%d: %s", seg, field, reason)
	} else if seg != "" {
		reason = seg + ": " + reason
	}
	return &Problem{Ack: ack, Detail: hl7.AckError{Segment: seg, Sequence: seq, Field: field, Code: code, Reason: reason}}
}

// Mapper reads pathology messages with a mapping and the ICD-O-3 look-up. It is safe for use
// by many goroutines.
type Mapper struct {
	m          *Mapping
	topography *codes.List
	histology  *codes.List

	// The look-up is made for a registrar typing, about 0.1 ms a search; a report asks it of
	// each phrase of its diagnosis twice, and labs write the same phrases over and over
	// ("INVASIVE DUCTAL CARCINOMA"), so its answers are kept, a bounded number of them.
	mu     sync.Mutex
	looked map[lookKey]codes.Match
}

type lookKey struct {
	histology bool
	phrase    string
}

// maxLooked bounds the look-up answers kept; past it they are dropped and gathered again.
const maxLooked = 20000

// NewMapper makes a mapper; tables may be nil (no site or histology is then suggested).
func NewMapper(m *Mapping, tables *codes.Tables) *Mapper {
	mp := &Mapper{m: m, looked: map[lookKey]codes.Match{}}
	if tables != nil {
		mp.topography, _ = tables.List(codes.SchemeTopography)
		mp.histology, _ = tables.List(codes.SchemeHistology)
	}
	return mp
}

// Map reads a parsed message into a report, or says why it is not one cara takes: AR for
// another message type or version, AE for a pathology report missing what it needs or with a
// value that is wrong (naming the segment and field).
func (mp *Mapper) Map(msg *hl7.Message) (*Report, *Problem) {
	msh, _ := msg.Segment("MSH")
	if t := msg.Type(); t != "ORU^R01" {
		return nil, problem(hl7.AR, "MSH", 1, 9, hl7.ErrUnsupportedMessage, "message type %q: cara takes pathology reports, ORU^R01", t)
	}
	if v := msh.Text(12); !strings.HasPrefix(v, "2.") {
		return nil, problem(hl7.AR, "MSH", 1, 12, hl7.ErrUnsupportedVersion, "version %q: cara reads HL7 version 2 (2.5.1)", v)
	}
	r := &Report{MessageType: "ORU^R01", ControlID: msh.Text(10)}
	if r.ControlID == "" {
		return nil, problem(hl7.AE, "MSH", 1, 10, hl7.ErrRequiredField, "the message control id is empty")
	}
	r.Sender = joinNonEmpty("^", msh.Text(3), msh.Get(4, 1, 1), msh.Get(4, 2, 1))
	if r.Sender == "" {
		return nil, problem(hl7.AE, "MSH", 1, 4, hl7.ErrRequiredField, "no sending application or facility")
	}
	r.MessageDate, _ = hl7Date(msh.Text(7))

	pidSeq, pid := find(msg, "PID")
	if pid == nil {
		return nil, problem(hl7.AE, "PID", 0, 0, hl7.ErrSegmentSequence, "no PID segment: the patient is not named")
	}
	if p := mp.patient(r, pid, pidSeq); p != nil {
		return nil, p
	}
	obrSeq, obr := find(msg, "OBR")
	if obr == nil {
		return nil, problem(hl7.AE, "OBR", 0, 0, hl7.ErrSegmentSequence, "no OBR segment: the report has no order")
	}
	if p := mp.order(r, msg, obr, obrSeq); p != nil {
		return nil, p
	}
	if p := mp.observations(r, msg); p != nil {
		return nil, p
	}
	for _, f := range mp.m.Fields {
		mp.field(r, msg, f)
	}
	mp.diagnosis(r)
	return r, nil
}

func find(msg *hl7.Message, name string) (int, *hl7.Segment) {
	for i := range msg.Segments {
		if msg.Segments[i].Name == name {
			return i + 1, &msg.Segments[i]
		}
	}
	return 0, nil
}

func joinNonEmpty(sep string, vs ...string) string {
	var out []string
	for _, v := range vs {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return strings.Join(out, sep)
}

func (mp *Mapper) patient(r *Report, pid *hl7.Segment, seq int) *Problem {
	ids := pid.Field(3)
	if len(ids) == 0 {
		return problem(hl7.AE, "PID", seq, 3, hl7.ErrRequiredField, "no patient identifier (the medical record number)")
	}
	r.MRN = ids[0].Get(1, 1)
	for _, id := range ids { // the repetition whose type (CX-5) is MR, when there is one
		if strings.EqualFold(id.Get(5, 1), "MR") {
			r.MRN = id.Get(1, 1)
			break
		}
	}
	r.MRN = strings.TrimSpace(r.MRN)
	if r.MRN == "" || len(r.MRN) > 15 {
		return problem(hl7.AE, "PID", seq, 3, hl7.ErrDataType, "medical record number %q: want 1 to 15 characters", clip(r.MRN))
	}
	r.NameLast = strings.TrimSpace(pid.Get(5, 1, 1))
	r.NameFirst = strings.TrimSpace(pid.Get(5, 2, 1))
	r.NameMiddle = strings.TrimSpace(pid.Get(5, 3, 1))
	if r.NameLast == "" {
		return problem(hl7.AE, "PID", seq, 5, hl7.ErrRequiredField, "no family name")
	}
	if len([]rune(r.NameLast)) > 40 || len([]rune(r.NameFirst)) > 40 {
		return problem(hl7.AE, "PID", seq, 5, hl7.ErrDataType, "a name longer than 40 characters")
	}
	if v := pid.Text(7); v != "" {
		d, ok := hl7Date(v)
		if !ok {
			return problem(hl7.AE, "PID", seq, 7, hl7.ErrDataType, "date of birth %q: want CCYYMMDD", clip(v))
		}
		r.DateOfBirth = d
	}
	switch strings.ToUpper(pid.Text(8)) {
	case "M":
		r.Sex = "1"
	case "F":
		r.Sex = "2"
	case "":
	default: // U, A, O, N: unknown as an item code; the report keeps what was sent
		r.Sex = "9"
	}
	return nil
}

func (mp *Mapper) order(r *Report, msg *hl7.Message, obr *hl7.Segment, seq int) *Problem {
	// The accession number (the surgical pathology case number) is the filler order number.
	r.Accession = strings.TrimSpace(obr.Get(3, 1, 1))
	if _, orc := find(msg, "ORC"); r.Accession == "" && orc != nil {
		r.Accession = strings.TrimSpace(orc.Get(3, 1, 1))
	}
	prov := obr.Field(16).First()
	if _, orc := find(msg, "ORC"); len(prov) == 0 && orc != nil {
		prov = orc.Field(12).First()
	}
	if len(prov) > 0 {
		name := joinNonEmpty(" ", prov.Get(3, 1), prov.Get(4, 1), prov.Get(2, 1))
		if id := prov.Get(1, 1); id != "" && name != "" {
			name += " (" + id + ")"
		} else if name == "" {
			name = id
		}
		r.OrderingProvider = name
	}
	if v := obr.Text(7); v != "" {
		d, ok := hl7Date(v)
		if !ok {
			return problem(hl7.AE, "OBR", seq, 7, hl7.ErrDataType, "specimen collection date %q: want a date CCYYMMDD[HHMM...]", clip(v))
		}
		r.CollectedAt = d
	} else if spmSeq, spm := find(msg, "SPM"); spm != nil && spm.Text(17) != "" {
		d, ok := hl7Date(spm.Text(17))
		if !ok {
			return problem(hl7.AE, "SPM", spmSeq, 17, hl7.ErrDataType, "specimen collection date %q: want a date", clip(spm.Text(17)))
		}
		r.CollectedAt = d
	}
	return nil
}

func (mp *Mapper) observations(r *Report, msg *hl7.Message) *Problem {
	texts := make([][]string, len(mp.m.Sections))
	for i := range msg.Segments {
		seg := &msg.Segments[i]
		if seg.Name != "OBX" {
			continue
		}
		key := obsKey(seg.Get(3, 3, 1) + " " + seg.Get(3, 1, 1))
		if key == "" {
			key = obsKey(seg.Get(3, 6, 1) + " " + seg.Get(3, 4, 1)) // the alternate identifier
		}
		if si, ok := mp.m.section[key]; ok {
			for _, rep := range seg.Field(5) {
				texts[si] = append(texts[si], repText(rep))
			}
			continue
		}
		ii, ok := mp.m.item[key]
		if !ok {
			continue
		}
		rule := &mp.m.Items[ii]
		src := fmt.Sprintf("OBX %d (%s)", i+1, key)
		if s, ok := mp.itemValue(rule, seg); ok {
			s.Source = src
			r.Suggestions = append(r.Suggestions, s)
		}
	}
	for i, t := range texts {
		if len(t) == 0 {
			continue
		}
		s := mp.m.Sections[i]
		r.Sections = append(r.Sections, ReportSection{Role: s.Role, Label: s.Label, Text: strings.TrimSpace(strings.Join(t, "\n"))})
	}
	if len(r.Sections) == 0 {
		return problem(hl7.AE, "OBX", 0, 3, hl7.ErrRequiredField, "no OBX holds report text (final diagnosis, gross or microscopic description) that the mapping names")
	}
	return nil
}

// repText is an OBX-5 repetition as text: its components (a coded value's text) joined.
func repText(rep hl7.Repetition) string {
	if len(rep) == 1 {
		return strings.Join(rep[0], " ")
	}
	var parts []string
	for _, c := range rep {
		if s := strings.TrimSpace(strings.Join(c, " ")); s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, " ")
}

func (mp *Mapper) itemValue(rule *ItemRule, obx *hl7.Segment) (Suggestion, bool) {
	v := obx.Field(5).First()
	text := repText(v)
	s := Suggestion{Item: rule.Item, SourceText: text}
	if rule.Convert == "size_mm" {
		code, ok := sizeMM(v.Get(1, 1), obx.Get(6, 1, 1))
		s.Value, s.SourceText = code, strings.TrimSpace(text+" "+obx.Get(6, 1, 1))
		return s, ok
	}
	for _, cand := range []string{v.Get(1, 1), v.Get(2, 1), text} {
		if code, ok := rule.Values[normValue(cand)]; ok && cand != "" {
			s.Value = code
			return s, true
		}
	}
	return s, false
}

// sizeMM is Tumor Size Summary [756] of a measure: millimetres in three digits, 001 to 988
// (a part of a millimetre rounds up to 001), 989 for 989 mm or more.
func sizeMM(num, unit string) (string, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || f <= 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		return "", false
	}
	switch strings.ToLower(strings.TrimSpace(unit)) {
	case "mm":
	case "cm":
		f *= 10
	default:
		return "", false
	}
	mm := int(math.Round(f))
	mm = max(mm, 1)
	mm = min(mm, 989)
	return fmt.Sprintf("%03d", mm), true
}

func (mp *Mapper) field(r *Report, msg *hl7.Message, f FieldRule) {
	_, seg := find(msg, f.seg)
	if seg == nil {
		return
	}
	v := strings.TrimSpace(seg.Get(f.n, f.c, 1))
	if v == "" {
		return
	}
	src := fmt.Sprintf("%s-%d", f.seg, f.n)
	if f.c > 1 {
		src += fmt.Sprintf(".%d", f.c)
	}
	if f.Label != "" {
		src += " (" + f.Label + ")"
	}
	val := v
	if f.Convert == "date" {
		d, ok := hl7Date(v)
		if !ok {
			return
		}
		val = d
	}
	r.Suggestions = append(r.Suggestions, Suggestion{Item: f.Item, Value: val, Source: src, SourceText: v})
}

// lookupThreshold is the score of a look-up match whose every word starts a word of one term
// of the code (codes' rankLabelWords): weaker matches are not offered as a suggestion.
const lookupThreshold = 3_000_000

// diagnosis suggests primary site, histology and behavior from the diagnosis text, phrase by
// phrase ("LEFT BREAST, CORE BIOPSY: INVASIVE DUCTAL CARCINOMA" reads as three phrases), and
// laterality from a phrase naming a side when no synoptic value gave it.
func (mp *Mapper) diagnosis(r *Report) {
	text := ""
	for _, s := range r.Sections {
		if s.Role == mp.m.DiagnosisSection {
			text = s.Text
		}
	}
	if text == "" || mp.topography == nil || mp.histology == nil {
		return
	}
	phrases := strings.FieldsFunc(text, func(c rune) bool {
		return c == ',' || c == ':' || c == ';' || c == '\n' || c == '(' || c == ')'
	})
	if len(phrases) > 20 {
		phrases = phrases[:20] // the diagnosis comes first; a long report's later lines are notes
	}
	var site, hist codes.Match
	var sitePhrase, histPhrase string
	for _, p := range phrases {
		p = strings.TrimFunc(p, func(c rune) bool { return unicode.IsSpace(c) || c == '-' || c == '.' })
		if len(p) < 4 || len(p) > 80 {
			continue
		}
		if m := mp.lookUp(false, p); m.Score >= lookupThreshold && m.Score > site.Score {
			site, sitePhrase = m, p
		}
		if m := mp.lookUp(true, p); m.Score >= lookupThreshold && m.Score > hist.Score {
			hist, histPhrase = m, p
		}
	}
	src := "final diagnosis (look-up)"
	if sitePhrase != "" {
		r.add(Suggestion{Item: "primarySite", Value: site.Code.Code, Source: src, SourceText: sitePhrase})
		if side := sideOf(sitePhrase); side != "" {
			r.add(Suggestion{Item: "laterality", Value: side, Source: "final diagnosis", SourceText: sitePhrase})
		}
	}
	if histPhrase != "" {
		r.add(Suggestion{Item: "histologicTypeIcdO3", Value: hist.Code.Code, Source: src, SourceText: histPhrase})
		beh := "3"
		if strings.Contains(strings.ToLower(histPhrase), "in situ") {
			beh = "2"
		}
		r.add(Suggestion{Item: "behaviorCodeIcdO3", Value: beh, Source: "final diagnosis", SourceText: histPhrase})
	}
}

// lookUp is the best match of a phrase in the topography or histology list (a zero Match when
// none).
func (mp *Mapper) lookUp(histology bool, phrase string) codes.Match {
	k := lookKey{histology, strings.ToLower(phrase)}
	mp.mu.Lock()
	m, ok := mp.looked[k]
	mp.mu.Unlock()
	if ok {
		return m
	}
	l := mp.topography
	if histology {
		l = mp.histology
	}
	if ms := l.Search(phrase, 1); len(ms) > 0 {
		m = ms[0]
	}
	mp.mu.Lock()
	if len(mp.looked) >= maxLooked {
		clear(mp.looked)
	}
	mp.looked[k] = m
	mp.mu.Unlock()
	return m
}

// add keeps the first suggestion of an item: a synoptic value read before the text wins.
func (r *Report) add(s Suggestion) {
	for _, o := range r.Suggestions {
		if o.Item == s.Item {
			return
		}
	}
	r.Suggestions = append(r.Suggestions, s)
}

func sideOf(p string) string {
	w := strings.Fields(strings.ToLower(p))
	has := func(x string) bool {
		for _, v := range w {
			if v == x {
				return true
			}
		}
		return false
	}
	switch {
	case has("bilateral"):
		return "4"
	case has("left") && !has("right"):
		return "2"
	case has("right") && !has("left"):
		return "1"
	}
	return ""
}

// hl7Date reads the date of an HL7 DTM (CCYYMMDD with anything after: time, zone).
func hl7Date(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 8 {
		return "", false
	}
	d := s[:8]
	y, e1 := strconv.Atoi(d[:4])
	mo, e2 := strconv.Atoi(d[4:6])
	da, e3 := strconv.Atoi(d[6:8])
	if e1 != nil || e2 != nil || e3 != nil || y < 1850 || mo < 1 || mo > 12 || da < 1 || da > daysIn(y, mo) {
		return "", false
	}
	return d, true
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

func clip(s string) string {
	if r := []rune(s); len(r) > 30 {
		return string(r[:30]) + "…"
	}
	return s
}

// Text is the report's text as the suspense list shows it: each section under its label.
func (r *Report) Text() string {
	var b strings.Builder
	if r.Accession != "" {
		fmt.Fprintf(&b, "Accession %s", r.Accession)
		if r.CollectedAt != "" {
			fmt.Fprintf(&b, ", collected %s", r.CollectedAt)
		}
		if r.OrderingProvider != "" {
			fmt.Fprintf(&b, ", ordered by %s", r.OrderingProvider)
		}
		b.WriteString("\n\n")
	}
	for i, s := range r.Sections {
		if i > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(strings.ToUpper(s.Label) + ":\n" + s.Text)
	}
	return b.String()
}
