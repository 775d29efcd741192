// Package ratelimit limits how often each sender may send: a token bucket per key (a sender's
// token hash, a remote address), forgotten after a while idle. The FHIR endpoint and the MLLP
// listener share it.
package ratelimit

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Keyed is a token bucket per key. It is safe for use by many goroutines. Its Allow matches
// echo's middleware.RateLimiterStore, so the FHIR endpoint's middleware uses it as its store.
type Keyed struct {
	rate    rate.Limit
	burst   int
	expires time.Duration
	now     func() time.Time

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// New makes a limiter of perSecond events a second with bursts of burst for each key; a key
// unseen for expires is forgotten (its next event starts a full bucket).
func New(perSecond float64, burst int, expires time.Duration) *Keyed {
	return &Keyed{rate: rate.Limit(perSecond), burst: burst, expires: expires, now: time.Now, buckets: map[string]*bucket{}}
}

// Allow says whether an event of key may happen now, and counts it if so. The error is always
// nil (echo's store interface has one).
func (k *Keyed) Allow(key string) (bool, error) {
	now := k.now()
	k.mu.Lock()
	defer k.mu.Unlock()
	if now.Sub(k.lastSweep) > k.expires {
		for key, b := range k.buckets {
			if now.Sub(b.seen) > k.expires {
				delete(k.buckets, key)
			}
		}
		k.lastSweep = now
	}
	b, ok := k.buckets[key]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(k.rate, k.burst)}
		k.buckets[key] = b
	}
	b.seen = now
	return b.lim.AllowN(now, 1), nil
}

// Rate is the events a second allowed for each key.
func (k *Keyed) Rate() float64 { return float64(k.rate) }
