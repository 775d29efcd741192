package store_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	mysqldriver "github.com/go-sql-driver/mysql"
	"gorm.io/gorm"

	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

// The errors a transaction gets when it loses to a concurrent one.
var (
	errDeadlock = &mysqldriver.MySQLError{Number: 1213, Message: "WSREP detected deadlock/conflict and aborted the transaction. Try restarting the transaction"}
	errLockWait = &mysqldriver.MySQLError{Number: 1205, Message: "Lock wait timeout exceeded; try restarting transaction"}
	errBusy     = sqliteError(5)
	// MariaDB's refusal of a write for triggers it failed to parse (seen on the Galera cluster under
	// a storm of certification aborts): the statement did nothing.
	errBrokenTriggers = &mysqldriver.MySQLError{Number: 1064, Message: "Unknown trigger has an error in its body: 'Query was empty'"}
)

// sqliteError is an error with a SQLite result code, as the SQLite driver's are.
type sqliteError int

func (e sqliteError) Error() string { return fmt.Sprintf("sqlite: code %d", int(e)) }
func (e sqliteError) Code() int     { return int(e) }

// retryTx runs a transaction again after each error of a lost transaction, up to TxAttempts
// times; what a lost attempt wrote (here an audit event) is rolled back with it, so the trail
// gets the one event of the attempt that committed. Any other error ends it at once.
func TestRetryTxRunsALostTransactionAgainAndGivesUpAsAConflict(t *testing.T) {
	always := make([]error, store.TxAttempts)
	alwaysBroken := make([]error, store.TxAttempts)
	for i := range always {
		always[i], alwaysBroken[i] = errDeadlock, errBrokenTriggers
	}
	tests := []struct {
		name         string
		fails        []error // attempt i returns fails[i-1]; later ones commit
		wantAttempts int
		wantCommit   bool
		wantConflict bool
	}{
		{name: "deadlock twice, then it commits", fails: []error{errDeadlock, errDeadlock}, wantAttempts: 3, wantCommit: true},
		{name: "lock wait timeout once", fails: []error{errLockWait}, wantAttempts: 2, wantCommit: true},
		{name: "sqlite busy once", fails: []error{errBusy}, wantAttempts: 2, wantCommit: true},
		{name: "extended sqlite busy code", fails: []error{sqliteError(5 | 2<<8)}, wantAttempts: 2, wantCommit: true},
		{name: "lost every time", fails: always, wantAttempts: store.TxAttempts, wantConflict: true},
		{name: "refused for broken triggers once", fails: []error{errBrokenTriggers}, wantAttempts: 2, wantCommit: true},
		// A failure with that error, not a conflict the person could settle by trying again.
		{name: "refused for broken triggers every time", fails: alwaysBroken, wantAttempts: store.TxAttempts},
		{name: "another parse error is not run again", fails: []error{&mysqldriver.MySQLError{Number: 1064, Message: "You have an error in your SQL syntax"}}, wantAttempts: 1},
		{name: "another error is not run again", fails: []error{errors.New("disk full")}, wantAttempts: 1},
		{name: "a duplicate key is not run again", fails: []error{&mysqldriver.MySQLError{Number: 1062, Message: "Duplicate entry"}}, wantAttempts: 1},
		{name: "sqlite constraint is not run again", fails: []error{sqliteError(19)}, wantAttempts: 1},
	}
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		s.SetTxRetryFor(0) // the attempts alone (the time is the next test's)
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ctx := context.Background()
				before := verifyAudit(t, s).Events
				attempts := 0
				err := s.RetryTx(ctx, "test", func(tx *gorm.DB) error {
					attempts++
					if err := s.AuditIn(tx, store.AuditEntry{Action: audit.CaseView, Entity: "tumor", EntityID: fmt.Sprintf("%d/%d", i, attempts)}); err != nil {
						return err
					}
					if attempts <= len(tt.fails) {
						return tt.fails[attempts-1]
					}
					return nil
				})
				if attempts != tt.wantAttempts {
					t.Errorf("%d attempts, want %d", attempts, tt.wantAttempts)
				}
				if tt.wantCommit != (err == nil) {
					t.Errorf("err %v, want commit %v", err, tt.wantCommit)
				}
				if errors.Is(err, store.ErrConflict) != tt.wantConflict {
					t.Errorf("err %v: ErrConflict %v, want %v", err, !tt.wantConflict, tt.wantConflict)
				}
				if !tt.wantCommit && len(tt.fails) > 0 && !errors.Is(err, tt.fails[len(tt.fails)-1]) {
					t.Errorf("err %v does not carry the last attempt's error %v", err, tt.fails[len(tt.fails)-1])
				}
				want := before
				if tt.wantCommit {
					want++
				}
				wantIntact(t, s, want)
				if tt.wantCommit {
					evs, err := s.AuditEvents(ctx, "tumor", fmt.Sprintf("%d/%d", i, attempts), 5)
					if err != nil || len(evs) != 1 || evs[0].ID != uint(before+1) {
						t.Errorf("the committed attempt's event: %v, %v; want the one event #%d", evs, err, before+1)
					}
				}
			})
		}
	})
}

