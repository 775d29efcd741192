package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

// admUserPath is an administrator's page of a fixture user.
func (f *fixture) admUserPath(username string) string {
	return "/admin/users/" + idString(f.users[username].ID)
}

// admUser reads a user and their facility ids from the store.
func (f *fixture) admUser(t *testing.T, username string) *store.UserRow {
	t.Helper()
	row, err := f.store.UserByID(context.Background(), f.users[username].ID)
	if err != nil {
		t.Fatal(err)
	}
	return row
}

// admForm returns what a browser would submit for a form of a page: formOf, but a checkbox or a
// radio button only when it is checked.
func admForm(t *testing.T, p *page, testid string) url.Values {
	t.Helper()
	form := p.testid(testid)
	if form.Length() != 1 {
		t.Fatalf("no %s\n%s", testid, excerpt(p.body))
	}
	clone := form.Clone()
	clone.Find(`input[type="checkbox"], input[type="radio"]`).Not("[checked]").Remove()
	return formValues(clone)
}

// admFormCSRF returns the CSRF token of a page's form.
func admFormCSRF(t *testing.T, p *page) string {
	t.Helper()
	tok, ok := p.doc.Find(`input[name="_csrf"]`).First().Attr("value")
	if !ok || tok == "" {
		t.Fatalf("no _csrf on the page\n%s", excerpt(p.body))
	}
	return tok
}

func TestAdminPagesRefuseEveryoneButAnAdministrator(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		gets := []string{"/admin/users", "/admin/users/new", f.admUserPath(registrarA), "/admin/facilities",
			"/admin/facilities/new", "/admin/facilities/" + idString(f.facA), "/admin/audit", "/admin/audit.csv"}
		posts := []string{"/admin/users", f.admUserPath(registrarB), f.admUserPath(registrarB) + "/disable",
			f.admUserPath(registrarB) + "/enable", f.admUserPath(registrarB) + "/password", "/admin/facilities",
			"/admin/facilities/" + idString(f.facA)}
		for _, who := range []string{registrarA, reviewerA} {
			c := f.signIn(t, who)
			tok := c.csrf(t)
			for _, path := range gets {
				if p := c.get(t, path); p.status != http.StatusForbidden {
					t.Errorf("%s GET %s: status %d, want 403", who, path, p.status)
				}
			}
			for _, path := range posts {
				if p := c.post(t, path, url.Values{"_csrf": {tok}, "role": {"admin"}, "code": {"X"}, "name": {"X"}}); p.status != http.StatusForbidden {
					t.Errorf("%s POST %s: status %d, want 403", who, path, p.status)
				}
			}
		}
		if row := f.admUser(t, registrarB); row.User.Role != "registrar" || row.User.DisabledAt != nil || row.User.MustChangePassword {
			t.Errorf("a refused request changed reg-b: %+v", row.User)
		}
		admin := f.signIn(t, adminUser)
		for _, path := range gets {
			admin.get(t, path).wantStatus(http.StatusOK)
		}
		// Signed out: the login page, not a 403.
		if p := f.newClient().get(t, "/admin/users"); p.status != http.StatusSeeOther || !strings.HasPrefix(p.location(), "/login") {
			t.Errorf("signed out: status %d, Location %q", p.status, p.location())
		}
	})
}

func TestAdminUserListShowsRolesFacilitiesAndState(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		p := f.signIn(t, adminUser).get(t, "/admin/users")
		p.wantStatus(http.StatusOK)
		var cells []string
		p.doc.Find(`[data-testid="user-row"][data-username="reg-a"] td`).Each(func(_ int, td *goquery.Selection) {
			cells = append(cells, strings.Join(strings.Fields(td.Text()), " "))
		})
		if got := strings.Join(cells, " | "); got != "reg-a | Rita Alder | registrar | Alder General Hospital | " {
			t.Errorf("reg-a row %q", got)
		}
		admin := f.signIn(t, adminUser)
		tok := admin.csrf(t)
		admin.post(t, f.admUserPath(registrarB)+"/password", url.Values{"_csrf": {tok}}).wantStatus(http.StatusOK)
		admin.post(t, f.admUserPath(reviewerB)+"/disable", url.Values{"_csrf": {tok}}).wantStatus(http.StatusSeeOther)
		p = admin.get(t, "/admin/users")
		if p.doc.Find(`[data-username="reg-b"] [data-testid="user-must-change"]`).Length() != 1 ||
			p.doc.Find(`[data-username="rev-b"] [data-testid="user-disabled"]`).Length() != 1 ||
			p.doc.Find(`[data-username="reg-a"] .status`).Length() != 0 {
			t.Errorf("states not shown: reg-b must change, rev-b disabled, reg-a neither")
		}
		if n := p.testid("user-row").Length(); n != 5 {
			t.Errorf("%d user rows, want the fixture's 5", n)
		}
	})
}

