package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/internal/demo"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/schemas"
)

// The demo facility and its users exist only in demo data; a real installation adds its own with
// `cara facility add` and `cara user add`.
const (
	demoFacilityCode = "DEMO"
	demoPassword     = "demo"
	demoPatients     = 25
	demoSeed         = 2026
	// demoFacilityNumber is the demo facility's Reporting Facility [540] number.
	demoFacilityNumber = "0000099001"
)

func cmdDemo(ctx context.Context, e env, args []string, stdout io.Writer) error {
	if err := parseFlags(newFlags("demo"), args); err != nil {
		return err
	}
	a, err := newApp(ctx, e, "demo", withStore)
	if err != nil {
		return err
	}
	defer a.Close()
	n, err := loadDemo(ctx, a)
	if err != nil {
		return err
	}
	if n == 0 {
		fmt.Fprintln(stdout, "demo data is already loaded; nothing changed")
		return nil
	}
	fmt.Fprintf(stdout, "demo data loaded: facility %s, users registrar, registrar2, reviewer and admin (password %q), %d patients\n", demoFacilityCode, demoPassword, n)
	fmt.Fprintf(stdout, "registry %s: user %s (password %q), a batch from %s in its intake, checked and ready to accept\n", demoRegistryCode, demoRegistryUser, demoPassword, demoFacilityCode)
	return nil
}

// loadDemo creates the demo facility, users and patients unless the facility exists already; it
// returns the number of patients created.
func loadDemo(ctx context.Context, a *app) (int, error) {
	s, e := a.store, a.env
	if _, err := s.FacilityByCode(ctx, demoFacilityCode); err == nil {
		return 0, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return 0, err
	}
	set, err := a.cat.editSet()
	if err != nil {
		return 0, err
	}
	stg, err := a.cat.staging()
	if err != nil {
		return 0, err
	}
	patients, err := demo.Patients(schemas.FS, stg, demoSeed, demoPatients, e.Now())
	if err != nil {
		return 0, err
	}
	f := &store.Facility{Code: demoFacilityCode, Name: "Demo General Hospital", NPI: "0000000000", IDNumber: demoFacilityNumber}
	if err := s.CreateFacility(ctx, f); err != nil {
		return 0, err
	}
	hash, err := auth.HashPassword(demoPassword)
	if err != nil {
		return 0, err
	}
	users := []struct {
		name, display string
		role          auth.Role
	}{
		{"registrar", "Riley Registrar (demo)", auth.RoleRegistrar},
		{"registrar2", "Morgan Abstractor (demo)", auth.RoleRegistrar},
		{"reviewer", "Quinn Reviewer (demo)", auth.RoleReviewer},
		{"admin", "Alex Admin (demo)", auth.RoleAdmin},
	}
	ids := map[string]*uint{}
	for _, u := range users {
		row := &store.User{Username: u.name, DisplayName: u.display, PasswordHash: hash, Role: string(u.role)}
		if u.role.NeedsFacility() {
			row.FacilityID = &f.ID
		}
		if err := s.CreateUser(ctx, row); err != nil {
			return 0, err
		}
		ids[u.name] = &row.ID
	}
	if err := a.cat.all(); err != nil { // the abstracts need the form, the edits and the schemas
		return 0, err
	}
	if err := demoAbstracts(&a.cat, patients, demoFacilityNumber, e.Now()); err != nil {
		return 0, err
	}
	for _, p := range patients {
		if _, err := s.CreatePatient(ctx, f.ID, p, string(abstract.StatusDraft)); err != nil {
			return 0, err
		}
	}
	if _, _, err := updateEditCounts(ctx, s, set, store.FacilityScope(f.ID)); err != nil {
		return 0, err
	}
	if err := demoReviews(ctx, s, f.ID, ids, e.Now()); err != nil {
		return 0, err
	}
	if err := demoRegistry(ctx, s, &a.cat, e, f, ids["reviewer"], hash); err != nil {
		return 0, err
	}
	if err := demoSuspense(ctx, s, f, ids["registrar"], e.Now()); err != nil {
		return 0, err
	}
	return len(patients), nil
}

