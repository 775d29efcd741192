package submission_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cara-registry/cara/internal/edits"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
	"github.com/cara-registry/cara/internal/submission"
	"github.com/cara-registry/cara/internal/synth"
)

// editSet is the edit set the batch tests load once too.
func editSet() (*edits.Set, error) {
	deps, err := loadBatchDeps()
	if err != nil {
		return nil, err
	}
	return deps.edits, nil
}

func newIntaker(t testing.TB, s *store.Store) *submission.Intaker {
	t.Helper()
	set, err := editSet()
	if err != nil {
		t.Fatal(err)
	}
	reg, err := registry()
	if err != nil {
		t.Fatal(err)
	}
	return &submission.Intaker{Store: s, Edits: set, Registry: reg, ProgressEvery: 7, BatchSize: 4,
		Now: func() time.Time { return storetest.Clock }}
}

// writeSynthetic writes n synthetic patients to path (gzip when it ends in .gz); change, when set,
// alters each patient (by its 0-based index) before it is written. It returns the tumor count.
func writeSynthetic(t testing.TB, path string, n int, change func(i int, p *naaccr.Patient)) int {
	t.Helper()
	g, err := synth.NewGenerator(synth.Options{Patients: n, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := naaccr.NewWriter(&buf, g.Dictionary(), g.Header())
	if err != nil {
		t.Fatal(err)
	}
	var p naaccr.Patient
	tumors := 0
	for i := 0; g.Next(&p); i++ {
		if change != nil {
			change(i, &p)
		}
		tumors += len(p.Tumors)
		if err := w.WritePatient(&p); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	if strings.HasSuffix(path, ".gz") {
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		zw.Write(data)
		zw.Close()
		data = z.Bytes()
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return tumors
}

// breakSite gives a tumor a primary site that is not an ICD-O-3 code: an error-severity failure.
func breakSite(p *naaccr.Patient, tumor int) { p.Tumors[tumor].Items["primarySite"] = "C999" }

func newFacility(t testing.TB, s *store.Store, code string) *store.Facility {
	t.Helper()
	f := &store.Facility{Code: code, Name: "Facility " + code}
	if err := s.CreateFacility(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	return f
}

func queue(t testing.TB, s *store.Store, facility uint, path string) *store.Intake {
	t.Helper()
	in := &store.Intake{FacilityID: facility, FileName: filepath.Base(path), StoredPath: path, SHA256: strings.Repeat("0", 64), CreatedAt: storetest.Clock}
	if err := s.CreateIntake(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	return in
}

func runQueued(t testing.TB, k *submission.Intaker) {
	t.Helper()
	r := &submission.Runner{Intaker: k}
	if err := r.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func loadIntake(t testing.TB, s *store.Store, id uint) *store.Intake {
	t.Helper()
	in, err := s.Intake(context.Background(), id, store.AllFacilities)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func TestIntakeProcessesQueuedFile(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		fac := newFacility(t, s, "F1")
		path := filepath.Join(t.TempDir(), "sub.xml.gz")
		tumors := writeSynthetic(t, path, 30, func(i int, p *naaccr.Patient) {
			if i == 4 {
				breakSite(p, 0)
			}
		})
		in := queue(t, s, fac.ID, path)
		runQueued(t, newIntaker(t, s))

		got := loadIntake(t, s, in.ID)
		if got.State != store.IntakeDone {
			t.Fatalf("state %s (%s), want done", got.State, got.Error)
		}
		if got.Patients != 30 || got.Tumors != tumors || got.NaaccrVersion != "260" || got.RecordType != "A" {
			t.Errorf("summary: %d patients, %d tumors, v%s type %s; want 30, %d, v260, A", got.Patients, got.Tumors, got.NaaccrVersion, got.RecordType, tumors)
		}
		if got.EditErrors < 1 || got.AcceptableTumors > tumors-1 || got.StructuralErrors != 0 {
			t.Errorf("errors %d, acceptable %d of %d, structural %d; want the broken site counted", got.EditErrors, got.AcceptableTumors, tumors, got.StructuralErrors)
		}
		fails, total, err := s.IntakeFailures(ctx, store.IntakeFailureQuery{IntakeID: in.ID, Severity: "error", Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, f := range fails {
			if f.PatientIndex == 4 && f.TumorIndex == 0 && strings.Contains(f.Message+f.Item, "rimary") {
				found = true
			}
		}
		if !found || total == 0 {
			t.Errorf("no failure stored for patient 4's primary site: %+v", fails)
		}
		counts, err := s.IntakeEditCounts(ctx, in.ID)
		if err != nil || len(counts) == 0 {
			t.Fatalf("edit counts %v, %v", counts, err)
		}
		sum := 0
		for _, c := range counts {
			sum += c.Count
		}
		if sum != got.EditErrors+got.EditWarnings {
			t.Errorf("edit counts sum to %d, want %d", sum, got.EditErrors+got.EditWarnings)
		}
	})
}

func TestIntakeStructuralErrorIsReported(t *testing.T) {
	s := storetest.New(t, store.DialectSQLite)
	fac := newFacility(t, s, "F1")
	path := filepath.Join(t.TempDir(), "bad.xml")
	doc := dataFile(patientXML("00000001", "00"), "  <Patient><Tumor></Patient>\n")
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	in := queue(t, s, fac.ID, path)
	runQueued(t, newIntaker(t, s))
	got := loadIntake(t, s, in.ID)
	if got.State != store.IntakeDone || got.StructuralErrors != 1 || got.Patients != 1 {
		t.Fatalf("state %s, structural %d, patients %d; want done, 1, 1 (%s)", got.State, got.StructuralErrors, got.Patients, got.Error)
	}
	fails, _, _ := s.IntakeFailures(context.Background(), store.IntakeFailureQuery{IntakeID: in.ID, EditID: submission.EditStructure, Limit: 10})
	if len(fails) != 1 || !strings.Contains(fails[0].Message, "line") {
		t.Errorf("structural failure %+v; want one with its line", fails)
	}
	_, err := newIntaker(t, s).Accept(context.Background(), in.ID, store.AllFacilities, nil, "")
	if !errors.Is(err, submission.ErrNotAcceptable) {
		t.Errorf("accept of a file with structural errors: %v, want ErrNotAcceptable", err)
	}
}

func TestIntakeFileGoneIsMarkedFailedAndRetried(t *testing.T) {
	s := storetest.New(t, store.DialectSQLite)
	fac := newFacility(t, s, "F1")
	path := filepath.Join(t.TempDir(), "gone.xml")
	in := queue(t, s, fac.ID, path)
	k := newIntaker(t, s)
	runQueued(t, k)
	got := loadIntake(t, s, in.ID)
	if got.State != store.IntakeFailed || !strings.Contains(got.Error, "gone") {
		t.Fatalf("state %s, error %q; want failed, saying the file is gone", got.State, got.Error)
	}
	writeSynthetic(t, path, 3, nil)
	if err := s.RetryIntake(context.Background(), in.ID, store.FacilityScope(fac.ID)); err != nil {
		t.Fatal(err)
	}
	runQueued(t, k)
	if got := loadIntake(t, s, in.ID); got.State != store.IntakeDone || got.Patients != 3 || got.Error != "" {
		t.Errorf("after retry: state %s, %d patients, error %q; want done, 3", got.State, got.Patients, got.Error)
	}
}

// A process that stopped mid-run leaves its intake running with an old heartbeat: the next
// runner takes it over and checks the file from the start, without doubling what the first
// run stored.
func TestIntakeResumesAfterCrash(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		fac := newFacility(t, s, "F1")
		path := filepath.Join(t.TempDir(), "sub.xml")
		writeSynthetic(t, path, 20, func(i int, p *naaccr.Patient) { breakSite(p, 0) })
		in := queue(t, s, fac.ID, path)
		// The crashed run: claimed, some failures and progress written, then nothing.
		claimed, err := s.ClaimIntake(ctx)
		if err != nil || claimed.ID != in.ID {
			t.Fatalf("claim: %v", err)
		}
		if err := s.AddIntakeFailures(ctx, claimed.ClaimedBy, []store.IntakeFailure{{IntakeID: in.ID, EditID: "x", Severity: "error", Message: "half"}}); err != nil {
			t.Fatal(err)
		}
		if err := s.IntakeProgress(ctx, in.ID, claimed.ClaimedBy, store.IntakeCounts{Patients: 5}); err != nil {
			t.Fatal(err)
		}
		// The store's clock is fixed: a runner whose clock is 3 minutes on sees the heartbeat as stale.
		k := newIntaker(t, s)
		k.Now = func() time.Time { return storetest.Clock.Add(3 * time.Minute) }
		runQueued(t, k)
		got := loadIntake(t, s, in.ID)
		if got.State != store.IntakeDone || got.Patients != 20 {
			t.Fatalf("state %s, %d patients; want done, 20", got.State, got.Patients)
		}
		_, half, _ := s.IntakeFailures(ctx, store.IntakeFailureQuery{IntakeID: in.ID, EditID: "x", Limit: 10})
		if half != 0 {
			t.Errorf("the crashed run's failure is still there")
		}
		_, total, _ := s.IntakeFailures(ctx, store.IntakeFailureQuery{IntakeID: in.ID, Limit: 1})
		if int(total) != got.FailuresStored {
			t.Errorf("%d failures stored, intake says %d", total, got.FailuresStored)
		}
	})
}

func TestIntakeFreshRunningJobIsNotTakenOver(t *testing.T) {
	s := storetest.New(t, store.DialectSQLite)
	fac := newFacility(t, s, "F1")
	path := filepath.Join(t.TempDir(), "sub.xml")
	writeSynthetic(t, path, 2, nil)
	in := queue(t, s, fac.ID, path)
	if _, err := s.ClaimIntake(context.Background()); err != nil {
		t.Fatal(err)
	}
	runQueued(t, newIntaker(t, s)) // same clock: the heartbeat is fresh
	if got := loadIntake(t, s, in.ID); got.State != store.IntakeRunning {
		t.Errorf("state %s; a job another process is running must be left to it", got.State)
	}
}

func TestIntakeAcceptImportsCleanRecordsOnceAndSaysSo(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		fac := newFacility(t, s, "F1")
		dir := t.TempDir()
		path := filepath.Join(dir, "sub.xml")
		tumors := writeSynthetic(t, path, 12, func(i int, p *naaccr.Patient) {
			if i == 2 {
				breakSite(p, 0)
			}
		})
		in := queue(t, s, fac.ID, path)
		k := newIntaker(t, s)
		runQueued(t, k)
		checked := loadIntake(t, s, in.ID)
		res, err := k.Accept(ctx, in.ID, store.FacilityScope(fac.ID), nil, "")
		if err != nil {
			t.Fatal(err)
		}
		if res.TumorsCreated != checked.AcceptableTumors || res.TumorsCreated+res.TumorsSkipped != tumors || res.TumorsSkipped < 1 {
			t.Errorf("accept: %+v; want %d created (the acceptable ones), the rest of %d skipped", res, checked.AcceptableTumors, tumors)
		}
		rows, err := s.Worklist(ctx, store.WorklistFilter{Scope: store.FacilityScope(fac.ID), Status: "received", Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != res.TumorsCreated {
			t.Errorf("%d received cases stored, want %d", len(rows), res.TumorsCreated)
		}
		if got := loadIntake(t, s, in.ID); got.State != store.IntakeAccepted || got.AcceptedTumors != res.TumorsCreated {
			t.Errorf("intake after accept: %s, %d accepted", got.State, got.AcceptedTumors)
		}

		// The same file again: its tumors are duplicates and the accept adds nothing.
		again := queue(t, s, fac.ID, path)
		runQueued(t, k)
		if got := loadIntake(t, s, again.ID); got.Duplicates != res.TumorsCreated {
			t.Errorf("second intake: %d duplicates, want %d", got.Duplicates, res.TumorsCreated)
		}
		res2, err := k.Accept(ctx, again.ID, store.FacilityScope(fac.ID), nil, "")
		if err != nil {
			t.Fatal(err)
		}
		if res2.TumorsCreated != 0 || res2.TumorsExisting != res.TumorsCreated || !strings.HasPrefix(res2.Summary(), "nothing new") {
			t.Errorf("second accept: %+v (%s); want nothing new", res2, res2.Summary())
		}
	})
}

// cancellingIntakeStore cancels the accept's context after a number of import batches.
type cancellingIntakeStore struct {
	*store.Store
	batches int
	cancel  context.CancelFunc
}

func (c *cancellingIntakeStore) ImportPatients(ctx context.Context, facilityID uint, status string, pats []naaccr.Patient, counts [][]store.TumorCounts) (store.ImportResult, error) {
	res, err := c.Store.ImportPatients(ctx, facilityID, status, pats, counts)
	c.batches--
	if c.batches == 0 {
		c.cancel()
	}
	return res, err
}

func TestIntakeAcceptCancelledLeavesWholePatientsAndRerunCompletes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		fac := newFacility(t, s, "F1")
		path := filepath.Join(t.TempDir(), "sub.xml")
		patientTumors := map[string]int{}
		writeSynthetic(t, path, 40, func(i int, p *naaccr.Patient) {
			patientTumors[p.Items["patientIdNumber"]] = len(p.Tumors)
		})
		in := queue(t, s, fac.ID, path)
		k := newIntaker(t, s)
		runQueued(t, k)

		cctx, cancel := context.WithCancel(ctx)
		cs := &cancellingIntakeStore{Store: s, batches: 2, cancel: cancel}
		k2 := *k
		k2.Store = cs
		if _, err := k2.Accept(cctx, in.ID, store.AllFacilities, nil, ""); !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled accept: %v, want context.Canceled", err)
		}
		storedTumors := func() map[string]int {
			t.Helper()
			out := map[string]int{}
			err := s.EachPatient(ctx, store.PatientFilter{Scope: store.AllFacilities}, 100, func(p *store.Patient, ts []store.Tumor) error {
				out[p.PatientIDNumber] = len(ts)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
		partial := storedTumors()
		if got := loadIntake(t, s, in.ID); got.State != store.IntakeDone {
			t.Errorf("state after a cancelled accept: %s, want done", got.State)
		}
		res, err := k.Accept(ctx, in.ID, store.AllFacilities, nil, "")
		if err != nil {
			t.Fatal(err)
		}
		final := storedTumors()
		if len(partial) == 0 || len(partial) >= len(final) {
			t.Fatalf("%d patients stored after the cancel, %d after the re-run; want some, not all", len(partial), len(final))
		}
		// Whole patients: each patient stored before the cancel has all the tumors it has in the end.
		for id, n := range partial {
			if n != final[id] {
				t.Errorf("patient %s stored with %d of its %d acceptable tumors", id, n, final[id])
			}
		}
		if res.TumorsExisting == 0 || res.TumorsCreated == 0 {
			t.Errorf("re-run: %+v; want it to keep the stored tumors and add the rest", res)
		}
		checked := loadIntake(t, s, in.ID)
		all := 0
		for _, n := range final {
			all += n
		}
		if all != checked.AcceptableTumors {
			t.Errorf("%d tumors stored in the end, want the %d acceptable ones", all, checked.AcceptableTumors)
		}
	})
}

func TestIntakeAcceptUsesReportingFacility(t *testing.T) {
	s := storetest.New(t, store.DialectSQLite)
	ctx := context.Background()
	upl := newFacility(t, s, "UP")
	sender := &store.Facility{Code: "SND", Name: "Sender", IDNumber: "0000099999"}
	if err := s.CreateFacility(ctx, sender); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "sub.xml")
	writeSynthetic(t, path, 3, func(i int, p *naaccr.Patient) {
		for _, tu := range p.Tumors {
			tu.Items["reportingFacility"] = "0000099999"
		}
	})
	in := queue(t, s, upl.ID, path)
	k := newIntaker(t, s)
	runQueued(t, k)
	got := loadIntake(t, s, in.ID)
	if got.SendingFacilityID == nil || *got.SendingFacilityID != sender.ID || !strings.Contains(got.FacilitiesSeen, "0000099999") {
		t.Fatalf("sending facility %v, seen %s; want %d", got.SendingFacilityID, got.FacilitiesSeen, sender.ID)
	}
	if _, err := k.Accept(ctx, in.ID, store.FacilityScope(upl.ID), nil, ""); !errors.Is(err, submission.ErrNotAcceptable) {
		t.Errorf("accept by someone not working for the sender: %v, want ErrNotAcceptable", err)
	}
	res, err := k.Accept(ctx, in.ID, store.AllFacilities, nil, "")
	if err != nil || res.FacilityID != sender.ID {
		t.Fatalf("accept: %+v, %v; want under facility %d", res, err, sender.ID)
	}
	if n, _ := s.CountPatients(ctx, store.FacilityScope(sender.ID)); n == 0 || int(n) != res.PatientsCreated {
		t.Errorf("%d patients under the sender, want the %d created", n, res.PatientsCreated)
	}
	if n, _ := s.CountPatients(ctx, store.FacilityScope(upl.ID)); n != 0 {
		t.Errorf("%d patients under the uploader's facility, want 0", n)
	}
}

func TestIntakeReportFormats(t *testing.T) {
	s := storetest.New(t, store.DialectSQLite)
	fac := newFacility(t, s, "F1")
	path := filepath.Join(t.TempDir(), "sub.xml")
	writeSynthetic(t, path, 5, func(i int, p *naaccr.Patient) { breakSite(p, 0) })
	in := queue(t, s, fac.ID, path)
	k := newIntaker(t, s)
	runQueued(t, k)
	in = loadIntake(t, s, in.ID)
	for format, want := range map[string]string{
		"csv":  "patient,tumor,patientIdNumber,sequence,edit,severity,item,message\n",
		"html": "<h1>Edit report</h1>",
		"text": "sub.xml: done; 5 patients",
	} {
		var b bytes.Buffer
		if err := k.WriteReport(context.Background(), &b, in, format); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), want) || !strings.Contains(b.String(), "C999") {
			t.Errorf("%s report lacks %q or the broken site:\n%.600s", format, want, b.String())
		}
	}

}

func TestIntakeOfAGzipThatUnpacksPastTheLimitFailsSayingSoAndCannotBeAccepted(t *testing.T) {
	for _, tc := range []struct {
		name  string
		limit int64
		data  func(t *testing.T, path string)
	}{
		// A bomb of blanks before the root element: the header is never complete.
		{"blanks", 1 << 20, func(t *testing.T, path string) {
			var z bytes.Buffer
			zw := gzip.NewWriter(&z)
			zw.Write([]byte("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"))
			zw.Write(bytes.Repeat([]byte(" "), 3<<20))
			zw.Close()
			if err := os.WriteFile(path, z.Bytes(), 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		// Real records, more of them than the limit lets through: stopped mid-file.
		{"records", 64 << 10, func(t *testing.T, path string) { writeSynthetic(t, path, 40, nil) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := storetest.New(t, store.DialectSQLite)
			fac := newFacility(t, s, "F1")
			path := filepath.Join(t.TempDir(), "bomb.xml.gz")
			tc.data(t, path)
			in := queue(t, s, fac.ID, path)
			k := newIntaker(t, s)
			k.MaxUnpackedBytes = tc.limit
			runQueued(t, k)
			got := loadIntake(t, s, in.ID)
			want := fmt.Sprintf("the file unpacks to more than %s bytes (CARA_INTAKE_MAX_UNPACKED_BYTES)", map[int64]string{1 << 20: "1,048,576", 64 << 10: "65,536"}[tc.limit])
			if got.State != store.IntakeFailed || !strings.Contains(got.Error, want) {
				t.Fatalf("state %s, error %q; want failed with %q", got.State, got.Error, want)
			}
			if _, err := k.Accept(context.Background(), in.ID, store.AllFacilities, nil, ""); !errors.Is(err, submission.ErrNotAcceptable) {
				t.Errorf("accept of a refused file: %v, want ErrNotAcceptable", err)
			}
			if n, err := s.CountPatients(context.Background(), store.AllFacilities); err != nil || n != 0 {
				t.Errorf("%d patients stored from a refused file (%v)", n, err)
			}
		})
	}
}

func TestIntakeOfAGzipWithinTheLimitIsChecked(t *testing.T) {
	s := storetest.New(t, store.DialectSQLite)
	fac := newFacility(t, s, "F1")
	path := filepath.Join(t.TempDir(), "sub.xml.gz")
	writeSynthetic(t, path, 5, nil)
	in := queue(t, s, fac.ID, path)
	k := newIntaker(t, s)
	k.MaxUnpackedBytes = 10 << 20
	runQueued(t, k)
	if got := loadIntake(t, s, in.ID); got.State != store.IntakeDone || got.Patients != 5 {
		t.Errorf("state %s, %d patients (%s); want done, 5", got.State, got.Patients, got.Error)
	}
}
