package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/plural"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

// These tests rely on two edits only, DateOfBirthBeforeDiagnosis and DiagnosisBeforeLastContact
// (schemas/edits/dates.yaml): the rest of the edit set changes, so no count assumes its size.

const birthEdit = "DateOfBirthBeforeDiagnosis"

// patientBornAfterDiagnosis is Early, Eve of facility A: born in 1990, her tumor diagnosed in 1985.
func patientBornAfterDiagnosis(last, id string) naaccr.Patient {
	p := patientSmith()
	p.Items["nameLast"], p.Items["nameFirst"], p.Items["patientIdNumber"] = last, "Eve", id
	p.Items["dateOfBirth"] = "19900101"
	p.Tumors[0].Items["dateOfDiagnosis"] = "19850601"
	p.Tumors[0].Items["medicalRecordNumber"] = "MR" + id[2:]
	return p
}

// addCase stores a draft case in a facility and returns its tumor id.
func (f *fixture) addCase(t *testing.T, facility uint, p naaccr.Patient) uint {
	t.Helper()
	ctx := context.Background()
	if _, err := f.store.CreatePatient(ctx, facility, p, string(abstract.StatusDraft)); err != nil {
		t.Fatal(err)
	}
	rows, err := f.store.Worklist(ctx, store.WorklistFilter{Scope: store.FacilityScope(facility), Search: p.Items["nameLast"]})
	if err != nil || len(rows) != 1 {
		t.Fatalf("find the case of %s: %v (%d rows)", p.Items["nameLast"], err, len(rows))
	}
	return rows[0].TumorID
}

// failure returns the edit panel's entry for an edit.
func failure(p *page, edit string) *goquery.Selection {
	return p.testid("edit-panel").Find(`[data-testid="edit-failure"][data-edit="` + edit + `"]`)
}

// storedEditCounts reads a tumor's stored edit counts: errors from the worklist row, warnings
// from the tumor.
func (f *fixture) storedEditCounts(t *testing.T, id uint) (errs, warns int) {
	t.Helper()
	rows, err := f.store.Worklist(context.Background(), store.WorklistFilter{Scope: store.AllFacilities})
	if err != nil {
		t.Fatal(err)
	}
	errs = -1
	for _, r := range rows {
		if r.TumorID == id {
			errs = r.EditErrors
		}
	}
	if errs < 0 {
		t.Fatalf("tumor %d is not on the worklist", id)
	}
	return errs, f.loadCase(t, id).Tumor.EditWarnings
}

// panelCounts counts the failures an edit panel lists, by severity, and checks its headline.
func panelCounts(t *testing.T, p *page) (errs, warns int) {
	t.Helper()
	panel := p.testid("edit-panel")
	if panel.Length() != 1 {
		t.Fatalf("%d edit panels\n%s", panel.Length(), excerpt(p.body))
	}
	panel.Find(`[data-testid="edit-failure"]`).Each(func(_ int, s *goquery.Selection) {
		switch {
		case s.HasClass("edit-error"):
			errs++
		case s.HasClass("edit-warning"):
			warns++
		default:
			t.Errorf("failure %q has no severity class", s.AttrOr("data-edit", ""))
		}
	})
	if errs+warns > 0 {
		want := plural.Count(errs, "error") + ", " + plural.Count(warns, "warning")
		if !strings.Contains(panel.Text(), want) {
			t.Errorf("panel headline does not say %q: %q", want, panel.Text())
		}
	}
	return errs, warns
}

func TestCasePageShowsACleanEditPanelForACleanCase(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		c := f.signIn(t, registrarA)
		for _, section := range []string{"patient", "diagnosis"} {
			p := c.openCase(t, f.caseA, section)
			panel := p.testid("edit-panel")
			if panel.Length() != 1 || panel.Find(`[data-testid="edits-clean"]`).Length() != 1 {
				t.Errorf("%s: want an edit panel saying no edit fails\n%s", section, excerpt(p.body))
			}
			if n := panel.Find(`[data-testid="edit-failure"]`).Length(); n != 0 {
				t.Errorf("%s: %d failures listed for a clean case", section, n)
			}
			if p.doc.Find(`[data-testid^="flag-"]`).Length() != 0 {
				t.Errorf("%s: fields flagged on a clean case", section)
			}
		}
	})
}

