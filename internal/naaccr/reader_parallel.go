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
// patient's end tag in the buffer, hands the patient's bytes to a worker and goes on after it.
// Workers parse and check their patients with the same code, each with a scanner of its own over
// the patient's bytes, set up with the scope (namespace bindings, open root element) and the file
// position of the patient's start. Next hands the patients out in file order.
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

// parsedPatient is one patient on its way to Next: parsed by a worker or by the splitter, or the
// error that ends the file.
type parsedPatient struct {
	done     chan struct{} // closed when the fields below are set
	p        Patient
	problems []Problem
	err      error

	// For a worker: the patient's bytes from its start tag to its end tag, and where they start.
	chunk          []byte
	index          int   // 1-based position among the patients
	base           int64 // file offset of chunk[0]
	line           int
	lineStart      int64
	names          []byte // the scope of the start tag: the open root element and the bindings
	root           openElem
	bindings       []nsBinding
	readerProblems []Problem // problems the splitter found before the start tag (none in practice)
}

type parallelReader struct {
	order chan *parsedPatient // in file order
	jobs  chan *parsedPatient
	stop  chan struct{}
	once  sync.Once
	free  chan *parsedPatient // recycled, with their buffers and maps
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
		order: make(chan *parsedPatient, 4*workers),
		jobs:  make(chan *parsedPatient, 2*workers),
		stop:  make(chan struct{}),
		free:  make(chan *parsedPatient, 6*workers+2),
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
	var pp *parsedPatient
	select {
	case <-r.par.stop:
		return errors.New("naaccr: read after Close")
	default:
	}
	select {
	case pp = <-r.par.order:
	case <-r.par.stop:
		return errors.New("naaccr: read after Close")
	}
	if pp == nil {
		r.done = true
		r.Close()
		return io.EOF
	}
	<-pp.done
	r.problems = append(r.problems, pp.problems...)
	if pp.err != nil {
		r.err = pp.err
		r.Close()
		return pp.err
	}
	r.patients++
	// The caller's patient goes back to the workers, to be reused.
	*p, pp.p = pp.p, *p
	select {
	case r.par.free <- pp:
	default:
	}
	return nil
}

func (par *parallelReader) get() *parsedPatient {
	select {
	case pp := <-par.free:
		pp.done = make(chan struct{})
		pp.err = nil
		pp.problems = pp.problems[:0]
		pp.readerProblems = pp.readerProblems[:0]
		return pp
	default:
		return &parsedPatient{done: make(chan struct{})}
	}
}

// send puts pp in the queue; it reports false when the reader was closed.
func (par *parallelReader) send(ch chan *parsedPatient, pp *parsedPatient) bool {
	select {
	case ch <- pp:
		return true
	case <-par.stop:
		return false
	}
}

// split is the splitter goroutine.
func (par *parallelReader) split(r *Reader) {
	defer close(par.jobs)
	defer func() {
		select {
		case par.order <- nil: // the end of the file
		case <-par.stop:
		}
	}()
	for {
		r.problems = r.problems[:0]
		if !r.pending {
			if err := r.seekPatient(); err != nil {
				pp := par.get()
				pp.problems = append(pp.problems, r.problems...)
				pp.err = r.fail(err)
				close(pp.done)
				par.send(par.order, pp)
				return
			}
			if r.done {
				return
			}
		}
		r.pending = false
		r.patients++
		pp := par.get()
		pp.readerProblems = append(pp.readerProblems, r.problems...)
		ok, err := r.cutPatient(pp)
		switch {
		case err != nil:
			pp.problems = append(pp.problems, r.problems...)
			pp.err = r.fail(err)
			close(pp.done)
			par.send(par.order, pp)
			return
		case ok:
			par.splitOff.Add(1)
			if !par.send(par.order, pp) || !par.send(par.jobs, pp) {
				return
			}
			continue
		}
		// Parsed here: the patient cannot be split off.
		err = r.patient(&pp.p)
		pp.problems = append(pp.problems, r.problems...)
		if err != nil {
			pp.err = r.fail(err)
		}
		close(pp.done)
		if !par.send(par.order, pp) || err != nil {
			return
		}
	}
}

