package store

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Registry reports (internal/reports) are counts of tumors grouped by a few dimensions, run here
// as one GROUP BY over tumors (sex is the tumor's copy of its patient's) with the filters a
// report takes; the covering indexes of migration 00019 hold every column named here. The
// reports package says what to group by in the structured terms below; this file alone writes
// the SQL, from a closed list of columns and codes checked to be codes, so that no report
// definition can put text of its own into a query.

// reportColumns are the columns a report may group or filter by, by the name definitions use.
var reportColumns = map[string]string{
	"primary_site":         "t.primary_site",
	"histology":            "t.histology",
	"behavior":             "t.behavior",
	"year":                 "SUBSTR(t.date_of_diagnosis, 1, 4)",
	"date_of_diagnosis":    "t.date_of_diagnosis",
	"class_of_case":        "t.class_of_case",
	"status":               "t.status",
	"sex":                  "t.sex",
	"age_at_diagnosis":     "t.age_at_diagnosis",
	"summary_stage_2018":   "t.summary_stage_2018",
	"ajcc_stage_group":     "t.ajcc_stage_group",
	"county_at_dx":         "t.county_at_dx",
	"date_first_contact":   "t.date_first_contact",
	"date_first_treatment": "t.date_first_treatment",
	"date_case_completed":  "t.date_case_completed",
	"rx_surgery":           "t.rx_surgery",
	"rx_radiation":         "t.rx_radiation",
	"rx_chemo":             "t.rx_chemo",
	"rx_hormone":           "t.rx_hormone",
	"rx_immuno":            "t.rx_immuno",
	"rx_other":             "t.rx_other",
}

// IsReportColumn reports whether a report may name the column.
func IsReportColumn(name string) bool { _, ok := reportColumns[name]; return ok }

// ReportFilter picks the tumors of a report: those in scope, diagnosed in the years FromYear to
// ToYear (0: no bound), of one of Classes (class of case codes; nil: any), Statuses (nil: any)
// and Sites.
type ReportFilter struct {
	Scope            Scope
	FromYear, ToYear int
	Classes          []string
	Statuses         []string
	// Sites, when not nil, keeps the tumors whose primary site is in one of the ranges (a
	// release's data request filters so).
	Sites []CodeRange
}

// CodeRange is a range of codes of one length, both ends included ("C500"-"C509", "10"-"90").
type CodeRange struct{ From, To string }

// ReportCond holds when a column's value is in one of Ranges.
type ReportCond struct {
	Column string
	Ranges []CodeRange
}

// ReportCase is one branch of a grouping: its Key when every one of Conds holds.
type ReportCase struct {
	Key   string
	Conds []ReportCond
}

// ReportFlag is one letter of a combination: Letter when Cond holds, else nothing.
type ReportFlag struct {
	Letter string
	Cond   ReportCond
}

// ReportDim is one thing a report groups by: a column's value as it is (Column), the key of the
// first of Cases that holds (else Else), or the letters of the Flags that hold, in order.
type ReportDim struct {
	Column string
	Cases  []ReportCase
	Else   string
	Flags  []ReportFlag
}

// ReportCount is the number of tumors with one combination of the dimensions' keys.
type ReportCount struct {
	Keys []string
	N    int64
}

// IntervalCount is the number of tumors of one combination of the dimensions' keys whose
// interval was Days long; Known is false for those whose dates were not both full dates.
type IntervalCount struct {
	Keys  []string
	Known bool
	Days  int64
	N     int64
}

var codeText = regexp.MustCompile(`^[A-Za-z0-9]{1,15}$`)

