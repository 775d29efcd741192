package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"time"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/internal/demo"
	"github.com/cara-registry/cara/internal/loadtest"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/synth"
	"github.com/cara-registry/cara/schemas"
)

// cmdLoadtest seeds people and cases for a load test in the database (CARA_DATABASE_URL, the
// one the server under test uses), drives the server at --url with them (internal/loadtest) and
// prints the report. Each run makes its own facility and users (their names carry a random run
// id), so runs do not disturb one another or anyone's cases. Exit status 1 when an update was
// lost, a request failed other than by a conflict, or a save's p99 missed the target.
func cmdLoadtest(ctx context.Context, e env, args []string, stdout io.Writer) error {
	fs := newFlags("loadtest")
	base := fs.String("url", "", "base URL of the cara under test, on loopback: a cara serve, or haproxy in front of a cluster (required)")
	registrars := fs.Int("registrars", 45, "registrars at once")
	reviewers := fs.Int("reviewers", 5, "reviewers at once")
	cases := fs.Int("cases", 0, "cases the registrars share and save (default twice the registrars: two sometimes save one case at once)")
	duration := fs.Duration("duration", time.Minute, "how long the people work")
	maxActions := fs.Int("max-actions", 0, "bound on each person's actions (0: the duration bounds them)")
	thinkTime := fs.Duration("think", time.Second, "mean pause between one person's requests (reading and typing)")
	intakePatients := fs.Int("intake-patients", 500, "patients in the file the intake uploads and accepts during the run (0: no intake)")
	target := fs.Duration("save-p99", 50*time.Millisecond, "target for a section save's p99 (0: none)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case *base == "":
		return badArgs(fs, "--url is required")
	case *registrars < 1 || *registrars > 500:
		return badArgs(fs, "--registrars %d: use 1 to 500", *registrars)
	case *reviewers < 0 || *reviewers > 100:
		return badArgs(fs, "--reviewers %d: use 0 to 100", *reviewers)
	case *cases < 0 || *cases > 5000:
		return badArgs(fs, "--cases %d: use 1 to 5000", *cases)
	case *duration <= 0 || *duration > time.Hour:
		return badArgs(fs, "--duration %s: use more than 0 and at most 1h", *duration)
	case *maxActions < 0:
		return badArgs(fs, "--max-actions %d: use 0 or more", *maxActions)
	case *thinkTime < 0:
		return badArgs(fs, "--think %s: use 0 or more", *thinkTime)
	case *intakePatients < 0 || *intakePatients > 100_000:
		return badArgs(fs, "--intake-patients %d: use 0 to 100000", *intakePatients)
	}
	if u, err := url.Parse(*base); err != nil || u.Host == "" {
		return badArgs(fs, "--url %q: want http://127.0.0.1:PORT", *base)
	}
	if *cases == 0 {
		*cases = 2 * *registrars
	}
	a, err := newApp(ctx, e, "loadtest", withStore|withCatalog)
	if err != nil {
		return err
	}
	defer a.Close()
	plan, err := seedLoadtest(ctx, a, *registrars, *reviewers, *cases, *intakePatients)
	if err != nil {
		return err
	}
	rep, err := loadtest.Run(ctx, loadtest.Config{
		BaseURL: *base, Duration: *duration, MaxActions: *maxActions, Think: *thinkTime, SaveP99Target: *target,
		Seed: uint64(e.Now().UnixNano()),
	}, plan)
	if err != nil {
		return err
	}
	if err := rep.Write(stdout); err != nil {
		return err
	}
	if !rep.OK() {
		return fmt.Errorf("loadtest: the run missed its targets (see the report): %w", errProblems)
	}
	return nil
}

