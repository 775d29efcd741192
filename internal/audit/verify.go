package audit

import (
	"context"
	"fmt"
)

// Source is a stored audit trail that Verify reads.
type Source interface {
	// AuditChainHead returns the head the store keeps beside the events: the id and hash of the
	// last event appended.
	AuditChainHead(ctx context.Context) (Head, error)
	// AuditChain returns up to limit events with an id above after, in id order.
	AuditChain(ctx context.Context, after uint64, limit int) ([]Event, error)
	// AuditSeal returns where the key took over the trail, as the store keeps it.
	AuditSeal(ctx context.Context) (Seal, error)
}

// Seal is where the key took over a trail. Events from KeyedFrom on carry the keyed hash
// (Key.Sum); the KeyedFrom-1 events before them, appended before cara had a key, the plain one
// (Sum). MAC is Key.Seal of KeyedFrom and the hash of the event before it: without the key, no
// one can move KeyedFrom to pass keyed events off as older ones, or change the older events.
type Seal struct {
	KeyedFrom uint64
	MAC       string // "" until the store has sealed it
}

// batchSize is how many events Verify reads at a time.
const batchSize = 1000

// Result is what Verify found.
type Result struct {
	Events int64 // events checked
	Head   Head  // the last event checked
	// KeyedFrom is the first event hashed with the key; the events before it are from before the
	// key and were checked by their plain hash chain, which the seal fixes.
	KeyedFrom uint64
	Break     *Break
}

// Break is where a trail stops being a chain.
type Break struct {
	ID     uint64 // the id of the first event that does not fit
	Event  *Event // that event; nil when it is missing from the end of the trail, or Seal
	Seal   bool   // the seal of the key does not fit: the break is before event ID
	Reason string
}

