package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/cara-registry/cara/internal/audit"
)

// Blind re-abstraction: a reviewer draws a sample of a facility's approved and submitted cases,
// abstracts the chosen items of each again without seeing the original values, and the two are
// compared. The rules (which cases a draw picks, what agrees, the reason codes) are
// internal/quality's; the store reads the candidates and records what it is given.

const maxSampleDescription = 500

// SampleCandidate is a case a sample may draw, with the user of its latest send to review: who
// abstracted it (nil when no one sent it).
type SampleCandidate struct {
	TumorID      uint
	AbstractorID *uint
}

// ReabstractionCandidates lists the approved and submitted cases of a facility whose primary
// site is in one of the ranges (any site when there are none), in id order, each with its
// abstractor. Two queries: the tumors, and the facility's send steps.
func (s *Store) ReabstractionCandidates(ctx context.Context, facilityID uint, sites []SiteRange) ([]SampleCandidate, error) {
	db := s.db.WithContext(ctx)
	var ids []uint
	q := db.Model(&Tumor{}).Where("facility_id = ? AND status IN ?", facilityID, []string{"approved", "submitted"})
	if len(sites) > 0 {
		ors := make([]string, len(sites))
		var args []any
		for i, r := range sites {
			ors[i] = "primary_site BETWEEN ? AND ?"
			args = append(args, r.From, r.To)
		}
		q = q.Where("("+strings.Join(ors, " OR ")+")", args...)
	}
	if err := q.Order("id").Pluck("id", &ids).Error; err != nil {
		return nil, fmt.Errorf("store: re-abstraction candidates of facility %d: %w", facilityID, err)
	}
	abstractors, err := s.abstractors(db, facilityID)
	if err != nil {
		return nil, fmt.Errorf("store: re-abstraction candidates of facility %d: %w", facilityID, err)
	}
	out := make([]SampleCandidate, len(ids))
	for i, id := range ids {
		out[i].TumorID = id
		if a, ok := abstractors[id]; ok {
			out[i].AbstractorID = &a
		}
	}
	return out, nil
}

// NewSample is a drawn sample to record: its cases and items, and how it was drawn (for the
// audit event).
type NewSample struct {
	FacilityID  uint
	Scope       Scope // the facility must be in it
	Cases       []SampleCandidate
	Items       []string // naaccrIds to re-abstract
	Description string
	CreatedBy   uint
	RemoteAddr  string
	// How it was drawn: recorded in the audit event.
	Percent      float64
	Count        int
	AbstractorID *uint
	Candidates   int
}

// AddReabstractionSample records a sample with its cases (and each case's abstractor) and its
// audit event in one transaction.
func (s *Store) AddReabstractionSample(ctx context.Context, in NewSample) (*ReabstractionSample, error) {
	fail := func(err error) (*ReabstractionSample, error) {
		return nil, fmt.Errorf("store: add re-abstraction sample of facility %d: %w", in.FacilityID, err)
	}
	switch {
	case !in.Scope.Contains(in.FacilityID):
		return fail(ErrNotFound)
	case len(in.Cases) == 0:
		return fail(errors.New("no cases"))
	}
	itemsJSON, err := json.Marshal(in.Items)
	if err != nil {
		return fail(err)
	}
	desc := strings.TrimSpace(in.Description)
	if r := []rune(desc); len(r) > maxSampleDescription {
		desc = string(r[:maxSampleDescription])
	}
	fac := in.FacilityID
	sample := &ReabstractionSample{FacilityID: &fac, CreatedBy: in.CreatedBy, CreatedAt: s.now().UTC(),
		Description: desc, Items: string(itemsJSON)}
	err = s.onceTx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(sample).Error; err != nil {
			return err
		}
		cases := make([]ReabstractionCase, len(in.Cases))
		ids := make([]uint, len(in.Cases))
		for i, c := range in.Cases {
			cases[i] = ReabstractionCase{SampleID: sample.ID, TumorID: c.TumorID, AbstractorID: c.AbstractorID}
			ids[i] = c.TumorID
		}
		if err := tx.Create(&cases).Error; err != nil {
			return err
		}
		uid := in.CreatedBy
		return s.audit(tx, AuditEntry{UserID: &uid, Action: audit.ReabstractionSample, Entity: "reabstraction_sample",
			EntityID: fmt.Sprint(sample.ID), RemoteAddr: in.RemoteAddr,
			Details: map[string]any{"facility_id": in.FacilityID, "cases": ids, "items": in.Items,
				"percent": in.Percent, "count": in.Count, "abstractor_id": in.AbstractorID, "candidates": in.Candidates}})
	})
	if err != nil {
		return fail(err)
	}
	return sample, nil
}

