package quality_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/quality"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

// reabstractionFixture: facility A with five approved cases (four sent by reg1, one by reg2), a
// draft, and facility B with an approved case. Sites: reg1 C341, C342, C500, C619; reg2 C509.
type reabstractionFixture struct {
	a, b           *store.Facility
	reg1, reg2, rv *store.User
	approved       []uint // of A, in creation order
	draft, otherB  uint
}

func newReabstractionFixture(t *testing.T, s *store.Store) *reabstractionFixture {
	t.Helper()
	f := &reabstractionFixture{a: addFacility(t, s, "A"), b: addFacility(t, s, "B")}
	f.reg1 = addUser(t, s, "reg1", "registrar", f.a.ID)
	f.reg2 = addUser(t, s, "reg2", "registrar", f.a.ID)
	f.rv = addUser(t, s, "rev", "reviewer", f.a.ID)
	approve := func(fac uint, name, site string, reg uint) uint {
		_, ids := addPatient(t, s, fac, map[string]string{"nameLast": name, "sexAssignedAtBirth": "2"}, "draft",
			map[string]string{"primarySite": site, "laterality": "1", "dateOfDiagnosis": "20250301", "medicalRecordNumber": "MR" + name})
		step(t, s, ids[0], "send", "draft", "in_review", reg, "")
		step(t, s, ids[0], "approve", "in_review", "approved", f.rv.ID, "")
		return ids[0]
	}
	for _, c := range []struct {
		name, site string
		reg        uint
	}{{"Ames", "C341", f.reg1.ID}, {"Baker", "C342", f.reg1.ID}, {"Cole", "C500", f.reg1.ID}, {"Dunn", "C619", f.reg1.ID}, {"Ellis", "C509", f.reg2.ID}} {
		f.approved = append(f.approved, approve(f.a.ID, c.name, c.site, c.reg))
	}
	_, ids := addPatient(t, s, f.a.ID, map[string]string{"nameLast": "Fox"}, "draft", map[string]string{"primarySite": "C341"})
	f.draft = ids[0]
	regB := addUser(t, s, "regB", "registrar", f.b.ID)
	f.otherB = approve(f.b.ID, "Gray", "C341", regB.ID)
	return f
}

// sampleCases returns the tumor ids of a sample's cases, sorted.
func sampleCases(t *testing.T, s *store.Store, id uint, sc store.Scope) []uint {
	t.Helper()
	d, err := quality.New(s).SampleDetail(context.Background(), id, sc)
	if err != nil {
		t.Fatal(err)
	}
	var out []uint
	for _, c := range d.Cases {
		out = append(out, c.Case.TumorID)
	}
	slices.Sort(out)
	return out
}

