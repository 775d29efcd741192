package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

// postFHIR posts a bundle to the FHIR endpoint with the headers given (name, value, ...) and
// decodes the OperationOutcome answered.
func (c *client) postFHIR(t testing.TB, query string, body []byte, header ...string) (int, operationOutcome) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.base+"/fhir/r4/Bundle"+query, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/fhir+json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return c.doFHIR(t, req)
}

func (c *client) doFHIR(t testing.TB, req *http.Request) (int, operationOutcome) {
	t.Helper()
	resp, err := c.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var oo operationOutcome
	if err := json.Unmarshal(b, &oo); err != nil || oo.ResourceType != "OperationOutcome" {
		t.Fatalf("status %d, not an OperationOutcome (%v): %s", resp.StatusCode, err, b)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/fhir+json") {
		t.Errorf("content type %q, want application/fhir+json", ct)
	}
	return resp.StatusCode, oo
}

type operationOutcome struct {
	ResourceType string `json:"resourceType"`
	Issue        []struct {
		Severity    string   `json:"severity"`
		Code        string   `json:"code"`
		Diagnostics string   `json:"diagnostics"`
		Expression  []string `json:"expression"`
	} `json:"issue"`
}

func (oo operationOutcome) String() string {
	var b strings.Builder
	for _, i := range oo.Issue {
		b.WriteString(i.Severity + " " + i.Code + " " + strings.Join(i.Expression, ",") + ": " + i.Diagnostics + "\n")
	}
	return b.String()
}

func (oo operationOutcome) has(severity, path, reason string) bool {
	for _, i := range oo.Issue {
		if i.Severity == severity && (path == "" || len(i.Expression) > 0 && i.Expression[0] == path) && strings.Contains(i.Diagnostics, reason) {
			return true
		}
	}
	return false
}

func TestFHIRBundleRoundTripWithABearerToken(t *testing.T) {
	raw, err := os.ReadFile("../fhirintake/testdata/breast.json")
	if err != nil {
		t.Fatal(err)
	}
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		ctx := context.Background()
		tok, err := auth.NewToken()
		if err != nil {
			t.Fatal(err)
		}
		if err := s.AddEHRSender(ctx, &store.EHRSender{FacilityID: f.facA, Name: "EHR", TokenHash: auth.HashToken(tok)},
			store.AuditEntry{Action: "ehr.sender_add", Entity: "ehr_sender", Details: map[string]any{}}); err != nil {
			t.Fatal(err)
		}
		c := f.newClient()
		status, oo := c.postFHIR(t, "", raw, "Authorization", "Bearer "+tok)
		if status != http.StatusCreated || !oo.has("information", "", "added to the suspense list") {
			t.Fatalf("status %d, outcome\n%s; want 201 and the record added", status, oo)
		}
		recs, total, err := s.SuspenseRecords(ctx, store.SuspenseQuery{Scope: store.FacilityScope(f.facA), Source: "ehr_fhir"})
		if err != nil || total != 1 || recs[0].MRN != "MRN00417" || recs[0].Codes != "C50.412" {
			t.Fatalf("facility A's list: %d records %+v (%v)", total, recs, err)
		}
		if !strings.Contains(recs[0].Text, "Bundle.entry[1].resource(Condition).bodySite[0].coding[0]") {
			t.Errorf("record text lacks the source path of the primary site:\n%s", recs[0].Text)
		}
		// Again: stored once.
		status, oo = c.postFHIR(t, "", raw, "Authorization", "Bearer "+tok)
		if status != http.StatusOK || !oo.has("information", "", "received before") {
			t.Errorf("again: status %d\n%s; want 200, received before", status, oo)
		}
		if _, total, _ := s.SuspenseRecords(ctx, store.SuspenseQuery{Scope: store.AllFacilities}); total != 1 {
			t.Errorf("%d records after the second post, want 1", total)
		}
		// No token, a wrong one, a wrong content type.
		if status, oo := c.postFHIR(t, "", raw); status != http.StatusUnauthorized || !oo.has("error", "Bundle", "bearer token") {
			t.Errorf("no token: %d\n%s", status, oo)
		}
		if status, _ := c.postFHIR(t, "", raw, "Authorization", "Bearer nope"); status != http.StatusUnauthorized {
			t.Errorf("a wrong token: %d, want 401", status)
		}
		if status, _ := c.postFHIR(t, "", raw, "Authorization", "Bearer "+tok, "Content-Type", "text/plain"); status != http.StatusUnsupportedMediaType {
			t.Errorf("text/plain: %d, want 415", status)
		}
		big := bytes.Repeat([]byte(" "), 5<<20)
		if status, _ := c.postFHIR(t, "", big, "Authorization", "Bearer "+tok); status != http.StatusRequestEntityTooLarge {
			t.Errorf("5 MB: %d, want 413", status)
		}
	})
}

