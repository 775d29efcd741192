package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

const siteSpecific = "site-specific"

// recode saves the diagnosis section of case A (Anna Smith's lung tumor, 2025) with another site
// and histology, as a registrar would.
func recode(t *testing.T, c *client, id uint, site, hist string) {
	t.Helper()
	c.save(t, c.openCase(t, id, "diagnosis"), map[string]string{"primarySite": site, "histologicTypeIcdO3": hist}).
		wantStatus(http.StatusSeeOther)
}

// decideOutside posts the clear or keep choice of an item listed outside the schema, as its button
// would (a plain post with the form's fields).
func (c *client) decideOutside(t testing.TB, p *page, choice, item string, header ...string) *page {
	t.Helper()
	btn := p.testid(choice + "-" + item)
	action, ok := btn.Attr("formaction")
	if btn.Length() != 1 || !ok {
		t.Fatalf("no %s button for %s\n%s", choice, item, excerpt(p.body))
	}
	vals := formValues(p.testid("case-form"))
	vals.Set("outside", choice+":"+item)
	return c.post(t, action, vals, header...)
}

func fieldShown(p *page, item string) bool { return p.testid("field-"+item).Length() == 1 }

// TestSiteSpecificSectionShowsTheCasesSchema: the section holds the items of the schema the site
// and histology select, says which and why, and helps with the schema's own codes.
func TestSiteSpecificSectionShowsTheCasesSchema(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, site, hist, schema string
		shown, hidden            []string
		codesOf                  string // a field whose help lists the schema's codes
	}{
		{"breast", "C504", "8500", "Breast", []string{"her2OverallSummary", "estrogenReceptorSummary", "eodPrimaryTumor", "gradeClinical"}, []string{"psaLabValue", "gleasonScoreClinical"}, "her2OverallSummary"},
		{"prostate", "C619", "8140", "Prostate", []string{"psaLabValue", "gleasonScoreClinical", "prostatePathologicalExtension"}, []string{"her2OverallSummary", "estrogenReceptorSummary"}, "psaLabValue"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, storetest.New(t, store.DialectSQLite))
			c := f.signIn(t, registrarA)
			recode(t, c, f.caseA, tc.site, tc.hist)
			p := c.openCase(t, f.caseA, siteSpecific)
			for _, id := range tc.shown {
				if !fieldShown(p, id) {
					t.Errorf("%s: %s not shown", tc.name, id)
				}
			}
			for _, id := range tc.hidden {
				if fieldShown(p, id) {
					t.Errorf("%s: %s shown", tc.name, id)
				}
			}
			reason := p.testid("schema-reason").Text()
			for _, want := range []string{tc.schema, tc.site, tc.hist} {
				if !strings.Contains(reason, want) {
					t.Errorf("reason %q does not say %s", reason, want)
				}
			}
			if note := p.testid("note-" + siteSpecific).Text(); !strings.Contains(note, tc.schema) {
				t.Errorf("tab note %q, want %s", note, tc.schema)
			}
			help := p.testid("help-" + tc.codesOf)
			if cap := help.Find("caption").Text(); cap != "Codes of the "+tc.schema+" schema" {
				t.Errorf("%s codes captioned %q", tc.codesOf, cap)
			}
			if help.Find("tr").Length() < 2 {
				t.Errorf("%s help lists no codes of the schema", tc.codesOf)
			}
			if p.testid("schema-notes").Text() == "" {
				t.Errorf("no notes of the %s schema", tc.schema)
			}
			// The diagnosis section says the schema too, beside the items that select it.
			if line := c.openCase(t, f.caseA, "diagnosis").testid("schema-line").Text(); !strings.Contains(line, tc.schema) {
				t.Errorf("schema line %q, want %s", line, tc.schema)
			}
		})
	}
}

