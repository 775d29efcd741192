package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/cara-registry/cara/internal/staging"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/audit"
	"github.com/cara-registry/cara/internal/codes"
	"github.com/cara-registry/cara/internal/edits"
	"github.com/cara-registry/cara/internal/excerpt"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/schemas"
)

// app is what a command runs on: its configuration, the database when the command asked for it,
// and the catalogue. Every command builds its own with newApp after its flags are parsed, so a
// command line that is refused, or asks for help, opens nothing.
type app struct {
	cmd   string // the command's name, as messages start: "submission create"
	env   env
	store *store.Store // nil unless asked for
	key   *audit.Key   // the audit key the store was opened with
	// migrations is how many migrations the open applied.
	migrations int
	cat        catalog
}

// parts says what newApp loads and opens. What a command asks for by none of them, it loads on
// first use through a.cat (demo compiles the edits only when it has cases to make).
type parts uint8

const (
	// withStore opens and migrates the database with the installation's audit key, and refuses
	// a key the audit chain was not sealed with before the command appends anything.
	withStore parts = 1 << iota
	// withUncheckedKey, with withStore, leaves the key to the command: audit verify says where a
	// wrong key breaks the chain.
	withUncheckedKey
	// withEdits compiles the edit set (a.cat.Edits).
	withEdits
	// withCatalog loads the whole catalogue, for serve.
	withCatalog
)

// newApp builds the app of command cmd with the parts it needs. The catalogue loads before the
// database opens, so that a catalogue that does not load migrates nothing.
func newApp(ctx context.Context, e env, cmd string, p parts) (*app, error) {
	a := &app{cmd: cmd, env: e}
	if p&withEdits != 0 {
		if _, err := a.cat.editSet(); err != nil {
			return nil, err
		}
	}
	if p&withCatalog != 0 {
		if err := a.cat.all(); err != nil {
			return nil, err
		}
	}
	if p&withStore != 0 {
		s, key, n, err := openKeyedStore(ctx, e, p&withUncheckedKey == 0)
		if err != nil {
			return nil, err
		}
		a.store, a.key, a.migrations = s, key, n
	}
	return a, nil
}

// Close closes the store, if the app has one.
func (a *app) Close() {
	if a.store != nil {
		a.store.Close()
	}
}

// facility finds the facility a --facility flag names by its code; an unknown code is an error
// that names the command, the flag and the way to add the facility.
func (a *app) facility(ctx context.Context, code string) (*store.Facility, error) {
	f, err := a.store.FacilityByCode(ctx, code)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%s: --facility: no facility with code %s (add it with `cara facility add`)", a.cmd, excerpt.Quote(code))
	}
	if err != nil {
		return nil, fmt.Errorf("%s: --facility %s: %w", a.cmd, excerpt.Quote(code), err)
	}
	return f, nil
}

// facilityScope is the scope an optional --facility flag gives: all facilities when code is
// empty, else the one it names (and that facility; nil for all).
func (a *app) facilityScope(ctx context.Context, code string) (store.Scope, *store.Facility, error) {
	if code == "" {
		return store.AllFacilities, nil, nil
	}
	f, err := a.facility(ctx, code)
	if err != nil {
		return store.Scope{}, nil, err
	}
	return store.FacilityScope(f.ID), f, nil
}

// catalog is the data that drives cara, loaded from the embedded schemas. Each part loads on
// first use and is kept: compiling the edit set takes a while, and migrate or user add need none
// of it. A command loads what it needs before it starts goroutines; catalog is not for
// concurrent use.
type catalog struct {
	Dict   *naaccr.Dictionary
	Codes  *codes.Tables
	Form   *abstract.Form
	Fields *edits.FieldChecker
	Edits  *edits.Set
	// Staging is the SEER EOD staging data: schema selection and the derived stage and grade.
	Staging *staging.DataSet
}

func (c *catalog) dictionary() (*naaccr.Dictionary, error) {
	if c.Dict == nil {
		d, err := naaccr.LoadBaseDictionary(schemas.FS, naaccr.CurrentVersion)
		if err != nil {
			return nil, err
		}
		c.Dict = d
	}
	return c.Dict, nil
}

func (c *catalog) codeTables() (*codes.Tables, error) {
	if c.Codes == nil {
		t, err := codes.Load(schemas.FS)
		if err != nil {
			return nil, err
		}
		c.Codes = t
	}
	return c.Codes, nil
}

// base is what the form and the edit set are built on: the dictionary and the code tables.
func (c *catalog) base() (*naaccr.Dictionary, *codes.Tables, error) {
	dict, err := c.dictionary()
	if err != nil {
		return nil, nil, err
	}
	tables, err := c.codeTables()
	if err != nil {
		return nil, nil, err
	}
	return dict, tables, nil
}

func (c *catalog) abstractForm() (*abstract.Form, error) {
	if c.Form == nil {
		dict, tables, err := c.base()
		if err != nil {
			return nil, err
		}
		if c.Form, err = abstract.LoadForm(schemas.FS, "abstract", dict, tables); err != nil {
			return nil, err
		}
	}
	return c.Form, nil
}

// editSet compiles the embedded edit set against the current dictionary.
func (c *catalog) editSet() (*edits.Set, error) {
	if c.Edits == nil {
		dict, tables, err := c.base()
		if err != nil {
			return nil, err
		}
		stg, err := c.staging()
		if err != nil {
			return nil, err
		}
		set, err := edits.Load(schemas.FS, dict, tables, stg)
		if err != nil {
			return nil, err
		}
		c.Edits, c.Fields = set, set.Fields
	}
	return c.Edits, nil
}

func (c *catalog) staging() (*staging.DataSet, error) {
	if c.Staging == nil {
		d, err := staging.Load(schemas.FS)
		if err != nil {
			return nil, err
		}
		c.Staging = d
	}
	return c.Staging, nil
}

// all loads every part.
func (c *catalog) all() error {
	if _, err := c.abstractForm(); err != nil {
		return err
	}
	if _, err := c.editSet(); err != nil {
		return err
	}
	_, err := c.staging()
	return err
}
