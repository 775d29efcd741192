// Package tempfile makes the temporary files cara writes patient data to (batch files, uploads,
// exports): readable only by cara's user, named so that they are recognisable, and removed
// once stale, so that a process killed mid-write does not leave names and dates of birth on
// disk for ever.
//
// Liveness is the file's modification time. A temporary is written to as its job runs, and a
// keeper goroutine touches it every Touch while it is open or waiting to be renamed (a batch
// waits for its transaction to commit), so the temporary of a running job, in this process or
// in another one sharing the directory (several cara processes on one network file system),
// is never older than Touch. One whose job was killed stops being touched and is removed after
// StaleAfter. A lock file was not chosen: flock is not reliable on network file systems and a
// pid means nothing on another host, while a modification time is set by the file server for
// every client alike; StaleAfter is far above Touch, so clock skew between hosts does not matter.
package tempfile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

const (
	// Prefix and Suffix frame the name of every temporary: .cara-<what>-<random>.tmp.
	Prefix = ".cara-"
	Suffix = ".tmp"
	// Touch is how often a live temporary's modification time is renewed.
	Touch = time.Minute
	// StaleAfter is the age past which a temporary belongs to no live job.
	StaleAfter = time.Hour
	// DirMode is the mode of the directories cara creates for patient data.
	DirMode fs.FileMode = 0o700
	// FileMode is the mode of every file cara writes patient data to.
	FileMode fs.FileMode = 0o600
)

// legacyPatterns are the names temporaries had before this package: cara's batches wrote
// .batch-*.tmp, so those left by a killed batch of an older cara are swept too.
var legacyPatterns = []string{".batch-*.tmp"}

// IsTemp says whether a file name is that of one of cara's temporaries.
func IsTemp(name string) bool {
	if strings.HasPrefix(name, Prefix) && strings.HasSuffix(name, Suffix) {
		return true
	}
	for _, p := range legacyPatterns {
		if ok, _ := filepath.Match(p, name); ok {
			return true
		}
	}
	return false
}

// Sweep removes cara's temporaries in dir that were last modified before now-StaleAfter and
// returns their paths. A missing dir has nothing to sweep. Files of other names are left alone.
func Sweep(dir string, now time.Time) ([]string, error) {
	stale, err := Stale(dir, now, IsTemp)
	if err != nil {
		return nil, err
	}
	return RemoveNamed(dir, stale)
}

// Stale lists the names of the regular files in dir that match and were last modified before
// now-StaleAfter: left behind, since a file being written is touched more often than that. A
// missing dir has none.
func Stale(dir string, now time.Time, match func(name string) bool) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("tempfile: sweep %s: %w", dir, err)
	}
	var stale []string
	for _, e := range ents {
		if !e.Type().IsRegular() || !match(e.Name()) {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		if fi.ModTime().Before(now.Add(-StaleAfter)) {
			stale = append(stale, e.Name())
		}
	}
	return stale, nil
}

// RemoveNamed removes the named files of dir and returns the paths it removed; a file gone
// already is not an error, the others are joined.
func RemoveNamed(dir string, names []string) ([]string, error) {
	var removed []string
	var errs []error
	for _, name := range names {
		p := filepath.Join(dir, name)
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, p)
	}
	if len(errs) > 0 {
		return removed, fmt.Errorf("tempfile: sweep %s: %w", dir, errors.Join(errs...))
	}
	return removed, nil
}

// MkdirAll creates dir (and its parents) with DirMode where missing; existing ones keep theirs.
func MkdirAll(dir string) error {
	if err := os.MkdirAll(dir, DirMode); err != nil {
		return fmt.Errorf("tempfile: create directory %s: %w", dir, err)
	}
	return nil
}

// File is a temporary being written. Rename moves it to its final name, Remove deletes it,
// Forget lets it go after the caller moved it; one of them must be called (Remove after Rename
// or Forget does nothing, so `defer f.Remove()` is safe).
type File struct {
	*os.File
	name     string // t.File's name, for the keeper (t.File is set to nil when done)
	stop     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup
}

// Create sweeps dir of stale temporaries and creates a temporary in it named
// .cara-<what>-<random>.tmp, with FileMode whatever the umask. dir must exist: a directory cara
// keeps is made with MkdirAll, one a person named (export --out) is not made up.
func Create(dir, what string) (*File, error) {
	return create(dir, what, Touch)
}

func create(dir, what string, every time.Duration) (*File, error) {
	// A failed sweep does not stop the job: the next one tries again.
	_, _ = Sweep(dir, time.Now())
	rnd := make([]byte, 12)
	_, _ = rand.Read(rnd)
	name := filepath.Join(dir, Prefix+safeWhat(what)+"-"+hex.EncodeToString(rnd)+Suffix)
	f, err := os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_RDWR, FileMode)
	if err != nil {
		return nil, fmt.Errorf("tempfile: %w", err)
	}
	// The umask can only take bits away, but a chmod says it once and for all.
	if err := f.Chmod(FileMode); err != nil {
		f.Close()
		os.Remove(name)
		return nil, fmt.Errorf("tempfile: %w", err)
	}
	t := &File{File: f, name: name, stop: make(chan struct{})}
	t.wg.Add(1)
	go t.keep(every)
	return t, nil
}

// safeWhat keeps a name's letters, digits, dot, dash and underscore, at most 60 of them.
func safeWhat(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 128 && (r == '.' || r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return r
		}
		return '_'
	}, s)
	if len(s) > 60 {
		s = s[:60]
	}
	return s
}

// keep renews the modification time until the file is renamed or removed.
func (t *File) keep(every time.Duration) {
	defer t.wg.Done()
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-t.stop:
			return
		case now := <-tick.C:
			_ = os.Chtimes(t.name, now, now)
		}
	}
}

func (t *File) halt() {
	t.stopOnce.Do(func() { close(t.stop) })
	t.wg.Wait()
}

// Rename closes the file (if not closed yet) and moves it to path; the final file keeps FileMode.
func (t *File) Rename(path string) error {
	t.halt()
	_ = t.File.Close() // closed already by the caller is fine
	if err := os.Rename(t.Name(), path); err != nil {
		os.Remove(t.Name())
		return fmt.Errorf("tempfile: %w", err)
	}
	t.File = nil
	return nil
}

// Forget stops renewing and closes the file, which the caller has moved to its final name.
func (t *File) Forget() {
	if t.File == nil {
		return
	}
	t.halt()
	_ = t.File.Close()
	t.File = nil
}

// Remove closes and deletes the file; after Rename or Forget it does nothing.
func (t *File) Remove() {
	if t.File == nil {
		return
	}
	t.halt()
	_ = t.File.Close()
	os.Remove(t.Name())
	t.File = nil
}
