package casework_test

import (
	"context"
	"errors"
	"github.com/cara-registry/cara/internal/staging"
	"slices"
	"sort"
	"sync"
	"testing"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/internal/casework"
	"github.com/cara-registry/cara/internal/codes"
	"github.com/cara-registry/cara/internal/edits"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
	"github.com/cara-registry/cara/schemas"
)

type catalog struct {
	form    *abstract.Form
	edits   *edits.Set
	staging *staging.DataSet
}

var loadCatalog = sync.OnceValues(func() (*catalog, error) {
	dict, err := naaccr.LoadBaseDictionary(schemas.FS, naaccr.CurrentVersion)
	if err != nil {
		return nil, err
	}
	tables, err := codes.Load(schemas.FS)
	if err != nil {
		return nil, err
	}
	form, err := abstract.LoadForm(schemas.FS, "abstract", dict, tables)
	if err != nil {
		return nil, err
	}
	stg, err := staging.Load(schemas.FS)
	if err != nil {
		return nil, err
	}
	set, err := edits.Load(schemas.FS, dict, tables, stg)
	if err != nil {
		return nil, err
	}
	return &catalog{form: form, edits: set, staging: stg}, nil
})

// countingChecks counts the field checks of each value.
type countingChecks struct {
	*edits.Set
	mu    sync.Mutex
	calls map[[2]string]int // item, value → checks
}

func (c *countingChecks) CheckItem(id, value string) *edits.Result {
	c.mu.Lock()
	c.calls[[2]string{id, value}]++
	c.mu.Unlock()
	return c.Set.CheckItem(id, value)
}

// fixture is a store with a facility, a registrar, and one patient with two tumors (the second
// is the case), and the service over it. The patient fails a field check (race), each tumor an
// edit of its own (laterality of a paired site) and both a patient-level one (the same sequence
// number).
type fixture struct {
	store   *store.Store
	cat     *catalog
	checks  *countingChecks
	service *casework.Service
	actor   casework.Actor
	tumorID uint
}

func newFixture(t *testing.T, s *store.Store) *fixture {
	t.Helper()
	ctx := context.Background()
	cat, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	fac := &store.Facility{Code: "0000001001", Name: "Alder General"}
	if err := s.CreateFacility(ctx, fac); err != nil {
		t.Fatal(err)
	}
	u := &store.User{Username: "reg", PasswordHash: "x", Role: string(auth.RoleRegistrar), FacilityID: &fac.ID}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	p := naaccr.Patient{
		Items: map[string]string{"patientIdNumber": "00000001", "nameLast": "Smith", "nameFirst": "Anna", "dateOfBirth": "19580704",
			"sexAssignedAtBirth": "2", "vitalStatus": "1", "race1": "ZZ"},
		Tumors: []naaccr.Tumor{
			{Items: map[string]string{"sequenceNumberHospital": "01", "dateOfDiagnosis": "20200101", "primarySite": "C509",
				"histologicTypeIcdO3": "8500", "behaviorCodeIcdO3": "3", "laterality": "0"}},
			{Items: map[string]string{"sequenceNumberHospital": "01", "dateOfDiagnosis": "20250314", "primarySite": "C341",
				"histologicTypeIcdO3": "8140", "behaviorCodeIcdO3": "3", "laterality": "0"}},
		},
	}
	if _, err := s.CreatePatient(ctx, fac.ID, p, string(abstract.StatusDraft)); err != nil {
		t.Fatal(err)
	}
	rows, err := s.Worklist(ctx, store.WorklistFilter{Scope: store.FacilityScope(fac.ID), Search: "Smith"})
	if err != nil {
		t.Fatal(err)
	}
	var id uint
	for _, r := range rows {
		id = max(id, r.TumorID)
	}
	ch := &countingChecks{Set: cat.edits, calls: map[[2]string]int{}}
	return &fixture{
		store: s, cat: cat, checks: ch, service: casework.New(s, cat.form, ch, cat.staging), tumorID: id,
		actor: casework.Actor{UserID: u.ID, Role: auth.RoleRegistrar, Scope: store.FacilityScope(fac.ID), RemoteAddr: "192.0.2.1"},
	}
}

// entered is what a browser posts for a section: every field as stored, with changes.
func (f *fixture) entered(t *testing.T, sec *abstract.Section, changes map[string]string) map[string]string {
	t.Helper()
	cs, err := f.store.OpenCase(context.Background(), f.tumorID, store.AllFacilities)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, fl := range sec.Fields {
		out[fl.Def.ID] = casework.ValueOf(cs, fl.Def)
	}
	for k, v := range changes {
		out[k] = v
	}
	return out
}

func (f *fixture) section(t *testing.T, id string) *abstract.Section {
	t.Helper()
	sec, ok := f.cat.form.Section(id)
	if !ok {
		t.Fatalf("no section %s", id)
	}
	return sec
}

