package web_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestRetryStale checks the browser steps' retry: an action that failed on a node a navigation
// replaced runs again, any other failure ends the step at once, and the step's time still bounds it.
func TestRetryStale(t *testing.T) {
	stale := errors.New("could not focus: Could not find node with given id (-32000)")
	other := errors.New("could not focus: Element is not focusable (-32000)")
	tests := []struct {
		name      string
		errs      []error // what the action returns on its calls, then nil
		limit     time.Duration
		wantCalls int
		wantErr   error
	}{
		{"succeeds at once", nil, time.Second, 1, nil},
		{"stale twice, then the new document's node", []error{stale, stale}, time.Second, 3, nil},
		{"the other stale message", []error{errors.New("No node with given id found (-32000)")}, time.Second, 2, nil},
		{"another error is not retried", []error{other, stale}, time.Second, 1, other},
		{"a stale node, then another error", []error{stale, other}, time.Second, 2, other},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			a := func(ctx context.Context, _ *chromedp.Target) (chromedp.Void, error) {
				calls++
				if calls <= len(tc.errs) {
					return chromedp.Void{}, tc.errs[calls-1]
				}
				return chromedp.Void{}, nil
			}
			ctx, cancel := context.WithTimeout(context.Background(), tc.limit)
			defer cancel()
			_, err := retryStale[chromedp.Void](a)(ctx, nil)
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("error %v, want %v", err, tc.wantErr)
			}
			if calls != tc.wantCalls {
				t.Errorf("%d calls, want %d", calls, tc.wantCalls)
			}
		})
	}

	t.Run("a node that stays stale ends with the step's time", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		a := func(ctx context.Context, _ *chromedp.Target) (chromedp.Void, error) {
			time.Sleep(5 * time.Millisecond)
			return chromedp.Void{}, stale
		}
		_, err := retryStale[chromedp.Void](a)(ctx, nil)
		if !errors.Is(err, stale) {
			t.Errorf("error %v, want the stale node's", err)
		}
		if ctx.Err() == nil {
			t.Error("returned before the step's time was up")
		}
	})
}
