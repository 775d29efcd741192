package submission

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/csvsafe"
	"github.com/cara-registry/cara/internal/edits"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/store"
)

// MaxIntakeFailures caps the failing records stored per intake; the counts go on past it and
// the report says the list is cut.
const MaxIntakeFailures = 100_000

// Edit ids of what an intake finds besides the edits.
const (
	EditStructure = "xml.structure" // the file is not (well-formed, current) NAACCR XML
	EditImportKey = "intake.key"    // a record lacks the patient id number or sequence number the import matches on
)

// IntakeStore is what intake processing needs of the database.
type IntakeStore interface {
	ImportTarget
	Intake(ctx context.Context, id uint, sc store.Scope) (*store.Intake, error)
	ClaimIntake(ctx context.Context) (*store.Intake, error)
	RequeueStaleIntakes(ctx context.Context, before time.Time) (int64, error)
	RequeueIntake(ctx context.Context, id uint) error
	TouchIntake(ctx context.Context, id uint) error
	IntakeProgress(ctx context.Context, id uint, c store.IntakeCounts) error
	AddIntakeFailures(ctx context.Context, fs []store.IntakeFailure) error
	FinishIntake(ctx context.Context, id uint, r store.IntakeResult) error
	FailIntake(ctx context.Context, id uint, reason string) error
	AcceptIntake(ctx context.Context, id uint, c store.IntakeCounts, by *uint, e store.AuditEntry) error
	IntakeEditCounts(ctx context.Context, id uint) ([]store.IntakeEditCount, error)
	EachIntakeFailure(ctx context.Context, id uint, fn func(*store.IntakeFailure) error) error
	StoredTumorKeys(ctx context.Context, facilityID uint, patientIDNumbers []string) (map[string]bool, error)
	FacilityByIDNumber(ctx context.Context, v string) (*store.Facility, error)
}

// Intaker checks uploaded files and imports their acceptable records.
type Intaker struct {
	Store    IntakeStore
	Edits    *edits.Set
	Registry *naaccr.Registry
	Relaxed  bool // read files in the reader's relaxed mode
	// Workers run the edits of one file; 1 when 0 (a server runs few jobs side by side and
	// must leave the web pages a core).
	Workers int
	// ProgressEvery is how many patients pass between progress checks; 2000 when 0. Progress
	// is written at most once a second.
	ProgressEvery int
	// BatchSize is the patients per import transaction; 500 when 0.
	BatchSize int
	// MaxUnpackedBytes stops the check of a gzip file that unpacks to more (the intake fails
	// and nothing of it can be accepted); DefaultIntakeMaxUnpackedBytes when 0.
	MaxUnpackedBytes int64
	Now              func() time.Time
}

func (k *Intaker) now() time.Time {
	if k.Now == nil {
		return time.Now()
	}
	return k.Now()
}

// ErrNotAcceptable says an intake cannot be accepted (its state, or structural errors).
var ErrNotAcceptable = errors.New("cannot be accepted")

// open opens an intake's stored file and reads its header. A missing file is reported as such.
// With limit, a gzip file is unpacked through the unpacked-size limit, which the returned
// unpackLimit (nil for a plain file) says was passed; Accept reads without it, as it reads only
// files that were checked whole.
func (k *Intaker) open(in *store.Intake, limit bool) (*naaccr.Reader, *os.File, *unpackLimit, error) {
	f, err := os.Open(in.StoredPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil, fmt.Errorf("the uploaded file of intake %d (%s) is gone from %s: upload it again", in.ID, in.FileName, in.StoredPath)
	}
	if err != nil {
		return nil, nil, nil, fmt.Errorf("open the uploaded file of intake %d: %w", in.ID, err)
	}
	var src io.Reader = f
	var lim *unpackLimit
	if limit {
		max := k.MaxUnpackedBytes
		if max <= 0 {
			max = DefaultIntakeMaxUnpackedBytes
		}
		if src, lim, err = limitUnpacked(f, max); err != nil {
			f.Close()
			return nil, nil, nil, err
		}
	}
	rd, err := naaccr.NewReader(src, naaccr.ReaderOptions{Registry: k.Registry, Relaxed: k.Relaxed})
	if err != nil {
		f.Close()
		return nil, nil, lim, err
	}
	return rd, f, lim, nil
}

