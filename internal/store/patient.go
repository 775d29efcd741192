package store

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"

	"gorm.io/gorm"

	"github.com/cara-registry/cara/internal/audit"
)

// BeforeCreate gives a tumor created without its facility its patient's facility and names, so
// that no path that adds tumors can leave one off every worklist. The store's own paths set them
// and pay nothing here.
func (t *Tumor) BeforeCreate(tx *gorm.DB) error {
	if t.StatusChangedAt == nil {
		now := tx.NowFunc()
		t.StatusChangedAt = &now
	}
	if t.FacilityID != 0 {
		return nil
	}
	var p Patient
	if err := tx.Session(&gorm.Session{NewDB: true}).Select("id", "facility_id", "name_last", "name_first", "date_of_last_contact", "vital_status", "sex").Take(&p, t.PatientID).Error; err != nil {
		return fmt.Errorf("store: facility of patient %d: %w", t.PatientID, notFound(err))
	}
	t.ofPatient(&p)
	return nil
}

// NewPatient is a patient a person enters, before any tumor.
type NewPatient struct {
	FacilityID uint
	Scope      Scope // the facility must be in it
	Items      map[string]string
	UserID     *uint
	RemoteAddr string
}

// patientIDWidth is the length of patientIdNumber (NAACCR #20).
const patientIDWidth = 8

