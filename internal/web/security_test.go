package web_test

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
	"github.com/cara-registry/cara/internal/web"
)

// restartWith restarts the fixture's server with its usual dependencies changed by set.
func restartWith(t testing.TB, f *fixture, set func(d *web.Deps)) {
	t.Helper()
	cat, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	d := web.Deps{Store: f.store, Form: cat.form, Edits: cat.edits, Codes: cat.codes, SiteGroups: cat.siteGroups, NewCase: cat.newCase,
		Logger: slog.New(slog.NewTextHandler(f.log, nil)), Now: func() time.Time { return clock }}
	set(&d)
	f.server.Close()
	f.server = httptest.NewServer(web.New(d))
	t.Cleanup(f.server.Close)
}

func mustCIDR(t testing.TB, s string) *net.IPNet {
	t.Helper()
	_, n, err := net.ParseCIDR(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// loginRemoteAddrs makes six failed sign-ins, each for its own username and with a forged
// X-Forwarded-For (and X-Real-IP) of 203.0.113.N, and returns the remote_addr stored with each
// one's login.failure event, by username.
func loginRemoteAddrs(t *testing.T, f *fixture) map[string]string {
	t.Helper()
	for i := 1; i <= 6; i++ {
		c := f.newClient()
		vals := c.loginForm(t, "")
		vals.Set("username", "nobody-"+strconv.Itoa(i))
		vals.Set("password", "guess")
		forged := "203.0.113." + strconv.Itoa(i)
		c.post(t, "/login", vals, "X-Forwarded-For", forged, "X-Real-IP", forged).wantStatus(http.StatusUnauthorized)
	}
	rows, err := f.store.DB().QueryContext(context.Background(),
		"SELECT entity_id, remote_addr FROM audit_events WHERE action = 'login.failure'")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[string]string{}
	for rows.Next() {
		var user, addr string
		if err := rows.Scan(&user, &addr); err != nil {
			t.Fatal(err)
		}
		got[user] = addr
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return got
}

func TestAuditStoresSocketAddressNotForwardedOneFromUntrustedPeer(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s) // no trusted proxies: the test client on 127.0.0.1 is a stranger
		got := loginRemoteAddrs(t, f)
		for i := 1; i <= 6; i++ {
			user := "nobody-" + strconv.Itoa(i)
			if got[user] != "127.0.0.1" {
				t.Errorf("login.failure of %s stored from %q, want the socket's 127.0.0.1", user, got[user])
			}
		}
	})
}

func TestAuditStoresForwardedAddressFromTrustedProxy(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		restartWith(t, f, func(d *web.Deps) { d.TrustedProxies = []*net.IPNet{mustCIDR(t, "127.0.0.1/32")} })
		got := loginRemoteAddrs(t, f)
		for i := 1; i <= 6; i++ {
			user := "nobody-" + strconv.Itoa(i)
			if want := "203.0.113." + strconv.Itoa(i); got[user] != want {
				t.Errorf("login.failure of %s stored from %q, want the forwarded %s", user, got[user], want)
			}
		}
	})
}

func TestHSTSSentOnlyWhenServedOverHTTPS(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		for _, path := range []string{"/login", "/healthz"} {
			if got := f.newClient().get(t, path).header.Get("Strict-Transport-Security"); got != "" {
				t.Errorf("GET %s without secure cookies: Strict-Transport-Security %q, want none", path, got)
			}
		}
		// Behind a TLS-terminating proxy the request reaches cara over plain HTTP.
		restartWith(t, f, func(d *web.Deps) { d.SecureCookies = true })
		for _, path := range []string{"/login", "/healthz"} {
			if got := f.newClient().get(t, path).header.Get("Strict-Transport-Security"); got != "max-age=31536000; includeSubDomains" {
				t.Errorf("GET %s with secure cookies: Strict-Transport-Security %q, want max-age=31536000; includeSubDomains", path, got)
			}
		}
	})
}

