package quality

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/cara-registry/cara/internal/store"
)

// Blind re-abstraction: a reviewer draws a sample of a facility's approved and submitted cases,
// abstracts the chosen items of each again without seeing the original values, and the two are
// compared. Disagreements get a reason code; the agreement rate counts an item whose reason is
// "no discrepancy" as agreeing.

// Reason codes of a discrepancy.
const (
	ReasonAbstractor    = "abstractor_error"
	ReasonReviewer      = "reviewer_error"
	ReasonCodingRule    = "coding_rule"
	ReasonIncomplete    = "incomplete_record"
	ReasonNoDiscrepancy = "no_discrepancy"
)

// ReabstractionReasons lists the reason codes in the order a page offers them.
var ReabstractionReasons = []string{ReasonAbstractor, ReasonReviewer, ReasonCodingRule, ReasonIncomplete, ReasonNoDiscrepancy}

// ErrEmptySample is a draw that found no case to re-abstract.
var ErrEmptySample = errors.New("no approved or submitted case matches")

// SampleDraw asks for a new sample. Exactly one of Percent and Count is set.
type SampleDraw struct {
	FacilityID uint
	Scope      store.Scope // the facility must be in it
	Percent    float64
	Count      int
	// AbstractorID keeps the cases whose latest send to review was by this user.
	AbstractorID *uint
	// Sites keeps the cases whose primary site is in one of the ranges (a site group).
	Sites       []store.SiteRange
	Items       []string // naaccrIds to re-abstract
	Description string
	CreatedBy   uint
	RemoteAddr  string
	// Rand draws the sample; tests give a seeded one so the draw is known.
	Rand *rand.Rand
}

// DrawSample picks cases at random from the approved and submitted cases of a facility that pass
// the draw's filters (Count of them, or Percent rounded up; at least one, at most all), and has
// the store record the sample with its cases in one transaction.
func (q *Service) DrawSample(ctx context.Context, in SampleDraw) (*store.ReabstractionSample, error) {
	fail := func(err error) (*store.ReabstractionSample, error) {
		return nil, fmt.Errorf("quality: draw re-abstraction sample of facility %d: %w", in.FacilityID, err)
	}
	switch {
	case !in.Scope.Contains(in.FacilityID):
		return fail(store.ErrNotFound)
	case len(in.Items) == 0:
		return fail(errors.New("no items to re-abstract"))
	case (in.Percent > 0) == (in.Count > 0):
		return fail(errors.New("give a percentage or a count of cases, not both"))
	case in.Percent > 100:
		return fail(fmt.Errorf("percentage %g is over 100", in.Percent))
	case in.Rand == nil:
		return fail(errors.New("no random source"))
	}
	cands, err := q.store.ReabstractionCandidates(ctx, in.FacilityID, in.Sites)
	if err != nil {
		return fail(err)
	}
	picked := pick(cands, in)
	if len(picked) == 0 {
		return fail(ErrEmptySample)
	}
	sample, err := q.store.AddReabstractionSample(ctx, store.NewSample{FacilityID: in.FacilityID, Scope: in.Scope,
		Cases: picked, Items: in.Items, Description: in.Description, CreatedBy: in.CreatedBy, RemoteAddr: in.RemoteAddr,
		Percent: in.Percent, Count: in.Count, AbstractorID: in.AbstractorID, Candidates: len(cands)})
	if err != nil {
		return fail(err)
	}
	return sample, nil
}

// pick draws the sample's cases from the candidates (in id order), in tumor id order.
func pick(cands []store.SampleCandidate, in SampleDraw) []store.SampleCandidate {
	kept := make([]store.SampleCandidate, 0, len(cands))
	for _, c := range cands {
		if in.AbstractorID != nil && (c.AbstractorID == nil || *c.AbstractorID != *in.AbstractorID) {
			continue
		}
		kept = append(kept, c)
	}
	if len(kept) == 0 {
		return nil
	}
	n := in.Count
	if in.Percent > 0 {
		n = int(math.Ceil(float64(len(kept)) * in.Percent / 100))
	}
	n = min(max(n, 1), len(kept))
	in.Rand.Shuffle(len(kept), func(i, j int) { kept[i], kept[j] = kept[j], kept[i] })
	kept = kept[:n]
	slices.SortFunc(kept, func(a, b store.SampleCandidate) int { return int(a.TumorID) - int(b.TumorID) })
	return kept
}

// Agreement counts compared items and those that agree (a "no discrepancy" reason included).
type Agreement struct {
	Compared int
	Agreeing int
}

// Rate is the share of agreeing items in percent; 0 when nothing was compared.
func (a Agreement) Rate() float64 {
	if a.Compared == 0 {
		return 0
	}
	return float64(a.Agreeing) * 100 / float64(a.Compared)
}

