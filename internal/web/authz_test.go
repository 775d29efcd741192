package web_test

import (
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

// outcome is what a signed-in user gets from a route: let through (whatever the handler then
// says of the input), refused for their role (403), or told the record does not exist (404).
type outcome int

const (
	allow outcome = iota
	forbid
	hidden
)

func (o outcome) String() string {
	return [...]string{"allowed", "403 forbidden", "404 not found"}[o]
}

// access is a route's row of the authorization matrix: the outcome for each role on a record of
// the user's own facility (or on a route without a record), and the kind of record the route's
// path parameters name. On another facility's record every role but admin gets 404 (or 403 when
// the role is refused anyway); an administrator is let through.
type access struct {
	public                     bool // served without signing in
	registrar, reviewer, admin outcome
	record                     string // a key of recordParams; "" when the path names no record
}

var (
	everyone      = access{registrar: allow, reviewer: allow, admin: allow}
	reviewersOnly = access{registrar: forbid, reviewer: allow, admin: allow}
	adminsOnly    = access{registrar: forbid, reviewer: forbid, admin: allow}
	// Registrars (and administrators) enter patients and tumors; reviewers review.
	registrarsEnter = access{registrar: allow, reviewer: forbid, admin: allow}
)

// unscopedRecords are record kinds that belong to no facility: the same for own and other.
var unscopedRecords = map[string]bool{"lookup": true}

func (a access) on(record string) access { a.record = record; return a }

// authzMatrix lists every route of cara. A route registered in web.New without a row here fails
// TestAuthorizationMatrix: whoever adds a route decides who may use it.
var authzMatrix = map[string]access{
	"GET /healthz":   {public: true},
	"GET /static*":   {public: true},
	"GET /login":     {public: true},
	"POST /login":    {public: true},
	"POST /logout":   everyone,
	"GET /":          everyone,
	"GET /cases":     everyone,
	"GET /edits":     everyone,
	"GET /patients":  everyone,
	"POST /patients": registrarsEnter,

	"GET /patients/new": registrarsEnter,

	"GET /cases/:id":        everyone.on("case"),
	"POST /cases/:id":       {registrar: allow, reviewer: forbid, admin: allow, record: "case"},
	"POST /cases/:id/edits": everyone.on("case"),
	"GET /cases/:id/items":  everyone.on("case"),

	"GET /patients/:id":            everyone.on("patient"),
	"GET /patients/:id/tumors/new": registrarsEnter.on("patient"),
	"POST /patients/:id/tumors":    registrarsEnter.on("patient"),
	"GET /lookup/:item":            everyone.on("lookup"),
}

// recordParams give a route's path parameters for a record of facility A (own) or B (other).
var recordParams = map[string]func(t *testing.T, f *fixture, own bool) map[string]string{
	"case": func(t *testing.T, f *fixture, own bool) map[string]string {
		return map[string]string{"id": idString(pick(own, f.caseA, f.caseB))}
	},
	"patient": func(t *testing.T, f *fixture, own bool) map[string]string {
		return map[string]string{"id": idString(f.loadCase(t, pick(own, f.caseA, f.caseB)).Patient.ID)}
	},
	"lookup": func(*testing.T, *fixture, bool) map[string]string {
		return map[string]string{"item": "primarySite"}
	},
}

func pick[T any](own bool, a, b T) T {
	if own {
		return a
	}
	return b
}

// TestAuthorizationMatrix walks every route registered in the Echo router and checks, for each
// role and for a record of the user's own facility and of another, the outcome the matrix says;
// and that a visitor who has not signed in is sent to the login page.
func TestAuthorizationMatrix(t *testing.T) {
	f := newFixture(t, storetest.New(t, store.DialectSQLite))
	e, ok := f.server.Config.Handler.(*echo.Echo)
	if !ok {
		t.Fatalf("the test server's handler is %T, not *echo.Echo", f.server.Config.Handler)
	}
	routes := map[string]*echo.Route{}
	for _, r := range e.Routes() {
		routes[r.Method+" "+r.Path] = r
	}
	keys := make([]string, 0, len(routes))
	for k := range routes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if _, ok := authzMatrix[k]; !ok {
			t.Errorf("route %s has no row in authzMatrix: decide who may use it", k)
		}
	}
	for k := range authzMatrix {
		if _, ok := routes[k]; !ok {
			t.Errorf("authzMatrix has a row for %s, which is not a route", k)
		}
	}

	users := []struct {
		name string
		role func(access) outcome
	}{
		{registrarA, func(a access) outcome { return a.registrar }},
		{reviewerA, func(a access) outcome { return a.reviewer }},
		{adminUser, func(a access) outcome { return a.admin }},
	}
	clients := map[string]*client{}
	tokens := map[string]string{}
	for _, u := range users {
		clients[u.name] = f.signIn(t, u.name)
		tokens[u.name] = clients[u.name].csrf(t)
	}
	anonymous := f.newClient()

	for _, k := range keys {
		acc, ok := authzMatrix[k]
		if !ok {
			continue
		}
		method, path, _ := strings.Cut(k, " ")
		if acc.public {
			continue
		}
		t.Run(k, func(t *testing.T) {
			for _, own := range []bool{true, false} {
				if (acc.record == "" || unscopedRecords[acc.record]) && !own {
					continue
				}
				target := path
				if acc.record != "" {
					params, ok := recordParams[acc.record]
					if !ok {
						t.Fatalf("no recordParams for record kind %q", acc.record)
					}
					for name, v := range params(t, f, own) {
						target = strings.Replace(target, ":"+name, url.PathEscape(v), 1)
					}
				}
				if strings.Contains(target, ":") {
					t.Fatalf("%s: path parameters left in %s", k, target)
				}
				// A visitor who has not signed in goes to the login page, whatever the route.
				p := anonymous.do(t, method, target, url.Values{})
				if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location(), "/login") {
					t.Errorf("%s %s without signing in: status %d, Location %q; want 303 to /login", method, target, p.status, p.location())
				}
				for _, u := range users {
					want := u.role(acc)
					if !own && u.name != adminUser && want == allow {
						want = hidden
					}
					c := clients[u.name]
					if method == http.MethodPost && path == "/logout" {
						c = f.signIn(t, u.name) // signing out must not end the shared client's session
					}
					var form url.Values
					if method != http.MethodGet {
						form = url.Values{"_csrf": {tokens[u.name]}}
						if c != clients[u.name] {
							form.Set("_csrf", c.csrf(t))
						}
					}
					p := c.do(t, method, target, form)
					got := allow
					switch {
					case p.status == http.StatusForbidden:
						got = forbid
					case p.status == http.StatusNotFound:
						got = hidden
					case p.status == http.StatusSeeOther && strings.HasPrefix(p.location(), "/login"):
						if path == "/logout" {
							break // signing out ends at the login page
						}
						t.Errorf("%s %s as %s: sent to the login page", method, target, u.name)
						continue
					}
					// A role refused anyway may be refused before the record is looked up.
					if !own && want == forbid && got == hidden {
						got = forbid
					}
					if got != want {
						t.Errorf("%s %s as %s (%s facility): %s (status %d), want %s\n%s", method, target, u.name,
							pick(own, "own", "other"), got, p.status, want, excerpt(p.body))
					}
				}
			}
		})
	}
}
