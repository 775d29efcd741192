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
	// Progress, when set, is called after each batch.
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
func Import(ctx context.Context, rd *naaccr.Reader, dst ImportTarget, opt ImportOptions) (ImportStats, error) {
	var st ImportStats
	st.HeaderIssues = append(st.HeaderIssues, rd.Problems()...)
	size := opt.BatchSize
	if size <= 0 {
		size = 500
	}
	batch := make([]naaccr.Patient, 0, size)
	var counts [][]store.TumorCounts
	var runner *edits.Runner
	if opt.Edits != nil {
		runner = opt.Edits.NewRunner()
	}
	var results []edits.Result
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if runner != nil {
			counts = counts[:0]
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
		res, err := dst.ImportPatients(ctx, opt.FacilityID, opt.Status, batch, counts)
		if err != nil {
			return err
		}
		st.Add(res)
		batch = batch[:0]
		if opt.Progress != nil {
			opt.Progress(st)
		}
		return nil
	}
	var p naaccr.Patient
	for {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		err := rd.Next(&p)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if ferr := flush(); ferr != nil {
				return st, fmt.Errorf("submission: import: %w", ferr)
			}
			return st, fmt.Errorf("submission: import stopped after %d patients: %w", st.PatientsRead, err)
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
				return st, fmt.Errorf("submission: import: %w", err)
			}
		}
	}
	if err := flush(); err != nil {
		return st, fmt.Errorf("submission: import: %w", err)
	}
	return st, nil
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
