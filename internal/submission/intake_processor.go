package submission

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/cara-registry/cara/internal/edits"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/store"
)

// processor is the state of one run over a file. It runs in the goroutine that receives the
// edit results; what it has for the database goes to a writer (see intakeWriter) so that the
// reading and the edits do not wait for the database.
type processor struct {
	k          *Intaker
	in         *store.Intake
	counts     store.IntakeCounts
	editCounts map[[2]string]int
	failures   []store.IntakeFailure
	seen       []string // reportingFacility values, at most maxFacilitiesSeen
	facility   uint     // whose stored tumors are duplicates
	sending    *uint
	resolved   bool
	dupKeys    []string // patient id number + "/" + sequence of the tumors not yet looked up
	dupIDs     []string // their patient id numbers
	dupOK      []bool   // by dupKeys: the tumor has no error-severity failure (accept would take it)
	w          *intakeWriter
	every      int       // patients between progress checks
	lastSaved  time.Time // when progress was last sent
}

const (
	maxFacilitiesSeen = 50
	// Failures go to the writer this many at a time, and patients' duplicates are looked up
	// this many at a time: few statements, a bounded buffer.
	failuresPerWrite  = 2000
	patientsPerLookup = 500
	// progressInterval is the least time between progress writes.
	progressInterval = time.Second
)

func (pr *processor) record(fs []store.IntakeFailure) {
	for _, f := range fs {
		pr.editCounts[[2]string{f.EditID, f.Severity}]++
		if pr.counts.FailuresStored < MaxIntakeFailures {
			f.IntakeID = pr.in.ID
			pr.failures = append(pr.failures, f)
			pr.counts.FailuresStored++
		}
	}
}

// add takes one patient's results; it is RunReader's callback.
func (pr *processor) add(r *edits.PatientResult) error {
	p := &r.Patient
	if !pr.resolved {
		pr.resolved = true
		f, err := pr.k.sendingFacility(pr.w.ctx, p)
		if err != nil {
			return err
		}
		if f != nil {
			pr.facility, pr.sending = f.ID, &f.ID
		}
	}
	pr.counts.Patients++
	pr.counts.Tumors += len(p.Tumors)
	pr.counts.RecordsProcessed += max(len(p.Tumors), 1)
	v := judge(r)
	pr.counts.EditErrors += v.errors
	pr.counts.EditWarnings += v.warnings
	pr.record(v.failures)
	pid := p.Items["patientIdNumber"]
	for i, t := range p.Tumors {
		ok := !v.patientBad && !v.tumorBad[i]
		if ok {
			pr.counts.AcceptableTumors++
		}
		if rf := strings.TrimSpace(t.Items["reportingFacility"]); rf != "" && len(pr.seen) < maxFacilitiesSeen && !slices.Contains(pr.seen, rf) {
			pr.seen = append(pr.seen, rf)
		}
		if seq := sequenceOf(t.Items); pid != "" && seq != "" {
			pr.dupKeys = append(pr.dupKeys, pid+"/"+seq)
			pr.dupOK = append(pr.dupOK, ok)
			if len(pr.dupIDs) == 0 || pr.dupIDs[len(pr.dupIDs)-1] != pid {
				pr.dupIDs = append(pr.dupIDs, pid)
			}
		}
	}
	progress := pr.counts.Patients%pr.every == 0 && time.Since(pr.lastSaved) >= progressInterval
	if progress || len(pr.failures) >= failuresPerWrite || len(pr.dupIDs) >= patientsPerLookup {
		return pr.send(progress)
	}
	return nil
}

// send hands what is buffered to the writer, with the counts so far when progress is set. It
// waits when the writer is behind by a few batches: memory stays bounded.
func (pr *processor) send(progress bool) error {
	job := intakeWrite{failures: pr.failures, facility: pr.facility, dupIDs: pr.dupIDs, dupKeys: pr.dupKeys, dupOK: pr.dupOK}
	if progress {
		c := pr.counts
		job.progress = &c
		pr.lastSaved = time.Now()
	}
	pr.failures, pr.dupIDs, pr.dupKeys, pr.dupOK = nil, nil, nil, nil
	return pr.w.send(job)
}

// lookUpDuplicates counts the pending tumors the sending facility has already, in this
// goroutine (a run that ended without its writer).
func (pr *processor) lookUpDuplicates(ctx context.Context) error {
	n, ok, err := countDuplicates(ctx, pr.k.Store, pr.facility, pr.dupIDs, pr.dupKeys, pr.dupOK)
	if err != nil {
		return err
	}
	pr.counts.Duplicates += n
	pr.counts.ReceivedTumors += ok
	pr.dupKeys, pr.dupIDs, pr.dupOK = nil, nil, nil
	return nil
}

// countDuplicates counts the tumors of keys the facility has stored already: all of them, and
// those of them that accept would take (ok, by key), which it would find stored and not import.
func countDuplicates(ctx context.Context, st IntakeStore, facility uint, ids, keys []string, ok []bool) (all, acceptable int, err error) {
	if len(keys) == 0 {
		return 0, 0, nil
	}
	have, err := st.StoredTumorKeys(ctx, facility, ids)
	if err != nil {
		return 0, 0, err
	}
	for i, key := range keys {
		if have[key] {
			all++
			if ok[i] {
				acceptable++
			}
		}
	}
	return all, acceptable, nil
}

func (pr *processor) finish(ctx context.Context, info *naaccr.FileInfo) error {
	if err := pr.k.Store.AddIntakeFailures(ctx, pr.in.ClaimedBy, pr.failures); err != nil {
		return err
	}
	pr.failures = nil
	res := store.IntakeResult{Counts: pr.counts, SendingFacilityID: pr.sending}
	if info != nil {
		res.NaaccrVersion = info.Schema.Base.NaaccrVersion
		res.RecordType = info.RecordType
	}
	seen, _ := json.Marshal(append([]string{}, pr.seen...))
	res.FacilitiesSeen = string(seen)
	for key, n := range pr.editCounts {
		res.EditCounts = append(res.EditCounts, store.IntakeEditCount{EditID: key[0], Severity: key[1], Count: n})
	}
	return pr.k.Store.FinishIntake(ctx, pr.in.ID, pr.in.ClaimedBy, res)
}
