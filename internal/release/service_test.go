package release_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"maps"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/internal/codes"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/release"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
	"github.com/cara-registry/cara/schemas"
)

type fixture struct {
	svc          *release.Service
	st           *store.Store
	clock        *time.Time
	admin, reg   release.Actor
	facA, facB   uint
	patA1, patB1 uint
	dir          string
}

func newFixture(t *testing.T, s *store.Store) *fixture {
	t.Helper()
	ctx := context.Background()
	dict, err := naaccr.LoadBaseDictionary(schemas.FS, "260")
	if err != nil {
		t.Fatal(err)
	}
	pol, err := release.LoadPolicy(schemas.FS)
	if err != nil {
		t.Fatal(err)
	}
	groups, err := codes.LoadSiteGroups(schemas.FS)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: s, dir: t.TempDir()}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	f.clock = &now
	f.svc = release.New(s, dict, pol, groups, release.Options{Dir: f.dir, Now: func() time.Time { return *f.clock }})
	for _, code := range []string{"A", "B"} {
		fac := &store.Facility{Code: code, Name: "Facility " + code}
		if err := s.CreateFacility(ctx, fac); err != nil {
			t.Fatal(err)
		}
		if code == "A" {
			f.facA = fac.ID
		} else {
			f.facB = fac.ID
		}
	}
	adm := &store.User{Username: "admin", Role: "admin"}
	reg := &store.User{Username: "reg", Role: "registrar", FacilityID: &f.facA}
	for _, u := range []*store.User{adm, reg} {
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	f.admin = release.Actor{UserID: adm.ID, Role: auth.RoleAdmin, Scope: store.AllFacilities}
	f.reg = release.Actor{UserID: reg.ID, Role: auth.RoleRegistrar, Scope: store.FacilityScope(f.facA)}
	add := func(fac uint, last, dob, zip string, tumors ...map[string]string) uint {
		p := naaccr.Patient{Items: map[string]string{"nameLast": last, "nameFirst": "Ann", "dateOfBirth": dob,
			"socialSecurityNumber": "123456789", "sexAssignedAtBirth": "2"}}
		for _, ti := range tumors {
			ti["addrAtDxPostalCode"] = zip
			p.Tumors = append(p.Tumors, naaccr.Tumor{Items: ti})
		}
		row, err := s.CreatePatient(ctx, fac, p, "completed")
		if err != nil {
			t.Fatal(err)
		}
		return row.ID
	}
	f.patA1 = add(f.facA, "Doe", "19340615", "02115",
		map[string]string{"primarySite": "C509", "dateOfDiagnosis": "20240310", "ageAtDiagnosis": "089", "histologicTypeIcdO3": "8500", "medicalRecordNumber": "MRN1", "textRemarks": "Ann Doe called"},
		map[string]string{"primarySite": "C619", "dateOfDiagnosis": "20250101", "ageAtDiagnosis": "090", "histologicTypeIcdO3": "8140", "medicalRecordNumber": "MRN1"})
	add(f.facA, "Roe", "19500101", "03601",
		map[string]string{"primarySite": "C341", "dateOfDiagnosis": "2023", "ageAtDiagnosis": "073", "histologicTypeIcdO3": "8070"})
	f.patB1 = add(f.facB, "Poe", "19600101", "10001",
		map[string]string{"primarySite": "C500", "dateOfDiagnosis": "20240505", "ageAtDiagnosis": "064", "histologicTypeIcdO3": "8500"})
	return f
}

var items = []string{"nameLast", "dateOfBirth", "socialSecurityNumber", "sexAssignedAtBirth", "primarySite",
	"dateOfDiagnosis", "ageAtDiagnosis", "histologicTypeIcdO3", "addrAtDxPostalCode", "medicalRecordNumber", "textRemarks"}

