package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

// TestRecordSubmissionOfManyCasesBindsThemToOneEvent records a batch larger than one statement of
// the bulk inserts (lowered to 60 values, ten links, for the test): every case is linked, marked
// submitted and has the step in its status history and its audit history; the batch's one audit
// event holds the digest of its cases, so that a link changed afterwards is found. It also reads
// the cases back through EachPendingPatient first, with its fast items decoder.
func TestRecordSubmissionOfManyCasesBindsThemToOneEvent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		store.SetBulkValues(s, 60)
		f := addFacility(t, s, "F")
		const n = 700
		pats := make([]naaccr.Patient, 0, 300)
		for i := range n {
			pats = append(pats, importPatient(fmt.Sprintf("%08d", i+1), "DOE \"Q\"\\é", "00"))
			if len(pats) == cap(pats) || i == n-1 {
				if _, err := s.ImportPatients(ctx, f.ID, "approved", pats, nil); err != nil {
					t.Fatal(err)
				}
				pats = pats[:0]
			}
		}
		var links []store.SubmissionTumor
		filter := store.PendingFilter{FacilityID: f.ID, Scope: store.AllFacilities}
		err := s.EachPendingPatient(ctx, filter, 0, func(p *store.Patient, ts []store.Tumor) error {
			if p.Items["nameLast"] != "DOE \"Q\"\\é" || len(ts) != 1 || ts[0].Items["medicalRecordNumber"] != p.PatientIDNumber+"-00" {
				return fmt.Errorf("patient %d read as %q with %d tumors", p.ID, p.Items, len(ts))
			}
			links = append(links, store.SubmissionTumor{TumorID: ts[0].ID, TumorVersion: ts[0].Version, Held: len(links)%100 == 0})
			return nil
		})
		if err != nil || len(links) != n {
			t.Fatalf("read %d pending cases (%v), want %d", len(links), err, n)
		}
		before, err := s.AuditChainHead(ctx)
		if err != nil {
			t.Fatal(err)
		}
		placed := ""
		sub, err := s.RecordSubmission(ctx, store.NewSubmission{
			Submission: store.Submission{FacilityID: f.ID, Kind: store.SubmissionRegular, NaaccrVersion: "260", RecordType: "A", SHA256: "x"},
			FileStem:   "F_20261102", FileExt: ".xml", Tumors: links,
		}, func(name string) error { placed = name; return nil })
		if err != nil || placed != "F_20261102_001.xml" {
			t.Fatalf("record: %v (placed %q)", err, placed)
		}
		var submitted, approved, linked int
		db := s.DB()
		for q, v := range map[string]*int{
			"SELECT COUNT(*) FROM tumors WHERE status = 'submitted'":                               &submitted,
			"SELECT COUNT(*) FROM tumors WHERE status = 'approved'":                                &approved,
			fmt.Sprintf("SELECT COUNT(*) FROM submission_tumors WHERE submission_id = %d", sub.ID): &linked,
		} {
			if err := db.QueryRowContext(ctx, q).Scan(v); err != nil {
				t.Fatal(err)
			}
		}
		if submitted != n-n/100 || approved != n/100 || linked != n {
			t.Errorf("submitted %d, approved %d, linked %d; want %d, %d, %d", submitted, approved, linked, n-n/100, n/100, n)
		}
		sentCase, heldCase := links[1].TumorID, links[0].TumorID
		hist, err := s.StatusHistory(ctx, sentCase, store.AllFacilities)
		if err != nil || len(hist) != 1 || hist[0].Action != "submit" || hist[0].ToStatus != "submitted" || hist[0].Reason != "submission "+placed {
			t.Errorf("status history of a sent case %+v (%v), want the submit step", hist, err)
		}
		if hist, err := s.StatusHistory(ctx, heldCase, store.AllFacilities); err != nil || len(hist) != 0 {
			t.Errorf("status history of a held case %+v (%v), want none", hist, err)
		}
		ch, err := s.CaseHistory(ctx, sentCase, store.AllFacilities)
		if err != nil || len(ch.Events) != 1 || ch.Events[0].Action != audit.SubmissionCreate {
			t.Errorf("audit history of a sent case %+v (%v), want the batch's event", ch, err)
		}
		after, err := s.AuditChainHead(ctx)
		if err != nil || after.LastID != before.LastID+1 {
			t.Errorf("audit head moved from %d to %d (%v), want one event", before.LastID, after.LastID, err)
		}
		if v, err := audit.Verify(ctx, s, storetest.AuditKey, nil); err != nil || v.Break != nil {
			t.Errorf("audit chain: %+v (%v)", v.Break, err)
		}
		if checked, bad, err := s.VerifySubmissions(ctx); err != nil || checked != 1 || len(bad) != 0 {
			t.Errorf("verify batches: %d checked, %+v (%v); want 1, none", checked, bad, err)
		}
		// A link changed behind the store's back: a held case made sent.
		if _, err := db.ExecContext(ctx, "UPDATE submission_tumors SET held = ? WHERE submission_id = ? AND tumor_id = ?", false, sub.ID, heldCase); err != nil {
			t.Fatal(err)
		}
		if _, bad, err := s.VerifySubmissions(ctx); err != nil || len(bad) != 1 || bad[0].SubmissionID != sub.ID {
			t.Errorf("verify batches after a link changed: %+v (%v), want the batch", bad, err)
		}
	})
}
