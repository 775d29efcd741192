// Package quality holds the registry's quality rules over the workflow's facts: the registrars'
// productivity figures (medians of days from diagnosis to first send, days in review, …) and blind
// re-abstraction (which cases a sample draws, what agrees, the reasons of a discrepancy). The
// store reads and records the rows; this package decides and computes.
package quality

import (
	"context"
	"time"

	"github.com/cara-registry/cara/internal/store"
)

// Store is what the quality rules need of the database.
type Store interface {
	ProductivitySteps(ctx context.Context, sc store.Scope, from, to time.Time) ([]store.ProductivityStep, error)
	UserNames(ctx context.Context, ids []uint) (map[uint]string, error)
	ReabstractionCandidates(ctx context.Context, facilityID uint, sites []store.SiteRange) ([]store.SampleCandidate, error)
	AddReabstractionSample(ctx context.Context, in store.NewSample) (*store.ReabstractionSample, error)
	ReabstractionSamples(ctx context.Context, sc store.Scope) ([]store.SampleSummary, error)
	ReabstractionSampleDetail(ctx context.Context, id uint, sc store.Scope) (*store.SampleDetail, error)
	SaveReabstraction(ctx context.Context, in store.ReabstractionSave) ([]store.ReabstractionItem, error)
	SaveReabstractionReasons(ctx context.Context, in store.ReasonsSave) error
}

// Service computes productivity and runs blind re-abstraction over a store.
type Service struct {
	store Store
}

// New returns the quality service over a store.
func New(s Store) *Service { return &Service{store: s} }
