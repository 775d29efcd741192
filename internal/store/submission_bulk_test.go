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

// TestRecordSubmissionOfManyCasesChainsEveryEvent records a batch larger than one statement of
// the bulk inserts (links and audit events go several thousand rows a statement): every case
// is linked, marked submitted, in the status history and audited, and the audit chain verifies.
// It also reads the cases back through EachPendingPatient first, with its fast items decoder.
func TestRecordSubmissionOfManyCasesChainsEveryEvent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := addFacility(t, s, "F")
		const n = 7000
		pats := make([]naaccr.Patient, 0, 1000)
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
		var submitted, approved, history, linked int
		db := s.DB()
		for q, v := range map[string]*int{
			"SELECT COUNT(*) FROM tumors WHERE status = 'submitted'":                               &submitted,
			"SELECT COUNT(*) FROM tumors WHERE status = 'approved'":                                &approved,
			"SELECT COUNT(*) FROM status_changes WHERE action = 'submit'":                          &history,
			fmt.Sprintf("SELECT COUNT(*) FROM submission_tumors WHERE submission_id = %d", sub.ID): &linked,
		} {
			if err := db.QueryRowContext(ctx, q).Scan(v); err != nil {
				t.Fatal(err)
			}
		}
		if submitted != n-n/100 || approved != n/100 || history != submitted || linked != n {
			t.Errorf("submitted %d, approved %d, history %d, linked %d; want %d, %d, %d, %d", submitted, approved, history, linked, n-n/100, n/100, n-n/100, n)
		}
		after, err := s.AuditChainHead(ctx)
		if err != nil || after.LastID != before.LastID+uint64(submitted)+1 {
			t.Errorf("audit head moved from %d to %d (%v), want %d events", before.LastID, after.LastID, err, submitted+1)
		}
		if v, err := audit.Verify(ctx, s, nil); err != nil || v.Break != nil {
			t.Errorf("audit chain: %+v (%v)", v.Break, err)
		}
	})
}
