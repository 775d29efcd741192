package edits

import (
	"context"
	"errors"
	"io"
	"runtime"
	"sync"

	"github.com/cara-registry/cara/internal/naaccr"
)

// PatientResult is what a batch run found in one patient of a file.
type PatientResult struct {
	Index    int // 0-based position of the patient in the file
	Patient  naaccr.Patient
	Results  []Result
	Problems []naaccr.Problem // what the reader found that the field checks do not cover
}

// BatchOptions tune a batch run.
type BatchOptions struct {
	Workers   int // goroutines running edits; runtime.GOMAXPROCS when 0
	ChunkSize int // patients handed to a worker at a time; 64 when 0
}

type chunk struct {
	seq      int
	patients []PatientResult
	err      error
}

// RunReader streams the patients of rd through the field and inter-field edits on several
// workers and calls fn for each patient in file order. Memory is bounded by the chunks in flight,
// not by the file. A structural error of the file ends the run with that error, after fn has
// seen every patient before it. It closes rd (stopping the reader's workers, if it has any) when
// it ends.
func (s *Set) RunReader(ctx context.Context, rd *naaccr.Reader, opt BatchOptions, fn func(*PatientResult) error) error {
	defer rd.Close()
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	size := opt.ChunkSize
	if size <= 0 {
		size = 64
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	todo := make(chan chunk, workers)
	done := make(chan chunk, workers*2)

	// Reader: patients are copied out of the reader's reused maps into chunks.
	go func() {
		defer close(todo)
		seq, index := 0, 0
		for {
			c := chunk{seq: seq}
			for len(c.patients) < size {
				var p naaccr.Patient
				err := rd.Next(&p)
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					c.err = err
					break
				}
				c.patients = append(c.patients, PatientResult{Index: index, Patient: p, Problems: readerOnly(rd.Problems())})
				index++
			}
			if len(c.patients) == 0 && c.err == nil {
				return
			}
			select {
			case todo <- c:
			case <-ctx.Done():
				return
			}
			if c.err != nil || len(c.patients) < size {
				return
			}
			seq++
		}
	}()

	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := s.NewRunner()
			for c := range todo {
				for i := range c.patients {
					pr := &c.patients[i]
					res, err := r.Patient(&pr.Patient, nil)
					if err != nil && c.err == nil {
						c.err = err
					}
					pr.Results = res
				}
				select {
				case done <- c:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); close(done) }()

	// Writer: chunks come back in any order and leave in file order.
	pending := map[int]chunk{}
	next := 0
	for c := range done {
		pending[c.seq] = c
		for {
			c, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			for i := range c.patients {
				// Chunks still in flight when the run is cancelled are not delivered.
				if err := ctx.Err(); err != nil {
					return err
				}
				if err := fn(&c.patients[i]); err != nil {
					cancel()
					return err
				}
			}
			if c.err != nil {
				cancel()
				return c.err
			}
		}
	}
	return ctx.Err()
}

// readerOnly keeps the reader's problems that the field checks do not report again (values too
// long or of the wrong type are field-check results).
func readerOnly(probs []naaccr.Problem) []naaccr.Problem {
	var out []naaccr.Problem
	for _, p := range probs {
		if p.Code != naaccr.ProblemTooLong && p.Code != naaccr.ProblemDataType {
			out = append(out, p)
		}
	}
	return out
}