func TestReabstractionDrawByCountPercentRegistrarAndSite(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newReabstractionFixture(t, s)
		scA := store.FacilityScope(f.a.ID)
		draw := func(d quality.SampleDraw) (*store.ReabstractionSample, error) {
			d.FacilityID, d.CreatedBy, d.Items = f.a.ID, f.rv.ID, []string{"primarySite", "laterality"}
			if d.Scope.Facilities() == nil && !d.Scope.All() {
				d.Scope = scA
			}
			d.Rand = rand.New(rand.NewPCG(7, 7))
			return quality.New(s).DrawSample(ctx, d)
		}
		mustDraw := func(d quality.SampleDraw) []uint {
			t.Helper()
			sm, err := draw(d)
			if err != nil {
				t.Fatal(err)
			}
			return sampleCases(t, s, sm.ID, scA)
		}

		byCount := mustDraw(quality.SampleDraw{Count: 3})
		if len(byCount) != 3 {
			t.Fatalf("count 3 drew %v", byCount)
		}
		for _, id := range byCount {
			if !slices.Contains(f.approved, id) {
				t.Errorf("drew case %d, which is not an approved case of A", id)
			}
		}
		if again := mustDraw(quality.SampleDraw{Count: 3}); !slices.Equal(again, byCount) {
			t.Errorf("the same seed drew %v, then %v", byCount, again)
		}
		// 50% of 5 is 2.5: rounded up to 3. Over 100% of the cases is all of them.
		if got := mustDraw(quality.SampleDraw{Percent: 50}); len(got) != 3 {
			t.Errorf("50%% of 5 drew %d cases", len(got))
		}
		if got := mustDraw(quality.SampleDraw{Count: 50}); !slices.Equal(got, f.approved) {
			t.Errorf("count 50 drew %v, want every approved case %v", got, f.approved)
		}
		if got := mustDraw(quality.SampleDraw{Count: 5, AbstractorID: &f.reg2.ID}); !slices.Equal(got, []uint{f.approved[4]}) {
			t.Errorf("reg2's cases: %v, want %v", got, f.approved[4:])
		}
		breast := []store.SiteRange{{From: "C500", To: "C509"}}
		if got := mustDraw(quality.SampleDraw{Count: 5, Sites: breast}); !slices.Equal(got, []uint{f.approved[2], f.approved[4]}) {
			t.Errorf("breast cases: %v", got)
		}
		if got := mustDraw(quality.SampleDraw{Count: 5, Sites: breast, AbstractorID: &f.reg1.ID}); !slices.Equal(got, []uint{f.approved[2]}) {
			t.Errorf("reg1's breast cases: %v", got)
		}
		// The abstractor is recorded on each case.
		sm, err := draw(quality.SampleDraw{Count: 5, AbstractorID: &f.reg2.ID})
		if err != nil {
			t.Fatal(err)
		}
		d, err := quality.New(s).SampleDetail(ctx, sm.ID, scA)
		if err != nil {
			t.Fatal(err)
		}
		if c := d.Cases[0]; c.Case.AbstractorID == nil || *c.Case.AbstractorID != f.reg2.ID || c.Abstractor != "User reg2" || c.NameLast != "Ellis" || c.MRN != "MREllis" {
			t.Errorf("case of reg2's sample: %+v", c)
		}

		if _, err := draw(quality.SampleDraw{Count: 5, Sites: []store.SiteRange{{From: "C700", To: "C729"}}}); !errors.Is(err, quality.ErrEmptySample) {
			t.Errorf("draw with no matching case: %v, want ErrEmptySample", err)
		}
		if _, err := draw(quality.SampleDraw{Count: 2, Percent: 10}); err == nil {
			t.Error("a draw with both a count and a percentage was accepted")
		}
		if _, err := draw(quality.SampleDraw{Count: 2, Scope: store.FacilityScope(f.b.ID)}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("draw in facility A with B's scope: %v, want ErrNotFound", err)
		}
		var n int
		if err := s.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM audit_events WHERE action = ?", audit.ReabstractionSample).Scan(&n); err != nil || n != 8 {
			t.Errorf("audited samples = %d (%v), want the 8 drawn", n, err)
		}
	})
}

