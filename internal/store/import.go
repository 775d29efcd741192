package store

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/cara-registry/cara/internal/naaccr"
)

// ImportResult counts what one import batch did.
type ImportResult struct {
	PatientsCreated int
	TumorsCreated   int
	TumorsExisting  int // already stored (same facility, patient id number and sequence number)
}

// Add sums results.
func (r *ImportResult) Add(o ImportResult) {
	r.PatientsCreated += o.PatientsCreated
	r.TumorsCreated += o.TumorsCreated
	r.TumorsExisting += o.TumorsExisting
}

// sequenceOf is the key that tells a patient's tumors apart on import: the hospital sequence
// number, or the central one in files from a central registry.
func sequenceOf(items map[string]string) string {
	if s := items["sequenceNumberHospital"]; s != "" {
		return s
	}
	return items["sequenceNumberCentral"]
}

// ImportPatients stores a batch of patients of one facility in one transaction. A patient is
// matched on facility and patient id number, a tumor on its patient and sequence number: what
// is stored already is left as it is, so importing the same file twice adds nothing. It looks
// the batch up in two queries and inserts in bulk. counts, when not nil, are the failing edits of
// each patient's tumors (counts[i][j] for pats[i].Tumors[j]), stored with new tumors for the
// worklist; nil leaves them 0 until the edits are run over the store.
func (s *Store) ImportPatients(ctx context.Context, facilityID uint, status string, pats []naaccr.Patient, counts [][]TumorCounts) (ImportResult, error) {
	var res ImportResult
	// A batch that loses to a concurrent write (on Galera, another node's commit into the same
	// index ranges: the newest rows of the time-ordered indexes are every writer's) runs again
	// from the start: it reads what is stored afresh, so a retry adds nothing twice.
	err := s.retryTx(ctx, "import", func(tx *gorm.DB) error {
		res = ImportResult{}
		ids := make([]string, 0, len(pats))
		for _, p := range pats {
			ids = append(ids, p.Items["patientIdNumber"])
		}
		var existing []Patient
		if err := tx.Select("id", "facility_id", "patient_id_number", "name_last", "name_first", "date_of_last_contact", "vital_status", "sex").Where("facility_id = ? AND patient_id_number IN ?", facilityID, ids).Find(&existing).Error; err != nil {
			return err
		}
		patientByNumber := make(map[string]*Patient, len(existing))
		existingIDs := make([]uint, 0, len(existing))
		for i, p := range existing {
			patientByNumber[p.PatientIDNumber] = &existing[i]
			existingIDs = append(existingIDs, p.ID)
		}
		haveTumor := map[uint]map[string]bool{}
		if len(existingIDs) > 0 {
			var ts []Tumor
			if err := tx.Select("patient_id", "sequence_number").Where("patient_id IN ?", existingIDs).Find(&ts).Error; err != nil {
				return err
			}
			for _, t := range ts {
				if haveTumor[t.PatientID] == nil {
					haveTumor[t.PatientID] = map[string]bool{}
				}
				haveTumor[t.PatientID][t.SequenceNumber] = true
			}
		}

		// New patients first, in bulk; their ids are read back by their numbers for their tumors.
		var newPatients []*Patient
		newIndex := map[string]int{}
		for _, p := range pats {
			num := p.Items["patientIdNumber"]
			if _, ok := patientByNumber[num]; ok {
				continue
			}
			if _, ok := newIndex[num]; ok {
				continue // the same patient twice in one batch: its tumors join the first
			}
			// The rows share the batch's maps: they only read them, and do not outlive the call.
			row := &Patient{FacilityID: facilityID, Items: Items(p.Items), Version: 1}
			row.promote()
			newIndex[num] = len(newPatients)
			newPatients = append(newPatients, row)
		}
		if len(newPatients) > 0 {
			if err := s.insertPatients(tx, facilityID, newPatients); err != nil {
				return err
			}
			for num, i := range newIndex {
				patientByNumber[num] = newPatients[i]
			}
			res.PatientsCreated = len(newPatients)
		}

		var newTumors []*Tumor
		for i, p := range pats {
			patient := patientByNumber[p.Items["patientIdNumber"]]
			pid := patient.ID
			for j, t := range p.Tumors {
				seq := sequenceOf(t.Items)
				if haveTumor[pid][seq] {
					res.TumorsExisting++
					continue
				}
				if haveTumor[pid] == nil {
					haveTumor[pid] = map[string]bool{}
				}
				haveTumor[pid][seq] = true
				row := &Tumor{PatientID: pid, Items: Items(t.Items), Status: status, Version: 1}
				if i < len(counts) && j < len(counts[i]) {
					row.EditErrors, row.EditWarnings = counts[i][j].Errors, counts[i][j].Warnings
				}
				row.ofPatient(patient)
				row.promote()
				newTumors = append(newTumors, row)
			}
		}
		if len(newTumors) > 0 {
			if err := s.insertTumors(tx, newTumors); err != nil {
				return err
			}
			if err := s.bulkTumorItems(tx, newTumors); err != nil {
				return err
			}
			res.TumorsCreated = len(newTumors)
		}
		return nil
	})
	if err != nil {
		return ImportResult{}, fmt.Errorf("store: import %d patients: %w", len(pats), err)
	}
	return res, nil
}

