package web_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"strings"
	"testing"

	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

func TestAuditLogFiltersPagesAndShowsChanges(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		reg := f.signIn(t, registrarA)
		page := reg.openCase(t, f.caseA, "diagnosis")
		reg.save(t, page, map[string]string{"primarySite": "C342"}).wantStatus(http.StatusSeeOther)
		// 60 views, so the trail has more than a page.
		ctx := context.Background()
		for range 60 {
			if err := s.Audit(ctx, store.AuditEntry{UserID: &f.users[reviewerA].ID, Action: audit.CaseView, Entity: "tumor", EntityID: idString(f.approvedA)}); err != nil {
				t.Fatal(err)
			}
		}
		admin := f.signIn(t, adminUser)

		p := admin.get(t, "/admin/audit?user=reg-a&action=case.update")
		p.wantStatus(http.StatusOK)
		rows := p.testid("audit-row")
		if rows.Length() != 1 {
			t.Fatalf("%d rows for reg-a's updates, want 1\n%s", rows.Length(), excerpt(p.body))
		}
		if ch := rows.Find(`[data-testid="change"]`).Text(); !strings.Contains(ch, "primarySite") || !strings.Contains(ch, "C341 → C342") {
			t.Errorf("change shown as %q, want primarySite: C341 → C342", ch)
		}
		if v, _ := p.doc.Find(`#a-action option[selected]`).Attr("value"); v != "case.update" {
			t.Errorf("the action filter is not kept: %q", v)
		}

		p = admin.get(t, "/admin/audit?case="+idString(f.approvedA))
		if n := p.testid("audit-row").Length(); n != 50 {
			t.Errorf("first page of the case's events: %d rows, want 50", n)
		}
		older, ok := p.testid("audit-older").Attr("href")
		if !ok || !strings.Contains(older, "case="+idString(f.approvedA)) || !strings.Contains(older, "before=") {
			t.Fatalf("older link %q", older)
		}
		p = admin.get(t, older)
		if n := p.testid("audit-row").Length(); n != 10 {
			t.Errorf("second page: %d rows, want 10", n)
		}
		if p.testid("audit-older").Length() != 0 || p.testid("audit-newest").Length() != 1 {
			t.Error("the last page should link to the newest, not to an older one")
		}

		for _, q := range []string{"/admin/audit?from=2026-11-03", "/admin/audit?to=2026-11-01"} {
			if p := admin.get(t, q); p.testid("audit-row").Length() != 0 || p.testid("audit-empty").Length() != 1 {
				t.Errorf("%s: rows outside the dates", q)
			}
		}
		if p := admin.get(t, "/admin/audit?from=2026-11-02&to=2026-11-02&action=case.update"); p.testid("audit-row").Length() != 1 {
			t.Errorf("a one-day range does not include that day")
		}
		p = admin.get(t, "/admin/audit?case=abc&from=yesterday")
		p.wantStatus(http.StatusOK)
		if msg := p.testid("audit-error").Text(); !strings.Contains(msg, "Case: a case id is a number") || !strings.Contains(msg, "From: a date is CCYY-MM-DD") {
			t.Errorf("filter error %q", msg)
		}
	})
}

func TestAuditCSVStreamsTheFilteredEventsAndIsAudited(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		ctx := context.Background()
		// More views than one batch of the download (1000).
		for range 1100 {
			if err := s.Audit(ctx, store.AuditEntry{UserID: &f.users[reviewerB].ID, Action: audit.CaseView, Entity: "tumor", EntityID: idString(f.caseB)}); err != nil {
				t.Fatal(err)
			}
		}
		// A typed username that a spreadsheet would run as a formula.
		if err := s.Audit(ctx, store.AuditEntry{Action: audit.LoginFailure, Entity: "user", EntityID: "=HYPERLINK(1)"}); err != nil {
			t.Fatal(err)
		}
		admin := f.signIn(t, adminUser)
		p := admin.get(t, "/admin/audit.csv?case="+idString(f.caseB))
		p.wantStatus(http.StatusOK)
		if ct := p.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") || !strings.Contains(p.header.Get("Content-Disposition"), "attachment") {
			t.Errorf("Content-Type %q, Content-Disposition %q", ct, p.header.Get("Content-Disposition"))
		}
		recs, err := csv.NewReader(strings.NewReader(p.body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 1101 || strings.Join(recs[0], ",") != "id,at,user_id,username,action,entity,entity_id,details,remote_addr,prev_hash,hash" {
			t.Fatalf("%d records, header %q; want a header and 1100 views", len(recs), recs[0])
		}
		if r := recs[1]; r[3] != reviewerB || r[4] != "case.view" || r[6] != idString(f.caseB) || len(r[10]) != 64 {
			t.Errorf("first row %q", r)
		}
		evs := f.auditEvents(t, "audit.export", "audit", "")
		if len(evs) != 1 || *evs[0].UserID != f.users[adminUser].ID || !strings.Contains(evs[0].Details, idString(f.caseB)) {
			t.Errorf("audit.export events %+v, want one by the administrator naming the filter", evs)
		}

		p = admin.get(t, "/admin/audit.csv?action=login.failure")
		recs, err = csv.NewReader(strings.NewReader(p.body)).ReadAll()
		if err != nil || len(recs) != 2 || recs[1][6] != "'=HYPERLINK(1)" {
			t.Errorf("login failure rows %q, %v; want the typed name defused with an apostrophe", recs, err)
		}
		admin.get(t, "/admin/audit.csv?case=x").wantStatus(http.StatusBadRequest)
	})
}