// ReportCounts counts the tumors of f by every combination of dims' keys that occurs.
func (s *Store) ReportCounts(ctx context.Context, f ReportFilter, dims []ReportDim) ([]ReportCount, error) {
	if len(dims) == 0 {
		return nil, fmt.Errorf("store: report counts: no dimension")
	}
	var (
		sel  []string
		args []any
	)
	for i, d := range dims {
		expr, a, err := s.dimSQL(d)
		if err != nil {
			return nil, fmt.Errorf("store: report counts: dimension %d: %w", i+1, err)
		}
		sel = append(sel, expr+" AS k"+strconv.Itoa(i))
		args = append(args, a...)
	}
	where, wargs, err := f.where()
	if err != nil {
		return nil, fmt.Errorf("store: report counts: %w", err)
	}
	groups := make([]string, len(dims))
	for i := range dims {
		groups[i] = strconv.Itoa(i + 1)
	}
	q := "SELECT " + strings.Join(sel, ", ") + ", COUNT(*) FROM tumors t" +
		where + " GROUP BY " + strings.Join(groups, ", ")
	rows, err := s.db.WithContext(ctx).Raw(q, append(args, wargs...)...).Rows()
	if err != nil {
		return nil, fmt.Errorf("store: report counts: %w", err)
	}
	defer rows.Close()
	var out []ReportCount
	for rows.Next() {
		keys := make([]string, len(dims))
		dest := make([]any, len(dims)+1)
		for i := range keys {
			dest[i] = &keys[i]
		}
		var n int64
		dest[len(dims)] = &n
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("store: report counts: %w", err)
		}
		out = append(out, ReportCount{Keys: keys, N: n})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: report counts: %w", err)
	}
	return out, nil
}

// ReportIntervals counts the tumors of f by every combination of dims' keys and by the days
// from the date in column from to the date in column to (both report columns of CCYYMMDD
// dates). The quartiles are the caller's: the days that occur are few, the tumors many.
func (s *Store) ReportIntervals(ctx context.Context, f ReportFilter, dims []ReportDim, from, to string) ([]IntervalCount, error) {
	fc, ok1 := reportColumns[from]
	tc, ok2 := reportColumns[to]
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("store: report intervals: %q to %q: not report columns", from, to)
	}
	if len(dims) == 0 {
		return nil, fmt.Errorf("store: report intervals: no dimension")
	}
	var (
		sel, groups []string
		args        []any
	)
	for i, d := range dims {
		expr, a, err := s.dimSQL(d)
		if err != nil {
			return nil, fmt.Errorf("store: report intervals: dimension %d: %w", i+1, err)
		}
		sel = append(sel, expr+" AS k"+strconv.Itoa(i))
		groups = append(groups, strconv.Itoa(i+1))
		args = append(args, a...)
	}
	where, wargs, err := f.where()
	if err != nil {
		return nil, fmt.Errorf("store: report intervals: %w", err)
	}
	full := func(c string) string { return "LENGTH(" + c + ") = 8" }
	days := s.dialect.daysBetween(fc, tc)
	groups = append(groups, strconv.Itoa(len(dims)+1))
	q := "SELECT " + strings.Join(sel, ", ") + ", CASE WHEN " + full(fc) + " AND " + full(tc) + " THEN " + days + " END AS d, COUNT(*)" +
		" FROM tumors t" + where + " GROUP BY " + strings.Join(groups, ", ")
	rows, err := s.db.WithContext(ctx).Raw(q, append(args, wargs...)...).Rows()
	if err != nil {
		return nil, fmt.Errorf("store: report intervals: %w", err)
	}
	defer rows.Close()
	var out []IntervalCount
	for rows.Next() {
		var (
			c    = IntervalCount{Keys: make([]string, len(dims))}
			d    *float64
			dest = make([]any, 0, len(dims)+2)
		)
		for i := range c.Keys {
			dest = append(dest, &c.Keys[i])
		}
		if err := rows.Scan(append(dest, &d, &c.N)...); err != nil {
			return nil, fmt.Errorf("store: report intervals: %w", err)
		}
		if d != nil {
			c.Known, c.Days = true, int64(*d)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: report intervals: %w", err)
	}
	return out, nil
}