// versionProblem refuses a file whose version the edits are not written for.
func versionProblem(rd *naaccr.Reader) *naaccr.Problem {
	if v := rd.Info().Schema.Base.NaaccrVersion; v != naaccr.CurrentVersion {
		return &naaccr.Problem{Line: 1, Column: 1, Message: fmt.Sprintf("the file is NAACCR version %s; the edits are written for %s (convert it first: cara naaccr convert --to %s)", v, naaccr.CurrentVersion, naaccr.CurrentVersion)}
	}
	return nil
}

// verdict is what the edits say of one patient of a file.
type verdict struct {
	failures   []store.IntakeFailure
	patientBad bool   // an error at patient level: none of its tumors is acceptable
	tumorBad   []bool // by tumor
	errors     int
	warnings   int
}

// judge turns one patient's edit results, reader problems and missing keys into failures.
func judge(pr *edits.PatientResult) verdict {
	p := &pr.Patient
	v := verdict{tumorBad: make([]bool, len(p.Tumors))}
	pid := p.Items["patientIdNumber"]
	add := func(tumor int, edit, severity, item, msg string) {
		seq := ""
		if tumor >= 0 && tumor < len(p.Tumors) {
			seq = sequenceOf(p.Tumors[tumor].Items)
		}
		v.failures = append(v.failures, store.IntakeFailure{PatientIndex: pr.Index, TumorIndex: tumor, PatientIDNumber: pid,
			TumorSequence: seq, EditID: edit, Severity: severity, Item: item, Message: msg})
		if severity != string(edits.SeverityError) {
			v.warnings++
			return
		}
		v.errors++
		if tumor >= 0 && tumor < len(v.tumorBad) {
			v.tumorBad[tumor] = true
		} else {
			v.patientBad = true
		}
	}
	for _, pb := range pr.Problems {
		add(pb.Tumor-1, "xml."+pb.Code, string(edits.SeverityError), pb.Item, pb.Message)
	}
	for _, r := range pr.Results {
		item := ""
		if len(r.Items) > 0 {
			item = r.Items[0]
		}
		add(r.Tumor, r.EditID, string(r.Severity), item, r.Message)
	}
	if pid == "" {
		add(-1, EditImportKey, string(edits.SeverityError), "patientIdNumber", "no Patient ID Number [20]: the record cannot be told from others, so it cannot be imported")
	}
	for i, t := range p.Tumors {
		if sequenceOf(t.Items) == "" {
			add(i, EditImportKey, string(edits.SeverityError), "sequenceNumberHospital", "no Sequence Number--Hospital [560] or --Central [380]: the tumor cannot be told from the patient's others, so it cannot be imported")
		}
	}
	return v
}

func sequenceOf(items map[string]string) string {
	if s := items["sequenceNumberHospital"]; s != "" {
		return s
	}
	return items["sequenceNumberCentral"]
}

// sendingFacility finds the facility a file's reportingFacility names, nil when none does.
func (k *Intaker) sendingFacility(ctx context.Context, p *naaccr.Patient) (*store.Facility, error) {
	for _, t := range p.Tumors {
		if v := strings.TrimSpace(t.Items["reportingFacility"]); v != "" {
			f, err := k.Store.FacilityByIDNumber(ctx, v)
			if errors.Is(err, store.ErrNotFound) {
				return nil, nil
			}
			return f, err
		}
	}
	return nil, nil
}

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

