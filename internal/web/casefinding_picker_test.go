package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

// pickerPatients are the patient ids a picker offers, in order.
func pickerPatients(p *page) []string {
	var out []string
	p.testid("picker-patient").Each(func(_ int, s *goquery.Selection) {
		id, _ := s.Attr("data-patient")
		out = append(out, id)
	})
	return out
}

// TestSuspensePickerAddsToAPatientOfTheFacility: "add to a patient" searches the facility's
// patients by MRN or name (audited), adds the possible case to the one chosen, and refuses a
// patient or a record of another facility; a reviewer may not search.
func TestSuspensePickerAddsToAPatientOfTheFacility(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		reg := f.signIn(t, registrarA)
		reg.uploadCasefinding(t, reg.csrf(t), f.facA, "week48.csv", []byte(webCasefindingCSV)).wantStatus(http.StatusOK)
		list := reg.get(t, "/casefinding?facility="+idString(f.facA))
		quinn := suspenseRow(t, list, "MR200002") // a new patient: no match to add to
		if quinn.Find(`[data-testid="add-to-patient"]`).Length() != 0 {
			t.Error("Quinn, matched to no one, is offered her matched patient")
		}
		href, ok := quinn.Find(`[data-testid="other-patient"]`).Attr("href")
		if !ok {
			t.Fatalf("no patient picker link on Quinn's row")
		}
		ref, _ := quinn.Find(`[data-testid="choose"]`).Attr("value")
		jones := idString(f.loadCase(t, f.approvedA).Patient.ID)
		smith := idString(f.loadCase(t, f.caseA).Patient.ID)
		brown := idString(f.loadCase(t, f.caseB).Patient.ID)

		// The picker as a page starts with the record's last name: no Quinn in facility A.
		p := reg.get(t, href)
		p.wantStatus(http.StatusOK)
		if got := p.testid("picker-q").AttrOr("value", ""); got != "Quinn" {
			t.Errorf("picker starts with %q, want Quinn", got)
		}
		if p.testid("picker-empty").Length() != 1 {
			t.Errorf("no empty result for Quinn: %s", excerpt(p.body))
		}
		for _, c := range []struct {
			q    string
			want []string
		}{
			{"MR10000", []string{jones, smith}}, // by MRN prefix (both of facility A), by name
			{"Jon", []string{jones}},            // by last name
			{"jones, rob", []string{jones}},     // last and first
			{"Brown", nil},                      // facility B's patient
			{"MR20000", nil},                    // B's MRN
		} {
			r := reg.get(t, "/casefinding/patients?"+url.Values{"facility": {idString(f.facA)}, "ref": {ref}, "q": {c.q}, "inline": {"1"}}.Encode(),
				"HX-Request", "true", "HX-Target", "picker-results")
			r.wantStatus(http.StatusOK)
			if strings.Contains(r.body, "<html") || r.testid("picker-results").Length() != 1 {
				t.Errorf("q=%s: not the results fragment: %s", c.q, excerpt(r.body))
			}
			got := pickerPatients(r)
			if strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Errorf("q=%s: patients %v, want %v", c.q, got, c.want)
			}
			if c.q == "Jon" {
				form := r.testid("picker-patient").Find("form")
				if hxPost, _ := form.Attr("hx-post"); hxPost != "/casefinding/decide" {
					t.Errorf("an inline picker's decision does not swap the list: hx-post %q", hxPost)
				}
			}
		}
		if evs := f.auditEvents(t, "patient.search", "facility", idString(f.facA)); len(evs) < 5 {
			t.Errorf("%d patient searches audited, want the picker's 6", len(evs))
		}

		// Another facility's patient is refused, and nothing is made.
		out := reg.post(t, "/casefinding/decide", url.Values{"_csrf": {reg.csrf(t)}, "facility": {idString(f.facA)},
			"do": {"add_to_patient " + ref}, "patient": {brown}})
		if got := out.testid("decision-outcome").Text(); !strings.Contains(got, "patient "+brown+" is not a patient of the facility") {
			t.Errorf("Brown of facility B: %s", got)
		}
		var status string
		if err := s.DB().QueryRow("SELECT status FROM suspense_records WHERE mrn = 'MR200002'").Scan(&status); err != nil || status != store.SuspenseWaiting {
			t.Fatalf("Quinn is %q (%v) after a refused patient", status, err)
		}
		reg.post(t, "/casefinding/decide", url.Values{"_csrf": {reg.csrf(t)}, "facility": {idString(f.facA)},
			"do": {"add_to_patient " + ref}, "patient": {"x"}}).wantStatus(http.StatusUnprocessableEntity)

		// Jones, chosen: a new tumor of his, and the record says so.
		res := reg.post(t, "/casefinding/decide", url.Values{"_csrf": {reg.csrf(t)}, "facility": {idString(f.facA)},
			"do": {"add_to_patient " + ref}, "patient": {jones}})
		res.wantStatus(http.StatusSeeOther)
		var tumorID uint
		if err := s.DB().QueryRow("SELECT status, tumor_id FROM suspense_records WHERE mrn = 'MR200002'").Scan(&status, &tumorID); err != nil {
			t.Fatal(err)
		}
		if status != store.SuspenseAddedToPatient || res.location() != casePath(tumorID) {
			t.Errorf("Quinn is %q, redirected to %q (case %d)", status, res.location(), tumorID)
		}
		if got := idString(f.loadCase(t, tumorID).Patient.ID); got != jones {
			t.Errorf("the case went to patient %s, want Jones %s", got, jones)
		}

		// A record decided, of another facility, or asked for by a reviewer.
		smithRef, _ := suspenseRow(t, list, "MR100001").Find(`[data-testid="choose"]`).Attr("value")
		regB := f.signIn(t, registrarB)
		regB.get(t, "/casefinding/patients?facility="+idString(f.facA)+"&ref="+smithRef).wantStatus(http.StatusNotFound)
		regB.get(t, "/casefinding/patients?facility="+idString(f.facB)+"&ref="+smithRef).wantStatus(http.StatusNotFound)
		f.signIn(t, reviewerA).get(t, "/casefinding/patients?facility="+idString(f.facA)+"&ref="+smithRef).wantStatus(http.StatusForbidden)
		reg.get(t, "/casefinding/patients?facility="+idString(f.facA)).wantStatus(http.StatusBadRequest)
	})
}
