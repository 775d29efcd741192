package submission_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/codes"
	"github.com/cara-registry/cara/internal/edits"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/staging"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
	"github.com/cara-registry/cara/internal/submission"
	"github.com/cara-registry/cara/schemas"
)

var loadBatchDeps = sync.OnceValues(func() (*batchDeps, error) {
	dict, err := naaccr.LoadBaseDictionary(schemas.FS, naaccr.CurrentVersion)
	if err != nil {
		return nil, err
	}
	tables, err := codes.Load(schemas.FS)
	if err != nil {
		return nil, err
	}
	stg, err := staging.Load(schemas.FS)
	if err != nil {
		return nil, err
	}
	set, err := edits.Load(schemas.FS, dict, tables, stg)
	if err != nil {
		return nil, err
	}
	formats, err := submission.LoadFormats(schemas.FS)
	if err != nil {
		return nil, err
	}
	return &batchDeps{edits: set, formats: formats}, nil
})

type batchDeps struct {
	edits   *edits.Set
	formats *submission.Formats
}

// cleanPatient is a patient whose one tumor passes every edit (n makes the ids unique).
func cleanPatient(n int) naaccr.Patient {
	return naaccr.Patient{
		Items: map[string]string{
			"patientIdNumber": fmt.Sprintf("%08d", n), "nameLast": fmt.Sprintf("Jones%d", n), "nameFirst": "Robert",
			"dateOfBirth": "19470211", "sexAssignedAtBirth": "1", "race1": "02", "spanishHispanicOrigin": "0",
			"dateOfLastContact": "20260801", "vitalStatus": "1",
		},
		Tumors: []naaccr.Tumor{{Items: map[string]string{
			"medicalRecordNumber": fmt.Sprintf("MR%06d", n), "accessionNumberHosp": fmt.Sprintf("2024%05d", n),
			"sequenceNumberHospital": "00", "dateOfDiagnosis": "20240120", "primarySite": "C619", "laterality": "0",
			"histologicTypeIcdO3": "8140", "behaviorCodeIcdO3": "3", "diagnosticConfirmation": "1",
			"classOfCase": "10", "typeOfReportingSource": "1",
		}}},
	}
}

type batchEnv struct {
	s       *store.Store
	b       *submission.Batcher
	fac     *store.Facility
	dir     string
	tumors  []uint // approved cases, in creation order
	userID  uint
	deps    *batchDeps
	patient func(n int) naaccr.Patient
}

// newBatchEnv makes a facility with n clean approved cases.
func newBatchEnv(t *testing.T, s *store.Store, n int) *batchEnv {
	t.Helper()
	ctx := context.Background()
	deps, err := loadBatchDeps()
	if err != nil {
		t.Fatal(err)
	}
	fac := &store.Facility{Code: "F1", Name: "General Hospital", IDNumber: "0012345678"}
	if err := s.CreateFacility(ctx, fac); err != nil {
		t.Fatal(err)
	}
	u := &store.User{Username: "reg", Role: "registrar", FacilityID: &fac.ID}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	e := &batchEnv{s: s, fac: fac, dir: t.TempDir(), userID: u.ID, deps: deps, patient: cleanPatient}
	e.b = &submission.Batcher{Store: s, Edits: deps.edits, Formats: deps.formats, Dir: e.dir, Now: func() time.Time { return storetest.Clock }}
	for i := 1; i <= n; i++ {
		e.add(t, cleanPatient(i), abstract.StatusApproved)
	}
	return e
}

func (e *batchEnv) add(t *testing.T, p naaccr.Patient, status abstract.Status) uint {
	t.Helper()
	row, err := e.s.CreatePatient(context.Background(), e.fac.ID, p, string(status))
	if err != nil {
		t.Fatal(err)
	}
	ts, err := e.s.PatientTumors(context.Background(), row.ID, store.AllFacilities)
	if err != nil || len(ts) != 1 {
		t.Fatalf("tumors of new patient: %v (%d)", err, len(ts))
	}
	if status == abstract.StatusApproved {
		e.tumors = append(e.tumors, ts[0].ID)
	}
	return ts[0].ID
}

