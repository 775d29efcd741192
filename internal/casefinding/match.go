package casefinding

import (
	"fmt"
	"github.com/cara-registry/cara/internal/identity"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/cara-registry/cara/internal/store"
)

// The kinds of match of a possible case with the registry.
const (
	MatchNewPatient        = "new_patient"
	MatchKnownPatient      = "known_patient" // a new primary for a known patient?
	MatchAlreadyAbstracted = "already_abstracted"
)

// MatchLabel is a match kind as the registrar reads it.
func MatchLabel(kind string) string {
	switch kind {
	case MatchNewPatient:
		return "New patient"
	case MatchKnownPatient:
		return "New primary for a known patient?"
	case MatchAlreadyAbstracted:
		return "Already abstracted"
	}
	return kind
}

// The scores of the match (log-odds weights in the manner of Fellegi and Sunter, in whole
// points): agreement on a field adds its weight, disagreement takes some away, a blank on either
// side says nothing. SamePatient and PossiblePatient are the thresholds.
const (
	wMRNAgree, wMRNDiffer                 = 7, -3
	wDOBAgree, wDOBNear, wDOBDiffer       = 6, 2, -4
	wLastAgree, wLastNear, wLastDiffer    = 4, 2, -3
	wFirstAgree, wFirstNear, wFirstDiffer = 3, 1, -2
	wSexAgree, wSexDiffer                 = 1, -2

	SamePatient     = 12
	PossiblePatient = 7
)

// Match is what the matching found for one possible case.
type Match struct {
	Kind      string
	Score     int // the best patient's score; 0 when no patient came near
	PatientID uint
	TumorID   uint
	Reasons   []string
}

// Index is a facility's patients, ready for matching many rows: the candidates of a row are
// the patients sharing its MRN, its date of birth, or the sound of its last name and its first
// initial, so a row is scored against a few patients, not all. Names and MRNs are normalized
// once, here.
type Index struct {
	patients []indexed
	byMRN    map[string][]int32
	byDOB    map[string][]int32
	byName   map[string][]int32
}

type indexed struct {
	p           *store.MatchPatient
	last, first string // normName
	lastSoundex string
	mrns        []string // normMRN of its tumors', distinct
}

// NewIndex indexes a facility's patients.
func NewIndex(pats []store.MatchPatient) *Index {
	ix := &Index{patients: make([]indexed, len(pats)), byMRN: map[string][]int32{}, byDOB: map[string][]int32{}, byName: map[string][]int32{}}
	for i := range pats {
		p := &pats[i]
		e := indexed{p: p, last: identity.NormName(p.NameLast), first: identity.NormName(p.NameFirst)}
		e.lastSoundex = identity.Soundex(e.last)
		for _, t := range p.Tumors {
			if m := normMRN(t.MRN); m != "" && !slices.Contains(e.mrns, m) {
				e.mrns = append(e.mrns, m)
				ix.byMRN[m] = append(ix.byMRN[m], int32(i))
			}
		}
		if p.DateOfBirth != "" {
			ix.byDOB[p.DateOfBirth] = append(ix.byDOB[p.DateOfBirth], int32(i))
		}
		if k := blockKey(e.lastSoundex, e.first); k != "" {
			ix.byName[k] = append(ix.byName[k], int32(i))
		}
		ix.patients[i] = e
	}
	return ix
}

// probe is a row as matched: its values normalized once.
type probe struct {
	r           *Row
	mrn         string
	last, first string
	lastSoundex string
}

