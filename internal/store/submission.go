package store

import (
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"gorm.io/gorm"

	"github.com/cara-registry/cara/internal/audit"
)

// The kinds of submission batch.
const (
	// SubmissionRegular sends approved cases that were never in a batch before.
	SubmissionRegular = "regular"
	// SubmissionCorrection resends approved cases that were in an earlier batch and have been
	// reopened, changed and approved again since.
	SubmissionCorrection = "correction"
)

// PendingFilter selects the approved cases of one facility that a batch would send.
type PendingFilter struct {
	FacilityID uint
	Scope      Scope // the caller's; a facility out of scope has nothing pending
	// Correction selects the cases sent before (a correction batch) instead of those never sent.
	Correction bool
	// DiagnosedFrom and DiagnosedTo bound the date of diagnosis as in PatientFilter.
	DiagnosedFrom, DiagnosedTo string
	// Items, when set, gives the maps EachPendingPatient decodes items into.
	Items *ItemsPool
}

// ItemsPool keeps Items maps a reader is done with for the next cases to be decoded into: a
// batch of a hundred thousand cases otherwise allocates (and collects) a map of 150 items for
// each, most of its garbage.
type ItemsPool struct{ pool sync.Pool }

// get is an empty map, from the pool when it has one.
func (ip *ItemsPool) get() Items {
	if ip != nil {
		if m, ok := ip.pool.Get().(Items); ok {
			return m
		}
	}
	return make(Items, 160)
}

// Put hands a map back, emptied; the caller must not touch it afterwards.
func (ip *ItemsPool) Put(m map[string]string) {
	if ip == nil || m == nil {
		return
	}
	clear(m)
	ip.pool.Put(Items(m))
}

// pendingTumors is the condition on the tumors table for f.
func (s *Store) pendingTumors(db *gorm.DB, f PendingFilter) *gorm.DB {
	q := db.Where("tumors.facility_id = ? AND tumors.status = ?", f.FacilityID, "approved")
	sent := "EXISTS (SELECT 1 FROM submission_tumors st WHERE st.tumor_id = tumors.id AND st.held = 0)"
	if f.Correction {
		q = q.Where(sent)
	} else {
		q = q.Where("NOT " + sent)
	}
	if f.DiagnosedFrom != "" {
		q = q.Where("tumors.date_of_diagnosis >= ?", f.DiagnosedFrom)
	}
	if f.DiagnosedTo != "" {
		if f.DiagnosedFrom == "" {
			q = q.Where("tumors.date_of_diagnosis <> ''") // a blank date is in no range
		}
		q = q.Where("tumors.date_of_diagnosis <= ?", f.DiagnosedTo+"99999999"[min(len(f.DiagnosedTo), 8):])
	}
	return q
}

// CountPending counts the cases a regular and a correction batch of the facility would take.
func (s *Store) CountPending(ctx context.Context, f PendingFilter) (regular, correction int64, err error) {
	if !f.Scope.Contains(f.FacilityID) {
		return 0, 0, nil
	}
	db := s.db.WithContext(ctx)
	f.Correction = false
	if err := s.pendingTumors(db.Model(&Tumor{}), f).Count(&regular).Error; err != nil {
		return 0, 0, fmt.Errorf("store: count pending cases of facility %d: %w", f.FacilityID, err)
	}
	f.Correction = true
	if err := s.pendingTumors(db.Model(&Tumor{}), f).Count(&correction).Error; err != nil {
		return 0, 0, fmt.Errorf("store: count correction cases of facility %d: %w", f.FacilityID, err)
	}
	return regular, correction, nil
}

