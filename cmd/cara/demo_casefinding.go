package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/internal/casefinding"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/schemas"
)

// demoSuspense fills the demo facility's suspense list, imported as the registrar would: two
// stored patients found again (one at the site of their abstract, one with a code of another
// site), new patients from the disease index, a pathology report and a chemotherapy encounter,
// a personal history code to review, and a basal cell carcinoma that is set aside.
func demoSuspense(ctx context.Context, s *store.Store, f *store.Facility, registrar *uint, now time.Time) error {
	pats, err := s.MatchPatients(ctx, f.ID)
	if err != nil {
		return fmt.Errorf("demo suspense: %w", err)
	}
	day := func(ago int) string { return now.AddDate(0, 0, -ago).Format("20060102") }
	var b strings.Builder
	b.WriteString("mrn,last_name,first_name,date_of_birth,sex,encounter_date,icd10cm_codes,source,text\n")
	sexOf := map[string]string{"1": "M", "2": "F"}
	// The demo's first two patients with a tumor at a site that has an ICD-10-CM category.
	found := 0
	for _, p := range pats {
		if found == 2 || len(p.Tumors) == 0 || len(p.Tumors[0].PrimarySite) < 3 || p.Tumors[0].PrimarySite[:3] > "C80" {
			continue
		}
		t := p.Tumors[0]
		code := t.PrimarySite[:3] // the category of the abstract's site: already abstracted
		if found == 1 {
			// A site none of the patient's tumors is at: a new primary?
		next:
			for _, c := range []string{"C18.7", "C61", "C34.90", "C50.911"} {
				for _, pt := range p.Tumors {
					if strings.HasPrefix(pt.PrimarySite, c[:3]) {
						continue next
					}
				}
				code = c
				break
			}
		}
		fmt.Fprintf(&b, "%s,%s,%s,%s,%s,%s,%s,disease index,\n", t.MRN, p.NameLast, p.NameFirst, p.DateOfBirth, sexOf[p.Sex], day(20+found*9), code)
		found++
	}
	b.WriteString("DM900101,Quinlan,Maeve,19620415,F," + day(45) + ",C50.411;Z17.0,pathology report,Invasive ductal carcinoma left breast UOQ\n")
	b.WriteString("DM900102,Okafor,Emeka,19550920,M," + day(12) + ",C61,disease index,\n")
	b.WriteString("DM900103,Lindqvist,Ingrid,19480302,F," + day(33) + ",Z51.11;C34.12,chemotherapy,Cycle 1 carboplatin/pemetrexed\n")
	b.WriteString("DM900104,Haddad,Samir,19700111,M," + day(8) + ",Z85.3,physician office,Breast cancer history; new mass?\n")
	b.WriteString("DM900105,Ortiz,Luis,19600102,M," + day(5) + ",C44.311,disease index,\n")
	b.WriteString("DM900106,Nguyen,Linh,19811205,F," + day(190) + ",C73,radiation therapy,RAI ablation\n")
	lists, err := casefinding.Load(schemas.FS)
	if err != nil {
		return err
	}
	svc := casefinding.New(s, lists, nil, func() time.Time { return now })
	_, err = svc.Import(ctx, casefinding.Actor{UserID: registrar, Role: auth.RoleRegistrar, Scope: store.FacilityScope(f.ID)},
		f.ID, strings.NewReader(b.String()), "demo-casefinding.csv", "other")
	if err != nil {
		return fmt.Errorf("demo suspense: %w", err)
	}
	return nil
}
