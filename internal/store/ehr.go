package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// EHRReport is an electronic report as received (migrations/*/00014_ehr_reports.sql).
type EHRReport struct {
	ID               uint
	FacilityID       uint
	Format           string // "hl7v2"
	Sender           string // MSH-3 and MSH-4
	ControlID        string // MSH-10, unique per sender
	MessageType      string
	SHA256           string `gorm:"column:sha256"`
	Raw              []byte
	Accession        string
	CollectedAt      string
	OrderingProvider string
	SuspenseID       *uint
	RemoteAddr       string
	ReceivedAt       time.Time
}

// EHRSuggestion is an item value suggested from a report, with where it came from.
type EHRSuggestion struct {
	ID         uint
	ReportID   uint
	NaaccrID   string `gorm:"column:naaccr_id"`
	Value      string
	Source     string
	SourceText string
}

// AddEHRReport stores a report received, the suspense record it becomes and the values it
// suggests, with the audit event, in one transaction. A report whose sender and control id the
// facility already holds is not stored again: AddEHRReport returns the stored one's id and
// duplicate true. rec's RowKey must be unique to the report (its sender and control id).
func (s *Store) AddEHRReport(ctx context.Context, rep *EHRReport, rec *SuspenseRecord, sugg []EHRSuggestion, e AuditEntry) (duplicate bool, err error) {
	now := s.now().UTC().Truncate(time.Microsecond)
	find := func(db *gorm.DB) (uint, error) {
		var ids []uint
		err := db.Model(&EHRReport{}).Where("facility_id = ? AND sender = ? AND control_id = ?", rep.FacilityID, rep.Sender, rep.ControlID).
			Limit(1).Pluck("id", &ids).Error
		if err != nil || len(ids) == 0 {
			return 0, err
		}
		return ids[0], nil
	}
	err = s.onceTx(ctx, func(tx *gorm.DB) error {
		id, err := find(tx)
		if err != nil {
			return err
		}
		if id != 0 {
			rep.ID, duplicate = id, true
			return nil
		}
		rec.CreatedAt, rec.UpdatedAt = now, now
		rec.Version = max(rec.Version, 1)
		rec.RuleLabel = clampRunes(rec.RuleLabel, 255)
		if err := tx.Create(rec).Error; err != nil {
			return fmt.Errorf("suspense record: %w", err)
		}
		rep.SuspenseID = &rec.ID
		rep.ReceivedAt = now
		if err := tx.Create(rep).Error; err != nil {
			return fmt.Errorf("report: %w", err)
		}
		for i := range sugg {
			sugg[i].ReportID = rep.ID
		}
		if len(sugg) > 0 {
			if err := tx.Create(&sugg).Error; err != nil {
				return fmt.Errorf("suggestions: %w", err)
			}
		}
		if m, ok := e.Details.(map[string]any); ok {
			m["report"], m["suspense"] = rep.ID, rec.ID
		}
		e.EntityID = fmt.Sprint(rep.ID)
		return s.audit(tx, e)
	})
	if err != nil {
		// The same message taken in at the same moment on another connection: the unique key
		// refused the second one, which is then a duplicate like any other.
		if id, ferr := find(s.db.WithContext(ctx)); ferr == nil && id != 0 {
			rep.ID = id
			return true, nil
		}
		return false, fmt.Errorf("store: add EHR report %s from %s: %w", rep.ControlID, rep.Sender, err)
	}
	return duplicate, nil
}

// EHRReportOf returns the report a suspense record came from, with its suggestions
// (ErrNotFound when the record is not from one).
func (s *Store) EHRReportOf(ctx context.Context, suspenseID uint) (*EHRReport, []EHRSuggestion, error) {
	db := s.db.WithContext(ctx)
	var rep EHRReport
	if err := db.Where("suspense_id = ?", suspenseID).First(&rep).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, nil, ErrNotFound
		}
		return nil, nil, fmt.Errorf("store: report of suspense record %d: %w", suspenseID, err)
	}
	var sugg []EHRSuggestion
	if err := db.Where("report_id = ?", rep.ID).Order("id").Find(&sugg).Error; err != nil {
		return nil, nil, fmt.Errorf("store: suggestions of report %d: %w", rep.ID, err)
	}
	return &rep, sugg, nil
}