// Match scores a row against its candidates and says what it is: already abstracted (the
// same patient, with a tumor at the site of one of its codes), a new primary for a known
// patient (the same patient, or a possible one), or a new patient.
func (ix *Index) Match(r *Row) Match {
	pr := probe{r: r, mrn: normMRN(r.MRN), last: identity.NormName(r.NameLast), first: identity.NormName(r.NameFirst)}
	pr.lastSoundex = identity.Soundex(pr.last)
	best, bestScore := int32(-1), 0
	try := func(is []int32) {
		for _, i := range is {
			if i == best {
				continue
			}
			if score := scorePatient(&pr, &ix.patients[i], nil); best < 0 || score > bestScore {
				best, bestScore = i, score
			}
		}
	}
	if pr.mrn != "" {
		try(ix.byMRN[pr.mrn])
	}
	if r.DateOfBirth != "" {
		try(ix.byDOB[r.DateOfBirth])
	}
	try(ix.byName[blockKey(pr.lastSoundex, pr.first)])
	if best < 0 {
		return Match{Kind: MatchNewPatient, Reasons: []string{"no patient of the facility shares the MRN, date of birth or name: a new patient"}}
	}
	var reasons []string
	scorePatient(&pr, &ix.patients[best], &reasons)
	p := ix.patients[best].p
	if bestScore < PossiblePatient {
		return Match{Kind: MatchNewPatient, Score: bestScore, Reasons: append(reasons, fmt.Sprintf("score %d < %d: not patient %s (%s, %s); a new patient",
			bestScore, PossiblePatient, p.PatientIDNumber, p.NameLast, p.NameFirst))}
	}
	m := Match{Kind: MatchKnownPatient, Score: bestScore, PatientID: p.ID, Reasons: reasons}
	if bestScore < SamePatient {
		m.Reasons = append(m.Reasons, fmt.Sprintf("score %d: possibly patient %s (%s, %s), below %d: check before adding to them",
			bestScore, p.PatientIDNumber, p.NameLast, p.NameFirst, SamePatient))
		return m
	}
	m.Reasons = append(m.Reasons, fmt.Sprintf("score %d ≥ %d: patient %s (%s, %s)", bestScore, SamePatient, p.PatientIDNumber, p.NameLast, p.NameFirst))
	for _, t := range p.Tumors {
		if why, ok := sameSite(r.Codes, t); ok {
			m.Kind, m.TumorID = MatchAlreadyAbstracted, t.ID
			m.Reasons = append(m.Reasons, fmt.Sprintf("tumor %d (site %s, diagnosed %s, %s): %s: already abstracted",
				t.ID, orDash(t.PrimarySite), orDash(t.DateOfDiagnosis), t.Status, why))
			return m
		}
	}
	if len(p.Tumors) == 0 {
		m.Reasons = append(m.Reasons, "the patient has no tumor yet")
	} else {
		m.Reasons = append(m.Reasons, fmt.Sprintf("none of the patient's %d tumors is at the site of the codes: a new primary?", len(p.Tumors)))
	}
	return m
}

