package web_test

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

// pathologyMessage is a NAACCR Volume V pathology report with LF segment ends, as a file
// saved on Unix holds it.
func pathologyMessage(id, mrn, dob string) string {
	return strings.Join([]string{
		`MSH|^~\&|COPATH|STATE LAB^12D3456789^CLIA|CARA|REGISTRY|20261101093000||ORU^R01^ORU_R01|` + id + `|P|2.5.1`,
		`PID|1||` + mrn + `^^^GENERAL^MR||HALE^ANNE||` + dob + `|F`,
		`OBR|1||S26-1234^COPATH|60568-3^Synoptic report^LN|||20261028`,
		`OBX|1|TX|22637-3^Final diagnosis^LN||LEFT BREAST, CORE BIOPSY:~INVASIVE DUCTAL CARCINOMA||||||F`,
	}, "\n") + "\n"
}

func TestRegistrarUploadsElectronicReports(t *testing.T) {
	t.Parallel()
	bundle, err := os.ReadFile("../fhirintake/testdata/breast.json")
	if err != nil {
		t.Fatal(err)
	}
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		ctx := context.Background()
		reg := f.signIn(t, registrarA)
		upload := func(c *client, facility uint, name, data string) *page {
			return c.postFile(t, "/casefinding/reports", map[string]string{"_csrf": c.csrf(t), "facility": idString(facility)}, name, []byte(data))
		}
		lines := func(p *page) []string {
			var out []string
			for _, n := range p.testid("report-line").Nodes {
				out = append(out, strings.TrimSpace(n.FirstChild.Data))
			}
			return out
		}

		file := pathologyMessage("A1", "700100", "19550304") + pathologyMessage("A2", "700101", "19551304")
		p := upload(reg, f.facA, "path.hl7", file)
		p.wantStatus(http.StatusOK)
		got := lines(p)
		if len(got) != 2 || !strings.Contains(got[0], `message 1 (line 1, control id "A1"): accepted, possible case #`) ||
			!strings.Contains(got[1], `message 2 (line 5, control id "A2"): error: PID-7`) {
			t.Fatalf("outcomes %q", got)
		}
		if sum := p.testid("reports-count").Text(); sum != "2 messages: 1 accepted, 0 duplicate, 1 error, 0 rejected" {
			t.Errorf("summary %q", sum)
		}
		if n, _ := s.CountEHRReports(ctx, f.facA); n != 1 {
			t.Errorf("%d reports stored, want 1", n)
		}
		if !strings.Contains(p.body, "700100") {
			t.Errorf("the suspense list does not show the report's patient")
		}

		again := upload(reg, f.facA, "path.hl7", file)
		if got := lines(again); len(got) != 2 || !strings.Contains(got[0], "duplicate, stored before as report #") {
			t.Errorf("the same file again: %q", got)
		}
		if n, _ := s.CountEHRReports(ctx, f.facA); n != 1 {
			t.Errorf("%d reports stored after the same file again, want 1", n)
		}

		fh := upload(reg, f.facA, "bundle.json", "\ufeff\n"+string(bundle))
		fh.wantStatus(http.StatusOK)
		if got := lines(fh); len(got) == 0 || !strings.Contains(got[0], "added to the suspense list") || !strings.Contains(fh.testid("reports-summary").Text(), "FHIR R4") {
			t.Errorf("bundle: %q", got)
		}

		for _, tt := range []struct {
			name, file, data, want string
		}{
			{"empty", "empty.hl7", " \n\n", "empty.hl7: the file is empty."},
			{"bad JSON", "bad.json", "{not json", "bundle refused: "},
			{"not HL7", "notes.txt", "hello\nworld\n", "rejected"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				p := upload(reg, f.facA, tt.file, tt.data)
				p.wantStatus(http.StatusUnprocessableEntity)
				if !strings.Contains(p.testid("casefinding-error").Text()+strings.Join(lines(p), "\n"), tt.want) {
					t.Errorf("want %q in\n%s", tt.want, excerpt(p.body))
				}
			})
		}

		upload(reg, f.facB, "path.hl7", pathologyMessage("B1", "700200", "19550304")).wantStatus(http.StatusNotFound)
		rev := f.signIn(t, reviewerA)
		upload(rev, f.facA, "path.hl7", pathologyMessage("R1", "700300", "19550304")).wantStatus(http.StatusForbidden)
		if n, _ := s.CountEHRReports(ctx, 0); n != 1 {
			t.Errorf("%d reports stored in all, want 1 (refused uploads store nothing)", n)
		}
	})
}
