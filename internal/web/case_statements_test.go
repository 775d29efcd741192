package web_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

// statementLog records the SQL statements a store runs while it is on.
type statementLog struct {
	mu   sync.Mutex
	on   bool
	sqls []string
}

func watchStatements(t testing.TB, s *store.Store) *statementLog {
	t.Helper()
	l := &statementLog{}
	if err := s.OnStatement(func(_ context.Context, sql string) {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.on {
			l.sqls = append(l.sqls, sql)
		}
	}); err != nil {
		t.Fatal(err)
	}
	return l
}

// during returns the statements run by fn.
func (l *statementLog) during(fn func()) []string {
	l.mu.Lock()
	l.on, l.sqls = true, nil
	l.mu.Unlock()
	fn()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.on = false
	return l.sqls
}

// maxSaveStatements is what one section save may cost the database, beyond the session look-up
// every signed-in request makes: the case with its patient's tumors (1), the patient's row and
// the tumor's row and its items (3 when a change writes both levels, as a date of birth does; 2
// or 1 when it writes one), the audit event (3: see store.audit), and the comments the answer
// shows (1). Before the case service it was 18; before the audit append read the chain's head
// under its lock in one statement, 9.
const maxSaveStatements = 8

// TestSectionSaveStatementCount counts the SQL statements of one section save over htmx, beyond
// those of the session look-up (measured on a page that reads nothing else).
func TestSectionSaveStatementCount(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, section, item, first, second string
	}{
		{"tumor section", "text", "textDxProcPe", "Examined on admission.", "Examined twice."},
		{"tumor section with codes", "diagnosis", "primarySite", "C342", "C343"},
		{"patient section", "patient", "race2", "02", "03"},
		{"patient name", "patient", "nameFirst", "Annie", "Ann"},
		// A date of birth moves the derived age at diagnosis: both levels are written (the
		// patient's row, the tumor's and its items).
		{"patient and derived tumor item", "patient", "dateOfBirth", "19580705", "19500101"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, s *store.Store) {
				l := watchStatements(t, s)
				f := newFixture(t, s)
				c := f.signIn(t, registrarA)
				// The first save also stores the derived age at diagnosis; count a later one.
				first := c.openCase(t, f.caseA, tc.section)
				first = c.save(t, first, map[string]string{tc.item: tc.first}, "HX-Request", "true")
				first.wantStatus(http.StatusOK)
				session := l.during(func() { c.get(t, "/account/password").wantStatus(http.StatusOK) })
				var p *page
				save := l.during(func() {
					p = c.save(t, first, map[string]string{tc.item: tc.second}, "HX-Request", "true")
				})
				p.wantStatus(http.StatusOK)
				if p.testid("saved").Length() != 1 {
					t.Fatalf("the save did not go through\n%s", excerpt(p.body))
				}
				n := len(save) - len(session)
				t.Logf("%d statements for the save beyond the session's %d", n, len(session))
				if n > maxSaveStatements {
					t.Errorf("a section save runs %d statements beyond the session's, want at most %d:\n%s",
						n, maxSaveStatements, strings.Join(save[len(session):], "\n"))
				}
			})
		})
	}
}

// TestRefusedSaveReadsTheCaseOnce: a save refused for a wrong value reads the case once (and
// the comments its page shows), and writes nothing; before the case service it read the case
// three times.
func TestRefusedSaveReadsTheCaseOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		l := watchStatements(t, s)
		f := newFixture(t, s)
		c := f.signIn(t, registrarA)
		form := c.openCase(t, f.caseA, "diagnosis")
		session := l.during(func() { c.get(t, "/account/password").wantStatus(http.StatusOK) })
		var p *page
		save := l.during(func() { p = c.save(t, form, map[string]string{"laterality": "7"}, "HX-Request", "true") })
		p.wantStatus(http.StatusOK)
		if p.testid("error-laterality").Length() != 1 {
			t.Fatalf("the save was not refused\n%s", excerpt(p.body))
		}
		if n := len(save) - len(session); n > 2 {
			t.Errorf("a refused save runs %d statements beyond the session's, want 2 (the case, its comments):\n%s",
				n, strings.Join(save[len(session):], "\n"))
		}
	})
}