func (e *batchEnv) opts() submission.BatchOptions {
	return submission.BatchOptions{FacilityID: e.fac.ID, Scope: store.FacilityScope(e.fac.ID), UserID: &e.userID}
}

func (e *batchEnv) status(t *testing.T, id uint) string {
	t.Helper()
	c, err := e.s.LoadCase(context.Background(), id, store.AllFacilities)
	if err != nil {
		t.Fatal(err)
	}
	return c.Tumor.Status
}

// files lists the names in the submission directory, temporary files included.
func (e *batchEnv) files(t *testing.T) []string {
	t.Helper()
	ents, err := os.ReadDir(e.dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	var out []string
	for _, de := range ents {
		out = append(out, de.Name())
	}
	return out
}

func TestBatchSendsCleanCasesHoldsFailingOnesAndRecordsTheFile(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		e := newBatchEnv(t, s, 3)
		bad := cleanPatient(9)
		bad.Tumors[0].Items["primarySite"] = "C999" // not a topography code: an error
		badID := e.add(t, bad, abstract.StatusApproved)
		draft := e.add(t, cleanPatient(10), abstract.StatusDraft)

		reg, corr, err := s.CountPending(ctx, store.PendingFilter{FacilityID: e.fac.ID, Scope: store.AllFacilities})
		if err != nil || reg != 4 || corr != 0 {
			t.Fatalf("pending %d regular, %d correction (%v), want 4, 0", reg, corr, err)
		}
		res, err := e.b.Create(ctx, e.opts())
		if err != nil {
			t.Fatalf("create batch: %v", err)
		}
		sub := res.Submission
		if sub.FileName != "0012345678_20261102_001.xml" || sub.StoragePath != sub.FileName {
			t.Errorf("file name %q, storage path %q", sub.FileName, sub.StoragePath)
		}
		if sub.TumorCount != 3 || sub.PatientCount != 3 || sub.HeldCount != 1 || sub.Kind != store.SubmissionRegular {
			t.Errorf("batch counts tumors %d patients %d held %d kind %s", sub.TumorCount, sub.PatientCount, sub.HeldCount, sub.Kind)
		}
		if len(res.Held) != 1 || res.Held[0].TumorID != badID || !strings.Contains(fmt.Sprint(res.Held[0].Failures), "primarySite") {
			t.Errorf("held %+v, want case %d for its primary site", res.Held, badID)
		}
		b, err := os.ReadFile(filepath.Join(e.dir, sub.FileName))
		if err != nil {
			t.Fatal(err)
		}
		sum, size, _ := submission.FileSHA256(filepath.Join(e.dir, sub.FileName))
		if sum != sub.SHA256 || size != sub.SizeBytes {
			t.Errorf("file sha256 %s size %d, recorded %s %d", sum, size, sub.SHA256, sub.SizeBytes)
		}
		if got := int64(bytes.Count(b, []byte("<Item "))); got != sub.ItemCount {
			t.Errorf("file has %d items, recorded %d", got, sub.ItemCount)
		}
		if bytes.Contains(b, []byte("MR000009")) || !bytes.Contains(b, []byte("MR000001")) {
			t.Errorf("file should hold the clean cases and not the held one")
		}
		if names := e.files(t); len(names) != 1 {
			t.Errorf("submission directory holds %v, want only the batch file", names)
		}
		for _, id := range e.tumors {
			want := "submitted"
			if id == badID {
				want = "approved"
			}
			if got := e.status(t, id); got != want {
				t.Errorf("case %d is %s, want %s", id, got, want)
			}
		}
		if got := e.status(t, draft); got != "draft" {
			t.Errorf("draft case became %s", got)
		}
		hist, err := s.StatusHistory(ctx, e.tumors[0], store.AllFacilities)
		if err != nil || len(hist) != 1 || hist[0].Action != "submit" || hist[0].UserID == nil || *hist[0].UserID != e.userID {
			t.Errorf("status history %+v (%v), want one submit by the user", hist, err)
		}
		ch, err := s.CaseHistory(ctx, e.tumors[0], store.AllFacilities)
		if err != nil || len(ch.Events) != 1 || ch.Events[0].Action != "submission.create" {
			t.Errorf("audit history of a sent case %+v (%v), want the batch's event", ch, err)
		}
		if evs, _ := s.AuditEvents(ctx, "submission", fmt.Sprint(sub.ID), 10); len(evs) != 1 || evs[0].Action != "submission.create" {
			t.Errorf("audit of the batch %+v", evs)
		}
		cases, err := s.SubmissionCases(ctx, sub.ID, store.FacilityScope(e.fac.ID), 0)
		if err != nil || len(cases) != 1 || !cases[0].Held || cases[0].TumorID != badID {
			t.Errorf("batch cases with failures %+v (%v)", cases, err)
		}
		if _, err := s.SubmissionByID(ctx, sub.ID, store.FacilityScope(e.fac.ID+100)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("batch seen from another facility: %v", err)
		}

		// Nothing is left to send: the held case still fails.
		if _, err := e.b.Create(ctx, e.opts()); !errors.Is(err, submission.ErrNothingToSubmit) {
			t.Errorf("second batch: %v, want nothing to submit", err)
		}
		if names := e.files(t); len(names) != 1 {
			t.Errorf("a refused batch left files: %v", names)
		}
		list, err := s.Submissions(ctx, store.FacilityScope(e.fac.ID), 0, 10)
		if err != nil || len(list) != 1 || list[0].CreatedByName != "reg" || list[0].FacilityCode != "F1" {
			t.Errorf("history %+v (%v)", list, err)
		}
	})
}

