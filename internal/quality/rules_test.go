package quality

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/cara-registry/cara/internal/store"
)

// The rules run on rows alone, without a database.

func TestCompareTrimsSpacesAndKeepsTheSamplesOrder(t *testing.T) {
	got := Compare([]string{"primarySite", "laterality", "grade"},
		map[string]string{"primarySite": "C341", "laterality": " 1", "grade": "9"},
		map[string]string{"primarySite": " C341 ", "laterality": "2"})
	want := []store.ReabstractionItem{
		{NaaccrID: "primarySite", Original: "C341", Reviewed: "C341", Agree: true},
		{NaaccrID: "laterality", Original: "1", Reviewed: "2"},
		{NaaccrID: "grade", Original: "9", Reviewed: ""},
	}
	if !slices.Equal(got, want) {
		t.Errorf("Compare = %+v, want %+v", got, want)
	}
}

func TestAgreementCountsANoDiscrepancyReasonAsAgreeing(t *testing.T) {
	a := agreementOf([]store.ReabstractionItem{{Agree: true}, {Reason: ReasonNoDiscrepancy}, {Reason: ReasonAbstractor}, {}})
	if a.Compared != 4 || a.Agreeing != 2 || a.Rate() != 50 {
		t.Errorf("agreement = %+v (%v%%), want 2 of 4", a, a.Rate())
	}
	if (Agreement{}).Rate() != 0 {
		t.Error("the rate of nothing compared is not 0")
	}
}

func TestPickKeepsTheAbstractorsCasesRoundsUpAndSorts(t *testing.T) {
	reg1, reg2 := uint(1), uint(2)
	var cands []store.SampleCandidate
	for id := uint(10); id < 20; id++ {
		c := store.SampleCandidate{TumorID: id, AbstractorID: &reg1}
		if id%3 == 0 {
			c.AbstractorID = &reg2
		}
		if id == 19 {
			c.AbstractorID = nil // never sent
		}
		cands = append(cands, c)
	}
	got := pick(cands, SampleDraw{Percent: 25, AbstractorID: &reg1, Rand: rand.New(rand.NewPCG(1, 2))})
	if len(got) != 2 { // 25% of reg1's 6 cases is 1.5: 2
		t.Fatalf("picked %d cases, want 2", len(got))
	}
	if !slices.IsSortedFunc(got, func(a, b store.SampleCandidate) int { return int(a.TumorID) - int(b.TumorID) }) {
		t.Errorf("picked %+v, not in id order", got)
	}
	for _, c := range got {
		if c.AbstractorID == nil || *c.AbstractorID != reg1 {
			t.Errorf("picked case %d, not reg1's", c.TumorID)
		}
	}
	if all := pick(cands, SampleDraw{Count: 50, Rand: rand.New(rand.NewPCG(1, 2))}); len(all) != len(cands) {
		t.Errorf("count 50 of 10 picked %d", len(all))
	}
	if none := pick(cands, SampleDraw{Count: 1, AbstractorID: new(uint), Rand: rand.New(rand.NewPCG(1, 2))}); none != nil {
		t.Errorf("no case of user 0, picked %+v", none)
	}
}