// demoReviews walks the demo cases through the review workflow over the ten weeks before now,
// as two registrars and a reviewer would have, so that the worklist, the review queue, the case
// histories and the productivity page have something to show. Cases with edit errors stay drafts:
// the workflow does not let them be sent.
func demoReviews(ctx context.Context, s *store.Store, facilityID uint, users map[string]*uint, now time.Time) error {
	var tumors []store.Tumor
	err := s.EachPatient(ctx, store.PatientFilter{Scope: store.FacilityScope(facilityID)}, 100, func(_ *store.Patient, ts []store.Tumor) error {
		tumors = append(tumors, ts...)
		return nil
	})
	if err != nil {
		return fmt.Errorf("demo reviews: %w", err)
	}
	day := 24 * time.Hour
	for i, t := range tumors {
		if t.EditErrors > 0 || i%6 == 0 {
			continue // left as a draft
		}
		registrar := users["registrar"]
		if (i/4)%2 == 1 {
			registrar = users["registrar2"]
		}
		at := now.Add(-time.Duration(70-2*i) * day)
		step := func(act abstract.Action, from, to abstract.Status, user *uint, reason string, after time.Duration) error {
			at = at.Add(after)
			_, err := s.ChangeStatus(ctx, store.StatusUpdate{
				TumorID: t.ID, Scope: store.FacilityScope(facilityID), Action: string(act), From: string(from), To: string(to),
				UserID: user, Reason: reason, EditErrors: t.EditErrors, EditWarnings: t.EditWarnings,
				Reviewed: act == abstract.ActionApprove || act == abstract.ActionReturn, At: at,
			})
			return err
		}
		scope := store.FacilityScope(facilityID)
		var commentID uint
		// comment is the reviewer's note on an item, left before a return.
		comment := func(item, body string) func() error {
			return func() error {
				c, err := s.AddComment(ctx, store.CommentAdd{TumorID: t.ID, Scope: scope, NaaccrID: item, Body: body, AuthorID: *users["reviewer"]})
				if err == nil {
					commentID = c.ID
				}
				return err
			}
		}
		steps := []func() error{
			func() error {
				return step(abstract.ActionSend, abstract.StatusDraft, abstract.StatusInReview, registrar, "", 0)
			},
		}
		switch {
		case i%6 == 1: // still waiting for the reviewer
		case i%6 == 2: // returned with a comment, waiting for the registrar
			steps = append(steps, comment("gradeClinical", "The pathology report gives another grade: please check."), func() error {
				return step(abstract.ActionReturn, abstract.StatusInReview, abstract.StatusReturned, users["reviewer"],
					"Please confirm the grade against the pathology report.", time.Duration(1+i%4)*day)
			})
		case i%6 == 3: // returned once, corrected (comment resolved and closed), approved
			steps = append(steps,
				comment("laterality", "Paired site: laterality is needed."),
				func() error {
					return step(abstract.ActionReturn, abstract.StatusInReview, abstract.StatusReturned, users["reviewer"],
						"Laterality is missing for a paired site.", time.Duration(1+i%3)*day)
				},
				func() error {
					_, err := s.ResolveComment(ctx, store.CommentStep{CommentID: commentID, TumorID: t.ID, Scope: scope,
						UserID: *registrar, Note: "Laterality taken from the operative report."})
					return err
				},
				func() error {
					return step(abstract.ActionSend, abstract.StatusReturned, abstract.StatusInReview, registrar, "", day)
				},
				func() error {
					_, err := s.CloseComment(ctx, store.CommentStep{CommentID: commentID, TumorID: t.ID, Scope: scope, UserID: *users["reviewer"]})
					return err
				},
				func() error {
					return step(abstract.ActionApprove, abstract.StatusInReview, abstract.StatusApproved, users["reviewer"], "", 2*day)
				})
		default: // approved on first review
			steps = append(steps, func() error {
				return step(abstract.ActionApprove, abstract.StatusInReview, abstract.StatusApproved, users["reviewer"], "", time.Duration(1+i%5)*day)
			})
		}
		for _, st := range steps {
			if err := st(); err != nil {
				return fmt.Errorf("demo reviews: %w", err)
			}
		}
	}
	return nil
}
