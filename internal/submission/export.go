package submission

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/store"
)

// Source is what an export reads: patients with their tumors, streamed in batches.
type Source interface {
	EachPatient(ctx context.Context, f store.PatientFilter, batchSize int, fn func(p *store.Patient, tumors []store.Tumor) error) error
}

// ExportOptions choose what goes into a file.
type ExportOptions struct {
	Filter store.PatientFilter
	// Translator converts each patient from the store's NAACCR version to dict's; nil when the
	// file is written in the store's version.
	Translator    *naaccr.Translator
	RootItems     map[string]string // file-level items such as registryId
	TimeGenerated time.Time         // zero leaves the attribute out, for reproducible files
}

// ExportStats counts what was written.
type ExportStats struct {
	Patients int
	Tumors   int
	// Translation says which values could not be carried into an older version's file.
	Translation naaccr.TranslateReport
}

// Export writes the cases in scope as a NAACCR XML file of record type A in the dictionary's
// version, one patient at a time, so memory does not grow with the number of cases.
func Export(ctx context.Context, src Source, dict *naaccr.Dictionary, w io.Writer, opt ExportOptions) (ExportStats, error) {
	var st ExportStats
	xw, err := naaccr.NewWriter(w, dict, naaccr.Header{RecordType: "A", TimeGenerated: opt.TimeGenerated, RootItems: opt.RootItems})
	if err != nil {
		return st, fmt.Errorf("submission: export: %w", err)
	}
	var p naaccr.Patient
	err = src.EachPatient(ctx, opt.Filter, 500, func(sp *store.Patient, tumors []store.Tumor) error {
		p.Items = sp.Items
		p.Tumors = p.Tumors[:0]
		for _, t := range tumors {
			p.Tumors = append(p.Tumors, naaccr.Tumor{Items: t.Items})
		}
		out := &p
		if opt.Translator != nil {
			var rep naaccr.TranslateReport
			out, rep = opt.Translator.Patient(&p)
			st.Translation.Add(rep)
		}
		if err := xw.WritePatient(out); err != nil {
			return fmt.Errorf("patient %d: %w", sp.ID, err)
		}
		st.Patients++
		st.Tumors += len(tumors)
		return nil
	})
	if err != nil {
		return st, fmt.Errorf("submission: export: %w", err)
	}
	if err := xw.Close(); err != nil {
		return st, fmt.Errorf("submission: export: %w", err)
	}
	return st, nil
}
