package auth

import "time"

// Throttle says how failed sign-ins slow the next attempt. Instead of a lock, which anyone who
// knows a username could set off, each key allows a few free failures and then makes the next
// attempt wait FirstDelay, twice that after the next failure, and so on up to MaxDelay. A key with
// no failure for Memory starts over. The keys are a client address over every username (so
// that trying many usernames is slowed), an account from one address (so that someone else's
// failures do not lock the real user out), and an account over every address, with a much
// higher allowance, against guessing from many addresses.
type Throttle struct {
	AddressFree        int // failures from one address, over every username
	AccountAddressFree int // failures for one account from one address
	AccountFree        int // failures for one account, over every address
	FirstDelay         time.Duration
	MaxDelay           time.Duration
	Memory             time.Duration
}

// DefaultThrottle is cara's sign-in throttle.
var DefaultThrottle = Throttle{
	AddressFree: 10, AccountAddressFree: 5, AccountFree: 100,
	FirstDelay: time.Second, MaxDelay: 15 * time.Minute, Memory: time.Hour,
}

// Delay is how long after its last failure a key with that many failures must wait, when free
// failures are allowed: nothing below free, then FirstDelay doubling with each failure, capped.
func (t Throttle) Delay(failures, free int) time.Duration {
	if failures < free {
		return 0
	}
	d := t.FirstDelay
	for range failures - free {
		if d >= t.MaxDelay {
			break
		}
		d *= 2
	}
	return min(d, t.MaxDelay)
}

// Wait is how long from now a key must still wait: its delay counted from its last failure, or
// nothing when that failure is older than Memory (the key starts over).
func (t Throttle) Wait(failures, free int, lastFailure, now time.Time) time.Duration {
	if now.Sub(lastFailure) >= t.Memory {
		return 0
	}
	return max(0, lastFailure.Add(t.Delay(failures, free)).Sub(now))
}
