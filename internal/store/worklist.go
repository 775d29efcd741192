package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// WorklistRow is one case on a worklist.
type WorklistRow struct {
	TumorID             uint
	PatientID           uint
	NameLast            string
	NameFirst           string
	MedicalRecordNumber string
	AccessionNumber     string
	PrimarySite         string
	Histology           string
	DateOfDiagnosis     string
	SequenceNumber      string
	Status              string
	AssignedTo          *uint
	EditErrors          int
	UpdatedAt           time.Time
	// FirstContact is the Date of 1st Contact [580] (CCYYMMDD, possibly partial or blank) and
	// ApprovedAt the case's first approval (nil while it has none): its timeliness.
	FirstContact string
	ApprovedAt   *time.Time
}

// WorklistSort is a column a worklist can be sorted by.
type WorklistSort string

// The worklist's sort columns. Ties are broken by the tumor id, so that paging is stable.
const (
	SortUpdated   WorklistSort = "updated" // last change of the case
	SortName      WorklistSort = "name"    // patient's last, then first name
	SortMRN       WorklistSort = "mrn"
	SortSite      WorklistSort = "site"
	SortDiagnosis WorklistSort = "dx" // date of diagnosis
	SortStatus    WorklistSort = "status"
)

// WorklistSorts lists every sort column, for callers that check what a person asked for.
var WorklistSorts = []WorklistSort{SortUpdated, SortName, SortMRN, SortSite, SortDiagnosis, SortStatus}

// SiteRange is a range of ICD-O-3 topography codes, both ends included: C500–C509 is the breast.
type SiteRange struct {
	From, To string
}

// WorklistFilter narrows and orders a worklist. Its zero value lists every case in the scope,
// most recently changed first.
type WorklistFilter struct {
	Scope  Scope
	Status string // empty for every status
	// Search matches a prefix of the patient's last or first name, the medical record number or
	// the accession number; "Last, First" matches both names.
	Search string
	// Sites keeps the cases whose primary site is in one of the ranges (a site group).
	Sites []SiteRange
	// DiagnosisYear keeps the cases diagnosed in that year; 0 means any year.
	DiagnosisYear int
	// AssignedTo keeps the cases assigned to that user; Unassigned those assigned to no one.
	AssignedTo *uint
	Unassigned bool
	// WithEditErrors keeps the cases with at least one failing edit of error severity.
	WithEditErrors bool
	// Sort is the column to sort by, Desc for the other way round. An empty Sort is SortUpdated,
	// newest first, whatever Desc says.
	Sort WorklistSort
	Desc bool
	// Limit is the page size (0 means 500), Offset the number of rows to skip.
	Limit, Offset int
}

// Worklist lists one page of the cases that pass the filter, in one query.
func (s *Store) Worklist(ctx context.Context, f WorklistFilter) ([]WorklistRow, error) {
	rows, err := s.worklistRows(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("store: worklist: %w", err)
	}
	return rows, nil
}

// WorklistPage is one page of a worklist and how many cases pass the filter in all: two queries
// on tumors alone, each read from one index for a registrar's worklist (see
// migrations/*/00008_tumor_items.sql). When nothing passes, or the page is past the end, the page
// query is not run.
func (s *Store) WorklistPage(ctx context.Context, f WorklistFilter) (rows []WorklistRow, total int64, err error) {
	q := s.worklistFrom(f)
	if err := s.db.WithContext(ctx).Raw("SELECT COUNT(*)"+q.count, q.args...).Scan(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("store: worklist count: %w", err)
	}
	if total == 0 || int64(f.Offset) >= total {
		return nil, total, nil
	}
	rows, err = s.worklistRows(ctx, f)
	if err != nil {
		return nil, 0, fmt.Errorf("store: worklist: %w", err)
	}
	return rows, total, nil
}

