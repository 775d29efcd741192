package submission

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cara-registry/cara/internal/edits"
	"github.com/cara-registry/cara/internal/excerpt"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/tempfile"
)

// BatchStore is what a submission batch needs of the store.
type BatchStore interface {
	FacilityByID(ctx context.Context, id uint) (*store.Facility, error)
	EachPendingPatient(ctx context.Context, f store.PendingFilter, batchSize int, fn func(p *store.Patient, tumors []store.Tumor) error) error
	BeginSubmission(ctx context.Context, facilityID uint) (*store.SubmissionTx, error)
	FinishPendingSubmissions(ctx context.Context) (int, error)
	RecordedFiles
}

// BatchOptions say which cases a batch takes and how its file is written.
type BatchOptions struct {
	FacilityID uint
	Scope      store.Scope // the caller's; a facility out of scope is ErrNotFound
	// From and To bound the date of diagnosis (CCYYMMDD, CCYYMM or CCYY); empty: all pending.
	From, To string
	Version  string // "260" (default) or "250"
	// RecordType is A (default), I, C or M.
	RecordType string
	Gzip       bool
	// Correction takes the approved cases sent in an earlier batch (reopened, changed and
	// approved again) instead of those never sent.
	Correction bool
	// Expect is the Cases of a preview (Batcher.Preview) the user confirmed: the batch is made
	// only if its cases are still exactly those, else ErrPreviewChanged. Empty: no preview.
	Expect     string
	UserID     *uint // nil for a command-line job
	RemoteAddr string
}

// Failure is one failing edit of a case in a batch, as stored with the batch.
type Failure struct {
	Edit     string   `json:"edit"`
	Severity string   `json:"severity"`
	Message  string   `json:"message"`
	Items    []string `json:"items,omitempty"`
}

// DecodeFailures reads the failures stored with a case of a batch.
func DecodeFailures(s string) ([]Failure, error) {
	var out []Failure
	if s == "" {
		return nil, nil
	}
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, fmt.Errorf("submission: decode failures: %w", err)
	}
	return out, nil
}

// CaseFailures is a case with its failing edits: held back (errors) or sent with warnings.
type CaseFailures struct {
	TumorID         uint
	PatientIDNumber string
	Name            string // "Last, First"
	MRN             string
	Failures        []Failure
}

// maxListed bounds the held and warned cases a BatchResult lists (all are stored with the batch).
const maxListed = 500

// BatchResult is what a batch did.
type BatchResult struct {
	// Submission is the recorded batch; nil when nothing was sent.
	Submission *store.Submission
	Patients   int
	Tumors     int // sent
	Items      int64
	HeldCount  int
	// Held and Warned list the first cases held back and sent with warnings.
	Held, Warned []CaseFailures
	WarnedCount  int
	// Translation says which values could not be carried into an older version's file.
	Translation naaccr.TranslateReport
	Timing      BatchTiming
	// Cases names the cases the batch took (sent and held, each at its version), for a
	// confirmation: see BatchOptions.Expect.
	Cases string
	// AuditPending says why the recorded batch's audit event could not be written yet (it is
	// written at the next batch, at start of cara and hourly); nil when it was.
	AuditPending error
}

// BatchTiming is where a batch's time went, for speed measurements. The phases may overlap (they
// run in parallel where they can), so each is the time its own work took.
type BatchTiming struct {
	Read   time.Duration // reading and decoding the cases
	Edits  time.Duration // the pre-flight edits
	Write  time.Duration // writing the file
	Record time.Duration // the transaction that records the batch
}

// Add adds another batch's times.
func (t *BatchTiming) Add(o BatchTiming) {
	t.Read += o.Read
	t.Edits += o.Edits
	t.Write += o.Write
	t.Record += o.Record
}

// ErrNothingToSubmit: no case was pending, or every pending case was held back.
var ErrNothingToSubmit = errors.New("no case could be submitted")