func TestAdminAddUserNamesEachProblemAndKeepsTheEntries(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		admin := f.signIn(t, adminUser)
		vals := admForm(t, admin.get(t, "/admin/users/new"), "user-form")
		a, b := idString(f.facA), idString(f.facB)
		tests := []struct {
			name  string
			set   url.Values
			field string
			want  string
		}{
			{"no username", url.Values{"username": {""}, "facility": {a}, "home": {a}}, "username", "Username: required"},
			{"username taken", url.Values{"username": {"Reg-A"}, "facility": {a}, "home": {a}}, "username", "exists already"},
			{"registrar without facility", url.Values{"username": {"kim"}}, "facilities", "Facilities: a registrar must work for at least one facility"},
			{"home not ticked", url.Values{"username": {"kim"}, "facility": {a}, "home": {b}}, "home", "Home facility: it must be one of the facilities ticked"},
			{"no home", url.Values{"username": {"kim"}, "facility": {a, b}}, "home", "Home facility: choose"},
			{"short password", url.Values{"username": {"kim"}, "facility": {a}, "home": {a}, "password": {"short"}}, "password", "Initial password: at least 8 characters"},
			{"short administrator password", url.Values{"username": {"kim"}, "role": {"admin"}, "password": {"gq7-vexo-lu"}}, "password", "Initial password: at least 12 characters for an administrator"},
			{"password over 256 characters", url.Values{"username": {"kim"}, "facility": {a}, "home": {a}, "password": {strings.Repeat("k3-", 90)}}, "password", "Initial password: at most 256 characters"},
			{"common password", url.Values{"username": {"kim"}, "facility": {a}, "home": {a}, "password": {"password"}}, "password", "Initial password: it is on the list of common or breached passwords"},
			{"common password in capitals", url.Values{"username": {"kim"}, "facility": {a}, "home": {a}, "password": {"Iloveyou123"}}, "password", "Initial password: it is on the list of common or breached passwords"},
			{"password is the username", url.Values{"username": {"kim.lee.ok"}, "facility": {a}, "home": {a}, "password": {"KIM.LEE.OK"}}, "password", "Initial password: it must not be or contain the username"},
			{"bad role", url.Values{"username": {"kim"}, "role": {"boss"}, "facility": {a}, "home": {a}}, "role", "Role: choose"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				form := url.Values{"_csrf": {vals.Get("_csrf")}, "role": {"registrar"}, "display_name": {"Kim Lee"}}
				for k, v := range tt.set {
					form[k] = v
				}
				p := admin.post(t, "/admin/users", form)
				p.wantStatus(http.StatusUnprocessableEntity)
				if msg := p.testid("error-" + tt.field).Text(); !strings.Contains(msg, tt.want) {
					t.Errorf("error beside %s %q, want %q\n%s", tt.field, msg, tt.want, excerpt(p.body))
				}
				kept := admForm(t, p, "user-form")
				if kept.Get("display_name") != "Kim Lee" || kept.Get("username") != tt.set.Get("username") && tt.name != "username taken" {
					t.Errorf("entries not kept: %v", kept)
				}
				for _, id := range tt.set["facility"] {
					if _, ok := p.testid("facility-" + id).Attr("checked"); !ok {
						t.Errorf("facility %s no longer ticked", id)
					}
				}
			})
		}
		if _, err := s.UserByUsername(context.Background(), "kim"); err == nil {
			t.Error("a refused form stored the user")
		}

		// A good form without a password: cara makes one, shows it once, and the new user must
		// change it at their first sign-in.
		p := admin.post(t, "/admin/users", url.Values{"_csrf": {vals.Get("_csrf")}, "username": {"Kim"}, "display_name": {"Kim Lee"},
			"role": {"reviewer"}, "facility": {a, b}, "home": {b}})
		p.wantStatus(http.StatusCreated)
		password := strings.TrimSpace(p.testid("shown-password").Text())
		if len(password) < 12 {
			t.Fatalf("generated password %q\n%s", password, excerpt(p.body))
		}
		u, err := s.UserByUsername(context.Background(), "kim")
		if err != nil {
			t.Fatal(err)
		}
		if u.Role != "reviewer" || u.FacilityID == nil || *u.FacilityID != f.facB || !u.MustChangePassword {
			t.Errorf("stored user %+v", u)
		}
		if evs := f.auditEvents(t, "user.create", "user", "kim"); len(evs) != 1 || evs[0].UserID == nil || *evs[0].UserID != f.users[adminUser].ID {
			t.Errorf("user.create events %+v, want one by the administrator", evs)
		}
		again := admin.get(t, "/admin/users/"+idString(u.ID))
		if again.testid("shown-password").Length() != 0 || strings.Contains(again.body, password) {
			t.Error("the generated password is shown a second time")
		}
		kim := f.newClient()
		if p := kim.login(t, "kim", password); p.status != http.StatusSeeOther || p.location() != "/account/password" {
			t.Errorf("first sign-in: status %d, Location %q; want the password page", p.status, p.location())
		}

		// A password typed by the administrator goes to the user's page.
		p = admin.post(t, "/admin/users", url.Values{"_csrf": {vals.Get("_csrf")}, "username": {"root2"}, "role": {"admin"}, "password": {"long-enough-1"}})
		p.wantStatus(http.StatusSeeOther)
		if loc := p.location(); !strings.HasPrefix(loc, "/admin/users/") || !strings.HasSuffix(loc, "?created=1") {
			t.Errorf("Location %q", loc)
		}
	})
}

