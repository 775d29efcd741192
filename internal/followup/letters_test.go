package followup_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/internal/followup"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
	"github.com/cara-registry/cara/schemas"
)

func TestPrintLettersMakesOnePDFOfTheMonthAndRecordsEachLetterSent(t *testing.T) {
	ls, err := followup.LoadLetters(schemas.FS)
	if err != nil {
		t.Fatal(err)
	}
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		fac, ids := seedDue(t, s)
		svc := followup.New(s, nil, nil, nil, followup.Options{Now: func() time.Time { return today }})
		a := followup.Actor{Role: auth.RoleRegistrar, Scope: store.FacilityScope(fac)}
		var pdf bytes.Buffer
		run, err := svc.PrintLetters(ctx, a, ls, followup.LetterQuery{Scope: a.Scope, Facility: &store.Facility{Name: "Alder General"}, Month: "202611"}, &pdf)
		if err != nil {
			t.Fatal(err)
		}
		if run.Letters != 2 || run.Cases != 2 || !bytes.HasPrefix(pdf.Bytes(), []byte("%PDF-")) {
			t.Errorf("run = %+v, %d bytes starting %q", run, pdf.Len(), pdf.Bytes()[:min(8, pdf.Len())])
		}
		sent, err := s.LettersSent(ctx, a.Scope, 0)
		if err != nil {
			t.Fatal(err)
		}
		got := map[uint]string{}
		for _, l := range sent {
			got[l.TumorID] = l.RecipientKind
		}
		if len(sent) != 2 || got[ids["Due"]] != followup.RecipientPhysician || got[ids["PartialDate"]] != followup.RecipientPhysician {
			t.Errorf("letters sent = %+v", sent)
		}
		if _, err := svc.PrintLetters(ctx, a, ls, followup.LetterQuery{Scope: a.Scope}, &pdf); err == nil {
			t.Error("letters without a month were printed")
		}
	})
}

// BenchmarkLetters prints the letters of 1,000 patients due in one month, one PDF, on SQLite
// (the target is under 10 s).
func BenchmarkLetters(b *testing.B) {
	ls, err := followup.LoadLetters(schemas.FS)
	if err != nil {
		b.Fatal(err)
	}
	s := storetest.New(b, store.DialectSQLite)
	ctx := context.Background()
	fac := &store.Facility{Code: "BIG", Name: "Big General"}
	if err := s.CreateFacility(ctx, fac); err != nil {
		b.Fatal(err)
	}
	var pats []naaccr.Patient
	for i := range 1000 {
		pats = append(pats, naaccr.Patient{Items: map[string]string{"patientIdNumber": fmt.Sprintf("%08d", i+1), "nameLast": fmt.Sprintf("Name%d", i),
			"nameFirst": "Pat", "dateOfBirth": "19500101", "vitalStatus": "1", "dateOfLastContact": fmt.Sprintf("202511%02d", 1+i%28),
			"addrCurrentNoStreet": "1 Main St", "addrCurrentCity": "Springfield", "addrCurrentState": "IL", "addrCurrentPostalCode": "62701"},
			Tumors: []naaccr.Tumor{{Items: map[string]string{"classOfCase": "14", "primarySite": "C509", "histologicTypeIcdO3": "8500",
				"behaviorCodeIcdO3": "3", "dateOfDiagnosis": "20200105", "nextFollowUpSource": []string{"1", "2", "4"}[i%3], "physicianFollowUp": "12345678"}}}})
	}
	if _, err := s.ImportPatients(ctx, fac.ID, "submitted", pats, nil); err != nil {
		b.Fatal(err)
	}
	svc := followup.New(s, nil, nil, nil, followup.Options{Now: func() time.Time { return today }})
	a := followup.Actor{Role: auth.RoleRegistrar, Scope: store.FacilityScope(fac.ID)}
	for b.Loop() {
		var pdf bytes.Buffer
		run, err := svc.PrintLetters(ctx, a, ls, followup.LetterQuery{Scope: a.Scope, Facility: fac, Month: "202611"}, &pdf)
		if err != nil {
			b.Fatal(err)
		}
		if run.Letters != 1000 {
			b.Fatalf("%d letters", run.Letters)
		}
		b.ReportMetric(float64(pdf.Len()), "pdf-bytes")
	}
}