// TestSiteSpecificValuesOutsideTheSchemaAreClearedOrKeptAndAudited: a breast case recoded as lung
// keeps its HER2 and ER values only as listed values outside the lung schema; clearing one is a
// save audited with its reason, keeping one is audited and not asked again.
func TestSiteSpecificValuesOutsideTheSchemaAreClearedOrKeptAndAudited(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.New(t, store.DialectSQLite))
	c := f.signIn(t, registrarA)
	recode(t, c, f.caseA, "C504", "8500")
	c.save(t, c.openCase(t, f.caseA, siteSpecific), map[string]string{"her2OverallSummary": "1", "estrogenReceptorSummary": "0"}).
		wantStatus(http.StatusSeeOther)
	recode(t, c, f.caseA, "C341", "8140")

	p := c.openCase(t, f.caseA, siteSpecific)
	if fieldShown(p, "her2OverallSummary") || !fieldShown(p, "separateTumorNodules") {
		t.Fatalf("lung section shows HER2 %v, separate tumor nodules %v", fieldShown(p, "her2OverallSummary"), fieldShown(p, "separateTumorNodules"))
	}
	outside := map[string]string{}
	p.testid("outside-item").Each(func(_ int, s *goquery.Selection) {
		item, _ := s.Attr("data-item")
		outside[item] = s.Find(".code").Text()
	})
	if len(outside) != 2 || outside["her2OverallSummary"] != "1" || outside["estrogenReceptorSummary"] != "0" {
		t.Fatalf("outside the schema: %v, want HER2 1 and ER 0", outside)
	}

	c.decideOutside(t, p, "clear", "her2OverallSummary").wantStatus(http.StatusSeeOther)
	if v, ok := f.loadCase(t, f.caseA).Tumor.Items["her2OverallSummary"]; ok {
		t.Errorf("HER2 still stored as %q after clearing", v)
	}
	updates := f.auditEvents(t, "case.update", "tumor", idString(f.caseA))
	if len(updates) == 0 || !strings.Contains(updates[0].Details, "not an item of the Lung") || !strings.Contains(updates[0].Details, "her2OverallSummary") {
		t.Errorf("clearing audited as %+v", updates)
	}

	p = c.openCase(t, f.caseA, siteSpecific)
	// Over htmx the answer is the refreshed form, with what was typed and not saved kept in it.
	p.doc.Find(`#f-eodMets option`).RemoveAttr("selected")
	p.doc.Find(`#f-eodMets option[value="10"]`).SetAttr("selected", "selected")
	r := c.decideOutside(t, p, "keep", "estrogenReceptorSummary", "HX-Request", "true")
	r.wantStatus(http.StatusOK)
	if got := r.doc.Find(`#f-eodMets option[selected]`).AttrOr("value", ""); got != "10" {
		t.Errorf("EOD Mets typed as 10 shows %q after keeping", got)
	}
	if r.testid("outside").Length() != 0 || r.testid("kept-item").Length() != 1 {
		t.Errorf("after keeping: outside %d, kept %d", r.testid("outside").Length(), r.testid("kept-item").Length())
	}
	kept := f.auditEvents(t, "case.keep_item", "tumor", idString(f.caseA))
	if len(kept) != 1 || kept[0].UserID == nil || *kept[0].UserID != f.users[registrarA].ID ||
		!strings.Contains(kept[0].Details, `"item":"estrogenReceptorSummary"`) || !strings.Contains(kept[0].Details, `"value":"0"`) {
		t.Fatalf("keeping audited as %+v", kept)
	}
	if got := f.loadCase(t, f.caseA).Tumor.Items["estrogenReceptorSummary"]; got != "0" {
		t.Errorf("kept ER stored as %q", got)
	}
	p = c.openCase(t, f.caseA, siteSpecific)
	if p.testid("outside").Length() != 0 {
		t.Errorf("a kept value is asked about again")
	}

	// A reviewer does not decide; a second choice about a decided item is refused.
	rev := f.signIn(t, reviewerA)
	vals := formValues(p.testid("case-form"))
	vals.Set("outside", "keep:estrogenReceptorSummary")
	vals.Set("_csrf", rev.csrf(t))
	rev.post(t, casePath(f.caseA)+"/outside?section="+siteSpecific, vals).wantStatus(http.StatusForbidden)
	vals.Set("_csrf", c.csrf(t))
	c.post(t, casePath(f.caseA)+"/outside?section="+siteSpecific, vals).wantStatus(http.StatusConflict)
}