// abstractors maps each case of a facility to the user of its latest send step: who abstracted it.
func (s *Store) abstractors(db *gorm.DB, facilityID uint) (map[uint]uint, error) {
	var sends []StatusChange
	if err := db.Select("tumor_id, user_id, at, id").Where("facility_id = ? AND action = ?", facilityID, "send").
		Order("at, id").Find(&sends).Error; err != nil {
		return nil, err
	}
	out := make(map[uint]uint, len(sends))
	for _, sc := range sends {
		if sc.UserID != nil {
			out[sc.TumorID] = *sc.UserID // later sends overwrite earlier ones
		}
	}
	return out, nil
}

// ItemList decodes a sample's items (naaccrIds) in the order they were chosen.
func (r ReabstractionSample) ItemList() []string {
	var ids []string
	_ = json.Unmarshal([]byte(r.Items), &ids) // written by DrawReabstractionSample; empty if damaged
	return ids
}

// SampleSummary is one sample as the list of samples shows it.
type SampleSummary struct {
	Sample       ReabstractionSample
	FacilityName string
	CreatedBy    string
	Cases        int
	Completed    int
	// Compared are the compared items of its completed cases (naaccrId, agreement and reason;
	// internal/quality rates them).
	Compared []ReabstractionItem
}

// ReabstractionSamples lists the samples of the facilities in scope, newest first, with their
// progress and compared items, in three queries (and two for the names).
func (s *Store) ReabstractionSamples(ctx context.Context, sc Scope) ([]SampleSummary, error) {
	db := s.db.WithContext(ctx)
	var samples []ReabstractionSample
	if err := sc.apply(db.Model(&ReabstractionSample{}), "facility_id").Order("created_at DESC, id DESC").
		Find(&samples).Error; err != nil {
		return nil, fmt.Errorf("store: re-abstraction samples: %w", err)
	}
	if len(samples) == 0 {
		return nil, nil
	}
	ids := make([]uint, len(samples))
	for i, sm := range samples {
		ids[i] = sm.ID
	}
	var counts []struct {
		SampleID  uint
		Cases     int
		Completed int
	}
	if err := db.Model(&ReabstractionCase{}).
		Select("sample_id, COUNT(*) AS cases, COUNT(completed_at) AS completed").
		Where("sample_id IN ?", ids).Group("sample_id").Scan(&counts).Error; err != nil {
		return nil, fmt.Errorf("store: re-abstraction sample progress: %w", err)
	}
	var items []struct {
		SampleID uint
		NaaccrID string
		Agree    bool
		Reason   string
	}
	if err := db.Table("reabstraction_items AS i").Select("c.sample_id, i.naaccr_id, i.agree, i.reason").
		Joins("JOIN reabstraction_cases c ON c.id = i.case_id").
		Where("c.sample_id IN ?", ids).Scan(&items).Error; err != nil {
		return nil, fmt.Errorf("store: re-abstraction sample agreement: %w", err)
	}
	names, err := s.namesOf(db, samples)
	if err != nil {
		return nil, err
	}
	out := make([]SampleSummary, len(samples))
	index := map[uint]int{}
	for i, sm := range samples {
		out[i] = SampleSummary{Sample: sm, CreatedBy: names.users[sm.CreatedBy]}
		if sm.FacilityID != nil {
			out[i].FacilityName = names.facilities[*sm.FacilityID]
		}
		index[sm.ID] = i
	}
	for _, c := range counts {
		out[index[c.SampleID]].Cases = c.Cases
		out[index[c.SampleID]].Completed = c.Completed
	}
	for _, it := range items {
		sm := &out[index[it.SampleID]]
		sm.Compared = append(sm.Compared, ReabstractionItem{NaaccrID: it.NaaccrID, Agree: it.Agree, Reason: it.Reason})
	}
	return out, nil
}

