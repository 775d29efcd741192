// Package followup is the registrar's work after the abstract: the follow-up due list of a
// facility, recording a follow-up (through the case service, internal/casework), the follow-up
// rate the Commission on Cancer (CoC) measures, death clearance against a state death file, and
// the follow-up letters. It knows nothing of HTTP; handlers and the command line call it.
package followup

import (
	"github.com/cara-registry/cara/internal/store"
)

// Rule is which cases are followed, and so counted by the follow-up rate and listed when due:
// the one definition both read (the store turns it into SQL for the due list, the rate report
// reads it in Go to say why each case is left out).
//
// Sources:
//   - Analytic classes: NAACCR Class of Case (#610) 00-22 are analytic (STORE and
//     schemas/codes/items/classOfCase.csv). The CoC's follow-up standard (Optimal Resources for
//     Cancer Care, 2020 Standard 6.4, Follow-up of Patients) counts the eligible analytic cases
//     of Class of Case 10-22: class 00 (diagnosed here, all first-course treatment elsewhere) is
//     not followed by the reporting facility and is left out, with its own reason.
//   - Exclusions: SEER's registrar training, "Follow-up calculations"
//     (training.seer.cancer.gov/followup/intro/calculations.html), subtracts from the cases since
//     the reference date benign and borderline tumors (behavior 0, 1), carcinoma in situ of the
//     cervix, in situ and localized basal and squamous cell carcinoma of the skin, foreign
//     residents and nonanalytic cases. Foreign residence is what the registrar codes: Next
//     Follow-up Source (#1800) 8, "foreign residents (not followed)". The skin exclusion is
//     applied to basal and squamous cell histologies (8000-8110) of C44 whatever their extent:
//     hospital registries rarely accession them otherwise.
//   - Followed: a patient known dead, or alive with a date of last contact within the last 15
//     months of the report date (the same SEER page, "current"); the rest are lost to follow-up.
//     SEER also counts patients aged 100 or older as followed; cara does not, since the CoC
//     standard does not say so.
var Rule = store.FollowUpRule{
	Classes: []string{"10", "11", "12", "13", "14", "20", "21", "22"},
	Exclusions: []store.FollowUpExclusion{
		{Reason: ReasonBenign, Behaviors: []string{"0", "1"}},
		{Reason: ReasonCervixInSitu, Sites: []store.SiteRange{{From: "C530", To: "C539"}}, Behaviors: []string{"2"}},
		{Reason: ReasonSkin, Sites: []store.SiteRange{{From: "C440", To: "C449"}}, HistFrom: "8000", HistTo: "8110"},
		{Reason: ReasonForeign, NextFollowUp: []string{"8"}},
	},
}

// The reasons a case is not followed, as the rate report shows them.
const (
	ReasonNonanalytic  = "nonanalytic"
	ReasonClass00      = "class00"
	ReasonBenign       = "benign"
	ReasonCervixInSitu = "cervixInSitu"
	ReasonSkin         = "skin"
	ReasonForeign      = "foreign"
)

// ReasonLabels say each reason in words.
var ReasonLabels = map[string]string{
	ReasonNonanalytic:  "Nonanalytic (class of case 30-99)",
	ReasonClass00:      "Class of case 00 (all first-course treatment elsewhere; not followed here)",
	ReasonBenign:       "Benign or borderline (behavior 0, 1)",
	ReasonCervixInSitu: "Carcinoma in situ of the cervix",
	ReasonSkin:         "Basal or squamous cell carcinoma of the skin",
	ReasonForeign:      "Foreign resident (next follow-up source 8)",
}

// ReasonOrder is the order the report lists the reasons in.
var ReasonOrder = []string{ReasonNonanalytic, ReasonClass00, ReasonBenign, ReasonCervixInSitu, ReasonSkin, ReasonForeign}

// exclusion says why a case is not followed ("" when it is), telling class 00 from the
// nonanalytic classes.
func exclusion(c store.FollowUpCase) string {
	reason, excluded := Rule.Exclusion(c)
	if !excluded {
		return ""
	}
	if reason == "class" {
		if c.ClassOfCase == "00" {
			return ReasonClass00
		}
		return ReasonNonanalytic
	}
	return reason
}
