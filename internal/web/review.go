package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/views"
)

// reviewStore is what the review workflow needs of the database: the status steps, the
// comments, the queue and the returned cases.
type reviewStore interface {
	ChangeStatus(ctx context.Context, in store.StatusUpdate) (*store.Tumor, error)
	AddComment(ctx context.Context, in store.CommentAdd) (*store.ReviewComment, error)
	ResolveComment(ctx context.Context, in store.CommentStep) (*store.ReviewComment, error)
	CloseComment(ctx context.Context, in store.CommentStep) (*store.ReviewComment, error)
	CaseComments(ctx context.Context, tumorID uint, sc store.Scope) ([]store.CommentRow, error)
	ReviewQueue(ctx context.Context, f store.ReviewQueueFilter) ([]store.ReviewQueueRow, int64, error)
	ReturnedCases(ctx context.Context, sc store.Scope, forUser *uint, limit int) ([]store.ReturnedCase, error)
}

// maxCommentLength bounds a comment or a resolution note.
const maxCommentLength = 4000

// addComment stores a reviewer's comment on an item of a case (or on the whole case), while the
// case is in review or returned.
func (h *caseHandler) addComment(c echo.Context) error {
	su := currentUser(c)
	role := auth.Role(su.User.Role)
	if role != auth.RoleReviewer && role != auth.RoleAdmin {
		return echo.NewHTTPError(http.StatusForbidden, "Only a reviewer comments on a case; a "+string(role)+" resolves the comments.")
	}
	cs, err := h.caseInScope(c)
	if err != nil {
		return err
	}
	id := cs.Tumor.ID
	ctx := c.Request().Context()
	sec := h.section(c.FormValue("section"))
	item := strings.TrimSpace(c.FormValue("naaccrId"))
	body := strings.TrimSpace(c.FormValue("body"))
	status := abstract.Status(cs.Tumor.Status)
	refuse := func(code int, msg string) error {
		return h.refuseComment(c, cs, sec, code, msg, func(p *views.ReviewPanel) { p.Item, p.Body = item, body })
	}
	if !commentable(status) {
		return refuse(http.StatusConflict, "This case is "+strings.ToLower(status.Label())+": comments are added while a case is in review or returned.")
	}
	if item != "" {
		if _, ok := h.form.Field(item); !ok {
			return refuse(http.StatusUnprocessableEntity, "There is no item "+strconv.Quote(item)+" on the form to comment on; choose an item or the whole case.")
		}
	}
	if body == "" {
		return refuse(http.StatusUnprocessableEntity, "Write the comment: say what is wrong with the item and what you expect.")
	}
	if len([]rune(body)) > maxCommentLength {
		return refuse(http.StatusUnprocessableEntity, "The comment is longer than "+strconv.Itoa(maxCommentLength)+" characters; shorten it.")
	}
	_, err = h.store.AddComment(ctx, store.CommentAdd{
		TumorID: id, Scope: scopeOf(su), NaaccrID: item, Body: body, AuthorID: su.User.ID,
		CaseStatuses: []string{string(abstract.StatusInReview), string(abstract.StatusReturned)}, RemoteAddr: c.RealIP(),
	})
	if errors.Is(err, store.ErrConflict) {
		return refuse(http.StatusConflict, conflictMessage)
	}
	if err != nil {
		return err
	}
	anchor := "#comments"
	if item != "" {
		anchor = "#f-" + item
	}
	return c.Redirect(http.StatusSeeOther, caseURL(id, sec.ID, "commented")+anchor)
}