// dimSQL writes a dimension as an SQL expression with its arguments.
func (s *Store) dimSQL(d ReportDim) (string, []any, error) {
	switch {
	case d.Column != "":
		c, ok := reportColumns[d.Column]
		if !ok {
			return "", nil, fmt.Errorf("%q is not a report column", d.Column)
		}
		return c, nil, nil
	case len(d.Cases) > 0:
		var (
			sb   strings.Builder
			args []any
		)
		sb.WriteString("CASE")
		for _, c := range d.Cases {
			if len(c.Conds) == 0 {
				return "", nil, fmt.Errorf("case %q has no condition", c.Key)
			}
			sb.WriteString(" WHEN ")
			for i, cond := range c.Conds {
				if i > 0 {
					sb.WriteString(" AND ")
				}
				e, a, err := condSQL(cond)
				if err != nil {
					return "", nil, fmt.Errorf("case %q: %w", c.Key, err)
				}
				sb.WriteString(e)
				args = append(args, a...)
			}
			sb.WriteString(" THEN ?")
			args = append(args, c.Key)
		}
		sb.WriteString(" ELSE ? END")
		args = append(args, d.Else)
		return sb.String(), args, nil
	case len(d.Flags) > 0:
		var (
			parts []string
			args  []any
		)
		for _, fl := range d.Flags {
			e, a, err := condSQL(fl.Cond)
			if err != nil {
				return "", nil, fmt.Errorf("flag %q: %w", fl.Letter, err)
			}
			parts = append(parts, "CASE WHEN "+e+" THEN ? ELSE '' END")
			args = append(append(args, a...), fl.Letter)
		}
		return s.dialect.concat(parts), args, nil
	}
	return "", nil, fmt.Errorf("a dimension needs a column, cases or flags")
}

// condSQL writes "column in one of the ranges": each range is of codes of one length, and the
// length is checked too, so that "1" is not taken for a code between "01" and "16".
func condSQL(c ReportCond) (string, []any, error) {
	col, ok := reportColumns[c.Column]
	if !ok {
		return "", nil, fmt.Errorf("%q is not a report column", c.Column)
	}
	if len(c.Ranges) == 0 {
		return "", nil, fmt.Errorf("%s: no range of codes", c.Column)
	}
	var (
		parts []string
		args  []any
	)
	for _, r := range c.Ranges {
		if !codeText.MatchString(r.From) || !codeText.MatchString(r.To) || len(r.From) != len(r.To) || r.From > r.To {
			return "", nil, fmt.Errorf("%s: %q-%q is not a range of codes of one length", c.Column, r.From, r.To)
		}
		if r.From == r.To {
			parts = append(parts, col+" = ?")
			args = append(args, r.From)
			continue
		}
		parts = append(parts, "("+col+" BETWEEN ? AND ? AND LENGTH("+col+") = ?)")
		args = append(args, r.From, r.To, len(r.From))
	}
	return "(" + strings.Join(parts, " OR ") + ")", args, nil
}

// where writes the filter; the years bound the date of diagnosis as text (CCYYMMDD, or fewer
// digits for a partial date), which idx_tumors_facility_dx orders.
func (f ReportFilter) where() (string, []any, error) {
	var (
		conds []string
		args  []any
	)
	if c, a := f.Scope.cond("t.facility_id"); c != "" {
		conds, args = append(conds, c), append(args, a...)
	}
	if f.FromYear != 0 {
		conds, args = append(conds, "t.date_of_diagnosis >= ?"), append(args, fmt.Sprintf("%04d", f.FromYear))
	}
	if f.ToYear != 0 {
		conds, args = append(conds, "t.date_of_diagnosis < ?"), append(args, fmt.Sprintf("%04d", f.ToYear+1))
	}
	if f.FromYear == 0 && f.ToYear != 0 {
		conds = append(conds, "t.date_of_diagnosis <> ''")
	}
	if f.Classes != nil {
		if len(f.Classes) == 0 {
			conds = append(conds, "1 = 0")
		} else {
			conds, args = append(conds, "t.class_of_case IN ?"), append(args, f.Classes)
		}
	}
	if f.Statuses != nil {
		if len(f.Statuses) == 0 {
			conds = append(conds, "1 = 0")
		} else {
			conds, args = append(conds, "t.status IN ?"), append(args, f.Statuses)
		}
	}
	if f.Sites != nil {
		if len(f.Sites) == 0 {
			conds = append(conds, "1 = 0")
		} else {
			c, a, err := condSQL(ReportCond{Column: "primary_site", Ranges: f.Sites})
			if err != nil {
				return "", nil, fmt.Errorf("sites: %w", err)
			}
			conds, args = append(conds, c), append(args, a...)
		}
	}
	if len(conds) == 0 {
		return "", nil, nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args, nil
}
