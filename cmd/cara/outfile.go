package main

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/cara-registry/cara/internal/tempfile"
)

// outFile is a file written beside its target and renamed into place by Commit, so that a
// failed run never leaves a partial file under the name a person or a registry would pick up.
// A name ending in .gz is written gzip-compressed. The temporary and the file are readable by
// cara's user only (they hold patient data), and a killed run's temporary is removed by the
// next run in the directory (see tempfile).
type outFile struct {
	path string
	tmp  *tempfile.File
	bw   *bufio.Writer
	gz   *gzip.Writer
	W    io.Writer // what to write the content to
}

func createOutFile(path string) (*outFile, error) {
	tmp, err := tempfile.Create(filepath.Dir(path), filepath.Base(path))
	if err != nil {
		return nil, err
	}
	o := &outFile{path: path, tmp: tmp, bw: bufio.NewWriterSize(tmp, 256<<10)}
	o.W = o.bw
	if strings.HasSuffix(path, ".gz") {
		o.gz = gzip.NewWriter(o.bw) // no name or time in the header: the same bytes every run
		o.W = o.gz
	}
	return o, nil
}

// Commit flushes the content and renames the file into place; it returns the size on disk.
func (o *outFile) Commit() (int64, error) {
	if o.gz != nil {
		if err := o.gz.Close(); err != nil {
			o.Abort()
			return 0, fmt.Errorf("write %s: %w", o.path, err)
		}
	}
	if err := o.bw.Flush(); err != nil {
		o.Abort()
		return 0, fmt.Errorf("write %s: %w", o.path, err)
	}
	fi, err := o.tmp.Stat()
	if err != nil {
		o.Abort()
		return 0, fmt.Errorf("write %s: %w", o.path, err)
	}
	if err := o.tmp.Close(); err != nil {
		o.Abort()
		return 0, fmt.Errorf("write %s: %w", o.path, err)
	}
	if err := o.tmp.Rename(o.path); err != nil {
		return 0, fmt.Errorf("write %s: %w", o.path, err)
	}
	return fi.Size(), nil
}

// Abort removes the unfinished file.
func (o *outFile) Abort() {
	o.tmp.Remove()
}
