package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

func TestLoginRedirectsToWorklistOfOwnFacility(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		c := f.newClient()
		p := c.login(t, registrarA, testPassword)
		p.wantStatus(http.StatusSeeOther)
		if got := p.location(); got != "/cases" {
			t.Fatalf("Location %q, want /cases", got)
		}
		if evs := f.auditEvents(t, "login.success", "user", registrarA); len(evs) != 1 {
			t.Errorf("%d login.success events, want 1", len(evs))
		}

		w := c.get(t, "/cases")
		w.wantStatus(http.StatusOK)
		var got [][]string
		w.testid("worklist-row").Each(func(_ int, row *goquery.Selection) {
			var cells []string
			row.Find("td").Each(func(_ int, td *goquery.Selection) {
				cells = append(cells, strings.Join(strings.Fields(td.Text()), " "))
			})
			got = append(got, cells)
		})
		want := [][]string{
			{"Smith, Anna", "MR100001", "202500001", "00", "C341 Upper lobe, bronchus or lung", "2025-03-14", "Draft", "", "", "2026-11-02"},
			{"Jones, Robert", "MR100002", "202400007", "00", "C619 Prostate", "2024-01-20", "Approved", "", "", "2026-11-02"},
		}
		if len(got) != len(want) {
			t.Fatalf("worklist rows %q, want %q", got, want)
		}
		for i := range want {
			if strings.Join(got[i], " | ") != strings.Join(want[i], " | ") {
				t.Errorf("row %d: %q, want %q", i, got[i], want[i])
			}
		}
		if href, _ := w.testid("case-link").First().Attr("href"); href != casePath(f.caseA) {
			t.Errorf("first case link %q, want %q", href, casePath(f.caseA))
		}
		if who := w.testid("current-user").Text(); !strings.Contains(who, "Rita Alder") || !strings.Contains(who, "Alder General Hospital") {
			t.Errorf("current user %q, want name and facility", strings.Join(strings.Fields(who), " "))
		}
	})
}

func TestLoginRefusesWrongCredentials(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		for _, tc := range []struct {
			name, username, password string
		}{
			{"wrong password", registrarA, "not-the-password"},
			{"unknown user", "nobody", testPassword},
		} {
			t.Run(tc.name, func(t *testing.T) {
				c := f.newClient()
				p := c.login(t, tc.username, tc.password)
				p.wantStatus(http.StatusUnauthorized)
				if msg := strings.TrimSpace(p.testid("login-error").Text()); msg != "Wrong username or password." {
					t.Errorf("login error %q", msg)
				}
				if v, _ := p.doc.Find("#username").Attr("value"); v != tc.username {
					t.Errorf("username field %q, want %q kept", v, tc.username)
				}
				if evs := f.auditEvents(t, "login.failure", "user", tc.username); len(evs) != 1 {
					t.Errorf("%d login.failure events for %q, want 1", len(evs), tc.username)
				}
				if w := c.get(t, "/cases"); w.status != http.StatusSeeOther {
					t.Errorf("GET /cases after a failed login: status %d, want 303 to the login", w.status)
				}
			})
		}
	})
}

func TestLoginRefusesSixthAttemptAfterFiveFailures(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		c := f.newClient()
		// Spelling the username differently does not get round the limit.
		for i, name := range []string{registrarA, "REG-A", "Reg-A", " reg-a ", "reg-A"} {
			if p := c.login(t, name, "guess"); p.status != http.StatusUnauthorized {
				t.Fatalf("attempt %d: status %d, want 401", i+1, p.status)
			}
		}
		// Even the right password is refused now.
		p := c.login(t, registrarA, testPassword)
		p.wantStatus(http.StatusTooManyRequests)
		if msg := p.testid("login-error").Text(); !strings.Contains(msg, "Too many failed sign-in attempts") {
			t.Errorf("login error %q", msg)
		}
		if evs := f.auditEvents(t, "login.success", "user", registrarA); len(evs) != 0 {
			t.Errorf("a throttled login succeeded")
		}
		// Other users are not affected.
		f.signIn(t, registrarB)
	})
}

