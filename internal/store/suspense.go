package store

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/cara-registry/cara/internal/audit"
)

// The statuses of a suspense record (migrations/*/00012_casefinding.sql).
const (
	SuspenseWaiting         = "waiting"
	SuspenseSetAside        = "set_aside" // screened not reportable on import; the rule says why
	SuspenseAbstractStarted = "abstract_started"
	SuspenseAddedToPatient  = "added_to_patient"
	SuspenseNotReportable   = "not_reportable"
	SuspenseDuplicate       = "duplicate"
)

// SuspenseRecord is one possible case of a facility's suspense list.
type SuspenseRecord struct {
	ID           uint
	FacilityID   uint
	RowKey       string
	Source       string
	MRN          string `gorm:"column:mrn"`
	NameLast     string
	NameFirst    string
	DateOfBirth  string
	Sex          string
	FirstContact string
	Codes        string // normalized ICD-10-CM codes joined by ';'
	Text         string
	Screening    string
	RulePattern  string
	RuleLabel    string
	RuleCode     string
	MatchKind    string
	MatchScore   int
	MatchReasons string // JSON array of strings
	MatchPatient *uint  `gorm:"column:match_patient_id"`
	MatchTumor   *uint  `gorm:"column:match_tumor_id"`
	Status       string
	TumorID      *uint
	DuplicateOf  *uint `gorm:"column:duplicate_of"`
	Reason       string
	DecisionNote string
	DecidedBy    *uint
	DecidedAt    *time.Time
	ImportedBy   *uint
	Version      int64
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// suspenseKeyChunk is how many keys one look-up of existing keys carries.
const suspenseKeyChunk = 500

// SuspenseKeys returns which of the row keys the facility's suspense list already holds.
func (s *Store) SuspenseKeys(ctx context.Context, facilityID uint, keys []string) (map[string]bool, error) {
	found := make(map[string]bool)
	db := s.db.WithContext(ctx)
	for start := 0; start < len(keys); start += suspenseKeyChunk {
		var got []string
		part := keys[start:min(start+suspenseKeyChunk, len(keys))]
		if err := db.Model(&SuspenseRecord{}).Where("facility_id = ? AND row_key IN ?", facilityID, part).
			Pluck("row_key", &got).Error; err != nil {
			return nil, fmt.Errorf("store: suspense keys of facility %d: %w", facilityID, err)
		}
		for _, k := range got {
			found[k] = true
		}
	}
	return found, nil
}

// suspenseInsertColumns are the columns an import writes.
var suspenseInsertColumns = []string{
	"facility_id", "row_key", "source", "mrn", "name_last", "name_first", "date_of_birth", "sex", "first_contact", "codes", "text",
	"screening", "rule_pattern", "rule_label", "rule_code", "match_kind", "match_score", "match_reasons", "match_patient_id",
	"match_tumor_id", "status", "reason", "decision_note", "imported_by", "version", "created_at", "updated_at",
}

// AddSuspenseRecords stores possible cases of one facility and the import's audit event, in one
// transaction; a record whose key the list already holds (another import at the same time) is
// left out. It returns how many were added. The records' ids are not read back.
//
// The rows go in as multi-row INSERTs through one prepared statement (an import is tens of
// thousands of rows): short statements on SQLite, which binds a statement's variables in time
// that grows faster than their number, long ones on MySQL.
func (s *Store) AddSuspenseRecords(ctx context.Context, recs []SuspenseRecord, e AuditEntry) (int, error) {
	var added int64
	now := s.now().UTC().Truncate(time.Microsecond)
	err := s.onceTx(ctx, func(tx *gorm.DB) error {
		sqlTx, ok := tx.Statement.ConnPool.(*sql.Tx)
		if !ok {
			return fmt.Errorf("not in an SQL transaction")
		}
		per := s.dialect.rowsPerInsert()
		// Prepared once a size on SQLite only, as in AddIntakeFailures.
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
		one := "(" + strings.TrimSuffix(strings.Repeat("?,", len(suspenseInsertColumns)), ",") + "),"
		args := make([]any, 0, per*len(suspenseInsertColumns))
		for start := 0; start < len(recs); start += per {
			part := recs[start:min(start+per, len(recs))]
			if len(part) != stmtRows {
				if stmt != nil {
					stmt.Close()
				}
				stmt = nil
				q = "INSERT INTO suspense_records (" + strings.Join(suspenseInsertColumns, ", ") + ") VALUES " +
					strings.TrimSuffix(strings.Repeat(one, len(part)), ",") + s.dialect.insertOrSkip()
				if s.dialect == DialectSQLite {
					var err error
					if stmt, err = sqlTx.PrepareContext(ctx, q); err != nil {
						stmt = nil
						return err
					}
				}
				stmtRows = len(part)
			}
			args = args[:0]
			for i := range part {
				r := &part[i]
				args = append(args, r.FacilityID, r.RowKey, r.Source, r.MRN, r.NameLast, r.NameFirst, r.DateOfBirth, r.Sex,
					r.FirstContact, r.Codes, r.Text, r.Screening, r.RulePattern, clampRunes(r.RuleLabel, 255), r.RuleCode,
					r.MatchKind, r.MatchScore, r.MatchReasons, r.MatchPatient, r.MatchTumor, r.Status, r.Reason, r.DecisionNote,
					r.ImportedBy, max(r.Version, 1), now, now)
			}
			var res sql.Result
			var err error
			if stmt != nil {
				res, err = stmt.ExecContext(ctx, args...)
			} else {
				res, err = sqlTx.ExecContext(ctx, q, args...)
			}
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			added += n
		}
		if m, ok := e.Details.(map[string]any); ok {
			m["added"] = added
		}
		return s.audit(tx, e)
	})
	if err != nil {
		return 0, fmt.Errorf("store: add %d suspense records: %w", len(recs), err)
	}
	return int(added), nil
}

// SuspenseQuery selects records of a suspense list.
type SuspenseQuery struct {
	Scope      Scope
	FacilityID uint     // 0: every facility in scope
	Statuses   []string // none: every status
	Screening  string
	MatchKind  string
	Source     string
	IDs        []uint
	Limit      int // 0: no limit
	Offset     int
}

func (q SuspenseQuery) apply(db *gorm.DB) *gorm.DB {
	db = q.Scope.apply(db, "facility_id")
	if q.FacilityID != 0 {
		db = db.Where("facility_id = ?", q.FacilityID)
	}
	if len(q.Statuses) > 0 {
		db = db.Where("status IN ?", q.Statuses)
	}
	if q.Screening != "" {
		db = db.Where("screening = ?", q.Screening)
	}
	if q.MatchKind != "" {
		db = db.Where("match_kind = ?", q.MatchKind)
	}
	if q.Source != "" {
		db = db.Where("source = ?", q.Source)
	}
	if len(q.IDs) > 0 {
		db = db.Where("id IN ?", q.IDs)
	}
	return db
}

// SuspenseRecords lists the records a query selects, oldest first contact first (the longest
// waiting on top), and how many it selects in all.
func (s *Store) SuspenseRecords(ctx context.Context, q SuspenseQuery) ([]SuspenseRecord, int64, error) {
	db := s.db.WithContext(ctx)
	var total int64
	if err := q.apply(db.Model(&SuspenseRecord{})).Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("store: count suspense records: %w", err)
	}
	list := q.apply(db).Order("first_contact, id")
	if q.Limit > 0 {
		list = list.Limit(q.Limit).Offset(q.Offset)
	}
	var out []SuspenseRecord
	if err := list.Find(&out).Error; err != nil {
		return nil, 0, fmt.Errorf("store: suspense records: %w", err)
	}
	return out, total, nil
}

