package web_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

// webCasefindingCSV: Smith's lung again (already abstracted in facility A), a new patient's
// breast cancer, a basal cell carcinoma (set aside) and a bad date.
const webCasefindingCSV = `mrn,last_name,first_name,date_of_birth,sex,encounter_date,icd10cm_codes,source
MR100001,Smith,Anna,19580704,F,20260901,C34.11,disease index
MR200002,Quinn,Maeve,19620415,F,20260910,C50.411;Z17.0,pathology
MR200003,Ortiz,Luis,19600102,M,20260815,C44.311,disease index
MR200004,Brown,Tom,19800230,M,20260820,C61,
`

// uploadCasefinding posts a file through the suspense page's upload form.
func (c *client) uploadCasefinding(t testing.TB, csrf string, facility uint, name string, data []byte) *page {
	t.Helper()
	return c.postFile(t, "/casefinding/import", map[string]string{"_csrf": csrf, "facility": idString(facility), "source": "other"}, name, data)
}

// postFile posts a multipart form of fields and one file (the field "file").
func (c *client) postFile(t testing.TB, path string, fields map[string]string, name string, data []byte) *page {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, c.base+path, &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := c.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	doc, _ := goquery.NewDocumentFromReader(bytes.NewReader(b))
	return &page{t: t, status: resp.StatusCode, header: resp.Header, body: string(b), doc: doc}
}

// suspenseRow is the row of the list for an MRN.
func suspenseRow(t testing.TB, p *page, mrn string) *goquery.Selection {
	t.Helper()
	row := p.doc.Find(`[data-testid="suspense-row"][data-mrn="` + mrn + `"]`)
	if row.Length() != 1 {
		t.Fatalf("%d rows of MRN %s in the list:\n%s", row.Length(), mrn, excerpt(p.body))
	}
	return row
}

func TestSuspensePageImportsShowsMatchesAndDecides(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		reg := f.signIn(t, registrarA)
		p := reg.uploadCasefinding(t, reg.csrf(t), f.facA, "week48.csv", []byte(webCasefindingCSV))
		p.wantStatus(http.StatusOK)
		if got := p.testid("import-added").Text(); got != "3" {
			t.Errorf("added %q, want 3", got)
		}
		if got := p.testid("import-error-list").Text(); !strings.Contains(got, `row 5, column date_of_birth: "19800230": not a date`) {
			t.Errorf("errors %q", got)
		}
		// The list shows those waiting: the set-aside record is not among them.
		p = reg.get(t, "/casefinding?facility="+idString(f.facA))
		p.wantStatus(http.StatusOK)
		if n := p.testid("suspense-row").Length(); n != 2 {
			t.Fatalf("%d rows waiting, want 2", n)
		}
		smith := suspenseRow(t, p, "MR100001")
		if got := smith.Find(`[data-testid="match-kind"]`).Text(); got != "Already abstracted" {
			t.Errorf("Smith's match %q", got)
		}
		if href, _ := smith.Find(`[data-testid="match-case"]`).Attr("href"); href != casePath(f.caseA) {
			t.Errorf("Smith's case link %q, want %s", href, casePath(f.caseA))
		}
		if got := smith.Find(`[data-testid="match-reasons"]`).Text(); !strings.Contains(got, "MRN MR100001 agrees (+7)") {
			t.Errorf("Smith's reasons %q", got)
		}
		if got := smith.Find(`[data-testid="rule"]`).Text(); !strings.Contains(got, "C34.11 by C00-C43") {
			t.Errorf("Smith's rule %q", got)
		}
		set := reg.get(t, "/casefinding?status=set_aside&facility="+idString(f.facA))
		if got := suspenseRow(t, set, "MR200003").Find(`[data-testid="rule"]`).Text(); !strings.Contains(got, "C44*") {
			t.Errorf("set aside rule %q", got)
		}

		// Start abstract on Quinn: the case opens, pre-filled.
		quinn := suspenseRow(t, p, "MR200002")
		ref, _ := quinn.Find(`[data-testid="choose"]`).Attr("value")
		res := reg.post(t, "/casefinding/decide", url.Values{"_csrf": {reg.csrf(t)}, "facility": {idString(f.facA)}, "do": {"start_abstract " + ref}})
		res.wantStatus(http.StatusSeeOther)
		if !strings.HasPrefix(res.location(), "/cases/") {
			t.Fatalf("start abstract went to %q", res.location())
		}
		var tumorID uint
		if err := s.DB().QueryRow("SELECT tumor_id FROM suspense_records WHERE mrn = 'MR200002'").Scan(&tumorID); err != nil {
			t.Fatal(err)
		}
		cs := f.loadCase(t, tumorID)
		if cs.Patient.NameLast != "Quinn" || cs.Tumor.Items["casefindingSource"] != "20" || cs.Tumor.Items["dateOf1stContact"] != "20260910" {
			t.Errorf("case started: %s, source %q, first contact %q", cs.Patient.NameLast, cs.Tumor.Items["casefindingSource"], cs.Tumor.Items["dateOf1stContact"])
		}

		if got := reg.get(t, "/casefinding").testid("timeliness").Text(); !strings.Contains(got, "1 case started from this list") {
			t.Errorf("timeliness %q", got)
		}

		// Duplicate of the case it already is, through htmx: the fragment comes back.
		ref, _ = suspenseRow(t, p, "MR100001").Find(`[data-testid="choose"]`).Attr("value")
		frag := reg.post(t, "/casefinding/decide", url.Values{"_csrf": {reg.csrf(t)}, "facility": {idString(f.facA)}, "do": {"duplicate"},
			"ref": {ref}, "duplicate_of_case": {idString(f.caseA)}}, "HX-Request", "true")
		frag.wantStatus(http.StatusOK)
		if strings.Contains(frag.body, "<html") || !strings.Contains(frag.testid("decision-outcome").Text(), "1 possible case decided.") {
			t.Errorf("htmx decision: %s", excerpt(frag.body))
		}
		if n := frag.testid("suspense-row").Length(); n != 0 {
			t.Errorf("%d rows still waiting", n)
		}
		// Not reportable without a reason names the problem and changes nothing.
		ref, _ = suspenseRow(t, set, "MR200003").Find(`[data-testid="choose"]`).Attr("value")
		bad := reg.post(t, "/casefinding/decide", url.Values{"_csrf": {reg.csrf(t)}, "facility": {idString(f.facA)}, "do": {"not_reportable"}, "ref": {ref}})
		bad.wantStatus(http.StatusUnprocessableEntity)
		if !strings.Contains(bad.testid("decision-outcome").Text(), "choose a reason") {
			t.Errorf("no reason: %s", bad.testid("decision-outcome").Text())
		}

		// A reviewer sees the list but decides nothing; another facility's registrar sees none of it.
		rev := f.signIn(t, reviewerA)
		rp := rev.get(t, "/casefinding")
		rp.wantStatus(http.StatusOK)
		if rp.testid("decision-form").Find("button").Length() != 0 || rp.testid("casefinding-upload").Length() != 0 {
			t.Error("a reviewer is offered decisions or the upload")
		}
		rev.post(t, "/casefinding/decide", url.Values{"_csrf": {rev.csrf(t)}, "do": {"not_reportable"}, "ref": {ref}, "reason": {"not_cancer"}}).
			wantStatus(http.StatusForbidden)
		regB := f.signIn(t, registrarB)
		regB.get(t, "/casefinding?facility="+idString(f.facA)).wantStatus(http.StatusNotFound)
		out := regB.post(t, "/casefinding/decide", url.Values{"_csrf": {regB.csrf(t)}, "do": {"not_reportable"}, "ref": {ref}, "reason": {"not_cancer"}})
		if !strings.Contains(out.testid("decision-outcome").Text(), "not found") {
			t.Errorf("another facility's record: %s", out.testid("decision-outcome").Text())
		}
		var status string
		if err := s.DB().QueryRow("SELECT status FROM suspense_records WHERE mrn = 'MR200003'").Scan(&status); err != nil || status != store.SuspenseSetAside {
			t.Errorf("Ortiz is %q (%v) after refused decisions", status, err)
		}
	})
}

