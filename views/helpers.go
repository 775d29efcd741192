package views

// StatusLabel is a status as a person reads it.
func StatusLabel(s string) string {
	switch s {
	case "draft":
		return "Draft"
	case "in_review":
		return "In review"
	case "returned":
		return "Returned"
	case "approved":
		return "Approved"
	case "submitted":
		return "Submitted"
	case "received":
		return "Received"
	}
	return s
}

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
