package submission

import (
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"os"
)

// batchFile is the writing end of a batch file: optionally gzip, then a buffer, with a SHA-256
// and a byte count of what reaches the disk.
type batchFile struct {
	dst  io.Writer
	gz   *gzip.Writer
	bw   *bufio.Writer
	hash hash.Hash
	size int64
}

func newBatchFile(f *os.File, gz bool) *batchFile {
	b := &batchFile{hash: sha256.New()}
	b.bw = bufio.NewWriterSize(io.MultiWriter(f, b.hash), 256<<10)
	b.dst = writerFunc(func(p []byte) (int, error) {
		n, err := b.bw.Write(p)
		b.size += int64(n)
		return n, err
	})
	if gz {
		b.gz = gzip.NewWriter(b.dst) // no name or time in the header
		b.dst = b.gz
	}
	return b
}

func (b *batchFile) close() error {
	if b.gz != nil {
		if err := b.gz.Close(); err != nil {
			return err
		}
	}
	return b.bw.Flush()
}

type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// FileSHA256 hashes a file, to check a stored batch file before it is served again.
func FileSHA256(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}
