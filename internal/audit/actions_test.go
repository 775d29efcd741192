package audit_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cara-registry/cara/internal/audit"
)

// TestActionsListsEveryAction reads the action constants from actions.go and the files of a
// concern's actions beside it (actions_*.go) and requires each in audit.Actions, once: the
// audit log's filter and the completeness test walk that list.
func TestActionsListsEveryAction(t *testing.T) {
	files, err := filepath.Glob("actions*.go")
	if err != nil {
		t.Fatal(err)
	}
	var consts []string
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		consts = append(consts, actionConsts(f)...)
	}
	if len(consts) < 20 {
		t.Fatalf("found %d action constants in actions*.go; the parse went wrong", len(consts))
	}
	for _, c := range consts {
		if n := countOf(audit.Actions, c); n != 1 {
			t.Errorf("action %q is in audit.Actions %d times, want once", c, n)
		}
	}
	if len(audit.Actions) != len(consts) {
		t.Errorf("audit.Actions has %d actions, actions*.go declare %d", len(audit.Actions), len(consts))
	}
}

// actionConsts are the string constants a file declares.
func actionConsts(f *ast.File) []string {
	var consts []string
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, spec := range g.Specs {
			for _, v := range spec.(*ast.ValueSpec).Values {
				if lit, ok := v.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					s, _ := strconv.Unquote(lit.Value)
					consts = append(consts, s)
				}
			}
		}
	}
	return consts
}

func countOf(list []string, v string) int {
	n := 0
	for i := slices.Index(list, v); i >= 0; i = slices.Index(list, v) {
		n++
		list = list[i+1:]
	}
	return n
}

// TestEveryActionHasALabel: each action the trail records reads as words on the history and the
// audit log, not as its stored id, and no two read alike.
func TestEveryActionHasALabel(t *testing.T) {
	seen := map[string]string{}
	for _, a := range audit.Actions {
		l := audit.Label(a)
		if l == "" || l == a || strings.ContainsAny(l, "._") {
			t.Errorf("action %s reads %q", a, l)
		}
		if other, dup := seen[l]; dup {
			t.Errorf("actions %s and %s both read %q", other, a, l)
		}
		seen[l] = a
	}
	if got := audit.Label("legacy.thing"); got != "legacy.thing" {
		t.Errorf("an unknown action reads %q, want itself", got)
	}
}

func TestDetailKeysTheHistoryShowsHaveLabels(t *testing.T) {
	for _, k := range []string{"action", "from", "to", "reason", "edit_errors", "edit_warnings", "comment", "item", "note", "body"} {
		if l := audit.DetailLabel(k); l == k || strings.Contains(l, "_") {
			t.Errorf("detail %s reads %q", k, l)
		}
	}
}