func TestCrossSitePostRefusedSameOriginAccepted(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		c := f.signIn(t, registrarA)
		own := f.server.URL // http://127.0.0.1:port
		for _, tc := range []struct {
			name   string
			header []string
			want   string
		}{
			{"foreign origin", []string{"Origin", "http://evil.example"}, "Origin http://evil.example"},
			{"same host, other port", []string{"Origin", "http://127.0.0.1:1"}, "came from another site"},
			{"other scheme", []string{"Origin", strings.Replace(own, "http:", "https:", 1)}, "came from another site"},
			{"opaque origin", []string{"Origin", "null"}, "came from another site"},
			{"cross-site fetch", []string{"Sec-Fetch-Site", "cross-site"}, "Sec-Fetch-Site: cross-site"},
			{"same-site fetch", []string{"Sec-Fetch-Site", "same-site", "Origin", own}, "Sec-Fetch-Site: same-site"},
			{"forwarded host from a stranger", []string{"Origin", "http://cara.example", "X-Forwarded-Host", "cara.example"}, "came from another site"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				p := c.post(t, "/logout", url.Values{"_csrf": {c.csrf(t)}}, tc.header...)
				p.wantStatus(http.StatusForbidden)
				if msg := p.testid("error-page").Text(); !strings.Contains(msg, tc.want) {
					t.Errorf("error page %q, want it to say %q", msg, tc.want)
				}
				c.get(t, "/cases").wantStatus(http.StatusOK) // still signed in
			})
		}
		if evs := f.auditEvents(t, "logout", "user", registrarA); len(evs) != 0 {
			t.Fatalf("%d logout events after cross-site posts, want none", len(evs))
		}
		// A browser's own form: same origin, and the token.
		p := c.post(t, "/logout", url.Values{"_csrf": {c.csrf(t)}}, "Origin", own, "Sec-Fetch-Site", "same-origin")
		p.wantStatus(http.StatusSeeOther)
		if evs := f.auditEvents(t, "logout", "user", registrarA); len(evs) != 1 {
			t.Errorf("%d logout events after a same-origin post, want 1", len(evs))
		}
	})
}

func TestOriginBehindTrustedProxyIsTheForwardedOne(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		restartWith(t, f, func(d *web.Deps) { d.TrustedProxies = []*net.IPNet{mustCIDR(t, "127.0.0.0/8")} })
		c := f.signIn(t, registrarA)
		proxied := []string{"X-Forwarded-Proto", "https", "X-Forwarded-Host", "cara.example"}
		p := c.post(t, "/logout", url.Values{"_csrf": {c.csrf(t)}}, append(proxied, "Origin", "https://evil.example")...)
		p.wantStatus(http.StatusForbidden)
		p = c.post(t, "/logout", url.Values{"_csrf": {c.csrf(t)}}, append(proxied, "Origin", "https://cara.example:443")...)
		p.wantStatus(http.StatusSeeOther)
	})
}

func TestCSRFTokenInQueryStringRefused(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		c := f.signIn(t, registrarA)
		tok := c.csrf(t)
		for _, tc := range []struct {
			name string
			form url.Values
		}{
			{"only in the query", url.Values{}},
			{"in the query and the form", url.Values{"_csrf": {tok}}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				p := c.post(t, "/logout?_csrf="+url.QueryEscape(tok), tc.form)
				p.wantStatus(http.StatusForbidden)
				if msg := p.testid("error-page").Text(); !strings.Contains(msg, "query string") {
					t.Errorf("error page %q, want it to name the query string", msg)
				}
			})
		}
		// The sign-in form's token neither.
		lc := f.newClient()
		vals := lc.loginForm(t, "")
		p := lc.post(t, "/login?_csrf="+url.QueryEscape(vals.Get("_csrf")), url.Values{"username": {registrarA}, "password": {testPassword}})
		p.wantStatus(http.StatusForbidden)
		c.get(t, "/cases").wantStatus(http.StatusOK) // still signed in
		if evs := f.auditEvents(t, "login.success", "user", registrarA); len(evs) != 1 {
			t.Errorf("%d login.success events, want only the fixture's sign-in", len(evs))
		}
	})
}

func TestLoginWithForeignOriginRefused(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		for _, header := range [][]string{
			{"Origin", "http://evil.example"},
			{"Sec-Fetch-Site", "cross-site"},
		} {
			t.Run(header[0], func(t *testing.T) {
				c := f.newClient()
				vals := c.loginForm(t, "")
				vals.Set("username", registrarA)
				vals.Set("password", testPassword)
				p := c.post(t, "/login", vals, header...)
				p.wantStatus(http.StatusForbidden)
				if msg := p.testid("error-page").Text(); !strings.Contains(msg, "another site") {
					t.Errorf("error page %q", msg)
				}
				if evs := f.auditEvents(t, "login.success", "user", registrarA); len(evs) != 0 {
					t.Errorf("a cross-site sign-in succeeded")
				}
			})
		}
		// The same form from cara's own page signs in.
		c := f.newClient()
		vals := c.loginForm(t, "")
		vals.Set("username", registrarA)
		vals.Set("password", testPassword)
		c.post(t, "/login", vals, "Origin", f.server.URL, "Sec-Fetch-Site", "same-origin").wantStatus(http.StatusSeeOther)
	})
}

func TestIntakeUploadWithForeignOriginRefused(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		withSubmissionsAndIntake(t, f)
		c := f.signIn(t, registrarA)
		p := c.upload(t, c.csrf(t), f.facA, "batch.xml", []byte("<NaaccrData/>"), "Origin", "http://evil.example")
		p.wantStatus(http.StatusForbidden)
		if rows, err := s.Intakes(context.Background(), store.AllFacilities, 10); err != nil || len(rows) != 0 {
			t.Errorf("intakes after a cross-site upload: %d, %v; want none", len(rows), err)
		}
	})
}