func TestAdminEditsAUsersRoleAndFacilities(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		admin := f.signIn(t, adminUser)
		reg := f.signIn(t, registrarA)
		reg.get(t, casePath(f.caseB)).wantStatus(http.StatusNotFound)

		path := f.admUserPath(registrarA)
		vals := admForm(t, admin.get(t, path), "user-form")
		if vals.Get("home") != idString(f.facA) || len(vals["facility"]) != 1 || vals.Get("facility") != idString(f.facA) {
			t.Fatalf("form of reg-a: %v", vals)
		}
		// Home outside the ticked facilities: refused, entries kept.
		vals.Set("home", idString(f.facB))
		vals.Set("display_name", "Rita A. Alder")
		p := admin.post(t, path, vals)
		p.wantStatus(http.StatusUnprocessableEntity)
		if !strings.Contains(p.testid("error-home").Text(), "Home facility") {
			t.Errorf("no home facility error\n%s", excerpt(p.body))
		}
		if v, _ := p.doc.Find("#display_name").Attr("value"); v != "Rita A. Alder" {
			t.Errorf("name not kept: %q", v)
		}

		vals["facility"] = []string{idString(f.facA), idString(f.facB)}
		vals.Set("home", idString(f.facA))
		p = admin.post(t, path, vals)
		p.wantStatus(http.StatusSeeOther)
		row := f.admUser(t, registrarA)
		if row.User.DisplayName != "Rita A. Alder" || len(row.Facilities) != 2 {
			t.Errorf("after save: %+v with %d facilities", row.User, len(row.Facilities))
		}
		if evs := f.auditEvents(t, "user.update", "user", registrarA); len(evs) != 1 || !strings.Contains(evs[0].Details, "facilities") {
			t.Errorf("user.update events %+v", evs)
		}
		// A registrar given facility B sees B's cases, on the next request.
		reg.get(t, casePath(f.caseB)).wantStatus(http.StatusOK)
		w := reg.get(t, "/cases?q=Brown")
		if !strings.Contains(w.body, "Brown") {
			t.Errorf("worklist of reg-a does not show B's Brown")
		}

		// An administrator cannot demote themself.
		self := f.admUserPath(adminUser)
		sv := admForm(t, admin.get(t, self), "user-form")
		sv.Set("role", "reviewer")
		sv["facility"] = []string{idString(f.facA)}
		sv.Set("home", idString(f.facA))
		p = admin.post(t, self, sv)
		p.wantStatus(http.StatusUnprocessableEntity)
		if !strings.Contains(p.testid("error-role").Text(), "yourself") {
			t.Errorf("no role error on self-demotion\n%s", excerpt(p.body))
		}
	})
}