func (f *fixture) approved(t *testing.T, level, basis string, flt release.Filters) *release.Request {
	t.Helper()
	ctx := context.Background()
	r, err := f.svc.Draft(ctx, f.reg, release.RequestInput{RequesterName: "Dr. Lee", Organization: "State U", Email: "lee@example.org",
		Purpose: "Breast cancer survival study", LegalBasis: basis, LegalReference: "IRB-2026-14", PrivacyLevel: level, Items: items, Filters: flt})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Approve(ctx, f.reg, r.ID, f.clock.Add(48*time.Hour), ""); !errors.Is(err, release.ErrForbidden) {
		t.Fatalf("registrar approves: %v", err)
	}
	r, err = f.svc.Approve(ctx, f.admin, r.ID, f.clock.Add(48*time.Hour), "minimum necessary checked")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func readCSV(t *testing.T, f *fixture, a release.Actor, id uint) [][]string {
	t.Helper()
	_, file, err := f.svc.Open(context.Background(), a, id)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	rows, err := csv.NewReader(file).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestReleaseRequestApproveRunDownloadAndAccounting(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newFixture(t, s)
		r := f.approved(t, "deidentified", "irb", release.Filters{YearFrom: 2024, YearTo: 2025})
		// The registrar's scope is facility A: patient B1 is not released.
		rel, err := f.svc.Run(ctx, f.reg, r.ID, release.FormatCSV)
		if err != nil {
			t.Fatal(err)
		}
		if rel.Patients != 1 || rel.Tumors != 2 || len(rel.SHA256) != 64 {
			t.Fatalf("release: %d patients, %d tumors, sha %q", rel.Patients, rel.Tumors, rel.SHA256)
		}
		rows := readCSV(t, f, f.reg, rel.ID)
		want := [][]string{
			{"sexAssignedAtBirth", "dateOfBirth", "addrAtDxPostalCode", "primarySite", "dateOfDiagnosis", "ageAtDiagnosis", "histologicTypeIcdO3"},
		}
		got := strings.Join(rows[0], ",")
		for _, w := range want[0] {
			if !strings.Contains(got, w) {
				t.Errorf("header %q lacks %s", got, w)
			}
		}
		for _, bad := range []string{"nameLast", "socialSecurityNumber", "medicalRecordNumber", "textRemarks"} {
			if strings.Contains(got, bad) {
				t.Errorf("header %q has %s", got, bad)
			}
		}
		body := ""
		for _, row := range rows[1:] {
			body += strings.Join(row, ",") + "\n"
		}
		// Ann Doe is 90 at her second diagnosis: her year of birth (1934) goes too.
		for _, bad := range []string{"Doe", "123456789", "MRN1", "1934", "20240310", "02115", "called"} {
			if strings.Contains(body, bad) {
				t.Errorf("de-identified extract holds %q:\n%s", bad, body)
			}
		}
		for _, good := range []string{"2024", "021", "089", "090", "C509", "8500"} {
			if !strings.Contains(body, good) {
				t.Errorf("de-identified extract lacks %q:\n%s", good, body)
			}
		}
		// A file changed on disk is not released.
		if err := os.WriteFile(rel.FilePath, []byte("tampered"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.svc.Open(ctx, f.reg, rel.ID); !errors.Is(err, release.ErrChanged) {
			t.Fatalf("download of a changed file: %v", err)
		}
		// The accounting of disclosures lists the release for A1 and not for B1.
		ds, err := f.svc.Disclosures(ctx, f.admin, f.patA1)
		if err != nil || len(ds) != 1 || ds[0].Request.RequesterName != "Dr. Lee" || ds[0].Tumors != 2 {
			t.Fatalf("disclosures of A1: %+v, %v", ds, err)
		}
		if ds, err := f.svc.Disclosures(ctx, f.admin, f.patB1); err != nil || len(ds) != 0 {
			t.Fatalf("disclosures of B1: %+v, %v", ds, err)
		}
		if _, err := f.svc.Disclosures(ctx, f.reg, f.patB1); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("registrar of A reads B1's disclosures: %v", err)
		}
		// After the approval expires: no more runs, and the file is purged and says so.
		*f.clock = f.clock.Add(49 * time.Hour)
		if _, err := f.svc.Run(ctx, f.admin, r.ID, release.FormatCSV); !errors.Is(err, release.ErrNotRunning) {
			t.Fatalf("run after expiry: %v", err)
		}
		if got, _ := f.svc.Get(ctx, r.ID); got.Status != release.StatusExpired {
			t.Fatalf("status after expiry %q", got.Status)
		}
		if _, _, err := f.svc.Open(ctx, f.admin, rel.ID); !errors.Is(err, release.ErrPurged) {
			t.Fatalf("download after expiry: %v", err)
		}
		if _, err := os.Stat(rel.FilePath); !os.IsNotExist(err) {
			t.Fatalf("file still there: %v", err)
		}
		var n int
		if err := s.DB().QueryRow("SELECT COUNT(*) FROM audit_events WHERE action IN ('release.run','release.download','release.purge','release.request_approve','release.disclosures_view')").Scan(&n); err != nil || n < 5 {
			t.Fatalf("audit events %d, %v", n, err)
		}
	})
}

func TestReleaseFormatsAndLevels(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newFixture(t, s)
		lim := f.approved(t, "limited", "dua", release.Filters{SiteGroups: []string{"breast"}})
		rel, err := f.svc.Run(ctx, f.admin, lim.ID, release.FormatXML)
		if err != nil {
			t.Fatal(err)
		}
		if rel.Patients != 2 || rel.Tumors != 2 {
			t.Fatalf("breast: %d patients, %d tumors", rel.Patients, rel.Tumors)
		}
		_, file, err := f.svc.Open(ctx, f.admin, rel.ID)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(file)
		file.Close()
		x := string(b)
		if !strings.Contains(x, `recordType="I"`) || !strings.Contains(x, "19340615") || !strings.Contains(x, "02115") {
			t.Fatalf("limited XML keeps dates and ZIP, record type I (only incidence items are left):\n%s", x)
		}
		for _, bad := range []string{"Doe", "123456789", "MRN1", "called", "C619"} {
			if strings.Contains(x, bad) {
				t.Fatalf("limited XML holds %q:\n%s", bad, x)
			}
		}
		idd := f.approved(t, "identified", "public_health", release.Filters{Sites: []string{"C619"}})
		rel, err = f.svc.Run(ctx, f.admin, idd.ID, release.FormatXLSX)
		if err != nil {
			t.Fatal(err)
		}
		_, file, err = f.svc.Open(ctx, f.admin, rel.ID)
		if err != nil {
			t.Fatal(err)
		}
		b, _ = io.ReadAll(file)
		file.Close()
		zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatalf("xlsx is not a zip: %v", err)
		}
		all := ""
		for _, zf := range zr.File {
			rc, _ := zf.Open()
			c, _ := io.ReadAll(rc)
			rc.Close()
			all += string(c)
		}
		if !strings.Contains(all, "Doe") || !strings.Contains(all, "C619") || strings.Contains(all, "C509") {
			t.Fatalf("identified xlsx of C619 should hold the name and only C619")
		}
		if got := f.svc.RecordType([]string{"primarySite", "dateOfDiagnosis"}); got != "I" {
			t.Errorf("record type of incidence items %q", got)
		}
		if got := f.svc.RecordType([]string{"primarySite", "nameLast"}); got != "A" {
			t.Errorf("record type with a name %q", got)
		}
	})
}

