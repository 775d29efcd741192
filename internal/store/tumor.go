package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"

	"gorm.io/gorm"

	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/naaccr"
)

// Scope limits what a caller may see: every facility (an administrator, a command-line job) or
// a list of facilities (the ones a user works for). The zero Scope sees nothing, so that a
// forgotten scope fails closed. Every store method that reads or writes cases takes one.
type Scope struct {
	all        bool
	facilities []uint
}

// AllFacilities is the scope of an administrator or a command-line job.
var AllFacilities = Scope{all: true}

// FacilityScope limits to one facility.
func FacilityScope(id uint) Scope { return Scope{facilities: []uint{id}} }

// FacilitiesScope limits to some facilities; none sees nothing.
func FacilitiesScope(ids []uint) Scope { return Scope{facilities: slices.Clone(ids)} }

// All reports whether the scope is every facility.
func (sc Scope) All() bool { return sc.all }

// Facilities lists the facilities of a limited scope (nil for AllFacilities).
func (sc Scope) Facilities() []uint { return slices.Clone(sc.facilities) }

// Single returns the one facility of a scope limited to exactly one.
func (sc Scope) Single() (uint, bool) {
	if sc.all || len(sc.facilities) != 1 {
		return 0, false
	}
	return sc.facilities[0], true
}

// Contains reports whether a facility is in scope.
func (sc Scope) Contains(facilityID uint) bool {
	return sc.all || slices.Contains(sc.facilities, facilityID)
}

// Narrow limits a scope to one facility if it contains it, and to nothing otherwise.
func (sc Scope) Narrow(facilityID uint) Scope {
	if sc.Contains(facilityID) {
		return FacilityScope(facilityID)
	}
	return Scope{}
}

// cond is the scope as an SQL condition on a facility column, with its arguments.
func (sc Scope) cond(column string) (string, []any) {
	switch {
	case sc.all:
		return "", nil
	case len(sc.facilities) == 0:
		return "1 = 0", nil
	case len(sc.facilities) == 1:
		return column + " = ?", []any{sc.facilities[0]}
	}
	return column + " IN ?", []any{sc.facilities}
}

func (sc Scope) apply(q *gorm.DB, column string) *gorm.DB {
	cond, args := sc.cond(column)
	if cond == "" {
		return q
	}
	return q.Where(cond, args...)
}

