package submission

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/cara-registry/cara/internal/tempfile"
)

// A batch's file is moved to its final name inside the batch's transaction, just before the
// commit (the file must be in place when the batch is visible). A process killed between the
// two, or a database that loses its connection then, leaves a file under a batch's name that
// no batch names: an orphan, with patients' data, that nothing would remove. The sweep below
// finds them: a file named as a batch file, that no recorded batch names, and that has not been
// written to for tempfile.StaleAfter (a batch between its rename and its commit was written to
// a moment before, so no live batch's file is taken, in this process or another sharing the
// directory).

// batchFileName is the form of a batch file's name: facility_CCYYMMDD_NNN.xml[.gz] (Create).
var batchFileName = regexp.MustCompile(`^[0-9A-Za-z-]+_[0-9]{8}_[0-9]{3,}\.xml(\.gz)?$`)

// RecordedFiles says which file names are those of recorded batches (store.Store).
type RecordedFiles interface {
	RecordedSubmissionFiles(ctx context.Context, names []string) (map[string]bool, error)
}

// SweepOrphans removes the batch files in dir that no recorded batch names and that were last
// modified before now-tempfile.StaleAfter, and returns their paths. Files of other names are
// left alone; a missing dir has nothing to sweep.
func SweepOrphans(ctx context.Context, st RecordedFiles, dir string, now time.Time) ([]string, error) {
	stale, err := tempfile.Stale(dir, now, batchFileName.MatchString)
	if err != nil || len(stale) == 0 {
		return nil, err
	}
	recorded, err := st.RecordedSubmissionFiles(ctx, stale)
	if err != nil {
		return nil, fmt.Errorf("submission: sweep %s: %w", dir, err)
	}
	orphans := stale[:0]
	for _, name := range stale {
		if !recorded[name] {
			orphans = append(orphans, name)
		}
	}
	return tempfile.RemoveNamed(dir, orphans)
}