// AddPatient stores a patient with no tumor yet and audits patient.create in the same
// transaction. A patient without a patientIdNumber gets the facility's next one. A facility that
// does not exist or is out of scope is ErrNotFound.
func (s *Store) AddPatient(ctx context.Context, in NewPatient) (*Patient, error) {
	if !in.Scope.Contains(in.FacilityID) {
		return nil, fmt.Errorf("store: add patient to facility %d: %w", in.FacilityID, ErrNotFound)
	}
	row := &Patient{FacilityID: in.FacilityID, Items: Items(maps.Clone(in.Items)), Version: 1}
	if row.Items == nil {
		row.Items = Items{}
	}
	numbered := row.Items["patientIdNumber"] == ""
	err := s.retryTx(ctx, "add patient", func(tx *gorm.DB) error {
		row.ID = 0
		if err := lockNumbering(tx, in.FacilityID); err != nil {
			return err
		}
		if numbered {
			next, err := nextPatientIDNumber(tx, in.FacilityID)
			if err != nil {
				return err
			}
			row.Items["patientIdNumber"] = next
		}
		row.promote()
		if err := tx.Create(row).Error; err != nil {
			return err
		}
		return s.audit(tx, AuditEntry{
			UserID: in.UserID, Action: audit.PatientCreate, Entity: "patient", EntityID: strconv.FormatUint(uint64(row.ID), 10),
			Details: map[string]any{"facility": in.FacilityID, "patientIdNumber": row.PatientIDNumber}, RemoteAddr: in.RemoteAddr,
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: add patient: %w", notFound(err))
	}
	return row, nil
}

// nextPatientIDNumber is one more than the facility's highest all-digit patient id number.
func nextPatientIDNumber(tx *gorm.DB, facilityID uint) (string, error) {
	var last []string
	err := tx.Model(&Patient{}).Where("facility_id = ? AND patient_id_number BETWEEN ? AND ?", facilityID,
		strings.Repeat("0", patientIDWidth), strings.Repeat("9", patientIDWidth)).
		Order("patient_id_number DESC").Limit(20).Pluck("patient_id_number", &last).Error
	if err != nil {
		return "", err
	}
	n := 0
	for _, v := range last { // the highest that is a number: "0000012A" sorts among them too
		if len(v) == patientIDWidth {
			if k, err := strconv.Atoi(v); err == nil && k >= 0 {
				n = k
				break
			}
		}
	}
	if n+1 >= 100_000_000 {
		return "", fmt.Errorf("facility %d has used every patient id number", facilityID)
	}
	return fmt.Sprintf("%0*d", patientIDWidth, n+1), nil
}

// NewTumor is a tumor a person adds to a stored patient.
type NewTumor struct {
	PatientID  uint
	Scope      Scope // the patient must be in it
	Items      map[string]string
	Status     string
	AssignedTo *uint
	// EditErrors and EditWarnings are the failing edits of the tumor as created.
	EditErrors, EditWarnings int
	UserID                   *uint
	RemoteAddr               string
}

// AddTumor stores a tumor of a patient in scope (ErrNotFound for any other) and audits
// tumor.create in the same transaction.
func (s *Store) AddTumor(ctx context.Context, in NewTumor) (*Tumor, error) {
	row := &Tumor{
		PatientID: in.PatientID, Items: Items(maps.Clone(in.Items)), Status: in.Status, AssignedTo: in.AssignedTo,
		EditErrors: in.EditErrors, EditWarnings: in.EditWarnings, Version: 1,
	}
	if row.Items == nil {
		row.Items = Items{}
	}
	row.promote()
	err := s.retryTx(ctx, "add tumor", func(tx *gorm.DB) error {
		row.ID = 0
		var p Patient
		if err := in.Scope.apply(tx.Select("id", "facility_id", "name_last", "name_first", "date_of_last_contact", "vital_status", "sex").Where("id = ?", in.PatientID), "facility_id").Take(&p).Error; err != nil {
			return err
		}
		row.ofPatient(&p)
		if err := tx.Create(row).Error; err != nil {
			return err
		}
		if err := insertTumorItems(tx, []*Tumor{row}); err != nil {
			return err
		}
		return s.audit(tx, AuditEntry{
			UserID: in.UserID, Action: audit.TumorCreate, Entity: "tumor", EntityID: strconv.FormatUint(uint64(row.ID), 10),
			Details: map[string]any{
				"patient": in.PatientID, "sequenceNumber": row.SequenceNumber,
				"primarySite": row.PrimarySite, "dateOfDiagnosis": row.DateOfDiagnosis,
			},
			RemoteAddr: in.RemoteAddr,
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: add tumor to patient %d: %w", in.PatientID, notFound(err))
	}
	return row, nil
}

// PatientRecord is a patient with every tumor, in id order. The tumors carry their listed
// columns, not their items.
type PatientRecord struct {
	Patient Patient
	Tumors  []Tumor
}

// tumorSummary are the columns of a tumor a list of tumors shows.
var tumorSummary = []string{
	"id", "patient_id", "facility_id", "name_last", "name_first", "medical_record_number", "accession_number", "sequence_number",
	"primary_site", "histology", "behavior", "date_of_diagnosis", "status", "assigned_to",
	"edit_errors", "edit_warnings", "version", "created_at", "updated_at",
}

// LoadPatient returns a patient in scope with its tumors (ErrNotFound for any other).
func (s *Store) LoadPatient(ctx context.Context, id uint, sc Scope) (*PatientRecord, error) {
	recs, err := s.patientRecords(ctx, []uint{id}, sc)
	if err != nil {
		return nil, fmt.Errorf("store: patient %d: %w", id, err)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("store: patient %d: %w", id, ErrNotFound)
	}
	return &recs[0], nil
}

// patientRecords loads patients in scope and their tumors, in two queries, sorted by name.
func (s *Store) patientRecords(ctx context.Context, ids []uint, sc Scope) ([]PatientRecord, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	db := s.db.WithContext(ctx)
	var pats []Patient
	ci := s.dialect.nocase()
	if err := sc.apply(db.Where("id IN ?", ids), "facility_id").
		Order("name_last" + ci + ", name_first" + ci + ", id").Find(&pats).Error; err != nil {
		return nil, err
	}
	if len(pats) == 0 {
		return nil, nil
	}
	found := make([]uint, len(pats))
	for i, p := range pats {
		found[i] = p.ID
	}
	var tumors []Tumor
	if err := db.Select(tumorSummary).Where("patient_id IN ?", found).Order("patient_id, id").Find(&tumors).Error; err != nil {
		return nil, err
	}
	byPatient := map[uint][]Tumor{}
	for _, t := range tumors {
		byPatient[t.PatientID] = append(byPatient[t.PatientID], t)
	}
	recs := make([]PatientRecord, len(pats))
	for i, p := range pats {
		recs[i] = PatientRecord{Patient: p, Tumors: byPatient[p.ID]}
	}
	return recs, nil
}

// PatientSearch finds patients to start a case with. Every criterion given must match; with none
// nothing is found.
type PatientSearch struct {
	Scope Scope
	// Name is a prefix of the last name, or "Last, First" with a prefix of each.
	Name string
	// MRN is a prefix of the medical record number of one of the patient's tumors.
	MRN string
	// DateOfBirth is a date of birth, CCYYMMDD, or a prefix of one (CCYY, CCYYMM).
	DateOfBirth string
	Limit       int // 0 means 50
}

// SearchPatients returns the patients that match, by name, with their tumors: three queries.
func (s *Store) SearchPatients(ctx context.Context, q PatientSearch) ([]PatientRecord, error) {
	name, mrn, dob := strings.TrimSpace(q.Name), strings.TrimSpace(q.MRN), strings.TrimSpace(q.DateOfBirth)
	if name == "" && mrn == "" && dob == "" {
		return nil, nil
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	ci := s.dialect.nocase()
	db := q.Scope.apply(s.db.WithContext(ctx).Model(&Patient{}), "facility_id")
	if name != "" {
		if last, first, ok := strings.Cut(name, ","); ok {
			db = db.Where("name_last LIKE ? ESCAPE '!'", escapeLike(strings.TrimSpace(last))+"%")
			if first = strings.TrimSpace(first); first != "" {
				db = db.Where("name_first LIKE ? ESCAPE '!'", escapeLike(first)+"%")
			}
		} else {
			db = db.Where("name_last LIKE ? ESCAPE '!'", escapeLike(name)+"%")
		}
	}
	if dob != "" {
		db = db.Where("date_of_birth LIKE ? ESCAPE '!'", escapeLike(dob)+"%")
	}
	if mrn != "" {
		sub := q.Scope.apply(s.db.Model(&Tumor{}).Select("patient_id"), "facility_id").
			Where("medical_record_number LIKE ? ESCAPE '!'", escapeLike(mrn)+"%")
		db = db.Where("id IN (?)", sub)
	}
	var ids []uint
	if err := db.Order("name_last"+ci+", name_first"+ci+", id").Limit(limit).Pluck("id", &ids).Error; err != nil {
		return nil, fmt.Errorf("store: search patients: %w", err)
	}
	recs, err := s.patientRecords(ctx, ids, q.Scope)
	if err != nil {
		return nil, fmt.Errorf("store: search patients: %w", err)
	}
	return recs, nil
}

// PatientDuplicates returns the facility's patients that are likely the same person as one
// about to be entered: the same last name (ignoring case) and date of birth, or a tumor with
// the same medical record number. Blank values match nothing, and so does a facility out of scope.
func (s *Store) PatientDuplicates(ctx context.Context, sc Scope, facilityID uint, nameLast, dateOfBirth, mrn string) ([]PatientRecord, error) {
	if !sc.Contains(facilityID) {
		return nil, nil
	}
	nameLast, dateOfBirth, mrn = strings.TrimSpace(nameLast), strings.TrimSpace(dateOfBirth), strings.TrimSpace(mrn)
	ci := s.dialect.nocase()
	var (
		parts []string
		args  []any
	)
	if nameLast != "" && dateOfBirth != "" {
		parts = append(parts, "SELECT id FROM patients WHERE facility_id = ? AND name_last"+ci+" = ? AND date_of_birth = ?")
		args = append(args, facilityID, nameLast, dateOfBirth)
	}
	if mrn != "" {
		parts = append(parts, "SELECT patient_id FROM tumors WHERE facility_id = ? AND medical_record_number"+ci+" = ?")
		args = append(args, facilityID, mrn)
	}
	if len(parts) == 0 {
		return nil, nil
	}
	var ids []uint
	if err := s.db.WithContext(ctx).Raw(strings.Join(parts, " UNION "), args...).Scan(&ids).Error; err != nil {
		return nil, fmt.Errorf("store: duplicates of %q: %w", nameLast, err)
	}
	recs, err := s.patientRecords(ctx, ids, FacilityScope(facilityID))
	if err != nil {
		return nil, fmt.Errorf("store: duplicates of %q: %w", nameLast, err)
	}
	return recs, nil
}

// NextAccessionNumber suggests the facility's next hospital accession number of a year: CCYY
// and a 5-digit sequence one past the highest stored, or CCYY00001; "" when the year is full.
func (s *Store) NextAccessionNumber(ctx context.Context, facilityID uint, year int) (string, error) {
	prefix := fmt.Sprintf("%04d", year)
	ci := s.dialect.nocase()
	var last []string
	err := s.db.WithContext(ctx).Model(&Tumor{}).
		Where("facility_id = ? AND accession_number LIKE ? ESCAPE '!'", facilityID, prefix+"%").
		Order("accession_number"+ci+" DESC").Limit(20).Pluck("accession_number", &last).Error
	if err != nil {
		return "", fmt.Errorf("store: next accession number: %w", err)
	}
	for _, v := range last { // the highest that is a number
		if len(v) != 9 {
			continue
		}
		if n, err := strconv.Atoi(v[4:]); err == nil && n >= 0 {
			if n >= 99999 {
				return "", nil // the year is full: no suggestion
			}
			return fmt.Sprintf("%s%05d", prefix, n+1), nil
		}
	}
	return prefix + "00001", nil
}

// Facilities lists every facility, by name.
func (s *Store) Facilities(ctx context.Context) ([]Facility, error) {
	var fs []Facility
	if err := s.db.WithContext(ctx).Order("name, id").Find(&fs).Error; err != nil {
		return nil, fmt.Errorf("store: facilities: %w", err)
	}
	return fs, nil
}

// lockNumbering makes two transactions numbering a facility's patients take turns: it bumps the
// facility's counter in patient_numbering (migration 00023), so the second waits for the first's
// row lock on one database and, on a Galera cluster, where a row lock is only the node's own,
// loses at certification (a deadlock error, after which retryTx numbers again). A locking read
// would not do there: Galera certifies the rows a transaction writes, not those it locked
// reading. The counter is not in the facility's row: every insert that references the facility
// would conflict with it. A facility's first numbering makes its counter; a facility that does
// not exist is ErrNotFound.
func lockNumbering(tx *gorm.DB, facilityID uint) error {
	bump := func() (bool, error) {
		res := tx.Exec("UPDATE patient_numbering SET numbered = numbered + 1 WHERE facility_id = ?", facilityID)
		return res.RowsAffected > 0, res.Error
	}
	if ok, err := bump(); ok || err != nil {
		return err
	}
	var n int64
	if err := tx.Model(&Facility{}).Where("id = ?", facilityID).Count(&n).Error; err != nil {
		return err
	}
	if n == 0 {
		return gorm.ErrRecordNotFound
	}
	err := tx.Exec("INSERT INTO patient_numbering (facility_id, numbered) VALUES (?, 1)", facilityID).Error
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		// Made by a numbering of the facility committed meanwhile: bump it.
		_, err = bump()
	}
	return err
}
