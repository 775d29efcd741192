package views

import "strconv"

func hasOption(opts []Option, code string) bool {
	for _, o := range opts {
		if o.Code == code {
			return true
		}
	}
	return false
}

// inputSize gives an input a width that fits its item, within reason.
func inputSize(length int) int {
	switch {
	case length < 4:
		return 4
	case length > 40:
		return 40
	}
	return length + 1
}

// tabIndex keeps read-only (derived) fields out of the keyboard's way.
func tabIndex(readOnly bool) string {
	if readOnly {
		return "-1"
	}
	return "0"
}

// filledOf and requiredOf add up the sections' meters into the case's completeness.
func filledOf(tabs []SectionTab) int {
	n := 0
	for _, t := range tabs {
		n += t.Filled
	}
	return n
}

func requiredOf(tabs []SectionTab) int {
	n := 0
	for _, t := range tabs {
		n += t.Required
	}
	return n
}

// stringOptions offers plain values (years, versions) as options that read as themselves.
func stringOptions(values []string) []Option {
	out := make([]Option, len(values))
	for i, v := range values {
		out[i] = Option{Code: v, Label: v}
	}
	return out
}

// intakeFacilitySelect is the upload form's facility list as a select's options and choice.
func intakeFacilitySelect(fs []IntakeFacility) ([]Option, string) {
	opts := make([]Option, len(fs))
	chosen := ""
	for i, f := range fs {
		opts[i] = Option{Code: strconv.FormatUint(uint64(f.ID), 10), Label: f.Name}
		if f.Selected && chosen == "" {
			chosen = opts[i].Code
		}
	}
	return opts, chosen
}

// sampleModes are the two ways a re-abstraction sample's size is given.
var sampleModes = []Option{{Code: "percent", Label: "% of the cases"}, {Code: "count", Label: "cases"}}

// sampleMode is the mode a sample form shows: a number of cases only when asked for, else a percent.
func sampleMode(mode string) string {
	if mode == "count" {
		return "count"
	}
	return "percent"
}

// sourceLine says where a suggested value came from: the report, the place in it and the text
// read ("Pathology report S26-1 from LAB (received 2026-11-01), OBX 4 (LN 85337-4): “Positive”").
func sourceLine(s SuggestionView) string {
	line := s.Source
	if s.Report != "" {
		line = s.Report + ", " + s.Source
	}
	if s.SourceText != "" {
		line += ": " + Quoted(s.SourceText)
	}
	return line
}

// codeLabelOf is " (label)" of a suggested code, or "".
func codeLabelOf(s SuggestionView) string {
	if s.CodeLabel == "" {
		return ""
	}
	return " (" + s.CodeLabel + ")"
}
