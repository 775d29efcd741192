package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

func TestAdminAddsAndEditsFacilitiesWithClearErrors(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		admin := f.signIn(t, adminUser)
		vals := formOf(t, admin.get(t, "/admin/facilities/new"), "facility-form")
		tests := []struct {
			name  string
			set   map[string]string
			field string
			want  string
		}{
			{"no code", map[string]string{"code": "", "name": "Cedar"}, "code", "Code: required"},
			{"duplicate code", map[string]string{"code": "0000001001", "name": "Cedar"}, "code", "Code: a facility with code “0000001001” exists already"},
			{"no name", map[string]string{"code": "C1", "name": " "}, "name", "Name: required"},
			{"short NPI", map[string]string{"code": "C1", "name": "Cedar", "npi": "12345"}, "npi", "NPI: a National Provider Identifier has exactly 10 digits"},
			{"letters in NPI", map[string]string{"code": "C1", "name": "Cedar", "npi": "12345678AB"}, "npi", "10 digits"},
			{"long id number", map[string]string{"code": "C1", "name": "Cedar", "id_number": "12345678901"}, "id_number", "ID number (Reporting Facility [540]): exactly 10 digits"},
			{"letters in id number", map[string]string{"code": "C1", "name": "Cedar", "id_number": "00000030AB"}, "id_number", "exactly 10 digits"},
			{"short id number", map[string]string{"code": "C1", "name": "Cedar", "id_number": "3003"}, "id_number", "exactly 10 digits"},
			{"space in code", map[string]string{"code": "C 1", "name": "Cedar"}, "code", "Code: letters (A–Z), digits, - and _ only; got “C 1”"},
			{"markup in code", map[string]string{"code": "<b>C1</b>", "name": "Cedar"}, "code", "letters (A–Z), digits, - and _ only"},
			{"long code", map[string]string{"code": strings.Repeat("C", 33), "name": "Cedar"}, "code", "Code: up to 32 characters"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				form := url.Values{"_csrf": {vals.Get("_csrf")}}
				for k, v := range tt.set {
					form.Set(k, v)
				}
				p := admin.post(t, "/admin/facilities", form)
				p.wantStatus(http.StatusUnprocessableEntity)
				if msg := p.testid("error-" + tt.field).Text(); !strings.Contains(msg, tt.want) {
					t.Errorf("error beside %s %q, want %q", tt.field, msg, tt.want)
				}
				kept := formOf(t, p, "facility-form")
				for k, v := range tt.set {
					if got := kept.Get(k); got != strings.TrimSpace(v) {
						t.Errorf("%s %q not kept: %q", k, v, got)
					}
				}
			})
		}

		p := admin.post(t, "/admin/facilities", url.Values{"_csrf": {vals.Get("_csrf")}, "code": {"C1"}, "name": {"Cedar Clinic"},
			"npi": {"1234567893"}, "id_number": {"0000003003"}})
		p.wantStatus(http.StatusSeeOther)
		cedar, err := s.FacilityByCode(context.Background(), "C1")
		if err != nil || cedar.NPI != "1234567893" || cedar.IDNumber != "0000003003" {
			t.Fatalf("stored facility %+v, %v", cedar, err)
		}
		if evs := f.auditEvents(t, "facility.create", "facility", idString(cedar.ID)); len(evs) != 1 {
			t.Errorf("%d facility.create events, want 1", len(evs))
		}
		list := admin.get(t, "/admin/facilities")
		if n := list.testid("facility-row").Length(); n != 3 {
			t.Errorf("%d facilities listed, want 3", n)
		}

		path := "/admin/facilities/" + idString(cedar.ID)
		edit := formOf(t, admin.get(t, path), "facility-form")
		edit.Set("code", "0000002002") // B's
		p = admin.post(t, path, edit)
		p.wantStatus(http.StatusUnprocessableEntity)
		if !strings.Contains(p.testid("error-code").Text(), "exists already") {
			t.Errorf("no duplicate code error on edit\n%s", excerpt(p.body))
		}
		edit.Set("code", "C1")
		edit.Set("name", "Cedar Cancer Clinic")
		admin.post(t, path, edit).wantStatus(http.StatusSeeOther)
		if got, _ := s.FacilityByID(context.Background(), cedar.ID); got.Name != "Cedar Cancer Clinic" {
			t.Errorf("name after edit %q", got.Name)
		}
		if evs := f.auditEvents(t, "facility.update", "facility", idString(cedar.ID)); len(evs) != 1 || !strings.Contains(evs[0].Details, "Cedar Cancer Clinic") {
			t.Errorf("facility.update events %+v", evs)
		}
		admin.get(t, "/admin/facilities/99999").wantStatus(http.StatusNotFound)
	})
}

func TestFieldAndFilterErrorsQuoteHugeInputShortened(t *testing.T) {
	s := storetest.New(t, store.DialectSQLite)
	f := newFixture(t, s)
	admin := f.signIn(t, adminUser)
	vals := formOf(t, admin.get(t, "/admin/facilities/new"), "facility-form")
	huge := strings.Repeat("9", 1_000_000) // under the 2 MB body limit
	p := admin.post(t, "/admin/facilities", url.Values{"_csrf": {vals.Get("_csrf")}, "code": {"C1"}, "name": {"Cedar"}, "npi": {huge}})
	p.wantStatus(http.StatusUnprocessableEntity)
	if msg := p.testid("error-npi").Text(); len(msg) > 400 || !strings.Contains(msg, "…” (1,000,000 bytes)") {
		t.Errorf("NPI error of %d bytes: %.300q", len(msg), msg)
	}
	p = admin.get(t, "/admin/audit?case="+strings.Repeat("x", 100_000))
	p.wantStatus(http.StatusOK)
	if msg := p.testid("audit-error").Text(); len(msg) > 400 || !strings.Contains(msg, "…” (100,000 bytes)") {
		t.Errorf("audit filter error of %d bytes: %.300q", len(msg), msg)
	}
}
