package naaccr

import (
	"bytes"
	"errors"
	"io"
	"sync"
	"sync/atomic"
)

// Reading on several cores (ReaderOptions.Workers). One goroutine, the splitter, runs the
// reader over the file as it always does, except that at a <Patient> start tag it finds the
// patient's end tag in the buffer, copies the patient's bytes into the open batch and goes on
// after it; a full batch goes to a worker. Workers parse and check their patients with the same
// code, each with a scanner of its own over each patient's bytes, set up with the scope
// (namespace bindings, open root element) and the file position of the patient's start. Next
// hands the patients out in file order.
//
// The split is exact, not a guess: a patient is handed out only when its first "</Patient>"
// must be its end tag, that is when its start tag is written <Patient ...> and nothing before
// that end tag is a comment, a CDATA section, a processing instruction or another Patient start
// tag (where "</Patient>" could be text, or the end of another element). Then every "<" up to it
// begins a tag, and the first "</Patient>" either closes the patient or is an error the worker
// finds exactly where a single reader would. Any other patient, or one larger than
// maxSplitPatient, the splitter parses itself. A differential fuzz test holds the results
// (patients, problems, positions, errors) to those of a single reader.

// maxSplitPatient is the largest patient the splitter hands to a worker; a larger one it parses
// itself, reading as far as a single reader would.
const maxSplitPatient = 4 << 20

// A batch of patients goes to a worker at a time, so that the hand-off (channels, a worker's
// wake-up) is paid once per batch, not once per patient: at one patient a hand-off cost what the
// second core gave. A batch is closed at batchBytes or batchPatients, whichever comes first; the
// bound keeps what is in flight (4 batches a worker) small.
const (
	batchBytes    = 128 << 10
	batchPatients = 32
)

// batch is one or more consecutive patients on their way to Next: split off and parsed by a
// worker, or one patient parsed by the splitter, or the error that ends the file.
type batch struct {
	done  chan struct{} // closed when every slot is set
	slots []slot        // in file order; len is how many are used
	chunk []byte        // for a worker: the patients' bytes, one after another
	// The scope of the patients' start tags: the open root element and its bindings.
	names    []byte
	root     openElem
	bindings []nsBinding
	split    bool // parsed by a worker
}

// slot is one patient of a batch.
type slot struct {
	p        Patient
	problems []Problem
	err      error

	// For a worker: where the patient's bytes (start tag to end tag) are in chunk, and where
	// they start in the file.
	from, to       int
	index          int   // 1-based position among the patients
	base           int64 // file offset of chunk[from]
	line           int
	lineStart      int64
	readerProblems []Problem // problems the splitter found before the start tag (none in practice)
}

type parallelReader struct {
	order chan *batch // in file order
	jobs  chan *batch
	stop  chan struct{}
	once  sync.Once
	free  chan *batch // recycled, with their buffers and maps
	// cur is the batch Next hands patients out of, next the slot it hands out next.
	cur  *batch
	next int
	// splitOff counts the patients handed to workers (for tests).
	splitOff atomic.Int64
}

// startParallel starts the splitter and the workers; the header has been read.
func (r *Reader) startParallel(workers int) {
	// The splitter has the Reader's scanner and state to itself: the Reader seen by the caller
	// only hands out what comes through order.
	split := &Reader{sc: r.sc, opt: r.opt, info: r.info, schema: r.schema, patients: r.patients, pending: r.pending,
		done: r.done, rtBit: r.rtBit, noFastPath: r.noFastPath}
	split.seen.reset(len(r.schema.order))
	r.sc = nil
	par := &parallelReader{
		order: make(chan *batch, 3*workers),
		jobs:  make(chan *batch, workers),
		stop:  make(chan struct{}),
		free:  make(chan *batch, 4*workers+2),
	}
	r.par = par
	for range workers {
		wr := &Reader{opt: split.opt, info: split.info, schema: split.schema, rtBit: split.rtBit, noFastPath: split.noFastPath}
		wr.info.NotKept = nil // a worker never adds to it: extensions are not kept with workers
		wr.seen.reset(len(split.schema.order))
		go par.work(wr)
	}
	go par.split(split)
}

// Close stops the goroutines of a reader with Workers when it is not read to the end (after
// io.EOF or an error they have stopped already). It is safe to call more than once, and a no-op
// for a reader without workers.
func (r *Reader) Close() {
	if r.par != nil {
		r.par.once.Do(func() { close(r.par.stop) })
	}
}