// Past TxAttempts, a transaction still losing runs again while the retry time lasts (the case
// view that lost its audit append eight times under contention on the cluster commits), and
// gives up as a conflict after it; the trail gets the one committed attempt's event.
func TestRetryTxGoesOnPastTheAttemptsForTheRetryTime(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		s.SetTxRetryFor(2 * time.Second)
		before := verifyAudit(t, s).Events
		losses := 2 * store.TxAttempts
		attempts := 0
		err := s.RetryTx(ctx, "test", func(tx *gorm.DB) error {
			attempts++
			if err := s.AuditIn(tx, store.AuditEntry{Action: audit.CaseView, Entity: "tumor", EntityID: fmt.Sprintf("long/%d", attempts)}); err != nil {
				return err
			}
			if attempts <= losses {
				return errDeadlock
			}
			return nil
		})
		if err != nil || attempts != losses+1 {
			t.Fatalf("err %v after %d attempts, want a commit at attempt %d", err, attempts, losses+1)
		}
		wantIntact(t, s, before+1)

		s.SetTxRetryFor(300 * time.Millisecond)
		start := time.Now()
		attempts = 0
		err = s.RetryTx(ctx, "test", func(tx *gorm.DB) error { attempts++; return errDeadlock })
		took := time.Since(start)
		if !errors.Is(err, store.ErrConflict) || attempts < store.TxAttempts || took < 300*time.Millisecond || took > 2*time.Second {
			t.Errorf("lost every time: err %v after %d attempts in %s, want ErrConflict after the 300 ms", err, attempts, took)
		}
		wantIntact(t, s, before+1)
	})
}

// A transaction lost while its context ends is not run again: the caller has gone.
func TestRetryTxStopsWhenTheContextEnds(t *testing.T) {
	s := storetest.New(t, store.DialectSQLite)
	ctx, cancel := context.WithCancel(context.Background())
	attempts := 0
	err := s.RetryTx(ctx, "test", func(tx *gorm.DB) error {
		attempts++
		cancel()
		return errDeadlock
	})
	if attempts != 1 || !errors.Is(err, context.Canceled) || errors.Is(err, store.ErrConflict) {
		t.Errorf("%d attempts, err %v; want 1 and context.Canceled", attempts, err)
	}
}

// loseFirstCommit makes the first attempt of each transaction named in names lose at its commit,
// as to another Galera node's write, and counts the attempts by name.
func loseFirstCommit(s *store.Store, names ...string) map[string]int {
	seen := map[string]int{}
	s.SetTxFaults(nil, func(name string, n int) error {
		for _, want := range names {
			if name == want {
				seen[name] = n
				if n == 1 {
					return errDeadlock
				}
			}
		}
		return nil
	})
	return seen
}

