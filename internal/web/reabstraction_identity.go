package web

import (
	"slices"

	"github.com/labstack/echo/v4"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/casework"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/views"
)

// blindIdentity are the items that tell a patient's tumors apart on a blind form, in the order
// shown. One among the sample's items is withheld (it is what the reviewer abstracts), and so is
// one whose hint is: the date of first contact is often the date of diagnosis, or days from it.
var blindIdentity = []struct{ item, hint string }{
	{"accessionNumberHosp", ""},
	{"sequenceNumberHospital", ""},
	{"dateOf1stContact", "dateOfDiagnosis"},
}

// blindIdentity fills the blind form's title (the patient's name and MRN, unless re-abstracted)
// and the tumor's identity, so that a reviewer finds the right tumor of a patient with several
// in the source documents. No value shown equals an original of a re-abstracted item: one that
// does is withheld too, whatever item it belongs to.
func (h *reabstractionHandler) blindIdentity(c echo.Context, d *store.SampleCaseDetail, v *views.BlindCaseView) error {
	cs, err := h.cases.Open(c.Request().Context(), caseActor(c), d.Case.Case.TumorID)
	if err != nil {
		return err
	}
	items := d.Sample.ItemList()
	var originals []string
	for _, id := range items {
		if f, ok := h.form.Field(id); ok {
			if o := casework.ValueOf(cs, f.Def); o != "" {
				originals = append(originals, o)
			}
		}
	}
	withheld := func(item, value string) bool {
		return slices.Contains(items, item) || value != "" && slices.Contains(originals, value)
	}
	last, first, mrn := cs.Patient.Items["nameLast"], cs.Patient.Items["nameFirst"], cs.Tumor.Items["medicalRecordNumber"]
	v.Patient, v.MRN = patientName(last, first), mrn
	if withheld("nameLast", last) || withheld("nameFirst", first) {
		v.Patient = "Patient (name re-abstracted)"
	}
	if withheld("medicalRecordNumber", mrn) {
		v.MRN = ""
	}
	v.Page.Title = "Re-abstraction: " + v.Patient
	for _, id := range blindIdentity {
		val := cs.Tumor.Items[id.item]
		if val == "" || withheld(id.item, val) || id.hint != "" && slices.Contains(items, id.hint) {
			continue
		}
		label, shown := id.item, val
		if f, ok := h.form.Field(id.item); ok {
			label = f.Label
			if f.Widget == abstract.WidgetDate {
				shown = showDate(val)
			}
		}
		v.Identity = append(v.Identity, views.Option{Code: id.item, Label: label + " " + shown})
	}
	return nil
}
