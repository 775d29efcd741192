package audit

// The release of information's actions (internal/release), apart from actions.go so that the list
// of each concern stays in one place.
const (
	ReleaseDraft       = "release.request_draft"    // a data request drafted
	ReleaseApprove     = "release.request_approve"  // a data request approved, with its expiry
	ReleaseDeny        = "release.request_deny"     // a data request denied, with the reason
	ReleaseRun         = "release.run"              // an extract written (its items, filters, SHA-256, counts)
	ReleaseAggregate   = "release.aggregate"        // the suppressed aggregate of a request's cases viewed
	ReleaseDownload    = "release.download"         // an extract's file downloaded
	ReleasePurge       = "release.purge"            // an extract's file deleted at its expiry
	ReleaseDisclosures = "release.disclosures_view" // a patient's accounting of disclosures viewed
)
