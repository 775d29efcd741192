package audit

// The follow-up's actions (internal/followup), apart from actions.go so that the list of each
// concern stays in one place.
const (
	FollowUpDue     = "followup.due"     // a due list viewed or exported
	FollowUpRecord  = "followup.record"  // a follow-up recorded on a tumor (the items changed)
	FollowUpLetters = "followup.letters" // follow-up letters printed
	FollowUpDeaths  = "followup.deaths"  // a death file matched against the patients
	FollowUpRate    = "followup.rate"    // the follow-up rate report viewed
)