// Process checks an intake's file from the start: structure, field and inter-field edits, and
// tumors already received. It stores the counts, the edit counts and the failing records, and
// marks the intake done (or failed, with why, when its file cannot be read). It returns an
// error only when the run was cut short (a cancelled context or a database error).
func (k *Intaker) Process(ctx context.Context, in *store.Intake) error {
	rd, f, lim, err := k.open(in, true)
	var pb *naaccr.Problem
	switch {
	case lim != nil && lim.exceeded:
		return k.Store.FailIntake(ctx, in.ID, lim.message())
	case errors.As(err, &pb):
		return k.finishStructural(ctx, in, k.newProcessor(in), pb)
	case err != nil:
		return k.Store.FailIntake(ctx, in.ID, err.Error())
	}
	defer f.Close()
	pr := k.newProcessor(in)
	if vp := versionProblem(rd); vp != nil {
		return k.finishStructural(ctx, in, pr, vp)
	}
	workers := k.Workers
	if workers <= 0 {
		workers = 1
	}
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	pr.w = startIntakeWriter(runCtx, k.Store, in.ID, cancel)
	runErr := k.Edits.RunReader(runCtx, rd, edits.BatchOptions{Workers: workers}, pr.add)
	if runErr == nil {
		runErr = pr.send(false) // the rest
	}
	// The writer's error (a database error) says more than the cancellation it caused.
	if werr := pr.w.close(); werr != nil {
		return fmt.Errorf("submission: intake %d: %w", in.ID, werr)
	}
	pr.counts.Duplicates = pr.w.duplicates
	if lim != nil && lim.exceeded {
		// Failed, not done: nothing of the file can be accepted (Accept takes done files only).
		return k.Store.FailIntake(ctx, in.ID, lim.message())
	}
	if runErr != nil && errors.As(runErr, &pb) {
		return k.finishStructural(ctx, in, pr, pb)
	}
	if runErr != nil {
		return fmt.Errorf("submission: intake %d: %w", in.ID, runErr)
	}
	return pr.finish(ctx, rd.Info())
}

func (k *Intaker) newProcessor(in *store.Intake) *processor {
	every := k.ProgressEvery
	if every <= 0 {
		every = 2000
	}
	return &processor{k: k, in: in, editCounts: map[[2]string]int{}, facility: in.FacilityID, every: every, lastSaved: time.Now()}
}

// finishStructural records a structural error as the run's last failure and ends it done.
func (k *Intaker) finishStructural(ctx context.Context, in *store.Intake, pr *processor, pb *naaccr.Problem) error {
	pr.counts.StructuralErrors = 1
	msg := pb.Error()
	pr.record([]store.IntakeFailure{{PatientIndex: max(pb.Patient-1, -1), TumorIndex: pb.Tumor - 1, EditID: EditStructure,
		Severity: string(edits.SeverityError), Item: pb.Item, Message: msg}})
	// What is left of the patients before the error is written here, without a writer.
	if err := pr.lookUpDuplicates(ctx); err != nil {
		return err
	}
	return pr.finish(ctx, nil)
}

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
		if !v.patientBad && !v.tumorBad[i] {
			pr.counts.AcceptableTumors++
		}
		if rf := strings.TrimSpace(t.Items["reportingFacility"]); rf != "" && len(pr.seen) < maxFacilitiesSeen && !slices.Contains(pr.seen, rf) {
			pr.seen = append(pr.seen, rf)
		}
		if seq := sequenceOf(t.Items); pid != "" && seq != "" {
			pr.dupKeys = append(pr.dupKeys, pid+"/"+seq)
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
	job := intakeWrite{failures: pr.failures, facility: pr.facility, dupIDs: pr.dupIDs, dupKeys: pr.dupKeys}
	if progress {
		c := pr.counts
		job.progress = &c
		pr.lastSaved = time.Now()
	}
	pr.failures, pr.dupIDs, pr.dupKeys = nil, nil, nil
	return pr.w.send(job)
}

// lookUpDuplicates counts the pending tumors the sending facility has already, in this
// goroutine (a run that ended without its writer).
func (pr *processor) lookUpDuplicates(ctx context.Context) error {
	n, err := countDuplicates(ctx, pr.k.Store, pr.facility, pr.dupIDs, pr.dupKeys)
	if err != nil {
		return err
	}
	pr.counts.Duplicates += n
	pr.dupKeys, pr.dupIDs = nil, nil
	return nil
}