// CreatePatient stores a patient and its tumors in one transaction; tumors start as status.
func (s *Store) CreatePatient(ctx context.Context, facilityID uint, p naaccr.Patient, status string) (*Patient, error) {
	row := &Patient{FacilityID: facilityID, Items: Items(maps.Clone(p.Items)), Version: 1}
	if row.Items == nil {
		row.Items = Items{}
	}
	row.promote()
	err := s.onceTx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(row).Error; err != nil {
			return err
		}
		for _, t := range p.Tumors {
			tr := &Tumor{PatientID: row.ID, Items: Items(maps.Clone(t.Items)), Status: status, Version: 1}
			tr.ofPatient(row)
			if tr.Items == nil {
				tr.Items = Items{}
			}
			tr.promote()
			if err := tx.Create(tr).Error; err != nil {
				return err
			}
			if err := insertTumorItems(tx, []*Tumor{tr}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: create patient %q: %w", p.Items["patientIdNumber"], err)
	}
	return row, nil
}

// CountPatients counts the patients in scope.
func (s *Store) CountPatients(ctx context.Context, sc Scope) (int64, error) {
	var n int64
	if err := sc.apply(s.db.WithContext(ctx).Model(&Patient{}), "facility_id").Count(&n).Error; err != nil {
		return 0, fmt.Errorf("store: count patients: %w", err)
	}
	return n, nil
}

// Case is a tumor with its patient: what the case form shows.
type Case struct {
	Patient Patient
	Tumor   Tumor
	// Tumors are every tumor of the patient, in id order, with their items, Tumor's own among
	// them (its items are Tumor's): the patient-level edits read them. OpenCase fills them;
	// LoadCase leaves them nil.
	Tumors []Tumor
	// Reports counts the suspense records the case was started from or added with (OpenCase
	// only): the case form looks up its electronic reports only when there are some.
	Reports int
}

// LoadCase returns a tumor and its patient. A tumor outside the scope is ErrNotFound, so that
// other facilities' cases cannot even be confirmed to exist.
func (s *Store) LoadCase(ctx context.Context, tumorID uint, sc Scope) (*Case, error) {
	return s.loadCase(s.db.WithContext(ctx), tumorID, sc)
}

func (s *Store) loadCase(db *gorm.DB, tumorID uint, sc Scope) (*Case, error) {
	var c Case
	if err := db.Take(&c.Tumor, tumorID).Error; err != nil {
		return nil, fmt.Errorf("store: case %d: %w", tumorID, notFound(err))
	}
	q := sc.apply(db.Where("id = ?", c.Tumor.PatientID), "facility_id")
	if err := q.Take(&c.Patient).Error; err != nil {
		return nil, fmt.Errorf("store: case %d: %w", tumorID, notFound(err))
	}
	if err := loadOneTumorItems(db, &c.Tumor); err != nil {
		return nil, fmt.Errorf("store: case %d: %w", tumorID, err)
	}
	return &c, nil
}

// openCaseColumns are the patient's columns and every tumor's, items included, of OpenCase's rows.
const openCaseColumns = "p.id, p.facility_id, p.patient_id_number, p.name_last, p.name_first, p.date_of_birth, " +
	"p.items, p.version, p.created_at, p.updated_at, " +
	"t.id, t.patient_id, t.facility_id, t.name_last, t.name_first, t.medical_record_number, t.accession_number, " +
	"t.sequence_number, t.primary_site, t.histology, t.behavior, t.date_of_diagnosis, t.status, t.assigned_to, " +
	"t.reviewed_by, t.edit_errors, t.edit_warnings, t.version, t.status_changed_at, t.created_at, t.updated_at, ti.items, " +
	"(SELECT COUNT(*) FROM suspense_records sr WHERE sr.tumor_id = self.id)"

// OpenCase returns a tumor with its patient and every tumor of the patient (Case.Tumors), in
// one query: what a case operation reads before it checks and writes. A tumor outside the scope
// is ErrNotFound, as in LoadCase.
func (s *Store) OpenCase(ctx context.Context, tumorID uint, sc Scope) (*Case, error) {
	cond, args := sc.cond("p.facility_id")
	q := "SELECT " + openCaseColumns + " FROM tumors self JOIN patients p ON p.id = self.patient_id " +
		"JOIN tumors t ON t.patient_id = p.id LEFT JOIN tumor_items ti ON ti.tumor_id = t.id WHERE self.id = ?"
	if cond != "" {
		q += " AND " + cond
	}
	rows, err := s.db.WithContext(ctx).Raw(q+" ORDER BY t.id", append([]any{tumorID}, args...)...).Rows()
	if err != nil {
		return nil, fmt.Errorf("store: open case %d: %w", tumorID, err)
	}
	defer rows.Close()
	var (
		c              Case
		pItems, tItems sql.RawBytes
		self           = -1
	)
	for rows.Next() {
		var t Tumor
		p := &c.Patient
		if err := rows.Scan(&p.ID, &p.FacilityID, &p.PatientIDNumber, &p.NameLast, &p.NameFirst, &p.DateOfBirth,
			&pItems, &p.Version, &p.CreatedAt, &p.UpdatedAt,
			&t.ID, &t.PatientID, &t.FacilityID, &t.NameLast, &t.NameFirst, &t.MedicalRecordNumber, &t.AccessionNumber,
			&t.SequenceNumber, &t.PrimarySite, &t.Histology, &t.Behavior, &t.DateOfDiagnosis, &t.Status, &t.AssignedTo,
			&t.ReviewedBy, &t.EditErrors, &t.EditWarnings, &t.Version, &t.StatusChangedAt, &t.CreatedAt, &t.UpdatedAt,
			&tItems, &c.Reports); err != nil {
			return nil, fmt.Errorf("store: open case %d: %w", tumorID, err)
		}
		if p.Items == nil {
			if p.Items, err = decodeItems(pItems, Items{}); err != nil {
				return nil, fmt.Errorf("store: open case %d: patient %d: %w", tumorID, p.ID, err)
			}
		}
		if t.Items, err = decodeItems(tItems, Items{}); err != nil {
			return nil, fmt.Errorf("store: open case %d: tumor %d: %w", tumorID, t.ID, err)
		}
		if t.ID == tumorID {
			self = len(c.Tumors)
		}
		c.Tumors = append(c.Tumors, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: open case %d: %w", tumorID, err)
	}
	if self < 0 {
		return nil, fmt.Errorf("store: case %d: %w", tumorID, ErrNotFound)
	}
	c.Tumor = c.Tumors[self]
	return &c, nil
}

// CaseSave is one save of a case form: the versions the user loaded and the items as they
// should be after the save. Only what differs from the stored case is written.
type CaseSave struct {
	TumorID        uint
	Scope          Scope
	PatientVersion int64
	TumorVersion   int64
	PatientItems   map[string]string
	TumorItems     map[string]string
	// Loaded is the case as the caller read it, at PatientVersion and TumorVersion (OpenCase):
	// the save compares the items with it rather than reading the case again, since the
	// versions guarantee it is what is stored. When nil, the save reads the case itself.
	Loaded     *Case
	UserID     *uint
	RemoteAddr string
	// EditErrors and EditWarnings are the failing edits of the case as saved.
	EditErrors, EditWarnings int
	// Comment goes into the audit event with the changes (required when an override is set).
	Comment string
}

// ItemChange is one item's old and new value, for the audit trail.
type ItemChange struct {
	Level string `json:"level"`
	Item  string `json:"item"`
	Old   string `json:"old"`
	New   string `json:"new"`
}

// SaveCase writes a case in one transaction with optimistic locking: it is written only if the
// patient's and the tumor's versions are still the ones the user loaded; otherwise nothing is
// written and the error is ErrConflict. The change, item by item, goes to the audit trail in the
// same transaction. It returns the case as saved, with its new versions, without reading it
// again.
func (s *Store) SaveCase(ctx context.Context, in CaseSave) (*Case, []ItemChange, error) {
	var (
		saved   *Case
		changes []ItemChange
	)
	// The version check is in the updates' WHERE, so a run again after a lost commit checks it
	// again: a case another node changed meanwhile is a conflict, not overwritten.
	err := s.retryTx(ctx, "save case", func(tx *gorm.DB) error {
		cur := in.Loaded
		if cur == nil {
			var err error
			if cur, err = s.loadCase(tx, in.TumorID, in.Scope); err != nil {
				return err
			}
		}
		pch := diffItems("patient", cur.Patient.Items, in.PatientItems)
		tch := diffItems("tumor", cur.Tumor.Items, in.TumorItems)
		changes = append(pch, tch...)
		saved = &Case{Patient: cur.Patient, Tumor: cur.Tumor, Reports: cur.Reports}
		if len(changes) == 0 {
			return nil
		}
		now := s.now().UTC()
		p := Patient{Items: Items(maps.Clone(in.PatientItems))}
		p.promote()
		names := p.NameLast != cur.Patient.NameLast || p.NameFirst != cur.Patient.NameFirst
		sex := p.Sex != cur.Patient.Sex
		// The patient's follow-up columns are copied to its tumors too, for the due list.
		contact := p.DateOfLastContact != clip(cur.Patient.Items["dateOfLastContact"], 8) ||
			p.VitalStatus != clip(cur.Patient.Items["vitalStatus"], 1)
		if len(pch) > 0 {
			q := in.Scope.apply(tx.Model(&Patient{}).Where("id = ? AND version = ?", cur.Patient.ID, in.PatientVersion), "facility_id")
			res := q.Updates(map[string]any{
				"items": p.Items, "patient_id_number": p.PatientIDNumber, "name_last": p.NameLast,
				"name_first": p.NameFirst, "date_of_birth": p.DateOfBirth,
				"date_of_last_contact": p.DateOfLastContact, "vital_status": p.VitalStatus, "sex": p.Sex,
				"version": gorm.Expr("version + 1"), "updated_at": now,
			})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 0 {
				return s.conflictOrGone(tx, in)
			}
			// The patient's other tumors keep copies of the names for worklists (this one's are
			// written with it below).
			if (names || contact || sex) && (in.Loaded == nil || len(in.Loaded.Tumors) > 1) {
				copies := map[string]any{}
				if sex {
					copies["sex"] = p.Sex
				}
				if names {
					copies["name_last"], copies["name_first"] = p.NameLast, p.NameFirst
				}
				if contact {
					copies["last_contact"], copies["vital_status"] = p.DateOfLastContact, p.VitalStatus
				}
				if err := tx.Model(&Tumor{}).Where("patient_id = ? AND id <> ?", cur.Patient.ID, cur.Tumor.ID).
					UpdateColumns(copies).Error; err != nil {
					return err
				}
			}
			saved.Patient.Items, saved.Patient.Version, saved.Patient.UpdatedAt = p.Items, in.PatientVersion+1, now
			saved.Patient.PatientIDNumber, saved.Patient.NameLast, saved.Patient.NameFirst, saved.Patient.DateOfBirth =
				p.PatientIDNumber, p.NameLast, p.NameFirst, p.DateOfBirth
			saved.Patient.DateOfLastContact, saved.Patient.VitalStatus = p.DateOfLastContact, p.VitalStatus
			saved.Patient.Sex = p.Sex
		}
		t := Tumor{Items: Items(maps.Clone(in.TumorItems))}
		t.promote()
		cols := map[string]any{
			"medical_record_number": t.MedicalRecordNumber,
			"accession_number":      t.AccessionNumber, "sequence_number": t.SequenceNumber,
			"primary_site": t.PrimarySite, "histology": t.Histology, "behavior": t.Behavior,
			"date_of_diagnosis": t.DateOfDiagnosis,
			"class_of_case":     t.ClassOfCase, "physician_follow_up": t.PhysicianFollowUp,
			"next_follow_up_source": t.NextFollowUpSource, "follow_up_exclusion": t.FollowUpExclusion,
			"edit_errors": in.EditErrors, "edit_warnings": in.EditWarnings,
			"version": gorm.Expr("version + 1"), "updated_at": now,
		}
		t.ReportItems.columns(cols)
		if names {
			cols["name_last"], cols["name_first"] = p.NameLast, p.NameFirst
		}
		if contact {
			cols["last_contact"], cols["vital_status"] = p.DateOfLastContact, p.VitalStatus
		}
		if sex {
			cols["sex"] = p.Sex
		}
		// The tumor's version moves on a patient change too: the case as a whole changed. When
		// the patient is not written, the tumor is only if the patient is still as loaded.
		q := in.Scope.apply(tx.Model(&Tumor{}).Where("id = ? AND version = ?", cur.Tumor.ID, in.TumorVersion), "facility_id")
		if len(pch) == 0 {
			q = q.Where("EXISTS (SELECT 1 FROM patients WHERE patients.id = ? AND patients.version = ?)", cur.Patient.ID, in.PatientVersion)
		}
		res := q.Updates(cols)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return s.conflictOrGone(tx, in)
		}
		if len(tch) > 0 {
			if err := saveTumorItems(tx, cur.Tumor.ID, t.Items); err != nil {
				return err
			}
		}
		if err := s.audit(tx, AuditEntry{
			UserID: in.UserID, Action: audit.CaseUpdate, Entity: "tumor", EntityID: fmt.Sprint(in.TumorID),
			Details: auditDetails(changes, in.Comment), RemoteAddr: in.RemoteAddr,
		}); err != nil {
			return err
		}
		st := &saved.Tumor
		st.Items, st.Version, st.UpdatedAt = t.Items, in.TumorVersion+1, now
		st.MedicalRecordNumber, st.AccessionNumber, st.SequenceNumber = t.MedicalRecordNumber, t.AccessionNumber, t.SequenceNumber
		st.PrimarySite, st.Histology, st.Behavior, st.DateOfDiagnosis = t.PrimarySite, t.Histology, t.Behavior, t.DateOfDiagnosis
		st.EditErrors, st.EditWarnings = in.EditErrors, in.EditWarnings
		st.ClassOfCase, st.PhysicianFollowUp, st.NextFollowUpSource = t.ClassOfCase, t.PhysicianFollowUp, t.NextFollowUpSource
		st.FollowUpExclusion = t.FollowUpExclusion
		st.ReportItems = t.ReportItems
		if contact {
			st.LastContact, st.VitalStatus = p.DateOfLastContact, p.VitalStatus
		}
		if names {
			st.NameLast, st.NameFirst = p.NameLast, p.NameFirst
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, ErrConflict) || errors.Is(err, ErrNotFound) {
			return nil, nil, fmt.Errorf("store: save case %d: %w", in.TumorID, err)
		}
		return nil, nil, fmt.Errorf("store: save case %d: %w", in.TumorID, notFound(err))
	}
	if in.Loaded != nil {
		saved.Tumors = slices.Clone(in.Loaded.Tumors)
		for i := range saved.Tumors {
			if saved.Tumors[i].ID == saved.Tumor.ID {
				saved.Tumors[i] = saved.Tumor
			}
		}
	}
	return saved, changes, nil
}

// conflictOrGone tells why a save's update matched no row: the case is out of scope or gone
// (ErrNotFound), or it changed since it was loaded (ErrConflict).
func (s *Store) conflictOrGone(tx *gorm.DB, in CaseSave) error {
	var n int64
	if err := in.Scope.apply(tx.Model(&Tumor{}).Where("id = ?", in.TumorID), "facility_id").Count(&n).Error; err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return ErrConflict
}

func diffItems(level string, before, after map[string]string) []ItemChange {
	var out []ItemChange
	for k, nv := range after {
		if ov := before[k]; ov != nv {
			out = append(out, ItemChange{Level: level, Item: k, Old: ov, New: nv})
		}
	}
	for k, ov := range before {
		if _, ok := after[k]; !ok {
			out = append(out, ItemChange{Level: level, Item: k, Old: ov})
		}
	}
	sortChanges(out)
	return out
}

// PatientFilter selects the tumors an export or a batch job reads.
type PatientFilter struct {
	Scope    Scope
	Statuses []string // tumor statuses; all when empty
	// DiagnosedFrom and DiagnosedTo bound the date of diagnosis (CCYYMMDD, inclusive; partial
	// dates compare by their known part). Empty means unbounded.
	DiagnosedFrom, DiagnosedTo string
}

// EachPatient calls fn for every patient in scope with its tumors that pass the filter, in id
// order. It reads batchSize patients at a time (two queries a batch), so memory stays flat
// however many cases there are; patients left with no tumor are skipped.
func (s *Store) EachPatient(ctx context.Context, f PatientFilter, batchSize int, fn func(p *Patient, tumors []Tumor) error) error {
	sc, statuses := f.Scope, f.Statuses
	if batchSize <= 0 {
		batchSize = 500
	}
	var lastID uint
	for {
		var pats []Patient
		q := sc.apply(s.db.WithContext(ctx).Where("id > ?", lastID), "facility_id")
		if err := q.Order("id").Limit(batchSize).Find(&pats).Error; err != nil {
			return fmt.Errorf("store: each patient: %w", err)
		}
		if len(pats) == 0 {
			return nil
		}
		ids := make([]uint, len(pats))
		for i, p := range pats {
			ids[i] = p.ID
		}
		var tumors []Tumor
		tq := s.db.WithContext(ctx).Where("patient_id IN ?", ids)
		if len(statuses) > 0 {
			tq = tq.Where("status IN ?", statuses)
		}
		if f.DiagnosedFrom != "" {
			tq = tq.Where("date_of_diagnosis >= ?", f.DiagnosedFrom)
		}
		if f.DiagnosedTo != "" && f.DiagnosedFrom == "" {
			tq = tq.Where("date_of_diagnosis <> ''") // a blank date is in no range
		}
		if f.DiagnosedTo != "" {
			// "20251231" must include "2025" and "202512": compare with the upper bound padded.
			tq = tq.Where("date_of_diagnosis <= ?", f.DiagnosedTo+"99999999"[len(f.DiagnosedTo):])
		}
		if err := tq.Order("patient_id, id").Find(&tumors).Error; err != nil {
			return fmt.Errorf("store: each patient: tumors: %w", err)
		}
		if err := loadTumorItems(s.db.WithContext(ctx), tumors); err != nil {
			return fmt.Errorf("store: each patient: %w", err)
		}
		byPatient := make(map[uint][]Tumor, len(pats))
		for _, t := range tumors {
			byPatient[t.PatientID] = append(byPatient[t.PatientID], t)
		}
		for i := range pats {
			ts := byPatient[pats[i].ID]
			if len(ts) == 0 {
				continue
			}
			if err := fn(&pats[i], ts); err != nil {
				return err
			}
		}
		lastID = pats[len(pats)-1].ID
	}
}

// EditCounts is the number of failing edits of a tumor, kept for worklists.
type EditCounts struct {
	TumorID          uint
	Errors, Warnings int
}

// UpdateEditCounts stores edit counts in one transaction. It does not move the tumors' versions:
// the counts follow from the items and change no abstracted value.
func (s *Store) UpdateEditCounts(ctx context.Context, counts []EditCounts) error {
	if len(counts) == 0 {
		return nil
	}
	err := s.onceTx(ctx, func(tx *gorm.DB) error {
		for _, c := range counts {
			if err := tx.Model(&Tumor{}).Where("id = ?", c.TumorID).
				Updates(map[string]any{"edit_errors": c.Errors, "edit_warnings": c.Warnings}).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: update edit counts: %w", err)
	}
	return nil
}

func auditDetails(changes []ItemChange, comment string) map[string]any {
	d := map[string]any{"changes": changes}
	if comment != "" {
		d["comment"] = comment
	}
	return d
}

// PatientTumors returns every tumor of a patient in scope, in id order; patient-level edits need them.
func (s *Store) PatientTumors(ctx context.Context, patientID uint, sc Scope) ([]Tumor, error) {
	var ts []Tumor
	q := sc.apply(s.db.WithContext(ctx).Where("patient_id = ?", patientID), "facility_id")
	if err := q.Order("id").Find(&ts).Error; err != nil {
		return nil, fmt.Errorf("store: tumors of patient %d: %w", patientID, err)
	}
	if err := loadTumorItems(s.db.WithContext(ctx), ts); err != nil {
		return nil, fmt.Errorf("store: tumors of patient %d: %w", patientID, err)
	}
	return ts, nil
}
