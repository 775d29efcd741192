// Package followed says which cases a hospital registry follows: the one definition that the
// store reads when it writes a tumor (tumors.follow_up_exclusion, which the due list and the
// follow-up rate filter on) and that internal/followup reports from. It depends on nothing, so
// that the store can import it.
package followed

import "slices"

// Case is what the rule reads of a tumor: its Tumor-level items Class of Case (#610), Behavior
// (#523), Primary Site (#400), Histology (#522) and Next Follow-up Source (#1800).
type Case struct {
	ClassOfCase, Behavior, PrimarySite, Histology, NextFollowUpSource string
}

// Range is a range of codes, both ends included.
type Range struct{ From, To string }

// Exclusion leaves out the cases that match every condition it sets (an empty one sets none).
type Exclusion struct {
	Reason       string
	Sites        []Range
	Histologies  []Range
	Behaviors    []string
	NextFollowUp []string
}

// The reasons a case is not followed; "" is a followed case.
const (
	ReasonNonanalytic  = "nonanalytic"
	ReasonClass00      = "class00"
	ReasonBenign       = "benign"
	ReasonCervixInSitu = "cervixInSitu"
	ReasonSkin         = "skin"
	ReasonForeign      = "foreign"
)

// Classes are the classes of case followed.
//
// Sources:
//   - Analytic classes: NAACCR Class of Case 00-22 are analytic (STORE;
//     schemas/codes/items/classOfCase.csv). The CoC's follow-up standard (Optimal Resources for
//     Cancer Care, 2020, Standard 6.4, Follow-Up of Patients) counts the eligible analytic
//     cases of Class of Case 10-22: class 00 (diagnosed here, all first-course treatment
//     elsewhere) is not followed by the reporting facility, and is left out with its own reason.
//   - Exclusions: SEER's registrar training, "Follow-up calculations"
//     (training.seer.cancer.gov/followup/intro/calculations.html), takes out of the cases since
//     the reference date the benign and borderline tumors (behavior 0, 1), carcinoma in situ of
//     the cervix, in situ and localized basal and squamous cell carcinoma of the skin, foreign
//     residents and the nonanalytic cases. Foreign residence is what the registrar codes: Next
//     Follow-up Source 8, "foreign residents (not followed)". The skin exclusion takes the basal
//     and squamous cell histologies (8000-8110) of C44 whatever their extent: a hospital
//     registry rarely accessions them otherwise, and extent is not a promoted item.
var Classes = []string{"10", "11", "12", "13", "14", "20", "21", "22"}

// Exclusions are the followed classes' cases left out, in the order they are tried.
var Exclusions = []Exclusion{
	{Reason: ReasonBenign, Behaviors: []string{"0", "1"}},
	{Reason: ReasonCervixInSitu, Sites: []Range{{"C530", "C539"}}, Behaviors: []string{"2"}},
	{Reason: ReasonSkin, Sites: []Range{{"C440", "C449"}}, Histologies: []Range{{"8000", "8110"}}},
	{Reason: ReasonForeign, NextFollowUp: []string{"8"}},
}

// Labels say each reason in words.
var Labels = map[string]string{
	ReasonNonanalytic:  "Nonanalytic (class of case 30-99 or none)",
	ReasonClass00:      "Class of case 00 (all first-course treatment elsewhere; not followed here)",
	ReasonBenign:       "Benign or borderline (behavior 0, 1)",
	ReasonCervixInSitu: "Carcinoma in situ of the cervix",
	ReasonSkin:         "Basal or squamous cell carcinoma of the skin",
	ReasonForeign:      "Foreign resident (next follow-up source 8)",
}

// Order is the order reports list the reasons in.
var Order = []string{ReasonNonanalytic, ReasonClass00, ReasonBenign, ReasonCervixInSitu, ReasonSkin, ReasonForeign}

// Reason says why a case is not followed, or "" when it is.
func Reason(c Case) string {
	if !slices.Contains(Classes, c.ClassOfCase) {
		if c.ClassOfCase == "00" {
			return ReasonClass00
		}
		return ReasonNonanalytic
	}
	for _, x := range Exclusions {
		if x.matches(c) {
			return x.Reason
		}
	}
	return ""
}

func (x Exclusion) matches(c Case) bool {
	in := func(rs []Range, v string) bool {
		return slices.ContainsFunc(rs, func(r Range) bool { return v >= r.From && v <= r.To })
	}
	switch {
	case len(x.Sites) > 0 && !in(x.Sites, c.PrimarySite),
		len(x.Histologies) > 0 && !in(x.Histologies, c.Histology),
		len(x.Behaviors) > 0 && !slices.Contains(x.Behaviors, c.Behavior),
		len(x.NextFollowUp) > 0 && !slices.Contains(x.NextFollowUp, c.NextFollowUpSource):
		return false
	}
	return true
}
