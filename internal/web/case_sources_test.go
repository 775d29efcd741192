package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

// fullPathologyMessage is a breast core biopsy report with synoptic values (ER, PR, HER2, size).
func fullPathologyMessage(id, mrn string) string {
	return strings.Join([]string{
		`MSH|^~\&|COPATH|STATE LAB^12D3456789^CLIA|CARA|REGISTRY|20261101093000||ORU^R01^ORU_R01|` + id + `|P|2.5.1`,
		`PID|1||` + mrn + `^^^GENERAL^MR||HALE^ANNE||19550304|F|||12 Elm St^^Springfield^IL^62704`,
		`OBR|1||S26-1234^COPATH|60568-3^Synoptic report^LN|||20261028101500|||||||||1234567890^Welby^Marcus||||S26-1234`,
		`OBX|1|TX|22637-3^Final diagnosis^LN||LEFT BREAST, 2 O'CLOCK, CORE BIOPSY:~INVASIVE DUCTAL CARCINOMA, GRADE 2||||||F`,
		`OBX|2|TX|22634-0^Gross description^LN||Three cores in formalin.||||||F`,
		`OBX|3|CWE|85337-4^ER^LN||LA6576-8^Positive^LN||||||F`,
		`OBX|4|NM|21889-1^Tumor size^LN||1.4|cm^centimeter^UCUM|||||F`,
	}, "\r") + "\r"
}

func TestCaseStartedFromAReportIsPreFilledWithSources(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		ctx := context.Background()
		reg := f.signIn(t, registrarA)
		reg.postFile(t, "/casefinding/reports", map[string]string{"_csrf": reg.csrf(t), "facility": idString(f.facA)},
			"path.hl7", []byte(fullPathologyMessage("P1", "800100"))).wantStatus(http.StatusOK)
		list := reg.get(t, "/casefinding?facility="+idString(f.facA))
		ref, _ := suspenseRow(t, list, "800100").Find(`[data-testid="choose"]`).Attr("value")
		reg.post(t, "/casefinding/decide", url.Values{"_csrf": {reg.csrf(t)}, "facility": {idString(f.facA)}, "do": {"start_abstract " + ref}}).
			wantStatus(http.StatusSeeOther)
		var tumorID uint
		if err := s.DB().QueryRow("SELECT tumor_id FROM suspense_records WHERE mrn = '800100'").Scan(&tumorID); err != nil {
			t.Fatal(err)
		}
		casePath := "/cases/" + idString(tumorID)
		if cs := f.loadCase(t, tumorID); cs.Tumor.Items["primarySite"] != "" || cs.Tumor.Items["laterality"] != "" {
			t.Fatalf("suggestions were stored before the registrar saved them: %v", cs.Tumor.Items)
		}

		p := reg.get(t, casePath+"?section=diagnosis")
		p.wantStatus(http.StatusOK)
		for item, want := range map[string]string{"primarySite": "C509", "histologicTypeIcdO3": "8500", "laterality": "2", "dateOfDiagnosis": "20261028"} {
			if got := p.input(item); got != want {
				t.Errorf("%s pre-filled %q, want %q", item, got, want)
			}
			note := p.testid("suggested-" + item).Text()
			if !strings.Contains(note, "Suggested") {
				t.Errorf("%s: source note %q", item, note)
			}
		}
		if note := p.testid("suggested-histologicTypeIcdO3").Text(); !strings.Contains(note, "final diagnosis (look-up): “INVASIVE DUCTAL CARCINOMA”") {
			t.Errorf("histology's source does not quote the diagnosis: %q", note)
		}
		panel := p.testid("report-panel").Text()
		if !strings.Contains(panel, "Pathology report S26-1234 from COPATH · STATE LAB") || !strings.Contains(panel, "Final diagnosis") || !strings.Contains(panel, "Three cores in formalin.") {
			t.Errorf("report panel %q", panel)
		}

		// Saving the section keeps the suggestions; the report is then shown as the values' source.
		form := formOf(t, p, "case-form")
		reg.post(t, casePath+"?section=diagnosis", form).wantStatus(http.StatusSeeOther)
		cs := f.loadCase(t, tumorID)
		if cs.Tumor.Items["primarySite"] != "C509" || cs.Tumor.Items["laterality"] != "2" || cs.Tumor.Items["histologicTypeIcdO3"] != "8500" {
			t.Fatalf("saved case %v: want the suggestions kept", cs.Tumor.Items)
		}
		again := reg.get(t, casePath+"?section=diagnosis")
		if again.testid("suggested-primarySite").Length() != 0 || !strings.Contains(again.testid("from-report-primarySite").Text(), "final diagnosis") {
			t.Errorf("after the save: suggested %q, from report %q", again.testid("suggested-primarySite").Text(), again.testid("from-report-primarySite").Text())
		}

		// A suggestion dismissed is not offered again.
		stage := reg.get(t, casePath+"?section=stage")
		if stage.input("tumorSizeSummary") != "014" {
			t.Fatalf("tumor size pre-filled %q, want 014", stage.input("tumorSizeSummary"))
		}
		vals := formOf(t, stage, "case-form")
		vals.Set("dismiss", "tumorSizeSummary=014")
		reg.post(t, casePath+"/suggestions/dismiss?section=stage", vals).wantStatus(http.StatusSeeOther)
		if after := reg.get(t, casePath+"?section=stage"); after.input("tumorSizeSummary") != "" || after.testid("suggested-tumorSizeSummary").Length() != 0 {
			t.Errorf("dismissed tumor size still offered: %q", after.input("tumorSizeSummary"))
		}
		if evs := f.auditEvents(t, "case.suggestion_dismiss", "tumor", idString(tumorID)); len(evs) != 1 || !strings.Contains(evs[0].Details, "tumorSizeSummary") {
			t.Errorf("dismiss events %+v", evs)
		}

		// The message as received, audited.
		key, _ := p.testid("report").Attr("data-key")
		raw := reg.get(t, casePath+"/reports/"+key+"/raw")
		raw.wantStatus(http.StatusOK)
		if !strings.HasPrefix(raw.body, "MSH|^~\\&|COPATH") {
			t.Errorf("raw message %q", raw.body)
		}
		if evs := f.auditEvents(t, "ehr.report_view", "tumor", idString(tumorID)); len(evs) != 1 {
			t.Errorf("%d ehr.report_view events, want 1", len(evs))
		}

		// A reviewer sees what the report says, not pre-filled values; another facility sees nothing.
		rev := f.signIn(t, reviewerA).get(t, casePath+"?section=stage")
		rev.wantStatus(http.StatusOK)
		if !strings.Contains(rev.testid("report-panel").Text(), "Final diagnosis") {
			t.Errorf("reviewer's page has no report panel")
		}
		regB := f.signIn(t, registrarB)
		regB.get(t, casePath).wantStatus(http.StatusNotFound)
		regB.get(t, casePath+"/reports/"+key+"/raw").wantStatus(http.StatusNotFound)
		_ = ctx
	})
}