type sampleNames struct {
	users      map[uint]string
	facilities map[uint]string
}

// namesOf reads the names of the samples' creators and facilities (two small queries).
func (s *Store) namesOf(db *gorm.DB, samples []ReabstractionSample) (sampleNames, error) {
	n := sampleNames{users: map[uint]string{}, facilities: map[uint]string{}}
	var uids, fids []uint
	for _, sm := range samples {
		uids = append(uids, sm.CreatedBy)
		if sm.FacilityID != nil {
			fids = append(fids, *sm.FacilityID)
		}
	}
	if err := s.userNames(db, uids, n.users); err != nil {
		return n, err
	}
	var facs []Facility
	if len(fids) > 0 {
		if err := db.Where("id IN ?", fids).Find(&facs).Error; err != nil {
			return n, fmt.Errorf("store: facility names: %w", err)
		}
	}
	for _, f := range facs {
		n.facilities[f.ID] = f.Name
	}
	return n, nil
}

// userNames fills names with the display names (else usernames) of some users.
func (s *Store) userNames(db *gorm.DB, ids []uint, names map[uint]string) error {
	if len(ids) == 0 {
		return nil
	}
	var users []User
	if err := db.Select("id, username, display_name").Where("id IN ?", ids).Find(&users).Error; err != nil {
		return fmt.Errorf("store: user names: %w", err)
	}
	for _, u := range users {
		names[u.ID] = u.DisplayName
		if u.DisplayName == "" {
			names[u.ID] = u.Username
		}
	}
	return nil
}

// SampleCase is one case of a sample with what lists show of it.
type SampleCase struct {
	Case       ReabstractionCase
	NameLast   string
	NameFirst  string
	MRN        string
	Abstractor string
	Reviewer   string
	Items      []ReabstractionItem // empty until the case is completed
}

// SampleDetail is a sample with its cases and their compared items.
type SampleDetail struct {
	Summary SampleSummary
	Cases   []SampleCase
}

// ReabstractionSampleDetail loads a sample of a facility in scope with its cases and items in
// four queries (sample, cases with their tumors, items, names). Out of scope is ErrNotFound.
func (s *Store) ReabstractionSampleDetail(ctx context.Context, id uint, sc Scope) (*SampleDetail, error) {
	db := s.db.WithContext(ctx)
	var sm ReabstractionSample
	if err := sc.apply(db.Where("id = ?", id), "facility_id").Take(&sm).Error; err != nil {
		return nil, fmt.Errorf("store: re-abstraction sample %d: %w", id, notFound(err))
	}
	var rows []struct {
		ReabstractionCase
		NameLast            string
		NameFirst           string
		MedicalRecordNumber string
	}
	if err := db.Table("reabstraction_cases AS c").
		Select("c.*, t.name_last, t.name_first, t.medical_record_number").
		Joins("JOIN tumors t ON t.id = c.tumor_id").
		Where("c.sample_id = ?", id).Order("t.name_last, t.name_first, c.id").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: cases of re-abstraction sample %d: %w", id, err)
	}
	var items []ReabstractionItem
	if err := db.Table("reabstraction_items AS i").Select("i.*").
		Joins("JOIN reabstraction_cases c ON c.id = i.case_id").
		Where("c.sample_id = ?", id).Order("i.case_id, i.id").Scan(&items).Error; err != nil {
		return nil, fmt.Errorf("store: items of re-abstraction sample %d: %w", id, err)
	}
	names, err := s.namesOf(db, []ReabstractionSample{sm})
	if err != nil {
		return nil, err
	}
	var uids []uint
	for _, r := range rows {
		if r.AbstractorID != nil {
			uids = append(uids, *r.AbstractorID)
		}
		if r.ReviewerID != nil {
			uids = append(uids, *r.ReviewerID)
		}
	}
	if err := s.userNames(db, uids, names.users); err != nil {
		return nil, err
	}
	byCase := map[uint][]ReabstractionItem{}
	for _, it := range items {
		byCase[it.CaseID] = append(byCase[it.CaseID], it)
	}
	d := &SampleDetail{}
	d.Summary = SampleSummary{Sample: sm, CreatedBy: names.users[sm.CreatedBy], Cases: len(rows)}
	if sm.FacilityID != nil {
		d.Summary.FacilityName = names.facilities[*sm.FacilityID]
	}
	for _, r := range rows {
		c := SampleCase{Case: r.ReabstractionCase, NameLast: r.NameLast, NameFirst: r.NameFirst,
			MRN: r.MedicalRecordNumber, Items: byCase[r.ID]}
		if r.AbstractorID != nil {
			c.Abstractor = names.users[*r.AbstractorID]
		}
		if r.ReviewerID != nil {
			c.Reviewer = names.users[*r.ReviewerID]
		}
		if r.CompletedAt != nil {
			d.Summary.Completed++
		}
		d.Summary.Compared = append(d.Summary.Compared, c.Items...)
		d.Cases = append(d.Cases, c)
	}
	return d, nil
}