// EachSuspenseRecord calls fn for every record a query selects, in batches, in list order.
func (s *Store) EachSuspenseRecord(ctx context.Context, q SuspenseQuery, fn func(*SuspenseRecord) error) error {
	var batch []SuspenseRecord
	res := q.apply(s.db.WithContext(ctx)).Order("id").FindInBatches(&batch, 1000, func(tx *gorm.DB, _ int) error {
		for i := range batch {
			if err := fn(&batch[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if res.Error != nil {
		return fmt.Errorf("store: suspense records: %w", res.Error)
	}
	return nil
}

// SuspenseDecision is a registrar's decision on one record, taken when the record is still at
// Version.
type SuspenseDecision struct {
	ID          uint
	Version     int64
	Status      string
	Reason      string
	Note        string
	TumorID     *uint
	DuplicateOf *uint
	// Details go into the audit event with the decision (the reason's label, the case linked).
	Details map[string]any
}

// DecideSuspense records decisions in one transaction, each with its audit event. A record out
// of scope, or changed since it was read (its version moved), is left as it is and returned in
// stale; the others are decided.
func (s *Store) DecideSuspense(ctx context.Context, sc Scope, by Actor, ds []SuspenseDecision) (stale []uint, err error) {
	err = s.onceTx(ctx, func(tx *gorm.DB) error {
		stale = stale[:0]
		for _, d := range ds {
			ok, err := s.decideSuspense(tx, sc, by, d)
			if err != nil {
				return err
			}
			if !ok {
				stale = append(stale, d.ID)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: decide %d suspense records: %w", len(ds), err)
	}
	return stale, nil
}

func (s *Store) decideSuspense(tx *gorm.DB, sc Scope, by Actor, d SuspenseDecision) (bool, error) {
	now := s.now().UTC().Truncate(time.Microsecond)
	res := sc.apply(tx.Model(&SuspenseRecord{}).Where("id = ? AND version = ?", d.ID, d.Version), "facility_id").
		Updates(map[string]any{
			"status": d.Status, "reason": d.Reason, "decision_note": d.Note, "tumor_id": d.TumorID,
			"duplicate_of": d.DuplicateOf, "decided_by": by.UserID, "decided_at": now, "version": d.Version + 1, "updated_at": now,
		})
	if res.Error != nil {
		return false, res.Error
	}
	if res.RowsAffected == 0 {
		return false, nil
	}
	details := maps.Clone(d.Details)
	if details == nil {
		details = map[string]any{}
	}
	details["status"] = d.Status
	if d.Reason != "" {
		details["reason"] = d.Reason
	}
	if d.Note != "" {
		details["note"] = d.Note
	}
	if d.TumorID != nil {
		details["tumor"] = *d.TumorID
	}
	if d.DuplicateOf != nil {
		details["duplicate_of"] = *d.DuplicateOf
	}
	return true, s.audit(tx, AuditEntry{
		UserID: by.UserID, Action: audit.CasefindingDecide, Entity: "suspense", EntityID: strconv.FormatUint(uint64(d.ID), 10),
		Details: details, RemoteAddr: by.RemoteAddr,
	})
}

// SuspenseCase is a case started from a suspense record: a new patient (PatientID 0) or a
// patient in scope, and the tumor, with the decision that links the record to it.
type SuspenseCase struct {
	FacilityID   uint
	PatientID    uint // 0: a new patient with PatientItems
	PatientItems map[string]string
	TumorItems   map[string]string
	Status       string
	AssignedTo   *uint
	EditErrors   int
	EditWarnings int
	Decision     SuspenseDecision
	Scope        Scope
	By           Actor
}

// StartSuspenseCase stores the patient (when new) and the tumor of a case started from a
// suspense record, and the record's decision linking it, in one transaction with their audit
// events (patient.create, tumor.create, casefinding.decide): a failure leaves nothing behind.
// A record changed since it was read is ErrConflict.
func (s *Store) StartSuspenseCase(ctx context.Context, in SuspenseCase) (*Tumor, error) {
	if !in.Scope.Contains(in.FacilityID) {
		return nil, fmt.Errorf("store: start case in facility %d: %w", in.FacilityID, ErrNotFound)
	}
	tumor := &Tumor{Items: Items(maps.Clone(in.TumorItems)), Status: in.Status, AssignedTo: in.AssignedTo,
		EditErrors: in.EditErrors, EditWarnings: in.EditWarnings, Version: 1}
	if tumor.Items == nil {
		tumor.Items = Items{}
	}
	tumor.promote()
	err := s.onceTx(ctx, func(tx *gorm.DB) error {
		var p Patient
		if in.PatientID == 0 {
			if err := lockNumbering(tx, in.FacilityID); err != nil {
				return err
			}
			p = Patient{FacilityID: in.FacilityID, Items: Items(maps.Clone(in.PatientItems)), Version: 1}
			if p.Items == nil {
				p.Items = Items{}
			}
			if p.Items["patientIdNumber"] == "" {
				next, err := nextPatientIDNumber(tx, in.FacilityID)
				if err != nil {
					return err
				}
				p.Items["patientIdNumber"] = next
			}
			p.promote()
			if err := tx.Create(&p).Error; err != nil {
				return err
			}
			if err := s.audit(tx, AuditEntry{
				UserID: in.By.UserID, Action: audit.PatientCreate, Entity: "patient", EntityID: strconv.FormatUint(uint64(p.ID), 10),
				Details:    map[string]any{"facility": in.FacilityID, "patientIdNumber": p.PatientIDNumber, "suspense": in.Decision.ID},
				RemoteAddr: in.By.RemoteAddr,
			}); err != nil {
				return err
			}
		} else if err := FacilityScope(in.FacilityID).apply(tx.Select("id", "facility_id", "name_last", "name_first", "sex").
			Where("id = ?", in.PatientID), "facility_id").Take(&p).Error; err != nil {
			return err
		}
		tumor.PatientID = p.ID
		tumor.ofPatient(&p)
		if err := tx.Create(tumor).Error; err != nil {
			return err
		}
		if err := insertTumorItems(tx, []*Tumor{tumor}); err != nil {
			return err
		}
		if err := s.audit(tx, AuditEntry{
			UserID: in.By.UserID, Action: audit.TumorCreate, Entity: "tumor", EntityID: strconv.FormatUint(uint64(tumor.ID), 10),
			Details: map[string]any{
				"patient": p.ID, "sequenceNumber": tumor.SequenceNumber, "dateOfDiagnosis": tumor.DateOfDiagnosis,
				"suspense": in.Decision.ID,
			},
			RemoteAddr: in.By.RemoteAddr,
		}); err != nil {
			return err
		}
		d := in.Decision
		d.TumorID = &tumor.ID
		ok, err := s.decideSuspense(tx, in.Scope, in.By, d)
		if err != nil {
			return err
		}
		if !ok {
			return ErrConflict
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: start case from suspense record %d: %w", in.Decision.ID, notFound(err))
	}
	return tumor, nil
}

// MatchPatient is a patient of a facility as casefinding matches against it, with its tumors.
type MatchPatient struct {
	ID              uint
	PatientIDNumber string
	NameLast        string
	NameFirst       string
	DateOfBirth     string
	Sex             string // sexAssignedAtBirth
	Tumors          []MatchTumor
}

// MatchTumor is a tumor of a MatchPatient.
type MatchTumor struct {
	ID              uint
	MRN             string
	PrimarySite     string
	Histology       string
	DateOfDiagnosis string
	Status          string
}

// MatchPatients loads every patient of a facility with its tumors' identifying columns, for the
// matching of a casefinding import: two queries, whatever the size of the file.
func (s *Store) MatchPatients(ctx context.Context, facilityID uint) ([]MatchPatient, error) {
	return s.matchPatients(ctx, facilityID, nil)
}

// MatchCandidates loads the patients of a facility that one possible case could be, for
// matching a single record (an electronic pathology report) without loading them all: those
// with a tumor of its MRN, its date of birth, or its last name (the index's case rules). A
// patient that shares none of them scores below PossiblePatient anyway.
func (s *Store) MatchCandidates(ctx context.Context, facilityID uint, mrn, dob, last string) ([]MatchPatient, error) {
	return s.matchPatients(ctx, facilityID, func(db *gorm.DB) *gorm.DB {
		mrnPatients := s.db.Model(&Tumor{}).Select("patient_id").Where("facility_id = ? AND medical_record_number = ?", facilityID, mrn)
		cond := s.db.Where("id IN (?)", mrnPatients)
		if dob != "" {
			cond = cond.Or("date_of_birth = ?", dob)
		}
		if last != "" {
			cond = cond.Or("name_last = ?", last)
		}
		return db.Where(cond)
	})
}

func (s *Store) matchPatients(ctx context.Context, facilityID uint, narrow func(*gorm.DB) *gorm.DB) ([]MatchPatient, error) {
	db := s.db.WithContext(ctx)
	var pats []Patient
	q := db.Select("id", "patient_id_number", "name_last", "name_first", "date_of_birth", "items").Where("facility_id = ?", facilityID)
	if narrow != nil {
		q = narrow(q)
	}
	if err := q.Order("id").Find(&pats).Error; err != nil {
		return nil, fmt.Errorf("store: patients of facility %d: %w", facilityID, err)
	}
	out := make([]MatchPatient, len(pats))
	index := make(map[uint]int, len(pats))
	ids := make([]uint, len(pats))
	for i, p := range pats {
		out[i] = MatchPatient{ID: p.ID, PatientIDNumber: p.PatientIDNumber, NameLast: p.NameLast, NameFirst: p.NameFirst,
			DateOfBirth: p.DateOfBirth, Sex: p.Items["sexAssignedAtBirth"]}
		index[p.ID] = i
		ids[i] = p.ID
	}
	if narrow != nil && len(ids) == 0 {
		return out, nil
	}
	var tumors []Tumor
	tq := db.Select("id", "patient_id", "medical_record_number", "primary_site", "histology", "date_of_diagnosis", "status").
		Where("facility_id = ?", facilityID)
	if narrow != nil {
		tq = tq.Where("patient_id IN ?", ids)
	}
	if err := tq.Order("id").Find(&tumors).Error; err != nil {
		return nil, fmt.Errorf("store: tumors of facility %d: %w", facilityID, err)
	}
	for _, t := range tumors {
		if i, ok := index[t.PatientID]; ok {
			out[i].Tumors = append(out[i].Tumors, MatchTumor{ID: t.ID, MRN: t.MedicalRecordNumber, PrimarySite: t.PrimarySite,
				Histology: t.Histology, DateOfDiagnosis: t.DateOfDiagnosis, Status: t.Status})
		}
	}
	return out, nil
}

// TumorFacility is the facility of a tumor in scope (ErrNotFound for any other).
func (s *Store) TumorFacility(ctx context.Context, tumorID uint, sc Scope) (uint, error) {
	var t Tumor
	if err := sc.apply(s.db.WithContext(ctx).Select("id", "facility_id").Where("id = ?", tumorID), "facility_id").Take(&t).Error; err != nil {
		return 0, fmt.Errorf("store: tumor %d: %w", tumorID, notFound(err))
	}
	return t.FacilityID, nil
}

// SuspenseByMRN returns the records of a facility's list with one of the MRNs (exactly as
// stored), undecided or not, with the columns that tell whether one is the same case: id, mrn,
// source, first contact, codes and status.
func (s *Store) SuspenseByMRN(ctx context.Context, facilityID uint, mrns []string) ([]SuspenseRecord, error) {
	var out []SuspenseRecord
	db := s.db.WithContext(ctx)
	for start := 0; start < len(mrns); start += suspenseKeyChunk {
		var part []SuspenseRecord
		if err := db.Select("id", "mrn", "source", "first_contact", "codes", "status").
			Where("facility_id = ? AND mrn IN ?", facilityID, mrns[start:min(start+suspenseKeyChunk, len(mrns))]).
			Order("id").Find(&part).Error; err != nil {
			return nil, fmt.Errorf("store: suspense records by MRN of facility %d: %w", facilityID, err)
		}
		out = append(out, part...)
	}
	return out, nil
}

// SuspenseCaseTime is a case started from a facility's suspense list: the record's first
// contact and when the case was first approved (nil while it is not).
type SuspenseCaseTime struct {
	SuspenseID   uint
	TumorID      uint
	FirstContact string
	ApprovedAt   *time.Time
}

// SuspenseCaseTimes lists the cases started from a facility's list (abstract started or added
// to a patient), with their first approval, in one query.
func (s *Store) SuspenseCaseTimes(ctx context.Context, facilityID uint, sc Scope) ([]SuspenseCaseTime, error) {
	if !sc.Contains(facilityID) {
		return nil, nil
	}
	type row struct {
		SuspenseID   uint
		TumorID      uint
		FirstContact string
		ApprovedAt   *string // MIN() of a DATETIME comes back as text on SQLite
	}
	var rows []row
	err := s.db.WithContext(ctx).Raw(`SELECT sr.id AS suspense_id, sr.tumor_id AS tumor_id, sr.first_contact AS first_contact,
			`+firstApproval("sr.tumor_id")+` AS approved_at
		FROM suspense_records sr
		WHERE sr.facility_id = ? AND sr.status IN ? AND sr.tumor_id IS NOT NULL
		ORDER BY sr.id`, facilityID, []string{SuspenseAbstractStarted, SuspenseAddedToPatient}).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: case times of facility %d's suspense list: %w", facilityID, err)
	}
	out := make([]SuspenseCaseTime, len(rows))
	for i, r := range rows {
		out[i] = SuspenseCaseTime{SuspenseID: r.SuspenseID, TumorID: r.TumorID, FirstContact: r.FirstContact}
		if r.ApprovedAt != nil {
			t, err := parseDBTime(*r.ApprovedAt)
			if err != nil {
				return nil, fmt.Errorf("store: approval time %q of tumor %d: %w", *r.ApprovedAt, r.TumorID, err)
			}
			out[i].ApprovedAt = &t
		}
	}
	return out, nil
}

// firstApproval is when the tumor of the column was first approved (NULL while it has not been):
// when its abstract was complete, for timeliness (the suspense list's and the worklist's). It
// reads the tumor's few status changes through idx_status_changes_tumor. On SQLite the MIN() of
// a DATETIME comes back as text: scan it into a string and read it with parseDBTime.
func firstApproval(tumorCol string) string {
	return "(SELECT MIN(sc.at) FROM status_changes sc WHERE sc.tumor_id = " + tumorCol + " AND sc.to_status = 'approved')"
}

// parseDBTime reads a time as either database returns it as text.
func parseDBTime(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02 15:04:05.999999999-07:00", "2006-01-02T15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("not a time")
}
