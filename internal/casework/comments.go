package casework

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/internal/store"
)

// MaxCommentLength bounds a comment or a resolution note, in characters.
const MaxCommentLength = 4000

// ErrCommentState: the comment is not in a state that allows the step (resolved already, or
// not yet resolved for a close).
var ErrCommentState = store.ErrCommentState

// Refusal is a comment step refused for a reason the user can act on; Message says it in
// words. Forbidden refusals come before the case is read (the role never takes the step).
type Refusal struct {
	Forbidden bool
	Conflict  bool // the case's status (or a change meanwhile) is the reason
	Message   string
}

func (r *Refusal) Error() string { return r.Message }

func forbidden(msg string) *Refusal { return &Refusal{Forbidden: true, Message: msg} }
func invalid(msg string) *Refusal   { return &Refusal{Message: msg} }
func conflict(msg string) *Refusal  { return &Refusal{Conflict: true, Message: msg} }

// ConflictMessage is what a step on a case changed by someone else meanwhile says.
const ConflictMessage = "Someone changed this case (its values or its status) since you opened it, so nothing was done. Reload the case, check it, and try again."

// Commentable: a reviewer comments on a case in review or returned.
func Commentable(s abstract.Status) bool {
	return s == abstract.StatusInReview || s == abstract.StatusReturned
}

// Resolvable: a registrar resolves comments while the case is theirs to change.
func Resolvable(s abstract.Status) bool {
	return s == abstract.StatusReturned || s == abstract.StatusDraft
}

// AddComment stores a reviewer's comment on an item of a case (item "") or on the whole case,
// while the case is in review or returned. A refusal is a *Refusal; the case is returned with
// it unless it is Forbidden.
func (s *Service) AddComment(ctx context.Context, a Actor, tumorID uint, item, body string) (*Case, error) {
	if a.Role != auth.RoleReviewer && a.Role != auth.RoleAdmin {
		return nil, forbidden("Only a reviewer comments on a case; a " + string(a.Role) + " resolves the comments.")
	}
	cs, err := s.Open(ctx, a, tumorID)
	if err != nil {
		return nil, err
	}
	status := abstract.Status(cs.Tumor.Status)
	if !Commentable(status) {
		return cs, conflict("This case is " + strings.ToLower(status.Label()) + ": comments are added while a case is in review or returned.")
	}
	if item != "" {
		if _, ok := s.form.Field(item); !ok {
			return cs, invalid("There is no item " + strconv.Quote(item) + " on the form to comment on; choose an item or the whole case.")
		}
	}
	if body == "" {
		return cs, invalid("Write the comment: say what is wrong with the item and what you expect.")
	}
	if utf8.RuneCountInString(body) > MaxCommentLength {
		return cs, invalid("The comment is longer than " + strconv.Itoa(MaxCommentLength) + " characters; shorten it.")
	}
	_, err = s.store.AddComment(ctx, store.CommentAdd{
		TumorID: cs.Tumor.ID, Scope: a.Scope, NaaccrID: item, Body: body, AuthorID: a.UserID,
		CaseStatuses: []string{string(abstract.StatusInReview), string(abstract.StatusReturned)}, RemoteAddr: a.RemoteAddr,
	})
	if errors.Is(err, store.ErrConflict) {
		return cs, conflict(ConflictMessage)
	}
	return cs, err
}

// ResolveComment marks a comment resolved with the registrar's note of what was done, while
// the case is theirs to change (returned or draft). Refusals as in AddComment; a comment not of
// this case is ErrNotFound.
func (s *Service) ResolveComment(ctx context.Context, a Actor, tumorID, commentID uint, note string) (*Case, error) {
	if a.Role != auth.RoleRegistrar && a.Role != auth.RoleAdmin {
		return nil, forbidden("Only the registrar resolves a comment; a reviewer closes it once it is resolved.")
	}
	cs, err := s.Open(ctx, a, tumorID)
	if err != nil {
		return nil, err
	}
	if note == "" {
		return cs, invalid("Say what you did about the comment (the reviewer reads it before closing it).")
	}
	if utf8.RuneCountInString(note) > MaxCommentLength {
		return cs, invalid("The note is longer than " + strconv.Itoa(MaxCommentLength) + " characters; shorten it.")
	}
	_, err = s.store.ResolveComment(ctx, store.CommentStep{
		CommentID: commentID, TumorID: cs.Tumor.ID, Scope: a.Scope, UserID: a.UserID, Note: note,
		CaseStatuses: []string{string(abstract.StatusReturned), string(abstract.StatusDraft)}, RemoteAddr: a.RemoteAddr,
	})
	// The store checks the comment (of this case) before the status, so that another case's
	// comment is not found whatever this case's status.
	if status := abstract.Status(cs.Tumor.Status); errors.Is(err, store.ErrConflict) && !Resolvable(status) {
		return cs, conflict("This case is " + strings.ToLower(status.Label()) + ": comments are resolved while the case is returned or a draft.")
	}
	return cs, commentOutcome(err, "This comment is already resolved.")
}

// CloseComment closes a resolved comment: the reviewer agrees with what was done.
func (s *Service) CloseComment(ctx context.Context, a Actor, tumorID, commentID uint) (*Case, error) {
	if a.Role != auth.RoleReviewer && a.Role != auth.RoleAdmin {
		return nil, forbidden("Only a reviewer closes a comment; the registrar resolves it.")
	}
	cs, err := s.Open(ctx, a, tumorID)
	if err != nil {
		return nil, err
	}
	_, err = s.store.CloseComment(ctx, store.CommentStep{
		CommentID: commentID, TumorID: cs.Tumor.ID, Scope: a.Scope, UserID: a.UserID, RemoteAddr: a.RemoteAddr,
	})
	return cs, commentOutcome(err, "This comment cannot be closed: the registrar has not resolved it yet, or it is closed already.")
}

// commentOutcome turns a store error of a comment step into a refusal; not found and unexpected
// errors pass through.
func commentOutcome(err error, stateMsg string) error {
	switch {
	case errors.Is(err, store.ErrCommentState):
		return conflict(stateMsg)
	case errors.Is(err, store.ErrConflict):
		return conflict(ConflictMessage)
	}
	return err
}