func (s *Store) worklistRows(ctx context.Context, f WorklistFilter) ([]WorklistRow, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 500
	}
	q := s.worklistFrom(f)
	order := s.worklistOrder(f)
	// The page's ids first, read from the index alone (the rows the offset skips are never
	// read), then the page's rows.
	// The page's rows alone then read their first contact (from the items) and first approval
	// (from the status changes), for the timeliness column: 50 look-ups of a key each.
	sql := `SELECT t.id AS tumor_id, t.patient_id, t.name_last, t.name_first,
		t.medical_record_number, t.accession_number, t.primary_site, t.histology, t.date_of_diagnosis,
		t.sequence_number, t.status, t.assigned_to, t.edit_errors, t.updated_at,
		(SELECT ` + s.dialect.itemText("ti.items", "dateOf1stContact") + ` FROM tumor_items ti WHERE ti.tumor_id = t.id) AS first_contact_text,
		` + firstApproval("t.id") + ` AS approved_text
		FROM (SELECT t.id` + q.from + " ORDER BY " + order +
		" LIMIT " + strconv.Itoa(limit) + " OFFSET " + strconv.Itoa(max(f.Offset, 0)) + `) pg
		JOIN tumors t ON t.id = pg.id ORDER BY ` + order
	type scanned struct {
		WorklistRow
		FirstContactText *string
		ApprovedText     *string
	}
	var got []scanned
	if err := s.db.WithContext(ctx).Raw(sql, q.args...).Scan(&got).Error; err != nil {
		return nil, err
	}
	rows := make([]WorklistRow, len(got))
	for i, g := range got {
		rows[i] = g.WorklistRow
		if g.FirstContactText != nil {
			rows[i].FirstContact = *g.FirstContactText
		}
		if g.ApprovedText != nil {
			t, err := parseDBTime(*g.ApprovedText)
			if err != nil {
				return nil, fmt.Errorf("approval time %q of tumor %d: %w", *g.ApprovedText, g.TumorID, err)
			}
			rows[i].ApprovedAt = &t
		}
	}
	return rows, nil
}

// worklistSQL is the FROM and WHERE of a worklist: from of the page, on tumors t, and count of
// the count, with the same arguments.
type worklistSQL struct {
	from, count string
	args        []any
}

// worklistFrom builds the FROM and WHERE of a worklist. A search is a union of the tumors that
// match on one column each, every part with all the filters, so that each part reads one index.
func (s *Store) worklistFrom(f WorklistFilter) worklistSQL {
	conds, args := worklistConds(f)
	search := strings.TrimSpace(f.Search)
	if search == "" {
		where := ""
		if len(conds) > 0 {
			where = " WHERE " + strings.Join(conds, " AND ")
		}
		return worklistSQL{from: " FROM tumors t" + where, count: " FROM tumors t" + s.countHint(f) + where, args: args}
	}
	var (
		parts   []string
		allArgs []any
	)
	part := func(match string, matchArgs ...any) {
		parts = append(parts, "SELECT t.id FROM tumors t WHERE "+strings.Join(append(conds[:len(conds):len(conds)], match), " AND "))
		allArgs = append(append(allArgs, args...), matchArgs...)
	}
	// SQLite's LIKE ignores case already and uses a NOCASE index for a prefix; MySQL's collation
	// does both.
	const like = " LIKE ? ESCAPE '!'"
	if last, first, ok := strings.Cut(search, ","); ok {
		part("t.name_last"+like+" AND t.name_first"+like,
			escapeLike(strings.TrimSpace(last))+"%", escapeLike(strings.TrimSpace(first))+"%")
	} else {
		prefix := escapeLike(search) + "%"
		part("t.name_last"+like, prefix)
		part("t.name_first"+like, prefix)
		part("t.medical_record_number"+like, prefix)
		part("t.accession_number"+like, prefix)
	}
	union := " FROM (" + strings.Join(parts, " UNION ") + ") m"
	// The union holds every filter: it is counted without reading the rows, and the page reads
	// only the rows it found. The join order is forced: the planners' estimates of a union are
	// poor, and starting from the tumors would read them all.
	return worklistSQL{from: union + s.dialect.joinInOrder() + "tumors t ON t.id = m.id", count: union, args: allArgs}
}

// worklistConds are the filter's conditions on tumors t, the facility's first.
func worklistConds(f WorklistFilter) ([]string, []any) {
	var (
		conds []string
		args  []any
	)
	add := func(cond string, a ...any) {
		conds = append(conds, cond)
		args = append(args, a...)
	}
	if cond, a := f.Scope.cond("t.facility_id"); cond != "" {
		add(cond, a...)
	}
	if f.Status != "" {
		add("t.status = ?", f.Status)
	}
	if len(f.Sites) > 0 {
		ors := make([]string, len(f.Sites))
		var a []any
		for i, r := range f.Sites {
			ors[i] = "t.primary_site BETWEEN ? AND ?"
			a = append(a, r.From, r.To)
		}
		add("("+strings.Join(ors, " OR ")+")", a...)
	}
	if y := f.DiagnosisYear; y > 0 {
		// Dates are CCYYMMDD text, possibly partial (CCYY, CCYYMM): all of a year sort from "CCYY"
		// up to the next year's "CCYY".
		add("t.date_of_diagnosis >= ? AND t.date_of_diagnosis < ?", fmt.Sprintf("%04d", y), fmt.Sprintf("%04d", y+1))
	}
	switch {
	case f.Unassigned:
		add("t.assigned_to IS NULL")
	case f.AssignedTo != nil:
		add("t.assigned_to = ?", *f.AssignedTo)
	}
	if f.WithEditErrors {
		add("t.edit_errors > 0")
	}
	return conds, args
}

