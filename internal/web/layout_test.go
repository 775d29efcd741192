package web_test

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// caseOperationFiles are the handlers of the operations the case service owns: they parse the
// request, call internal/casework and render, and so never reach the store themselves.
var caseOperationFiles = []string{
	"case_actor.go", "case_comments.go", "case_edits.go", "case_save.go", "case_show.go",
	"case_sitehist.go", "case_status.go",
}

// imports lists the imports of the non-test Go files of a folder (or of the files named).
func imports(t *testing.T, dir string, files ...string) map[string][]string {
	t.Helper()
	if len(files) == 0 {
		all, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range all {
			if !strings.HasSuffix(f, "_test.go") {
				files = append(files, filepath.Base(f))
			}
		}
	}
	out := map[string][]string{}
	fset := token.NewFileSet()
	for _, name := range files {
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, im := range f.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			out[name] = append(out[name], p)
		}
	}
	return out
}

const module = "github.com/cara-registry/cara/"

func TestCaseHandlersReachTheStoreOnlyThroughTheCaseService(t *testing.T) {
	for file, ims := range imports(t, ".", caseOperationFiles...) {
		for _, p := range ims {
			if p == module+"internal/store" {
				t.Errorf("%s imports internal/store: a case operation goes through internal/casework", file)
			}
		}
	}
}

// Imports run one way: web → casework → store, abstract, edits; nothing below imports back.
func TestCaseServiceImportsRunOneWay(t *testing.T) {
	for file, ims := range imports(t, "../casework") {
		for _, p := range ims {
			if strings.HasPrefix(p, module+"internal/web") || strings.HasPrefix(p, module+"views") || strings.Contains(p, "labstack/echo") {
				t.Errorf("casework/%s imports %s: the case service knows nothing of HTTP", file, p)
			}
		}
	}
	for _, dir := range []string{"store", "abstract", "edits", "naaccr", "codes", "audit", "auth"} {
		for file, ims := range imports(t, "../"+dir) {
			for _, p := range ims {
				if p == module+"internal/casework" || strings.HasPrefix(p, module+"internal/web") {
					t.Errorf("%s/%s imports %s: imports run web → casework → %s, never back", dir, file, p, dir)
				}
			}
		}
	}
}

// The quality rules (productivity, re-abstraction) sit between the web and the store, as the case
// service does: quality knows nothing of HTTP, and the store nothing of quality.
func TestQualityImportsRunOneWay(t *testing.T) {
	for file, ims := range imports(t, "../quality") {
		for _, p := range ims {
			if strings.HasPrefix(p, module+"internal/web") || strings.HasPrefix(p, module+"views") || strings.Contains(p, "labstack/echo") {
				t.Errorf("quality/%s imports %s: the quality rules know nothing of HTTP", file, p)
			}
		}
	}
	for file, ims := range imports(t, "../store") {
		for _, p := range ims {
			if p == module+"internal/quality" {
				t.Errorf("store/%s imports %s: imports run web → quality → store, never back", file, p)
			}
		}
	}
}
