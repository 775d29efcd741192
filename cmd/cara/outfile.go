package main

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// outFile is a file written beside its target and renamed into place by Commit, so that a
// failed run never leaves a partial file under the name a person or a registry would pick up.
// A name ending in .gz is written gzip-compressed.
type outFile struct {
	path string
	tmp  *os.File
	bw   *bufio.Writer
	gz   *gzip.Writer
	W    io.Writer // what to write the content to
}

func createOutFile(path string) (*outFile, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
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
		os.Remove(o.tmp.Name())
		return 0, fmt.Errorf("write %s: %w", o.path, err)
	}
	if err := os.Rename(o.tmp.Name(), o.path); err != nil {
		os.Remove(o.tmp.Name())
		return 0, fmt.Errorf("write %s: %w", o.path, err)
	}
	return fi.Size(), nil
}

// Abort removes the unfinished file.
func (o *outFile) Abort() {
	o.tmp.Close()
	os.Remove(o.tmp.Name())
}
