package web_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

// worklistMRNs returns the medical record numbers on a worklist page.
func worklistMRNs(p *page) []string {
	var out []string
	p.testid("worklist-row").Each(func(_ int, row *goquery.Selection) {
		out = append(out, strings.TrimSpace(row.Find("td").Eq(1).Text()))
	})
	slices.Sort(out)
	return out
}

func TestCaseOfOtherFacilityIsNotFound(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		a := f.signIn(t, registrarA)
		before := f.loadCase(t, f.caseB)

		p := a.get(t, casePath(f.caseB))
		p.wantStatus(http.StatusNotFound)
		if p.testid("error-page").Length() != 1 || strings.Contains(p.body, "Brown") {
			t.Errorf("want the plain not-found page without the patient\n%s", excerpt(p.body))
		}

		// A forged post with A's valid token and B's versions.
		p = a.post(t, casePath(f.caseB)+"?section=patient", url.Values{
			"_csrf": {a.csrf(t)}, "section": {"patient"}, "nameLast": {"Hacked"},
			"patientVersion": {"1"}, "tumorVersion": {"1"},
		})
		p.wantStatus(http.StatusNotFound)
		if p.testid("error-page").Length() != 1 {
			t.Errorf("no error page\n%s", excerpt(p.body))
		}
		if after := f.loadCase(t, f.caseB); !sameCase(before, after) {
			t.Errorf("B's case changed by A's registrar: %v → %v", before.Patient.Items, after.Patient.Items)
		}
		if evs := f.auditEvents(t, "case.view", "tumor", idString(f.caseB)); len(evs) != 0 {
			t.Errorf("a refused view was audited as case.view")
		}
	})
}

func TestWorklistListsOnlyCasesInScope(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		mrnsA := []string{"MR100001", "MR100002"}
		mrnsB := slices.Sorted(slices.Values(f.mrnsB))
		all := slices.Sorted(slices.Values(append(slices.Clone(mrnsA), mrnsB...)))
		for _, tc := range []struct {
			user string
			want []string
		}{
			{registrarA, mrnsA},
			{registrarB, mrnsB},
			{adminUser, all},
		} {
			t.Run(tc.user, func(t *testing.T) {
				c := f.signIn(t, tc.user)
				p := c.get(t, "/cases")
				p.wantStatus(http.StatusOK)
				if got := worklistMRNs(p); !slices.Equal(got, tc.want) {
					t.Errorf("worklist MRNs %q, want %q", got, tc.want)
				}
				// A search does not widen the scope either.
				p = c.get(t, "/cases?q=Brown")
				if got := worklistMRNs(p); tc.user == registrarA && len(got) != 0 {
					t.Errorf("search for Brown by A's registrar lists %q", got)
				}
			})
		}
		// The administrator may open a case of either facility.
		admin := f.signIn(t, adminUser)
		admin.openCase(t, f.caseA, "patient")
		admin.openCase(t, f.caseB, "patient")
	})
}

func TestCaseSaveStoresChangeAndAuditsIt(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, section, item, level, old, new string
		patientVersion                       int64 // after the save; the tumor's is always 2
	}{
		{"tumor item", "diagnosis", "primarySite", "tumor", "C341", "C342", 1},
		{"patient item", "patient", "nameLast", "patient", "Smith", "Smyth", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, s *store.Store) {
				f := newFixture(t, s)
				c := f.signIn(t, registrarA)
				page := c.openCase(t, f.caseA, tc.section)
				if got := page.input(tc.item); got != tc.old {
					t.Fatalf("%s shown as %q, want %q", tc.item, got, tc.old)
				}

				p := c.save(t, page, map[string]string{tc.item: tc.new})
				p.wantStatus(http.StatusSeeOther)
				wantLoc := casePath(f.caseA) + "?section=" + tc.section + "&saved=1"
				if got := p.location(); got != wantLoc {
					t.Fatalf("Location %q, want %q", got, wantLoc)
				}

				p = c.get(t, p.location())
				p.wantStatus(http.StatusOK)
				if p.testid("saved").Length() != 1 {
					t.Errorf("no saved message after the redirect")
				}
				if got := p.input(tc.item); got != tc.new {
					t.Errorf("%s shown as %q after saving, want %q", tc.item, got, tc.new)
				}
				if got := p.input("tumorVersion"); got != "2" {
					t.Errorf("form carries tumorVersion %s, want 2", got)
				}

				cs := f.loadCase(t, f.caseA)
				if cs.Tumor.Version != 2 || cs.Patient.Version != tc.patientVersion {
					t.Errorf("versions patient %d, tumor %d; want %d, 2", cs.Patient.Version, cs.Tumor.Version, tc.patientVersion)
				}
				stored := cs.Tumor.Items[tc.item]
				if tc.level == "patient" {
					stored = cs.Patient.Items[tc.item]
				}
				if stored != tc.new {
					t.Errorf("stored %s %q, want %q", tc.item, stored, tc.new)
				}

				evs := f.auditEvents(t, "case.update", "tumor", idString(f.caseA))
				if len(evs) != 1 {
					t.Fatalf("%d case.update events, want 1", len(evs))
				}
				if evs[0].UserID == nil || *evs[0].UserID != f.users[registrarA].ID {
					t.Errorf("case.update by user %v, want %d", evs[0].UserID, f.users[registrarA].ID)
				}
				// The save also computes the derived items (age at diagnosis; the lung schema's ID, stage
				// and grade, 9 with the EOD and grades blank; the staging data's version), which are
				// audited too.
				want := []store.ItemChange{{Level: "tumor", Item: "ageAtDiagnosis", Old: "", New: "066"}, {Level: tc.level, Item: tc.item, Old: tc.old, New: tc.new},
					{Level: "tumor", Item: "derivedSummaryGrade2018", New: "9"}, {Level: "tumor", Item: "derivedSummaryStage2018", New: "9"},
					{Level: "tumor", Item: "schemaId", New: "09360"}, {Level: "tumor", Item: "schemaIdVersionCurrent", New: "3.3"},
					{Level: "tumor", Item: "schemaIdVersionOriginal", New: "3.3"}}
				slices.SortFunc(want, func(a, b store.ItemChange) int { return strings.Compare(a.Level+a.Item, b.Level+b.Item) })
				if got := itemChanges(t, evs[0]); !slices.Equal(got, want) {
					t.Errorf("audited changes %+v, want %+v", got, want)
				}
			})
		})
	}
}