// The writes whose transaction is safe to run again do, after a lost commit: each lands once,
// with one audit event, and the trail stays intact.
func TestStoreWritesAreRunAgainAfterALostCommit(t *testing.T) {
	tests := []struct {
		name string
		tx   string // the transaction's name in retryTx
		do   func(t *testing.T, s *store.Store, f *store.Facility, user *store.User, tumor uint)
	}{
		{name: "case save", tx: "save case", do: func(t *testing.T, s *store.Store, f *store.Facility, user *store.User, tumor uint) {
			ctx := context.Background()
			c, err := s.LoadCase(ctx, tumor, store.FacilityScope(f.ID))
			if err != nil {
				t.Fatal(err)
			}
			items := maps.Clone(c.Tumor.Items)
			items["primarySite"] = "C501"
			saved, _, err := s.SaveCase(ctx, store.CaseSave{TumorID: tumor, Scope: store.FacilityScope(f.ID),
				PatientVersion: c.Patient.Version, TumorVersion: c.Tumor.Version, PatientItems: c.Patient.Items, TumorItems: items, UserID: &user.ID})
			if err != nil {
				t.Fatal(err)
			}
			again, err := s.LoadCase(ctx, tumor, store.FacilityScope(f.ID))
			if err != nil {
				t.Fatal(err)
			}
			if again.Tumor.Version != c.Tumor.Version+1 || saved.Tumor.Version != again.Tumor.Version || again.Tumor.PrimarySite != "C501" {
				t.Errorf("version %d → %d (returned %d), site %s; want saved once", c.Tumor.Version, again.Tumor.Version, saved.Tumor.Version, again.Tumor.PrimarySite)
			}
		}},
		{name: "workflow step", tx: "submit case", do: func(t *testing.T, s *store.Store, f *store.Facility, user *store.User, tumor uint) {
			ctx := context.Background()
			got, err := s.ChangeStatus(ctx, store.StatusUpdate{TumorID: tumor, Scope: store.FacilityScope(f.ID), Action: "submit",
				From: "draft", To: "review", UserID: &user.ID})
			if err != nil {
				t.Fatal(err)
			}
			hist, err := s.StatusHistory(ctx, tumor, store.FacilityScope(f.ID))
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != "review" || len(hist) != 1 {
				t.Errorf("status %s, %d steps in the history; want review, 1", got.Status, len(hist))
			}
		}},
		{name: "comment", tx: "comment", do: func(t *testing.T, s *store.Store, f *store.Facility, user *store.User, tumor uint) {
			ctx := context.Background()
			rc, err := s.AddComment(ctx, store.CommentAdd{TumorID: tumor, Scope: store.FacilityScope(f.ID), Body: "check the site", AuthorID: user.ID})
			if err != nil {
				t.Fatal(err)
			}
			rows, err := s.CaseComments(ctx, tumor, store.FacilityScope(f.ID))
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 1 || rows[0].ID != rc.ID {
				t.Errorf("comments %+v, want the one returned (%d)", rows, rc.ID)
			}
		}},
		{name: "patient numbering", tx: "add patient", do: func(t *testing.T, s *store.Store, f *store.Facility, user *store.User, tumor uint) {
			ctx := context.Background()
			p, err := s.AddPatient(ctx, store.NewPatient{FacilityID: f.ID, Scope: store.FacilityScope(f.ID), Items: map[string]string{"nameLast": "Roe"}, UserID: &user.ID})
			if err != nil {
				t.Fatal(err)
			}
			var n int
			if err := s.DB().QueryRow("SELECT COUNT(*) FROM patients WHERE facility_id = ? AND patient_id_number = ?", f.ID, p.PatientIDNumber).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if p.PatientIDNumber == "" || n != 1 {
				t.Errorf("patient number %q held by %d patients, want 1", p.PatientIDNumber, n)
			}
		}},
		{name: "audit event", tx: "audit " + audit.CaseView, do: func(t *testing.T, s *store.Store, f *store.Facility, user *store.User, tumor uint) {
			if err := s.Audit(context.Background(), store.AuditEntry{UserID: &user.ID, Action: audit.CaseView, Entity: "tumor", EntityID: fmt.Sprint(tumor)}); err != nil {
				t.Fatal(err)
			}
		}},
	}
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := addFacility(t, s, "F")
		user := &store.User{Username: "reg", PasswordHash: "x", Role: "registrar", FacilityID: &f.ID}
		if err := s.CreateUser(ctx, user); err != nil {
			t.Fatal(err)
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, tumors := addPatient(t, s, f.ID, map[string]string{"nameLast": "Doe", "patientIdNumber": fmt.Sprintf("%08d", i+1)}, "draft",
					map[string]string{"primarySite": "C509", "histologicTypeIcdO3": "8500"})
				before := verifyAudit(t, s).Events
				seen := loseFirstCommit(s, tt.tx)
				tt.do(t, s, f, user, tumors[0])
				s.SetTxFaults(nil, nil)
				if seen[tt.tx] != 2 {
					t.Errorf("transaction %q ran %d times, want 2 (the lost commit and its retry)", tt.tx, seen[tt.tx])
				}
				wantIntact(t, s, before+1)
			})
		}
	})
}