func TestReabstractionSaveComparesValuesAndRatesCountReasons(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newReabstractionFixture(t, s)
		scA := store.FacilityScope(f.a.ID)
		items := []string{"primarySite", "laterality", "sexAssignedAtBirth"}
		sm, err := quality.New(s).DrawSample(ctx, quality.SampleDraw{FacilityID: f.a.ID, Scope: scA, Count: 5,
			AbstractorID: &f.reg1.ID, Items: items, CreatedBy: f.rv.ID, Rand: rand.New(rand.NewPCG(1, 2))})
		if err != nil {
			t.Fatal(err)
		}
		d, err := quality.New(s).SampleDetail(ctx, sm.ID, scA)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Cases) != 4 || d.Summary.Completed != 0 {
			t.Fatalf("sample: %d cases, %d completed", len(d.Cases), d.Summary.Completed)
		}
		first, second := d.Cases[0], d.Cases[1] // Ames C341, Baker C342

		// Blind: before completion the case has no items, so no original value to show.
		cd, err := s.ReabstractionCase(ctx, sm.ID, first.Case.ID, scA)
		if err != nil || len(cd.Case.Items) != 0 || cd.Case.NameLast != "Ames" {
			t.Fatalf("open blind case: %+v, %v", cd, err)
		}
		// Laterality differs; the patient-level sex is compared too; spaces are trimmed.
		got, err := quality.New(s).SaveBlind(ctx, quality.ReabstractionSave{SampleID: sm.ID, CaseID: first.Case.ID, Scope: scA,
			ReviewerID: f.rv.ID, Values: map[string]string{"primarySite": " C341 ", "laterality": "2", "sexAssignedAtBirth": "2"}})
		if err != nil {
			t.Fatal(err)
		}
		want := []store.ReabstractionItem{
			{NaaccrID: "primarySite", Original: "C341", Reviewed: "C341", Agree: true},
			{NaaccrID: "laterality", Original: "1", Reviewed: "2", Agree: false},
			{NaaccrID: "sexAssignedAtBirth", Original: "2", Reviewed: "2", Agree: true},
		}
		for i, w := range want {
			g := got[i]
			if g.NaaccrID != w.NaaccrID || g.Original != w.Original || g.Reviewed != w.Reviewed || g.Agree != w.Agree {
				t.Errorf("item %d = %+v, want %+v", i, g, w)
			}
		}
		if _, err := quality.New(s).SaveBlind(ctx, quality.ReabstractionSave{SampleID: sm.ID, CaseID: first.Case.ID, Scope: scA,
			ReviewerID: f.rv.ID, Values: map[string]string{"laterality": "1"}}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("second save of a completed case: %v, want ErrConflict", err)
		}
		// The second case: everything blank but the site.
		if _, err := quality.New(s).SaveBlind(ctx, quality.ReabstractionSave{SampleID: sm.ID, CaseID: second.Case.ID, Scope: scA,
			ReviewerID: f.rv.ID, Values: map[string]string{"primarySite": "C342"}}); err != nil {
			t.Fatal(err)
		}

		rates := func() *quality.SampleDetail {
			t.Helper()
			d, err := quality.New(s).SampleDetail(ctx, sm.ID, scA)
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		d = rates()
		// 6 compared: agree site ×2, sex ×1 → 3 of 6.
		if a := d.Summary.Agreement; d.Summary.Completed != 2 || a.Compared != 6 || a.Agreeing != 3 || a.Rate() != 50 {
			t.Errorf("after two cases: completed %d, agreement %+v", d.Summary.Completed, a)
		}
		if a := d.ByItem["laterality"]; a.Compared != 2 || a.Agreeing != 0 {
			t.Errorf("laterality: %+v", a)
		}
		if a := d.ByAbstractor["User reg1"]; a.Compared != 6 || a.Agreeing != 3 {
			t.Errorf("reg1: %+v", a)
		}

		// A reason of "no discrepancy" counts as agreement; others do not; unknown codes are refused.
		if err := quality.New(s).SaveReasons(ctx, store.ReasonsSave{SampleID: sm.ID, CaseID: first.Case.ID, Scope: scA,
			UserID: f.rv.ID, Reasons: map[string]string{"laterality": quality.ReasonNoDiscrepancy, "primarySite": quality.ReasonAbstractor}}); err != nil {
			t.Fatal(err)
		}
		d = rates()
		if a := d.ByItem["laterality"]; a.Agreeing != 1 {
			t.Errorf("laterality after no-discrepancy reason: %+v", a)
		}
		if it := d.Cases[0].Items[0]; it.Reason != "" {
			t.Errorf("an agreeing item took a reason: %+v", it)
		}
		if a := d.Summary.Agreement; a.Agreeing != 4 {
			t.Errorf("agreement after the reason: %+v", a)
		}
		if err := quality.New(s).SaveReasons(ctx, store.ReasonsSave{SampleID: sm.ID, CaseID: first.Case.ID, Scope: scA,
			UserID: f.rv.ID, Reasons: map[string]string{"laterality": "typo"}}); err == nil {
			t.Error("an unknown reason code was accepted")
		}
		// Reasons only on completed cases.
		third := d.Cases[2]
		if err := quality.New(s).SaveReasons(ctx, store.ReasonsSave{SampleID: sm.ID, CaseID: third.Case.ID, Scope: scA,
			UserID: f.rv.ID, Reasons: map[string]string{"laterality": quality.ReasonCodingRule}}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("reasons on an open case: %v, want ErrNotFound", err)
		}

		// Scope: B sees no sample of A and cannot save into one.
		scB := store.FacilityScope(f.b.ID)
		if list, err := quality.New(s).Samples(ctx, scB); err != nil || len(list) != 0 {
			t.Errorf("B's list: %v, %v", list, err)
		}
		if _, err := quality.New(s).SampleDetail(ctx, sm.ID, scB); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("B opens A's sample: %v", err)
		}
		if _, err := s.ReabstractionCase(ctx, sm.ID, third.Case.ID, scB); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("B opens A's case: %v", err)
		}
		if _, err := quality.New(s).SaveBlind(ctx, quality.ReabstractionSave{SampleID: sm.ID, CaseID: third.Case.ID, Scope: scB,
			ReviewerID: f.rv.ID}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("B saves into A's case: %v", err)
		}
		list, err := quality.New(s).Samples(ctx, scA)
		if err != nil || len(list) != 1 {
			t.Fatalf("A's list: %v, %v", list, err)
		}
		if l := list[0]; l.Cases != 4 || l.Completed != 2 || l.Agreement.Agreeing != 4 || l.Agreement.Compared != 6 ||
			l.FacilityName != "Facility A" || l.CreatedBy != "User rev" {
			t.Errorf("A's list row: %+v", l)
		}
		if n, err := s.CountAudit(ctx, audit.ReabstractionSave, "reabstraction_case", idOf(first.Case.ID), storetest.Clock.AddDate(0, 0, -1)); err != nil || n != 2 {
			t.Errorf("audited saves of the first case = %d (%v), want 2 (values, reasons)", n, err)
		}
	})
}