func TestCaseSaveOverHtmxReturnsFormFragment(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		c := f.signIn(t, registrarA)
		page := c.openCase(t, f.caseA, "diagnosis")
		p := c.save(t, page, map[string]string{"primarySite": "C342"}, "HX-Request", "true")
		p.wantStatus(http.StatusOK)
		if !strings.Contains(p.body, `data-testid="saved"`) {
			t.Errorf("fragment has no saved message\n%s", excerpt(p.body))
		}
		if strings.Contains(p.body, "<html") || strings.Contains(p.body, "<!DOCTYPE") {
			t.Errorf("htmx got a whole page, want the form only\n%s", excerpt(p.body))
		}
		if p.testid("case-form").Length() != 1 {
			t.Fatalf("fragment is not the case form\n%s", excerpt(p.body))
		}
		if got := p.input("primarySite"); got != "C342" {
			t.Errorf("primarySite %q in the fragment, want C342", got)
		}
		if got := p.input("tumorVersion"); got != "2" {
			t.Errorf("fragment carries tumorVersion %s, want 2 so that the next save is not a conflict", got)
		}
		if got := f.loadCase(t, f.caseA).Tumor.PrimarySite; got != "C342" {
			t.Errorf("stored primary site %q, want C342", got)
		}
	})
}

func TestCaseSaveRejectsInvalidInputAndKeepsEntries(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		c := f.signIn(t, registrarA)
		for _, tc := range []struct {
			name, section string
			item, value   string
			wantMessage   []string // parts of the message beside the field
			other, oValue string   // a valid change posted together with the wrong one
		}{
			{"impossible date", "diagnosis", "dateOfDiagnosis", "20251345",
				[]string{"Date of Diagnosis [390]", "not valid for data type date"}, "primarySite", "C342"},
			{"letters in a digits item", "identification", "accessionNumberHosp", "12AB5",
				[]string{"Accession Number--Hosp [550]", "not valid for data type digits"}, "medicalRecordNumber", "MR100009"},
			{"too long", "patient", "nameLast", strings.Repeat("A", 41),
				[]string{"Name--Last [2230]", "41 characters entered", "at most 40"}, "nameFirst", "Annabel"},
			{"code not in list", "diagnosis", "laterality", "7",
				[]string{"Laterality [410]", `"7" is not an allowed code`}, "primarySite", "C342"},
			{"not a topography code", "diagnosis", "primarySite", "C999",
				[]string{"Primary Site [400]", `"C999" is not in the code list`}, "dateOfDiagnosis", "20250315"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := f.loadCase(t, f.caseA)
				page := c.openCase(t, f.caseA, tc.section)
				p := c.save(t, page, map[string]string{tc.item: tc.value, tc.other: tc.oValue})
				p.wantStatus(http.StatusUnprocessableEntity)

				field := p.testid("field-" + tc.item)
				msg := field.Find(`[data-testid="error-` + tc.item + `"]`)
				if msg.Length() != 1 {
					t.Fatalf("no error beside %s\n%s", tc.item, excerpt(p.body))
				}
				for _, part := range tc.wantMessage {
					if !strings.Contains(msg.Text(), part) {
						t.Errorf("message %q does not contain %q", msg.Text(), part)
					}
				}
				if n := p.doc.Find(`[data-testid^="error-"]`).Length(); n != 1 {
					t.Errorf("%d field errors, want only the one on %s", n, tc.item)
				}
				if p.testid("form-errors").Length() != 1 {
					t.Errorf("no summary of the errors")
				}
				// Nothing typed is lost: the wrong value and the other change are still in the form.
				if got := p.input(tc.item); got != tc.value {
					t.Errorf("%s holds %q, want the entered %q", tc.item, got, tc.value)
				}
				if got := p.input(tc.other); got != tc.oValue {
					t.Errorf("%s holds %q, want the entered %q", tc.other, got, tc.oValue)
				}
				if got := p.input("tumorVersion"); got != idString(uint(before.Tumor.Version)) {
					t.Errorf("form carries tumorVersion %s, want the loaded %d", got, before.Tumor.Version)
				}
				if after := f.loadCase(t, f.caseA); !sameCase(before, after) {
					t.Errorf("case changed by a refused save:\npatient %v → %v\ntumor %v → %v",
						before.Patient.Items, after.Patient.Items, before.Tumor.Items, after.Tumor.Items)
				}
			})
		}
		if evs := f.auditEvents(t, "case.update", "tumor", idString(f.caseA)); len(evs) != 0 {
			t.Errorf("%d case.update events after refused saves, want none", len(evs))
		}
	})
}