// A save run again checks the versions again: a case another node changed between the lost
// commit and the retry is a conflict, and nothing of the save is written.
func TestSaveCaseRunAgainChecksTheVersionAgain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := addFacility(t, s, "F")
		_, tumors := addPatient(t, s, f.ID, map[string]string{"nameLast": "Doe", "patientIdNumber": "00000001"}, "draft",
			map[string]string{"primarySite": "C509"})
		c, err := s.LoadCase(ctx, tumors[0], store.FacilityScope(f.ID))
		if err != nil {
			t.Fatal(err)
		}
		before := verifyAudit(t, s).Events
		s.SetTxFaults(func(name string, n int) {
			if name == "save case" && n == 2 {
				// The other node's save, committed while this one waited to run again.
				if _, err := s.DB().Exec("UPDATE tumors SET version = version + 1 WHERE id = ?", tumors[0]); err != nil {
					t.Error(err)
				}
			}
		}, func(name string, n int) error {
			if name == "save case" && n == 1 {
				return errDeadlock
			}
			return nil
		})
		items := maps.Clone(c.Tumor.Items)
		items["primarySite"] = "C501"
		_, _, err = s.SaveCase(ctx, store.CaseSave{TumorID: tumors[0], Scope: store.FacilityScope(f.ID), Loaded: c,
			PatientVersion: c.Patient.Version, TumorVersion: c.Tumor.Version, PatientItems: c.Patient.Items, TumorItems: items})
		s.SetTxFaults(nil, nil)
		if !errors.Is(err, store.ErrConflict) {
			t.Fatalf("save: %v, want ErrConflict", err)
		}
		again, err := s.LoadCase(ctx, tumors[0], store.FacilityScope(f.ID))
		if err != nil {
			t.Fatal(err)
		}
		if again.Tumor.PrimarySite != "C509" || again.Tumor.Version != c.Tumor.Version+1 {
			t.Errorf("site %s version %d; want the other node's version (%d) and the site unchanged", again.Tumor.PrimarySite, again.Tumor.Version, c.Tumor.Version+1)
		}
		wantIntact(t, s, before)
	})
}

// A real deadlock on MariaDB: this transaction and another each hold a row the other wants;
// InnoDB rolls back the smaller (this one, one row against nine) with error 1213, and retryTx
// runs it again, after the other committed. Galera's certification failure is the same error.
func TestRetryTxRunsAgainAfterARealDeadlock(t *testing.T) {
	s := storetest.New(t, store.DialectMySQL)
	ctx := context.Background()
	db := s.DB()
	for _, q := range []string{
		"CREATE TABLE retry_probe (id INT NOT NULL PRIMARY KEY, n INT NOT NULL) ENGINE=InnoDB",
		"INSERT INTO retry_probe VALUES (1,0),(2,0),(3,0),(4,0),(5,0),(6,0),(7,0),(8,0),(9,0),(10,0)",
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	otherHolds, thisHolds := make(chan struct{}), make(chan struct{})
	other := make(chan error, 1)
	go func() {
		other <- func() error {
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			defer tx.Rollback()
			if _, err := tx.ExecContext(ctx, "UPDATE retry_probe SET n = n + 1 WHERE id BETWEEN 2 AND 10"); err != nil {
				return err
			}
			close(otherHolds)
			<-thisHolds
			if _, err := tx.ExecContext(ctx, "UPDATE retry_probe SET n = n + 1 WHERE id = 1"); err != nil {
				return err
			}
			return tx.Commit()
		}()
	}()
	attempts := 0
	var first error
	err := s.RetryTx(ctx, "probe", func(tx *gorm.DB) error {
		attempts++
		if err := tx.Exec("UPDATE retry_probe SET n = n + 1 WHERE id = 1").Error; err != nil {
			return err
		}
		if attempts == 1 {
			<-otherHolds
			close(thisHolds)
		}
		err := tx.Exec("UPDATE retry_probe SET n = n + 1 WHERE id = 2").Error
		if attempts == 1 {
			first = err
		}
		return err
	})
	if err != nil {
		t.Fatalf("retryTx: %v", err)
	}
	if err := <-other; err != nil {
		t.Fatalf("the other transaction: %v", err)
	}
	var me *mysqldriver.MySQLError
	if !errors.As(first, &me) || me.Number != 1213 || attempts != 2 {
		t.Fatalf("first attempt: %v, %d attempts; want a deadlock (1213) and 2 attempts", first, attempts)
	}
	var one, two, rest int
	if err := db.QueryRowContext(ctx, "SELECT (SELECT n FROM retry_probe WHERE id = 1), (SELECT n FROM retry_probe WHERE id = 2), (SELECT SUM(n) FROM retry_probe WHERE id > 2)").Scan(&one, &two, &rest); err != nil {
		t.Fatal(err)
	}
	if one != 2 || two != 2 || rest != 8 {
		t.Errorf("rows 1, 2 and the rest: %d, %d, %d; want 2, 2, 8 (each transaction once)", one, two, rest)
	}
}

// On a Galera cluster another node's append can be applied between this append's read of the
// chain's head and its insert: the insert then finds its id taken (a duplicate key, not a
// deadlock). The append runs again, chained after the other.
func TestAnAppendWhoseIDWasTakenRunsAgain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		before := verifyAudit(t, s).Events
		attempts := 0
		err := s.RetryTx(ctx, "audit", func(tx *gorm.DB) error {
			attempts++
			if attempts == 1 {
				// The other node's event, as its write set applies it here (it rolls back with this
				// attempt: the test makes it inside the transaction).
				var last uint
				if err := tx.Raw("SELECT last_id FROM audit_chain WHERE id = 1").Row().Scan(&last); err != nil {
					return err
				}
				if err := tx.Create(&store.AuditEvent{ID: last + 1, At: storetest.Clock, Action: audit.CaseView, Entity: "tumor",
					EntityID: "other", Details: "{}", PrevHash: "x", Hash: "y"}).Error; err != nil {
					return err
				}
			}
			return s.AuditIn(tx, store.AuditEntry{Action: audit.CaseView, Entity: "tumor", EntityID: "this"})
		})
		if err != nil || attempts != 2 {
			t.Fatalf("%d attempts, %v; want 2 and success", attempts, err)
		}
		wantIntact(t, s, before+1)
	})
}