func TestReleaseAggregateIsSuppressed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		r := f.approved(t, "deidentified", "irb", release.Filters{})
		tab, err := f.svc.Aggregate(context.Background(), f.admin, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range tab.Cells {
			for _, c := range row {
				if c.Count > 0 && c.Text != "<11" && c.Text != "*" {
					t.Fatalf("a count of %d shown as %q", c.Count, c.Text)
				}
			}
		}
		if len(tab.Rows) < 2 || len(tab.Cols) < 2 {
			t.Fatalf("table %v × %v", tab.Rows, tab.Cols)
		}
	})
}

func TestReleaseDraftRefusesMistakes(t *testing.T) {
	s := storetest.New(t, store.DialectSQLite)
	f := newFixture(t, s)
	base := release.RequestInput{RequesterName: "X", Purpose: "p", LegalBasis: "irb", LegalReference: "1", PrivacyLevel: "limited", Items: []string{"primarySite"}}
	tests := []struct {
		field string
		edit  func(*release.RequestInput)
	}{
		{"requester_name", func(in *release.RequestInput) { in.RequesterName = " " }},
		{"purpose", func(in *release.RequestInput) { in.Purpose = "" }},
		{"legal_basis", func(in *release.RequestInput) { in.LegalBasis = "friendship" }},
		{"legal_reference", func(in *release.RequestInput) { in.LegalReference = "" }},
		{"privacy_level", func(in *release.RequestInput) { in.PrivacyLevel = "identified" }},
		{"privacy_level", func(in *release.RequestInput) { in.PrivacyLevel = "open" }},
		{"email", func(in *release.RequestInput) { in.Email = "not an address" }},
		{"items", func(in *release.RequestInput) { in.Items = []string{"primarySite", "noSuchItem"} }},
		{"items", func(in *release.RequestInput) { in.Items = nil }},
		{"years", func(in *release.RequestInput) { in.Filters.YearFrom, in.Filters.YearTo = 2025, 2020 }},
		{"sites", func(in *release.RequestInput) { in.Filters.Sites = []string{"C50"} }},
		{"site_groups", func(in *release.RequestInput) { in.Filters.SiteGroups = []string{"nowhere"} }},
	}
	for _, tt := range tests {
		in := base
		tt.edit(&in)
		_, err := f.svc.Draft(context.Background(), f.reg, in)
		var fe release.FieldErrors
		if !errors.As(err, &fe) || fe[tt.field] == "" {
			t.Errorf("%s: err %v", tt.field, err)
		}
	}
	if _, err := f.svc.Draft(context.Background(), f.reg, base); err != nil {
		t.Fatalf("valid draft: %v", err)
	}
}

