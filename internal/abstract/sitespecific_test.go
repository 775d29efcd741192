package abstract_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/cara-registry/cara/internal/abstract"
)

func siteSpecificSection(t *testing.T, f *abstract.Form) *abstract.Section {
	t.Helper()
	secs := f.SchemaSections()
	if len(secs) != 1 {
		t.Fatalf("form has %d schema sections, want 1", len(secs))
	}
	return secs[0]
}

// TestEverySchemaInputIsOnTheForm: an item a staging schema reads or derives is either in the
// schema section's pool or placed on another section, so the schema section never lacks a field
// the staging data asks for; and every pooled item is one some schema has.
func TestEverySchemaInputIsOnTheForm(t *testing.T) {
	_, _, f, _ := fixture(t)
	st := loadStaging(t)
	sec := siteSpecificSection(t, f)
	used := map[string]bool{}
	for _, s := range st.Schemas {
		for _, in := range s.Inputs {
			used[in.NAACCRXMLID] = true
			if _, ok := f.Field(in.NAACCRXMLID); !ok {
				t.Errorf("schema %s: input %s (%s) is not on the form", s.ID, in.Key, in.NAACCRXMLID)
			}
		}
		for _, o := range s.Outputs {
			if o.NAACCRXMLID == "" {
				continue
			}
			used[o.NAACCRXMLID] = true
			if fl, ok := f.Field(o.NAACCRXMLID); !ok || !fl.Derived {
				t.Errorf("schema %s: output %s is not a derived field of the form", s.ID, o.NAACCRXMLID)
			}
		}
	}
	for _, fl := range sec.Fields {
		if !used[fl.Def.ID] {
			t.Errorf("pooled item %s is in no schema", fl.Def.ID)
		}
	}
}

func ids(ss *abstract.SiteSpecific) []string {
	var out []string
	for _, sf := range ss.Fields {
		out = append(out, sf.Field.Def.ID)
	}
	return out
}

func TestSiteSpecificShowsTheSchemasItemsInItsOrder(t *testing.T) {
	_, _, f, _ := fixture(t)
	st := loadStaging(t)
	sec := siteSpecificSection(t, f)
	tumor := func(site, hist string) map[string]string {
		return map[string]string{"primarySite": site, "histologicTypeIcdO3": hist, "behaviorCodeIcdO3": "3", "dateOfDiagnosis": "20250314"}
	}
	tests := []struct {
		name, site, hist, schema string
		want, not                []string
	}{
		{"breast", "C504", "8500", "breast", []string{"eodPrimaryTumor", "gradeClinical", "estrogenReceptorSummary", "her2OverallSummary", "derivedSummaryStage2018"}, []string{"psaLabValue", "separateTumorNodules", "schemaDiscriminator1"}},
		{"prostate", "C619", "8140", "prostate", []string{"eodPrimaryTumor", "prostatePathologicalExtension", "psaLabValue", "gleasonScoreClinical"}, []string{"her2OverallSummary", "estrogenReceptorSummary"}},
		{"lung", "C341", "8140", "lung_v9_2025", []string{"separateTumorNodules", "egfrMutationalAnalysis"}, []string{"her2OverallSummary", "psaLabValue"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ss := f.SiteSpecificOf(sec, st, map[string]string{"sexAssignedAtBirth": "2"}, tumor(tc.site, tc.hist), 2026)
			if ss.Schema == nil || ss.Schema.ID != tc.schema {
				t.Fatalf("schema %v (%s), want %s", ss.Schema, ss.Reason, tc.schema)
			}
			got := ids(ss)
			for _, id := range tc.want {
				if !slices.Contains(got, id) {
					t.Errorf("fields %v lack %s", got, id)
				}
			}
			for _, id := range tc.not {
				if slices.Contains(got, id) {
					t.Errorf("fields %v hold %s", got, id)
				}
			}
			// The schema's order: inputs as the schema lists them, then its outputs.
			var order []string
			for _, in := range ss.Schema.Inputs {
				if slices.Contains(got, in.NAACCRXMLID) {
					order = append(order, in.NAACCRXMLID)
				}
			}
			for _, o := range ss.Schema.Outputs {
				if o.NAACCRXMLID != "" && slices.Contains(got, o.NAACCRXMLID) {
					order = append(order, o.NAACCRXMLID)
				}
			}
			if !slices.Equal(got, order) {
				t.Errorf("fields %v, want the schema's order %v", got, order)
			}
			for _, sf := range ss.Fields {
				if sf.Input != nil && len(sf.Codes) == 0 {
					t.Errorf("%s has no codes of the schema", sf.Field.Def.ID)
				}
			}
			if !strings.Contains(ss.Reason, tc.site) || !strings.Contains(ss.Reason, tc.hist) {
				t.Errorf("reason %q does not name the site and histology", ss.Reason)
			}
		})
	}
}