func TestSaveSectionChecksEachEnteredValueOnce(t *testing.T) {
	for _, tc := range []struct {
		name    string
		changes map[string]string
		refused bool
	}{
		{"saved", map[string]string{"primarySite": "c342 "}, false},
		{"refused for a wrong value", map[string]string{"primarySite": "C342", "laterality": "7"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, s *store.Store) {
				f := newFixture(t, s)
				sec := f.section(t, "diagnosis")
				entered := f.entered(t, sec, tc.changes)
				cs, err := s.OpenCase(context.Background(), f.tumorID, store.AllFacilities)
				if err != nil {
					t.Fatal(err)
				}
				out, err := f.service.SaveSection(context.Background(), f.actor, casework.SectionSave{
					TumorID: f.tumorID, Section: sec, Entered: entered, PatientVersion: cs.Patient.Version, TumorVersion: cs.Tumor.Version,
				})
				if err != nil {
					t.Fatal(err)
				}
				if got := len(out.Errors) > 0; got != tc.refused {
					t.Fatalf("refused %v (%v), want %v", got, out.Errors, tc.refused)
				}
				for k, n := range f.checks.calls {
					if n > 1 {
						t.Errorf("%s %q checked %d times in one save, want once", k[0], k[1], n)
					}
				}
				for _, fl := range sec.Fields {
					if fl.Derived {
						continue
					}
					v := abstract.Normalize(fl, entered[fl.Def.ID])
					if f.checks.calls[[2]string{fl.Def.ID, v}] != 1 {
						t.Errorf("entered %s %q checked %d times, want once", fl.Def.ID, v, f.checks.calls[[2]string{fl.Def.ID, v}])
					}
				}
				if !tc.refused {
					if out.Case.Tumor.PrimarySite != "C342" || out.Case.Tumor.Version != cs.Tumor.Version+1 {
						t.Errorf("saved case %+v, want C342 (normalized) at version %d", out.Case.Tumor, cs.Tumor.Version+1)
					}
					stored, err := s.LoadCase(context.Background(), f.tumorID, store.AllFacilities)
					if err != nil {
						t.Fatal(err)
					}
					nErr, nWarn := casework.Count(out.Edits)
					if stored.Tumor.EditErrors != nErr || stored.Tumor.EditWarnings != nWarn || stored.Tumor.Items["primarySite"] != "C342" {
						t.Errorf("stored %+v with counts %d/%d, want C342 with %d/%d", stored.Tumor.Items, stored.Tumor.EditErrors, stored.Tumor.EditWarnings, nErr, nWarn)
					}
				}
			})
		})
	}
}

// The service runs the field checks itself and only this tumor's edits: what it finds must be
// what the whole edit set finds on the patient, about this tumor and the patient.
func TestEditsAreTheEditSetsResultsForTheTumorAndItsPatient(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		cs, err := s.OpenCase(context.Background(), f.tumorID, store.AllFacilities)
		if err != nil {
			t.Fatal(err)
		}
		got, err := f.service.Edits(cs)
		if err != nil {
			t.Fatal(err)
		}
		p := naaccr.Patient{Items: cs.Patient.Items}
		self := -1
		for i, tu := range cs.Tumors {
			if tu.ID == cs.Tumor.ID {
				self = i
			}
			p.Tumors = append(p.Tumors, naaccr.Tumor{Items: tu.Items})
		}
		all, err := f.cat.edits.NewRunner().Patient(&p, nil)
		if err != nil {
			t.Fatal(err)
		}
		var want []edits.Result
		for _, r := range all {
			if r.Tumor == self || r.Tumor == -1 {
				want = append(want, r)
			}
		}
		sort.SliceStable(want, func(i, j int) bool {
			return want[i].Severity == edits.SeverityError && want[j].Severity != edits.SeverityError
		})
		if len(want) == 0 {
			t.Fatal("the fixture fails no edit; the comparison would prove nothing")
		}
		key := func(rs []edits.Result) []string {
			var out []string
			for _, r := range rs {
				out = append(out, r.EditID+"|"+r.Message+"|"+string(r.Severity))
			}
			return out
		}
		if !slices.Equal(key(got), key(want)) {
			t.Errorf("service edits\n%v\nwant the edit set's\n%v", key(got), key(want))
		}
	})
}

func TestSaveSectionRefusesReviewersAndLockedCasesAndStaleForms(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newFixture(t, s)
		sec := f.section(t, "diagnosis")
		cs, err := s.OpenCase(ctx, f.tumorID, store.AllFacilities)
		if err != nil {
			t.Fatal(err)
		}
		in := casework.SectionSave{TumorID: f.tumorID, Section: sec, Entered: f.entered(t, sec, map[string]string{"primarySite": "C342"}),
			PatientVersion: cs.Patient.Version, TumorVersion: cs.Tumor.Version}
		reviewer := f.actor
		reviewer.Role = auth.RoleReviewer
		if _, err := f.service.SaveSection(ctx, reviewer, in); !errors.Is(err, casework.ErrReviewerEdits) {
			t.Errorf("reviewer: err %v, want ErrReviewerEdits", err)
		}
		noVersion := in
		noVersion.TumorVersion = 0
		if _, err := f.service.SaveSection(ctx, f.actor, noVersion); !errors.Is(err, casework.ErrNoVersion) {
			t.Errorf("no version: err %v, want ErrNoVersion", err)
		}
		other := f.actor
		other.Scope = store.FacilityScope(f.actor.Scope.Facilities()[0] + 100)
		if _, err := f.service.SaveSection(ctx, other, in); !errors.Is(err, casework.ErrNotFound) {
			t.Errorf("out of scope: err %v, want ErrNotFound", err)
		}
		if _, err := f.service.SaveSection(ctx, f.actor, in); err != nil {
			t.Fatal(err)
		}
		stale := in
		stale.Entered = f.entered(t, sec, map[string]string{"primarySite": "C343"})
		out, err := f.service.SaveSection(ctx, f.actor, stale)
		if !errors.Is(err, casework.ErrConflict) {
			t.Fatalf("stale form: err %v, want ErrConflict", err)
		}
		if len(out.Conflicts) != 1 || out.Conflicts[0].Field.Def.ID != "primarySite" || out.Conflicts[0].Theirs != "C342" || out.Conflicts[0].Yours != "C343" {
			t.Errorf("conflicts %+v, want primarySite theirs C342, yours C343", out.Conflicts)
		}
		if out.Case.Tumor.Version != cs.Tumor.Version+1 {
			t.Errorf("conflict shows version %d, want the current %d", out.Case.Tumor.Version, cs.Tumor.Version+1)
		}
	})
}
