package web_test

import (
	"net/http"
	"regexp"
	"testing"

	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

// onePlural finds a count of one with a plural noun ("1 cases") or a hedged plural ("case(s)").
var onePlural = regexp.MustCompile(`\b1 (cases|tumors|patients|items|errors|warnings|failures|edits|records|times|users)\b|\w\(s\)`)

// TestPagesCountInWords: the pages a registrar and a reviewer see with one case, one error or one
// view say "1 case", never "1 cases" or "case(s)".
func TestPagesCountInWords(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.New(t, store.DialectSQLite))
	reg := f.signIn(t, registrarA)
	reg.openCase(t, f.caseA, "diagnosis") // one view, for the history's count
	pages := map[string][]string{
		registrarA: {"/cases", "/edits", "/edits?status=approved", "/submissions", casePath(f.caseA), casePath(f.caseA) + "/history", casePath(f.caseA) + "/items"},
		reviewerA:  {"/review", "/productivity", "/reabstraction"},
	}
	for user, paths := range pages {
		c := reg
		if user != registrarA {
			c = f.signIn(t, user)
		}
		for _, path := range paths {
			p := c.get(t, path)
			p.wantStatus(http.StatusOK)
			if m := onePlural.FindAllString(p.doc.Text(), -1); len(m) > 0 {
				t.Errorf("%s %s says %q", user, path, m)
			}
		}
	}
}

// The header names the signed-in user's role in words, not by its code.
func TestHeaderNamesTheRoleInWords(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.New(t, store.DialectSQLite))
	for user, want := range map[string]string{registrarA: "Registrar", reviewerA: "Reviewer", adminUser: "Administrator"} {
		p := f.signIn(t, user).get(t, "/account/password")
		p.wantStatus(http.StatusOK)
		if got := p.testid("user-role").Text(); got != want {
			t.Errorf("%s: header role %q, want %q", user, got, want)
		}
	}
}
