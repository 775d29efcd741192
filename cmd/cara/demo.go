package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

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
)

func cmdDemo(ctx context.Context, e env, args []string, stdout io.Writer) error {
	if err := parseFlags(flag.NewFlagSet("demo", flag.ContinueOnError), args); err != nil {
		return err
	}
	s, err := openStore(ctx, e)
	if err != nil {
		return err
	}
	defer s.Close()
	n, err := loadDemo(ctx, s, e)
	if err != nil {
		return err
	}
	if n == 0 {
		fmt.Fprintln(stdout, "demo data is already loaded; nothing changed")
		return nil
	}
	fmt.Fprintf(stdout, "demo data loaded: facility %s, users registrar, reviewer and admin (password %q), %d patients\n", demoFacilityCode, demoPassword, n)
	return nil
}

// loadDemo creates the demo facility, users and patients unless the facility exists already; it
// returns the number of patients created.
func loadDemo(ctx context.Context, s *store.Store, e env) (int, error) {
	if _, err := s.FacilityByCode(ctx, demoFacilityCode); err == nil {
		return 0, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return 0, err
	}
	cat, err := loadCatalog()
	if err != nil {
		return 0, err
	}
	patients, err := demo.Patients(schemas.FS, demoSeed, demoPatients, e.Now())
	if err != nil {
		return 0, err
	}
	f := &store.Facility{Code: demoFacilityCode, Name: "Demo General Hospital", NPI: "0000000000"}
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
		{"reviewer", "Quinn Reviewer (demo)", auth.RoleReviewer},
		{"admin", "Alex Admin (demo)", auth.RoleAdmin},
	}
	for _, u := range users {
		row := &store.User{Username: u.name, DisplayName: u.display, PasswordHash: hash, Role: string(u.role)}
		if u.role.NeedsFacility() {
			row.FacilityID = &f.ID
		}
		if err := s.CreateUser(ctx, row); err != nil {
			return 0, err
		}
	}
	sel := cat.Schemas
	for i, p := range patients {
		// The derived items a save would compute, so the demo cases look abstracted.
		for _, t := range p.Tumors {
			for id, v := range abstract.Derive(p.Items, t.Items, sel) {
				if v != "" {
					t.Items[id] = v
				}
			}
		}
		// A few cases further along the workflow, so the worklist shows every kind.
		status := abstract.StatusDraft
		switch i % 8 {
		case 3:
			status = abstract.StatusInReview
		case 6:
			status = abstract.StatusApproved
		}
		if _, err := s.CreatePatient(ctx, f.ID, p, string(status)); err != nil {
			return 0, err
		}
	}
	if _, _, err := updateEditCounts(ctx, s, cat.Edits, store.FacilityScope(f.ID)); err != nil {
		return 0, err
	}
	return len(patients), nil
}
