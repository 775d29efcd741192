package submission

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

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
	// The writes of a run name the claim it runs under (Intake.ClaimedBy, the lease): one whose
	// claim another process took over is store.ErrLeaseLost.
	RequeueIntake(ctx context.Context, id uint, claim string) error
	TouchIntake(ctx context.Context, id uint, claim string) error
	IntakeProgress(ctx context.Context, id uint, claim string, c store.IntakeCounts) error
	AddIntakeFailures(ctx context.Context, claim string, fs []store.IntakeFailure) error
	FinishIntake(ctx context.Context, id uint, claim string, r store.IntakeResult) error
	FailIntake(ctx context.Context, id uint, claim, reason string) error
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
	// The reader parses patients on as many goroutines as the edits run on (one when Workers is 0).
	rd, err := naaccr.NewReader(src, naaccr.ReaderOptions{Registry: k.Registry, Relaxed: k.Relaxed, Workers: k.Workers})
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

// Process checks an intake's file from the start: structure, field and inter-field edits, and
// tumors already received. It stores the counts, the edit counts and the failing records, and
// marks the intake done (or failed, with why, when its file cannot be read). It returns an
// error only when the run was cut short (a cancelled context or a database error).
func (k *Intaker) Process(ctx context.Context, in *store.Intake) error {
	rd, f, lim, err := k.open(in, true)
	var pb *naaccr.Problem
	switch {
	case lim != nil && lim.exceeded:
		return k.Store.FailIntake(ctx, in.ID, in.ClaimedBy, lim.message())
	case errors.As(err, &pb):
		return k.finishStructural(ctx, in, k.newProcessor(in), pb)
	case err != nil:
		return k.Store.FailIntake(ctx, in.ID, in.ClaimedBy, err.Error())
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
	pr.w = startIntakeWriter(runCtx, k.Store, in.ID, in.ClaimedBy, cancel)
	runErr := k.Edits.RunReader(runCtx, rd, edits.BatchOptions{Workers: workers}, pr.add)
	if runErr == nil {
		runErr = pr.send(false) // the rest
	}
	// The writer's error (a database error) says more than the cancellation it caused.
	if werr := pr.w.close(); werr != nil {
		return fmt.Errorf("submission: intake %d: %w", in.ID, werr)
	}
	pr.counts.Duplicates, pr.counts.ReceivedTumors = pr.w.duplicates, pr.w.existing
	if lim != nil && lim.exceeded {
		// Failed, not done: nothing of the file can be accepted (Accept takes done files only).
		return k.Store.FailIntake(ctx, in.ID, in.ClaimedBy, lim.message())
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
