package web_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

func TestAdminAddsASenderWhoseTokenIsShownOnceAndRevokesIt(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../fhirintake/testdata/breast.json")
	if err != nil {
		t.Fatal(err)
	}
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		ctx := context.Background()
		admin := f.signIn(t, adminUser)
		vals := formOf(t, admin.get(t, "/admin/senders"), "sender-form")
		facA := idString(f.facA)
		for _, tt := range []struct {
			name, facility, sender, field, want string
		}{
			{"no facility", "", "State lab", "facility", "Facility: choose the facility"},
			{"unknown facility", "99999", "State lab", "facility", "Facility: no facility “99999”"},
			{"no name", facA, "  ", "name", "Name: say who the sender is"},
			{"long name", facA, strings.Repeat("x", 101), "name", "Name: at most 100 characters"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				p := admin.post(t, "/admin/senders", url.Values{"_csrf": {vals.Get("_csrf")}, "facility": {tt.facility}, "name": {tt.sender}})
				p.wantStatus(http.StatusUnprocessableEntity)
				if msg := p.testid("error-" + tt.field).Text(); !strings.Contains(msg, tt.want) {
					t.Errorf("error beside %s %q, want %q", tt.field, msg, tt.want)
				}
				if kept := formOf(t, p, "sender-form"); kept.Get("name") != tt.sender {
					t.Errorf("name %q not kept: %q", tt.sender, kept.Get("name"))
				}
			})
		}
		if list, _ := s.EHRSenders(ctx, 0); len(list) != 0 {
			t.Fatalf("refused senders were stored: %+v", list)
		}

		p := admin.post(t, "/admin/senders", url.Values{"_csrf": {vals.Get("_csrf")}, "facility": {facA}, "name": {"Epic bridge"}})
		p.wantStatus(http.StatusCreated)
		tok := strings.TrimSpace(p.testid("token").Text())
		if !strings.HasPrefix(tok, "cara-mllp-") || p.header.Get("Cache-Control") != "no-store" {
			t.Fatalf("token %q, Cache-Control %q: want the token shown, not cached", tok, p.header.Get("Cache-Control"))
		}
		list, err := s.EHRSenders(ctx, 0)
		if err != nil || len(list) != 1 || list[0].TokenHash != auth.HashToken(tok) || list[0].FacilityID != f.facA {
			t.Fatalf("senders %+v, %v: want one of facility A with the token's hash", list, err)
		}
		id := idString(list[0].ID)
		if evs := f.auditEvents(t, "ehr.sender_add", "ehr_sender", id); len(evs) != 1 {
			t.Errorf("%d ehr.sender_add events, want 1", len(evs))
		}
		again := admin.get(t, "/admin/senders")
		if strings.Contains(again.body, tok) || again.testid("sender-row").Length() != 1 {
			t.Fatalf("the list shows the token again or not one sender\n%s", excerpt(again.body))
		}
		c := f.newClient()
		if status, oo := c.postFHIR(t, "", raw, "Authorization", "Bearer "+tok); status != http.StatusCreated {
			t.Fatalf("bundle with the new token: %d\n%s", status, oo)
		}

		ask := admin.post(t, "/admin/senders/"+id+"/revoke", url.Values{"_csrf": {vals.Get("_csrf")}})
		ask.wantStatus(http.StatusOK)
		if !strings.Contains(ask.testid("revoke-question").Text(), "Epic bridge") {
			t.Fatalf("no confirmation question\n%s", excerpt(ask.body))
		}
		if l, _ := s.EHRSenders(ctx, 0); l[0].RevokedAt != nil {
			t.Fatal("revoked before it was confirmed")
		}
		done := admin.post(t, "/admin/senders/"+id+"/revoke", url.Values{"_csrf": {vals.Get("_csrf")}, "confirm": {"1"}})
		done.wantStatus(http.StatusSeeOther)
		if evs := f.auditEvents(t, "ehr.sender_revoke", "ehr_sender", id); len(evs) != 1 {
			t.Errorf("%d ehr.sender_revoke events, want 1", len(evs))
		}
		if status, _ := c.postFHIR(t, "", raw, "Authorization", "Bearer "+tok); status != http.StatusUnauthorized {
			t.Errorf("bundle with a revoked token: %d, want 401", status)
		}
		admin.post(t, "/admin/senders/"+id+"/revoke", url.Values{"_csrf": {vals.Get("_csrf")}, "confirm": {"1"}}).wantStatus(http.StatusNotFound)
		if n := admin.get(t, "/admin/senders?revoked="+id).testid("notice").Text(); !strings.Contains(n, "Sender #"+id+" was revoked") {
			t.Errorf("notice %q", n)
		}

		reg := f.signIn(t, registrarA)
		reg.get(t, "/admin/senders").wantStatus(http.StatusForbidden)
	})
}