// cancellingStore cancels the context after a number of patients, in the middle of the file.
type cancellingStore struct {
	*store.Store
	after  int
	cancel context.CancelFunc
}

func (c *cancellingStore) EachPendingPatient(ctx context.Context, f store.PendingFilter, n int, fn func(*store.Patient, []store.Tumor) error) error {
	seen := 0
	return c.Store.EachPendingPatient(ctx, f, 2, func(p *store.Patient, ts []store.Tumor) error {
		if seen++; seen == c.after {
			c.cancel()
		}
		return fn(p, ts)
	})
}

func TestBatchCancelledWhileWritingLeavesNothingAndRerunCompletes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := newBatchEnv(t, s, 6)
		ctx, cancel := context.WithCancel(context.Background())
		b := *e.b
		b.Store = &cancellingStore{Store: s, after: 3, cancel: cancel}
		if _, err := b.Create(ctx, e.opts()); !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled batch: %v, want context.Canceled", err)
		}
		if names := e.files(t); len(names) != 0 {
			t.Errorf("cancelled batch left files %v", names)
		}
		if list, _ := s.Submissions(context.Background(), store.AllFacilities, 0, 0); len(list) != 0 {
			t.Errorf("cancelled batch recorded %+v", list)
		}
		for _, id := range e.tumors {
			if got := e.status(t, id); got != "approved" {
				t.Errorf("case %d is %s after the cancelled batch", id, got)
			}
		}
		res, err := e.b.Create(context.Background(), e.opts())
		if err != nil || res.Submission.TumorCount != 6 {
			t.Fatalf("re-run: %v", err)
		}
		if names := e.files(t); len(names) != 1 || names[0] != res.Submission.FileName {
			t.Errorf("after the re-run the directory holds %v", names)
		}
	})
}

// changingStore changes a case after it is read for the batch and before it is checked, written
// and recorded.
type changingStore struct {
	*store.Store
	victim uint
	change func()
}

func (c *changingStore) EachPendingPatient(ctx context.Context, f store.PendingFilter, n int, fn func(*store.Patient, []store.Tumor) error) error {
	return c.Store.EachPendingPatient(ctx, f, n, func(p *store.Patient, ts []store.Tumor) error {
		for _, t := range ts {
			if t.ID == c.victim {
				c.change()
			}
		}
		return fn(p, ts)
	})
}