// worklistSorts are the columns of each sort, in order, after the facility: those of its index
// in migrations/*/00008_tumor_items.sql (a test checks that they agree), so that the index gives
// the order and the filter columns it ends with break ties. The tumor id comes last. Sorting by
// status orders a status's cases by when they entered it.
var worklistSorts = map[WorklistSort][]string{
	SortUpdated:   {"updated_at", "assigned_to", "edit_errors", "primary_site", "date_of_diagnosis"},
	SortStatus:    {"status", "status_changed_at", "assigned_to", "edit_errors", "primary_site", "date_of_diagnosis", "accession_number", "patient_id"},
	SortSite:      {"primary_site", "assigned_to", "edit_errors", "date_of_diagnosis"},
	SortDiagnosis: {"date_of_diagnosis", "assigned_to", "edit_errors", "primary_site"},
	SortMRN:       {"medical_record_number", "assigned_to", "edit_errors", "primary_site", "date_of_diagnosis"},
	SortName:      {"name_last", "name_first", "patient_id", "assigned_to", "edit_errors", "primary_site", "date_of_diagnosis"},
}

// worklistSortIndexes names the index of each sort, for that test.
var worklistSortIndexes = map[WorklistSort]string{
	SortUpdated: "idx_tumors_facility_updated", SortStatus: "idx_tumors_facility_status",
	SortSite: "idx_tumors_facility_site", SortDiagnosis: "idx_tumors_facility_dx",
	SortMRN: "idx_tumors_facility_mrn", SortName: "idx_tumors_facility_name",
}

// allFacilitySorts are the sorts of an administrator's worklist, on the single-column indexes.
var allFacilitySorts = map[WorklistSort][]string{
	SortUpdated:   {"updated_at"},
	SortStatus:    {"status", "status_changed_at"},
	SortSite:      {"primary_site"},
	SortDiagnosis: {"date_of_diagnosis"},
	SortMRN:       {"medical_record_number"},
	SortName:      {"name_last", "name_first", "patient_id"},
}

// caseless are the columns people sort and search without regard to case.
var caseless = map[string]bool{"name_last": true, "name_first": true, "medical_record_number": true, "accession_number": true}

// worklistOrder is the ORDER BY of a worklist, every column in the same direction so that one
// index serves it either way.
func (s *Store) worklistOrder(f WorklistFilter) string {
	sort, desc := f.Sort, f.Desc
	if sort == "" {
		sort, desc = SortUpdated, true
	}
	sorts := worklistSorts
	if _, one := f.Scope.Single(); !one {
		sorts = allFacilitySorts
	}
	cols, ok := sorts[sort]
	if !ok {
		cols = sorts[SortUpdated]
	}
	dir := " ASC"
	if desc {
		dir = " DESC"
	}
	var b strings.Builder
	for _, c := range cols {
		b.WriteString("t." + c)
		if caseless[c] {
			b.WriteString(s.dialect.nocase())
		}
		b.WriteString(dir + ", ")
	}
	b.WriteString("t.id" + dir)
	return b.String()
}

// FacilityUsers lists the users who are not disabled in scope (every user for AllFacilities), by
// display name: the people a case can be assigned to.
func (s *Store) FacilityUsers(ctx context.Context, sc Scope) ([]User, error) {
	var us []User
	q := s.db.WithContext(ctx).Where("disabled_at IS NULL")
	if !sc.All() {
		q = q.Where("id IN (?)", sc.apply(s.db.Model(&UserFacility{}).Select("user_id"), "facility_id"))
	}
	if err := q.Order("display_name, username").Find(&us).Error; err != nil {
		return nil, fmt.Errorf("store: users: %w", err)
	}
	return us, nil
}

// countHint names the index a facility's worklist count reads when MariaDB would choose worse: a
// diagnosis year is a range on the second column of idx_tumors_facility_dx, but the planner reads
// all of the facility's entries from another index (20 ms instead of 3.5 ms with 100,000 tumors).
// With an equality filter (status, assignee) the planner's own choice is right.
func (s *Store) countHint(f WorklistFilter) string {
	if _, one := f.Scope.Single(); !one || f.DiagnosisYear == 0 || f.Status != "" || f.AssignedTo != nil || f.Unassigned {
		return ""
	}
	return s.dialect.forceIndex("idx_tumors_facility_dx")
}