func TestCasePageListsAFailingEditAndFlagsItsFields(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		bad := f.addCase(t, f.facA, patientBornAfterDiagnosis("Early", "00000091"))
		c := f.signIn(t, registrarA)

		p := c.openCase(t, bad, "diagnosis")
		fl := failure(p, birthEdit)
		if fl.Length() != 1 {
			t.Fatalf("no %s failure in the edit panel\n%s", birthEdit, excerpt(p.body))
		}
		if !fl.HasClass("edit-error") || !strings.Contains(fl.Text(), "19850601") || !strings.Contains(fl.Text(), "19900101") {
			t.Errorf("failure %q: want an error naming both dates", fl.Text())
		}
		// Links to both fields, each on its own tab.
		wantLinks := map[string]bool{
			casePath(bad) + "?section=patient#f-dateOfBirth":       false,
			casePath(bad) + "?section=diagnosis#f-dateOfDiagnosis": false,
		}
		fl.Find("a").Each(func(_ int, a *goquery.Selection) {
			if _, ok := wantLinks[a.AttrOr("href", "")]; ok {
				wantLinks[a.AttrOr("href", "")] = true
			}
		})
		for href, ok := range wantLinks {
			if !ok {
				t.Errorf("failure has no link to %s: %s", href, fl.Text())
			}
		}
		// On the diagnosis tab the date of diagnosis is flagged with the message.
		flag := p.testid("flag-dateOfDiagnosis")
		if flag.Length() == 0 || !strings.Contains(flag.Text(), "19850601") {
			t.Errorf("dateOfDiagnosis not flagged with the message\n%s", excerpt(p.body))
		}
		if !p.testid("field-dateOfDiagnosis").HasClass("has-flag") {
			t.Errorf("dateOfDiagnosis field not marked has-flag")
		}
		if p.testid("flag-primarySite").Length() != 0 {
			t.Errorf("primarySite flagged, though the failing edit does not read it")
		}
		// On the patient tab, the date of birth.
		p = c.openCase(t, bad, "patient")
		if failure(p, birthEdit).Length() != 1 || p.testid("flag-dateOfBirth").Length() == 0 {
			t.Errorf("patient tab: want the failure and dateOfBirth flagged\n%s", excerpt(p.body))
		}
	})
}

func TestEditCheckShowsFailuresOfEnteredValuesWithoutSaving(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		c := f.signIn(t, registrarA)
		page := c.openCase(t, f.caseA, "diagnosis")
		before := f.loadCase(t, f.caseA)
		hxURL, ok := page.testid("edit-panel").Attr("hx-post")
		if !ok || !strings.HasPrefix(hxURL, casePath(f.caseA)+"/edits") {
			t.Fatalf("edit panel posts to %q, want %s/edits…", hxURL, casePath(f.caseA))
		}
		vals := formValues(page.testid("case-form"))

		for _, tc := range []struct {
			name, dx string
			failing  []string // edits the panel must list
			clean    bool
		}{
			{"diagnosis before birth", "19500101", []string{birthEdit}, false},
			{"diagnosis after last contact", "20260916", []string{"DiagnosisBeforeLastContact"}, false},
			{"good date", "20250401", nil, true},
			// A value that fails its field check is left as stored: the save will say what is wrong.
			{"impossible date", "20251345", nil, true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				vals.Set("dateOfDiagnosis", tc.dx)
				p := c.post(t, hxURL, vals, "HX-Request", "true")
				p.wantStatus(http.StatusOK)
				if strings.Contains(p.body, "<html") || p.testid("case-form").Length() != 0 {
					t.Fatalf("want the edit panel alone\n%s", excerpt(p.body))
				}
				if p.testid("edit-panel").Length() != 1 {
					t.Fatalf("no edit panel\n%s", excerpt(p.body))
				}
				for _, e := range tc.failing {
					if fl := failure(p, e); fl.Length() != 1 || !strings.Contains(fl.Text(), tc.dx) {
						t.Errorf("no %s failure naming %s\n%s", e, tc.dx, p.body)
					}
				}
				if clean := p.testid("edits-clean").Length() == 1; clean != tc.clean {
					t.Errorf("panel clean %v, want %v\n%s", clean, tc.clean, p.body)
				}
			})
		}
		if after := f.loadCase(t, f.caseA); !sameCase(before, after) {
			t.Errorf("checking edits changed the case: %v → %v", before.Tumor.Items, after.Tumor.Items)
		}
		if evs := f.auditEvents(t, "case.update", "tumor", idString(f.caseA)); len(evs) != 0 {
			t.Errorf("checking edits was audited as %d case.update events", len(evs))
		}

		// Without the CSRF token the check is refused.
		vals.Del("_csrf")
		p := c.post(t, hxURL, vals, "HX-Request", "true")
		if p.status == http.StatusOK {
			t.Errorf("edit check without a CSRF token: status 200")
		}
	})
}

