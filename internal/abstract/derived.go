package abstract

import (
	"fmt"
	"strings"

	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/staging"
)

// The NAACCR v26 items that cara derives on save, and the items they are derived from.
const (
	ItemAgeAtDiagnosis = "ageAtDiagnosis" // #230
	ItemSchemaID       = "schemaId"       // #3800

	// The version of the staging algorithm that derived the EOD items: Current each time, Original
	// the first time only (NAACCR #2117, #2118).
	ItemSchemaIDVersionCurrent  = "schemaIdVersionCurrent"
	ItemSchemaIDVersionOriginal = "schemaIdVersionOriginal"

	itemDateOfBirth     = "dateOfBirth"     // #240
	itemDateOfDiagnosis = "dateOfDiagnosis" // #390
)

// UnknownAge is Age at Diagnosis when it cannot be computed.
const UnknownAge = "999"

// maxAge is the oldest age the item codes (001-120 actual age); an older result is a date error.
const maxAge = 120

// Derive computes the derived items of a tumor from the patient's and the tumor's items (NAACCR
// string values by naaccrId) and returns them by naaccrId: Age at Diagnosis and, when st is not
// nil, what the EOD staging algorithm derives (Schema ID, Derived Summary Stage 2018, Derived
// Summary Grade 2018, ...) with the algorithm's version. A value of "" means the item cannot be
// derived yet and is to be left blank (removed). yearCurrent is the year the staging data's
// open-ended ranges end at (this year).
func Derive(patient, tumor map[string]string, st *staging.DataSet, yearCurrent int) map[string]string {
	out := map[string]string{
		ItemAgeAtDiagnosis: AgeAtDiagnosis(patient[itemDateOfBirth], tumor[itemDateOfDiagnosis]),
	}
	if st == nil {
		return out
	}
	r := st.Derive(RecordOf(patient, tumor), yearCurrent)
	for id, v := range r.Items(st) {
		out[id] = v
	}
	out[ItemSchemaIDVersionCurrent] = ""
	if r.Schema != nil {
		out[ItemSchemaIDVersionCurrent] = st.Version
		if strings.TrimSpace(tumor[ItemSchemaIDVersionOriginal]) == "" {
			out[ItemSchemaIDVersionOriginal] = st.Version
		}
	}
	return out
}

// RecordOf reads a tumor's items for staging: an item is looked for in the tumor first, then in
// the patient.
func RecordOf(patient, tumor map[string]string) staging.Record {
	return func(id string) string {
		if v, ok := tumor[id]; ok {
			return v
		}
		return patient[id]
	}
}

// AgeAtDiagnosis returns NAACCR item 230, the patient's age at diagnosis in completed years as
// three digits ("065", "000" under one year), from two NAACCR dates (CCYYMMDD, or CCYYMM and CCYY
// when the day or month is unknown). It is "999" when either date is blank or invalid, when the
// diagnosis precedes the birth, or when the age exceeds 120.
//
// Partial dates are compared on the parts both dates have, as the NAACCR item description asks
// ("if month/day unknown, compute with the known parts"): the age is the difference of the years,
// less one when the birthday had not yet come, which is known only when both months are known and
// differ, or are equal and both days are known. Where the comparison cannot be made (a month
// unknown; the same month with a day unknown) the year difference stands, the larger of the two
// possible ages, which the NAACCR edit "Age, Birth Date, Date of Diagnosis" accepts.
func AgeAtDiagnosis(dateOfBirth, dateOfDiagnosis string) string {
	birth, err := naaccr.ParseDate(strings.TrimSpace(dateOfBirth))
	if err != nil {
		return UnknownAge
	}
	dx, err := naaccr.ParseDate(strings.TrimSpace(dateOfDiagnosis))
	if err != nil {
		return UnknownAge
	}
	age := dx.Year - birth.Year
	if birth.Month != 0 && dx.Month != 0 {
		switch {
		case dx.Month < birth.Month:
			age--
		case dx.Month == birth.Month && birth.Day != 0 && dx.Day != 0 && dx.Day < birth.Day:
			age--
		}
	}
	if age < 0 || age > maxAge {
		return UnknownAge
	}
	return fmt.Sprintf("%03d", age)
}
