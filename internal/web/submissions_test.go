package web_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
	"github.com/cara-registry/cara/internal/web"
)

// withSubmissionDir serves the fixture's store again from a server whose batch files go to a
// temporary directory, and returns the fixture pointed at it with that directory.
func withSubmissionDir(t testing.TB, f *fixture) (*fixture, string) {
	t.Helper()
	cat, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "submissions")
	handler := web.New(web.Deps{Store: f.store, Form: cat.form, Edits: cat.edits, Codes: cat.codes, SiteGroups: cat.siteGroups, NewCase: cat.newCase,
		Logger: slog.New(slog.NewTextHandler(f.log, nil)), Now: func() time.Time { return clock }, Hasher: mustTestHasher(t), SubmissionDir: dir})
	g := *f
	g.server = httptest.NewServer(handler)
	t.Cleanup(g.server.Close)
	return &g, dir
}

// createBatch posts the create form as the page offers it, with overrides, to its preview, then
// confirms the preview as its page offers it. A preview that offers no confirmation (nothing to
// send, a refused option) is returned as it is.
func createBatch(t testing.TB, c *client, set map[string]string) *page {
	t.Helper()
	p := previewBatch(t, c, set)
	if p.status != http.StatusOK || p.testid("submission-confirm").Length() != 1 {
		return p
	}
	return c.post(t, "/submissions", formValues(p.testid("submission-confirm")))
}

// previewBatch posts the create form as the page offers it, with overrides, to its preview.
func previewBatch(t testing.TB, c *client, set map[string]string) *page {
	t.Helper()
	p := c.get(t, "/submissions")
	p.wantStatus(http.StatusOK)
	vals := formValues(p.testid("submission-form"))
	vals.Del("gzip")
	vals.Del("correction")
	vals.Set("range", "all")
	for k, v := range set {
		vals.Set(k, v)
	}
	return c.post(t, "/submissions/preview", vals)
}

func TestSubmissionCreateShowDownloadAndScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f, dir := withSubmissionDir(t, newFixture(t, s))
		reg := f.signIn(t, registrarA)

		p := reg.get(t, "/submissions")
		p.wantStatus(http.StatusOK)
		if got := p.testid("pending-count").Text(); !strings.Contains(got, "1 approved case not yet submitted") {
			t.Errorf("pending count %q", got)
		}
		if p.testid("no-submissions").Length() != 1 {
			t.Error("history is not empty before any batch")
		}

		p = createBatch(t, reg, nil)
		p.wantStatus(http.StatusSeeOther)
		loc := p.location()
		if !strings.HasPrefix(loc, "/submissions/") || !strings.HasSuffix(loc, "?created=1") {
			t.Fatalf("create redirected to %q", loc)
		}
		p = reg.get(t, loc)
		p.wantStatus(http.StatusOK)
		name := p.testid("submission-file").Text()
		if name != "0000001001_20261102_001.xml" || p.testid("submission-created").Length() != 1 {
			t.Errorf("batch page names %q", name)
		}
		if got := f.loadCase(t, f.approvedA).Tumor.Status; got != "submitted" {
			t.Errorf("approved case is %s after the batch", got)
		}
		sha := p.testid("submission-sha256").Text()
		id := strings.TrimSuffix(strings.TrimPrefix(loc, "/submissions/"), "?created=1")

		dl := reg.get(t, "/submissions/"+id+"/download")
		dl.wantStatus(http.StatusOK)
		sum := sha256.Sum256([]byte(dl.body))
		if hex.EncodeToString(sum[:]) != sha || !strings.Contains(dl.header.Get("Content-Disposition"), name) {
			t.Errorf("download sha256 %x (page says %s), disposition %q", sum, sha, dl.header.Get("Content-Disposition"))
		}
		if !strings.Contains(dl.body, "MR100002") {
			t.Errorf("downloaded file lacks the approved case")
		}
		if evs := f.auditEvents(t, "submission.download", "submission", id); len(evs) != 1 {
			t.Errorf("%d download audit events, want 1", len(evs))
		}
		if evs := f.auditEvents(t, "submission.create", "submission", id); len(evs) != 1 {
			t.Errorf("%d create audit events, want 1", len(evs))
		}

		// Nothing left: the page says so and no batch is made.
		p = createBatch(t, reg, nil)
		p.wantStatus(http.StatusUnprocessableEntity)
		if !strings.Contains(p.testid("submission-error").Text(), "no approved case") {
			t.Errorf("empty batch message %q", p.testid("submission-error").Text())
		}

		// Other facilities' users see neither the batch nor its file; a reviewer of A and the
		// administrator do.
		regB := f.signIn(t, registrarB)
		regB.get(t, "/submissions/"+id).wantStatus(http.StatusNotFound)
		regB.get(t, "/submissions/"+id+"/download").wantStatus(http.StatusNotFound)
		if regB.get(t, "/submissions").testid("submission-row").Length() != 0 {
			t.Error("registrar of B sees A's batch in the history")
		}
		for _, u := range []string{reviewerA, adminUser} {
			c := f.signIn(t, u)
			c.get(t, "/submissions/"+id).wantStatus(http.StatusOK)
			if c.get(t, "/submissions").testid("submission-row").Length() != 1 {
				t.Errorf("%s does not see the batch in the history", u)
			}
		}
		// B cannot post a batch for A's facility.
		vals := formValues(regB.get(t, "/submissions").testid("submission-form"))
		vals.Set("facility", fmt.Sprint(f.facA))
		regB.post(t, "/submissions", vals).wantStatus(http.StatusNotFound)

		// A file changed on disk is refused, and the refusal is audited.
		path := filepath.Join(dir, name)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, bytes.Replace(b, []byte("MR100002"), []byte("MR999999"), 1), 0o600); err != nil {
			t.Fatal(err)
		}
		bad := reg.get(t, "/submissions/"+id+"/download")
		bad.wantStatus(http.StatusInternalServerError)
		if strings.Contains(bad.body, "MR999999") || !strings.Contains(bad.body, "checksum") {
			t.Errorf("tampered download served or unexplained:\n%s", excerpt(bad.body))
		}
		if evs := f.auditEvents(t, "submission.download", "submission", id); len(evs) != 2 || !strings.Contains(evs[0].Details, "refused") {
			t.Errorf("refused download audit %+v", evs)
		}
	})
}

