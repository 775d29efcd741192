package followup

import (
	"github.com/cara-registry/cara/internal/casework"
)

// Actor is who asks: the case service's.
type Actor = casework.Actor

// Record is one follow-up to record; see casework.FollowUp.
type Record = casework.FollowUp

// Recorded is what recording did; see casework.FollowUpSaved.
type Recorded = casework.FollowUpSaved

// actorUser is the actor's user for the audit trail; nil for a command-line job (user 0).
func actorUser(a Actor) *uint {
	if a.UserID == 0 {
		return nil
	}
	return &a.UserID
}
