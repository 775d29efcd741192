package submission

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/cara-registry/cara/internal/naaccr"
)

// DefaultIntakeMaxUnpackedBytes is the unpacked-size limit of an intake's gzip file when none is
// configured: 20 GiB, ten times the default upload limit (NAACCR XML packs some eight to ten
// times), so a file that fits the upload limit packed fits this one unpacked, while a gzip
// bomb (a thousand times and more) is stopped after the work of ten of the largest plain uploads.
const DefaultIntakeMaxUnpackedBytes int64 = 20 << 30

// errUnpackedTooLarge is what the limited stream returns past its limit.
var errUnpackedTooLarge = errors.New("the file unpacks to more than the limit")

// unpackLimit unpacks a gzip file for the XML reader and stops it past max bytes. It remembers
// that it did, so the run is failed with that reason whatever the reader makes of the error.
type unpackLimit struct {
	r        io.Reader
	max, n   int64
	exceeded bool
}

func (u *unpackLimit) Read(p []byte) (int, error) {
	if u.n > u.max {
		u.exceeded = true
		return 0, errUnpackedTooLarge
	}
	if rest := u.max + 1 - u.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := u.r.Read(p)
	u.n += int64(n)
	if u.n > u.max {
		u.exceeded = true
		// The bytes past the limit are not handed on: the reader stops at the limit.
		return n - int(u.n-u.max), errUnpackedTooLarge
	}
	return n, err
}

// message says why the run stopped, naming the setting that raises the limit.
func (u *unpackLimit) message() string {
	return fmt.Sprintf("the file unpacks to more than %s bytes (CARA_INTAKE_MAX_UNPACKED_BYTES): split it into smaller files, or ask the administrator to raise the limit", groupDigits(u.max))
}

// limitUnpacked returns what the XML reader is to read of r: a gzip file unpacked here, through
// a limit of max bytes, and anything else as it is (an uploaded plain file is bounded by the
// upload limit). A gzip header that cannot be read is a structural problem, as the XML reader
// reports it.
func limitUnpacked(r io.Reader, max int64) (io.Reader, *unpackLimit, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, _ := br.Peek(2)
	if len(magic) < 2 || magic[0] != 0x1f || magic[1] != 0x8b {
		return br, nil, nil
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, nil, &naaccr.Problem{Line: 1, Column: 1, Message: "the file looks gzip-compressed but cannot be decompressed: " + err.Error()}
	}
	u := &unpackLimit{r: zr, max: max}
	return u, u, nil
}

// groupDigits writes n with a comma between thousands: 21,474,836,480.
func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	out := make([]byte, 0, len(s)+len(s)/3)
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}