// TestSuspenseUploadSaysWhyAFileIsRefusedAndTakesLargeFiles: a file without a required column is
// refused with the reason and adds nothing; a file past the 2 MB of other forms is taken.
func TestSuspenseUploadSaysWhyAFileIsRefusedAndTakesLargeFiles(t *testing.T) {
	s := storetest.New(t, store.DialectSQLite)
	f := newFixture(t, s)
	reg := f.signIn(t, registrarA)
	p := reg.uploadCasefinding(t, reg.csrf(t), f.facA, "wrong.csv", []byte("mrn,last_name,first_name\n1,A,B\n"))
	p.wantStatus(http.StatusUnprocessableEntity)
	if got := p.testid("casefinding-error").Text(); !strings.Contains(got, "wrong.csv: header row: no column date_of_birth, sex, encounter_date, icd10cm_codes") {
		t.Errorf("refusal %q", got)
	}
	var b strings.Builder
	b.WriteString("mrn,last_name,first_name,date_of_birth,sex,encounter_date,icd10cm_codes,text\n")
	long := strings.Repeat("pathology text ", 600) // 9,000 characters
	for i := range 300 {
		b.WriteString("L" + idString(uint(i)) + ",Long,Text,19500101,F,20260901,C50.911," + long + "\n")
	}
	if b.Len() < 2<<20 {
		t.Fatalf("the file is only %d bytes", b.Len())
	}
	p = reg.uploadCasefinding(t, reg.csrf(t), f.facA, "long.csv", []byte(b.String()))
	p.wantStatus(http.StatusOK)
	if got := p.testid("import-added").Text(); got != "300" {
		t.Errorf("added %q of a %d-byte file, want 300", got, b.Len())
	}
	// The list shows the start of each text, and a little more in its title.
	text := p.testid("flag-text").First()
	if got := []rune(text.Text()); len(got) > 161 || !strings.HasPrefix(string(got), "pathology text pathology") || !strings.HasSuffix(string(got), "…") {
		t.Errorf("a long text shows as %q", string(got))
	}
	if title := []rune(text.AttrOr("title", "")); len(title) < 900 || len(title) > 1001 {
		t.Errorf("a long text's title holds %d characters, want up to 1,000", len(title))
	}
}
