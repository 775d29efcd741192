package edits_test

import (
	"strings"
	"testing"

	"github.com/cara-registry/cara/internal/edits"
)

// TestEveryEditHasAName: the shipped edits and the field-level checks read as names on the intake
// report and the edit panel, not as ids such as field.naaccr_type.
func TestEveryEditHasAName(t *testing.T) {
	set := loadSet(t)
	for _, id := range edits.FieldCheckIDs {
		if n := set.Name(id); n == id || n == "" || strings.ContainsAny(n, "._") {
			t.Errorf("field check %s reads %q", id, n)
		}
	}
	for _, e := range set.Edits {
		if n := set.Name(e.ID); n == e.ID || n == "" {
			t.Errorf("edit %s reads %q", e.ID, n)
		}
	}
	if got := set.Name("OLD-EDIT"); got != "OLD-EDIT" {
		t.Errorf("an edit the set does not hold reads %q, want its id", got)
	}
}