// Add counts one compared item.
func (a *Agreement) Add(it store.ReabstractionItem) {
	a.Compared++
	if it.Agree || it.Reason == ReasonNoDiscrepancy {
		a.Agreeing++
	}
}

// agreementOf counts items.
func agreementOf(items []store.ReabstractionItem) Agreement {
	var a Agreement
	for _, it := range items {
		a.Add(it)
	}
	return a
}

// SampleSummary is one sample as the list of samples shows it, with its agreement.
type SampleSummary struct {
	store.SampleSummary
	Agreement Agreement
}

// Samples lists the samples of the facilities in scope, newest first, with their progress and
// agreement.
func (q *Service) Samples(ctx context.Context, sc store.Scope) ([]SampleSummary, error) {
	rows, err := q.store.ReabstractionSamples(ctx, sc)
	if err != nil {
		return nil, err
	}
	out := make([]SampleSummary, len(rows))
	for i, r := range rows {
		out[i] = SampleSummary{SampleSummary: r, Agreement: agreementOf(r.Compared)}
	}
	return out, nil
}

// SampleDetail is a sample with its cases, compared items and agreement rates.
type SampleDetail struct {
	Summary SampleSummary
	Cases   []store.SampleCase
	// ByItem and ByAbstractor are the agreement per item and per abstractor (by name; "" for
	// cases no one sent).
	ByItem       map[string]Agreement
	ByAbstractor map[string]Agreement
}

// SampleDetail loads a sample of a facility in scope with its cases and rates their agreement
// overall, per item and per abstractor. Out of scope is store.ErrNotFound.
func (q *Service) SampleDetail(ctx context.Context, id uint, sc store.Scope) (*SampleDetail, error) {
	sd, err := q.store.ReabstractionSampleDetail(ctx, id, sc)
	if err != nil {
		return nil, err
	}
	d := &SampleDetail{Summary: SampleSummary{SampleSummary: sd.Summary, Agreement: agreementOf(sd.Summary.Compared)},
		Cases: sd.Cases, ByItem: map[string]Agreement{}, ByAbstractor: map[string]Agreement{}}
	for _, c := range sd.Cases {
		for _, it := range c.Items {
			a := d.ByItem[it.NaaccrID]
			a.Add(it)
			d.ByItem[it.NaaccrID] = a
			b := d.ByAbstractor[c.Abstractor]
			b.Add(it)
			d.ByAbstractor[c.Abstractor] = b
		}
	}
	return d, nil
}

// Compare compares a reviewer's blind values with the originals, item by item in the sample's
// order: the two agree when they are the same after trimming spaces.
func Compare(items []string, originals, reviewed map[string]string) []store.ReabstractionItem {
	out := make([]store.ReabstractionItem, 0, len(items))
	for _, id := range items {
		it := store.ReabstractionItem{NaaccrID: id, Original: strings.TrimSpace(originals[id]),
			Reviewed: strings.TrimSpace(reviewed[id])}
		it.Agree = it.Original == it.Reviewed
		out = append(out, it)
	}
	return out
}

// ReabstractionSave is a reviewer's blind values for one case.
type ReabstractionSave struct {
	SampleID, CaseID uint
	Scope            store.Scope
	ReviewerID       uint
	Values           map[string]string // naaccrId → value; the sample's items only
	RemoteAddr       string
}

// SaveBlind compares the reviewer's values with the case as it stands (Compare) and has the
// store keep original, reviewed and agreement per item and mark the case completed, in one
// transaction. A case already completed is store.ErrConflict: a blind value cannot be entered
// again once the originals have been shown.
func (q *Service) SaveBlind(ctx context.Context, in ReabstractionSave) ([]store.ReabstractionItem, error) {
	return q.store.SaveReabstraction(ctx, store.ReabstractionSave{SampleID: in.SampleID, CaseID: in.CaseID,
		Scope: in.Scope, ReviewerID: in.ReviewerID, RemoteAddr: in.RemoteAddr,
		Compare: func(items []string, originals map[string]string) []store.ReabstractionItem {
			return Compare(items, originals, in.Values)
		}})
}

// SaveReasons stores the reasons for a completed case's discrepancies (naaccrId → reason code;
// "" clears one), audited. An unknown code is refused before anything is written.
func (q *Service) SaveReasons(ctx context.Context, in store.ReasonsSave) error {
	for id, r := range in.Reasons {
		if r != "" && !slices.Contains(ReabstractionReasons, r) {
			return fmt.Errorf("quality: reason for %s: %q is not a reason code", id, r)
		}
	}
	return q.store.SaveReabstractionReasons(ctx, in)
}