func TestBatchFailsWhenACaseChangedWhileItWasWritten(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		e := newBatchEnv(t, s, 3)
		b := *e.b
		victim := e.tumors[1]
		b.Store = &changingStore{Store: s, victim: victim, change: func() {
			if _, err := s.ChangeStatus(ctx, store.StatusUpdate{TumorID: victim, Scope: store.AllFacilities, Action: "reopen",
				From: "approved", To: "draft", Reason: "wrong site"}); err != nil {
				t.Fatal(err)
			}
		}}
		_, err := b.Create(ctx, e.opts())
		if !errors.Is(err, store.ErrConflict) || !strings.Contains(err.Error(), fmt.Sprintf("case %d changed", victim)) {
			t.Fatalf("batch with a changed case: %v, want a conflict naming case %d", err, victim)
		}
		if names := e.files(t); len(names) != 0 {
			t.Errorf("failed batch left files %v", names)
		}
		for _, id := range []uint{e.tumors[0], e.tumors[2]} {
			if got := e.status(t, id); got != "approved" {
				t.Errorf("case %d is %s after the failed batch", id, got)
			}
		}
		if list, _ := s.Submissions(ctx, store.AllFacilities, 0, 0); len(list) != 0 {
			t.Errorf("failed batch recorded %+v", list)
		}
	})
}

func TestCorrectionBatchResendsCasesApprovedAgain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		e := newBatchEnv(t, s, 2)
		first, err := e.b.Create(ctx, e.opts())
		if err != nil {
			t.Fatal(err)
		}
		id := e.tumors[0]
		for _, st := range []store.StatusUpdate{
			{Action: "reopen", From: "submitted", To: "draft", Reason: "histology corrected"},
			{Action: "send", From: "draft", To: "in_review"},
			{Action: "approve", From: "in_review", To: "approved"},
		} {
			st.TumorID, st.Scope = id, store.AllFacilities
			if _, err := s.ChangeStatus(ctx, st); err != nil {
				t.Fatal(err)
			}
		}
		reg, corr, err := s.CountPending(ctx, store.PendingFilter{FacilityID: e.fac.ID, Scope: store.AllFacilities})
		if err != nil || reg != 0 || corr != 1 {
			t.Fatalf("pending %d regular, %d correction (%v), want 0, 1", reg, corr, err)
		}
		if _, err := e.b.Create(ctx, e.opts()); !errors.Is(err, submission.ErrNothingToSubmit) {
			t.Errorf("regular batch took a resent case: %v", err)
		}
		opt := e.opts()
		opt.Correction, opt.Gzip = true, true
		res, err := e.b.Create(ctx, opt)
		if err != nil {
			t.Fatal(err)
		}
		sub := res.Submission
		if sub.Kind != store.SubmissionCorrection || sub.TumorCount != 1 || sub.FileName != "0012345678_20261102_002.xml.gz" {
			t.Errorf("correction batch %+v (first was %s)", sub, first.Submission.FileName)
		}
		f, err := os.Open(filepath.Join(e.dir, sub.FileName))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(zr)
		if !bytes.Contains(b, []byte("MR000001")) || bytes.Contains(b, []byte("MR000002")) {
			t.Errorf("correction file holds the wrong cases:\n%s", b)
		}
		if got := e.status(t, id); got != "submitted" {
			t.Errorf("resent case is %s", got)
		}
	})
}

