package quality_test

import (
	"context"
	"math"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cara-registry/cara/internal/quality"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

// movableClock is a store clock a test sets before each step, to build a dated history.
type movableClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *movableClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *movableClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// eachWithClock is storetest.Each with a clock the test moves.
func eachWithClock(t *testing.T, fn func(t *testing.T, s *store.Store, clk *movableClock)) {
	t.Helper()
	for _, d := range []store.Dialect{store.DialectSQLite, store.DialectMySQL} {
		t.Run(string(d), func(t *testing.T) {
			clk := &movableClock{t: storetest.Clock}
			cfg := store.Config{Now: clk.Now, AuditKey: storetest.AuditKey}
			if d == store.DialectSQLite {
				cfg.SQLitePath = filepath.Join(t.TempDir(), "cara.db")
			} else {
				cfg.MySQLDSN = storetest.MySQLDSN(t)
			}
			ctx := context.Background()
			s, err := store.Open(ctx, cfg)
			if err != nil {
				t.Fatalf("open %s store: %v", d, err)
			}
			t.Cleanup(func() { s.Close() })
			if _, err := s.Migrate(ctx); err != nil {
				t.Fatalf("migrate %s store: %v", d, err)
			}
			fn(t, s, clk)
		})
	}
}

// stepAt takes a workflow step at a given time, with the edit failures recorded at it.
func stepAt(t *testing.T, s *store.Store, clk *movableClock, at string, id uint, action, from, to string, user uint, errs, warns int) {
	t.Helper()
	when, err := time.Parse("2006-01-02 15:04", at)
	if err != nil {
		t.Fatal(err)
	}
	clk.Set(when)
	if _, err := s.ChangeStatus(context.Background(), store.StatusUpdate{TumorID: id, Scope: store.AllFacilities,
		Action: action, From: from, To: to, UserID: &user, Reason: "r", EditErrors: errs, EditWarnings: warns}); err != nil {
		t.Fatalf("%s case %d at %s: %v", action, id, at, err)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// TestProductivityFiguresOfAHandBuiltHistory checks every figure against values worked out by
// hand (see the comments) for two weeks, 2026-10-05 to 2026-10-19.
func TestProductivityFiguresOfAHandBuiltHistory(t *testing.T) {
	eachWithClock(t, func(t *testing.T, s *store.Store, clk *movableClock) {
		ctx := context.Background()
		a, b := addFacility(t, s, "A"), addFacility(t, s, "B")
		reg1, reg2 := addUser(t, s, "reg1", "registrar", a.ID), addUser(t, s, "reg2", "registrar", a.ID)
		rev := addUser(t, s, "rev", "reviewer", a.ID)
		regB := addUser(t, s, "regB", "registrar", b.ID)
		newCase := func(fac uint, dx string) uint {
			_, ids := addPatient(t, s, fac, map[string]string{"nameLast": "P" + dx}, "draft", map[string]string{"dateOfDiagnosis": dx})
			return ids[0]
		}
		c1, c2, c3 := newCase(a.ID, "20260901"), newCase(a.ID, "202609"), newCase(a.ID, "20260920")
		c4, c6, c5 := newCase(a.ID, "20260801"), newCase(a.ID, "20260910"), newCase(b.ID, "20260901")

		// c1 (reg1): sent Oct 6 with 1 error + 2 warnings, 35 days after diagnosis; approved after 2 days.
		stepAt(t, s, clk, "2026-10-06 10:00", c1, "send", "draft", "in_review", reg1.ID, 1, 2)
		stepAt(t, s, clk, "2026-10-08 10:00", c1, "approve", "in_review", "approved", rev.ID, 0, 0)
		// c2 (reg1): partial diagnosis date; sent Oct 13 (1 warning), returned after 1 day, sent
		// again (not a new case), approved after 3 days.
		stepAt(t, s, clk, "2026-10-13 09:00", c2, "send", "draft", "in_review", reg1.ID, 0, 1)
		stepAt(t, s, clk, "2026-10-14 09:00", c2, "return", "in_review", "returned", rev.ID, 0, 0)
		stepAt(t, s, clk, "2026-10-15 09:00", c2, "send", "returned", "in_review", reg1.ID, 0, 0)
		stepAt(t, s, clk, "2026-10-18 09:00", c2, "approve", "in_review", "approved", rev.ID, 0, 0)
		// c3 (reg2): sent Oct 7, 17 days after diagnosis, clean; returned after 4 days.
		stepAt(t, s, clk, "2026-10-07 10:00", c3, "send", "draft", "in_review", reg2.ID, 0, 0)
		stepAt(t, s, clk, "2026-10-11 10:00", c3, "return", "in_review", "returned", rev.ID, 0, 0)
		// c4 (reg1): sent before the period, approved in it after 16 days: a decision, not a case.
		stepAt(t, s, clk, "2026-09-20 10:00", c4, "send", "draft", "in_review", reg1.ID, 0, 0)
		stepAt(t, s, clk, "2026-10-06 10:00", c4, "approve", "in_review", "approved", rev.ID, 0, 0)
		// c6 (reg2): sent Oct 16 with 2 errors, 36 days after diagnosis; still in review.
		stepAt(t, s, clk, "2026-10-16 10:00", c6, "send", "draft", "in_review", reg2.ID, 2, 0)
		// c5: facility B, out of A's scope.
		stepAt(t, s, clk, "2026-10-09 10:00", c5, "send", "draft", "in_review", regB.ID, 0, 0)
		// A send after the period does not count.
		c7 := newCase(a.ID, "20260901")
		stepAt(t, s, clk, "2026-10-19 00:00", c7, "send", "draft", "in_review", reg1.ID, 5, 5)

		from := time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC)
		to := time.Date(2026, 10, 19, 0, 0, 0, 0, time.UTC)
		p, err := quality.New(s).Productivity(ctx, quality.ProductivityQuery{Scope: store.FacilityScope(a.ID), From: from, To: to})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Weeks) != 2 || !p.Weeks[0].Equal(from) || !p.Weeks[1].Equal(from.AddDate(0, 0, 7)) {
			t.Fatalf("weeks = %v", p.Weeks)
		}
		if len(p.Registrars) != 2 {
			t.Fatalf("registrars = %+v, want reg1 and reg2 only", p.Registrars)
		}
		type want struct {
			name                          string
			perWeek                       []int
			cases, used, skipped, reviews int
			dx, review, edits, rate       float64
			returns, approvals            int
		}
		for i, w := range []want{
			// reg1: c1 (week 1), c2 (week 2); dx [35] (c2 skipped); edits (3+1)/2; decisions c1 approve
			// 2d, c2 return 1d, c2 approve 3d, c4 approve 16d → median 2.5; 1 return of 4 → 25%.
			{"User reg1", []int{1, 1}, 2, 1, 1, 4, 35, 2.5, 2, 25, 1, 3},
			// reg2: c3 (week 1), c6 (week 2); dx [17, 36] → 26.5; edits (0+2)/2; c3 return 4d → 100%.
			{"User reg2", []int{1, 1}, 2, 2, 0, 1, 26.5, 4, 1, 100, 1, 0},
			// everyone: dx [35, 17, 36] → 35; edits 6/4; reviews [2,1,3,16,4] → 3; 2 of 5 → 40%.
			{"All registrars", []int{2, 2}, 4, 3, 1, 5, 35, 3, 1.5, 40, 2, 3},
		} {
			r := p.Total
			if i < 2 {
				r = p.Registrars[i]
			}
			if r.Name != w.name || r.Cases != w.cases || r.DxDatesUsed != w.used || r.DxDatesSkipped != w.skipped ||
				r.Reviews != w.reviews || r.Returns != w.returns || r.Approvals != w.approvals ||
				len(r.PerWeek) != 2 || r.PerWeek[0] != w.perWeek[0] || r.PerWeek[1] != w.perWeek[1] {
				t.Errorf("%s: got %+v, want %+v", w.name, r, w)
			}
			if !near(r.MedianDxToSendDays, w.dx) || !near(r.MedianReviewDays, w.review) ||
				!near(r.MeanEditFailures, w.edits) || !near(r.ReturnRate, w.rate) {
				t.Errorf("%s: dx %v review %v edits %v rate %v; want %v %v %v %v", w.name, r.MedianDxToSendDays,
					r.MedianReviewDays, r.MeanEditFailures, r.ReturnRate, w.dx, w.review, w.edits, w.rate)
			}
		}

		// Facility B sees only its own registrar; the zero scope sees nothing.
		pb, err := quality.New(s).Productivity(ctx, quality.ProductivityQuery{Scope: store.FacilityScope(b.ID), From: from, To: to})
		if err != nil {
			t.Fatal(err)
		}
		if len(pb.Registrars) != 1 || pb.Registrars[0].UserID != regB.ID || pb.Total.Cases != 1 {
			t.Errorf("facility B: %+v", pb.Registrars)
		}
		pz, err := quality.New(s).Productivity(ctx, quality.ProductivityQuery{From: from, To: to})
		if err != nil {
			t.Fatal(err)
		}
		if len(pz.Registrars) != 0 || pz.Total.Cases != 0 || !math.IsNaN(pz.Total.MedianReviewDays) {
			t.Errorf("zero scope saw %+v", pz.Total)
		}
		if _, err := quality.New(s).Productivity(ctx, quality.ProductivityQuery{Scope: store.AllFacilities, From: to, To: from}); err == nil {
			t.Error("a period that ends before it starts was accepted")
		}
	})
}

func TestMedianOfOddEvenAndNoValues(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{{[]float64{3, 1, 2}, 2}, {[]float64{4, 1, 3, 2}, 2.5}, {[]float64{7}, 7}} {
		if got := quality.Median(c.in); got != c.want {
			t.Errorf("Median(%v) = %v, want %v", c.in, got, c.want)
		}
	}
	if !math.IsNaN(quality.Median(nil)) {
		t.Error("median of nothing is not NaN")
	}
}

func TestWeekStartIsMondayUTC(t *testing.T) {
	for in, want := range map[string]string{
		"2026-10-05T00:00:00Z": "2026-10-05", "2026-10-11T23:59:59Z": "2026-10-05", "2026-10-12T08:00:00Z": "2026-10-12",
	} {
		tm, _ := time.Parse(time.RFC3339, in)
		if got := quality.WeekStart(tm).Format(time.DateOnly); got != want {
			t.Errorf("WeekStart(%s) = %s, want %s", in, got, want)
		}
	}
}
