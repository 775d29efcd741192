package casework_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/cara-registry/cara/internal/edits"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

// The case page's edits (Service.Edits, which the inline checks and saves run too) include the
// staging edits: the fixture's lung case with Grade Clinical A, a grade of other schemas only.
func TestCaseEditsIncludeTheStagingEdits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		cs, err := s.OpenCase(context.Background(), f.tumorID, store.AllFacilities)
		if err != nil {
			t.Fatal(err)
		}
		cs.Tumor.Items["gradeClinical"] = "A"
		res, err := f.service.Edits(cs)
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(res, func(r edits.Result) bool { return r.EditID == "StagingInputNotValid" })
		if i < 0 {
			t.Fatalf("edits %+v, want StagingInputNotValid", res)
		}
		if r := res[i]; !slices.Equal(r.Items, []string{"gradeClinical"}) || r.Tumor != 1 || !strings.Contains(r.Message, "schema Lung") {
			t.Errorf("StagingInputNotValid = %+v, want Grade Clinical of tumor 1 against the Lung schema", r)
		}
	})
}