func TestBatchWritesVersionAndRecordType(t *testing.T) {
	s := storetest.New(t, store.DialectSQLite)
	ctx := context.Background()
	e := newBatchEnv(t, s, 2)
	opt := e.opts()
	opt.Version, opt.RecordType = "250", "I"
	res, err := e.b.Create(ctx, opt)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(e.dir, res.Submission.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`naaccr-dictionary-250.xml`)) || !bytes.Contains(b, []byte(`recordType="I"`)) {
		t.Errorf("header of a 250 I file:\n%s", b[:300])
	}
	// Names are confidential items: an incidence record leaves them out.
	if bytes.Contains(b, []byte("nameLast")) || !bytes.Contains(b, []byte("primarySite")) {
		t.Errorf("record type I file carries names or lacks the site:\n%s", b)
	}
	if res.Submission.NaaccrVersion != "250" || res.Submission.RecordType != "I" {
		t.Errorf("recorded %+v", res.Submission)
	}
	if r := res.Submission.TranslationReport; r == nil || !strings.HasPrefix(*r, "NAACCR 260 to 250:") {
		t.Errorf("translation report of a 250 batch: %v", r)
	}
	for _, bad := range []submission.BatchOptions{{Version: "240"}, {RecordType: "X"}, {From: "2024133"}} {
		o := e.opts()
		o.Version, o.RecordType, o.From = bad.Version, bad.RecordType, bad.From
		if _, err := e.b.Create(ctx, o); err == nil {
			t.Errorf("batch with %+v accepted", bad)
		}
	}
	o := e.opts()
	o.Scope = store.FacilityScope(e.fac.ID + 1)
	if _, err := e.b.Create(ctx, o); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("batch of a facility out of scope: %v", err)
	}
}

func TestBatchRemovesAKilledBatchsTemporaryKeepsARunningOnesAndWritesOwnerOnlyFiles(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := newBatchEnv(t, s, 1)
		e.dir = filepath.Join(e.dir, "submissions") // created by the batch
		e.b.Dir = e.dir
		if err := os.MkdirAll(e.dir, 0o755); err != nil {
			t.Fatal(err)
		}
		// A batch killed with kill -9 an afternoon ago (the name older caras used), and one
		// another cara process is writing now.
		killed := filepath.Join(e.dir, ".batch-1234567.tmp")
		running := filepath.Join(e.dir, ".cara-batch-89abcdef.tmp")
		for _, p := range []string{killed, running} {
			if err := os.WriteFile(p, []byte("<Patient>Jane Doe 19500101</Patient>"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		old := time.Now().Add(-3 * time.Hour)
		if err := os.Chtimes(killed, old, old); err != nil {
			t.Fatal(err)
		}
		res, err := e.b.Create(context.Background(), e.opts())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(killed); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the killed batch's temporary is still there (%v)", err)
		}
		if _, err := os.Stat(running); err != nil {
			t.Errorf("the running batch's temporary was removed: %v", err)
		}
		fi, err := os.Stat(filepath.Join(e.dir, res.Submission.FileName))
		if err != nil {
			t.Fatal(err)
		}
		if m := fi.Mode().Perm(); m != 0o600 {
			t.Errorf("batch file mode %v, want 0600", m)
		}
	})
}

func TestBatchCreatesItsDirectoryForCarasUserOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := newBatchEnv(t, s, 1)
		e.b.Dir = filepath.Join(e.dir, "new")
		if _, err := e.b.Create(context.Background(), e.opts()); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(e.b.Dir)
		if err != nil {
			t.Fatal(err)
		}
		if m := fi.Mode().Perm(); m != 0o700 {
			t.Errorf("submission directory mode %v, want 0700", m)
		}
	})
}