// SampleCaseDetail is one case of a sample: what the blind form and the discrepancy list need.
type SampleCaseDetail struct {
	Sample ReabstractionSample
	Case   SampleCase
}

// ReabstractionCase loads one case of a sample in scope (ErrNotFound otherwise). Its items (with
// the original values) are there only once the case is completed; the blind form shows none.
func (s *Store) ReabstractionCase(ctx context.Context, sampleID, caseID uint, sc Scope) (*SampleCaseDetail, error) {
	db := s.db.WithContext(ctx)
	d := &SampleCaseDetail{}
	if err := sc.apply(db.Where("id = ?", sampleID), "facility_id").Take(&d.Sample).Error; err != nil {
		return nil, fmt.Errorf("store: re-abstraction sample %d: %w", sampleID, notFound(err))
	}
	if err := db.Where("id = ? AND sample_id = ?", caseID, sampleID).Take(&d.Case.Case).Error; err != nil {
		return nil, fmt.Errorf("store: re-abstraction case %d of sample %d: %w", caseID, sampleID, notFound(err))
	}
	var t Tumor
	if err := sc.apply(db.Select("id, name_last, name_first, medical_record_number").Where("id = ?", d.Case.Case.TumorID),
		"facility_id").Take(&t).Error; err != nil {
		return nil, fmt.Errorf("store: re-abstraction case %d: %w", caseID, notFound(err))
	}
	d.Case.NameLast, d.Case.NameFirst, d.Case.MRN = t.NameLast, t.NameFirst, t.MedicalRecordNumber
	if d.Case.Case.CompletedAt != nil {
		if err := db.Where("case_id = ?", caseID).Order("id").Find(&d.Case.Items).Error; err != nil {
			return nil, fmt.Errorf("store: items of re-abstraction case %d: %w", caseID, err)
		}
	}
	return d, nil
}

// ReabstractionSave is a reviewer's blind values for one case, compared by Compare.
type ReabstractionSave struct {
	SampleID, CaseID uint
	Scope            Scope
	ReviewerID       uint
	// Compare gives the items to store, in the sample's item order, from the case's values of
	// those items as they stand (naaccrId → value, read in the save's transaction).
	Compare    func(items []string, originals map[string]string) []ReabstractionItem
	RemoteAddr string
}