// TestReleaseAggregateCountsAsTheCasesDo checks the aggregate, one GROUP BY in the database,
// against the request's cases read one by one (the extract's path), for each kind of filter.
func TestReleaseAggregateCountsAsTheCasesDo(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newFixture(t, s)
		groupOf := func(site string) string {
			for _, g := range f.svc.SiteGroups() {
				if g.Contains(site) {
					return g.Label
				}
			}
			return "Other sites"
		}
		for _, tc := range []struct {
			name     string
			flt      release.Filters
			from, to string
			sites    [][2]string
			statuses []string
		}{
			{name: "all"},
			{name: "years", flt: release.Filters{YearFrom: 2024, YearTo: 2024}, from: "2024", to: "2024"},
			{name: "to only", flt: release.Filters{YearTo: 2023}, to: "2023"},
			{name: "sites", flt: release.Filters{Sites: []string{"C500-C509"}}, sites: [][2]string{{"C500", "C509"}}},
			{name: "status", flt: release.Filters{Statuses: []string{"completed"}}, statuses: []string{"completed"}},
		} {
			want := map[[2]string]int{}
			pf := store.PatientFilter{Scope: store.AllFacilities, Statuses: tc.statuses, DiagnosedFrom: tc.from, DiagnosedTo: tc.to}
			if err := s.EachPatient(ctx, pf, 100, func(_ *store.Patient, ts []store.Tumor) error {
				for _, tu := range ts {
					if tc.sites != nil && (tu.PrimarySite < tc.sites[0][0] || tu.PrimarySite > tc.sites[0][1]) {
						continue
					}
					y := release.DateYear(tu.DateOfDiagnosis)
					if y == "" {
						y = "Unknown"
					}
					want[[2]string{groupOf(tu.PrimarySite), y}]++
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			r := f.approved(t, "deidentified", "irb", tc.flt)
			tab, err := f.svc.Aggregate(ctx, f.admin, r.ID)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			got := map[[2]string]int{}
			for i, row := range tab.Rows {
				for j, col := range tab.Cols {
					if n := tab.Cells[i][j].Count; n > 0 {
						got[[2]string{row, col}] = n
					}
				}
			}
			if !maps.Equal(got, want) {
				t.Errorf("%s: aggregate %v, the cases give %v", tc.name, got, want)
			}
		}
	})
}