// TumorCounts are an imported tumor's failing edits by severity.
type TumorCounts struct {
	Errors, Warnings int
}

// insertPatients stores new patients of one facility, whose numbers are not stored yet, and
// sets their ids, read back by number.
func (s *Store) insertPatients(tx *gorm.DB, facilityID uint, ps []*Patient) error {
	b, err := s.newChunkInsert(tx, &Patient{})
	if err != nil {
		return err
	}
	for _, p := range ps {
		if err := b.add(p); err != nil {
			b.close()
			return err
		}
	}
	if err := b.flush(); err != nil {
		return err
	}
	byNumber := make(map[string]*Patient, len(ps))
	nums := make([]string, len(ps))
	for i, p := range ps {
		byNumber[p.PatientIDNumber] = p
		nums[i] = p.PatientIDNumber
	}
	var ids []Patient
	if err := tx.Select("id", "patient_id_number").Where("facility_id = ? AND patient_id_number IN ?", facilityID, nums).Order("id").Find(&ids).Error; err != nil {
		return fmt.Errorf("ids of new patients: %w", err)
	}
	// Ordered by id, the last of a number is the one just stored (another import may have
	// committed the same number meanwhile).
	for _, r := range ids {
		if p := byNumber[r.PatientIDNumber]; p != nil {
			p.ID = r.ID
		}
	}
	for _, p := range ps {
		if p.ID == 0 {
			return fmt.Errorf("patient %q: stored but not found again", p.PatientIDNumber)
		}
	}
	return nil
}

// insertTumors stores new tumors, whose sequence numbers their patients do not have yet, and
// sets their ids, read back by patient and sequence number.
func (s *Store) insertTumors(tx *gorm.DB, ts []*Tumor) error {
	b, err := s.newChunkInsert(tx, &Tumor{})
	if err != nil {
		return err
	}
	type key struct {
		patient uint
		seq     string
	}
	byKey := make(map[key]*Tumor, len(ts))
	var pids []uint
	for _, t := range ts {
		// What GORM's create would run: the status time, the facility of a tumor without one.
		if err := t.BeforeCreate(tx); err != nil {
			b.close()
			return err
		}
		if err := b.add(t); err != nil {
			b.close()
			return err
		}
		if _, seen := byKey[key{t.PatientID, ""}]; !seen {
			pids = append(pids, t.PatientID)
			byKey[key{t.PatientID, ""}] = nil // marks the patient listed
		}
		byKey[key{t.PatientID, t.SequenceNumber}] = t
	}
	if err := b.flush(); err != nil {
		return err
	}
	var ids []Tumor
	for start := 0; start < len(pids); start += itemsBatch {
		part := pids[start:min(start+itemsBatch, len(pids))]
		var rows []Tumor
		if err := tx.Select("id", "patient_id", "sequence_number").Where("patient_id IN ?", part).Order("id").Find(&rows).Error; err != nil {
			return fmt.Errorf("ids of new tumors: %w", err)
		}
		ids = append(ids, rows...)
	}
	for _, r := range ids {
		if t := byKey[key{r.PatientID, r.SequenceNumber}]; t != nil {
			t.ID = r.ID
		}
	}
	for _, t := range ts {
		if t.ID == 0 {
			return fmt.Errorf("tumor %q of patient %d: stored but not found again", t.SequenceNumber, t.PatientID)
		}
	}
	return nil
}

// bulkTumorItems stores the items of tumors just created, in chunks.
func (s *Store) bulkTumorItems(tx *gorm.DB, ts []*Tumor) error {
	b, err := s.newChunkInsert(tx, &tumorItems{})
	if err != nil {
		return err
	}
	for _, t := range ts {
		row := tumorItems{TumorID: t.ID, Items: t.Items}
		if row.Items == nil {
			row.Items = Items{}
		}
		if err := b.add(&row); err != nil {
			b.close()
			return fmt.Errorf("tumor items: %w", err)
		}
	}
	if err := b.flush(); err != nil {
		return fmt.Errorf("tumor items: %w", err)
	}
	return nil
}
