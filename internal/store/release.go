package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// DataRequest is a request for the release of information (migrations/*/00017_release.sql):
// who asks, why, on what legal basis, at what privacy level, with its saved item set and case
// filters, and its approval.
type DataRequest struct {
	ID             uint
	RequesterName  string
	Organization   string
	Email          string
	Purpose        string
	LegalBasis     string
	LegalReference string // the IRB approval number, the agreement's reference
	PrivacyLevel   string
	Items          string // JSON array of naaccrIds
	Filters        string // JSON object
	Status         string // draft, approved, denied, expired
	CreatedBy      *uint
	ApproverID     *uint
	ApprovedAt     *time.Time
	DecisionNote   string
	ExpiresAt      *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Release is one extract run: a row of the release log.
type Release struct {
	ID           uint
	RequestID    uint
	RunBy        *uint
	Format       string
	Filters      string
	Items        string
	PrivacyLevel string
	Patients     int
	Tumors       int
	SHA256       string `gorm:"column:sha256"`
	FileName     string
	FilePath     string // "" once purged
	KeptUntil    time.Time
	PurgedAt     *time.Time
	CreatedAt    time.Time
}

// ReleasePatient links a release to a patient it included: the accounting of disclosures.
type ReleasePatient struct {
	ReleaseID uint `gorm:"primaryKey;autoIncrement:false"`
	PatientID uint `gorm:"primaryKey;autoIncrement:false"`
	Tumors    int
}

// Disclosure is a release that included a patient, with its request.
type Disclosure struct {
	Release Release
	Request DataRequest
	Tumors  int
}

// AddDataRequest stores a new request with its audit event.
func (s *Store) AddDataRequest(ctx context.Context, r *DataRequest, e AuditEntry) error {
	now := s.now().UTC().Truncate(time.Microsecond)
	r.ID, r.CreatedAt, r.UpdatedAt = 0, now, now
	err := s.onceTx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(r).Error; err != nil {
			return err
		}
		e.EntityID = fmt.Sprint(r.ID)
		return s.audit(tx, e)
	})
	if err != nil {
		return fmt.Errorf("store: add data request: %w", err)
	}
	return nil
}

// UpdateDataRequest saves a request whose status was from (so that two admins deciding at once
// cannot both win: the second finds ErrConflict), with its audit event.
func (s *Store) UpdateDataRequest(ctx context.Context, r *DataRequest, from string, e AuditEntry) error {
	r.UpdatedAt = s.now().UTC().Truncate(time.Microsecond)
	err := s.retryTx(ctx, "update data request", func(tx *gorm.DB) error {
		res := tx.Model(&DataRequest{}).Where("id = ? AND status = ?", r.ID, from).Updates(map[string]any{
			"requester_name": r.RequesterName, "organization": r.Organization, "email": r.Email,
			"purpose": r.Purpose, "legal_basis": r.LegalBasis, "legal_reference": r.LegalReference,
			"privacy_level": r.PrivacyLevel, "items": r.Items, "filters": r.Filters, "status": r.Status,
			"approver_id": r.ApproverID, "approved_at": r.ApprovedAt, "decision_note": r.DecisionNote,
			"expires_at": r.ExpiresAt, "updated_at": r.UpdatedAt,
		})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrConflict
		}
		e.EntityID = fmt.Sprint(r.ID)
		return s.audit(tx, e)
	})
	if err != nil {
		return fmt.Errorf("store: update data request %d: %w", r.ID, err)
	}
	return nil
}

// DataRequestByID returns a request, or ErrNotFound.
func (s *Store) DataRequestByID(ctx context.Context, id uint) (*DataRequest, error) {
	var r DataRequest
	if err := s.db.WithContext(ctx).Where("id = ?", id).Take(&r).Error; err != nil {
		return nil, fmt.Errorf("store: data request %d: %w", id, notFound(err))
	}
	return &r, nil
}

// DataRequests returns the newest requests first.
func (s *Store) DataRequests(ctx context.Context, limit int) ([]DataRequest, error) {
	var out []DataRequest
	if err := s.db.WithContext(ctx).Order("id DESC").Limit(limit).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: data requests: %w", err)
	}
	return out, nil
}