// EachPendingPatient calls fn for every patient with pending cases, with those cases, in patient
// order. It lists the patients first (their ids, from idx_tumors_facility_status alone), then reads
// batchSize patients at a time (two queries a batch), so memory stays flat however many cases
// there are but for the ids. The patient and tumors passed to fn are fn's to keep.
//
// The rows are scanned by hand and the items decoded straight from the driver's buffer
// (decodeItems): a batch reads about 4 KB of items a tumor, and GORM's scanning copied them twice.
func (s *Store) EachPendingPatient(ctx context.Context, f PendingFilter, batchSize int, fn func(p *Patient, tumors []Tumor) error) error {
	if !f.Scope.Contains(f.FacilityID) {
		return nil
	}
	if batchSize <= 0 {
		batchSize = 500
	}
	db := s.db.WithContext(ctx)
	// Every patient's id in one scan of idx_tumors_facility_status, sorted by the database:
	// paging by patient would need an index on (facility, status, patient), one more that every
	// case a batch marks would rewrite.
	var all []uint
	q := s.pendingTumors(db.Model(&Tumor{}), f)
	if err := q.Distinct("tumors.patient_id").Order("tumors.patient_id").Pluck("tumors.patient_id", &all).Error; err != nil {
		return fmt.Errorf("store: pending cases of facility %d: %w", f.FacilityID, err)
	}
	for len(all) > 0 {
		ids := all[:min(batchSize, len(all))]
		all = all[len(ids):]
		pats, err := scanPendingPatients(db.Table("patients").Select(pendingPatientColumns).Where("id IN ?", ids).Order("id"), f.Items)
		if err != nil {
			return fmt.Errorf("store: pending cases of facility %d: patients: %w", f.FacilityID, err)
		}
		q = s.pendingTumors(db.Table("tumors"), f).Select(pendingTumorColumns).
			Joins("LEFT JOIN tumor_items ti ON ti.tumor_id = tumors.id").
			Where("tumors.patient_id IN ?", ids).Order("tumors.patient_id, tumors.id")
		tumors, err := scanPendingTumors(q, f.Items)
		if err != nil {
			return fmt.Errorf("store: pending cases of facility %d: tumors: %w", f.FacilityID, err)
		}
		next := 0
		for _, p := range pats {
			start := next
			for next < len(tumors) && tumors[next].PatientID == p.ID {
				next++
			}
			if next == start {
				continue // its cases changed between the queries
			}
			if err := fn(p, tumors[start:next:next]); err != nil {
				return err
			}
		}
	}
	return nil
}

const pendingPatientColumns = "id, facility_id, patient_id_number, name_last, name_first, date_of_birth, items, version, created_at, updated_at"

