//go:build unix

package tempfile

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestCreateWritesOwnerOnlyFilesWhateverTheUmask(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "new", "submissions")
	if err := MkdirAll(dir); err != nil {
		t.Fatal(err)
	}
	f, err := Create(dir, "upload")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Remove()
	fi, err := os.Stat(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	if m := fi.Mode().Perm(); m != FileMode {
		t.Errorf("temporary mode %v, want %v", m, FileMode)
	}
	if !IsTemp(filepath.Base(f.Name())) {
		t.Errorf("temporary %s does not have a temporary's name", f.Name())
	}
	for _, d := range []string{dir, filepath.Dir(dir)} {
		di, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		if m := di.Mode().Perm(); m != DirMode {
			t.Errorf("directory %s mode %v, want %v", d, m, DirMode)
		}
	}
	final := filepath.Join(dir, "batch.xml")
	if err := f.Rename(final); err != nil {
		t.Fatal(err)
	}
	fi, err = os.Stat(final)
	if err != nil {
		t.Fatal(err)
	}
	if m := fi.Mode().Perm(); m != FileMode {
		t.Errorf("final file mode %v, want %v", m, FileMode)
	}
	f.Remove() // after Rename: nothing
	if !exists(final) {
		t.Error("Remove after Rename removed the final file")
	}
}