// TestSiteSpecificDerivedItemsAreReadOnlyWithTheirInputs: the derived stage and grade are shown
// read-only, with what the schema derives them from, and show the value the save derived.
func TestSiteSpecificDerivedItemsAreReadOnlyWithTheirInputs(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.New(t, store.DialectSQLite))
	c := f.signIn(t, registrarA)
	recode(t, c, f.caseA, "C504", "8500")
	// EOD of a breast tumor confined to the breast, no nodes, no metastases: localized (EOD Primary
	// Tumor 100 maps to T "L" in the breast's extension table, nodes 000 to "NONE", mets 00 to
	// "NONE", and the summary stage table gives 1).
	form := c.openCase(t, f.caseA, siteSpecific)
	r := c.save(t, form, map[string]string{"eodPrimaryTumor": "100", "eodRegionalNodes": "000", "eodMets": "00"}, "HX-Request", "true")
	r.wantStatus(http.StatusOK)
	stored := f.loadCase(t, f.caseA).Tumor.Items["derivedSummaryStage2018"]
	if stored != "1" {
		t.Errorf("derived summary stage %q, want 1 (localized)", stored)
	}
	for _, p := range []*page{r, c.openCase(t, f.caseA, siteSpecific)} {
		in := p.testid("field-derivedSummaryStage2018").Find("input")
		if _, ro := in.Attr("readonly"); !ro {
			t.Errorf("derived summary stage is not read-only")
		}
		if v, _ := in.Attr("value"); v != stored {
			t.Errorf("derived summary stage shown as %q, want %q", v, stored)
		}
		help := p.testid("help-derivedSummaryStage2018").Find(`[data-testid="help-note"]`).Text()
		for _, want := range []string{"Derived from", "EOD Primary Tumor", "EOD Regional Nodes", "EOD Mets", "Behavior"} {
			if !strings.Contains(help, want) {
				t.Errorf("help %q does not say %s", help, want)
			}
		}
	}
	d := c.openCase(t, f.caseA, "diagnosis")
	if _, ro := d.testid("field-schemaId").Find("input").Attr("readonly"); !ro {
		t.Errorf("schema ID is not read-only")
	}
	if help := d.testid("help-schemaId").Text(); !strings.Contains(help, "Derived from") || !strings.Contains(help, "Primary Site") {
		t.Errorf("schema ID help %q", help)
	}
}

// TestSiteSpecificAsksForTheDiscriminatorAndFollowsIt: a cardia adenocarcinoma fits the stomach
// and the esophagus schemas; the section asks for Schema Discriminator 1 naming both, and a
// re-run of the edits with it given sends the section of the chosen schema.
func TestSiteSpecificAsksForTheDiscriminatorAndFollowsIt(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.New(t, store.DialectSQLite))
	c := f.signIn(t, registrarA)
	recode(t, c, f.caseA, "C504", "8500")
	c.save(t, c.openCase(t, f.caseA, siteSpecific), map[string]string{"her2OverallSummary": "1"}).wantStatus(http.StatusSeeOther)
	recode(t, c, f.caseA, "C160", "8140")
	p := c.openCase(t, f.caseA, siteSpecific)
	// Until the schema is chosen the HER2 value is not judged: it is named, with no choice yet.
	if p.testid("pending-item").AttrOr("data-item", "") != "her2OverallSummary" || p.testid("clear-her2OverallSummary").Length() != 0 {
		t.Errorf("HER2 before the schema is chosen: pending %d, clear button %d", p.testid("pending-item").Length(), p.testid("clear-her2OverallSummary").Length())
	}
	refused := formValues(p.testid("case-form"))
	refused.Set("outside", "clear:her2OverallSummary")
	c.post(t, casePath(f.caseA)+"/outside?section="+siteSpecific, refused).wantStatus(http.StatusConflict)
	if !fieldShown(p, "schemaDiscriminator1") {
		t.Fatalf("discriminator 1 not asked for\n%s", excerpt(p.body))
	}
	asked := p.testid("asked-schemaDiscriminator1").Text()
	needs := p.testid("schema-needs").Text()
	for _, want := range []string{"Stomach", "Esophagus"} {
		if !strings.Contains(asked, want) || !strings.Contains(needs, want) {
			t.Errorf("asked %q, needs %q: want %s named", asked, needs, want)
		}
	}
	// Its choices are the candidates' codes of the discriminator: 0 for the stomach among them.
	if p.testid("field-schemaDiscriminator1").Find(`select option[value="0"]`).Length() != 1 {
		t.Errorf("discriminator 1 offers no code 0 (stomach)\n%s", excerpt(p.body))
	}
	if p.testid("schema-head").AttrOr("data-schema", "?") != "" {
		t.Errorf("a schema is shown before the discriminator is given")
	}

	vals := formValues(p.testid("case-form"))
	vals.Set("schemaDiscriminator1", "0") // 0: the stomach
	r := c.post(t, casePath(f.caseA)+"/edits?section="+siteSpecific, vals, "HX-Request", "true")
	r.wantStatus(http.StatusOK)
	sec := r.doc.Find(`#section-fields[hx-swap-oob]`)
	if sec.Length() != 1 || sec.Find(`[data-testid="schema-head"]`).AttrOr("data-schema", "") != "stomach" {
		t.Fatalf("re-run sends no stomach section\n%s", excerpt(r.body))
	}
	if v, _ := sec.Find(`[name="schemaDiscriminator1"]`).Attr("value"); v != "0" && sec.Find(`[name="schemaDiscriminator1"] option[selected]`).AttrOr("value", "") != "0" {
		t.Errorf("the discriminator entered is not kept in the new section")
	}
	// With the schema unchanged the re-run leaves the section alone (the registrar is typing in it).
	vals = formValues(sec)
	vals.Set("_csrf", c.csrf(t))
	vals.Set("section", siteSpecific)
	vals.Set("patientVersion", "1")
	vals.Set("tumorVersion", p.input("tumorVersion"))
	if r := c.post(t, casePath(f.caseA)+"/edits?section="+siteSpecific, vals, "HX-Request", "true"); r.doc.Find(`#section-fields`).Length() != 0 {
		t.Errorf("re-run with the schema unchanged sends the section again")
	}
}

