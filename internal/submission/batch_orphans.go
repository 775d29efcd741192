package submission

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
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
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("submission: sweep %s: %w", dir, err)
	}
	var stale []string
	for _, e := range ents {
		if !e.Type().IsRegular() || !batchFileName.MatchString(e.Name()) {
			continue
		}
		fi, err := e.Info()
		if err != nil || !fi.ModTime().Before(now.Add(-tempfile.StaleAfter)) {
			continue
		}
		stale = append(stale, e.Name())
	}
	if len(stale) == 0 {
		return nil, nil
	}
	recorded, err := st.RecordedSubmissionFiles(ctx, stale)
	if err != nil {
		return nil, fmt.Errorf("submission: sweep %s: %w", dir, err)
	}
	var removed []string
	var errs []error
	for _, name := range stale {
		if recorded[name] {
			continue
		}
		p := filepath.Join(dir, name)
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, p)
	}
	if len(errs) > 0 {
		return removed, fmt.Errorf("submission: sweep %s: %w", dir, errors.Join(errs...))
	}
	return removed, nil
}