// CountEHRReports counts a facility's reports (0: every facility).
func (s *Store) CountEHRReports(ctx context.Context, facilityID uint) (int64, error) {
	db := s.db.WithContext(ctx).Model(&EHRReport{})
	if facilityID != 0 {
		db = db.Where("facility_id = ?", facilityID)
	}
	var n int64
	if err := db.Count(&n).Error; err != nil {
		return 0, fmt.Errorf("store: count EHR reports: %w", err)
	}
	return n, nil
}

func (EHRReport) TableName() string     { return "ehr_reports" }
func (EHRSuggestion) TableName() string { return "ehr_suggestions" }

// EHRSender is a sender allowed on the MLLP listener, known by its token's hash.
type EHRSender struct {
	ID         uint
	FacilityID uint
	Name       string
	TokenHash  string
	CreatedAt  time.Time
	RevokedAt  *time.Time
}

func (EHRSender) TableName() string { return "ehr_senders" }

// AddEHRSender stores a sender with its audit event.
func (s *Store) AddEHRSender(ctx context.Context, snd *EHRSender, e AuditEntry) error {
	snd.CreatedAt = s.now().UTC().Truncate(time.Microsecond)
	err := s.onceTx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(snd).Error; err != nil {
			return err
		}
		e.EntityID = fmt.Sprint(snd.ID)
		return s.audit(tx, e)
	})
	if err != nil {
		return fmt.Errorf("store: add EHR sender %q: %w", snd.Name, notFound(err))
	}
	return nil
}

// EHRSenderByToken returns the sender, not revoked, of a token hash (ErrNotFound for none).
func (s *Store) EHRSenderByToken(ctx context.Context, hash string) (*EHRSender, error) {
	var snd EHRSender
	err := s.db.WithContext(ctx).Where("token_hash = ? AND revoked_at IS NULL", hash).First(&snd).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: EHR sender: %w", err)
	}
	return &snd, nil
}

// EHRSenders lists the senders, of one facility or all (facilityID 0).
func (s *Store) EHRSenders(ctx context.Context, facilityID uint) ([]EHRSender, error) {
	db := s.db.WithContext(ctx).Order("id")
	if facilityID != 0 {
		db = db.Where("facility_id = ?", facilityID)
	}
	var out []EHRSender
	if err := db.Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: EHR senders: %w", err)
	}
	return out, nil
}

// RevokeEHRSender ends a sender's token, with its audit event (ErrNotFound when there is no
// such sender not yet revoked).
func (s *Store) RevokeEHRSender(ctx context.Context, id uint, e AuditEntry) error {
	now := s.now().UTC().Truncate(time.Microsecond)
	err := s.retryTx(ctx, "revoke sender", func(tx *gorm.DB) error {
		res := tx.Model(&EHRSender{}).Where("id = ? AND revoked_at IS NULL", id).Update("revoked_at", now)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		e.EntityID = fmt.Sprint(id)
		return s.audit(tx, e)
	})
	if err != nil {
		return fmt.Errorf("store: revoke EHR sender %d: %w", id, err)
	}
	return nil
}

// SuspenseRecordsOfTumor are the suspense records a case was started from or added with,
// oldest first: the reports a case's suggested values come from.
func (s *Store) SuspenseRecordsOfTumor(ctx context.Context, tumorID uint) ([]SuspenseRecord, error) {
	var out []SuspenseRecord
	if err := s.db.WithContext(ctx).Where("tumor_id = ?", tumorID).Order("id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: suspense records of tumor %d: %w", tumorID, err)
	}
	return out, nil
}

// FHIRBundleOf returns the bundle a suspense record came from (ErrNotFound when none).
func (s *Store) FHIRBundleOf(ctx context.Context, suspenseID uint) (*FHIRBundle, error) {
	var b FHIRBundle
	if err := s.db.WithContext(ctx).Where("suspense_record_id = ?", suspenseID).Take(&b).Error; err != nil {
		return nil, fmt.Errorf("store: FHIR bundle of suspense record %d: %w", suspenseID, notFound(err))
	}
	return &b, nil
}