func TestSubmissionHoldsCaseWithEditErrorsAndLinksIt(t *testing.T) {
	s := storetest.New(t, store.DialectSQLite)
	f, _ := withSubmissionDir(t, newFixture(t, s))
	ctx := context.Background()
	// Break the approved case's site behind the workflow's back: the pre-flight must catch it.
	if _, err := s.DB().ExecContext(ctx, `UPDATE tumor_items SET items = REPLACE(items, '"C619"', '"C999"') WHERE tumor_id = ?`, f.approvedA); err != nil {
		t.Fatal(err)
	}
	reg := f.signIn(t, registrarA)
	p := createBatch(t, reg, map[string]string{"version": "250", "record_type": "I"})
	p.wantStatus(http.StatusUnprocessableEntity)
	if !strings.Contains(p.testid("submission-error").Text(), "held back") {
		t.Errorf("error %q", p.testid("submission-error").Text())
	}
	link, _ := p.testid("submission-case-link").Attr("href")
	if link != fmt.Sprintf("/cases/%d", f.approvedA) || !strings.Contains(p.testid("held-cases").Text(), "C999") {
		t.Errorf("held case link %q, list %q", link, p.testid("held-cases").Text())
	}
	if got := f.loadCase(t, f.approvedA).Tumor.Status; got != "approved" {
		t.Errorf("held case is %s", got)
	}
	p = createBatch(t, reg, map[string]string{"range": "range", "from": "", "to": ""})
	p.wantStatus(http.StatusUnprocessableEntity)
	p = createBatch(t, reg, map[string]string{"version": "240"})
	p.wantStatus(http.StatusUnprocessableEntity)
}

// TestSubmissionPageShowsTheTranslationOfAnOlderVersion: a batch written in NAACCR 250 keeps the
// translation's report, and its page shows it, values not carried over first.
func TestSubmissionPageShowsTheTranslationOfAnOlderVersion(t *testing.T) {
	s := storetest.New(t, store.DialectSQLite)
	f, _ := withSubmissionDir(t, newFixture(t, s))
	reg := f.signIn(t, registrarA)
	p := createBatch(t, reg, map[string]string{"version": "250"})
	if p.status == http.StatusSeeOther {
		p = reg.get(t, p.location())
	}
	p.wantStatus(http.StatusOK)
	block := p.testid("submission-translation")
	if block.Length() != 1 || !strings.Contains(block.Text(), "NAACCR 260 to 250:") {
		t.Fatalf("no translation report on the page of a 250 batch\n%s", excerpt(p.body))
	}
	// A 260 batch has none: nothing is translated.
	walkTo(t, f, f.caseA, abstract.StatusApproved)
	p = createBatch(t, reg, nil)
	if p.status == http.StatusSeeOther {
		p = reg.get(t, p.location())
	}
	p.wantStatus(http.StatusOK)
	if p.testid("submission-translation").Length() != 0 {
		t.Errorf("a 260 batch shows a translation report")
	}
}