// seedLoadtest makes a run's facility (a hospital), its registrars and reviewers, the demo's
// patients as draft cases, and a registry facility whose user runs the intake. The registrars
// share the cases with edit errors and without; a case without edit errors may be sent to
// review, so the workflow takes those first (one for each registrar), the saves the rest.
func seedLoadtest(ctx context.Context, a *app, registrars, reviewers, cases, intakePatients int) (loadtest.Plan, error) {
	s, cat, now := a.store, &a.cat, a.env.Now()
	var plan loadtest.Plan
	id := make([]byte, 4)
	pw := make([]byte, 12)
	_, _ = rand.Read(id)
	_, _ = rand.Read(pw)
	run := hex.EncodeToString(id)
	plan.Password = hex.EncodeToString(pw)
	hash, err := auth.HashPassword(plan.Password)
	if err != nil {
		return plan, err
	}
	// A Reporting Facility [540] number of the run's own, which the cases carry.
	number := fmt.Sprintf("77%08d", binary.BigEndian.Uint32(id)%100_000_000)
	hospital := &store.Facility{Code: "LT" + run, Name: "Load test hospital " + run, IDNumber: number}
	if err := s.CreateFacility(ctx, hospital); err != nil {
		return plan, err
	}
	user := func(name string, role auth.Role, facility uint) error {
		u := &store.User{Username: name, DisplayName: "Load test " + name, PasswordHash: hash, Role: string(role), FacilityID: &facility}
		return s.CreateUser(ctx, u)
	}
	for i := 1; i <= registrars; i++ {
		name := fmt.Sprintf("lt%s-reg%d", run, i)
		if err := user(name, auth.RoleRegistrar, hospital.ID); err != nil {
			return plan, err
		}
		plan.Registrars = append(plan.Registrars, name)
	}
	for i := 1; i <= reviewers; i++ {
		name := fmt.Sprintf("lt%s-rev%d", run, i)
		if err := user(name, auth.RoleReviewer, hospital.ID); err != nil {
			return plan, err
		}
		plan.Reviewers = append(plan.Reviewers, name)
	}

	// Patients have one or two tumors; a few more than needed leave enough without edit errors.
	want := cases + registrars
	patients, err := demo.Patients(schemas.FS, cat.Staging, demoSeed, want, now)
	if err != nil {
		return plan, err
	}
	if err := demoAbstracts(cat, patients, number, now); err != nil {
		return plan, err
	}
	for _, p := range patients {
		if _, err := s.CreatePatient(ctx, hospital.ID, p, string(abstract.StatusDraft)); err != nil {
			return plan, err
		}
	}
	scope := store.FacilityScope(hospital.ID)
	if _, _, err := updateEditCounts(ctx, s, cat.Edits, scope); err != nil {
		return plan, err
	}
	for offset := 0; ; offset += 500 {
		rows, err := s.Worklist(ctx, store.WorklistFilter{Scope: scope, Sort: store.SortMRN, Limit: 500, Offset: offset})
		if err != nil {
			return plan, err
		}
		for _, r := range rows {
			if r.EditErrors == 0 && len(plan.FlowCases) < registrars {
				plan.FlowCases = append(plan.FlowCases, r.TumorID)
			} else if len(plan.SaveCases) < cases {
				plan.SaveCases = append(plan.SaveCases, r.TumorID)
			}
		}
		if len(rows) < 500 {
			break
		}
	}

	if intakePatients > 0 {
		registry := &store.Facility{Code: "LR" + run, Name: "Load test registry " + run}
		if err := s.CreateFacility(ctx, registry); err != nil {
			return plan, err
		}
		plan.Intake = fmt.Sprintf("lt%s-intake", run)
		if err := user(plan.Intake, auth.RoleReviewer, registry.ID); err != nil {
			return plan, err
		}
		var buf bytes.Buffer
		if _, err := synth.Generate(ctx, &buf, synth.Options{Patients: intakePatients, Seed: demoSeed, Dictionary: cat.Dict, Staging: cat.Staging, TextItems: true}); err != nil {
			return plan, fmt.Errorf("loadtest: intake file: %w", err)
		}
		plan.IntakeFile, plan.IntakeName = buf.Bytes(), "loadtest-"+run+".xml"
	}
	return plan, nil
}
