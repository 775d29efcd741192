package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/followed"
)

// DueFilter selects a facility's follow-up due list: the followed tumors (internal/followed) of
// patients not known dead whose date of last contact is before ContactBefore (CCYYMMDD) and, when set, on or
// after ContactFrom.
type DueFilter struct {
	Scope                      Scope
	ContactBefore, ContactFrom string
	Physician                  string // Follow-up Physician (#2470); empty for any
	Sites                      []SiteRange
	// Limit is the page size (0 means 500), Offset the rows to skip.
	Limit, Offset int
}

// DueRow is one case on the due list, with the patient's and the tumor's items (the contact
// sources, the letters' values).
type DueRow struct {
	TumorID, PatientID       uint
	FacilityID               uint
	NameLast, NameFirst      string
	MedicalRecordNumber      string
	AccessionNumber          string
	PrimarySite, Histology   string
	DateOfDiagnosis          string
	ClassOfCase              string
	LastContact              string
	VitalStatus              string
	PhysicianFollowUp        string
	NextFollowUpSource       string
	Status                   string
	PatientItems, TumorItems Items
}

func (f DueFilter) where() (string, []any) {
	var conds []string
	var args []any
	if c, a := f.Scope.cond("t.facility_id"); c != "" {
		conds, args = append(conds, c), append(args, a...)
	}
	conds = append(conds, "t.follow_up_exclusion = ''", "t.last_contact < ?")
	args = append(args, f.ContactBefore)
	if f.ContactFrom != "" {
		conds = append(conds, "t.last_contact >= ?")
		args = append(args, f.ContactFrom)
	}
	// Vital status 0 is dead; a blank or unknown one is still followed.
	conds = append(conds, "t.vital_status <> '0'")
	if f.Physician != "" {
		conds = append(conds, "t.physician_follow_up = ?")
		args = append(args, f.Physician)
	}
	if len(f.Sites) > 0 {
		ors := make([]string, len(f.Sites))
		for i, r := range f.Sites {
			ors[i] = "t.primary_site BETWEEN ? AND ?"
			args = append(args, r.From, r.To)
		}
		conds = append(conds, "("+strings.Join(ors, " OR ")+")")
	}
	return " FROM tumors t WHERE " + strings.Join(conds, " AND "), args
}

