package loadtest

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
)

// ledger keeps what the server acknowledged, for the check after the run.
type ledger struct {
	mu        sync.Mutex
	acks      map[uint][]ack
	unsure    map[uint]int // saves sent whose answer never came: they may or may not have landed
	conflicts int
	steps     int
}

// ack is a save the server said it stored: on the case at version base, this value.
type ack struct {
	base  int64
	value string
}

func newLedger() *ledger { return &ledger{acks: map[uint][]ack{}, unsure: map[uint]int{}} }

func (l *ledger) saved(id uint, base int64, value string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.acks[id] = append(l.acks[id], ack{base: base, value: value})
}

func (l *ledger) uncertain(id uint) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.unsure[id]++
}

func (l *ledger) conflicted() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.conflicts++
}

func (l *ledger) stepped() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.steps++
}

func (l *ledger) counts() (saved, conflicts, steps int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, a := range l.acks {
		saved += len(a)
	}
	return saved, l.conflicts, l.steps
}

// caseState is a case's tumor version and the value of the item the saves change.
type caseState struct {
	version int64
	value   string
}

// check compares each case after the run with the saves acknowledged on it and lists what
// disagrees. Optimistic locking means: no two acknowledged saves started from the same
// version (one of them would have overwritten the other unseen), each moved the version on by
// one (so the final version is the first plus their number), and the final value is the one of
// the save that started from the highest version (the last to land).
func (l *ledger) check(before, after map[uint]caseState) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	ids := make([]uint, 0, len(after))
	for id := range after {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var lost []string
	for _, id := range ids {
		b, a := before[id], after[id]
		acks := slices.Clone(l.acks[id])
		slices.SortFunc(acks, func(x, y ack) int { return int(x.base - y.base) })
		for i := 1; i < len(acks); i++ {
			if acks[i].base == acks[i-1].base {
				lost = append(lost, fmt.Sprintf("case %d: two saves acknowledged from version %d (%q and %q): one overwrote the other", id, acks[i].base, acks[i-1].value, acks[i].value))
			}
		}
		unsure := l.unsure[id]
		want := b.version + int64(len(acks))
		if a.version < want || a.version > want+int64(unsure) {
			lost = append(lost, fmt.Sprintf("case %d: version %d after %d acknowledged saves from version %d (want %d)", id, a.version, len(acks), b.version, want))
		}
		wantValue := b.value
		if len(acks) > 0 {
			wantValue = acks[len(acks)-1].value
		}
		if a.value != wantValue && unsure == 0 {
			lost = append(lost, fmt.Sprintf("case %d: %s is %q, but the last acknowledged save stored %q", id, saveItem, a.value, wantValue))
		}
	}
	return lost
}

// readCases reads each case's tumor version and saved item through the server, outside the
// run's figures.
func readCases(ctx context.Context, c *client, ids []uint) (map[uint]caseState, error) {
	quiet := &client{base: c.base, http: c.http, rec: newRecorder(), name: c.name}
	out := make(map[uint]caseState, len(ids))
	for _, id := range ids {
		form, err := quiet.openForm(ctx, id, saveSection)
		if err != nil {
			return nil, err
		}
		v, err := strconv.ParseInt(form.Find(`input[name="tumorVersion"]`).AttrOr("value", ""), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("case %d: no tumor version in its form", id)
		}
		out[id] = caseState{version: v, value: form.Find(`textarea[name="` + saveItem + `"]`).Text()}
	}
	return out, nil
}
