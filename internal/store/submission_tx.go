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
//
// On MySQL the batch's audit event is written just after the commit, in a short transaction of
// its own (finishSubmission): the chain's head, held to the end of a transaction that links a
// hundred thousand cases, lost to every other node's audited write on a Galera cluster. Until the
// event is written the row says AuditPending. If writing it fails, the batch stays recorded, with
// its file, and Commit returns the row with an error that is ErrAuditPending: the event is
// written later by FinishPendingSubmissions, as it is when the process dies in between.
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
	// Committed, the file in place: the event is written even if the request is gone now.
	if _, err := r.s.finishSubmission(context.WithoutCancel(r.ctx), row, in); err != nil {
		return row, fmt.Errorf("store: batch %s is recorded, but not yet its audit event (%w): %w", row.FileName, ErrAuditPending, err)
	}
	row.AuditPending = false
	return row, nil
}

func (r *SubmissionTx) commit(in NewSubmission, place func(fileName string) error) (*Submission, error) {
	if sent := sentCases(in.Tumors); sent != r.sent {
		return nil, fmt.Errorf("%d cases marked submitted, %d sent: %w", r.sent, sent, ErrConflict)
	}
	row := in.Submission
	row.ID, row.CreatedAt = r.id, r.at
	row.AuditPending, row.RemoteAddr = true, clampRunes(in.RemoteAddr, 64)
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

// finishSubmission writes the audit event of a batch recorded with AuditPending and clears the
// mark, in one short transaction (retried, see retryTx). Whoever clears the mark writes the
// event: a batch finished meanwhile by another process (FinishPendingSubmissions) is left as it
// is, so each batch has one event. It reports whether it wrote the event.
func (s *Store) finishSubmission(ctx context.Context, row *Submission, in NewSubmission) (bool, error) {
	wrote := false
	err := s.retryTx(ctx, "audit batch "+row.FileName, func(tx *gorm.DB) error {
		wrote = false
		res := tx.Exec("UPDATE submissions SET audit_pending = ? WHERE id = ? AND audit_pending = ?", false, row.ID, true)
		if res.Error != nil {
			return fmt.Errorf("clear the pending mark: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return nil
		}
		wrote = true
		return s.audit(tx, submissionAudit(row, in))
	})
	return wrote, err
}

// FinishPendingSubmissions writes the audit events of the batches recorded without one (their
// process died, or lost its database, between a batch's commit and its event; see
// SubmissionTx.Commit), from each batch's row and links, and returns how many it wrote. cara
// calls it before each batch, at start and hourly.
func (s *Store) FinishPendingSubmissions(ctx context.Context) (int, error) {
	var pending []Submission
	if err := s.db.WithContext(ctx).Where("audit_pending = ?", true).Order("id").Find(&pending).Error; err != nil {
		return 0, fmt.Errorf("store: pending batches: %w", err)
	}
	done := 0
	for i := range pending {
		row := &pending[i]
		var links []SubmissionTumor
		if err := s.db.WithContext(ctx).Select("tumor_id", "tumor_version", "held").Where("submission_id = ?", row.ID).
			Find(&links).Error; err != nil {
			return done, fmt.Errorf("store: pending batch %s: %w", row.FileName, err)
		}
		in := NewSubmission{Submission: *row, Tumors: links, RemoteAddr: row.RemoteAddr}
		wrote, err := s.finishSubmission(ctx, row, in)
		if err != nil {
			return done, fmt.Errorf("store: pending batch %s: %w", row.FileName, err)
		}
		if wrote {
			done++
		}
	}
	return done, nil
}

// Rollback gives the batch up: nothing of it stays. After Commit it does nothing.
func (r *SubmissionTx) Rollback() {
	if r.tx != nil && !r.finished {
		r.finished = true
		r.tx.Rollback()
	}
}