func TestFHIRBundleRefusedWithAnOperationOutcome(t *testing.T) {
	f := newFixture(t, storetest.New(t, store.DialectSQLite))
	reg := f.signIn(t, registrarA)
	csrf := reg.csrf(t)
	cases := []struct {
		name, body   string
		status       int
		path, reason string
	}{
		{"not JSON", `{"resourceType": "Bundle",`, 400, "Bundle", "not valid JSON"},
		{"not a bundle", `{"resourceType": "Patient"}`, 422, "Patient", "not a Bundle"},
		{"a searchset", `{"resourceType": "Bundle", "type": "searchset"}`, 422, "Bundle.type", "transaction or collection"},
		{"wrong type of field", `{"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {"resourceType": "Patient", "birthDate": 1961}}]}`,
			400, "Bundle.entry[0].resource(Patient).birthDate", "a JSON number"},
		{"bad gender code", `{"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {"resourceType": "Patient", "gender": "F"}}]}`,
			400, "Bundle.entry[0].resource(Patient)", "AdministrativeGender"},
		{"unparseable date", `{"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {"resourceType": "Patient", "birthDate": "1961-02-30"}}]}`,
			422, "Bundle.entry[0].resource(Patient).birthDate", "not a FHIR date"},
		{"no patient", `{"resourceType": "Bundle", "type": "collection", "entry": []}`, 422, "Bundle.entry", "no Patient"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, oo := reg.postFHIR(t, "", []byte(c.body), "X-CSRF-Token", csrf)
			if status != c.status || !oo.has("error", c.path, c.reason) {
				t.Errorf("status %d, outcome\n%s; want %d and an error at %s saying %q", status, oo, c.status, c.path, c.reason)
			}
		})
	}
	if _, total, _ := f.store.SuspenseRecords(context.Background(), store.SuspenseQuery{Scope: store.AllFacilities}); total != 0 {
		t.Errorf("%d records stored from refused bundles", total)
	}
	// Each refused bundle is in the audit trail, with its first error.
	events := f.auditEvents(t, "casefinding.import", "facility", strconv.FormatUint(uint64(f.facA), 10))
	if len(events) != len(cases) || !strings.Contains(events[0].Details, `"outcome":"refused"`) {
		t.Errorf("%d audit events (%+v), want %d refusals", len(events), events, len(cases))
	}
}

func TestFHIRBundleUploadBySignedInUsers(t *testing.T) {
	raw, err := os.ReadFile("../fhirintake/testdata/breast.json")
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, storetest.New(t, store.DialectSQLite))
	upload := func(c *client, csrf string, facility uint) (int, operationOutcome) {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		mw.WriteField("_csrf", csrf)
		mw.WriteField("facility", strconv.FormatUint(uint64(facility), 10))
		fw, _ := mw.CreateFormFile("file", "breast.json")
		fw.Write(raw)
		mw.Close()
		req, _ := http.NewRequest(http.MethodPost, c.base+"/fhir/r4/Bundle", &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		return c.doFHIR(t, req)
	}
	rev := f.signIn(t, reviewerA)
	if status, oo := upload(rev, rev.csrf(t), f.facA); status != http.StatusForbidden {
		t.Errorf("a reviewer: %d\n%s; want 403", status, oo)
	}
	reg := f.signIn(t, registrarA)
	csrf := reg.csrf(t)
	if status, _ := upload(reg, "wrong", f.facA); status != http.StatusForbidden {
		t.Errorf("without the CSRF token: %d, want 403", status)
	}
	if status, _ := upload(reg, csrf, f.facB); status != http.StatusNotFound {
		t.Errorf("into another facility: %d, want 404", status)
	}
	if status, oo := upload(reg, csrf, f.facA); status != http.StatusCreated {
		t.Errorf("the registrar's upload: %d\n%s; want 201", status, oo)
	}
	events := f.auditEvents(t, "casefinding.import", "facility", strconv.FormatUint(uint64(f.facA), 10))
	if len(events) != 1 || !strings.Contains(events[0].Details, "breast.json") || !strings.Contains(events[0].Details, "sha256") {
		t.Errorf("audit events %+v, want one naming the file and its SHA-256", events)
	}
}

func TestFHIRSendersAreRateLimited(t *testing.T) {
	f := newFixture(t, storetest.New(t, store.DialectSQLite))
	c := f.newClient()
	throttled := 0
	for range 260 {
		if status, _ := c.postFHIR(t, "", []byte(`{}`), "Authorization", "Bearer flood"); status == http.StatusTooManyRequests {
			throttled++
		}
	}
	if throttled == 0 {
		t.Error("260 posts at once: none throttled")
	}
	// Another sender is not held back by the first.
	if status, _ := c.postFHIR(t, "", []byte(`{}`), "Authorization", "Bearer other"); status != http.StatusUnauthorized {
		t.Errorf("another sender: %d, want 401 (its own count)", status)
	}
}
