package fhirintake

import (
	"fmt"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"
)

// Severities of an Issue, those of FHIR's OperationOutcome.
const (
	SeverityError   = "error"   // the bundle is refused
	SeverityWarning = "warning" // the bundle is taken, this part of it not read
)

// Issue is one problem of a bundle: its severity, the FHIR issue type (invalid, structure,
// value, code-invalid, not-supported, required, duplicate, too-long), the path of the resource
// and field (Bundle.entry[2].resource(Condition).onsetDateTime) and the reason.
type Issue struct {
	Severity string
	Code     string
	Path     string
	Reason   string
}

func (i Issue) String() string { return fmt.Sprintf("%s at %s: %s", i.Severity, i.Path, i.Reason) }

// Issues are the problems of one bundle.
type Issues []Issue

func (is *Issues) add(sev, code, path, format string, args ...any) {
	*is = append(*is, Issue{Severity: sev, Code: code, Path: path, Reason: fmt.Sprintf(format, args...)})
}

// Fatal says whether any issue refuses the bundle.
func (is Issues) Fatal() bool {
	for _, i := range is {
		if i.Severity == SeverityError {
			return true
		}
	}
	return false
}

// OperationOutcome is the issues as FHIR says them; with none, one informational issue says
// what was done (note).
func (is Issues) OperationOutcome(note string) fhir.OperationOutcome {
	var oo fhir.OperationOutcome
	for _, i := range is {
		sev := fhir.IssueSeverityWarning
		if i.Severity == SeverityError {
			sev = fhir.IssueSeverityError
		}
		reason := i.Reason
		oo.Issue = append(oo.Issue, fhir.OperationOutcomeIssue{Severity: sev, Code: issueType(i.Code), Diagnostics: &reason,
			Expression: []string{i.Path}})
	}
	if note != "" {
		oo.Issue = append(oo.Issue, fhir.OperationOutcomeIssue{Severity: fhir.IssueSeverityInformation,
			Code: fhir.IssueTypeInformational, Diagnostics: &note})
	}
	return oo
}

func issueType(code string) fhir.IssueType {
	switch code {
	case "structure":
		return fhir.IssueTypeStructure
	case "value":
		return fhir.IssueTypeValue
	case "code-invalid":
		return fhir.IssueTypeCodeInvalid
	case "not-supported":
		return fhir.IssueTypeNotSupported
	case "required":
		return fhir.IssueTypeRequired
	case "duplicate":
		return fhir.IssueTypeDuplicate
	case "too-long":
		return fhir.IssueTypeTooLong
	case "security":
		return fhir.IssueTypeSecurity
	case "throttled":
		return fhir.IssueTypeThrottled
	case "not-found":
		return fhir.IssueTypeNotFound
	case "forbidden":
		return fhir.IssueTypeForbidden
	}
	return fhir.IssueTypeInvalid
}
