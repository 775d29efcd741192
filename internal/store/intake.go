package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// The states of an intake job.
const (
	IntakeQueued   = "queued"   // uploaded, waiting for a worker
	IntakeRunning  = "running"  // a worker is checking it
	IntakeDone     = "done"     // checked; the report is complete
	IntakeFailed   = "failed"   // could not be checked (Error says why); may be retried
	IntakeAccepted = "accepted" // checked, and its acceptable records imported
)

// CreateIntake stores a newly uploaded file's intake, queued.
func (s *Store) CreateIntake(ctx context.Context, in *Intake) error {
	if in.State == "" {
		in.State = IntakeQueued
	}
	if in.FacilitiesSeen == "" {
		in.FacilitiesSeen = "[]"
	}
	in.FileName = clampRunes(in.FileName, 255)
	// A new row: safe to insert again after losing to another node's write (see retryTx).
	err := s.retryTx(ctx, "create intake", func(tx *gorm.DB) error {
		in.ID = 0
		return tx.Create(in).Error
	})
	if err != nil {
		return fmt.Errorf("store: create intake of %q: %w", in.FileName, err)
	}
	return nil
}

// Intake loads one intake in scope; another facility's is ErrNotFound.
func (s *Store) Intake(ctx context.Context, id uint, sc Scope) (*Intake, error) {
	var in Intake
	q := sc.apply(s.db.WithContext(ctx), "facility_id")
	if err := q.Take(&in, id).Error; err != nil {
		return nil, fmt.Errorf("store: intake %d: %w", id, notFound(err))
	}
	return &in, nil
}

// Intakes lists the newest intakes in scope.
func (s *Store) Intakes(ctx context.Context, sc Scope, limit int) ([]Intake, error) {
	var out []Intake
	q := sc.apply(s.db.WithContext(ctx), "facility_id")
	if err := q.Order("id DESC").Limit(limit).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: list intakes: %w", err)
	}
	return out, nil
}

// ErrLeaseLost is a worker's write to an intake that is no longer its own: its heartbeat was
// late, another process requeued the intake and (perhaps) runs it now.
var ErrLeaseLost = errors.New("the intake was taken over by another worker: its heartbeat was late")

// NewIntakeClaim makes the claim a worker runs an intake under (Intake.ClaimedBy): the host and
// process, for the operator who wonders who runs it, and a random part that makes each claim
// its own, so that a process that claims the same intake twice tells its claims apart.
func NewIntakeClaim() string {
	host, _ := os.Hostname()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return clampRunes(fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b)), 64)
}

// ClaimIntake takes the oldest queued intake for a worker: it becomes running under a new claim
// (ClaimedBy, the lease that the worker's heartbeat renews), its results of any earlier run are
// deleted (so a re-run starts clean), all in one transaction. Two processes claiming at once
// cannot both take it: the state change is conditional (and on a Galera cluster the loser's
// commit fails certification and runs again, finding it taken). No queued intake is
// ErrNotFound.
func (s *Store) ClaimIntake(ctx context.Context) (*Intake, error) {
	for range 5 {
		var in Intake
		err := s.db.WithContext(ctx).Where("state = ?", IntakeQueued).Order("id").Take(&in).Error
		if err != nil {
			return nil, fmt.Errorf("store: claim intake: %w", notFound(err))
		}
		now := s.now().UTC()
		claim := NewIntakeClaim()
		claimed := false
		err = s.retryTx(ctx, "claim intake", func(tx *gorm.DB) error {
			claimed = false
			res := tx.Model(&Intake{}).Where("id = ? AND state = ?", in.ID, IntakeQueued).Updates(map[string]any{
				"state": IntakeRunning, "started_at": now, "heartbeat_at": now, "finished_at": nil, "error": "",
				"claimed_by": claim,
			})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 0 {
				return nil // another worker took it
			}
			claimed = true
			return resetIntakeResults(tx, in.ID)
		})
		if err != nil {
			return nil, fmt.Errorf("store: claim intake %d: %w", in.ID, err)
		}
		if claimed {
			return s.Intake(ctx, in.ID, AllFacilities)
		}
	}
	return nil, fmt.Errorf("store: claim intake: %w", ErrNotFound)
}

