package submission

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"

	"github.com/cara-registry/cara/internal/edits"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/store"
)

// ImportTarget stores batches of patients.
type ImportTarget interface {
	ImportPatients(ctx context.Context, facilityID uint, status string, pats []naaccr.Patient, counts [][]store.TumorCounts) (store.ImportResult, error)
}

// ImportOptions say where imported cases go.
type ImportOptions struct {
	FacilityID uint
	Status     string // status of new tumors
	BatchSize  int    // patients per transaction; 500 when 0
	// Edits, when set, run over each patient imported, and each new tumor's error and warning
	// counts are stored with it (the worklist shows them and filters on them).
	Edits *edits.Set
	// Progress, when set, is called after each batch is stored, from the goroutine that stores
	// them (one call at a time), with the reading side's counts as they were when the batch was cut.
	Progress func(ImportStats)
}

// Rejected is a patient that was not imported, with why.
type Rejected struct {
	Patient         int // 1-based position in the file
	PatientIDNumber string
	Problems        []naaccr.Problem
}

// maxRejectedKept bounds the rejected records kept for the report; the count goes on.
const maxRejectedKept = 1000

// ImportStats is the outcome of an import.
type ImportStats struct {
	store.ImportResult
	PatientsRead  int
	TumorsRead    int
	Rejected      []Rejected // the first maxRejectedKept
	RejectedCount int
	HeaderIssues  []naaccr.Problem
}

// Import streams the patients of rd into dst in batches, one transaction per batch. A patient
// with data problems, without a patient id number, or with a tumor without a sequence number is
// rejected (reported with its position) and the rest goes on; a structural error in the file
// stops the import, keeping the batches stored before it.
//
// The batches are stored in a goroutine of their own, in file order, while the next batch is
// read, checked and edited: the store's time (on MySQL mostly the server's) overlaps the
// reader's instead of adding to it. One batch waits at most besides the one being stored.
func Import(ctx context.Context, rd *naaccr.Reader, dst ImportTarget, opt ImportOptions) (ImportStats, error) {
	var st ImportStats // the reading side's; ImportResult is summed by the storer
	st.HeaderIssues = append(st.HeaderIssues, rd.Problems()...)
	size := opt.BatchSize
	if size <= 0 {
		size = 500
	}
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	// A batch carries the reading side's counts as they were when it was cut, for Progress.
	type importBatch struct {
		pats   []naaccr.Patient
		counts [][]store.TumorCounts
		read   ImportStats // without Rejected
		kept   int         // len(Rejected) when it was cut
	}
	batches := make(chan importBatch)
	var stored store.ImportResult // the storer's until done is read
	var failed *importBatch       // the batch the storer failed on, likewise
	done := make(chan error, 1)
	go func() {
		var first error
		for b := range batches {
			if first != nil {
				continue // drain: the run is being cancelled
			}
			res, err := dst.ImportPatients(runCtx, opt.FacilityID, opt.Status, b.pats, b.counts)
			if err != nil {
				first, failed = err, &b
				cancel(err)
				continue
			}
			stored.Add(res)
			if opt.Progress != nil {
				p := b.read
				p.ImportResult = stored
				opt.Progress(p)
			}
		}
		done <- first
	}()

	var runner *edits.Runner
	if opt.Edits != nil {
		runner = opt.Edits.NewRunner()
	}
	var results []edits.Result
	batch := make([]naaccr.Patient, 0, size)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		var counts [][]store.TumorCounts
		if runner != nil {
			counts = make([][]store.TumorCounts, 0, len(batch))
			for i := range batch {
				var err error
				if results, err = runner.Patient(&batch[i], results[:0]); err != nil {
					return fmt.Errorf("submission: edits of patient %s: %w", batch[i].Items["patientIdNumber"], err)
				}
				var cs []store.TumorCounts
				for _, c := range edits.CountByTumor(results, len(batch[i].Tumors)) {
					cs = append(cs, store.TumorCounts{Errors: c.Errors, Warnings: c.Warnings})
				}
				counts = append(counts, cs)
			}
		}
		read := st
		read.Rejected = nil // the storer must not read the slice the reader appends to
		select {
		case batches <- importBatch{pats: batch, counts: counts, read: read, kept: len(st.Rejected)}:
		case <-runCtx.Done():
			return context.Cause(runCtx)
		}
		batch = make([]naaccr.Patient, 0, size)
		return nil
	}
	// finish waits for the storer and says how the run ended: the storer's error (a database
	// error) says more than the cancellation it caused, and the import stopped at the batch it
	// failed on, whatever the reader had read ahead.
	finish := func(err error) (ImportStats, error) {
		close(batches)
		if serr := <-done; serr != nil {
			err = fmt.Errorf("submission: import: %w", serr)
			rejected := st.Rejected[:failed.kept]
			st = failed.read
			st.Rejected = rejected
		}
		st.ImportResult = stored
		return st, err
	}
	var p naaccr.Patient
	for {
		if err := runCtx.Err(); err != nil {
			return finish(context.Cause(runCtx))
		}
		err := rd.Next(&p)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if ferr := flush(); ferr != nil {
				return finish(fmt.Errorf("submission: import: %w", ferr))
			}
			return finish(fmt.Errorf("submission: import stopped after %d patients: %w", st.PatientsRead, err))
		}
		st.PatientsRead++
		st.TumorsRead += len(p.Tumors)
		if probs := rejectReasons(&p, rd.Problems(), st.PatientsRead); len(probs) > 0 {
			st.RejectedCount++
			if len(st.Rejected) < maxRejectedKept {
				st.Rejected = append(st.Rejected, Rejected{Patient: st.PatientsRead, PatientIDNumber: p.Items["patientIdNumber"], Problems: probs})
			}
			continue
		}
		batch = append(batch, clonePatient(&p))
		if len(batch) == size {
			if err := flush(); err != nil {
				return finish(fmt.Errorf("submission: import: %w", err))
			}
		}
	}
	if err := flush(); err != nil {
		return finish(fmt.Errorf("submission: import: %w", err))
	}
	return finish(nil)
}

// rejectReasons lists why a patient cannot be imported: its data problems, and the keys the
// import matches on.
func rejectReasons(p *naaccr.Patient, probs []naaccr.Problem, index int) []naaccr.Problem {
	out := append([]naaccr.Problem(nil), probs...)
	if p.Items["patientIdNumber"] == "" {
		out = append(out, naaccr.Problem{Patient: index, Item: "patientIdNumber", Message: "no Patient ID Number [20]: the import could not tell this patient from others"})
	}
	for i, t := range p.Tumors {
		if t.Items["sequenceNumberHospital"] == "" && t.Items["sequenceNumberCentral"] == "" {
			out = append(out, naaccr.Problem{Patient: index, Tumor: i + 1, Item: "sequenceNumberHospital", Message: "no Sequence Number--Hospital [560] or --Central [380]: the import could not tell this tumor from the patient's others"})
		}
	}
	return out
}

// clonePatient copies a patient out of the reader's reused maps.
func clonePatient(p *naaccr.Patient) naaccr.Patient {
	c := naaccr.Patient{Items: maps.Clone(p.Items), Tumors: make([]naaccr.Tumor, len(p.Tumors))}
	for i, t := range p.Tumors {
		c.Tumors[i] = naaccr.Tumor{Items: maps.Clone(t.Items)}
	}
	return c
}