func TestCaseSaveRejectsStaleVersion(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		first, second := f.signIn(t, registrarA), f.signIn(t, registrarA)
		firstPage := first.openCase(t, f.caseA, "diagnosis")
		secondPage := second.openCase(t, f.caseA, "diagnosis")

		first.save(t, firstPage, map[string]string{"primarySite": "C342"}).wantStatus(http.StatusSeeOther)

		p := second.save(t, secondPage, map[string]string{"primarySite": "C343"})
		p.wantStatus(http.StatusConflict)
		if p.testid("conflict").Length() != 1 {
			t.Fatalf("no conflict message\n%s", excerpt(p.body))
		}
		if href, _ := p.testid("conflict-take-stored").Attr("href"); !strings.HasPrefix(href, casePath(f.caseA)) {
			t.Errorf("no way to take the stored values: link %q", href)
		}
		var items [][]string
		p.testid("conflict-item").Each(func(_ int, row *goquery.Selection) {
			id, _ := row.Attr("data-item")
			td := row.Find("td")
			items = append(items, []string{id, strings.TrimSpace(td.Eq(1).Text()), strings.TrimSpace(td.Eq(2).Text())})
		})
		if want := [][]string{{"primarySite", "C342", "C343"}}; !slices.EqualFunc(items, want, slices.Equal) {
			t.Errorf("conflict items (item, stored, entered) %q, want %q", items, want)
		}
		if got := p.input("primarySite"); got != "C343" {
			t.Errorf("conflict form holds %q, want the entered C343", got)
		}
		if got := f.loadCase(t, f.caseA).Tumor.PrimarySite; got != "C342" {
			t.Fatalf("stored primary site %q, want the first save's C342", got)
		}

		// The conflict form carries the new versions: saving it again keeps the second user's value.
		p = second.save(t, p, nil)
		p.wantStatus(http.StatusSeeOther)
		cs := f.loadCase(t, f.caseA)
		if cs.Tumor.PrimarySite != "C343" || cs.Tumor.Version != 3 {
			t.Errorf("after re-saving: primary site %q, version %d; want C343, 3", cs.Tumor.PrimarySite, cs.Tumor.Version)
		}
	})
}

func TestCaseViewIsAudited(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		c := f.signIn(t, registrarA)
		p := c.openCase(t, f.caseA, "diagnosis")
		if got := strings.TrimSpace(p.testid("case-title").Text()); got != "Smith, Anna" {
			t.Errorf("case title %q", got)
		}
		evs := f.auditEvents(t, "case.view", "tumor", idString(f.caseA))
		if len(evs) != 1 {
			t.Fatalf("%d case.view events, want 1", len(evs))
		}
		if evs[0].UserID == nil || *evs[0].UserID != f.users[registrarA].ID {
			t.Errorf("case.view by user %v, want %d", evs[0].UserID, f.users[registrarA].ID)
		}
		if !strings.Contains(evs[0].Details, `"section":"diagnosis"`) {
			t.Errorf("case.view details %s do not name the section", evs[0].Details)
		}
		if !evs[0].At.Equal(clock) {
			t.Errorf("case.view at %s, want the fixed clock %s", evs[0].At, clock)
		}
	})
}

func TestApprovedCaseCannotBeSaved(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		c := f.signIn(t, registrarA)
		before := f.loadCase(t, f.approvedA)
		page := c.openCase(t, f.approvedA, "diagnosis")
		if _, disabled := page.testid("case-form").Find("fieldset").Attr("disabled"); !disabled {
			t.Errorf("fields of an approved case are not disabled")
		}
		if page.testid("save").Length() != 0 {
			t.Errorf("an approved case has a save button")
		}

		p := c.save(t, page, map[string]string{"primarySite": "C609"})
		p.wantStatus(http.StatusConflict)
		if !strings.Contains(p.testid("error-page").Text(), "Approved and cannot be changed") {
			t.Errorf("want a page saying the case cannot be changed\n%s", excerpt(p.body))
		}
		if after := f.loadCase(t, f.approvedA); !sameCase(before, after) {
			t.Errorf("approved case changed: %v → %v", before.Tumor.Items, after.Tumor.Items)
		}
	})
}