func TestLoginRequiresLoginCSRFToken(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		for _, tc := range []struct {
			name   string
			tamper func(t *testing.T, c *client) (*client, map[string]string)
		}{
			{"no cookie and no token", func(_ *testing.T, _ *client) (*client, map[string]string) {
				return f.newClient(), map[string]string{"_csrf": ""}
			}},
			{"cookie but no token", func(_ *testing.T, c *client) (*client, map[string]string) {
				return c, map[string]string{"_csrf": ""}
			}},
			{"token but no cookie", func(_ *testing.T, _ *client) (*client, map[string]string) {
				return f.newClient(), nil // the token of another browser's form
			}},
			{"token of another form", func(t *testing.T, c *client) (*client, map[string]string) {
				other := f.newClient().loginForm(t, "")
				return c, map[string]string{"_csrf": other.Get("_csrf")}
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				c := f.newClient()
				vals := c.loginForm(t, "")
				vals.Set("username", registrarA)
				vals.Set("password", testPassword)
				poster, set := tc.tamper(t, c)
				for k, v := range set {
					vals.Set(k, v)
				}
				p := poster.post(t, "/login", vals)
				p.wantStatus(http.StatusForbidden)
				if p.testid("error-page").Length() != 1 {
					t.Errorf("no error page\n%s", excerpt(p.body))
				}
				if evs := f.auditEvents(t, "login.success", "user", registrarA); len(evs) != 0 {
					t.Errorf("login without a valid token succeeded")
				}
			})
		}
	})
}

func TestLoginFollowsOnlyLocalNext(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		local := casePath(f.caseA) + "?section=diagnosis"
		for _, tc := range []struct {
			name, next   string
			wantField    string // the next the login form carries
			wantLocation string
		}{
			{"case page", local, local, local},
			{"scheme-relative URL", "//evil.example/cases", "", "/cases"},
			{"absolute URL", "https://evil.example/", "", "/cases"},
			{"backslash URL", `/\evil.example`, "", "/cases"},
			{"relative path", "cases", "", "/cases"},
			{"tab in scheme-relative URL", "/\t/evil.example", "", "/cases"},
			{"newline in scheme-relative URL", "/\n/evil.example", "", "/cases"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				c := f.newClient()
				vals := c.loginForm(t, tc.next)
				if got := vals.Get("next"); got != tc.wantField {
					t.Errorf("login form next %q, want %q", got, tc.wantField)
				}
				// A forged form may carry any next; the server must check it again.
				vals.Set("next", tc.next)
				vals.Set("username", registrarA)
				vals.Set("password", testPassword)
				p := c.post(t, "/login", vals)
				p.wantStatus(http.StatusSeeOther)
				if got := p.location(); got != tc.wantLocation {
					t.Errorf("Location %q, want %q", got, tc.wantLocation)
				}
			})
		}
	})
}

func TestLoginIgnoresUsernameCaseAndBlanks(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		c := f.newClient()
		p := c.login(t, "  REG-A ", testPassword)
		p.wantStatus(http.StatusSeeOther)
		if got := p.location(); got != "/cases" {
			t.Fatalf("Location %q, want /cases", got)
		}
		if evs := f.auditEvents(t, "login.success", "user", registrarA); len(evs) != 1 {
			t.Errorf("%d login.success events for %s, want 1", len(evs), registrarA)
		}
	})
}

func TestLoginAcceptsPasswordHashedByAuth(t *testing.T) {
	t.Parallel()
	hash, err := auth.HashPassword("a-default-cost-password")
	if err != nil {
		t.Fatal(err)
	}
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		u := &store.User{Username: "reg-a2", Role: string(auth.RoleRegistrar), FacilityID: &f.facA, PasswordHash: hash}
		if err := s.CreateUser(context.Background(), u); err != nil {
			t.Fatal(err)
		}
		p := f.newClient().login(t, u.Username, "a-default-cost-password")
		p.wantStatus(http.StatusSeeOther)
		if got := p.location(); got != "/cases" {
			t.Errorf("Location %q, want /cases", got)
		}
	})
}