// ErrPreviewChanged: the cases pending are no longer those of the confirmed preview (a case was
// approved, reopened, changed or sent meanwhile). It is a store.ErrConflict, as a case changed
// while a batch is written is.
var ErrPreviewChanged = fmt.Errorf("the pending cases changed since the preview: preview the batch again: %w", store.ErrConflict)

// Batcher makes submission batches.
type Batcher struct {
	Store   BatchStore
	Edits   *edits.Set
	Formats *Formats
	Dir     string           // where batch files are kept
	Now     func() time.Time // time.Now when nil
}

// Create makes a batch: it reads the facility's pending cases patient by patient, runs the full
// edit set on each (the pre-flight), holds back the cases with error-severity failures, and
// streams the others into a temporary file in Dir, hashing and counting on the way. Reading,
// the edits, recording and writing run at once, in goroutines handing on small chunks of
// patients in order (see pipeline), so a batch holds only a few hundred patients in memory, plus
// a small link of each case. Everything is recorded in one transaction (store.SubmissionTx): the
// cases are linked and the sent ones marked submitted as they are checked (on MySQL; on SQLite at
// the end), then the batch gets its name and audit event and the file is moved to its final
// name. A failure anywhere (a cancelled context included) leaves no batch, no case marked and no
// file; a kill leaves a temporary or, between the rename and the commit, an orphan under the
// batch's name, which the sweeps at the start of a later batch remove once stale.
func (b *Batcher) Create(ctx context.Context, opt BatchOptions) (*BatchResult, error) {
	fac, target, err := b.checkOptions(ctx, &opt)
	if err != nil {
		return nil, err
	}
	if b.Dir == "" {
		return nil, errors.New("submission: no submission directory is configured (CARA_SUBMISSION_DIR)")
	}
	now := time.Now
	if b.Now != nil {
		now = b.Now
	}
	at := now().UTC()

	// The temporary is readable by cara's user only and renewed while this runs; the stale
	// ones of killed batches are removed first (see tempfile).
	if err := tempfile.MkdirAll(b.Dir); err != nil {
		return nil, fmt.Errorf("submission: %w", err)
	}
	// Likewise the files of batches killed between their file's rename and their commit (see
	// SweepOrphans); a failed sweep does not stop the batch: the next one tries again.
	_, _ = SweepOrphans(ctx, b.Store, b.Dir, time.Now())
	// And the audit events of batches whose process died between their commit and their event
	// (see store.SubmissionTx.Commit); likewise tried again by the next batch if this fails.
	_, _ = b.Store.FinishPendingSubmissions(ctx)
	tmp, err := tempfile.Create(b.Dir, "batch")
	if err != nil {
		return nil, fmt.Errorf("submission: %w", err)
	}
	placed := ""
	defer func() {
		if placed == "" {
			tmp.Remove()
		} else {
			tmp.Forget()
		}
	}()

	res := &BatchResult{}
	w := newBatchFile(tmp.File, opt.Gzip)
	xw, err := naaccr.NewWriter(w.dst, target, naaccr.Header{RecordType: opt.RecordType, TimeGenerated: at, OnlyRecordType: opt.RecordType != "A"})
	if err != nil {
		return nil, fmt.Errorf("submission: %w", err)
	}
	tr := b.Formats.translators[opt.Version]
	// The items maps of a patient written go back for the next cases to be read into (no stage
	// looks at a patient after it is written).
	items := &store.ItemsPool{}
	filter := store.PendingFilter{FacilityID: opt.FacilityID, Scope: opt.Scope, Correction: opt.Correction,
		DiagnosedFrom: opt.From, DiagnosedTo: opt.To, Items: items}
	var linked []store.SubmissionTumor
	var file naaccr.Patient
	rec, err := b.Store.BeginSubmission(ctx, fac.ID)
	if err != nil {
		return nil, fmt.Errorf("submission: %w", err)
	}
	defer rec.Rollback()
	err = b.pipeline(ctx, filter, rec, res, &linked, func(c *checkedPatient) error {
		if len(c.send) == 0 {
			return nil
		}
		file.Items, file.Tumors = c.p.Items, c.send
		out := &file
		if tr != nil {
			var rep naaccr.TranslateReport
			out, rep = tr.Patient(&file)
			res.Translation.Add(rep)
		}
		if err := xw.WritePatient(out); err != nil {
			return fmt.Errorf("patient %d: %w", c.p.ID, err)
		}
		res.Patients++
		res.Tumors += len(out.Tumors)
		items.Put(c.p.Items)
		for _, t := range c.send {
			items.Put(t.Items)
		}
		file.Items, file.Tumors = nil, nil
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("submission: facility %s: %w", fac.Code, err)
	}
	res.Cases = casesDigest(linked)
	if opt.Expect != "" && res.Cases != opt.Expect {
		return res, fmt.Errorf("submission: facility %s: %w", fac.Code, ErrPreviewChanged)
	}
	if err := xw.Close(); err != nil {
		return res, fmt.Errorf("submission: %w", err)
	}
	res.Items = xw.ItemsWritten()
	if err := w.close(); err != nil {
		return res, fmt.Errorf("submission: write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return res, fmt.Errorf("submission: write %s: %w", tmp.Name(), err)
	}
	if res.Tumors == 0 {
		return res, ErrNothingToSubmit
	}
	if err := ctx.Err(); err != nil {
		return res, fmt.Errorf("submission: %w", err)
	}

	kind := store.SubmissionRegular
	if opt.Correction {
		kind = store.SubmissionCorrection
	}
	ident := fac.IDNumber
	if ident == "" {
		ident = fac.Code
	}
	in := store.NewSubmission{
		Submission: store.Submission{
			FacilityID: fac.ID, Kind: kind, CreatedBy: opt.UserID, FileName: "", NaaccrVersion: opt.Version,
			RecordType: opt.RecordType, Gzip: opt.Gzip, SHA256: hex.EncodeToString(w.hash.Sum(nil)), SizeBytes: w.size,
			PatientCount: res.Patients, TumorCount: res.Tumors, ItemCount: res.Items, HeldCount: res.HeldCount,
			WarningCount: res.WarnedCount, DateFrom: opt.From, DateTo: opt.To,
		},
		FileStem: fileSafe(ident) + "_" + at.Format("20060102"), FileExt: ".xml",
		Tumors: linked, RemoteAddr: opt.RemoteAddr,
	}
	if opt.Gzip {
		in.FileExt = ".xml.gz"
	}
	if res.Translation.From != "" {
		rep := res.Translation.String()
		in.Submission.TranslationReport = &rep
	}
	place := func(name string) error {
		if err := os.Rename(tmp.Name(), filepath.Join(b.Dir, name)); err != nil {
			return err
		}
		placed = name
		return nil
	}
	// Two batches of the facility recorded at the same moment can pick the same sequence number;
	// the later one is refused by the unique file name and tries the next number.
	recordStart := time.Now()
	defer func() { res.Timing.Record = time.Since(recordStart) }()
	for attempt := 0; ; attempt++ {
		res.Submission, err = rec.Commit(in, place)
		if err == nil {
			return res, nil
		}
		if errors.Is(err, store.ErrAuditPending) {
			// Recorded, its file in place: the batch stands, its event comes later.
			res.AuditPending = err
			return res, nil
		}
		if placed != "" {
			// Renamed, then the transaction failed: the file must not stay under a batch's name.
			os.Rename(filepath.Join(b.Dir, placed), tmp.Name())
			placed = ""
		}
		if !errors.Is(err, store.ErrDuplicate) || attempt == 3 {
			return res, fmt.Errorf("submission: %w", err)
		}
	}
}

// checkOptions fills in the defaults of opt and refuses options a batch cannot be made with,
// naming the option; it returns the facility and the dictionary the file is written in.
func (b *Batcher) checkOptions(ctx context.Context, opt *BatchOptions) (*store.Facility, *naaccr.Dictionary, error) {
	if opt.Version == "" {
		opt.Version = naaccr.CurrentVersion
	}
	if opt.RecordType == "" {
		opt.RecordType = "A"
	}
	target, ok := b.Formats.targets[opt.Version]
	if !ok {
		return nil, nil, fmt.Errorf("submission: NAACCR version %s: a batch is written in version %s", excerpt.Quote(opt.Version), strings.Join(BatchVersions, " or "))
	}
	if !slices.Contains(RecordTypes, opt.RecordType) {
		return nil, nil, fmt.Errorf("submission: record type %s: use %s", excerpt.Quote(opt.RecordType), strings.Join(RecordTypes, ", "))
	}
	for name, v := range map[string]string{"from": opt.From, "to": opt.To} {
		if v != "" && !naaccr.IsDate(v) {
			return nil, nil, fmt.Errorf("submission: diagnosis date %s %s is not a date (CCYYMMDD, CCYYMM or CCYY)", name, excerpt.Quote(v))
		}
	}
	if !opt.Scope.Contains(opt.FacilityID) {
		return nil, nil, fmt.Errorf("submission: facility %d: %w", opt.FacilityID, store.ErrNotFound)
	}
	fac, err := b.Store.FacilityByID(ctx, opt.FacilityID)
	if err != nil {
		return nil, nil, fmt.Errorf("submission: %w", err)
	}
	return fac, target, nil
}

// Preview runs a batch's pre-flight without writing or recording anything: what Create would
// send and hold back now, with Cases for the confirmation (BatchOptions.Expect). No case is
// marked and no file is written; ErrNothingToSubmit is not an error here (the result says it).
func (b *Batcher) Preview(ctx context.Context, opt BatchOptions) (*BatchResult, error) {
	fac, _, err := b.checkOptions(ctx, &opt)
	if err != nil {
		return nil, err
	}
	res := &BatchResult{}
	filter := store.PendingFilter{FacilityID: opt.FacilityID, Scope: opt.Scope, Correction: opt.Correction,
		DiagnosedFrom: opt.From, DiagnosedTo: opt.To}
	var linked []store.SubmissionTumor
	err = b.pipeline(ctx, filter, nil, res, &linked, func(c *checkedPatient) error {
		if len(c.send) > 0 {
			res.Patients++
			res.Tumors += len(c.send)
		}
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("submission: preview facility %s: %w", fac.Code, err)
	}
	res.Cases = casesDigest(linked)
	return res, nil
}

// casesDigest names the cases a batch took, each with its version and whether it was held:
// their count, then the SHA-256 of a line "tumor id:version:held" each, in tumor id order. A
// case approved, changed, reopened or sent since changes it.
func casesDigest(links []store.SubmissionTumor) string {
	sorted := slices.Clone(links)
	slices.SortFunc(sorted, func(a, b store.SubmissionTumor) int { return cmp.Compare(a.TumorID, b.TumorID) })
	h := sha256.New()
	for _, l := range sorted {
		fmt.Fprintf(h, "%d:%d:%t\n", l.TumorID, l.TumorVersion, l.Held)
	}
	return strconv.Itoa(len(sorted)) + "-" + hex.EncodeToString(h.Sum(nil))
}

// readPatient is a patient with its pending cases, as read from the store.
type readPatient struct {
	p      *store.Patient
	tumors []store.Tumor
}

// checkedPatient is a patient after the pre-flight edits, with the tumors that go into the file
// (those without error failures).
type checkedPatient struct {
	p    *store.Patient
	send []naaccr.Tumor
}

// Sizes of the pipeline of a batch: patients read from the store a query at a time, patients
// handed from one stage to the next at a time, and chunks that may wait between two stages.
// They bound what is in memory at once, whatever the batch's size.
const (
	readBatch   = 500
	stageChunk  = 100
	stageQueued = 2
)

// recordChunk is how many cases' links the recorder adds in one step (two statements).
const recordChunk = 2000

// pipeline reads the pending cases, runs the edits and calls write for each patient, in
// patient order, with four stages running at once: reading and decoding the cases (the
// store), the edits, recording the checked cases in rec (nothing when rec is nil: a preview),
// and write (the caller's goroutine).
// The edits stage appends every case's link to linked and counts the held and warned cases in
// res; write's own fields of res are not touched by the other stages. The first error stops
// every stage and is returned.
func (b *Batcher) pipeline(ctx context.Context, filter store.PendingFilter, rec *store.SubmissionTx, res *BatchResult, linked *[]store.SubmissionTumor, write func(*checkedPatient) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	read := make(chan []readPatient, stageQueued)
	checked := make(chan []checkedPatient, stageQueued)
	// The links of each chunk of checked patients: a view of linked, which the edits stage only
	// appends to, so the recorder reads elements no one writes any more.
	toRecord := make(chan []store.SubmissionTumor, stageQueued)
	var (
		wg                 sync.WaitGroup
		readTime, editTime time.Duration
	)
	wg.Add(3)
	go func() {
		defer wg.Done()
		var pending []store.SubmissionTumor
		flush := func() error {
			if rec == nil { // a preview records nothing
				pending = pending[:0]
				return nil
			}
			err := rec.AddCases(pending)
			pending = pending[:0]
			return err
		}
		for links := range toRecord {
			if ctx.Err() != nil {
				continue // drain until the edits stage stops
			}
			pending = append(pending, links...)
			if len(pending) >= recordChunk {
				if err := flush(); err != nil {
					cancel(err)
				}
			}
		}
		if ctx.Err() == nil {
			if err := flush(); err != nil {
				cancel(err)
			}
		}
	}()
	go func() {
		defer wg.Done()
		defer close(read)
		start := time.Now()
		var sending time.Duration
		chunk := make([]readPatient, 0, stageChunk)
		send := func() error {
			t := time.Now()
			defer func() { sending += time.Since(t) }()
			select {
			case read <- chunk:
				chunk = make([]readPatient, 0, stageChunk)
				return nil
			case <-ctx.Done():
				return context.Cause(ctx)
			}
		}
		err := b.Store.EachPendingPatient(ctx, filter, readBatch, func(p *store.Patient, tumors []store.Tumor) error {
			if chunk = append(chunk, readPatient{p, tumors}); len(chunk) == stageChunk {
				return send()
			}
			return ctx.Err()
		})
		if err == nil && len(chunk) > 0 {
			err = send()
		}
		if err != nil {
			cancel(err)
		}
		readTime = time.Since(start) - sending
	}()
	go func() {
		defer wg.Done()
		defer close(checked)
		defer close(toRecord)
		runner := b.Edits.NewRunner()
		var (
			results []edits.Result
			p       naaccr.Patient
		)
		for in := range read {
			start := time.Now()
			out := make([]checkedPatient, 0, len(in))
			from := len(*linked)
			for _, rp := range in {
				c, err := b.check(runner, &p, &results, rp, res, linked)
				if err != nil {
					cancel(err)
					break
				}
				out = append(out, c)
			}
			editTime += time.Since(start)
			select {
			case toRecord <- (*linked)[from:len(*linked):len(*linked)]:
			case <-ctx.Done():
			}
			select {
			case checked <- out:
			case <-ctx.Done():
			}
			if ctx.Err() != nil {
				for range read { // let the reader see the cancellation and stop
				}
				return
			}
		}
	}()
	for chunk := range checked {
		if ctx.Err() != nil {
			continue // drain until the edits stage stops
		}
		start := time.Now()
		for i := range chunk {
			if err := write(&chunk[i]); err != nil {
				cancel(err)
				break
			}
		}
		res.Timing.Write += time.Since(start)
	}
	wg.Wait()
	res.Timing.Read += readTime
	res.Timing.Edits += editTime
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return nil
}

// maxStoredFailures bounds the failing edits stored with a case, so that a case failing nearly
// every edit cannot make a batch's memory or its rows grow without bound; the count of the
// others is stored as a last entry.
const maxStoredFailures = 50

// check runs the edits on one patient's cases, links each case to the batch (held back when it
// has error failures) and counts and lists the held and warned ones in res.
func (b *Batcher) check(runner *edits.Runner, p *naaccr.Patient, results *[]edits.Result, rp readPatient, res *BatchResult, linked *[]store.SubmissionTumor) (checkedPatient, error) {
	sp, tumors := rp.p, rp.tumors
	p.Items = sp.Items
	p.Tumors = p.Tumors[:0]
	for _, t := range tumors {
		p.Tumors = append(p.Tumors, naaccr.Tumor{Items: t.Items})
	}
	var err error
	if *results, err = runner.Patient(p, (*results)[:0]); err != nil {
		return checkedPatient{}, fmt.Errorf("edits of patient %d: %w", sp.ID, err)
	}
	c := checkedPatient{p: sp, send: make([]naaccr.Tumor, 0, len(tumors))}
	var byTumor []tumorResults
	if len(*results) > 0 {
		byTumor = splitResults(*results, len(tumors))
	}
	for i, t := range tumors {
		var errs, warns []Failure
		if byTumor != nil {
			errs, warns = byTumor[i].errors, byTumor[i].warnings
		}
		link := store.SubmissionTumor{TumorID: t.ID, TumorVersion: t.Version, Held: len(errs) > 0, Warnings: len(warns)}
		var failures []Failure
		switch {
		case link.Held:
			failures = append(errs, warns...)
			res.HeldCount++
		case len(warns) > 0:
			failures = warns
			res.WarnedCount++
		}
		if failures != nil {
			if n := len(failures); n > maxStoredFailures {
				failures = append(failures[:maxStoredFailures-1:maxStoredFailures-1], Failure{Severity: string(edits.SeverityWarning),
					Message: fmt.Sprintf("and %d more failing edits (not stored)", n-maxStoredFailures+1)})
			}
			fj, err := json.Marshal(failures)
			if err != nil {
				return c, err
			}
			link.Failures = string(fj)
			cf := CaseFailures{TumorID: t.ID, PatientIDNumber: sp.PatientIDNumber, Name: sp.NameLast + ", " + sp.NameFirst,
				MRN: t.MedicalRecordNumber, Failures: failures}
			if link.Held && len(res.Held) < maxListed {
				res.Held = append(res.Held, cf)
			} else if !link.Held && len(res.Warned) < maxListed {
				res.Warned = append(res.Warned, cf)
			}
		}
		*linked = append(*linked, link)
		if !link.Held {
			c.send = append(c.send, naaccr.Tumor{Items: t.Items})
		}
	}
	return c, nil
}

// fileSafe keeps a facility identifier usable in a file name.
func fileSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r == '-' {
			return r
		}
		return '-'
	}, s)
}

type tumorResults struct{ errors, warnings []Failure }

// splitResults sorts a patient's failing edits by tumor. A failure of the patient (its items or
// a patient-level edit) counts for each of its tumors: the registry would see it with each.
func splitResults(rs []edits.Result, tumors int) []tumorResults {
	out := make([]tumorResults, tumors)
	for _, r := range rs {
		f := Failure{Edit: r.EditID, Severity: string(r.Severity), Message: r.Message, Items: r.Items}
		for i := range out {
			if r.Tumor >= 0 && r.Tumor != i {
				continue
			}
			if r.Severity == edits.SeverityError {
				out[i].errors = append(out[i].errors, f)
			} else {
				out[i].warnings = append(out[i].warnings, f)
			}
		}
	}
	return out
}
