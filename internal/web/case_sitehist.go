package web

import (
	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/casework"
	"github.com/cara-registry/cara/internal/edits"
	"github.com/cara-registry/cara/views"
)

// primarySiteItem is the site of the site/histology check (histologyItem is its histology).
const primarySiteItem = "primarySite"

// flagUnusualHistology warns beside the histology field when the case's primary site and
// histology (as entered, else as stored) are both coded and the histology is not among the common
// histologies of that site. It is a flag, not an error: rare pairs exist, and the save goes through.
func (h *caseViews) flagUnusualHistology(v *views.CaseView, cs *casework.Case, entered map[string]string) {
	if h.codes == nil {
		return
	}
	site, hist := h.itemValue(cs, entered, primarySiteItem), h.itemValue(cs, entered, histologyItem)
	if site == "" || hist == "" || h.codes.CommonHistology(site, hist) {
		return
	}
	for _, fv := range v.Section.Fields {
		if (fv.ID == primarySiteItem || fv.ID == histologyItem) && fv.Error != "" {
			return // a refused entry: its error says enough
		}
	}
	msg := "Unusual for " + site + ": histology " + hist +
		" is not among the common histologies of this site — check the pathology report"
	for i := range v.Section.Fields {
		fv := &v.Section.Fields[i]
		if fv.ID == histologyItem {
			fv.Flags = append(fv.Flags, msg)
		}
	}
	// The edit panel lists it too, with the failing edits, on every section.
	note := views.EditView{ID: "siteHistology", Severity: string(edits.SeverityWarning), Message: msg}
	if sec, ok := h.form.SectionOf(histologyItem); ok {
		label := histologyItem
		if f, ok := h.form.Field(histologyItem); ok {
			label = f.Label
		}
		note.Links = []views.EditLink{{Label: label, URL: caseURL(cs.Tumor.ID, sec.ID, "") + "#f-" + histologyItem}}
	}
	v.Edits.Notes = append(v.Edits.Notes, note)
}

// itemValue is a tumor item's value as entered on the form, else as stored.
func (h *caseViews) itemValue(cs *casework.Case, entered map[string]string, id string) string {
	if v, ok := entered[id]; ok {
		if f, ok := h.form.Field(id); ok {
			return abstract.Normalize(f, v)
		}
		return v
	}
	return cs.Tumor.Items[id]
}
