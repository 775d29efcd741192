package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strconv"

	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/submission"
	"github.com/cara-registry/cara/internal/tempfile"
	"github.com/cara-registry/cara/schemas"
)

// The demo's state central registry: a second installation's view in the same database, with a
// registry user whose intake holds the demo hospital's first batch, checked and ready to accept.
const (
	demoRegistryCode = "SCR"
	demoRegistryUser = "registry"
	// demoBatchYearsBack: the batch takes the approved cases diagnosed up to this many years
	// before now, so that later approved cases are left for a new user's own batch.
	demoBatchYearsBack = 3
)

// demoRegistry sends the demo hospital's older approved cases as a submission batch (through
// the batch code the submissions page uses; the cases become submitted and the file is in the
// submission folder, to download), creates the registry facility and its user, and puts the
// batch file in the registry's intake as an upload would, checked.
func demoRegistry(ctx context.Context, s *store.Store, cat *catalog, e env, hospital *store.Facility, reviewer *uint, hash string) error {
	formats, err := submission.LoadFormats(schemas.FS)
	if err != nil {
		return err
	}
	now := e.Now()
	b := &submission.Batcher{Store: s, Edits: cat.Edits, Formats: formats, Dir: e.submissionDir(), Now: e.Now}
	res, err := b.Create(ctx, submission.BatchOptions{
		FacilityID: hospital.ID, Scope: store.FacilityScope(hospital.ID), To: strconv.Itoa(now.Year() - demoBatchYearsBack),
		RecordType: "A", UserID: reviewer,
	})
	if err != nil {
		return fmt.Errorf("demo: batch: %w", err)
	}
	sub := res.Submission

	reg := &store.Facility{Code: demoRegistryCode, Name: "State Central Registry (demo)", NPI: "0000000000"}
	if err := s.CreateFacility(ctx, reg); err != nil {
		return err
	}
	u := &store.User{Username: demoRegistryUser, DisplayName: "Sam Registry (demo)", PasswordHash: hash,
		Role: string(auth.RoleReviewer), FacilityID: &reg.ID}
	if err := s.CreateUser(ctx, u); err != nil {
		return err
	}

	// The registry's copy of the file, stored in the intake folder under a random name as an
	// upload is.
	dir := e.IntakeDir
	if dir == "" { // an env not read from the environment (tests): serve's default
		dir = "data/intake"
	}
	if err := tempfile.MkdirAll(dir); err != nil {
		return fmt.Errorf("demo: intake folder: %w", err)
	}
	rnd := make([]byte, 12)
	_, _ = rand.Read(rnd)
	path, err := filepath.Abs(filepath.Join(dir, hex.EncodeToString(rnd)+".upload"))
	if err != nil {
		return fmt.Errorf("demo: intake folder: %w", err)
	}
	if err := copyFile(filepath.Join(e.submissionDir(), sub.StoragePath), path); err != nil {
		return fmt.Errorf("demo: intake: %w", err)
	}
	at := now.UTC()
	in := &store.Intake{FacilityID: reg.ID, UploadedBy: &u.ID, CreatedAt: at, FileName: sub.FileName, StoredPath: path,
		SizeBytes: sub.SizeBytes, SHA256: sub.SHA256, State: store.IntakeRunning, StartedAt: &at, HeartbeatAt: &at,
		ClaimedBy: store.NewIntakeClaim()}
	if err := s.CreateIntake(ctx, in); err != nil {
		return err
	}
	var rf readFlags
	registry, err := rf.registry()
	if err != nil {
		return err
	}
	k := &submission.Intaker{Store: registryView{s}, Edits: cat.Edits, Registry: registry, Now: e.Now}
	if err := k.Process(ctx, in); err != nil {
		return fmt.Errorf("demo: intake of %s: %w", sub.FileName, err)
	}
	return nil
}

// registryView is the registry's installation as the intake sees it: it knows no facility by
// the hospital's Reporting Facility number. The demo keeps both installations in one
// database, where the number names the hospital's own facility; intake would then file the
// received cases under it, among the very tumors they came from (all "already received"). A
// registry's own database has no such row, so the received cases are the registry's (SCR).
type registryView struct{ *store.Store }

func (registryView) FacilityByIDNumber(context.Context, string) (*store.Facility, error) {
	return nil, fmt.Errorf("demo: the registry's installation knows no reporting facility: %w", store.ErrNotFound)
}