func TestAdminDisablesAUserWhoseSessionEndsAndWhoCannotSignIn(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		admin := f.signIn(t, adminUser)
		reg := f.signIn(t, registrarA)
		tok := admin.csrf(t)

		p := admin.post(t, f.admUserPath(registrarA)+"/disable", url.Values{"_csrf": {tok}})
		p.wantStatus(http.StatusSeeOther)
		if p = admin.get(t, p.location()); p.testid("enable-user").Length() != 1 || p.testid("notice").Length() != 1 {
			t.Errorf("the user page after disabling has no enable button or notice\n%s", excerpt(p.body))
		}
		if p := reg.get(t, "/cases"); p.status != http.StatusSeeOther || !strings.HasPrefix(p.location(), "/login") {
			t.Errorf("disabled user's session: status %d, Location %q; want the login page", p.status, p.location())
		}
		if p := f.newClient().login(t, registrarA, testPassword); p.status != http.StatusUnauthorized {
			t.Errorf("disabled user signs in: status %d", p.status)
		}
		if evs := f.auditEvents(t, "user.disable", "user", registrarA); len(evs) != 1 {
			t.Errorf("%d user.disable events, want 1", len(evs))
		}

		// Not themself.
		p = admin.post(t, f.admUserPath(adminUser)+"/disable", url.Values{"_csrf": {tok}})
		p.wantStatus(http.StatusUnprocessableEntity)
		if f.admUser(t, adminUser).User.DisabledAt != nil {
			t.Fatal("the administrator disabled themself")
		}

		admin.post(t, f.admUserPath(registrarA)+"/enable", url.Values{"_csrf": {tok}}).wantStatus(http.StatusSeeOther)
		f.signIn(t, registrarA)
		if evs := f.auditEvents(t, "user.enable", "user", registrarA); len(evs) != 1 {
			t.Errorf("%d user.enable events, want 1", len(evs))
		}
		admin.post(t, "/admin/users/99999/disable", url.Values{"_csrf": {tok}}).wantStatus(http.StatusNotFound)
	})
}

func TestPasswordResetForcesAChangeBeforeAnythingElse(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		admin := f.signIn(t, adminUser)
		old := f.signIn(t, registrarA)

		p := admin.post(t, f.admUserPath(registrarA)+"/password", url.Values{"_csrf": {admin.csrf(t)}})
		p.wantStatus(http.StatusOK)
		temp := strings.TrimSpace(p.testid("shown-password").Text())
		if temp == "" {
			t.Fatalf("no temporary password shown\n%s", excerpt(p.body))
		}
		if evs := f.auditEvents(t, "password.reset", "user", registrarA); len(evs) != 1 {
			t.Errorf("%d password.reset events, want 1", len(evs))
		}
		if p := old.get(t, "/cases"); p.status != http.StatusSeeOther || !strings.HasPrefix(p.location(), "/login") {
			t.Errorf("session from before the reset: status %d, Location %q", p.status, p.location())
		}
		if p := f.newClient().login(t, registrarA, testPassword); p.status != http.StatusUnauthorized {
			t.Errorf("the old password still works: status %d", p.status)
		}

		c := f.newClient()
		if p := c.login(t, registrarA, temp); p.status != http.StatusSeeOther || p.location() != "/account/password" {
			t.Fatalf("sign in with the temporary password: status %d, Location %q", p.status, p.location())
		}
		for _, path := range []string{"/cases", casePath(f.caseA), "/patients"} {
			if p := c.get(t, path); p.status != http.StatusSeeOther || p.location() != "/account/password" {
				t.Errorf("GET %s before the change: status %d, Location %q", path, p.status, p.location())
			}
		}
		if p := c.get(t, "/cases", "HX-Request", "true"); p.header.Get("HX-Redirect") != "/account/password" {
			t.Errorf("htmx request before the change: status %d, HX-Redirect %q", p.status, p.header.Get("HX-Redirect"))
		}
		form := c.get(t, "/account/password")
		form.wantStatus(http.StatusOK)
		if form.testid("password-forced").Length() != 1 {
			t.Error("the password page does not say the change is required")
		}
		tok := admFormCSRF(t, form)
		tests := []struct {
			name, current, next, confirm, field, want string
		}{
			{"wrong current", "nope-nope-nope", "brand-new-pass", "brand-new-pass", "current", "not your current password"},
			{"too short", temp, "short", "short", "new", "New password: at least 8 characters"},
			{"too long", temp, strings.Repeat("k3-", 90), strings.Repeat("k3-", 90), "new", "New password: at most 256 characters"},
			{"common", temp, "12345678", "12345678", "new", "New password: it is on the list of common or breached passwords"},
			{"contains the username", temp, "my-REG-A-pass", "my-REG-A-pass", "new", "New password: it must not be or contain the username"},
			{"same as old", temp, temp, temp, "new", "must differ"},
			{"confirmation differs", temp, "brand-new-pass", "brand-new-pasS", "confirm", "differ"},
		}
		for _, tt := range tests {
			p := c.post(t, "/account/password", url.Values{"_csrf": {tok}, "current": {tt.current}, "new": {tt.next}, "confirm": {tt.confirm}})
			p.wantStatus(http.StatusUnprocessableEntity)
			if msg := p.testid("error-" + tt.field).Text(); !strings.Contains(msg, tt.want) {
				t.Errorf("%s: error %q, want %q", tt.name, msg, tt.want)
			}
		}
		p = c.post(t, "/account/password", url.Values{"_csrf": {tok}, "current": {temp}, "new": {"brand-new-pass"}, "confirm": {"brand-new-pass"}})
		p.wantStatus(http.StatusSeeOther)
		c.get(t, "/cases").wantStatus(http.StatusOK)
		if evs := f.auditEvents(t, "password.change", "user", registrarA); len(evs) != 1 {
			t.Errorf("%d password.change events, want 1", len(evs))
		}
		if p := f.newClient().login(t, registrarA, "brand-new-pass"); p.status != http.StatusSeeOther || p.location() != "/cases" {
			t.Errorf("sign in with the new password: status %d, Location %q", p.status, p.location())
		}
	})
}

