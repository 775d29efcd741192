package submission

import (
	"context"
	"fmt"
	"strconv"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/edits"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/plural"
	"github.com/cara-registry/cara/internal/store"
)

// AcceptResult is what accepting an intake did.
type AcceptResult struct {
	FacilityID      uint
	PatientsCreated int
	TumorsCreated   int
	TumorsExisting  int
	TumorsSkipped   int
}

// Summary says what an accept did in a sentence. The new patients are named only when there
// are some: an intake's page summarizes from the stored counts, which do not keep them, and
// must not claim there were none.
func (r AcceptResult) Summary() string {
	if r.TumorsCreated == 0 {
		if r.TumorsExisting == 0 {
			return fmt.Sprintf("nothing imported: no tumor was free of error-severity failures (%d left out)", r.TumorsSkipped)
		}
		if r.TumorsExisting == 1 {
			return fmt.Sprintf("nothing new: the one acceptable tumor was already received (%d left out for errors)", r.TumorsSkipped)
		}
		return fmt.Sprintf("nothing new: all %d acceptable tumors were already received (%d left out for errors)", r.TumorsExisting, r.TumorsSkipped)
	}
	patients := ""
	if r.PatientsCreated > 0 {
		patients = " (" + plural.CountOf(r.PatientsCreated, "new patient", "new patients") + ")"
	}
	return fmt.Sprintf("imported %s%s as received; %d %s already received; %d left out for errors",
		plural.Count(r.TumorsCreated, "tumor"), patients, r.TumorsExisting, plural.Of(r.TumorsExisting, "was", "were"), r.TumorsSkipped)
}

// Accept imports the records of a checked intake that have no error-severity failure, as cases
// with status received, under the sending facility (the one its reportingFacility names, else
// the one it was uploaded for). It reads the file again and imports a batch of whole patients
// per transaction: cut short, it leaves whole patients only, and running it again completes it
// (what is stored already is left alone). sc is the caller's scope: the sending facility must be
// in it. by is the accepting user (nil for the command line).
func (k *Intaker) Accept(ctx context.Context, id uint, sc store.Scope, by *uint, remote string) (AcceptResult, error) {
	var res AcceptResult
	in, err := k.Store.Intake(ctx, id, sc)
	if err != nil {
		return res, err
	}
	switch {
	case in.State != store.IntakeDone && in.State != store.IntakeAccepted:
		return res, fmt.Errorf("intake %d (%s) is %s: only a checked file can be accepted: %w", in.ID, in.FileName, in.State, ErrNotAcceptable)
	case in.StructuralErrors > 0:
		return res, fmt.Errorf("intake %d (%s) has structural errors: correct the file and upload it again: %w", in.ID, in.FileName, ErrNotAcceptable)
	}
	res.FacilityID = in.FacilityID
	if in.SendingFacilityID != nil {
		if !sc.Contains(*in.SendingFacilityID) {
			return res, fmt.Errorf("intake %d (%s): its reporting facility is facility %d, which you do not work for: %w", in.ID, in.FileName, *in.SendingFacilityID, ErrNotAcceptable)
		}
		res.FacilityID = *in.SendingFacilityID
	}
	rd, f, _, err := k.open(in, false)
	if err != nil {
		return res, fmt.Errorf("submission: accept intake %d: %w", in.ID, err)
	}
	defer f.Close()
	size := k.BatchSize
	if size <= 0 {
		size = 500
	}
	// The imports run in a goroutine of their own, in file order, while the next batch is read
	// and checked; no batch waits besides (a batch of 500 patients holds some ten megabytes).
	// The importer's first error cancels the run.
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	// A batch carries its patients and their tumors' failing edits, stored with them for the worklist.
	type acceptBatch struct {
		pats   []naaccr.Patient
		counts [][]store.TumorCounts
	}
	batches := make(chan acceptBatch)
	imported := make(chan error, 1)
	var created store.ImportResult // the importer's until imported is read
	go func() {
		var first error
		for b := range batches {
			if first != nil {
				continue // drain: the run is being cancelled
			}
			r, err := k.Store.ImportPatients(runCtx, res.FacilityID, string(abstract.StatusReceived), b.pats, b.counts)
			if err != nil {
				first = err
				cancel(err)
				continue
			}
			created.PatientsCreated += r.PatientsCreated
			created.TumorsCreated += r.TumorsCreated
			created.TumorsExisting += r.TumorsExisting
		}
		imported <- first
	}()
	batch := acceptBatch{pats: make([]naaccr.Patient, 0, size)}
	flush := func() error {
		if len(batch.pats) == 0 {
			return nil
		}
		select {
		case batches <- batch:
		case <-runCtx.Done():
			return context.Cause(runCtx)
		}
		batch = acceptBatch{pats: make([]naaccr.Patient, 0, size)}
		return nil
	}
	workers := max(k.Workers, 1)
	err = k.Edits.RunReader(runCtx, rd, edits.BatchOptions{Workers: workers}, func(r *edits.PatientResult) error {
		v := judge(r)
		p := naaccr.Patient{Items: r.Patient.Items}
		all := edits.CountByTumor(r.Results, len(r.Patient.Tumors))
		var counts []store.TumorCounts
		for i, t := range r.Patient.Tumors {
			if v.patientBad || v.tumorBad[i] {
				res.TumorsSkipped++
				continue
			}
			p.Tumors = append(p.Tumors, t)
			counts = append(counts, store.TumorCounts{Errors: all[i].Errors, Warnings: all[i].Warnings})
		}
		if len(p.Tumors) == 0 {
			return nil
		}
		batch.pats = append(batch.pats, p)
		batch.counts = append(batch.counts, counts)
		if len(batch.pats) >= size {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	close(batches)
	// The importer's error (a database error) says more than the cancellation it caused.
	if ierr := <-imported; ierr != nil {
		err = ierr
	}
	res.PatientsCreated, res.TumorsCreated, res.TumorsExisting = created.PatientsCreated, created.TumorsCreated, created.TumorsExisting
	if err != nil {
		return res, fmt.Errorf("submission: accept intake %d: %w", in.ID, err)
	}
	c := in.IntakeCounts
	c.AcceptedTumors, c.ExistingTumors, c.SkippedTumors = res.TumorsCreated, res.TumorsExisting, res.TumorsSkipped
	e := store.AuditEntry{UserID: by, Action: audit.IntakeAccept, Entity: "intake", EntityID: strconv.FormatUint(uint64(in.ID), 10),
		Details: map[string]any{"file": in.FileName, "facility": res.FacilityID, "tumorsCreated": res.TumorsCreated,
			"patientsCreated": res.PatientsCreated, "tumorsExisting": res.TumorsExisting, "tumorsSkipped": res.TumorsSkipped},
		RemoteAddr: remote}
	if err := k.Store.AcceptIntake(ctx, in.ID, c, by, e); err != nil {
		return res, err
	}
	return res, nil
}
