package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// FHIRBundle is a FHIR bundle taken in (migrations/*/00015_fhir_bundles.sql): as received, with
// the suspense record it became and what it suggested.
type FHIRBundle struct {
	ID               uint
	FacilityID       uint
	BundleKey        string
	Identifier       string
	SHA256           string `gorm:"column:sha256"`
	BundleType       string
	SuspenseRecordID *uint
	Suggestions      string // JSON array
	Issues           string // JSON array
	Raw              []byte
	ReceivedBy       *uint
	CreatedAt        time.Time
}

// FHIRBundleByKey returns a facility's bundle of a key, or ErrNotFound.
func (s *Store) FHIRBundleByKey(ctx context.Context, facilityID uint, key string) (*FHIRBundle, error) {
	var b FHIRBundle
	err := s.db.WithContext(ctx).Where("facility_id = ? AND bundle_key = ?", facilityID, key).Take(&b).Error
	if err != nil {
		return nil, fmt.Errorf("store: fhir bundle of facility %d: %w", facilityID, notFound(err))
	}
	return &b, nil
}

// AddFHIRBundle stores a bundle, the suspense record it becomes and the audit event, in one
// transaction. A bundle of a key the facility holds already adds nothing: it returns that
// bundle's suspense record and added false.
func (s *Store) AddFHIRBundle(ctx context.Context, rec SuspenseRecord, b FHIRBundle, e AuditEntry) (suspenseID uint, added bool, err error) {
	now := s.now().UTC().Truncate(time.Microsecond)
	err = s.onceTx(ctx, func(tx *gorm.DB) error {
		var have FHIRBundle
		res := tx.Where("facility_id = ? AND bundle_key = ?", b.FacilityID, b.BundleKey).Limit(1).Find(&have)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected > 0 {
			if have.SuspenseRecordID != nil {
				suspenseID = *have.SuspenseRecordID
			}
			return nil
		}
		rec.ID, rec.CreatedAt, rec.UpdatedAt, rec.Version = 0, now, now, max(rec.Version, 1)
		rec.RuleLabel = clampRunes(rec.RuleLabel, 255)
		if err := tx.Create(&rec).Error; err != nil {
			return fmt.Errorf("suspense record: %w", err)
		}
		b.ID, b.SuspenseRecordID, b.CreatedAt = 0, &rec.ID, now
		if err := tx.Create(&b).Error; err != nil {
			return fmt.Errorf("bundle: %w", err)
		}
		suspenseID, added = rec.ID, true
		if m, ok := e.Details.(map[string]any); ok {
			m["suspense_record"] = rec.ID
		}
		return s.audit(tx, e)
	})
	if err != nil {
		// The same bundle sent twice at once: the other request's row holds the key.
		if have, err2 := s.FHIRBundleByKey(ctx, b.FacilityID, b.BundleKey); err2 == nil && have.SuspenseRecordID != nil {
			return *have.SuspenseRecordID, false, nil
		}
		return 0, false, fmt.Errorf("store: add fhir bundle of facility %d: %w", b.FacilityID, err)
	}
	return suspenseID, added, nil
}
