package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

func TestUnknownPathsShowNotFoundPage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		c := f.signIn(t, registrarA)
		for _, path := range []string{"/nope", "/favicon.ico", "/cases/abc", "/cases/0", "/cases/-1", "/cases/99999999", "/static/nope.js"} {
			t.Run(path, func(t *testing.T) {
				p := c.get(t, path)
				p.wantStatus(http.StatusNotFound)
				if got := strings.TrimSpace(p.testid("error-page").Find("h1").Text()); got != "Not found" {
					t.Errorf("heading %q, want Not found\n%s", got, excerpt(p.body))
				}
			})
		}
	})
}

// A browser asks for /favicon.ico after every page. Sending that to the login page renewed the
// login token, so the sign-in form the user was looking at was refused.
func TestUnknownPathWithoutSessionIsNotFoundAndKeepsLoginForm(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		c := f.newClient()
		vals := c.loginForm(t, "")
		for _, path := range []string{"/favicon.ico", "/nope"} {
			p := c.get(t, path)
			p.wantStatus(http.StatusNotFound)
			if sc := p.header.Values("Set-Cookie"); len(sc) != 0 {
				t.Errorf("GET %s set cookies %q", path, sc)
			}
		}
		vals.Set("username", registrarA)
		vals.Set("password", testPassword)
		p := c.post(t, "/login", vals)
		p.wantStatus(http.StatusSeeOther)
		if got := p.location(); got != "/cases" {
			t.Errorf("Location %q, want /cases", got)
		}
	})
}

func TestInternalErrorShowsNoDetails(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		c := f.signIn(t, registrarA)
		if err := s.DB().Close(); err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{"/cases", casePath(f.caseA)} {
			p := c.get(t, path)
			p.wantStatus(http.StatusInternalServerError)
			if p.testid("error-page").Length() != 1 {
				t.Errorf("GET %s: no error page\n%s", path, excerpt(p.body))
			}
			body := strings.ToLower(p.body)
			for _, leak := range []string{"sql", "store:", "closed", "goroutine", ".go:"} {
				if strings.Contains(body, leak) {
					t.Errorf("GET %s: error page contains %q\n%s", path, leak, excerpt(p.body))
				}
			}
		}
		// The details go to the log instead, with the request id.
		if log := f.log.String(); !strings.Contains(log, "request failed") || !strings.Contains(log, "database is closed") || !strings.Contains(log, "request_id=") {
			t.Errorf("the log does not record the failure with its cause:\n%s", log)
		}
	})
}

func TestResponsesCarrySecurityHeaders(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		c := f.signIn(t, registrarA)
		for _, tc := range []struct {
			path    string
			noStore bool // pages with patient data must not be cached
		}{
			{"/login", false},
			{"/cases", true},
			{casePath(f.caseA), true},
			{"/nope", false},
		} {
			t.Run(tc.path, func(t *testing.T) {
				client := c
				if tc.path == "/login" {
					client = f.newClient()
				}
				p := client.get(t, tc.path)
				csp := p.header.Get("Content-Security-Policy")
				for _, want := range []string{"script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"} {
					if !strings.Contains(csp, want) {
						t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
					}
				}
				if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
					t.Errorf("Content-Security-Policy %q allows inline or eval", csp)
				}
				for name, want := range map[string]string{
					"X-Frame-Options":        "DENY",
					"X-Content-Type-Options": "nosniff",
					"Referrer-Policy":        "same-origin",
				} {
					if got := p.header.Get(name); got != want {
						t.Errorf("%s %q, want %q", name, got, want)
					}
				}
				if got := p.header.Get("Cache-Control"); tc.noStore && got != "no-store" {
					t.Errorf("Cache-Control %q, want no-store", got)
				}
			})
		}
		// The session cookie is out of reach of scripts and of other sites' forms.
		p := f.newClient().login(t, registrarA, testPassword)
		found := false
		for _, sc := range p.header.Values("Set-Cookie") {
			if !strings.HasPrefix(sc, "cara_session=") {
				continue
			}
			found = true
			for _, attr := range []string{"HttpOnly", "SameSite=Lax", "Path=/"} {
				if !strings.Contains(sc, attr) {
					t.Errorf("session cookie %q lacks %s", sc, attr)
				}
			}
		}
		if !found {
			t.Errorf("login set no session cookie: %q", p.header.Values("Set-Cookie"))
		}
	})
}