// AddRelease logs an extract run with the patients it included and its audit event, in one
// transaction: a release is never logged without its accounting of disclosures.
func (s *Store) AddRelease(ctx context.Context, r *Release, patients []ReleasePatient, e AuditEntry) error {
	r.ID, r.CreatedAt = 0, s.now().UTC().Truncate(time.Microsecond)
	err := s.onceTx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(r).Error; err != nil {
			return err
		}
		for i := range patients {
			patients[i].ReleaseID = r.ID
		}
		if len(patients) > 0 {
			if err := tx.CreateInBatches(patients, 500).Error; err != nil {
				return fmt.Errorf("patients: %w", err)
			}
		}
		e.EntityID = fmt.Sprint(r.ID)
		if m, ok := e.Details.(map[string]any); ok {
			m["sha256"], m["patients"], m["tumors"] = r.SHA256, r.Patients, r.Tumors
		}
		return s.audit(tx, e)
	})
	if err != nil {
		return fmt.Errorf("store: add release: %w", err)
	}
	return nil
}

// ReleaseByID returns a logged release, or ErrNotFound.
func (s *Store) ReleaseByID(ctx context.Context, id uint) (*Release, error) {
	var r Release
	if err := s.db.WithContext(ctx).Where("id = ?", id).Take(&r).Error; err != nil {
		return nil, fmt.Errorf("store: release %d: %w", id, notFound(err))
	}
	return &r, nil
}

// Releases returns the release log, newest first; requestID 0 is every request's.
func (s *Store) Releases(ctx context.Context, requestID uint, limit int) ([]Release, error) {
	q := s.db.WithContext(ctx).Order("id DESC").Limit(limit)
	if requestID != 0 {
		q = q.Where("request_id = ?", requestID)
	}
	var out []Release
	if err := q.Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: releases: %w", err)
	}
	return out, nil
}

// ExpiredReleaseFiles returns the releases whose file is kept no longer than now and not purged.
func (s *Store) ExpiredReleaseFiles(ctx context.Context, now time.Time) ([]Release, error) {
	var out []Release
	err := s.db.WithContext(ctx).Where("file_path <> '' AND kept_until <= ?", now.UTC()).Order("id").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("store: expired release files: %w", err)
	}
	return out, nil
}

// MarkReleasePurged records that a release's file is gone; the log row stays.
func (s *Store) MarkReleasePurged(ctx context.Context, id uint, e AuditEntry) error {
	now := s.now().UTC().Truncate(time.Microsecond)
	err := s.retryTx(ctx, "purge release", func(tx *gorm.DB) error {
		if err := tx.Model(&Release{}).Where("id = ?", id).Updates(map[string]any{"file_path": "", "purged_at": now}).Error; err != nil {
			return err
		}
		e.EntityID = fmt.Sprint(id)
		return s.audit(tx, e)
	})
	if err != nil {
		return fmt.Errorf("store: purge release %d: %w", id, err)
	}
	return nil
}

// Disclosures returns the releases that included a patient in scope, newest first, with their
// requests; a patient out of scope is ErrNotFound.
func (s *Store) Disclosures(ctx context.Context, patientID uint, sc Scope) ([]Disclosure, error) {
	db := s.db.WithContext(ctx)
	var p Patient
	if err := sc.apply(db.Select("id").Where("id = ?", patientID), "facility_id").Take(&p).Error; err != nil {
		return nil, fmt.Errorf("store: disclosures of patient %d: %w", patientID, notFound(err))
	}
	var links []ReleasePatient
	if err := db.Where("patient_id = ?", patientID).Find(&links).Error; err != nil {
		return nil, fmt.Errorf("store: disclosures of patient %d: %w", patientID, err)
	}
	if len(links) == 0 {
		return nil, nil
	}
	ids := make([]uint, len(links))
	tumors := map[uint]int{}
	for i, l := range links {
		ids[i], tumors[l.ReleaseID] = l.ReleaseID, l.Tumors
	}
	var rels []Release
	if err := db.Where("id IN ?", ids).Order("id DESC").Find(&rels).Error; err != nil {
		return nil, fmt.Errorf("store: disclosures of patient %d: releases: %w", patientID, err)
	}
	reqIDs := make([]uint, 0, len(rels))
	for _, r := range rels {
		reqIDs = append(reqIDs, r.RequestID)
	}
	var reqs []DataRequest
	if err := db.Where("id IN ?", reqIDs).Find(&reqs).Error; err != nil {
		return nil, fmt.Errorf("store: disclosures of patient %d: requests: %w", patientID, err)
	}
	byID := map[uint]DataRequest{}
	for _, r := range reqs {
		byID[r.ID] = r
	}
	out := make([]Disclosure, 0, len(rels))
	for _, r := range rels {
		out = append(out, Disclosure{Release: r, Request: byID[r.RequestID], Tumors: tumors[r.ID]})
	}
	return out, nil
}
