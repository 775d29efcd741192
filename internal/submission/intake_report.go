package submission

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/cara-registry/cara/internal/csvsafe"
	"github.com/cara-registry/cara/internal/edits"
	"github.com/cara-registry/cara/internal/store"
)

// WriteReport writes an intake's report: "text" (summary, counts by edit and the failing
// records), "csv" (one line per stored failing record) or "html" (the batch edit report page).
func (k *Intaker) WriteReport(ctx context.Context, w io.Writer, in *store.Intake, format string) error {
	counts, err := k.Store.IntakeEditCounts(ctx, in.ID)
	if err != nil {
		return err
	}
	names := map[string]string{}
	if k.Edits != nil {
		for _, ed := range k.Edits.Edits {
			names[ed.ID] = ed.Name
		}
	}
	total := in.EditErrors + in.EditWarnings + in.StructuralErrors
	var notes []string
	notes = append(notes, fmt.Sprintf("NAACCR version %s, record type %s; %d tumors already received; %d tumors without error-severity failures.",
		orDash(in.NaaccrVersion), orDash(in.RecordType), in.Duplicates, in.AcceptableTumors))
	if total > in.FailuresStored {
		notes = append(notes, fmt.Sprintf("Only the first %d of %d failures are listed (at most %d are kept per intake).", in.FailuresStored, total, MaxIntakeFailures))
	}
	switch format {
	case "csv":
		cw := csvsafe.NewWriter(w)
		_ = cw.Write([]string{"patient", "tumor", "patientIdNumber", "sequence", "edit", "severity", "item", "message"})
		err := k.Store.EachIntakeFailure(ctx, in.ID, func(f *store.IntakeFailure) error {
			return cw.Write([]string{strconv.Itoa(f.PatientIndex), strconv.Itoa(f.TumorIndex), f.PatientIDNumber, f.TumorSequence, f.EditID, f.Severity, f.Item, f.Message})
		})
		if err != nil {
			return err
		}
		cw.Flush()
		return cw.Error()
	case "html":
		byID := map[string]*edits.EditSummary{}
		var list []*edits.EditSummary
		for _, c := range counts {
			key := c.EditID + "\x00" + c.Severity
			s := &edits.EditSummary{ID: c.EditID, Name: cmpOr(names[c.EditID], c.EditID), Severity: c.Severity, Count: c.Count}
			byID[key] = s
			list = append(list, s)
		}
		err := k.Store.EachIntakeFailure(ctx, in.ID, func(f *store.IntakeFailure) error {
			if s := byID[f.EditID+"\x00"+f.Severity]; s != nil && len(s.Examples) < edits.MaxExamplesPerEdit {
				s.Examples = append(s.Examples, edits.Failure{Patient: f.PatientIndex, Tumor: f.TumorIndex, PatientIDNumber: f.PatientIDNumber,
					Edit: f.EditID, Severity: f.Severity, Items: []string{f.Item}, Message: f.Message})
			}
			return nil
		})
		if err != nil {
			return err
		}
		return edits.WriteHTMLReport(w, edits.HTMLReport{File: in.FileName, Patients: in.Patients, Tumors: in.Tumors,
			Errors: in.EditErrors + in.StructuralErrors, Warnings: in.EditWarnings, Failed: in.Tumors - in.AcceptableTumors,
			Edits: list, Notes: notes})
	}
	fmt.Fprintf(w, "%s: %s; %d patients, %d tumors; %d error and %d warning failures; %d structural errors; %d tumors acceptable; %d already received\n",
		in.FileName, in.State, in.Patients, in.Tumors, in.EditErrors, in.EditWarnings, in.StructuralErrors, in.AcceptableTumors, in.Duplicates)
	fmt.Fprintf(w, "NAACCR version %s, record type %s, reporting facilities %s\n", orDash(in.NaaccrVersion), orDash(in.RecordType), in.FacilitiesSeen)
	if in.Error != "" {
		fmt.Fprintf(w, "failed: %s\n", in.Error)
	}
	for _, c := range counts {
		fmt.Fprintf(w, "  %6d  %-7s  %-40s %s\n", c.Count, c.Severity, c.EditID, names[c.EditID])
	}
	if total > in.FailuresStored {
		fmt.Fprintln(w, notes[len(notes)-1])
	}
	return k.Store.EachIntakeFailure(ctx, in.ID, func(f *store.IntakeFailure) error {
		tumor := "patient"
		if f.TumorIndex >= 0 {
			tumor = "tumor " + strconv.Itoa(f.TumorIndex)
		}
		_, err := fmt.Fprintf(w, "patient %d (%s), %s: %s %s: %s\n", f.PatientIndex, f.PatientIDNumber, tumor, f.Severity, f.EditID, f.Message)
		return err
	})
}

func orDash(s string) string { return cmpOr(s, "–") }

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