// Verify reads src in id order, a batch at a time, and checks that each event's hash is the hash
// of its content under key (the plain hash before the seal's KeyedFrom), that it carries the hash
// of the event before it (Genesis for the first), and that the ids run 1, 2, 3 … without a gap;
// that the seal is key's for KeyedFrom and the hash of the event before it; then that the trail
// ends where the store's head says it does, so that deleting the last events shows too. It stops
// at the first event that does not fit and returns it in Result.Break; the error is for failing
// to read, or for a nil key. fn, when not nil, is called after each batch with the number of
// events checked so far.
//
// A trail recomputed without the key fails at its first keyed event, and a trail checked with
// another key fails at the seal. The head is not keyed: cutting events from the end and moving
// the head back shows only against a checkpoint (MatchCheckpoint).
//
// Events appended while Verify runs are checked too: after the last batch it reads the head, and
// reads on while the head is ahead of what it has checked.
func Verify(ctx context.Context, src Source, key *Key, fn func(checked int64)) (Result, error) {
	res := Result{Head: Head{LastHash: Genesis}}
	if key == nil {
		return res, fmt.Errorf("audit: verify: no key")
	}
	seal, err := src.AuditSeal(ctx)
	if err != nil {
		return res, fmt.Errorf("audit: verify: %w", err)
	}
	res.KeyedFrom = seal.KeyedFrom
	if seal.KeyedFrom == 0 {
		res.Break = &Break{ID: 1, Seal: true, Reason: "the trail records no event where the key took over (audit_chain.keyed_from is 0): it was changed"}
		return res, nil
	}
	sealChecked := false
	checkSeal := func() *Break {
		sealChecked = true
		switch {
		case seal.MAC == "":
			return &Break{ID: seal.KeyedFrom, Seal: true, Reason: "the trail has no seal of the key (audit_chain.key_seal is empty): it was removed"}
		case key.Seal(seal.KeyedFrom, res.Head.LastHash) != seal.MAC:
			return &Break{ID: seal.KeyedFrom, Seal: true, Reason: fmt.Sprintf(
				"the seal that records the key taking over at event #%d is not this key's: the key is another installation's, or the seal or the events before #%d were changed",
				seal.KeyedFrom, seal.KeyedFrom)}
		}
		return nil
	}
	var last Event
	for {
		evs, err := src.AuditChain(ctx, res.Head.LastID, batchSize)
		if err != nil {
			return res, fmt.Errorf("audit: verify: %w", err)
		}
		for i := range evs {
			if !sealChecked && res.Head.LastID+1 == seal.KeyedFrom {
				if b := checkSeal(); b != nil {
					res.Break = b
					return res, nil
				}
			}
			if b := check(res.Head, &evs[i], key, seal.KeyedFrom); b != nil {
				res.Break = b
				return res, nil
			}
			res.Head = Head{LastID: evs[i].ID, LastHash: evs[i].Hash}
			res.Events++
		}
		if len(evs) > 0 {
			last = evs[len(evs)-1]
		}
		if len(evs) > 0 {
			if fn != nil {
				fn(res.Events)
			}
			continue
		}
		head, err := src.AuditChainHead(ctx)
		if err != nil {
			return res, fmt.Errorf("audit: verify: %w", err)
		}
		switch {
		case head.LastID > res.Head.LastID:
			// Appended since the last batch was read, or deleted from the end: read once more.
			evs, err := src.AuditChain(ctx, res.Head.LastID, 1)
			if err != nil {
				return res, fmt.Errorf("audit: verify: %w", err)
			}
			if len(evs) > 0 {
				continue
			}
			reason := fmt.Sprintf("the trail is empty, but the chain head records %d events appended: they were deleted", head.LastID)
			if res.Head.LastID > 0 {
				reason = fmt.Sprintf("the trail ends at event #%d, but the chain head records event #%d appended: the events after #%d were deleted",
					res.Head.LastID, head.LastID, res.Head.LastID)
			}
			res.Break = &Break{ID: res.Head.LastID + 1, Reason: reason}
		case head.LastID < res.Head.LastID:
			// Rows past the head were not appended by cara. Name the first of them.
			evs, err := src.AuditChain(ctx, head.LastID, 1)
			if err != nil {
				return res, fmt.Errorf("audit: verify: %w", err)
			}
			b := &Break{ID: head.LastID + 1, Reason: fmt.Sprintf(
				"the chain head records event #%d as the last appended: the events after it were not appended by cara", head.LastID)}
			if len(evs) > 0 {
				b.Event = &evs[0]
			}
			res.Break = b
		case head.LastHash != res.Head.LastHash:
			if res.Events == 0 {
				res.Break = &Break{ID: 1, Reason: "the trail is empty, but the chain head holds the hash of an event"}
				break
			}
			res.Break = &Break{ID: last.ID, Event: &last,
				Reason: "its hash is not the one the chain head recorded when it was appended: it was replaced"}
		}
		if res.Break == nil && !sealChecked {
			// No event from the key on yet: the seal must fit the end of the older events.
			if res.Head.LastID+1 != seal.KeyedFrom {
				res.Break = &Break{ID: res.Head.LastID + 1, Seal: true, Reason: fmt.Sprintf(
					"the seal records the key taking over at event #%d, but the trail ends at event #%d: events were deleted, or the seal was changed",
					seal.KeyedFrom, res.Head.LastID)}
			} else {
				res.Break = checkSeal()
			}
		}
		return res, nil
	}
}

// check says how e fails to follow prev, or nil when it does; events from keyedFrom on carry
// key's hash.
func check(prev Head, e *Event, key *Key, keyedFrom uint64) *Break {
	switch {
	case e.ID != prev.LastID+1:
		what := fmt.Sprintf("event #%d before it is missing", prev.LastID+1)
		if e.ID > prev.LastID+2 {
			what = fmt.Sprintf("events #%d to #%d before it are missing", prev.LastID+1, e.ID-1)
		}
		return &Break{ID: e.ID, Event: e, Reason: what + " (deleted)"}
	case e.PrevHash != prev.LastHash:
		reason := "its prev_hash is not the hash of the event before it: that event was changed or replaced"
		if prev.LastID == 0 {
			reason = "it is the first event, but its prev_hash does not start a chain"
		}
		return &Break{ID: e.ID, Event: e, Reason: reason}
	case e.ID >= keyedFrom && key.Sum(*e) != e.Hash:
		reason := "its hash does not match its content under the key: it was changed"
		if Sum(*e) == e.Hash {
			reason = "its hash is a plain SHA-256 of its content, not the key's: the trail was recomputed without the key"
		}
		return &Break{ID: e.ID, Event: e, Reason: reason}
	case e.ID < keyedFrom && Sum(*e) != e.Hash:
		return &Break{ID: e.ID, Event: e, Reason: "its hash does not match its content: it was changed"}
	}
	return nil
}