// nextParallel is Next for a reader with workers.
func (r *Reader) nextParallel(p *Patient) error {
	par := r.par
	select {
	case <-par.stop:
		return errors.New("naaccr: read after Close")
	default:
	}
	if par.cur != nil && par.next == len(par.cur.slots) {
		select {
		case par.free <- par.cur:
		default:
		}
		par.cur = nil
	}
	if par.cur == nil {
		var b *batch
		select {
		case b = <-par.order:
		case <-par.stop:
			return errors.New("naaccr: read after Close")
		}
		if b == nil {
			r.done = true
			r.Close()
			return io.EOF
		}
		<-b.done
		par.cur, par.next = b, 0
	}
	s := &par.cur.slots[par.next]
	par.next++
	r.problems = append(r.problems, s.problems...)
	if s.err != nil {
		r.err = s.err
		r.Close()
		return s.err
	}
	r.patients++
	// The caller's patient goes back with the batch, to be reused.
	*p, s.p = s.p, *p
	return nil
}

func (par *parallelReader) get() *batch {
	select {
	case b := <-par.free:
		b.done = make(chan struct{})
		b.slots = b.slots[:0]
		b.chunk = b.chunk[:0]
		b.split = false
		return b
	default:
		return &batch{done: make(chan struct{})}
	}
}

// add returns a new slot at the end of b, reusing what an earlier use of b left in it.
func (b *batch) add() *slot {
	if len(b.slots) < cap(b.slots) {
		b.slots = b.slots[:len(b.slots)+1]
	} else {
		b.slots = append(b.slots, slot{})
	}
	s := &b.slots[len(b.slots)-1]
	s.err = nil
	s.problems = s.problems[:0]
	s.readerProblems = s.readerProblems[:0]
	return s
}

// send puts b in the queue; it reports false when the reader was closed.
func (par *parallelReader) send(ch chan *batch, b *batch) bool {
	select {
	case ch <- b:
		return true
	case <-par.stop:
		return false
	}
}

// split is the splitter goroutine.
func (par *parallelReader) split(r *Reader) {
	defer close(par.jobs)
	var open *batch // the batch being filled for a worker
	// flush hands the open batch on: to Next's queue first, so that it keeps its place, then to
	// a worker.
	flush := func() bool {
		if open == nil || len(open.slots) == 0 {
			return true // an empty batch stays open for the next patients
		}
		b := open
		open = nil
		return par.send(par.order, b) && par.send(par.jobs, b)
	}
	// alone sends a batch of one slot that the splitter set itself, after the open batch.
	alone := func(fill func(s *slot)) bool {
		if !flush() {
			return false
		}
		b := par.get()
		fill(b.add())
		close(b.done)
		return par.send(par.order, b)
	}
	defer func() {
		if flush() {
			select {
			case par.order <- nil: // the end of the file
			case <-par.stop:
			}
		}
	}()
	var before []Problem
	for {
		r.problems = r.problems[:0]
		if !r.pending {
			if err := r.seekPatient(); err != nil {
				err = r.fail(err)
				alone(func(s *slot) {
					s.problems = append(s.problems, r.problems...)
					s.err = err
				})
				return
			}
			if r.done {
				return
			}
		}
		r.pending = false
		r.patients++
		before = append(before[:0], r.problems...)
		if open == nil {
			open = par.get()
		}
		ok, err := r.cutPatient(open)
		switch {
		case err != nil:
			err = r.fail(err)
			alone(func(s *slot) {
				s.problems = append(s.problems, r.problems...)
				s.err = err
			})
			return
		case ok:
			par.splitOff.Add(1)
			s := &open.slots[len(open.slots)-1]
			s.readerProblems = append(s.readerProblems, before...)
			if len(open.slots) >= batchPatients || len(open.chunk) >= batchBytes {
				if !flush() {
					return
				}
			}
			continue
		}
		// Parsed here: the patient cannot be split off.
		var perr error
		sent := alone(func(s *slot) {
			perr = r.patient(&s.p)
			s.problems = append(s.problems, r.problems...)
			if perr != nil {
				s.err = r.fail(perr)
			}
		})
		if !sent || perr != nil {
			return
		}
	}
}

