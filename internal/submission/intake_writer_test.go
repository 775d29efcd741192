package submission_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
	"github.com/cara-registry/cara/internal/submission"
)

// A file large enough that its failures go to the database in several batches and its
// duplicates are looked up in several: every failure is stored once, in file order, and a
// second intake of the same file after the first was accepted finds every accepted tumor.
func TestIntakeLargeFileStoresEveryFailureInOrderAndFindsDuplicates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		fac := newFacility(t, s, "F1")
		path := filepath.Join(t.TempDir(), "big.xml")
		tumors := writeSynthetic(t, path, 1800, nil)
		k := newIntaker(t, s)
		k.ProgressEvery = 0
		first := queue(t, s, fac.ID, path)
		runQueued(t, k)
		got := loadIntake(t, s, first.ID)
		if got.State != store.IntakeDone || got.Tumors != tumors {
			t.Fatalf("state %s (%s), %d tumors; want done, %d", got.State, got.Error, got.Tumors, tumors)
		}
		failures := got.EditErrors + got.EditWarnings
		if failures <= 2000 {
			t.Fatalf("%d failures; the test wants more than a writer batch", failures)
		}
		if got.FailuresStored != failures {
			t.Errorf("%d failures stored, want all %d (below the cap)", got.FailuresStored, failures)
		}
		n, lastPatient := 0, -1
		err := s.EachIntakeFailure(ctx, first.ID, func(f *store.IntakeFailure) error {
			n++
			if f.PatientIndex < lastPatient {
				t.Errorf("failure %d is of patient %d after one of patient %d: not in file order", n, f.PatientIndex, lastPatient)
			}
			lastPatient = f.PatientIndex
			if f.EditID == "" || f.Message == "" {
				t.Errorf("failure %d has no edit or message: %+v", n, f)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if n != failures {
			t.Errorf("%d failure rows, want %d", n, failures)
		}
		if got.Duplicates != 0 {
			t.Errorf("%d duplicates in an empty store", got.Duplicates)
		}

		res, err := k.Accept(ctx, first.ID, store.AllFacilities, nil, "")
		if err != nil {
			t.Fatal(err)
		}
		if res.TumorsCreated != got.AcceptableTumors || res.TumorsCreated == 0 {
			t.Fatalf("accept created %d tumors, want the %d acceptable", res.TumorsCreated, got.AcceptableTumors)
		}
		second := queue(t, s, fac.ID, path)
		runQueued(t, k)
		again := loadIntake(t, s, second.ID)
		if again.Duplicates != res.TumorsCreated {
			t.Errorf("second intake of the file: %d duplicates, want the %d accepted tumors", again.Duplicates, res.TumorsCreated)
		}
	})
}

// failingIntakeStore fails the given store calls.
type failingIntakeStore struct {
	*store.Store
	failFailures bool
	importsLeft  int // ImportPatients calls that succeed before one fails; <0: never fails
}

var errDisk = errors.New("disk full")

func (f *failingIntakeStore) AddIntakeFailures(ctx context.Context, claim string, fs []store.IntakeFailure) error {
	if f.failFailures {
		return errDisk
	}
	return f.Store.AddIntakeFailures(ctx, claim, fs)
}

func (f *failingIntakeStore) ImportPatients(ctx context.Context, facilityID uint, status string, pats []naaccr.Patient, counts [][]store.TumorCounts) (store.ImportResult, error) {
	if f.importsLeft == 0 {
		return store.ImportResult{}, errDisk
	}
	f.importsLeft--
	return f.Store.ImportPatients(ctx, facilityID, status, pats, counts)
}

// A database error while the failures are written ends the run with that error (not the
// cancellation it causes), and the job is marked failed with it.
func TestIntakeDatabaseErrorFailsTheJob(t *testing.T) {
	s := storetest.New(t, store.DialectSQLite)
	fac := newFacility(t, s, "F1")
	path := filepath.Join(t.TempDir(), "sub.xml")
	writeSynthetic(t, path, 600, nil)
	in := queue(t, s, fac.ID, path)
	k := newIntaker(t, s)
	k.Store = &failingIntakeStore{Store: s, failFailures: true, importsLeft: -1}
	err := (&submission.Runner{Intaker: k}).RunOnce(context.Background())
	if !errors.Is(err, errDisk) {
		t.Fatalf("run: %v, want the store's error", err)
	}
	got := loadIntake(t, s, in.ID)
	if got.State != store.IntakeFailed || !strings.Contains(got.Error, "disk full") {
		t.Errorf("state %s (%q), want failed, saying why", got.State, got.Error)
	}
}

// An import error in the middle of an accept is what the accept returns; the batches before
// it stay imported.
func TestIntakeAcceptImportErrorIsReturned(t *testing.T) {
	s := storetest.New(t, store.DialectSQLite)
	fac := newFacility(t, s, "F1")
	path := filepath.Join(t.TempDir(), "sub.xml")
	writeSynthetic(t, path, 60, nil)
	in := queue(t, s, fac.ID, path)
	k := newIntaker(t, s)
	runQueued(t, k)
	k2 := *k
	k2.Store = &failingIntakeStore{Store: s, importsLeft: 1}
	res, err := k2.Accept(context.Background(), in.ID, store.AllFacilities, nil, "")
	if !errors.Is(err, errDisk) || errors.Is(err, context.Canceled) {
		t.Fatalf("accept: %v, want the store's error", err)
	}
	if res.TumorsCreated == 0 {
		t.Errorf("accept result %+v: want the first batch's tumors counted", res)
	}
	if got := loadIntake(t, s, in.ID); got.State != store.IntakeDone {
		t.Errorf("state after a failed accept: %s, want done", got.State)
	}
}
