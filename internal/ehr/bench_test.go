package ehr_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cara-registry/cara/internal/hl7"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

// BenchmarkParseAndMap reads pathology messages as the intake does, on one goroutine: the
// target is 5,000 messages a second on one core.
func BenchmarkParseAndMap(b *testing.B) {
	mp := mapper(b)
	// Reports of several diagnoses, so the look-up's answers are kept for more than one text.
	diagnoses := []string{"LEFT BREAST, 2 O'CLOCK, CORE BIOPSY:~INVASIVE DUCTAL CARCINOMA, GRADE 2",
		"RIGHT LUNG, UPPER LOBE, WEDGE RESECTION:~ADENOCARCINOMA, ACINAR PREDOMINANT", "PROSTATE, NEEDLE BIOPSIES:~ADENOCARCINOMA, GLEASON 3+4",
		"SIGMOID COLON, RESECTION:~ADENOCARCINOMA, MODERATELY DIFFERENTIATED", "SKIN, LEFT CHEEK, SHAVE:~SQUAMOUS CELL CARCINOMA",
		"RIGHT BREAST, EXCISION:~DUCTAL CARCINOMA IN SITU, SOLID TYPE", "THYROID, TOTAL THYROIDECTOMY:~PAPILLARY CARCINOMA",
		"URINARY BLADDER, TURBT:~UROTHELIAL CARCINOMA, HIGH GRADE", "KIDNEY, LEFT, NEPHRECTOMY:~CLEAR CELL RENAL CELL CARCINOMA",
		"LYMPH NODE, CERVICAL, EXCISION:~DIFFUSE LARGE B-CELL LYMPHOMA"}
	msgs := make([][]byte, 100)
	for i := range msgs {
		m := pathMessage(fmt.Sprint("B", i), fmt.Sprint(100000+i), "HALE", "ANNE", "19550304")
		m = strings.Replace(m, "LEFT BREAST, 2 O'CLOCK, CORE BIOPSY:~INVASIVE DUCTAL CARCINOMA, GRADE 2", diagnoses[i%len(diagnoses)], 1)
		msgs[i] = []byte(m)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m, err := hl7.Parse(msgs[i%len(msgs)])
		if err != nil {
			b.Fatal(err)
		}
		if _, p := mp.Map(m); p != nil {
			b.Fatal(p)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkMLLP10Senders sends pathology messages from 10 connections at once to the listener
// on loopback, each waiting for its ACK, into SQLite; every message must be stored once. The
// target is 200 messages a second in all.
func BenchmarkMLLP10Senders(b *testing.B) {
	s := storetest.New(b, store.DialectSQLite)
	f := newFixture(b, s)
	addr := listen(b, f, 1<<20)
	const senders = 10
	var next atomic.Int64
	run := fmt.Sprint(time.Now().UnixNano())
	b.ResetTimer()
	var wg sync.WaitGroup
	for w := 0; w < senders; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				b.Error(err)
				return
			}
			defer c.Close()
			r := bufio.NewReader(c)
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				msg := pathMessage(fmt.Sprintf("%s-%d", run, i), fmt.Sprint(200000+i%500), "ORTIZ", "LUIS", "19600102")
				if err := hl7.WriteFrame(c, []byte(msg)); err != nil {
					b.Error(err)
					return
				}
				ack, err := hl7.ReadFrame(r, 0)
				if err != nil {
					b.Error(err)
					return
				}
				if m, err := hl7.Parse(ack); err != nil {
					b.Error(err)
					return
				} else if code, _, text := msa(m); code != "AA" || text != "" {
					b.Errorf("ACK %s %q", code, text)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	if n, err := s.CountEHRReports(context.Background(), f.fac.ID); err != nil || n != int64(b.N) {
		b.Errorf("stored %d of %d messages (%v)", n, b.N, err)
	}
}
