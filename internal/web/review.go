package web

import (
	"context"

	"github.com/cara-registry/cara/internal/store"
)

// reviewStore is what the review queue needs of the database (the steps and comments on a
// case go through the case service).
type reviewStore interface {
	ReviewQueue(ctx context.Context, f store.ReviewQueueFilter) ([]store.ReviewQueueRow, int64, error)
	ReturnedCases(ctx context.Context, sc store.Scope, forUser *uint, limit int) ([]store.ReturnedCase, error)
}