// FollowUpDue lists one page of the due list, oldest last contact first, and how many cases are
// on it in all: a count read from idx_tumors_facility_followup alone, then the page's ids from
// the same index and their rows with the items.
func (s *Store) FollowUpDue(ctx context.Context, f DueFilter) ([]DueRow, int64, error) {
	from, args := f.where()
	var total int64
	if err := s.db.WithContext(ctx).Raw("SELECT COUNT(*)"+from, args...).Scan(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("store: follow-up due count: %w", err)
	}
	if total == 0 || int64(f.Offset) >= total {
		return nil, total, nil
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 500
	}
	const order = "t.last_contact, t.patient_id, t.id"
	q := `SELECT t.id, t.patient_id, t.facility_id, t.name_last, t.name_first, t.medical_record_number,
		t.accession_number, t.primary_site, t.histology, t.date_of_diagnosis, t.class_of_case, t.last_contact,
		t.vital_status, t.physician_follow_up, t.next_follow_up_source, t.status, p.items, ti.items
		FROM (SELECT t.id` + from + " ORDER BY " + order + " LIMIT " + strconv.Itoa(limit) +
		" OFFSET " + strconv.Itoa(max(f.Offset, 0)) + `) pg
		JOIN tumors t ON t.id = pg.id JOIN patients p ON p.id = t.patient_id
		LEFT JOIN tumor_items ti ON ti.tumor_id = t.id ORDER BY ` + order
	rows, err := s.db.WithContext(ctx).Raw(q, args...).Rows()
	if err != nil {
		return nil, 0, fmt.Errorf("store: follow-up due: %w", err)
	}
	defer rows.Close()
	out := make([]DueRow, 0, min(int64(limit), total))
	var pItems, tItems sql.RawBytes
	for rows.Next() {
		var r DueRow
		if err := rows.Scan(&r.TumorID, &r.PatientID, &r.FacilityID, &r.NameLast, &r.NameFirst, &r.MedicalRecordNumber,
			&r.AccessionNumber, &r.PrimarySite, &r.Histology, &r.DateOfDiagnosis, &r.ClassOfCase, &r.LastContact,
			&r.VitalStatus, &r.PhysicianFollowUp, &r.NextFollowUpSource, &r.Status, &pItems, &tItems); err != nil {
			return nil, 0, fmt.Errorf("store: follow-up due: %w", err)
		}
		if r.PatientItems, err = decodeItems(pItems, Items{}); err != nil {
			return nil, 0, fmt.Errorf("store: follow-up due: patient %d: %w", r.PatientID, err)
		}
		if r.TumorItems, err = decodeItems(tItems, Items{}); err != nil {
			return nil, 0, fmt.Errorf("store: follow-up due: tumor %d: %w", r.TumorID, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("store: follow-up due: %w", err)
	}
	return out, total, nil
}

// RateRow is what the follow-up rate reads of one tumor.
type RateRow struct {
	TumorID, PatientID uint
	ClassOfCase        string
	Exclusion          string // followed.Reason, "" for a followed case
	DateOfDiagnosis    string
	LastContact        string
	VitalStatus        string
}

// FollowUpRateRows reads every tumor in scope diagnosed on or after dxFrom (CCYYMMDD; empty for
// all), from the tumors rows alone.
func (s *Store) FollowUpRateRows(ctx context.Context, sc Scope, dxFrom string) ([]RateRow, error) {
	q := sc.apply(s.db.WithContext(ctx).Table("tumors"), "facility_id").
		Select("id, patient_id, class_of_case, follow_up_exclusion, date_of_diagnosis, last_contact, vital_status")
	if dxFrom != "" {
		q = q.Where("date_of_diagnosis >= ?", dxFrom)
	}
	rows, err := q.Order("id").Rows()
	if err != nil {
		return nil, fmt.Errorf("store: follow-up rate: %w", err)
	}
	defer rows.Close()
	var out []RateRow
	for rows.Next() {
		var r RateRow
		if err := rows.Scan(&r.TumorID, &r.PatientID, &r.ClassOfCase, &r.Exclusion, &r.DateOfDiagnosis, &r.LastContact, &r.VitalStatus); err != nil {
			return nil, fmt.Errorf("store: follow-up rate: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: follow-up rate: %w", err)
	}
	return out, nil
}

// LivingPatients are the patients in scope not known dead whose date of birth is one of dobs or
// whose last name is one of lastNames (compared without case): death clearance's candidates.
// Each comes with its items (sex, social security number).
func (s *Store) LivingPatients(ctx context.Context, sc Scope, dobs, lastNames []string) ([]Patient, error) {
	var out []Patient
	const chunk = 500
	seen := map[uint]bool{}
	for _, part := range []struct {
		col  string
		vals []string
	}{{"date_of_birth", dobs}, {"name_last", lastNames}} {
		for start := 0; start < len(part.vals); start += chunk {
			vals := part.vals[start:min(start+chunk, len(part.vals))]
			var ps []Patient
			col := part.col
			if col == "name_last" {
				col += s.dialect.nocase()
			}
			q := sc.apply(s.db.WithContext(ctx).Where(col+" IN ? AND vital_status <> '0'", vals), "facility_id")
			if err := q.Order("id").Find(&ps).Error; err != nil {
				return nil, fmt.Errorf("store: living patients: %w", err)
			}
			for _, p := range ps {
				if !seen[p.ID] {
					seen[p.ID] = true
					out = append(out, p)
				}
			}
		}
	}
	slices.SortFunc(out, func(a, b Patient) int { return int(a.ID) - int(b.ID) })
	return out, nil
}

// FollowUpSave is one recorded follow-up of a patient: the patient's items and those of each of
// its tumors as they should be after it, at the versions the user loaded (every tumor's: the
// follow-up writes them all). Loaded is the case as read then (OpenCase, with every tumor).
type FollowUpSave struct {
	Scope          Scope
	Loaded         *Case
	PatientVersion int64
	PatientItems   map[string]string
	Tumors         []FollowUpTumor
	UserID         *uint
	RemoteAddr     string
	Comment        string
	Source         string // what recorded it ("form", "death clearance"), for the audit trail
}

// FollowUpTumor is one tumor's part of a follow-up.
type FollowUpTumor struct {
	ID                       uint
	Version                  int64
	Items                    map[string]string
	EditErrors, EditWarnings int
}

// SaveFollowUp writes a follow-up in one transaction with optimistic locking: the patient and
// every tumor are written only if their versions are still the ones loaded, otherwise nothing is
// (ErrConflict). Each tumor's change is audited (follow-up.record), with the patient's items
// on the first. Every tumor's version moves: the case as a whole changed.
func (s *Store) SaveFollowUp(ctx context.Context, in FollowUpSave) error {
	cur := in.Loaded
	if cur == nil {
		return fmt.Errorf("store: save follow-up: no case loaded")
	}
	byID := make(map[uint]*Tumor, len(cur.Tumors))
	for i := range cur.Tumors {
		byID[cur.Tumors[i].ID] = &cur.Tumors[i]
	}
	err := s.onceTx(ctx, func(tx *gorm.DB) error {
		now := s.now().UTC()
		pch := diffItems("patient", cur.Patient.Items, in.PatientItems)
		p := Patient{Items: Items(maps.Clone(in.PatientItems))}
		p.promote()
		q := in.Scope.apply(tx.Model(&Patient{}).Where("id = ? AND version = ?", cur.Patient.ID, in.PatientVersion), "facility_id")
		cols := map[string]any{"version": gorm.Expr("version + 1"), "updated_at": now}
		if len(pch) > 0 {
			cols["items"], cols["date_of_last_contact"], cols["vital_status"] = p.Items, p.DateOfLastContact, p.VitalStatus
			cols["sex"] = p.Sex
		}
		res := q.Updates(cols)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrConflict
		}
		for i, ft := range in.Tumors {
			old := byID[ft.ID]
			if old == nil {
				return fmt.Errorf("tumor %d is not the patient's: %w", ft.ID, ErrNotFound)
			}
			t := Tumor{Items: Items(maps.Clone(ft.Items))}
			t.promote()
			tch := diffItems("tumor", old.Items, ft.Items)
			res := in.Scope.apply(tx.Model(&Tumor{}).Where("id = ? AND version = ?", ft.ID, ft.Version), "facility_id").
				Updates(t.ReportItems.columns(map[string]any{
					"class_of_case": t.ClassOfCase, "physician_follow_up": t.PhysicianFollowUp,
					"next_follow_up_source": t.NextFollowUpSource, "follow_up_exclusion": t.FollowUpExclusion,
					"last_contact": p.DateOfLastContact, "vital_status": p.VitalStatus, "sex": p.Sex,
					"edit_errors": ft.EditErrors, "edit_warnings": ft.EditWarnings,
					"version": gorm.Expr("version + 1"), "updated_at": now,
				}))
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 0 {
				return ErrConflict
			}
			if len(tch) > 0 {
				if err := saveTumorItems(tx, ft.ID, t.Items); err != nil {
					return err
				}
			}
			changes := tch
			if i == 0 {
				changes = append(slices.Clone(pch), tch...)
			}
			d := auditDetails(changes, in.Comment)
			d["source"] = in.Source
			if err := s.audit(tx, AuditEntry{
				UserID: in.UserID, Action: audit.FollowUpRecord, Entity: "tumor", EntityID: strconv.FormatUint(uint64(ft.ID), 10),
				Details: d, RemoteAddr: in.RemoteAddr,
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, ErrConflict) || errors.Is(err, ErrNotFound) {
			return fmt.Errorf("store: save follow-up of patient %d: %w", cur.Patient.ID, err)
		}
		return fmt.Errorf("store: save follow-up of patient %d: %w", cur.Patient.ID, notFound(err))
	}
	return nil
}

// FollowUpLetter is one follow-up letter sent.
type FollowUpLetter struct {
	ID            uint
	FacilityID    uint
	PatientID     uint
	TumorID       uint
	RecipientKind string // physician, patient, hospital
	Recipient     string
	DueMonth      string // CCYYMM of the due list it was printed for
	SentBy        *uint
	SentAt        time.Time
}

// RecordLetters stores the letters of one printing and audits it (one event) in one
// transaction; every letter's tumor must be in scope.
func (s *Store) RecordLetters(ctx context.Context, sc Scope, letters []FollowUpLetter, userID *uint, remoteAddr string) error {
	if len(letters) == 0 {
		return nil
	}
	err := s.onceTx(ctx, func(tx *gorm.DB) error {
		ids := make([]uint, 0, len(letters))
		for _, l := range letters {
			ids = append(ids, l.TumorID)
		}
		slices.Sort(ids)
		ids = slices.Compact(ids)
		var n int64
		for start := 0; start < len(ids); start += itemsBatch {
			part := ids[start:min(start+itemsBatch, len(ids))]
			var c int64
			if err := sc.apply(tx.Model(&Tumor{}).Where("id IN ?", part), "facility_id").Count(&c).Error; err != nil {
				return err
			}
			n += c
		}
		if n != int64(len(ids)) {
			return ErrNotFound
		}
		now := s.now().UTC()
		for i := range letters {
			letters[i].SentAt = now
			letters[i].SentBy = userID
		}
		if err := tx.CreateInBatches(letters, 200).Error; err != nil {
			return err
		}
		return s.audit(tx, AuditEntry{
			UserID: userID, Action: audit.FollowUpLetters, Entity: "facility", EntityID: strconv.FormatUint(uint64(letters[0].FacilityID), 10),
			Details: map[string]any{"letters": len(letters), "tumors": len(ids), "dueMonth": letters[0].DueMonth}, RemoteAddr: remoteAddr,
		})
	})
	if err != nil {
		return fmt.Errorf("store: record %d follow-up letters: %w", len(letters), err)
	}
	return nil
}

// LettersSent lists the letters sent for a facility's tumors in scope, newest first.
func (s *Store) LettersSent(ctx context.Context, sc Scope, limit int) ([]FollowUpLetter, error) {
	if limit <= 0 {
		limit = 500
	}
	var out []FollowUpLetter
	if err := sc.apply(s.db.WithContext(ctx), "facility_id").Order("sent_at DESC, id DESC").Limit(limit).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: letters sent: %w", err)
	}
	return out, nil
}

// pendingFollowUp is follow_up_exclusion of the tumors stored before migration 00013, which
// refreshFollowUp computes.
const pendingFollowUp = "pending"

// refreshFollowUp computes follow_up_exclusion for the tumors still pending, one update per
// distinct combination of the items the rule reads (a few hundred in a registry).
func (s *Store) refreshFollowUp(ctx context.Context) error {
	db := s.db.WithContext(ctx)
	var combos []Tumor
	if err := db.Model(&Tumor{}).Distinct("class_of_case", "behavior", "primary_site", "histology", "next_follow_up_source").
		Where("follow_up_exclusion = ?", pendingFollowUp).Find(&combos).Error; err != nil {
		return fmt.Errorf("store: refresh follow-up: %w", err)
	}
	for _, c := range combos {
		if err := db.Model(&Tumor{}).Where("follow_up_exclusion = ? AND class_of_case = ? AND behavior = ? AND primary_site = ? AND histology = ? AND next_follow_up_source = ?",
			pendingFollowUp, c.ClassOfCase, c.Behavior, c.PrimarySite, c.Histology, c.NextFollowUpSource).
			UpdateColumn("follow_up_exclusion", followed.Reason(c.followUpCase())).Error; err != nil {
			return fmt.Errorf("store: refresh follow-up: %w", err)
		}
	}
	return nil
}