func countDuplicates(ctx context.Context, st IntakeStore, facility uint, ids, keys []string) (int, error) {
	if len(keys) == 0 {
		return 0, nil
	}
	have, err := st.StoredTumorKeys(ctx, facility, ids)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, key := range keys {
		if have[key] {
			n++
		}
	}
	return n, nil
}

func (pr *processor) finish(ctx context.Context, info *naaccr.FileInfo) error {
	if err := pr.k.Store.AddIntakeFailures(ctx, pr.failures); err != nil {
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
	return pr.k.Store.FinishIntake(ctx, pr.in.ID, res)
}

// intakeWrite is one batch of database work of a run.
type intakeWrite struct {
	failures []store.IntakeFailure
	facility uint
	dupIDs   []string
	dupKeys  []string
	progress *store.IntakeCounts // nil: no progress write
}

// intakeWriter does a run's database work in a goroutine of its own: failing records, duplicate
// look-ups and progress. Its first error cancels the run.
type intakeWriter struct {
	ctx        context.Context
	st         IntakeStore
	id         uint
	jobs       chan intakeWrite
	done       chan struct{}
	cancel     context.CancelCauseFunc
	err        error // set before done is closed
	duplicates int   // likewise
}

// writerQueue is how many batches may wait for the writer.
const writerQueue = 4

func startIntakeWriter(ctx context.Context, st IntakeStore, id uint, cancel context.CancelCauseFunc) *intakeWriter {
	w := &intakeWriter{ctx: ctx, st: st, id: id, jobs: make(chan intakeWrite, writerQueue), done: make(chan struct{}), cancel: cancel}
	go w.run()
	return w
}

func (w *intakeWriter) run() {
	defer close(w.done)
	for job := range w.jobs {
		if w.err != nil {
			continue // drain: the run is being cancelled
		}
		if err := w.write(job); err != nil {
			w.err = err
			w.cancel(err)
		}
	}
}

func (w *intakeWriter) write(job intakeWrite) error {
	if err := w.st.AddIntakeFailures(w.ctx, job.failures); err != nil {
		return err
	}
	n, err := countDuplicates(w.ctx, w.st, job.facility, job.dupIDs, job.dupKeys)
	if err != nil {
		return err
	}
	w.duplicates += n
	if job.progress != nil {
		job.progress.Duplicates = w.duplicates
		return w.st.IntakeProgress(w.ctx, w.id, *job.progress)
	}
	return nil
}

// send queues a batch; it fails when the run was cancelled (by the writer's error or the caller).
func (w *intakeWriter) send(job intakeWrite) error {
	select {
	case w.jobs <- job:
		return nil
	case <-w.ctx.Done():
		return context.Cause(w.ctx)
	}
}

// close waits for the queued work and returns the writer's error.
func (w *intakeWriter) close() error {
	close(w.jobs)
	<-w.done
	return w.err
}

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
		return fmt.Sprintf("nothing new: all %d acceptable tumors were already received (%d left out for errors)", r.TumorsExisting, r.TumorsSkipped)
	}
	patients := ""
	if r.PatientsCreated > 0 {
		patients = fmt.Sprintf(" (%d new patients)", r.PatientsCreated)
	}
	return fmt.Sprintf("imported %d tumors%s as received; %d were already received; %d left out for errors",
		r.TumorsCreated, patients, r.TumorsExisting, r.TumorsSkipped)
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

// Runner processes queued intakes in the background: a few workers, each taking the oldest
// queued intake. Jobs live in the database, so a restarted process (or another one) picks up
// what a stopped one left: a running intake whose heartbeat is older than StaleAfter is queued
// again and processed from the start.
type Runner struct {
	Intaker    *Intaker
	Workers    int           // jobs at once; 1 when 0
	Poll       time.Duration // how often an idle worker looks for work; 2s when 0
	Heartbeat  time.Duration // how often a running job says it is alive; 20s when 0
	StaleAfter time.Duration // a running job silent this long is taken over; 2 minutes when 0
	Log        *slog.Logger

	once sync.Once
	wake chan struct{}
}