// cutPatient adds the patient whose start tag was just read to b when it can be split off (see
// the top of this file): it copies its bytes to b.chunk and moves the scanner past its end tag.
// It reports false, having moved nothing and added nothing, when the patient is to be parsed in
// place.
func (r *Reader) cutPatient(b *batch) (bool, error) {
	sc := r.sc
	if sc.pendingEnd || len(sc.open) != 2 || string(sc.openName(1)) != "Patient" {
		return false, nil
	}
	sc.mark = sc.tokOffset
	defer func() { sc.mark = -1 }()
	from := 0
	end := -1
	nested := false
	for end < 0 {
		if i := indexPatientEnd(sc.buf[sc.pos+from:sc.end], &nested); i >= 0 {
			end = from + i
			break
		}
		from = max(0, sc.end-sc.pos-len(patientEndTag)+1)
		if sc.end-sc.mark > maxSplitPatient {
			return false, nil
		}
		ok, err := sc.fill()
		if err != nil || !ok {
			// The reader in place meets the same end of input or error where it belongs.
			return false, nil
		}
	}
	if nested || !splittable(sc.buf[sc.pos:sc.pos+end]) {
		return false, nil
	}
	start := sc.mark
	stop := sc.pos + end + len(patientEndTag)
	line, col := sc.position(start)
	pat := sc.open[1]
	if len(b.slots) == 0 {
		// The scope is the root element's, the same for every patient of the file.
		b.root = sc.open[0]
		b.names = append(b.names[:0], sc.names[:pat.nameStart]...)
		b.bindings = append(b.bindings[:0], sc.bindings[:pat.bindings]...)
		b.split = true
	}
	s := b.add()
	s.from = len(b.chunk)
	b.chunk = append(b.chunk, sc.buf[start:stop]...)
	s.to = len(b.chunk)
	s.index = r.patients
	s.base = sc.base + int64(start)
	s.line, s.lineStart = line, s.base-int64(col-1)
	// The scanner goes on after the end tag, as after reading the patient.
	sc.pos = stop
	sc.kind = tokEnd
	sc.popElement()
	r.level = ParentRoot
	return true, nil
}

const patientEndTag = "</Patient>"

// indexPatientEnd is bytes.Index(s, "</Patient>"), and sets *nested when a "<Patient" comes
// before it. It looks for the 'P', which is about eight times rarer in NAACCR XML than the '<'
// that bytes.Index would stop at (every tag). Called again on a longer buffer from the last
// len("</Patient>")-1 bytes on, it looks again at every 'P' it could not decide on: one in the last
// 6 bytes, whose "Patient" may be cut off.
func indexPatientEnd(s []byte, nested *bool) int {
	for i := 1; i < len(s); {
		j := bytes.IndexByte(s[i:], 'P')
		if j < 0 {
			return -1
		}
		i += j
		if s[i-1] == '<' && bytes.HasPrefix(s[i:], []byte("Patient")) {
			*nested = true
		} else if i >= 2 && s[i-2] == '<' && s[i-1] == '/' && bytes.HasPrefix(s[i:], []byte(patientEndTag[2:])) {
			return i - 2
		}
		i++
	}
	return -1
}

// splittable says whether a patient's body (after its start tag, before its first "</Patient>")
// has no "<!" or "<?", which would make that "</Patient>" something other than the patient's end
// tag (indexPatientEnd looks for "<Patient"). It looks for the rare second bytes.
func splittable(body []byte) bool {
	for _, c := range []byte{'!', '?'} {
		for i := 1; i < len(body); {
			j := bytes.IndexByte(body[i:], c)
			if j < 0 {
				break
			}
			i += j
			if body[i-1] == '<' {
				return false
			}
			i++
		}
	}
	return true
}

// work is a worker goroutine: it parses the batches split off by the splitter, with wr.
func (par *parallelReader) work(wr *Reader) {
	sc := &xmlScanner{}
	for b := range par.jobs {
		for i := range b.slots {
			s := &b.slots[i]
			*sc = xmlScanner{
				buf: b.chunk[s.from:s.to], end: s.to - s.from, eof: true,
				base: s.base, line: s.line, lineStart: s.lineStart,
				names: append(sc.names[:0], b.names...), open: append(sc.open[:0], b.root),
				bindings: append(sc.bindings[:0], b.bindings...), scratch: sc.scratch[:0], attrs: sc.attrs[:0],
				started: true, rootSeen: true, mark: -1, unboundOK: wr.opt.Relaxed, maxTokenLen: defaultMaxToken,
			}
			wr.sc, wr.err, wr.patients, wr.level = sc, nil, s.index, ParentRoot
			wr.problems = append(wr.problems[:0], s.readerProblems...)
			err := sc.next() // the start tag again, now in the worker's scope
			if err == nil {
				err = wr.patient(&s.p)
			}
			if err == nil && (sc.pos != s.to-s.from || len(sc.open) != 1) {
				err = errors.New("naaccr: internal error: a patient was split off at the wrong end tag")
			}
			s.problems = append(s.problems, wr.problems...)
			if err != nil {
				s.err = wr.fail(err)
				// Next stops at this patient: the rest of the batch is not handed out.
				b.slots = b.slots[:i+1]
				break
			}
		}
		close(b.done)
	}
}

// parallelOK says whether a reader with these options may read on several goroutines: extensions
// kept, and what a read cannot keep, are gathered into FileInfo as the file is read, which one
// goroutine does.
func parallelOK(opt ReaderOptions) bool { return opt.Workers > 1 && !opt.KeepExtensions }
