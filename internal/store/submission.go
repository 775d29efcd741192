package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

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
// order. It reads batchSize patients at a time (three queries a batch), so memory stays flat
// however many cases there are.
func (s *Store) EachPendingPatient(ctx context.Context, f PendingFilter, batchSize int, fn func(p *Patient, tumors []Tumor) error) error {
	if !f.Scope.Contains(f.FacilityID) {
		return nil
	}
	if batchSize <= 0 {
		batchSize = 500
	}
	db := s.db.WithContext(ctx)
	var lastID uint
	for {
		var ids []uint
		q := s.pendingTumors(db.Model(&Tumor{}), f).Where("tumors.patient_id > ?", lastID)
		if err := q.Distinct("tumors.patient_id").Order("tumors.patient_id").Limit(batchSize).Pluck("tumors.patient_id", &ids).Error; err != nil {
			return fmt.Errorf("store: pending cases of facility %d: %w", f.FacilityID, err)
		}
		if len(ids) == 0 {
			return nil
		}
		var pats []Patient
		if err := db.Where("id IN ?", ids).Order("id").Find(&pats).Error; err != nil {
			return fmt.Errorf("store: pending cases of facility %d: patients: %w", f.FacilityID, err)
		}
		var tumors []Tumor
		if err := s.pendingTumors(db, f).Where("tumors.patient_id IN ?", ids).Order("tumors.patient_id, tumors.id").Find(&tumors).Error; err != nil {
			return fmt.Errorf("store: pending cases of facility %d: tumors: %w", f.FacilityID, err)
		}
		byPatient := make(map[uint][]Tumor, len(pats))
		for _, t := range tumors {
			byPatient[t.PatientID] = append(byPatient[t.PatientID], t)
		}
		for i := range pats {
			ts := byPatient[pats[i].ID]
			if len(ts) == 0 {
				continue // changed between the two queries
			}
			if err := fn(&pats[i], ts); err != nil {
				return err
			}
		}
		lastID = ids[len(ids)-1]
	}
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
// moved from approved to submitted (only if still at the version the file was written from), a
// status change and an audit event for each, and the batch's own audit event. place is called
// last, before the commit, with the file name chosen (it moves the written file into place); if
// it fails nothing is recorded. A sent case that changed meanwhile is ErrConflict, naming the
// case; a file name taken by a batch recorded at the same moment is ErrDuplicate (try again).
func (s *Store) RecordSubmission(ctx context.Context, in NewSubmission, place func(fileName string) error) (*Submission, error) {
	row := in.Submission
	row.ID = 0
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		prefix := escapeLike(in.FileStem + "_")
		if err := tx.Model(&Submission{}).Where("file_name LIKE ? ESCAPE '!'", prefix+"%").Count(&n).Error; err != nil {
			return fmt.Errorf("sequence number: %w", err)
		}
		row.FileName = fmt.Sprintf("%s_%03d%s", in.FileStem, n+1, in.FileExt)
		row.StoragePath = row.FileName
		row.CreatedAt = s.now().UTC()
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		sent := 0
		for i := range in.Tumors {
			in.Tumors[i].SubmissionID = row.ID
			if in.Tumors[i].Failures == "" {
				in.Tumors[i].Failures = "[]"
			}
			if !in.Tumors[i].Held {
				sent++
			}
		}
		if len(in.Tumors) > 0 {
			if err := tx.CreateInBatches(in.Tumors, 1000).Error; err != nil {
				return fmt.Errorf("cases: %w", err)
			}
		}
		now := row.CreatedAt
		res := tx.Exec(`UPDATE tumors SET status = 'submitted', status_changed_at = ?, version = version + 1, updated_at = ?
			WHERE status = 'approved' AND EXISTS (SELECT 1 FROM submission_tumors st
				WHERE st.submission_id = ? AND st.held = 0 AND st.tumor_id = tumors.id AND st.tumor_version = tumors.version)`,
			now, now, row.ID)
		if res.Error != nil {
			return fmt.Errorf("mark cases submitted: %w", res.Error)
		}
		if res.RowsAffected != int64(sent) {
			return s.changedCase(tx, row.ID)
		}
		if err := tx.Exec(`INSERT INTO status_changes (tumor_id, facility_id, action, from_status, to_status, user_id, reason, edit_errors, edit_warnings, at)
			SELECT t.id, t.facility_id, 'submit', 'approved', 'submitted', ?, ?, 0, st.warnings, ?
			FROM submission_tumors st JOIN tumors t ON t.id = st.tumor_id
			WHERE st.submission_id = ? AND st.held = 0`,
			row.CreatedBy, "submission "+row.FileName, now, row.ID).Error; err != nil {
			return fmt.Errorf("status history: %w", err)
		}
		entries := make([]AuditEntry, 0, sent+1)
		for _, t := range in.Tumors {
			if t.Held {
				continue
			}
			entries = append(entries, AuditEntry{
				UserID: row.CreatedBy, Action: audit.CaseStatus, Entity: "tumor", EntityID: fmt.Sprint(t.TumorID),
				Details: map[string]any{"action": "submit", "from": "approved", "to": "submitted",
					"edit_errors": 0, "edit_warnings": t.Warnings, "submission": row.ID, "file": row.FileName},
				RemoteAddr: in.RemoteAddr,
			})
		}
		entries = append(entries, AuditEntry{
			UserID: row.CreatedBy, Action: audit.SubmissionCreate, Entity: "submission", EntityID: fmt.Sprint(row.ID),
			Details: map[string]any{"file": row.FileName, "facility_id": row.FacilityID, "kind": row.Kind,
				"version": row.NaaccrVersion, "record_type": row.RecordType, "sha256": row.SHA256,
				"patients": row.PatientCount, "tumors": row.TumorCount, "items": row.ItemCount, "held": row.HeldCount,
				"warnings": row.WarningCount, "from": row.DateFrom, "to": row.DateTo},
			RemoteAddr: in.RemoteAddr,
		})
		if err := s.auditMany(tx, entries); err != nil {
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

// auditMany appends events to the audit chain in one step: the head is moved on by len(es) at
// once (taking its lock, as audit does), the events are linked in Go and inserted in batches.
// A batch of a hundred thousand cases thus costs a few statements, not a hundred thousand.
func (s *Store) auditMany(tx *gorm.DB, es []AuditEntry) error {
	if len(es) == 0 {
		return nil
	}
	res := tx.Exec("UPDATE audit_chain SET last_id = last_id + ? WHERE id = 1", len(es))
	if res.Error != nil {
		return fmt.Errorf("store: audit: lock the chain: %w", res.Error)
	}
	if res.RowsAffected != 1 {
		return errors.New("store: audit: the audit_chain row is missing")
	}
	var head audit.Head
	if err := tx.Raw("SELECT last_id, last_hash FROM audit_chain WHERE id = 1").Row().Scan(&head.LastID, &head.LastHash); err != nil {
		return fmt.Errorf("store: audit: read the chain: %w", err)
	}
	head.LastID -= uint64(len(es))
	at := s.now()
	const chunk = 500
	rows := make([]AuditEvent, 0, min(chunk, len(es)))
	for i, e := range es {
		details, err := encodeDetails(e)
		if err != nil {
			return err
		}
		ev := audit.Link(head, audit.Event{
			At: at, UserID: uint64Ptr(e.UserID), Action: e.Action, Entity: e.Entity,
			EntityID: clampEntityID(e.EntityID), Details: details, RemoteAddr: strings.ToValidUTF8(e.RemoteAddr, "\uFFFD"),
		})
		head = audit.Head{LastID: ev.ID, LastHash: ev.Hash}
		rows = append(rows, AuditEvent{
			ID: uint(ev.ID), At: ev.At, UserID: e.UserID, Action: ev.Action, Entity: ev.Entity, EntityID: ev.EntityID,
			Details: ev.Details, RemoteAddr: ev.RemoteAddr, PrevHash: ev.PrevHash, Hash: ev.Hash,
		})
		if len(rows) == chunk || i == len(es)-1 {
			if err := tx.Create(&rows).Error; err != nil {
				return fmt.Errorf("store: audit %s: %w", e.Action, err)
			}
			rows = rows[:0]
		}
	}
	if err := tx.Exec("UPDATE audit_chain SET last_hash = ? WHERE id = 1", head.LastHash).Error; err != nil {
		return fmt.Errorf("store: audit: move the chain head: %w", err)
	}
	return nil
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
	b, err := json.Marshal(e.Details)
	if err != nil {
		return "", fmt.Errorf("store: audit %s: encode details: %w", e.Action, err)
	}
	return string(b), nil
}
