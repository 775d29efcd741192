package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

func TestRequestWithoutSessionGoesToLogin(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		caseURL := casePath(f.caseA) + "?section=diagnosis"
		for _, tc := range []struct {
			name, method, path string
			htmx               bool
			wantStatus         int
			wantHeader         string // Location, or HX-Redirect for htmx
			wantTarget         string
		}{
			{"worklist", http.MethodGet, "/cases", false, http.StatusSeeOther, "Location", "/login?next=%2Fcases"},
			{"case", http.MethodGet, caseURL, false, http.StatusSeeOther, "Location", "/login?next=" + url.QueryEscape(caseURL)},
			{"save", http.MethodPost, caseURL, false, http.StatusSeeOther, "Location", "/login"},
			{"htmx worklist", http.MethodGet, "/cases", true, http.StatusUnauthorized, "HX-Redirect", "/login?next=%2Fcases"},
			{"htmx save", http.MethodPost, caseURL, true, http.StatusUnauthorized, "HX-Redirect", "/login"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var header []string
				if tc.htmx {
					header = []string{"HX-Request", "true"}
				}
				var form url.Values
				if tc.method == http.MethodPost {
					form = url.Values{"section": {"diagnosis"}, "primarySite": {"C342"}, "patientVersion": {"1"}, "tumorVersion": {"1"}}
				}
				p := f.newClient().do(t, tc.method, tc.path, form, header...)
				p.wantStatus(tc.wantStatus)
				if got := p.header.Get(tc.wantHeader); got != tc.wantTarget {
					t.Errorf("%s %q, want %q", tc.wantHeader, got, tc.wantTarget)
				}
			})
		}
		if got := f.loadCase(t, f.caseA).Tumor.PrimarySite; got != "C341" {
			t.Errorf("primary site %q after saves without a session, want C341", got)
		}
	})
}

func TestLogoutEndsSession(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		c := f.signIn(t, registrarA)
		base, _ := url.Parse(f.server.URL)
		var sessionCookie *http.Cookie
		for _, ck := range c.hc.Jar.Cookies(base) {
			if ck.Name == "cara_session" {
				sessionCookie = ck
			}
		}
		if sessionCookie == nil {
			t.Fatal("no session cookie after sign-in")
		}

		p := c.post(t, "/logout", url.Values{"_csrf": {c.csrf(t)}})
		p.wantStatus(http.StatusSeeOther)
		if got := p.location(); got != "/login" {
			t.Errorf("Location %q, want /login", got)
		}
		if got := c.get(t, "/cases"); got.status != http.StatusSeeOther || got.location() != "/login?next=%2Fcases" {
			t.Errorf("GET /cases after logout: status %d, Location %q; want 303 to the login", got.status, got.location())
		}
		// The session is gone on the server, not only from the browser's jar.
		replay := f.newClient()
		p = replay.get(t, "/cases", "Cookie", sessionCookie.Name+"="+sessionCookie.Value)
		if p.status != http.StatusSeeOther {
			t.Errorf("GET /cases with the old session cookie: status %d, want 303", p.status)
		}
		if evs := f.auditEvents(t, "logout", "user", registrarA); len(evs) != 1 {
			t.Errorf("%d logout events, want 1", len(evs))
		}
	})
}

func TestLogoutRequiresCSRFToken(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		c := f.signIn(t, registrarA)
		for _, tc := range []struct {
			name string
			form url.Values
		}{
			{"no token", url.Values{}},
			{"wrong token", url.Values{"_csrf": {"forged"}}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				p := c.post(t, "/logout", tc.form)
				p.wantStatus(http.StatusForbidden)
				if p.testid("error-page").Length() != 1 {
					t.Errorf("no error page\n%s", excerpt(p.body))
				}
			})
		}
		c.get(t, "/cases").wantStatus(http.StatusOK) // still signed in
	})
}

func TestCaseSaveRejectsWrongCSRFToken(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		c := f.signIn(t, registrarA)
		before := f.loadCase(t, f.caseA)
		for _, tc := range []struct {
			name, token string
			header      []string
		}{
			{"no token", "", nil},
			{"wrong token", "forged", nil},
			{"wrong token in header", "", []string{"X-CSRF-Token", "forged"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				page := c.openCase(t, f.caseA, "diagnosis")
				p := c.save(t, page, map[string]string{"_csrf": tc.token, "primarySite": "C342"}, tc.header...)
				p.wantStatus(http.StatusForbidden)
				if p.testid("error-page").Length() != 1 {
					t.Errorf("no error page\n%s", excerpt(p.body))
				}
			})
		}
		if after := f.loadCase(t, f.caseA); !sameCase(before, after) {
			t.Errorf("case changed by saves without a valid token: %v → %v", before.Tumor.Items, after.Tumor.Items)
		}
		if evs := f.auditEvents(t, "case.update", "tumor", idString(f.caseA)); len(evs) != 0 {
			t.Errorf("%d case.update events, want none", len(evs))
		}
	})
}

func TestSignOutEverywhereEndsEverySessionOfTheUser(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		laptop, desk := f.signIn(t, registrarA), f.signIn(t, registrarA)
		other := f.signIn(t, registrarB)
		p := laptop.get(t, "/cases")
		if p.testid("logout-everywhere").Length() != 1 {
			t.Fatalf("no Sign out everywhere beside Sign out\n%s", excerpt(p.body))
		}

		p = laptop.post(t, "/logout/everywhere", url.Values{"_csrf": {laptop.csrf(t)}})
		p.wantStatus(http.StatusSeeOther)
		if got := p.location(); got != "/login" {
			t.Errorf("Location %q, want /login", got)
		}
		for name, c := range map[string]*client{"the asking browser": laptop, "the other browser": desk} {
			if got := c.get(t, "/cases"); got.status != http.StatusSeeOther || got.location() != "/login?next=%2Fcases" {
				t.Errorf("%s after sign out everywhere: status %d, Location %q; want 303 to the login", name, got.status, got.location())
			}
		}
		other.get(t, "/cases").wantStatus(http.StatusOK) // another user's session stays
		evs := f.auditEvents(t, "logout.everywhere", "user", registrarA)
		if len(evs) != 1 || !strings.Contains(evs[0].Details, `"sessions":2`) || evs[0].UserID == nil || *evs[0].UserID != f.users[registrarA].ID {
			t.Errorf("logout.everywhere events %+v, want one by %s ending 2 sessions", evs, registrarA)
		}
	})
}

func TestSignOutEverywhereRequiresCSRFToken(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		c := f.signIn(t, registrarA)
		c.post(t, "/logout/everywhere", url.Values{"_csrf": {"forged"}}).wantStatus(http.StatusForbidden)
		c.get(t, "/cases").wantStatus(http.StatusOK)
	})
}