func (r *Runner) init() {
	r.once.Do(func() {
		r.wake = make(chan struct{}, 1)
		if r.Workers <= 0 {
			r.Workers = 1
		}
		if r.Poll <= 0 {
			r.Poll = 2 * time.Second
		}
		if r.Heartbeat <= 0 {
			r.Heartbeat = 20 * time.Second
		}
		if r.StaleAfter <= 0 {
			r.StaleAfter = 2 * time.Minute
		}
		if r.Log == nil {
			r.Log = slog.Default()
		}
	})
}

// Wake tells an idle worker that a job was queued.
func (r *Runner) Wake() {
	r.init()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run works until ctx is cancelled; a job cut short by that is queued again.
func (r *Runner) Run(ctx context.Context) {
	r.init()
	var wg sync.WaitGroup
	for range r.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.work(ctx)
		}()
	}
	wg.Wait()
}

// RunOnce requeues stale jobs and processes queued ones until none is left; for tests and the
// command line.
func (r *Runner) RunOnce(ctx context.Context) error {
	r.init()
	if _, err := r.Intaker.Store.RequeueStaleIntakes(ctx, r.Intaker.now().Add(-r.StaleAfter)); err != nil {
		return err
	}
	for {
		ok, err := r.step(ctx)
		if err != nil || !ok {
			return err
		}
	}
}

