package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/internal/casework"
	"github.com/cara-registry/cara/internal/edits"
	"github.com/cara-registry/cara/internal/plural"
	"github.com/cara-registry/cara/internal/web/hx"
	"github.com/cara-registry/cara/views"
)

// actionLabels are the buttons of the action bar.
var actionLabels = map[abstract.Action]string{
	abstract.ActionSend:     "Send to review",
	abstract.ActionWithdraw: "Withdraw from review",
	abstract.ActionReturn:   "Return to registrar",
	abstract.ActionApprove:  "Approve",
	abstract.ActionReopen:   "Reopen",
}

// actionDone says what a step did, for the confirmation after the redirect (?flash=<action>).
var actionDone = map[abstract.Action]string{
	abstract.ActionSend:     "Sent to review",
	abstract.ActionWithdraw: "Withdrawn from review: the case is a draft again",
	abstract.ActionReturn:   "Returned to the registrar",
	abstract.ActionApprove:  "Approved",
	abstract.ActionReopen:   "Reopened: the case is a draft again",
}

// workflowHandler takes a case's workflow steps and its review comments.
type workflowHandler struct {
	*caseViews
}

// caseURL is a case's page at a section, with a flash message key when set.
func caseURL(id uint, section, flash string) string {
	q := url.Values{}
	if section != "" {
		q.Set("section", section)
	}
	if flash != "" {
		q.Set("flash", flash)
	}
	u := "/cases/" + strconv.FormatUint(uint64(id), 10)
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// changeStatus takes one workflow step on a case through the case service, and answers with a
// redirect to the case, or the case page (or the bar, for htmx) with why the step was refused.
func (h *workflowHandler) changeStatus(c echo.Context) error {
	id, err := tumorID(c)
	if err != nil {
		return err
	}
	a := caseActor(c)
	action := abstract.Action(c.FormValue("action"))
	sec := h.section(c.FormValue("section"))
	reason := strings.TrimSpace(c.FormValue("reason"))
	tv, _ := strconv.ParseInt(c.FormValue("tumorVersion"), 10, 64) // 0, no version, when it does not parse
	out, err := h.cases.TakeStep(c.Request().Context(), a, casework.Step{TumorID: id, Action: action, Reason: reason, TumorVersion: tv})
	var te *abstract.TransitionError
	switch {
	case errors.Is(err, casework.ErrUnknownStep):
		return echo.NewHTTPError(http.StatusBadRequest, "Unknown workflow step "+strconv.Quote(string(action))+" for this case.")
	case errors.Is(err, casework.ErrRoleMayNot):
		return echo.NewHTTPError(http.StatusForbidden, "A "+string(a.Role)+" cannot "+string(action)+" a case.")
	case errors.Is(err, casework.ErrNoVersion):
		return echo.NewHTTPError(http.StatusBadRequest, "The form is incomplete (no version). Reload the case and try again.")
	case errors.As(err, &te):
		status := http.StatusUnprocessableEntity
		msg := capitalize(te.Error()) + "."
		switch {
		case errors.Is(err, abstract.ErrWrongStatus):
			status = http.StatusConflict
			msg = "This case is " + strings.ToLower(te.From.Label()) + ": it cannot be " + pastTense(action) + " now. Reload it to see what changed."
		case errors.Is(err, abstract.ErrNoReason):
			msg = "To " + strings.ToLower(actionLabels[action]) + ", write a reason: it goes to the registrar and the audit trail."
		}
		return h.refuseStep(c, out.Case, out.Edits, sec, status, msg, out.Blocking, reason)
	case errors.Is(err, casework.ErrConflict) && out != nil:
		return h.refuseStep(c, out.Case, out.Edits, sec, http.StatusConflict, casework.ConflictMessage, nil, reason)
	case err != nil:
		return err
	}
	to := caseURL(id, sec.ID, string(action))
	if hx.Is(c.Request().Header.Get(string(hx.Request))) {
		// The status changes the whole page (what may be edited, the bar, the comments): load it.
		c.Response().Header().Set(string(hx.Redirect), to)
		return c.NoContent(http.StatusOK)
	}
	return c.Redirect(http.StatusSeeOther, to)
}

// refuseStep answers a refused step: the bar with the reason (htmx), or the case page with it.
func (h *workflowHandler) refuseStep(c echo.Context, cs *casework.Case, res []edits.Result, sec *abstract.Section, status int, msg string, blocking []edits.Result, reason string) error {
	v, err := h.casePageView(c, cs, res, sec)
	if err != nil {
		return err
	}
	v.Workflow.Message, v.Workflow.OK, v.Workflow.Reason = msg, false, reason
	v.Workflow.Edits = h.editViews(cs, blocking)
	if len(blocking) > 0 {
		v.Workflow.Blocked = c.FormValue("action")
	}
	if hx.Is(c.Request().Header.Get(string(hx.Request))) {
		// htmx swaps only 2xx answers by default; the bar is the answer.
		return render(c, http.StatusOK, views.WorkflowBar(v.Workflow))
	}
	return render(c, status, views.CasePage(v))
}

// casePageView is the case page as show builds it: the form, its edits (res, of the case as
// stored; run here when nil) and the review parts.
func (h *caseViews) casePageView(c echo.Context, cs *casework.Case, res []edits.Result, sec *abstract.Section) (views.CaseView, error) {
	v, err := h.caseView(c, cs, sec, nil, nil)
	if err != nil {
		return v, err
	}
	if res == nil {
		var err error
		if res, err = h.cases.Edits(cs); err != nil {
			return v, err
		}
	}
	h.withEdits(&v, cs, res)
	if err := h.withReview(c, &v, cs, res); err != nil {
		return v, err
	}
	return v, nil
}

// editViews are failing edits as the bar lists them, each linking to its fields.
func (h *caseViews) editViews(cs *casework.Case, res []edits.Result) []views.EditView {
	var out []views.EditView
	for _, r := range res {
		ev := views.EditView{ID: r.EditID, Severity: string(r.Severity), Message: r.Message, Name: r.EditID}
		for _, item := range r.Items {
			label := item
			if f, ok := h.form.Field(item); ok {
				label = f.Label
			}
			link := views.EditLink{Label: label + " (not on the form)"}
			if sec, ok := h.form.SectionOf(item); ok {
				link = views.EditLink{Label: label, URL: caseURL(cs.Tumor.ID, sec.ID, "") + "#f-" + item}
			}
			ev.Links = append(ev.Links, link)
		}
		out = append(out, ev)
	}
	return out
}

// withReview fills the review parts of a case view: the action bar with the steps the user may
// take now (and the confirmation of the last one, from ?flash=), the comments panel, the open
// comments under their fields, and why the form is read-only for a reviewer. res are the case's
// failing edits as stored, whose warnings a confirmation lists.
func (h *caseViews) withReview(c echo.Context, v *views.CaseView, cs *casework.Case, res []edits.Result) error {
	su := currentUser(c)
	role := auth.Role(su.User.Role)
	status := abstract.Status(cs.Tumor.Status)
	id := cs.Tumor.ID
	base := "/cases/" + strconv.FormatUint(uint64(id), 10)
	w := views.WorkflowView{URL: base + "/status", CSRF: v.CSRF, Section: v.Section.ID, TumorVersion: v.TumorVersion, StatusLabel: v.StatusLabel}
	for _, a := range abstract.Allowed(status, role) {
		t, _ := abstract.Check(abstract.Step{Action: a, From: status, Role: role, Reason: "x"})
		w.Actions = append(w.Actions, views.WorkflowAction{
			Action: string(a), Label: actionLabels[a], NeedsReason: t.NeedsReason,
			Primary: a == abstract.ActionSend || a == abstract.ActionApprove,
		})
	}
	flash := c.QueryParam("flash")
	if done, ok := actionDone[abstract.Action(flash)]; ok {
		w.OK, w.Message = true, done+"."
		if a := abstract.Action(flash); a == abstract.ActionSend || a == abstract.ActionApprove {
			var warns []edits.Result
			for _, r := range res {
				if r.Severity != edits.SeverityError {
					warns = append(warns, r)
				}
			}
			if len(warns) > 0 {
				w.Message = done + " with " + plural.Count(len(warns), "warning") + ":"
				w.Edits = h.editViews(cs, warns)
			}
		}
	}
	v.Workflow = w
	if role == auth.RoleReviewer && status.Editable() {
		v.ReadOnlyNote = "Reviewers do not change abstract values: comment on an item, then return the case to the registrar."
	}

	comments, err := h.cases.Comments(c.Request().Context(), caseActor(c), id)
	if err != nil {
		return err
	}
	p := views.ReviewPanel{CSRF: v.CSRF, Section: v.Section.ID}
	if msg, ok := commentFlash[flash]; ok {
		p.Message, p.OK = msg, true
	}
	reviewer := role == auth.RoleReviewer || role == auth.RoleAdmin
	registrar := role == auth.RoleRegistrar || role == auth.RoleAdmin
	mayAdd := reviewer && casework.Commentable(status)
	if mayAdd {
		p.AddURL = base + "/comments"
		p.Items = []views.Option{{Code: "", Label: "Whole case"}}
		for _, f := range v.Section.Fields {
			p.Items = append(p.Items, views.Option{Code: f.ID, Label: f.Label + " [" + strconv.Itoa(f.Number) + "]"})
		}
		if item := c.QueryParam("comment"); item != "" {
			if _, ok := h.form.Field(item); ok {
				p.Item = item
				if !hasOptionCode(p.Items, item) {
					f, _ := h.form.Field(item)
					p.Items = append(p.Items, views.Option{Code: item, Label: f.Label + " [" + strconv.Itoa(f.Def.Number) + "]"})
				}
			}
		}
	}
	byItem := map[string][]views.CommentView{}
	for _, cm := range comments {
		cv := h.commentView(cm, base, registrar && casework.Resolvable(status), reviewer)
		p.Comments = append(p.Comments, cv)
		if cm.NaaccrID != "" && cv.State != "closed" {
			byItem[cm.NaaccrID] = append(byItem[cm.NaaccrID], cv)
		}
	}
	v.Review = p
	for i := range v.Section.Fields {
		f := &v.Section.Fields[i]
		f.Comments = byItem[f.ID]
		if mayAdd {
			q := url.Values{"section": {v.Section.ID}, "comment": {f.ID}}
			// No fragment: a page with a target fragment skips autofocus, which puts the cursor in
			// the comment box.
			f.CommentURL = base + "?" + q.Encode()
		}
	}
	return nil
}

// commentFlash are the confirmations of the comment steps, after the redirect.
var commentFlash = map[string]string{
	"commented": "Comment added.",
	"resolved":  "Comment resolved: the reviewer closes it when they agree.",
	"closed":    "Comment closed.",
}

func (h *caseViews) commentView(cm casework.Comment, base string, mayResolve, mayClose bool) views.CommentView {
	cid := strconv.FormatUint(uint64(cm.ID), 10)
	cv := views.CommentView{
		ID: cm.ID, Anchor: "comment-" + cid, NaaccrID: cm.NaaccrID, ItemLabel: "Whole case", Body: cm.Body,
		Author: cm.AuthorName, Created: cm.CreatedAt.UTC().Format("2006-01-02 15:04"),
		State: "open", Resolution: cm.Resolution, Resolver: cm.ResolverName,
	}
	if cm.NaaccrID != "" {
		cv.ItemLabel = cm.NaaccrID
		if f, ok := h.form.Field(cm.NaaccrID); ok {
			cv.ItemLabel = f.Label + " [" + strconv.Itoa(f.Def.Number) + "]"
		}
		if sec, ok := h.form.SectionOf(cm.NaaccrID); ok {
			cv.ItemURL = base + "?section=" + sec.ID + "#f-" + cm.NaaccrID
		}
	}
	switch {
	case cm.ClosedAt != nil:
		cv.State = "closed"
	case cm.ResolvedAt != nil:
		cv.State = "resolved"
		if mayClose {
			cv.CloseURL = base + "/comments/" + cid + "/close"
		}
	default:
		if mayResolve {
			cv.ResolveURL = base + "/comments/" + cid + "/resolve"
		}
	}
	return cv
}

func hasOptionCode(opts []views.Option, code string) bool {
	for _, o := range opts {
		if o.Code == code {
			return true
		}
	}
	return false
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// pastTense is an action as "it cannot be ... now" says it.
func pastTense(a abstract.Action) string {
	switch a {
	case abstract.ActionSend:
		return "sent to review"
	case abstract.ActionWithdraw:
		return "withdrawn"
	case abstract.ActionReturn:
		return "returned"
	case abstract.ActionApprove:
		return "approved"
	case abstract.ActionReopen:
		return "reopened"
	}
	return string(a) + "ed"
}
