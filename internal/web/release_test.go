package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

// TestReleaseDraftWithMistakesKeepsEntriesAndNamesTheFields: a draft with an unknown item, an
// identified level on an IRB basis and no purpose is refused with each field's reason beside
// it, the entries kept, and nothing stored.
func TestReleaseDraftWithMistakesKeepsEntriesAndNamesTheFields(t *testing.T) {
	f := newFixture(t, storetest.New(t, store.DialectSQLite))
	reg := f.signIn(t, registrarA)
	p := reg.post(t, "/releases", url.Values{"_csrf": {reg.csrf(t)}, "requester_name": {"Dr. Lee"}, "organization": {"State U"},
		"legal_basis": {"irb"}, "legal_reference": {"IRB-1"}, "privacy_level": {"identified"}, "items": {"primarySite, noSuchItem"}})
	p.wantStatus(http.StatusUnprocessableEntity)
	for _, field := range []string{"purpose", "privacy_level", "items"} {
		if p.testid("error-"+field).Length() != 1 {
			t.Errorf("no error beside %s", field)
		}
	}
	if got := p.testid("error-items").Text(); !strings.Contains(got, "noSuchItem") {
		t.Errorf("items error %q does not name noSuchItem", got)
	}
	if v, _ := p.doc.Find("#organization").Attr("value"); v != "State U" {
		t.Errorf("organization entry not kept: %q", v)
	}
	if p.testid("no-requests").Length() != 1 {
		t.Error("a refused draft was stored")
	}
}

// TestReleaseDownloadOfAnExpiredFileIsGone: once the approval ends the file is purged and the
// download says so (410), the log row stays and shows it purged.
func TestReleaseDownloadOfAnExpiredFileIsGone(t *testing.T) {
	f := newFixture(t, storetest.New(t, store.DialectSQLite))
	reg, admin := f.signIn(t, registrarA), f.signIn(t, adminUser)
	p := reg.post(t, "/releases", url.Values{"_csrf": {reg.csrf(t)}, "requester_name": {"Dr. Lee"}, "purpose": {"Study"},
		"legal_basis": {"dua"}, "legal_reference": {"DUA-1"}, "privacy_level": {"limited"}, "items": {"primarySite"}})
	p.wantStatus(http.StatusSeeOther)
	path, _, _ := strings.Cut(p.location(), "?")
	admin.post(t, path+"/approve", url.Values{"_csrf": {admin.csrf(t)}, "expires": {f.now().Format("2006-01-02")}}).wantStatus(http.StatusSeeOther)
	run := reg.post(t, path+"/run", url.Values{"_csrf": {reg.csrf(t)}, "format": {"xml"}})
	run.wantStatus(http.StatusOK)
	href, ok := run.doc.Find(`[data-testid^="download-"]`).Attr("href")
	if !ok {
		t.Fatalf("no download link:\n%s", run.body)
	}
	reg.get(t, href).wantStatus(http.StatusOK)
	f.advance(48 * time.Hour)
	reg = f.signIn(t, registrarA) // the session has expired too
	gone := reg.get(t, href)
	gone.wantStatus(http.StatusGone)
	if !strings.Contains(gone.body, "purged") {
		t.Errorf("the 410 page does not say the file was purged:\n%s", gone.body)
	}
	if reg.get(t, "/releases").testid("purged-"+strings.TrimPrefix(href, "/releases/files/")).Length() != 1 {
		t.Error("the release log does not show the file purged")
	}
}