// resetIntakeResults deletes what an earlier run of an intake stored and zeroes its counts.
func resetIntakeResults(tx *gorm.DB, id uint) error {
	if err := tx.Where("intake_id = ?", id).Delete(&IntakeFailure{}).Error; err != nil {
		return err
	}
	if err := tx.Where("intake_id = ?", id).Delete(&IntakeEditCount{}).Error; err != nil {
		return err
	}
	return tx.Model(&Intake{}).Where("id = ?", id).Select("patients", "tumors", "records_processed",
		"structural_errors", "edit_errors", "edit_warnings", "failures_stored", "duplicates",
		"acceptable_tumors", "received_tumors", "facilities_seen", "naaccr_version", "record_type", "sending_facility_id").
		Updates(&Intake{FacilitiesSeen: "[]"}).Error
}

// RequeueStaleIntakes puts intakes left running with a heartbeat before the given time (their
// process stopped) back in the queue; it returns how many.
func (s *Store) RequeueStaleIntakes(ctx context.Context, before time.Time) (int64, error) {
	res := s.db.WithContext(ctx).Model(&Intake{}).
		Where("state = ? AND (heartbeat_at IS NULL OR heartbeat_at < ?)", IntakeRunning, before.UTC()).
		Update("state", IntakeQueued)
	if res.Error != nil {
		return 0, fmt.Errorf("store: requeue stale intakes: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// IntakeProgress records a running intake's counts so far and renews its heartbeat, if the
// intake is still running under claim (else ErrLeaseLost).
func (s *Store) IntakeProgress(ctx context.Context, id uint, claim string, c IntakeCounts) error {
	res := s.db.WithContext(ctx).Model(&Intake{}).Where("id = ? AND state = ? AND claimed_by = ?", id, IntakeRunning, claim).
		Select("heartbeat_at", "patients", "tumors", "records_processed", "structural_errors", "edit_errors",
			"edit_warnings", "failures_stored", "duplicates", "acceptable_tumors").
		Updates(&Intake{HeartbeatAt: ptr(s.now().UTC()), IntakeCounts: c})
	if err := leaseHeld(ctx, s.sqlDB, res.Error, res.RowsAffected, id, claim); err != nil {
		return fmt.Errorf("store: intake %d progress: %w", id, err)
	}
	return nil
}

// renewLease renews the heartbeat of an intake running under claim; one that is not (requeued
// and perhaps claimed by another worker) is ErrLeaseLost. It is the first statement of each
// transaction of a run's writes: it writes the intake's row, so it waits for (one database) or
// conflicts at certification with (Galera) a concurrent requeue or claim, and the run's writes
// land only while its claim holds.
func renewLease(ctx context.Context, q sqlQuerier, id uint, claim string, now time.Time) error {
	res, err := q.ExecContext(ctx, "UPDATE intakes SET heartbeat_at = ? WHERE id = ? AND state = ? AND claimed_by = ?", now, id, IntakeRunning, claim)
	var n int64
	if err == nil {
		n, err = res.RowsAffected()
	}
	return leaseHeld(ctx, q, err, n, id, claim)
}

// rowQuerier is a *sql.DB, a *sql.Tx or a GORM transaction (gormQuerier).
type rowQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// sqlQuerier is a *sql.DB or *sql.Tx.
type sqlQuerier interface {
	rowQuerier
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// leaseHeld reads an update of an intake under claim: its error, or ErrLeaseLost when it changed
// no row and the intake is not running under claim. (MySQL counts the rows an update changed,
// not those it matched: a heartbeat that did not move changes nothing, and the claim still holds.)
func leaseHeld(ctx context.Context, q rowQuerier, err error, rows int64, id uint, claim string) error {
	if err != nil || rows > 0 {
		return err
	}
	var n int
	if err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM intakes WHERE id = ? AND state = ? AND claimed_by = ?", id, IntakeRunning, claim).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return ErrLeaseLost
	}
	return nil
}

// AddIntakeFailures stores failing records of an intake, in bulk: multi-row inserts through one
// prepared statement, in one transaction per call. It goes around GORM: for an intake's 100,000
// rows its reflection, and on SQLite the driver's binding (the time to bind a parameter grows
// with the statement's parameter count), cost more than the inserts themselves. Callers pass a
// few thousand rows at a time, so that a SQLite store (one connection) serves pages in between.
//
// The rows are stored only while the intake runs under claim (else ErrLeaseLost, and nothing is
// stored): a worker whose job was taken over adds nothing to the new run's failures.
func (s *Store) AddIntakeFailures(ctx context.Context, claim string, fs []IntakeFailure) error {
	if len(fs) == 0 {
		return nil
	}
	if err := s.addIntakeFailures(ctx, claim, fs); err != nil {
		return fmt.Errorf("store: add %d failures of intake %d: %w", len(fs), fs[0].IntakeID, err)
	}
	return nil
}

func (s *Store) addIntakeFailures(ctx context.Context, claim string, fs []IntakeFailure) (err error) {
	perStmt := s.dialect.rowsPerInsert()
	tx, err := s.sqlDB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if err := renewLease(ctx, tx, fs[0].IntakeID, claim, s.now().UTC()); err != nil {
		return err
	}
	// Prepared once a size on SQLite; not on MySQL, where a statement prepared on the server goes
	// on after Galera aborted its transaction (see normalizeMySQLDSN's interpolateParams).
	var (
		stmt *sql.Stmt
		q    string
	)
	stmtRows := 0
	defer func() {
		if stmt != nil {
			stmt.Close()
		}
	}()
	const cols = 9
	args := make([]any, 0, perStmt*cols)
	for start := 0; start < len(fs); start += perStmt {
		part := fs[start:min(start+perStmt, len(fs))]
		if len(part) != stmtRows {
			if stmt != nil {
				stmt.Close()
			}
			stmt = nil
			q = "INSERT INTO intake_failures (intake_id, patient_index, tumor_index, patient_id_number, tumor_sequence, edit_id, severity, item, message) VALUES " +
				strings.TrimSuffix(strings.Repeat("(?,?,?,?,?,?,?,?,?),", len(part)), ",")
			if s.dialect == DialectSQLite {
				if stmt, err = tx.PrepareContext(ctx, q); err != nil {
					stmt = nil
					return err
				}
			}
			stmtRows = len(part)
		}
		args = args[:0]
		for i := range part {
			f := &part[i]
			args = append(args, f.IntakeID, f.PatientIndex, f.TumorIndex, clampRunes(f.PatientIDNumber, 32),
				clampRunes(f.TumorSequence, 8), clampRunes(f.EditID, 128), f.Severity, clampRunes(f.Item, 64),
				clampRunes(f.Message, 2000))
		}
		if stmt != nil {
			_, err = stmt.ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, q, args...)
		}
		if err != nil {
			return err
		}
	}
	return tx.Commit()
}

// IntakeResult is what a finished run of an intake found.
type IntakeResult struct {
	Counts            IntakeCounts
	EditCounts        []IntakeEditCount
	NaaccrVersion     string
	RecordType        string
	FacilitiesSeen    string
	SendingFacilityID *uint
}

// FinishIntake stores a run's results and marks the intake done, in one transaction, if it still
// runs under claim (else ErrLeaseLost, and nothing is stored).
func (s *Store) FinishIntake(ctx context.Context, id uint, claim string, r IntakeResult) error {
	err := s.retryTx(ctx, "finish intake", func(tx *gorm.DB) error {
		res := tx.Model(&Intake{}).Where("id = ? AND state = ? AND claimed_by = ?", id, IntakeRunning, claim).
			Update("heartbeat_at", s.now().UTC())
		if err := leaseHeld(ctx, gormQuerier{tx}, res.Error, res.RowsAffected, id, claim); err != nil {
			return err
		}
		if err := tx.Where("intake_id = ?", id).Delete(&IntakeEditCount{}).Error; err != nil {
			return err
		}
		for i := range r.EditCounts {
			r.EditCounts[i].IntakeID = id
			r.EditCounts[i].EditID = clampRunes(r.EditCounts[i].EditID, 128)
		}
		if len(r.EditCounts) > 0 {
			if err := tx.CreateInBatches(r.EditCounts, 200).Error; err != nil {
				return err
			}
		}
		now := s.now().UTC()
		return tx.Model(&Intake{}).Where("id = ?", id).
			Select("state", "finished_at", "heartbeat_at", "naaccr_version", "record_type", "facilities_seen",
				"sending_facility_id", "patients", "tumors", "records_processed", "structural_errors", "edit_errors",
				"edit_warnings", "failures_stored", "duplicates", "acceptable_tumors", "received_tumors", "error").
			Updates(&Intake{State: IntakeDone, FinishedAt: &now, HeartbeatAt: &now, NaaccrVersion: r.NaaccrVersion,
				RecordType: r.RecordType, FacilitiesSeen: r.FacilitiesSeen, SendingFacilityID: r.SendingFacilityID,
				IntakeCounts: r.Counts}).Error
	})
	if err != nil {
		return fmt.Errorf("store: finish intake %d: %w", id, err)
	}
	return nil
}

// FailIntake marks an intake running under claim failed with the reason; one no longer running
// under it is ErrLeaseLost.
func (s *Store) FailIntake(ctx context.Context, id uint, claim, reason string) error {
	now := s.now().UTC()
	res := s.db.WithContext(ctx).Model(&Intake{}).Where("id = ? AND state = ? AND claimed_by = ?", id, IntakeRunning, claim).
		Updates(map[string]any{"state": IntakeFailed, "error": clampRunes(reason, 2000), "finished_at": now})
	err := res.Error
	if err == nil && res.RowsAffected == 0 {
		err = ErrLeaseLost
	}
	if err != nil {
		return fmt.Errorf("store: fail intake %d: %w", id, err)
	}
	return nil
}

// RetryIntake queues a failed intake again; one in another state is ErrConflict.
func (s *Store) RetryIntake(ctx context.Context, id uint, sc Scope) error {
	if _, err := s.Intake(ctx, id, sc); err != nil {
		return err
	}
	res := s.db.WithContext(ctx).Model(&Intake{}).Where("id = ? AND state = ?", id, IntakeFailed).
		Updates(map[string]any{"state": IntakeQueued, "error": ""})
	if res.Error != nil {
		return fmt.Errorf("store: retry intake %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store: retry intake %d: it has not failed: %w", id, ErrConflict)
	}
	return nil
}

// AcceptIntake records the outcome of importing an intake's acceptable records, with its
// audit event, in one transaction.
func (s *Store) AcceptIntake(ctx context.Context, id uint, c IntakeCounts, by *uint, e AuditEntry) error {
	now := s.now().UTC()
	err := s.retryTx(ctx, "accept intake", func(tx *gorm.DB) error {
		err := tx.Model(&Intake{}).Where("id = ?", id).
			Select("state", "accepted_at", "accepted_by", "accepted_tumors", "existing_tumors", "skipped_tumors").
			Updates(&Intake{State: IntakeAccepted, AcceptedAt: &now, AcceptedBy: by, IntakeCounts: c}).Error
		if err != nil {
			return err
		}
		return s.audit(tx, e)
	})
	if err != nil {
		return fmt.Errorf("store: accept intake %d: %w", id, err)
	}
	return nil
}

// IntakeFailureQuery selects a page of an intake's failing records.
type IntakeFailureQuery struct {
	IntakeID uint
	EditID   string // "" for all
	Severity string // "" for all
	Offset   int
	Limit    int
}

// IntakeFailures returns a page of an intake's failing records in file order, and how many
// match in all.
func (s *Store) IntakeFailures(ctx context.Context, q IntakeFailureQuery) ([]IntakeFailure, int64, error) {
	db := s.db.WithContext(ctx).Model(&IntakeFailure{}).Where("intake_id = ?", q.IntakeID)
	if q.EditID != "" {
		db = db.Where("edit_id = ?", q.EditID)
	}
	if q.Severity != "" {
		db = db.Where("severity = ?", q.Severity)
	}
	var total int64
	if err := db.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("store: count failures of intake %d: %w", q.IntakeID, err)
	}
	var out []IntakeFailure
	if err := db.Order("id").Offset(q.Offset).Limit(q.Limit).Find(&out).Error; err != nil {
		return nil, 0, fmt.Errorf("store: failures of intake %d: %w", q.IntakeID, err)
	}
	return out, total, nil
}

// EachIntakeFailure calls fn for every stored failing record of an intake, in file order,
// reading a batch at a time (for downloads).
func (s *Store) EachIntakeFailure(ctx context.Context, id uint, fn func(*IntakeFailure) error) error {
	var last uint
	for {
		var batch []IntakeFailure
		if err := s.db.WithContext(ctx).Where("intake_id = ? AND id > ?", id, last).Order("id").Limit(1000).Find(&batch).Error; err != nil {
			return fmt.Errorf("store: failures of intake %d: %w", id, err)
		}
		for i := range batch {
			if err := fn(&batch[i]); err != nil {
				return err
			}
		}
		if len(batch) < 1000 {
			return nil
		}
		last = batch[len(batch)-1].ID
	}
}

// IntakeEditCounts returns how often each edit failed in an intake, most first.
func (s *Store) IntakeEditCounts(ctx context.Context, id uint) ([]IntakeEditCount, error) {
	var out []IntakeEditCount
	err := s.db.WithContext(ctx).Where("intake_id = ?", id).
		Order(clause.OrderBy{Columns: []clause.OrderByColumn{{Column: clause.Column{Name: "count"}, Desc: true}, {Column: clause.Column{Name: "edit_id"}}}}).
		Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("store: edit counts of intake %d: %w", id, err)
	}
	return out, nil
}