func TestEditCheckOfAnotherFacilitysCaseIsNotFound(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		c := f.signIn(t, registrarA)
		p := c.post(t, casePath(f.caseB)+"/edits?section=diagnosis", url.Values{
			"_csrf": {c.csrf(t)}, "section": {"diagnosis"}, "dateOfDiagnosis": {"19000101"},
		}, "HX-Request", "true")
		p.wantStatus(http.StatusNotFound)
		if strings.Contains(p.body, "Brown") || strings.Contains(p.body, "19000101") {
			t.Errorf("the answer shows B's case\n%s", excerpt(p.body))
		}
	})
}

func TestCaseSaveStoresTheEditCounts(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		c := f.signIn(t, registrarA)

		page := c.openCase(t, f.caseA, "diagnosis")
		p := c.save(t, page, map[string]string{"dateOfDiagnosis": "19500101"})
		p.wantStatus(http.StatusSeeOther)
		if got := f.loadCase(t, f.caseA).Tumor.DateOfDiagnosis; got != "19500101" {
			t.Fatalf("failing edits blocked the save: stored date %q", got)
		}
		p = c.get(t, p.location())
		p.wantStatus(http.StatusOK)
		if failure(p, birthEdit).Length() != 1 {
			t.Fatalf("saved page lists no %s failure\n%s", birthEdit, excerpt(p.body))
		}
		wantE, wantW := panelCounts(t, p)
		errs, warns := f.storedEditCounts(t, f.caseA)
		if errs < 1 || errs != wantE || warns != wantW {
			t.Errorf("stored %d errors, %d warnings; the panel lists %d and %d", errs, warns, wantE, wantW)
		}

		// Corrected: the counts go back down.
		p = c.save(t, c.openCase(t, f.caseA, "diagnosis"), map[string]string{"dateOfDiagnosis": "20250314"})
		p.wantStatus(http.StatusSeeOther)
		p = c.get(t, p.location())
		wantE, wantW = panelCounts(t, p)
		if errs, warns := f.storedEditCounts(t, f.caseA); errs != wantE || warns != wantW || failure(p, birthEdit).Length() != 0 {
			t.Errorf("after correcting: stored %d errors, %d warnings; panel %d and %d", errs, warns, wantE, wantW)
		}
	})
}

func TestSettingAnOverrideNeedsAComment(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		c := f.signIn(t, registrarA)
		const item = "overRideSiteLatMorph"

		page := c.openCase(t, f.caseA, "overrides")
		if page.testid("override-comment").Length() != 1 {
			t.Fatalf("overrides tab has no override comment\n%s", excerpt(page.body))
		}
		before := f.loadCase(t, f.caseA)

		for _, comment := range []string{"", "   "} {
			p := c.save(t, page, map[string]string{item: "1", "overrideComment": comment})
			p.wantStatus(http.StatusUnprocessableEntity)
			msg := p.testid("error-" + item)
			if msg.Length() != 1 || !strings.Contains(msg.Text(), "comment") {
				t.Errorf("comment %q: no error beside %s\n%s", comment, item, excerpt(p.body))
			}
			if p.testid("field-"+item).Find(`[data-testid="error-`+item+`"]`).Length() != 1 {
				t.Errorf("the error is not inside the %s field", item)
			}
			if got := p.input(item); got != "1" {
				t.Errorf("entered override not kept: %q", got)
			}
			if after := f.loadCase(t, f.caseA); !sameCase(before, after) {
				t.Fatalf("an override without a comment was saved: %v", after.Tumor.Items)
			}
		}

		const why = "Reviewed with the pathologist: the combination is correct."
		p := c.save(t, page, map[string]string{item: "1", "overrideComment": why})
		p.wantStatus(http.StatusSeeOther)
		if got := f.loadCase(t, f.caseA).Tumor.Items[item]; got != "1" {
			t.Fatalf("stored %s %q, want 1", item, got)
		}
		evs := f.auditEvents(t, "case.update", "tumor", idString(f.caseA))
		if len(evs) != 1 || !strings.Contains(evs[0].Details, why) {
			t.Fatalf("case.update events %+v; want one whose details hold the comment", evs)
		}
		found := false
		for _, ch := range itemChanges(t, evs[0]) {
			found = found || (ch.Item == item && ch.New == "1")
		}
		if !found {
			t.Errorf("the audited changes do not include %s set to 1: %s", item, evs[0].Details)
		}

		// Already set: saving again needs no new comment.
		p = c.save(t, c.openCase(t, f.caseA, "overrides"), map[string]string{"overrideComment": ""})
		p.wantStatus(http.StatusSeeOther)
	})
}

