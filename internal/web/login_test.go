package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

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
			{"Smith, Anna", "MR100001", "202500001", "00", "C341 Upper lobe, bronchus or lung", "2025-03-14", "Draft", "", "", "", "2026-11-02"}, // no first contact: no days
			{"Jones, Robert", "MR100002", "202400007", "00", "C619 Prostate", "2024-01-20", "Approved", "", "", "", "2026-11-02"},
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

// wantThrottled fails unless a sign-in answer is a 429 that says the reason and the wait, with
// a Retry-After of that many seconds.
func wantThrottled(t *testing.T, p *page, why string, secs int) {
	t.Helper()
	if p.status != http.StatusTooManyRequests {
		t.Fatalf("status %d, want 429\n%s", p.status, excerpt(p.body))
	}
	if got := p.header.Get("Retry-After"); got != strconv.Itoa(secs) {
		t.Errorf("Retry-After %q, want %d", got, secs)
	}
	msg := strings.Join(strings.Fields(p.testid("login-error").Text()), " ")
	if !strings.Contains(msg, "Too many failed sign-in attempts "+why) || !strings.Contains(msg, "Try again in ") {
		t.Errorf("login error %q, want it to say the attempts %s and the wait", msg, why)
	}
}

func TestLoginThrottleLetsTheRealUserInFromAnotherAddress(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		attacker := f.newClientFrom("127.0.0.2")
		// Spelling the username differently does not get round the throttle.
		for i, name := range []string{registrarA, "REG-A", "Reg-A", "  REG-A ", "reg-A"} {
			if p := attacker.login(t, name, "guess"); p.status != http.StatusUnauthorized {
				t.Fatalf("attempt %d: status %d, want 401", i+1, p.status)
			}
		}
		wantThrottled(t, attacker.login(t, " REG-A ", "guess"), "for this user from your address", 1)
		// From the attacker's address even the right password is not tried.
		wantThrottled(t, attacker.login(t, registrarA, testPassword), "for this user from your address", 1)
		if evs := f.auditEvents(t, "login.success", "user", registrarA); len(evs) != 0 {
			t.Fatalf("a throttled sign-in succeeded")
		}
		// The real user, at another address, signs in meanwhile.
		f.signIn(t, registrarA)
		// The attacker's own failures from there still count.
		wantThrottled(t, attacker.login(t, registrarA, "guess"), "for this user from your address", 1)
	})
}

func TestLoginThrottleSlowsPasswordSprayingFromOneAddress(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		sprayer := f.newClientFrom("127.0.0.3")
		names := []string{registrarA, registrarB, adminUser, reviewerA, reviewerB}
		for i := len(names); i < 20; i++ {
			names = append(names, "user"+strconv.Itoa(i+1))
		}
		var statuses []int
		for _, name := range names {
			p := sprayer.login(t, name, "Summer2026!")
			statuses = append(statuses, p.status)
			if p.status == http.StatusTooManyRequests && p.header.Get("Retry-After") == "" {
				t.Errorf("%s: 429 without Retry-After", name)
			}
		}
		for i, st := range statuses {
			want := http.StatusUnauthorized
			if i >= 10 {
				want = http.StatusTooManyRequests
			}
			if st != want {
				t.Fatalf("statuses of 20 usernames tried once each: %v; want ten 401s, then 429s", statuses)
			}
		}
		wantThrottled(t, sprayer.login(t, registrarB, testPassword), "from your address", 1)
		// Nobody else is slowed by it.
		f.signIn(t, registrarB)
	})
}

func TestLoginThrottleDelaysGrowAndASignInClearsThem(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		c := f.newClient()
		for range 5 {
			c.login(t, registrarA, "guess").wantStatus(http.StatusUnauthorized)
		}
		for _, secs := range []int{1, 2, 4, 8} {
			wantThrottled(t, c.login(t, registrarA, "guess"), "for this user from your address", secs)
			f.advance(time.Duration(secs)*time.Second - time.Millisecond)
			wantThrottled(t, c.login(t, registrarA, "guess"), "for this user from your address", 1)
			f.advance(time.Millisecond)
			c.login(t, registrarA, "guess").wantStatus(http.StatusUnauthorized)
		}
		p := c.login(t, registrarA, "guess")
		wantThrottled(t, p, "for this user from your address", 16)
		if msg := p.testid("login-error").Text(); !strings.Contains(msg, "Try again in 16 seconds") {
			t.Errorf("login error %q, want the wait in words", msg)
		}
		f.advance(16 * time.Second)
		p = c.login(t, registrarA, testPassword)
		p.wantStatus(http.StatusSeeOther)
		// The sign-in forgave this user's failures from this address: a typo is a plain 401 again.
		f.newClient().login(t, registrarA, "typo").wantStatus(http.StatusUnauthorized)
	})
}