func (r *Runner) work(ctx context.Context) {
	lastSweep := time.Time{}
	for ctx.Err() == nil {
		if time.Since(lastSweep) > r.StaleAfter/2 {
			lastSweep = time.Now()
			if n, err := r.Intaker.Store.RequeueStaleIntakes(ctx, r.Intaker.now().Add(-r.StaleAfter)); err != nil {
				r.Log.Error("intake: requeue stale jobs", "err", err)
			} else if n > 0 {
				r.Log.Info("intake: requeued jobs left running", "count", n)
			}
		}
		ok, err := r.step(ctx)
		if err != nil && ctx.Err() == nil {
			r.Log.Error("intake: job", "err", err)
		}
		if ok {
			continue
		}
		t := time.NewTimer(r.Poll)
		select {
		case <-ctx.Done():
		case <-r.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// step claims and processes one job; it reports whether there was one.
func (r *Runner) step(ctx context.Context) (bool, error) {
	in, err := r.Intaker.Store.ClaimIntake(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	jobCtx, cancel := context.WithCancel(ctx)
	beat := make(chan struct{})
	go func() {
		defer close(beat)
		t := time.NewTicker(r.Heartbeat)
		defer t.Stop()
		for {
			select {
			case <-jobCtx.Done():
				return
			case <-t.C:
				if err := r.Intaker.Store.TouchIntake(jobCtx, in.ID); err != nil && jobCtx.Err() == nil {
					r.Log.Error("intake: heartbeat", "intake", in.ID, "err", err)
				}
			}
		}
	}()
	err = r.Intaker.Process(jobCtx, in)
	cancel()
	<-beat
	if err != nil {
		if ctx.Err() != nil {
			// Shutting down: put it back for the next start, with a context of its own.
			back, done := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer done()
			if rerr := r.Intaker.Store.RequeueIntake(back, in.ID); rerr != nil {
				r.Log.Error("intake: requeue on shutdown", "intake", in.ID, "err", rerr)
			}
			return true, err
		}
		back, done := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer done()
		if ferr := r.Intaker.Store.FailIntake(back, in.ID, "checking the file stopped: "+err.Error()); ferr != nil {
			r.Log.Error("intake: mark failed", "intake", in.ID, "err", ferr)
		}
		return true, err
	}
	return true, nil
}

// WriteReport writes an intake's report: "text" (summary, counts by edit and the failing
// records), "csv" (one line per stored failing record) or "html" (the batch edit report page).
func (k *Intaker) WriteReport(ctx context.Context, w io.Writer, in *store.Intake, format string) error {
	counts, err := k.Store.IntakeEditCounts(ctx, in.ID)
	if err != nil {
		return err
	}
	names := map[string]string{}
	if k.Edits != nil {
		for _, ed := range k.Edits.Edits {
			names[ed.ID] = ed.Name
		}
	}
	total := in.EditErrors + in.EditWarnings + in.StructuralErrors
	var notes []string
	notes = append(notes, fmt.Sprintf("NAACCR version %s, record type %s; %d tumors already received; %d tumors without error-severity failures.",
		orDash(in.NaaccrVersion), orDash(in.RecordType), in.Duplicates, in.AcceptableTumors))
	if total > in.FailuresStored {
		notes = append(notes, fmt.Sprintf("Only the first %d of %d failures are listed (at most %d are kept per intake).", in.FailuresStored, total, MaxIntakeFailures))
	}
	switch format {
	case "csv":
		cw := csvsafe.NewWriter(w)
		_ = cw.Write([]string{"patient", "tumor", "patientIdNumber", "sequence", "edit", "severity", "item", "message"})
		err := k.Store.EachIntakeFailure(ctx, in.ID, func(f *store.IntakeFailure) error {
			return cw.Write([]string{strconv.Itoa(f.PatientIndex), strconv.Itoa(f.TumorIndex), f.PatientIDNumber, f.TumorSequence, f.EditID, f.Severity, f.Item, f.Message})
		})
		if err != nil {
			return err
		}
		cw.Flush()
		return cw.Error()
	case "html":
		byID := map[string]*edits.EditSummary{}
		var list []*edits.EditSummary
		for _, c := range counts {
			key := c.EditID + "\x00" + c.Severity
			s := &edits.EditSummary{ID: c.EditID, Name: cmpOr(names[c.EditID], c.EditID), Severity: c.Severity, Count: c.Count}
			byID[key] = s
			list = append(list, s)
		}
		err := k.Store.EachIntakeFailure(ctx, in.ID, func(f *store.IntakeFailure) error {
			if s := byID[f.EditID+"\x00"+f.Severity]; s != nil && len(s.Examples) < edits.MaxExamplesPerEdit {
				s.Examples = append(s.Examples, edits.Failure{Patient: f.PatientIndex, Tumor: f.TumorIndex, PatientIDNumber: f.PatientIDNumber,
					Edit: f.EditID, Severity: f.Severity, Items: []string{f.Item}, Message: f.Message})
			}
			return nil
		})
		if err != nil {
			return err
		}
		return edits.WriteHTMLReport(w, edits.HTMLReport{File: in.FileName, Patients: in.Patients, Tumors: in.Tumors,
			Errors: in.EditErrors + in.StructuralErrors, Warnings: in.EditWarnings, Failed: in.Tumors - in.AcceptableTumors,
			Edits: list, Notes: notes})
	}
	fmt.Fprintf(w, "%s: %s; %d patients, %d tumors; %d error and %d warning failures; %d structural errors; %d tumors acceptable; %d already received\n",
		in.FileName, in.State, in.Patients, in.Tumors, in.EditErrors, in.EditWarnings, in.StructuralErrors, in.AcceptableTumors, in.Duplicates)
	fmt.Fprintf(w, "NAACCR version %s, record type %s, reporting facilities %s\n", orDash(in.NaaccrVersion), orDash(in.RecordType), in.FacilitiesSeen)
	if in.Error != "" {
		fmt.Fprintf(w, "failed: %s\n", in.Error)
	}
	for _, c := range counts {
		fmt.Fprintf(w, "  %6d  %-7s  %-40s %s\n", c.Count, c.Severity, c.EditID, names[c.EditID])
	}
	if total > in.FailuresStored {
		fmt.Fprintln(w, notes[len(notes)-1])
	}
	return k.Store.EachIntakeFailure(ctx, in.ID, func(f *store.IntakeFailure) error {
		tumor := "patient"
		if f.TumorIndex >= 0 {
			tumor = "tumor " + strconv.Itoa(f.TumorIndex)
		}
		_, err := fmt.Fprintf(w, "patient %d (%s), %s: %s %s: %s\n", f.PatientIndex, f.PatientIDNumber, tumor, f.Severity, f.EditID, f.Message)
		return err
	})
}

func orDash(s string) string { return cmpOr(s, "–") }

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