func TestEditsPageCountsFailingCasesOfTheUsersFacilityOnly(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		f.addCase(t, f.facA, patientBornAfterDiagnosis("Early", "00000091"))
		f.addCase(t, f.facB, patientBornAfterDiagnosis("Earlier", "00000092"))
		f.addCase(t, f.facB, patientBornAfterDiagnosis("Earliest", "00000093"))

		for _, tc := range []struct {
			user     string
			facility *uint
			want     int
		}{
			{registrarA, &f.facA, 1},
			{registrarB, &f.facB, 2},
			{adminUser, nil, 3},
		} {
			t.Run(tc.user, func(t *testing.T) {
				c := f.signIn(t, tc.user)
				p := c.get(t, "/edits")
				p.wantStatus(http.StatusOK)
				rows := p.testid("edit-row")
				if rows.Length() < 2 {
					t.Fatalf("%d edit rows\n%s", rows.Length(), excerpt(p.body))
				}
				row := rows.Filter(`[data-edit="` + birthEdit + `"]`)
				if row.Length() != 1 {
					t.Fatalf("no row for %s", birthEdit)
				}
				if got := strings.TrimSpace(row.Find(`[data-testid="failing"]`).Text()); got != strconv.Itoa(tc.want) {
					t.Errorf("%s failing %s, want %d", birthEdit, got, tc.want)
				}
				text := row.Text()
				for _, want := range []string{"error", "tumor", "dateOfBirth", "dateOfDiagnosis"} {
					if !strings.Contains(text, want) {
						t.Errorf("row does not say %q: %q", want, strings.Join(strings.Fields(text), " "))
					}
				}
				if got := strings.TrimSpace(rows.Filter(`[data-edit="DiagnosisBeforeLastContact"]`).Find(`[data-testid="failing"]`).Text()); got != "0" {
					t.Errorf("DiagnosisBeforeLastContact failing %q, want 0", got)
				}
				// The page says over how many cases it counted: those the user may see.
				scope := store.AllFacilities
				if tc.facility != nil {
					scope = store.FacilityScope(*tc.facility)
				}
				all, err := f.store.Worklist(context.Background(), store.WorklistFilter{Scope: scope})
				if err != nil {
					t.Fatal(err)
				}
				open := 0
				for _, r := range all {
					if r.Status == "draft" || r.Status == "in_review" || r.Status == "returned" {
						open++
					}
				}
				if tc.user == registrarA && open == len(all) {
					t.Fatalf("A's approved case is missing: the test cannot tell the counts apart")
				}
				if want := "over " + plural.Count(open, "case") + " "; !strings.Contains(p.body, want) {
					t.Errorf("page does not say %q (the cases in progress)\n%s", want, excerpt(p.body))
				}
				// Asked for, it counts over every case, and over one status.
				if want := "over " + plural.Count(len(all), "case") + " "; !strings.Contains(c.get(t, "/edits?status=all").body, want) {
					t.Errorf("status=all does not say %q", want)
				}
				if body := c.get(t, "/edits?status=approved").body; !strings.Contains(body, "over "+plural.Count(len(all)-open, "case")+" ") {
					t.Errorf("status=approved does not count the %d approved cases", len(all)-open)
				}
			})
		}
	})
}

func TestEditsPageNeedsASignIn(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		p := f.newClient().get(t, "/edits")
		if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location(), "/login") {
			t.Errorf("anonymous /edits: status %d, Location %q; want a redirect to the login", p.status, p.location())
		}
	})
}