func TestLoginThrottleCapsTheDelayAndForgetsAfterAnHour(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		c := f.newClient()
		for range 5 {
			c.login(t, reviewerA, "guess").wantStatus(http.StatusUnauthorized)
		}
		// 1 s, 2 s, … 512 s: after ten delays the next is the cap, 15 minutes.
		for i := range 10 {
			f.advance(time.Duration(1<<i) * time.Second)
			c.login(t, reviewerA, "guess").wantStatus(http.StatusUnauthorized)
		}
		wantThrottled(t, c.login(t, reviewerA, "guess"), "for this user from your address", 900)
		f.advance(15 * time.Minute)
		c.login(t, reviewerA, "guess").wantStatus(http.StatusUnauthorized)
		wantThrottled(t, c.login(t, reviewerA, "guess"), "for this user from your address", 900)
		// An hour without a failure, and the count starts over.
		f.advance(time.Hour)
		c.login(t, reviewerA, "guess").wantStatus(http.StatusUnauthorized)
		c.login(t, reviewerA, testPassword).wantStatus(http.StatusSeeOther)
	})
}

func TestLoginNeverFailsOnALongPassword(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		for _, n := range []int{73, 257, 100_000} {
			p := f.newClient().login(t, registrarA, strings.Repeat("x", n))
			if p.status != http.StatusUnauthorized {
				t.Errorf("a %d-byte password: status %d, want 401\n%s", n, p.status, excerpt(p.body))
			}
		}
	})
}

func TestLoginUpgradesABcryptHashToArgon2id(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		ctx := context.Background()
		before, err := s.UserByUsername(ctx, registrarA)
		if err != nil || !strings.HasPrefix(before.PasswordHash, "$2") {
			t.Fatalf("fixture hash %q, %v: want bcrypt", before.PasswordHash, err)
		}
		f.signIn(t, registrarA)
		after, err := s.UserByUsername(ctx, registrarA)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(after.PasswordHash, "$argon2id$v=19$m=64,t=1,p=1$") {
			t.Fatalf("hash after sign-in %q, want argon2id at the server's costs", after.PasswordHash)
		}
		// The new hash is of the same password, and stays at the next sign-in.
		f.signIn(t, registrarA)
		again, err := s.UserByUsername(ctx, registrarA)
		if err != nil || again.PasswordHash != after.PasswordHash {
			t.Errorf("hash changed at the second sign-in: %q, %v", again.PasswordHash, err)
		}
		if p := f.newClient().login(t, registrarA, "not-the-password"); p.status != http.StatusUnauthorized {
			t.Errorf("wrong password after the upgrade: status %d", p.status)
		}
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
			{"token in the query string only", func(t *testing.T, c *client) (*client, map[string]string) {
				return c, map[string]string{"query": c.loginForm(t, "").Get("_csrf")}
			}},
			// Login CSRF: a cookie planted in the victim's browser and a form field made up to
			// match it (the double-submit check took these).
			{"planted cookie equal to the field", func(t *testing.T, _ *client) (*client, map[string]string) {
				planted := f.newClient()
				u, err := url.Parse(f.server.URL)
				if err != nil {
					t.Fatal(err)
				}
				const made = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" // 43 characters, as a token
				planted.hc.Jar.SetCookies(u, []*http.Cookie{{Name: "cara_login_csrf", Value: made, Path: "/"}})
				return planted, map[string]string{"_csrf": made}
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
				path := "/login"
				if q, ok := set["query"]; ok {
					vals.Del("query")
					vals.Del("_csrf")
					path += "?_csrf=" + url.QueryEscape(q)
				}
				p := poster.post(t, path, vals)
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

func TestLoginFormsOfTwoTabsShareOnePreSessionUsedOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		c := f.newClient()
		first, second := c.loginForm(t, ""), c.loginForm(t, "")
		if first.Get("_csrf") != second.Get("_csrf") {
			t.Errorf("two tabs got two tokens: the first tab's form would be refused")
		}
		u, err := url.Parse(f.server.URL)
		if err != nil {
			t.Fatal(err)
		}
		var cookie *http.Cookie
		for _, ck := range c.hc.Jar.Cookies(u) {
			if ck.Name == "cara_login_csrf" {
				cookie = ck
			}
		}
		if cookie == nil {
			t.Fatal("no sign-in cookie")
		}
		first.Set("username", registrarA)
		first.Set("password", "typo")
		c.post(t, "/login", first).wantStatus(http.StatusUnauthorized)
		second.Set("username", registrarA)
		second.Set("password", testPassword)
		c.post(t, "/login", second).wantStatus(http.StatusSeeOther)

		// The pre-session ended with the sign-in: its cookie and token, replayed, are refused.
		replay := f.newClient()
		replay.hc.Jar.SetCookies(u, []*http.Cookie{{Name: cookie.Name, Value: cookie.Value, Path: "/"}})
		replay.post(t, "/login", second).wantStatus(http.StatusForbidden)
	})
}
