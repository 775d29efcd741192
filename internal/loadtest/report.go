package loadtest

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

// The kinds of request the report counts, each what one person's action sends.
const (
	kindLogin       = "login"        // GET and POST /login
	kindWorklist    = "worklist"     // GET /cases
	kindOpen        = "open"         // GET /cases/:id?section=… (a registrar opens a case)
	kindLookup      = "lookup"       // GET /lookup/:item?q=… (the code look-up as she types)
	kindEdits       = "edits"        // POST /cases/:id/edits (htmx: the edits of the values entered)
	kindSave        = "save"         // POST /cases/:id (htmx: a section save, with its edits)
	kindReviewQueue = "review-queue" // GET /review
	kindStep        = "step"         // POST /cases/:id/status (send, return)
	kindIntake      = "intake"       // the intake's upload, progress and accept
)

// kindOrder is the order of the report's rows.
var kindOrder = []string{kindLogin, kindWorklist, kindOpen, kindLookup, kindEdits, kindSave, kindReviewQueue, kindStep, kindIntake}

type outcome int

const (
	outcomeOK       outcome = iota
	outcomeConflict         // refused because someone else changed the case: shown to the user, not an error
	outcomeError
)

// maxFailuresKept bounds the error messages kept for the report; the count goes on.
const maxFailuresKept = 20

// recorder collects every request's time and outcome from all the simulated people.
type recorder struct {
	mu       sync.Mutex
	kinds    map[string]*kindStats
	failures []string
	failed   int
}

type kindStats struct {
	times     []time.Duration
	conflicts int
	errors    int
}

func newRecorder() *recorder { return &recorder{kinds: map[string]*kindStats{}} }

func (r *recorder) add(kind string, d time.Duration, o outcome) {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := r.kinds[kind]
	if k == nil {
		k = &kindStats{}
		r.kinds[kind] = k
	}
	k.times = append(k.times, d)
	switch o {
	case outcomeConflict:
		k.conflicts++
	case outcomeError:
		k.errors++
	}
}

// failure keeps an error's message for the report.
func (r *recorder) failure(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed++
	if len(r.failures) < maxFailuresKept {
		r.failures = append(r.failures, err.Error())
	}
}

// KindReport is one kind of request's figures.
type KindReport struct {
	Kind          string
	Count         int
	Conflicts     int
	Errors        int
	PerSecond     float64
	P50, P95, P99 time.Duration
	Max           time.Duration
}

// Report is what a load test run measured and found.
type Report struct {
	BaseURL    string
	Users      int // registrars and reviewers at once (the intake besides)
	Registrars int
	Reviewers  int
	Elapsed    time.Duration
	Requests   int
	Kinds      []KindReport

	// Saves: acknowledged, shown as conflicts. LostUpdates lists every case whose final values
	// disagree with the saves the server acknowledged (empty is the target).
	SavesAcknowledged int
	SavesConflicted   int
	CasesChecked      int
	LostUpdates       []string
	Steps             int // workflow steps taken
	IntakeTumors      int // tumors the intake accepted (0 when it did not finish in time)

	Errors   int      // requests that failed other than by a conflict (0 is the target)
	Failures []string // the first of their messages

	SaveP99Target time.Duration
}

// Kind returns the figures of one kind (zero when none was sent).
func (r *Report) Kind(kind string) KindReport {
	for _, k := range r.Kinds {
		if k.Kind == kind {
			return k
		}
	}
	return KindReport{Kind: kind}
}

// OK says whether the run met its targets: no lost update, no error, a save's p99 within target
// (when one is set).
func (r *Report) OK() bool {
	return len(r.LostUpdates) == 0 && r.Errors == 0 && r.saveWithinTarget()
}

func (r *Report) saveWithinTarget() bool {
	return r.SaveP99Target <= 0 || r.Kind(kindSave).P99 < r.SaveP99Target
}

func (r *recorder) report(elapsed time.Duration) []KindReport {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []KindReport
	for _, name := range kindOrder {
		k := r.kinds[name]
		if k == nil || len(k.times) == 0 {
			continue
		}
		ts := slices.Clone(k.times)
		slices.Sort(ts)
		out = append(out, KindReport{
			Kind: name, Count: len(ts), Conflicts: k.conflicts, Errors: k.errors,
			PerSecond: float64(len(ts)) / elapsed.Seconds(),
			P50:       quantile(ts, 0.50), P95: quantile(ts, 0.95), P99: quantile(ts, 0.99), Max: ts[len(ts)-1],
		})
	}
	return out
}

// quantile is the nearest-rank quantile of sorted durations.
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// Write prints the report as a table with the verdict under it.
func (r *Report) Write(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "load test of %s: %d users (%d registrars, %d reviewers) and one intake, %s, %d requests (%.0f/s)\n",
		r.BaseURL, r.Users, r.Registrars, r.Reviewers, r.Elapsed.Round(time.Millisecond), r.Requests, float64(r.Requests)/r.Elapsed.Seconds())
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "kind\tcount\tper s\tp50 ms\tp95 ms\tp99 ms\tmax ms\tconflicts\terrors\t")
	for _, k := range r.Kinds {
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%s\t%s\t%s\t%s\t%d\t%d\t\n", k.Kind, k.Count, k.PerSecond, ms(k.P50), ms(k.P95), ms(k.P99), ms(k.Max), k.Conflicts, k.Errors)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(&b, "saves: %d acknowledged, %d shown as conflicts; workflow steps: %d; intake: %d tumors accepted\n",
		r.SavesAcknowledged, r.SavesConflicted, r.Steps, r.IntakeTumors)
	fmt.Fprintf(&b, "lost updates: %d of %d cases checked (target 0)\n", len(r.LostUpdates), r.CasesChecked)
	for _, l := range r.LostUpdates {
		fmt.Fprintf(&b, "  lost: %s\n", l)
	}
	fmt.Fprintf(&b, "errors other than conflicts: %d (target 0)\n", r.Errors)
	for _, f := range r.Failures {
		fmt.Fprintf(&b, "  error: %s\n", f)
	}
	if r.SaveP99Target > 0 {
		verdict := "met"
		if !r.saveWithinTarget() {
			verdict = "MISSED"
		}
		fmt.Fprintf(&b, "p99 of a section save: %s ms (target < %s ms): %s\n", ms(r.Kind(kindSave).P99), ms(r.SaveP99Target), verdict)
	}
	if r.OK() {
		b.WriteString("PASS\n")
	} else {
		b.WriteString("FAIL\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d.Microseconds())/1000) }
