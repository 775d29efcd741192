package demo

import (
	"strings"

	"github.com/cara-registry/cara/internal/staging"
)

// fitRounds bounds the passes of FitSchema: a discriminator filled in selects the schema, whose
// inputs are then fitted.
const fitRounds = 3

// FitSchema makes a tumor's items agree with its EOD schema, as a registrar's abstract would: an
// input whose value the schema's table refuses (Grade Clinical 2 on a melanoma, whose grades are
// A-D) gets the first code the table accepts, and a discriminator the site and histology need to choose a
// schema gets one of the codes its first candidate accepts. The code lists of the dictionary know
// nothing of schemas, so the values drawn from them often fail the staging edits. With
// discriminators false, no item is added: a refused value is replaced or taken out. It draws no
// random numbers, so the patients made after it are the same as without it.
func FitSchema(d *staging.DataSet, patient, tumor map[string]string, year int, discriminators bool) {
	rec := func(id string) string {
		if v, ok := tumor[id]; ok {
			return v
		}
		return patient[id]
	}
	for range fitRounds {
		res := d.Derive(rec, year)
		changed := false
		if discriminators && res.Status == staging.NeedsInput && len(res.Selection.Candidates) > 0 {
			for _, key := range res.Selection.Needs {
				for _, in := range res.Selection.Candidates[0].Inputs {
					if in.Key == key && in.NAACCRXMLID != "" {
						if v := firstCode(d.Codes(in)); v != "" {
							tumor[in.NAACCRXMLID] = v
							changed = true
						}
					}
				}
			}
		}
		for _, e := range res.Errors {
			if e.Type != staging.InvalidRequiredInput && e.Type != staging.InvalidNonRequiredInput || e.Item == "" || e.Key == staging.KeyYearDx {
				continue
			}
			in, ok := inputOf(res.Schema, e.Key)
			if !ok {
				continue
			}
			if v := firstCode(d.Codes(in)); v != "" {
				tumor[e.Item] = v
			} else {
				delete(tumor, e.Item) // the table takes only a blank
			}
			changed = true
		}
		if !changed {
			return
		}
	}
}

func inputOf(s *staging.Schema, key string) (staging.Input, bool) {
	if s == nil {
		return staging.Input{}, false
	}
	for _, in := range s.Inputs {
		if in.Key == key {
			return in, true
		}
	}
	return staging.Input{}, false
}

// firstCode is the first code a table's rows accept: a single code, or the low end of a range;
// "" when the table only takes a blank.
func firstCode(codes []staging.Code) string {
	for _, c := range codes {
		for _, part := range strings.Split(c.Value, ",") {
			part = strings.TrimSpace(part)
			if lo, _, ok := strings.Cut(part, "-"); ok {
				part = strings.TrimSpace(lo)
			}
			if part != "" && part != "*" && !strings.HasPrefix(part, "{{") {
				return part
			}
		}
	}
	return ""
}