// scanPendingPatients reads the patients of q (pendingPatientColumns), items decoded.
func scanPendingPatients(q *gorm.DB, pool *ItemsPool) ([]*Patient, error) {
	rows, err := q.Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var (
		out   []*Patient
		items sql.RawBytes
	)
	for rows.Next() {
		p := &Patient{}
		if err := rows.Scan(&p.ID, &p.FacilityID, &p.PatientIDNumber, &p.NameLast, &p.NameFirst, &p.DateOfBirth,
			&items, &p.Version, &p.CreatedAt, &p.UpdatedAt); err != nil {
			return nil, err
		}
		if p.Items, err = decodeItems(items, pool.get()); err != nil {
			return nil, fmt.Errorf("patient %d: %w", p.ID, err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

const pendingTumorColumns = "tumors.id, tumors.patient_id, tumors.facility_id, tumors.name_last, tumors.name_first, " +
	"tumors.medical_record_number, tumors.accession_number, tumors.sequence_number, tumors.primary_site, " +
	"tumors.histology, tumors.behavior, tumors.date_of_diagnosis, tumors.status, tumors.assigned_to, " +
	"tumors.reviewed_by, tumors.edit_errors, tumors.edit_warnings, tumors.version, tumors.status_changed_at, " +
	"tumors.created_at, tumors.updated_at, ti.items"

// scanPendingTumors reads the tumors of q (pendingTumorColumns), items decoded.
func scanPendingTumors(q *gorm.DB, pool *ItemsPool) ([]Tumor, error) {
	rows, err := q.Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var (
		out   []Tumor
		items sql.RawBytes
	)
	for rows.Next() {
		var t Tumor
		if err := rows.Scan(&t.ID, &t.PatientID, &t.FacilityID, &t.NameLast, &t.NameFirst,
			&t.MedicalRecordNumber, &t.AccessionNumber, &t.SequenceNumber, &t.PrimarySite,
			&t.Histology, &t.Behavior, &t.DateOfDiagnosis, &t.Status, &t.AssignedTo,
			&t.ReviewedBy, &t.EditErrors, &t.EditWarnings, &t.Version, &t.StatusChangedAt,
			&t.CreatedAt, &t.UpdatedAt, &items); err != nil {
			return nil, err
		}
		if t.Items, err = decodeItems(items, pool.get()); err != nil {
			return nil, fmt.Errorf("tumor %d: %w", t.ID, err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// NewSubmission is a batch to record: the row (its ID, FileName and StoragePath are set by
// RecordSubmission), every case it looked at, and who made it.
type NewSubmission struct {
	Submission Submission
	// FileStem and FileExt make the file name: FileStem_NNN + FileExt, NNN the batch's
	// sequence number among those with the same stem (the facility's batches of the day).
	FileStem, FileExt string
	Tumors            []SubmissionTumor
	RemoteAddr        string
}

// RecordSubmission records a batch in one transaction: the batch row, its cases, each sent case
// moved from approved to submitted (only if still at the version the file was written from), and
// the batch's audit event with the digest of its sent cases. place is called
// last, before the commit, with the file name chosen (it moves the written file into place); if
// it fails nothing is recorded. A sent case that changed meanwhile is ErrConflict, naming the
// case; a file name taken by a batch recorded at the same moment is ErrDuplicate (try again).
func (s *Store) RecordSubmission(ctx context.Context, in NewSubmission, place func(fileName string) error) (*Submission, error) {
	row := in.Submission
	row.ID, row.AuditPending, row.RemoteAddr = 0, false, clampRunes(in.RemoteAddr, 64)
	err := s.onceTx(ctx, func(tx *gorm.DB) error {
		name, err := submissionFileName(tx, in, 0)
		if err != nil {
			return err
		}
		row.FileName, row.StoragePath = name, name
		row.CreatedAt = s.now().UTC()
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		sent := sentCases(in.Tumors)
		if err := s.insertSubmissionTumors(tx, row.ID, in.Tumors); err != nil {
			return fmt.Errorf("cases: %w", err)
		}
		now := row.CreatedAt
		// One statement marks every sent case (see Dialect.markSubmittedSQL).
		res := tx.Exec(s.dialect.markSubmittedSQL(), now, row.ID)
		if res.Error != nil {
			return fmt.Errorf("mark cases submitted: %w", res.Error)
		}
		if res.RowsAffected != int64(sent) {
			return s.changedCase(tx, row.ID)
		}
		// The batch's one audit event binds its sent cases to the hash chain by their digest:
		// an event and a status_changes row per case would double what the links already say,
		// and were half of a large batch's transaction. StatusHistory and CaseHistory read the
		// submit step of a case from the links; VerifySubmissions checks the digests.
		if err := s.audit(tx, submissionAudit(&row, in)); err != nil {
			return err
		}
		if place != nil {
			if err := place(row.FileName); err != nil {
				return fmt.Errorf("place file %s: %w", row.FileName, err)
			}
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, ErrConflict) {
			return nil, fmt.Errorf("store: record submission of facility %d: %w", row.FacilityID, err)
		}
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return nil, fmt.Errorf("store: record submission %s: %w", row.FileName, ErrDuplicate)
		}
		return nil, fmt.Errorf("store: record submission of facility %d: %w", row.FacilityID, err)
	}
	return &row, nil
}

// changedCase names a sent case of a batch that is no longer approved at the version the file
// was written from, as ErrConflict.
func (s *Store) changedCase(tx *gorm.DB, submissionID uint) error {
	var r struct {
		TumorID      uint
		TumorVersion int64
		Version      int64
		Status       string
	}
	err := tx.Raw(`SELECT st.tumor_id, st.tumor_version, t.version, t.status
		FROM submission_tumors st JOIN tumors t ON t.id = st.tumor_id
		WHERE st.submission_id = ? AND st.held = 0 AND NOT (t.status = 'submitted' AND t.version = st.tumor_version + 1)
		ORDER BY st.tumor_id LIMIT 1`, submissionID).Scan(&r).Error
	if err != nil {
		return fmt.Errorf("find the changed case: %w", err)
	}
	if r.TumorID == 0 {
		return fmt.Errorf("a case changed while the batch was written: %w", ErrConflict)
	}
	return fmt.Errorf("case %d changed while the batch was written (it was approved at version %d, it is now %s at version %d); create the batch again: %w",
		r.TumorID, r.TumorVersion, r.Status, r.Version, ErrConflict)
}

// submissionFileName is the name of a batch of in: its stem, the next sequence number among the
// names recorded with that stem (plus skip, when a batch recorded meanwhile took one), its ext.
func submissionFileName(tx *gorm.DB, in NewSubmission, skip int64) (string, error) {
	var n int64
	prefix := escapeLike(in.FileStem + "_")
	if err := tx.Model(&Submission{}).Where("file_name LIKE ? ESCAPE '!'", prefix+"%").Count(&n).Error; err != nil {
		return "", fmt.Errorf("sequence number: %w", err)
	}
	return fmt.Sprintf("%s_%03d%s", in.FileStem, n+1+skip, in.FileExt), nil
}

// sentCases counts the links of the cases a batch sends (not held back).
func sentCases(links []SubmissionTumor) int {
	n := 0
	for _, l := range links {
		if !l.Held {
			n++
		}
	}
	return n
}

// submissionAudit is the audit event of a recorded batch, with the digest of its sent cases.
func submissionAudit(row *Submission, in NewSubmission) AuditEntry {
	return AuditEntry{
		UserID: row.CreatedBy, Action: audit.SubmissionCreate, Entity: "submission", EntityID: fmt.Sprint(row.ID),
		Details: map[string]any{"file": row.FileName, "facility_id": row.FacilityID, "kind": row.Kind,
			"version": row.NaaccrVersion, "record_type": row.RecordType, "sha256": row.SHA256,
			"patients": row.PatientCount, "tumors": row.TumorCount, "items": row.ItemCount, "held": row.HeldCount,
			"warnings": row.WarningCount, "from": row.DateFrom, "to": row.DateTo,
			"cases": sentCases(in.Tumors), "cases_sha256": SubmissionCasesDigest(in.Tumors)},
		RemoteAddr: in.RemoteAddr,
	}
}

// SubmissionCasesDigest is the SHA-256 (hex) of a batch's sent cases: a line "tumor id:version"
// for each, in tumor id order. A batch's audit event carries it, so that its links are as tamper
// evident as the events themselves.
func SubmissionCasesDigest(links []SubmissionTumor) string {
	sent := make([]SubmissionTumor, 0, len(links))
	for _, l := range links {
		if !l.Held {
			sent = append(sent, l)
		}
	}
	slices.SortFunc(sent, func(a, b SubmissionTumor) int { return cmp.Compare(a.TumorID, b.TumorID) })
	h := sha256.New()
	var line []byte
	for _, l := range sent {
		line = strconv.AppendUint(line[:0], uint64(l.TumorID), 10)
		line = append(line, ':')
		line = strconv.AppendInt(line, l.TumorVersion, 10)
		line = append(line, '\n')
		h.Write(line)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// insertSubmissionTumors links a batch's cases to it, several thousand rows a statement.
func (s *Store) insertSubmissionTumors(tx *gorm.DB, submissionID uint, ts []SubmissionTumor) error {
	ins := s.newBulkInsert("INSERT INTO submission_tumors (submission_id, tumor_id, tumor_version, held, warnings, failures) VALUES ", 6)
	for _, t := range ts {
		failures := t.Failures
		if failures == "" {
			failures = "[]"
		}
		if err := ins.add(tx, submissionID, t.TumorID, t.TumorVersion, t.Held, t.Warnings, failures); err != nil {
			return err
		}
	}
	return ins.flush(tx)
}

// bulkInsert gathers rows into multi-row INSERT statements of up to 30,000 values: under
// SQLite's limit of 32,766 parameters (MySQL's is 65,535), and large enough that a hundred
// thousand rows take a few dozen statements.
type bulkInsert struct {
	prefix string
	cols   int
	limit  int // values a statement
	rows   int
	sql    strings.Builder
	args   []any
}

const bulkValues = 30_000

func (s *Store) newBulkInsert(prefix string, cols int) *bulkInsert {
	limit := s.bulkValues
	if limit <= 0 {
		limit = bulkValues
	}
	return &bulkInsert{prefix: prefix, cols: cols, limit: max(limit, cols)}
}

// add adds a row of values (cols of them), executing the statement when it is full.
func (b *bulkInsert) add(tx *gorm.DB, vals ...any) error {
	if b.rows == 0 {
		b.sql.Reset()
		b.sql.WriteString(b.prefix)
		b.args = b.args[:0]
	} else {
		b.sql.WriteByte(',')
	}
	b.sql.WriteByte('(')
	for i := range b.cols {
		if i > 0 {
			b.sql.WriteByte(',')
		}
		b.sql.WriteByte('?')
	}
	b.sql.WriteByte(')')
	b.args = append(b.args, vals...)
	b.rows++
	if (b.rows+1)*b.cols > b.limit {
		return b.flush(tx)
	}
	return nil
}

// flush executes the rows gathered, if any.
func (b *bulkInsert) flush(tx *gorm.DB) error {
	if b.rows == 0 {
		return nil
	}
	b.rows = 0
	// Straight to the connection: gorm would walk every one of the values to build the SQL.
	_, err := tx.Statement.ConnPool.ExecContext(tx.Statement.Context, b.sql.String(), b.args...)
	return err
}

// SubmissionSummary is a batch as the history lists it.
type SubmissionSummary struct {
	Submission
	FacilityCode, FacilityName string
	CreatedByName              string // the user's display name or username; "" for a command-line job
}

// Submissions lists the batches of the facilities in scope (of one facility when facilityID is
// not 0), newest first, at most limit.
func (s *Store) Submissions(ctx context.Context, sc Scope, facilityID uint, limit int) ([]SubmissionSummary, error) {
	q := sc.apply(s.db.WithContext(ctx).Table("submissions"), "submissions.facility_id").
		Select("submissions.*, facilities.code AS facility_code, facilities.name AS facility_name, " +
			"COALESCE(NULLIF(users.display_name, ''), users.username, '') AS created_by_name").
		Joins("JOIN facilities ON facilities.id = submissions.facility_id").
		Joins("LEFT JOIN users ON users.id = submissions.created_by")
	if facilityID != 0 {
		q = q.Where("submissions.facility_id = ?", facilityID)
	}
	if limit > 0 {
		q = q.Limit(limit)
	}
	var out []SubmissionSummary
	if err := q.Order("submissions.created_at DESC, submissions.id DESC").Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("store: submissions: %w", err)
	}
	return out, nil
}

// SubmissionByID returns a batch; one of a facility out of scope is ErrNotFound.
func (s *Store) SubmissionByID(ctx context.Context, id uint, sc Scope) (*SubmissionSummary, error) {
	q := sc.apply(s.db.WithContext(ctx).Table("submissions"), "submissions.facility_id").
		Select("submissions.*, facilities.code AS facility_code, facilities.name AS facility_name, "+
			"COALESCE(NULLIF(users.display_name, ''), users.username, '') AS created_by_name").
		Joins("JOIN facilities ON facilities.id = submissions.facility_id").
		Joins("LEFT JOIN users ON users.id = submissions.created_by").
		Where("submissions.id = ?", id)
	var out []SubmissionSummary
	if err := q.Limit(1).Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("store: submission %d: %w", id, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("store: submission %d: %w", id, ErrNotFound)
	}
	return &out[0], nil
}

// SubmissionCase is a case of a batch with failing edits: held back (errors) or sent with warnings.
type SubmissionCase struct {
	TumorID             uint
	NameLast, NameFirst string
	MedicalRecordNumber string
	PrimarySite         string
	DateOfDiagnosis     string
	Held                bool
	Warnings            int
	Failures            string // JSON array
}

// SubmissionCases lists the cases of a batch that have failing edits (held ones first), at most
// limit. The batch must be in scope.
func (s *Store) SubmissionCases(ctx context.Context, id uint, sc Scope, limit int) ([]SubmissionCase, error) {
	if _, err := s.SubmissionByID(ctx, id, sc); err != nil {
		return nil, err
	}
	q := s.db.WithContext(ctx).Table("submission_tumors st").
		Select("st.tumor_id, t.name_last, t.name_first, t.medical_record_number, t.primary_site, t.date_of_diagnosis, st.held, st.warnings, st.failures").
		Joins("JOIN tumors t ON t.id = st.tumor_id").
		Where("st.submission_id = ? AND (st.held = 1 OR st.warnings > 0)", id).
		Order("st.held DESC, st.tumor_id")
	if limit > 0 {
		q = q.Limit(limit)
	}
	var out []SubmissionCase
	if err := q.Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("store: cases of submission %d: %w", id, err)
	}
	return out, nil
}

// encodeDetails is an audit entry's details as JSON text ("{}" when there are none).
func encodeDetails(e AuditEntry) (string, error) {
	if e.Details == nil {
		return "{}", nil
	}
	if raw, ok := e.Details.(json.RawMessage); ok {
		return string(raw), nil // made by the caller as json.Marshal would
	}
	b, err := json.Marshal(e.Details)
	if err != nil {
		return "", fmt.Errorf("store: audit %s: encode details: %w", e.Action, err)
	}
	return string(b), nil
}

// SubmissionMismatch is a batch whose sent cases are not those its audit event recorded.
type SubmissionMismatch struct {
	SubmissionID uint
	FileName     string
	Reason       string
}

// VerifySubmissions recomputes the digest of every batch's sent cases from its links and compares
// it with the digest its audit event recorded (see SubmissionCasesDigest), so that a link added,
// removed or changed behind the store's back is found as a changed event would be. Batches
// recorded before digests, whose cases each had an audit event, are not counted. It returns how
// many batches it checked and those that do not match.
func (s *Store) VerifySubmissions(ctx context.Context) (int, []SubmissionMismatch, error) {
	db := s.db.WithContext(ctx)
	var subs []Submission
	if err := db.Select("id", "file_name", "audit_pending").Order("id").Find(&subs).Error; err != nil {
		return 0, nil, fmt.Errorf("store: verify batches: %w", err)
	}
	checked := 0
	var bad []SubmissionMismatch
	for _, sub := range subs {
		var details []string
		err := db.Model(&AuditEvent{}).Where("entity = 'submission' AND entity_id = ? AND action = ?",
			strconv.FormatUint(uint64(sub.ID), 10), audit.SubmissionCreate).Order("id").Limit(1).Pluck("details", &details).Error
		if err != nil {
			return checked, bad, fmt.Errorf("store: verify batch %s: %w", sub.FileName, err)
		}
		if len(details) == 0 {
			reason := "the batch has no audit event"
			if sub.AuditPending {
				reason = "the batch is recorded, its audit event not yet written (cara writes it at the next batch, at start and hourly)"
			}
			bad = append(bad, SubmissionMismatch{sub.ID, sub.FileName, reason})
			continue
		}
		var d struct {
			CasesSHA256 string `json:"cases_sha256"`
		}
		if err := json.Unmarshal([]byte(details[0]), &d); err != nil {
			bad = append(bad, SubmissionMismatch{sub.ID, sub.FileName, "its audit event's details are not JSON"})
			continue
		}
		if d.CasesSHA256 == "" {
			continue // recorded before digests
		}
		var links []SubmissionTumor
		if err := db.Select("tumor_id", "tumor_version").Where("submission_id = ? AND held = ?", sub.ID, false).
			Find(&links).Error; err != nil {
			return checked, bad, fmt.Errorf("store: verify batch %s: %w", sub.FileName, err)
		}
		checked++
		if got := SubmissionCasesDigest(links); got != d.CasesSHA256 {
			bad = append(bad, SubmissionMismatch{sub.ID, sub.FileName,
				fmt.Sprintf("its %d sent cases do not match the digest its audit event recorded", len(links))})
		}
	}
	return checked, bad, nil
}

// RecordedSubmissionFiles returns which of names (file names in the submission directory) are
// the storage path of a recorded batch, committed.
func (s *Store) RecordedSubmissionFiles(ctx context.Context, names []string) (map[string]bool, error) {
	out := make(map[string]bool, len(names))
	// A few hundred names a query keeps the IN list well under any placeholder limit.
	for chunk := range slices.Chunk(names, 500) {
		var found []string
		if err := s.db.WithContext(ctx).Model(&Submission{}).Where("storage_path IN ?", chunk).Pluck("storage_path", &found).Error; err != nil {
			return nil, fmt.Errorf("store: recorded submission files: %w", err)
		}
		for _, n := range found {
			out[n] = true
		}
	}
	return out, nil
}
