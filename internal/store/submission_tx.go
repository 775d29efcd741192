package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// SubmissionTx records a batch while its file is being written. On MySQL it is one transaction
// opened when the batch starts: each chunk of cases the pre-flight has checked is linked and, if
// sent, marked submitted at once (AddCases), so that the database's share of a large batch runs
// beside the edits and the writing instead of after them; Commit names the batch, writes its audit
// event and commits. Until then the marked cases are locked and nothing is visible to anyone else;
// a failure, a cancelled context or a crash leaves nothing, as RecordSubmission does.
//
// On SQLite a transaction held that long would stop every other writer (the audit events of
// people's page views among them), so there AddCases does nothing and Commit is RecordSubmission.
type SubmissionTx struct {
	s   *Store
	ctx context.Context
	tx  *gorm.DB // nil on SQLite
	id  uint     // the batch row, inserted by BeginSubmission (MySQL)
	at  time.Time
	// sent counts the cases marked submitted so far.
	sent     int
	finished bool
}

// BeginSubmission starts recording a batch of the facility. Rollback must be called when the
// batch is given up (after a Commit it does nothing).
func (s *Store) BeginSubmission(ctx context.Context, facilityID uint) (*SubmissionTx, error) {
	r := &SubmissionTx{s: s, ctx: ctx, at: s.now().UTC()}
	if !s.dialect.longTransactions() {
		return r, nil
	}
	var nonce [8]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return nil, fmt.Errorf("store: begin submission: %w", err)
	}
	tx := s.db.WithContext(ctx).Begin()
	if tx.Error != nil {
		return nil, fmt.Errorf("store: begin submission: %w", tx.Error)
	}
	// A row to link the cases to, under a name no batch file has; Commit gives it its own.
	placeholder := ".writing-" + hex.EncodeToString(nonce[:])
	row := Submission{FacilityID: facilityID, Kind: SubmissionRegular, CreatedAt: r.at, FileName: placeholder,
		StoragePath: placeholder, NaaccrVersion: "", RecordType: "A"}
	if err := tx.Create(&row).Error; err != nil {
		tx.Rollback()
		return nil, fmt.Errorf("store: begin submission of facility %d: %w", facilityID, err)
	}
	r.tx, r.id = tx, row.ID
	return r, nil
}

// AddCases links cases the pre-flight has checked to the batch and marks the sent ones submitted,
// if each is still approved at the version it was read at; a case changed since is ErrConflict,
// naming it. On SQLite it does nothing (Commit records every case).
func (r *SubmissionTx) AddCases(links []SubmissionTumor) error {
	if r.tx == nil || len(links) == 0 {
		return nil
	}
	if r.finished {
		return errors.New("store: submission already committed or rolled back")
	}
	if err := r.s.insertSubmissionTumors(r.tx, r.id, links); err != nil {
		return fmt.Errorf("store: submission cases: %w", err)
	}
	ids := make([]uint, 0, len(links))
	for _, l := range links {
		if !l.Held {
			ids = append(ids, l.TumorID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	res := r.tx.Exec(`UPDATE submission_tumors st JOIN tumors t ON t.id = st.tumor_id AND t.version = st.tumor_version
		SET t.status = 'submitted', t.status_changed_at = ?, t.version = t.version + 1
		WHERE st.submission_id = ? AND st.tumor_id IN ? AND st.held = 0 AND t.status = 'approved'`, r.at, r.id, ids)
	if res.Error != nil {
		return fmt.Errorf("store: mark cases submitted: %w", res.Error)
	}
	r.sent += int(res.RowsAffected)
	if res.RowsAffected != int64(len(ids)) {
		return fmt.Errorf("store: record submission: %w", r.s.changedCase(r.tx, r.id))
	}
	return nil
}

// Commit records the batch: in holds its row and every case it looked at (on MySQL already added
// by AddCases; they make the audit event's digest). place is called last, before the commit, with
// the file name chosen. Errors are those of RecordSubmission; on MySQL a name taken meanwhile is
// tried again with the next number here, and any other failure rolls everything back.
func (r *SubmissionTx) Commit(in NewSubmission, place func(fileName string) error) (*Submission, error) {
	if r.tx == nil {
		return r.s.RecordSubmission(r.ctx, in, place)
	}
	if r.finished {
		return nil, errors.New("store: submission already committed or rolled back")
	}
	row, err := r.commit(in, place)
	r.finished = true
	if err != nil {
		r.tx.Rollback()
		return nil, fmt.Errorf("store: record submission of facility %d: %w", in.Submission.FacilityID, err)
	}
	return row, nil
}

func (r *SubmissionTx) commit(in NewSubmission, place func(fileName string) error) (*Submission, error) {
	if sent := sentCases(in.Tumors); sent != r.sent {
		return nil, fmt.Errorf("%d cases marked submitted, %d sent: %w", r.sent, sent, ErrConflict)
	}
	row := in.Submission
	row.ID, row.CreatedAt = r.id, r.at
	for attempt := int64(0); ; attempt++ {
		name, err := submissionFileName(r.tx, in, attempt)
		if err != nil {
			return nil, err
		}
		row.FileName, row.StoragePath = name, name
		// A batch of the facility committed since the count took the name: the next one.
		err = r.tx.Model(&Submission{}).Where("id = ?", r.id).
			Updates(map[string]any{"file_name": row.FileName, "storage_path": row.StoragePath}).Error
		if err == nil {
			break
		}
		if !errors.Is(err, gorm.ErrDuplicatedKey) || attempt == 3 {
			return nil, err
		}
	}
	if err := r.tx.Model(&Submission{}).Where("id = ?", r.id).Select("*").Omit("id", "created_at", "file_name", "storage_path").
		Updates(&row).Error; err != nil {
		return nil, err
	}
	if err := r.s.audit(r.tx, submissionAudit(&row, in)); err != nil {
		return nil, err
	}
	if place != nil {
		if err := place(row.FileName); err != nil {
			return nil, fmt.Errorf("place file %s: %w", row.FileName, err)
		}
	}
	if err := r.tx.Commit().Error; err != nil {
		return nil, err
	}
	return &row, nil
}

// Rollback gives the batch up: nothing of it stays. After Commit it does nothing.
func (r *SubmissionTx) Rollback() {
	if r.tx != nil && !r.finished {
		r.finished = true
		r.tx.Rollback()
	}
}