// TestDiagnosisRerunSaysTheNewSchema: changing the site on the diagnosis section re-runs the edits,
// whose answer carries the schema line and the site-specific tab's note for the new site.
func TestDiagnosisRerunSaysTheNewSchema(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.New(t, store.DialectSQLite))
	c := f.signIn(t, registrarA)
	recode(t, c, f.caseA, "C504", "8500")
	p := c.openCase(t, f.caseA, "diagnosis")
	vals := formValues(p.testid("case-form"))
	vals.Set("primarySite", "C341")
	vals.Set("histologicTypeIcdO3", "8140")
	r := c.post(t, casePath(f.caseA)+"/edits?section=diagnosis", vals, "HX-Request", "true")
	r.wantStatus(http.StatusOK)
	if line := r.doc.Find(`#schema-line[hx-swap-oob]`).Text(); !strings.Contains(line, "Lung") {
		t.Errorf("schema line %q, want Lung", line)
	}
	if note := r.doc.Find(`#note-` + siteSpecific + `[hx-swap-oob]`).Text(); !strings.Contains(note, "Lung") {
		t.Errorf("tab note %q, want Lung", note)
	}
}

// TestSiteSpecificLinksToADiscriminatorOnAnotherSection: the peritoneum's schema depends on the sex
// at birth; with it blank, the head asks for it with a link to the patient section that holds it.
func TestSiteSpecificLinksToADiscriminatorOnAnotherSection(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.New(t, store.DialectSQLite))
	c := f.signIn(t, registrarA)
	c.save(t, c.openCase(t, f.caseA, "patient"), map[string]string{"sexAssignedAtBirth": ""}).wantStatus(http.StatusSeeOther)
	recode(t, c, f.caseA, "C481", "8140")
	p := c.openCase(t, f.caseA, siteSpecific)
	link := p.testid("needs-sexAssignedAtBirth")
	if href := link.AttrOr("href", ""); !strings.Contains(href, "section=patient") || !strings.HasSuffix(href, "#f-sexAssignedAtBirth") {
		t.Errorf("sex asked for with link %q, want the patient section's field\n%s", href, excerpt(p.body))
	}
	if reason := p.testid("schema-reason").Text(); !strings.Contains(reason, "Sex") || !strings.Contains(reason, "decides") {
		t.Errorf("reason %q", reason)
	}
}