// StoredTumorKeys returns which of the given patients' tumors a facility has already: the keys
// are patient id number + "/" + sequence number. It is one query per call; callers pass a batch.
func (s *Store) StoredTumorKeys(ctx context.Context, facilityID uint, patientIDNumbers []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(patientIDNumbers) == 0 {
		return out, nil
	}
	var rows []struct {
		PatientIDNumber string
		SequenceNumber  string
	}
	err := s.db.WithContext(ctx).Table("tumors").Select("patients.patient_id_number, tumors.sequence_number").
		Joins("JOIN patients ON patients.id = tumors.patient_id").
		Where("patients.facility_id = ? AND patients.patient_id_number IN ?", facilityID, patientIDNumbers).
		Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: stored tumors of facility %d: %w", facilityID, err)
	}
	for _, r := range rows {
		out[r.PatientIDNumber+"/"+r.SequenceNumber] = true
	}
	return out, nil
}

// FacilityByIDNumber finds the facility a submission file's reportingFacility names: by its
// id_number, else by its code.
func (s *Store) FacilityByIDNumber(ctx context.Context, v string) (*Facility, error) {
	var f Facility
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, fmt.Errorf("store: facility with no reporting facility number: %w", ErrNotFound)
	}
	err := s.db.WithContext(ctx).Where("id_number = ?", v).Order("id").Take(&f).Error
	if err == nil {
		return &f, nil
	}
	if err := s.db.WithContext(ctx).Where("code = ?", v).Take(&f).Error; err != nil {
		return nil, fmt.Errorf("store: facility with reporting facility %q: %w", v, notFound(err))
	}
	return &f, nil
}

