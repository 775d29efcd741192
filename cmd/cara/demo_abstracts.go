package main

import (
	"fmt"
	"time"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/edits"
	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/synth"
	"github.com/cara-registry/cara/schemas"
)

// demoRepairRounds bounds the passes that take out filled-in items a failing edit names; two
// or three suffice, as each pass removes every filled item of every failing edit.
const demoRepairRounds = 5

// demoOverridesSection is the form section of the edit overrides, which the demo leaves alone.
const demoOverridesSection = "overrides"

// demoAbstracts fills the demo's named patients out to full abstracts (about 150 items of the
// form a tumor: stage, SSDIs, treatment, follow-up and text) with the synthetic generator, seeded so that the
// demo is the same every time, and computes the derived items a save would. The generator's
// values fit their code lists but not always each other, so a filled-in item that an edit
// finds fault with is taken out again: what failures remain come from the demo's own core items
// (site, histology, dates), which the story decides.
func demoAbstracts(cat *catalog, patients []naaccr.Patient, facilityNumber string, now time.Time) error {
	// The items of the form only, which the case pages show, but not the edit overrides: an
	// override set at random would silence the edit it belongs to.
	var onForm []string
	for _, sec := range cat.Form.Sections {
		if sec.ID == demoOverridesSection {
			continue
		}
		for _, f := range sec.Fields {
			onForm = append(onForm, f.Def.ID)
		}
	}
	g, err := synth.NewGenerator(synth.Options{Dictionary: cat.Dict, Staging: cat.Staging, Seed: demoSeed, Today: now, TextItems: true, FS: schemas.FS, FillFrom: onForm})
	if err != nil {
		return fmt.Errorf("demo: abstracts: %w", err)
	}
	r := cat.Edits.NewRunner()
	for i := range patients {
		p := &patients[i]
		core := []map[string]bool{keys(p.Items)}
		for _, t := range p.Tumors {
			t.Items["reportingFacility"] = facilityNumber
			core = append(core, keys(t.Items))
		}
		g.Fill(p)
		// Who follow-up asks next, so that the demo's due list prints letters of each kind
		// (cara followup letters); by the patient's place, so the demo stays the same.
		for _, t := range p.Tumors {
			t.Items["nextFollowUpSource"] = demoNextFollowUpSources[i%len(demoNextFollowUpSources)]
		}
		for k, t := range p.Tumors {
			dropOutsideSchema(cat, p.Items, t.Items, core[k+1], now.Year())
			for id, v := range abstract.Derive(p.Items, t.Items, cat.Staging, now.Year()) {
				if v != "" {
					t.Items[id] = v
					core[k+1][id] = true // derived items stay: they follow from the core ones
				}
			}
		}
		for range demoRepairRounds {
			res, err := r.Patient(p, nil)
			if err != nil {
				return fmt.Errorf("demo: abstracts: edits of patient %s: %w", p.Items["patientIdNumber"], err)
			}
			removed := 0
			for _, e := range res {
				removed += dropFilled(p, e, core)
			}
			if removed == 0 {
				break
			}
		}
	}
	return nil
}

// demoNextFollowUpSources are the demo's Next Follow-up Sources: physician letter, contact
// letter, other hospital contact, phone call.
var demoNextFollowUpSources = []string{"1", "2", "1", "4", "3"}

// dropFilled removes the items of a failing edit that the generator filled in (not the demo's
// core items, nor derived ones) and returns how many it removed.
func dropFilled(p *naaccr.Patient, e edits.Result, core []map[string]bool) int {
	n := 0
	drop := func(items map[string]string, keep map[string]bool, id string) {
		if _, set := items[id]; set && !keep[id] {
			delete(items, id)
			n++
		}
	}
	for _, id := range e.Items {
		drop(p.Items, core[0], id)
		for k, t := range p.Tumors {
			if e.Tumor < 0 || e.Tumor == k {
				drop(t.Items, core[k+1], id)
			}
		}
	}
	return n
}

func keys(m map[string]string) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}

// dropOutsideSchema removes the site-specific items the generator filled in that the tumor's
// schema does not take: the form would list each one for the registrar to clear.
func dropOutsideSchema(cat *catalog, patient, tumor map[string]string, core map[string]bool, year int) {
	for _, sec := range cat.Form.SchemaSections() {
		ss := cat.Form.SiteSpecificOf(sec, cat.Staging, patient, tumor, year)
		if ss == nil {
			continue
		}
		for _, o := range ss.Outside {
			if !core[o.Field.Def.ID] {
				delete(tumor, o.Field.Def.ID)
			}
		}
	}
}