// Registrars numbering one facility's patients at once each get a number of their own: the
// numbering takes turns on the facility's row (a write, which Galera certifies).
func TestConcurrentNumberingGivesEachPatientItsOwnNumber(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := addFacility(t, s, "F")
		const writers, each = 6, 15
		errs := make(chan error, writers)
		for w := range writers {
			go func() {
				for i := range each {
					if _, err := s.AddPatient(ctx, store.NewPatient{FacilityID: f.ID, Scope: store.FacilityScope(f.ID),
						Items: map[string]string{"nameLast": fmt.Sprintf("W%d", w), "nameFirst": fmt.Sprint(i)}}); err != nil {
						errs <- err
						return
					}
				}
				errs <- nil
			}()
		}
		for range writers {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		var n, distinct int
		if err := s.DB().QueryRow("SELECT COUNT(*), COUNT(DISTINCT patient_id_number) FROM patients WHERE facility_id = ?", f.ID).Scan(&n, &distinct); err != nil {
			t.Fatal(err)
		}
		if n != writers*each || distinct != n {
			t.Errorf("%d patients with %d numbers, want %d each with its own", n, distinct, writers*each)
		}
	})
}

// An import batch that loses its commit (on Galera: another node's rows in the same index
// ranges) runs again and stores each patient and tumor once, with the counts of one run.
func TestImportPatientsRunsAgainAfterALostCommit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := addFacility(t, s, "F")
		seen := loseFirstCommit(s, "import")
		pats := []naaccr.Patient{importPatient("00000001", "ONE", "00"), importPatient("00000002", "TWO", "01", "02")}
		res, err := s.ImportPatients(ctx, f.ID, "draft", pats, nil)
		if err != nil {
			t.Fatal(err)
		}
		if seen["import"] != 2 {
			t.Errorf("import committed at attempt %d, want 2", seen["import"])
		}
		if res != (store.ImportResult{PatientsCreated: 2, TumorsCreated: 3}) {
			t.Errorf("result %+v, want 2 patients and 3 tumors created", res)
		}
		if got := storedTumors(t, s, f.ID); !slices.Equal(got, []string{"00000001/00", "00000002/01", "00000002/02"}) {
			t.Errorf("stored %v, want each tumor once", got)
		}
	})
}