// clampRunes cuts s to at most n runes, so that a long value from a file fits its column.
func clampRunes(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

func ptr[T any](v T) *T { return &v }

// TouchIntake renews the heartbeat of an intake running under claim; one that is not (another
// process took it over) is ErrLeaseLost, and its worker should stop.
func (s *Store) TouchIntake(ctx context.Context, id uint, claim string) error {
	err := renewLease(ctx, s.sqlDB, id, claim, s.now().UTC())
	if err != nil {
		return fmt.Errorf("store: intake %d heartbeat: %w", id, err)
	}
	return nil
}

// RequeueIntake puts an intake running under claim back in the queue (its worker is stopping);
// one another worker has taken over stays its.
func (s *Store) RequeueIntake(ctx context.Context, id uint, claim string) error {
	err := s.db.WithContext(ctx).Model(&Intake{}).Where("id = ? AND state = ? AND claimed_by = ?", id, IntakeRunning, claim).
		Update("state", IntakeQueued).Error
	if err != nil {
		return fmt.Errorf("store: requeue intake %d: %w", id, err)
	}
	return nil
}

// gormQuerier reads a row in a GORM transaction, for leaseHeld.
type gormQuerier struct{ tx *gorm.DB }

func (g gormQuerier) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return g.tx.WithContext(ctx).Raw(query, args...).Row()
}