// SaveReabstraction reads the case's values of the sample's items, stores the items Compare
// makes of them (original, reviewed and agreement) and marks the case completed, in one
// transaction. A case already completed is ErrConflict: a blind value cannot be entered again
// once the originals have been shown.
func (s *Store) SaveReabstraction(ctx context.Context, in ReabstractionSave) ([]ReabstractionItem, error) {
	if in.Compare == nil {
		return nil, fmt.Errorf("store: save re-abstraction case %d: nothing to compare the values with", in.CaseID)
	}
	var items []ReabstractionItem
	err := s.onceTx(ctx, func(tx *gorm.DB) error {
		var sm ReabstractionSample
		if err := in.Scope.apply(tx.Where("id = ?", in.SampleID), "facility_id").Take(&sm).Error; err != nil {
			return notFound(err)
		}
		var rc ReabstractionCase
		if err := tx.Where("id = ? AND sample_id = ?", in.CaseID, in.SampleID).Take(&rc).Error; err != nil {
			return notFound(err)
		}
		cs, err := s.loadCase(tx, rc.TumorID, in.Scope)
		if err != nil {
			return err
		}
		now := s.now().UTC()
		res := tx.Model(&ReabstractionCase{}).Where("id = ? AND completed_at IS NULL", rc.ID).
			Updates(map[string]any{"completed_at": now, "reviewer_id": in.ReviewerID})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrConflict
		}
		ids := sm.ItemList()
		originals := make(map[string]string, len(ids))
		for _, id := range ids {
			orig, ok := cs.Tumor.Items[id]
			if !ok {
				orig = cs.Patient.Items[id]
			}
			originals[id] = orig
		}
		items = in.Compare(ids, originals)
		var disagree []string
		for i := range items {
			items[i].CaseID = rc.ID
			if !items[i].Agree {
				disagree = append(disagree, items[i].NaaccrID)
			}
		}
		if len(items) > 0 {
			if err := tx.Create(&items).Error; err != nil {
				return err
			}
		}
		uid := in.ReviewerID
		return s.audit(tx, AuditEntry{UserID: &uid, Action: audit.ReabstractionSave, Entity: "reabstraction_case",
			EntityID: fmt.Sprint(rc.ID), RemoteAddr: in.RemoteAddr,
			Details: map[string]any{"sample_id": in.SampleID, "tumor_id": rc.TumorID, "items": len(items), "disagree": disagree}})
	})
	if err != nil {
		return nil, fmt.Errorf("store: save re-abstraction case %d: %w", in.CaseID, err)
	}
	return items, nil
}

// ReasonsSave is the reasons for a completed case's discrepancies: naaccrId → reason code
// ("" clears one; internal/quality checks the codes). Items that agree take no reason.
type ReasonsSave struct {
	SampleID, CaseID uint
	Scope            Scope
	UserID           uint
	Reasons          map[string]string
	RemoteAddr       string
}

// SaveReabstractionReasons stores discrepancy reasons in one transaction, audited.
func (s *Store) SaveReabstractionReasons(ctx context.Context, in ReasonsSave) error {
	err := s.onceTx(ctx, func(tx *gorm.DB) error {
		var sm ReabstractionSample
		if err := in.Scope.apply(tx.Where("id = ?", in.SampleID), "facility_id").Take(&sm).Error; err != nil {
			return notFound(err)
		}
		var rc ReabstractionCase
		if err := tx.Where("id = ? AND sample_id = ? AND completed_at IS NOT NULL", in.CaseID, in.SampleID).
			Take(&rc).Error; err != nil {
			return notFound(err)
		}
		changed := map[string]string{}
		for id, r := range in.Reasons {
			res := tx.Model(&ReabstractionItem{}).Where("case_id = ? AND naaccr_id = ? AND agree = ?", rc.ID, id, false).
				Update("reason", r)
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected > 0 {
				changed[id] = r
			}
		}
		uid := in.UserID
		return s.audit(tx, AuditEntry{UserID: &uid, Action: audit.ReabstractionSave, Entity: "reabstraction_case",
			EntityID: fmt.Sprint(rc.ID), RemoteAddr: in.RemoteAddr,
			Details: map[string]any{"sample_id": in.SampleID, "reasons": changed}})
	})
	if err != nil {
		return fmt.Errorf("store: reasons of re-abstraction case %d: %w", in.CaseID, err)
	}
	return nil
}

// ScopeFacilities lists the facilities in a scope by name: every facility for AllFacilities.
func (s *Store) ScopeFacilities(ctx context.Context, sc Scope) ([]Facility, error) {
	var out []Facility
	if err := sc.apply(s.db.WithContext(ctx), "id").Order("name, id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: facilities in scope: %w", err)
	}
	return out, nil
}