// TestSubmissionPreviewWritesNothingAndConfirmTakesThePreviewedCases: the create form shows a
// preview (counts, the cases held back with their failures) and writes nothing; a post without
// a preview's cases shows the preview too; confirming creates the batch, unless the pending cases
// changed since the preview, which is refused with the new preview to confirm again.
func TestSubmissionPreviewWritesNothingAndConfirmTakesThePreviewedCases(t *testing.T) {
	s := storetest.New(t, store.DialectSQLite)
	f, dir := withSubmissionDir(t, newFixture(t, s))
	ctx := context.Background()
	walkTo(t, f, f.caseA, abstract.StatusApproved)
	// The fixture's approved case fails an error edit behind the workflow's back: held.
	if _, err := s.DB().ExecContext(ctx, `UPDATE tumor_items SET items = REPLACE(items, '"C619"', '"C999"') WHERE tumor_id = ?`, f.approvedA); err != nil {
		t.Fatal(err)
	}
	reg := f.signIn(t, registrarA)
	nothingWritten := func(when string) {
		t.Helper()
		if reg.get(t, "/submissions").testid("no-submissions").Length() != 1 {
			t.Errorf("%s: a batch is listed", when)
		}
		if files, _ := os.ReadDir(dir); len(files) != 0 {
			t.Errorf("%s: %d files in the submission directory", when, len(files))
		}
		for _, id := range []uint{f.caseA, f.approvedA} {
			if got := f.loadCase(t, id).Tumor.Status; got != "approved" {
				t.Errorf("%s: case %d is %s", when, id, got)
			}
		}
	}

	p := previewBatch(t, reg, nil)
	p.wantStatus(http.StatusOK)
	if got := p.testid("preview-counts").Text(); !strings.Contains(got, "1 tumor of 1 patient will be sent") || !strings.Contains(got, "1 case will be held back") {
		t.Errorf("preview counts %q", got)
	}
	held := p.testid("preview-held")
	if link, _ := held.Find(`[data-testid="submission-case-link"]`).Attr("href"); link != casePath(f.approvedA) || !strings.Contains(held.Text(), "C999") {
		t.Errorf("preview's held case %q, list %q", link, held.Text())
	}
	if p.testid("confirm-submission").Length() != 1 {
		t.Fatal("the preview offers no confirmation")
	}
	confirm := formValues(p.testid("submission-confirm"))
	nothingWritten("after the preview")

	// The create form's own post (no preview's cases) is a preview, not a batch.
	vals := formValues(reg.get(t, "/submissions").testid("submission-form"))
	vals.Del("gzip")
	vals.Del("correction")
	vals.Set("range", "all")
	p = reg.post(t, "/submissions", vals)
	p.wantStatus(http.StatusOK)
	if p.testid("submission-preview").Length() != 1 {
		t.Errorf("an unconfirmed create shows no preview\n%s", excerpt(p.body))
	}
	nothingWritten("after an unconfirmed create")

	// The held case is corrected meanwhile: the previewed batch is not the one that would be made.
	if _, err := s.DB().ExecContext(ctx, `UPDATE tumors SET version = version + 1 WHERE id = ?`, f.approvedA); err != nil {
		t.Fatal(err)
	}
	p = reg.post(t, "/submissions", confirm)
	p.wantStatus(http.StatusConflict)
	if got := p.testid("submission-error").Text(); !strings.Contains(got, "changed since the preview") {
		t.Errorf("stale confirmation says %q", got)
	}
	if p.testid("submission-preview").Length() != 1 {
		t.Error("a stale confirmation shows no new preview")
	}
	nothingWritten("after a stale confirmation")

	p = reg.post(t, "/submissions", formValues(p.testid("submission-confirm")))
	p.wantStatus(http.StatusSeeOther)
	if got := f.loadCase(t, f.caseA).Tumor.Status; got != "submitted" {
		t.Errorf("the previewed case is %s after the confirmation", got)
	}
}