// TestBatchPreviewWritesNothingAndCreateTakesOnlyThePreviewedCases: a preview counts what a
// batch would send and hold back without a file, a link or a case marked; a batch confirmed
// for it is made while its cases are unchanged, and refused (ErrPreviewChanged, a conflict)
// when a case was approved meanwhile, leaving nothing.
func TestBatchPreviewWritesNothingAndCreateTakesOnlyThePreviewedCases(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		e := newBatchEnv(t, s, 2)
		bad := cleanPatient(9)
		bad.Tumors[0].Items["primarySite"] = "C999"
		badID := e.add(t, bad, abstract.StatusApproved)

		pre, err := e.b.Preview(ctx, e.opts())
		if err != nil {
			t.Fatalf("preview: %v", err)
		}
		if pre.Tumors != 2 || pre.Patients != 2 || pre.HeldCount != 1 || len(pre.Held) != 1 || pre.Held[0].TumorID != badID || pre.Submission != nil {
			t.Errorf("preview sends %d tumors of %d patients, holds %d (%+v), batch %v", pre.Tumors, pre.Patients, pre.HeldCount, pre.Held, pre.Submission)
		}
		if names := e.files(t); len(names) != 0 {
			t.Errorf("a preview left files %v", names)
		}
		for _, id := range e.tumors {
			if got := e.status(t, id); got != "approved" {
				t.Errorf("case %d is %s after a preview", id, got)
			}
		}

		// A case approved since the preview: the confirmed batch is refused, nothing is left.
		late := e.add(t, cleanPatient(10), abstract.StatusApproved)
		opt := e.opts()
		opt.Expect = pre.Cases
		res, err := e.b.Create(ctx, opt)
		if !errors.Is(err, submission.ErrPreviewChanged) || !errors.Is(err, store.ErrConflict) {
			t.Fatalf("create for a stale preview: %v, want ErrPreviewChanged", err)
		}
		if res.Cases == pre.Cases {
			t.Error("the batch's cases name the preview's after a case was added")
		}
		if names := e.files(t); len(names) != 0 {
			t.Errorf("a refused batch left files %v", names)
		}
		if got := e.status(t, late); got != "approved" {
			t.Errorf("case %d is %s after a refused batch", late, got)
		}

		// Confirmed for the current preview, the batch is made.
		if pre, err = e.b.Preview(ctx, e.opts()); err != nil {
			t.Fatal(err)
		}
		opt.Expect = pre.Cases
		if res, err = e.b.Create(ctx, opt); err != nil || res.Submission.TumorCount != 3 || res.Cases != pre.Cases {
			t.Fatalf("create for the current preview: %v, %+v", err, res)
		}
	})
}

// A batch killed between its file's rename and its commit leaves a file under a batch's name
// that no batch names (the kill itself is the cluster fault test's; here its aftermath). The
// next batch removes it once stale, and keeps a recorded batch's file however old, a fresh
// unrecorded one (another process's batch between its rename and its commit) and files of
// other names.
func TestBatchRemovesAStaleOrphanBatchFileAndKeepsRecordedAndFreshOnes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		e := newBatchEnv(t, s, 1)
		first, err := e.b.Create(ctx, e.opts())
		if err != nil {
			t.Fatal(err)
		}
		recorded := filepath.Join(e.dir, first.Submission.FileName)
		orphan := filepath.Join(e.dir, "0012345678_20260101_001.xml.gz")
		fresh := filepath.Join(e.dir, "0012345678_20260102_001.xml")
		other := filepath.Join(e.dir, "notes_20260101_001.txt")
		for _, p := range []string{orphan, fresh, other} {
			if err := os.WriteFile(p, []byte("<Patient>Jane Doe 19500101</Patient>"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		old := time.Now().Add(-3 * time.Hour)
		for _, p := range []string{recorded, orphan, other} {
			if err := os.Chtimes(p, old, old); err != nil {
				t.Fatal(err)
			}
		}
		e.add(t, cleanPatient(2), abstract.StatusApproved)
		second, err := e.b.Create(ctx, e.opts())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(orphan); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the stale orphan batch file is still there (%v)", err)
		}
		for _, p := range []string{recorded, fresh, other, filepath.Join(e.dir, second.Submission.FileName)} {
			if _, err := os.Stat(p); err != nil {
				t.Errorf("%s was removed: %v", filepath.Base(p), err)
			}
		}
		// Once the fresh one is stale too, it goes; the recorded ones stay.
		removed, err := submission.SweepOrphans(ctx, s, e.dir, time.Now().Add(2*time.Hour))
		if err != nil || len(removed) != 1 || removed[0] != fresh {
			t.Errorf("sweep two hours on: removed %v (%v), want only %s", removed, err, fresh)
		}
		got, err := s.RecordedSubmissionFiles(ctx, []string{first.Submission.FileName, second.Submission.FileName, filepath.Base(orphan)})
		if err != nil || len(got) != 2 || !got[first.Submission.FileName] || !got[second.Submission.FileName] {
			t.Errorf("recorded files: %v (%v), want the two batches'", got, err)
		}
	})
}