// SuggestionDismissal is a suggested value a registrar dismissed for a case.
type SuggestionDismissal struct {
	ID          uint
	TumorID     uint
	NaaccrID    string
	Value       string
	DismissedBy *uint
	DismissedAt time.Time
}

func (SuggestionDismissal) TableName() string { return "suggestion_dismissals" }

// DismissSuggestion records that a case's suggested value of an item is not to be shown again,
// with its audit event; dismissing it twice is one dismissal.
func (s *Store) DismissSuggestion(ctx context.Context, d SuggestionDismissal, e AuditEntry) error {
	d.ID, d.DismissedAt = 0, s.now().UTC().Truncate(time.Microsecond)
	err := s.onceTx(ctx, func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&SuggestionDismissal{}).Where("tumor_id = ? AND naaccr_id = ? AND value = ?", d.TumorID, d.NaaccrID, d.Value).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		if err := tx.Create(&d).Error; err != nil {
			return err
		}
		return s.audit(tx, e)
	})
	if err != nil {
		return fmt.Errorf("store: dismiss suggestion %s of tumor %d: %w", d.NaaccrID, d.TumorID, err)
	}
	return nil
}

// DismissedSuggestions are a case's dismissed values: item → value → true.
func (s *Store) DismissedSuggestions(ctx context.Context, tumorID uint) (map[string]map[string]bool, error) {
	var ds []SuggestionDismissal
	if err := s.db.WithContext(ctx).Where("tumor_id = ?", tumorID).Find(&ds).Error; err != nil {
		return nil, fmt.Errorf("store: dismissed suggestions of tumor %d: %w", tumorID, err)
	}
	out := map[string]map[string]bool{}
	for _, d := range ds {
		if out[d.NaaccrID] == nil {
			out[d.NaaccrID] = map[string]bool{}
		}
		out[d.NaaccrID][d.Value] = true
	}
	return out, nil
}

// EHRPurge is what a purge of raw messages did (or would do, dry).
type EHRPurge struct {
	Before      time.Time
	Reports     int64 // HL7 messages whose raw bytes were blanked
	Bundles     int64 // FHIR bundles whose raw bytes were blanked
	ReportBytes int64
	BundleBytes int64
	DryRun      bool
}

// PurgeEHRRaw blanks the raw bytes of the HL7 messages and FHIR bundles received before a time
// (the end of their retention period), keeping their SHA-256, suggestions and suspense records,
// with one audit event of the counts; dry only counts.
func (s *Store) PurgeEHRRaw(ctx context.Context, before time.Time, dry bool, e AuditEntry) (EHRPurge, error) {
	out := EHRPurge{Before: before.UTC(), DryRun: dry}
	count := func(db *gorm.DB, model any, col string, n, size *int64) error {
		var r struct{ N, Size int64 }
		err := db.Model(model).Select("COUNT(*) AS n, COALESCE(SUM(LENGTH(raw)), 0) AS size").
			Where(col+" < ? AND LENGTH(raw) > 0", out.Before).Scan(&r).Error
		*n, *size = r.N, r.Size
		return err
	}
	err := s.onceTx(ctx, func(tx *gorm.DB) error {
		if err := count(tx, &EHRReport{}, "received_at", &out.Reports, &out.ReportBytes); err != nil {
			return err
		}
		if err := count(tx, &FHIRBundle{}, "created_at", &out.Bundles, &out.BundleBytes); err != nil {
			return err
		}
		if dry || out.Reports+out.Bundles == 0 {
			return nil
		}
		if err := tx.Model(&EHRReport{}).Where("received_at < ? AND LENGTH(raw) > 0", out.Before).UpdateColumn("raw", []byte{}).Error; err != nil {
			return err
		}
		if err := tx.Model(&FHIRBundle{}).Where("created_at < ? AND LENGTH(raw) > 0", out.Before).UpdateColumn("raw", []byte{}).Error; err != nil {
			return err
		}
		e.Details = map[string]any{"before": out.Before.Format(time.RFC3339), "reports": out.Reports, "bundles": out.Bundles,
			"bytes": out.ReportBytes + out.BundleBytes}
		return s.audit(tx, e)
	})
	if err != nil {
		return out, fmt.Errorf("store: purge EHR messages received before %s: %w", out.Before.Format(time.DateOnly), err)
	}
	return out, nil
}