// resolveComment marks a comment resolved with the registrar's note of what was done, while the
// case is theirs to change (returned or draft).
func (h *caseHandler) resolveComment(c echo.Context) error {
	su := currentUser(c)
	role := auth.Role(su.User.Role)
	if role != auth.RoleRegistrar && role != auth.RoleAdmin {
		return echo.NewHTTPError(http.StatusForbidden, "Only the registrar resolves a comment; a reviewer closes it once it is resolved.")
	}
	return h.commentStep(c, func(cs *store.Case, cid uint, note string) (string, int, string) {
		if note == "" {
			return "", http.StatusUnprocessableEntity, "Say what you did about the comment (the reviewer reads it before closing it)."
		}
		if len([]rune(note)) > maxCommentLength {
			return "", http.StatusUnprocessableEntity, "The note is longer than " + strconv.Itoa(maxCommentLength) + " characters; shorten it."
		}
		_, err := h.store.ResolveComment(c.Request().Context(), store.CommentStep{
			CommentID: cid, TumorID: cs.Tumor.ID, Scope: scopeOf(su), UserID: su.User.ID, Note: note,
			CaseStatuses: []string{string(abstract.StatusReturned), string(abstract.StatusDraft)}, RemoteAddr: c.RealIP(),
		})
		// The store checks the comment (of this case) before the status, so that another case's
		// comment is not found whatever this case's status.
		if status := abstract.Status(cs.Tumor.Status); errors.Is(err, store.ErrConflict) && !resolvable(status) {
			return "", http.StatusConflict, "This case is " + strings.ToLower(status.Label()) + ": comments are resolved while the case is returned or a draft."
		}
		return stepOutcome(err, "resolved", "This comment is already resolved.")
	})
}

// closeComment closes a resolved comment: the reviewer agrees with what was done.
func (h *caseHandler) closeComment(c echo.Context) error {
	su := currentUser(c)
	role := auth.Role(su.User.Role)
	if role != auth.RoleReviewer && role != auth.RoleAdmin {
		return echo.NewHTTPError(http.StatusForbidden, "Only a reviewer closes a comment; the registrar resolves it.")
	}
	return h.commentStep(c, func(cs *store.Case, cid uint, _ string) (string, int, string) {
		_, err := h.store.CloseComment(c.Request().Context(), store.CommentStep{
			CommentID: cid, TumorID: cs.Tumor.ID, Scope: scopeOf(su), UserID: su.User.ID, RemoteAddr: c.RealIP(),
		})
		return stepOutcome(err, "closed", "This comment cannot be closed: the registrar has not resolved it yet, or it is closed already.")
	})
}

// stepOutcome turns a store error of a comment step into the flash of a step done, or a refusal.
// A not-found or unexpected error is passed on as the refusal's status 0 (see commentStep).
func stepOutcome(err error, flash, stateMsg string) (string, int, string) {
	switch {
	case err == nil:
		return flash, 0, ""
	case errors.Is(err, store.ErrCommentState):
		return "", http.StatusConflict, stateMsg
	case errors.Is(err, store.ErrConflict):
		return "", http.StatusConflict, conflictMessage
	case errors.Is(err, store.ErrNotFound):
		return "", http.StatusNotFound, ""
	}
	return "", http.StatusInternalServerError, err.Error()
}

// commentStep loads the case and the comment id of a resolve or close, runs do, and redirects
// back to the comment, or shows the case page with the refusal.
func (h *caseHandler) commentStep(c echo.Context, do func(cs *store.Case, cid uint, note string) (flash string, code int, msg string)) error {
	su := currentUser(c)
	id, err := tumorID(c)
	if err != nil {
		return err
	}
	cid, err := strconv.ParseUint(c.Param("cid"), 10, 32)
	if err != nil || cid == 0 {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	cs, err := h.store.LoadCase(c.Request().Context(), id, scopeOf(su))
	if err != nil {
		return err
	}
	sec := h.section(c.FormValue("section"))
	note := strings.TrimSpace(c.FormValue("note"))
	flash, code, msg := do(cs, uint(cid), note)
	switch {
	case code == http.StatusNotFound:
		return echo.NewHTTPError(http.StatusNotFound)
	case code >= 500:
		return errors.New("web: comment " + strconv.FormatUint(cid, 10) + " of case " + strconv.FormatUint(uint64(id), 10) + ": " + msg)
	case code != 0:
		return h.refuseComment(c, cs, sec, code, msg, func(p *views.ReviewPanel) { p.Resolving, p.Note = uint(cid), note })
	}
	return c.Redirect(http.StatusSeeOther, caseURL(id, sec.ID, flash)+"#comment-"+strconv.FormatUint(cid, 10))
}

// refuseComment shows the case page with why a comment step was refused, keeping what was typed.
func (h *caseHandler) refuseComment(c echo.Context, cs *store.Case, sec *abstract.Section, code int, msg string, keep func(*views.ReviewPanel)) error {
	v, err := h.casePageView(c, cs, sec)
	if err != nil {
		return err
	}
	v.Review.Message, v.Review.OK = msg, false
	keep(&v.Review)
	return render(c, code, views.CasePage(v))
}