func TestPasswordsOver72BytesAreTakenNotA500(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		phrase := strings.Repeat("a tall oak by the river ", 8) // 192 bytes: bcrypt refused more than 72
		admin := f.signIn(t, adminUser)
		p := admin.post(t, "/admin/users", url.Values{"_csrf": {admin.csrf(t)}, "username": {"kim"}, "role": {"registrar"},
			"facility": {idString(f.facA)}, "home": {idString(f.facA)}, "password": {phrase}})
		p.wantStatus(http.StatusSeeOther)
		kim := f.newClient()
		kim.login(t, "kim", phrase).wantStatus(http.StatusSeeOther)
		form := kim.get(t, "/account/password")
		longer := phrase + phrase[:60]
		p = kim.post(t, "/account/password", url.Values{"_csrf": {admFormCSRF(t, form)}, "current": {phrase}, "new": {longer}, "confirm": {longer}})
		p.wantStatus(http.StatusSeeOther)
		f.newClient().login(t, "kim", longer).wantStatus(http.StatusSeeOther)
	})
}

func TestAdminClearsTheSignInThrottleOfAUser(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		attacker := f.newClientFrom("127.0.0.2")
		for range 5 {
			attacker.login(t, registrarA, "guess").wantStatus(http.StatusUnauthorized)
		}
		// The user herself, at the attacker's address (a shared one), is slowed too now.
		victim := f.newClientFrom("127.0.0.2")
		victim.login(t, registrarA, testPassword).wantStatus(http.StatusTooManyRequests)

		admin := f.signIn(t, adminUser)
		page := admin.get(t, f.admUserPath(registrarA))
		page.wantStatus(http.StatusOK)
		if n := page.testid("throttle-row").Length(); n != 2 {
			t.Errorf("%d throttle rows on the user page, want 2 (every address, 127.0.0.2)\n%s", n, excerpt(page.body))
		}
		if !strings.Contains(page.testid("throttles").Text(), "127.0.0.2") {
			t.Errorf("the throttle table does not name the address: %q", page.testid("throttles").Text())
		}
		form := page.doc.Find(`form:has([data-testid="clear-throttle"])`)
		action, _ := form.Attr("action")
		if action != f.admUserPath(registrarA)+"/clear-throttle" {
			t.Fatalf("clear-throttle form posts to %q", action)
		}
		p := admin.post(t, action, formValues(form))
		p.wantStatus(http.StatusSeeOther)
		after := admin.get(t, p.location())
		if !strings.Contains(after.testid("notice").Text(), "Sign-in throttle cleared") || after.testid("no-throttle").Length() != 1 {
			t.Errorf("after clearing: notice %q, no-throttle %d", after.testid("notice").Text(), after.testid("no-throttle").Length())
		}
		evs := f.auditEvents(t, "login.throttle_clear", "user", registrarA)
		if len(evs) != 1 || evs[0].UserID == nil || *evs[0].UserID != f.users[adminUser].ID || !strings.Contains(evs[0].Details, `"rows":2`) {
			t.Errorf("login.throttle_clear events %+v, want one by the administrator with 2 rows", evs)
		}
		victim.login(t, registrarA, testPassword).wantStatus(http.StatusSeeOther)

		// Only administrators may.
		reg := f.signIn(t, registrarB)
		reg.post(t, f.admUserPath(registrarA)+"/clear-throttle", url.Values{"_csrf": {reg.csrf(t)}}).wantStatus(http.StatusForbidden)
	})
}