func TestSiteSpecificListsValuesOutsideTheSchema(t *testing.T) {
	_, _, f, _ := fixture(t)
	st := loadStaging(t)
	sec := siteSpecificSection(t, f)
	// A breast case moved to the lung: its HER2 and ER stay as values outside the lung schema;
	// the grade is a lung input too, so it is not outside.
	tumor := map[string]string{
		"primarySite": "C341", "histologicTypeIcdO3": "8140", "behaviorCodeIcdO3": "3", "dateOfDiagnosis": "20250314",
		"her2OverallSummary": "1", "estrogenReceptorSummary": "0", "gradeClinical": "2", "derivedSummaryStage2018": "1",
	}
	ss := f.SiteSpecificOf(sec, st, nil, tumor, 2026)
	var outside []string
	for _, o := range ss.Outside {
		outside = append(outside, o.Field.Def.ID+"="+o.Value)
	}
	if want := []string{"estrogenReceptorSummary=0", "her2OverallSummary=1"}; !slices.Equal(sortCopy(outside), want) {
		t.Errorf("outside %v, want %v", outside, want)
	}
}

func sortCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

func TestSiteSpecificAsksForTheDiscriminator(t *testing.T) {
	_, _, f, _ := fixture(t)
	st := loadStaging(t)
	sec := siteSpecificSection(t, f)
	tests := []struct {
		name       string
		tumor      map[string]string
		needs      []string
		candidates []string
		reason     string
	}{
		{"cardia adenocarcinoma", map[string]string{"primarySite": "C160", "histologicTypeIcdO3": "8140", "behaviorCodeIcdO3": "3", "dateOfDiagnosis": "20250314"},
			[]string{"schemaDiscriminator1"}, []string{"Esophagus (including GE junction) (excluding Squamous)", "Stomach"}, "decides"},
		{"no site", map[string]string{"histologicTypeIcdO3": "8140"}, []string{"primarySite"}, nil, "blank"},
		// The peritoneum's schema depends on the sex at birth, an item of the patient section.
		{"peritoneum without a sex", map[string]string{"primarySite": "C481", "histologicTypeIcdO3": "8140", "behaviorCodeIcdO3": "3", "dateOfDiagnosis": "20250314"},
			[]string{"sexAssignedAtBirth"}, nil, "Sex"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ss := f.SiteSpecificOf(sec, st, nil, tc.tumor, 2026)
			if ss.Schema != nil {
				t.Fatalf("schema %s, want none", ss.Schema.ID)
			}
			var needs []string
			for _, n := range ss.Needed {
				needs = append(needs, n.Item)
				if n.Field == nil {
					t.Errorf("needed %s has no field", n.Item)
				}
			}
			if !slices.Equal(needs, tc.needs) {
				t.Errorf("needs %v, want %v", needs, tc.needs)
			}
			if tc.candidates != nil && !slices.Equal(sortCopy(ss.Candidates), tc.candidates) {
				t.Errorf("candidates %q, want %q", ss.Candidates, tc.candidates)
			}
			if !strings.Contains(ss.Reason, tc.reason) {
				t.Errorf("reason %q, want it to say %q", ss.Reason, tc.reason)
			}
			if len(ss.Fields) != 0 {
				t.Errorf("fields %v without a schema", ids(ss))
			}
		})
	}
}

func TestDerivedFromNamesTheInputs(t *testing.T) {
	_, _, f, _ := fixture(t)
	st := loadStaging(t)
	breast := st.Schemas["breast"]
	got := f.DerivedFrom(st, breast, "derivedSummaryStage2018")
	for _, want := range []string{"EOD Primary Tumor", "EOD Regional Nodes", "EOD Mets", "Behavior"} {
		if !slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, want) }) {
			t.Errorf("derived from %q, want %s among them", got, want)
		}
	}
	if got := f.DerivedFrom(st, breast, "schemaId"); !slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, "Primary Site") }) {
		t.Errorf("schemaId derived from %q, want the primary site among them", got)
	}
	if got := f.DerivedFrom(st, breast, "derivedRaiStage"); got != nil {
		t.Errorf("breast derives Rai stage from %q", got)
	}
}