// scorePatient adds up the agreement of a row and a patient; with reasons, it says why for each
// field (only the best candidate's reasons are written out).
func scorePatient(pr *probe, e *indexed, reasons *[]string) int {
	score := 0
	note := func(w int, format string, a ...any) {
		score += w
		if reasons != nil {
			*reasons = append(*reasons, fmt.Sprintf(format, a...)+" ("+signed(w)+")")
		}
	}
	r, p := pr.r, e.p
	if pr.mrn != "" && len(e.mrns) > 0 {
		if slices.Contains(e.mrns, pr.mrn) {
			note(wMRNAgree, "MRN %s agrees", r.MRN)
		} else if reasons != nil {
			var theirs []string
			for _, t := range p.Tumors {
				if t.MRN != "" {
					theirs = append(theirs, t.MRN)
				}
			}
			note(wMRNDiffer, "MRN %s differs from %s", r.MRN, strings.Join(theirs, ", "))
		} else {
			score += wMRNDiffer
		}
	}
	if r.DateOfBirth != "" && p.DateOfBirth != "" {
		switch {
		case r.DateOfBirth == p.DateOfBirth:
			note(wDOBAgree, "date of birth %s agrees", r.DateOfBirth)
		case nearDate(r.DateOfBirth, p.DateOfBirth):
			note(wDOBNear, "date of birth %s nearly agrees with %s (one part differs, or day and month swapped)", r.DateOfBirth, p.DateOfBirth)
		default:
			note(wDOBDiffer, "date of birth %s differs from %s", r.DateOfBirth, p.DateOfBirth)
		}
	}
	if pr.last != "" && e.last != "" {
		switch {
		case pr.last == e.last:
			note(wLastAgree, "last name %s agrees", r.NameLast)
		case pr.lastSoundex == e.lastSoundex || identity.JaroWinkler(pr.last, e.last) >= 0.9:
			note(wLastNear, "last name %s is like %s", r.NameLast, p.NameLast)
		default:
			note(wLastDiffer, "last name %s differs from %s", r.NameLast, p.NameLast)
		}
	}
	if pr.first != "" && e.first != "" {
		switch {
		case pr.first == e.first:
			note(wFirstAgree, "first name %s agrees", r.NameFirst)
		case strings.HasPrefix(pr.first, e.first) || strings.HasPrefix(e.first, pr.first) || identity.JaroWinkler(pr.first, e.first) >= 0.9:
			note(wFirstNear, "first name %s is like %s", r.NameFirst, p.NameFirst)
		default:
			note(wFirstDiffer, "first name %s differs from %s", r.NameFirst, p.NameFirst)
		}
	}
	if known(r.Sex) && known(p.Sex) {
		if r.Sex == p.Sex {
			note(wSexAgree, "sex agrees")
		} else {
			note(wSexDiffer, "sex differs")
		}
	}
	return score
}

// sameSite says whether a tumor is at the site of one of the codes: an ICD-10-CM malignant or
// in situ category of C00–C80 names the ICD-O-3 topography of the same number; a code of the
// lymphoid and blood-forming categories (C81–C96, D45–D47) goes with a tumor of a hematopoietic
// histology, 9590 and above.
func sameSite(codes []string, t store.MatchTumor) (string, bool) {
	site := strings.ToUpper(strings.ReplaceAll(t.PrimarySite, ".", ""))
	for _, c := range codes {
		cat := c[:3]
		switch {
		case cat >= "C00" && cat <= "C80" && len(site) >= 3 && site[:3] == cat:
			return "code " + c + " is at its site " + cat, true
		case (cat >= "C81" && cat <= "C96" || cat >= "D45" && cat <= "D47") && t.Histology >= "9590":
			return "code " + c + " and its histology " + t.Histology + " are both hematopoietic", true
		}
	}
	return "", false
}

func known(sex string) bool { return sex == "1" || sex == "2" }

func signed(w int) string {
	if w >= 0 {
		return "+" + strconv.Itoa(w)
	}
	return "−" + strconv.Itoa(-w)
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

func normMRN(s string) string {
	return strings.TrimLeft(strings.ToUpper(strings.TrimSpace(s)), "0")
}

// blockKey is the blocking key of a name: the Soundex of the last name and the first initial
// of the first name (both normalized).
func blockKey(lastSoundex, first string) string {
	if lastSoundex == "" {
		return ""
	}
	if first != "" {
		_, n := utf8.DecodeRuneInString(first)
		first = first[:n]
	}
	return lastSoundex + first
}

// nearDate: two CCYYMMDD dates that differ in one of year, month and day only, or whose month
// and day are swapped.
func nearDate(a, b string) bool {
	if len(a) != 8 || len(b) != 8 {
		return false
	}
	diff := 0
	for _, part := range [][2]int{{0, 4}, {4, 6}, {6, 8}} {
		if a[part[0]:part[1]] != b[part[0]:part[1]] {
			diff++
		}
	}
	swapped := a[:4] == b[:4] && a[4:6] == b[6:8] && a[6:8] == b[4:6]
	return diff == 1 || swapped
}