// cutPatient hands the patient whose start tag was just read to a worker when it can be split
// off (see the top of this file): it copies its bytes into pp and moves the scanner past its end
// tag. It reports false, having moved nothing, when the patient is to be parsed in place.
func (r *Reader) cutPatient(pp *parsedPatient) (bool, error) {
	sc := r.sc
	if sc.pendingEnd || len(sc.open) != 2 || string(sc.openName(1)) != "Patient" {
		return false, nil
	}
	sc.mark = sc.tokOffset
	defer func() { sc.mark = -1 }()
	const endTag = "</Patient>"
	from := 0
	end := -1
	for end < 0 {
		if i := bytes.Index(sc.buf[sc.pos+from:sc.end], []byte(endTag)); i >= 0 {
			end = from + i
			break
		}
		from = max(0, sc.end-sc.pos-len(endTag)+1)
		if sc.end-sc.mark > maxSplitPatient {
			return false, nil
		}
		ok, err := sc.fill()
		if err != nil || !ok {
			// The reader in place meets the same end of input or error where it belongs.
			return false, nil
		}
	}
	body := sc.buf[sc.pos : sc.pos+end]
	if bytes.Contains(body, []byte("<!")) || bytes.Contains(body, []byte("<?")) || bytes.Contains(body, []byte("<Patient")) {
		return false, nil
	}
	start := sc.mark
	stop := sc.pos + end + len(endTag)
	line, col := sc.position(start)
	pp.chunk = append(pp.chunk[:0], sc.buf[start:stop]...)
	pp.index = r.patients
	pp.base = sc.base + int64(start)
	pp.line, pp.lineStart = line, pp.base-int64(col-1)
	pat := sc.open[1]
	pp.root = sc.open[0]
	pp.names = append(pp.names[:0], sc.names[:pat.nameStart]...)
	pp.bindings = append(pp.bindings[:0], sc.bindings[:pat.bindings]...)
	// The scanner goes on after the end tag, as after reading the patient.
	sc.pos = stop
	sc.kind = tokEnd
	sc.popElement()
	r.level = ParentRoot
	return true, nil
}

// work is a worker goroutine: it parses the patients split off by the splitter, with wr.
func (par *parallelReader) work(wr *Reader) {
	sc := &xmlScanner{}
	for pp := range par.jobs {
		*sc = xmlScanner{
			buf: pp.chunk, end: len(pp.chunk), eof: true,
			base: pp.base, line: pp.line, lineStart: pp.lineStart,
			names: append(sc.names[:0], pp.names...), open: append(sc.open[:0], pp.root),
			bindings: append(sc.bindings[:0], pp.bindings...), scratch: sc.scratch[:0], attrs: sc.attrs[:0],
			started: true, rootSeen: true, mark: -1, unboundOK: wr.opt.Relaxed, maxTokenLen: defaultMaxToken,
		}
		wr.sc, wr.err, wr.patients, wr.level = sc, nil, pp.index, ParentRoot
		wr.problems = append(wr.problems[:0], pp.readerProblems...)
		err := sc.next() // the start tag again, now in the worker's scope
		if err == nil {
			err = wr.patient(&pp.p)
		}
		if err == nil && (sc.pos != len(pp.chunk) || len(sc.open) != 1) {
			err = errors.New("naaccr: internal error: a patient was split off at the wrong end tag")
		}
		pp.problems = append(pp.problems, wr.problems...)
		if err != nil {
			pp.err = wr.fail(err)
		}
		close(pp.done)
	}
}

// parallelOK says whether a reader with these options may read on several goroutines: extensions
// kept, and what a read cannot keep, are gathered into FileInfo as the file is read, which one
// goroutine does.
func parallelOK(opt ReaderOptions) bool { return opt.Workers > 1 && !opt.KeepExtensions }
