package loadtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/PuerkitoBio/goquery"
)

// lookups are what registrars type into the primary site's code look-up.
var lookups = []string{"C34", "lung", "breast", "C50.9", "colon", "prostate", "C18", "skin"}

// registrar opens shared cases, looks a code up, checks the edits and saves the text section;
// now and then she sends one of her own cases to review.
type registrar struct {
	*client
	cfg   Config
	cases []uint // shared
	flow  []uint // hers, to send
	led   *ledger
	rnd   *rand.Rand
}

func (r *registrar) run(ctx context.Context) {
	for n := 1; r.cfg.MaxActions == 0 || n <= r.cfg.MaxActions; n++ {
		if ctx.Err() != nil {
			return
		}
		var err error
		if len(r.flow) > 0 && r.rnd.IntN(5) == 0 {
			err = r.send(ctx)
		} else {
			err = r.save(ctx, n)
		}
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			return
		}
		// Another error is recorded; she goes on with the next case, as a person would.
	}
}

// save is one registrar action on a case: open the text section, look a code up, check the
// edits of what she typed, save. The save is acknowledged (the form comes back saying Saved),
// shown as a conflict, or an error; the ledger keeps the acknowledged ones for the check.
func (r *registrar) save(ctx context.Context, n int) error {
	if r.rnd.IntN(4) == 0 {
		a, err := r.get(ctx, kindWorklist, "/cases")
		if err != nil {
			return err
		}
		if a.status != http.StatusOK {
			return r.failed(a, "GET /cases")
		}
		r.done(a, outcomeOK)
	}
	id := r.cases[r.rnd.IntN(len(r.cases))]
	form, err := r.openForm(ctx, id, saveSection)
	if err != nil {
		return err
	}
	if !think(ctx, r.rnd, r.cfg.Think) {
		return ctx.Err()
	}
	a, err := r.get(ctx, kindLookup, "/lookup/primarySite?q="+url.QueryEscape(lookups[r.rnd.IntN(len(lookups))]))
	if err != nil {
		return err
	}
	if a.status != http.StatusOK {
		return r.failed(a, "GET /lookup/primarySite")
	}
	r.done(a, outcomeOK)
	vals := formValues(form)
	value := fmt.Sprintf("load test: %s, save %d", r.name, n)
	vals.Set(saveItem, value)
	a, err = r.postForm(ctx, kindEdits, caseURL(id)+"/edits", vals, true)
	if err != nil {
		return err
	}
	if a.status != http.StatusOK {
		return r.failed(a, "POST "+caseURL(id)+"/edits")
	}
	r.done(a, outcomeOK)
	if !think(ctx, r.rnd, r.cfg.Think) {
		return ctx.Err()
	}
	base, err := strconv.ParseInt(vals.Get("tumorVersion"), 10, 64)
	if err != nil {
		r.rec.failure(fmt.Errorf("%s: case %d: the form has no tumor version", r.name, id))
		return nil
	}
	// The save's context is not the run's: a save sent is let finish, so that its outcome is
	// known to the check.
	a, err = r.postForm(context.WithoutCancel(ctx), kindSave, caseURL(id), vals, true)
	if err != nil {
		r.led.uncertain(id)
		return err
	}
	switch {
	case a.status == http.StatusOK && strings.Contains(a.body, `data-testid="saved"`):
		r.done(a, outcomeOK)
		r.led.saved(id, base, value)
	case a.status == http.StatusOK && strings.Contains(a.body, `data-testid="conflict"`):
		r.done(a, outcomeConflict)
		r.led.conflicted()
	default:
		r.led.uncertain(id)
		return r.failed(a, "POST "+caseURL(id)+" (neither saved nor a conflict)")
	}
	return nil
}

// openForm opens a section of a case and returns its form.
func (c *client) openForm(ctx context.Context, id uint, section string) (*goquery.Selection, error) {
	path := caseURL(id) + "?section=" + url.QueryEscape(section)
	a, err := c.get(ctx, kindOpen, path)
	if err != nil {
		return nil, err
	}
	if a.status != http.StatusOK {
		return nil, c.failed(a, "GET "+path)
	}
	d, err := a.doc()
	if err != nil {
		return nil, c.failed(a, "GET "+path+": "+err.Error())
	}
	form := d.Find("form#case-form")
	if form.Length() == 0 {
		return nil, c.failed(a, "GET "+path+" (no case form)")
	}
	c.done(a, outcomeOK)
	return form, nil
}

// send sends one of her cases to review when it may be sent (a draft or returned case).
func (r *registrar) send(ctx context.Context) error {
	return takeStep(ctx, r.client, r.flow[r.rnd.IntN(len(r.flow))], "send", "", r.led)
}

// reviewer looks at the review queue and returns a case in review to its registrar.
type reviewer struct {
	*client
	cfg  Config
	flow []uint
	led  *ledger
	rnd  *rand.Rand
}

func (r *reviewer) run(ctx context.Context) {
	for n := 1; r.cfg.MaxActions == 0 || n <= r.cfg.MaxActions; n++ {
		if ctx.Err() != nil {
			return
		}
		a, err := r.get(ctx, kindReviewQueue, "/review")
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			continue
		}
		if a.status != http.StatusOK {
			_ = r.failed(a, "GET /review")
		} else {
			r.done(a, outcomeOK)
		}
		if !think(ctx, r.rnd, r.cfg.Think) {
			return
		}
		if len(r.flow) == 0 {
			continue
		}
		id := r.flow[r.rnd.IntN(len(r.flow))]
		if err := takeStep(ctx, r.client, id, "return", "Load test: please check the text items.", r.led); err != nil && ctx.Err() != nil {
			return
		}
		if !think(ctx, r.rnd, r.cfg.Think) {
			return
		}
	}
}

// takeStep opens a case and, when its workflow bar offers action, takes it as the bar's form
// posts it (a plain post: the redirect says it was taken, 409 that the case changed meanwhile).
func takeStep(ctx context.Context, c *client, id uint, action, reason string, led *ledger) error {
	path := caseURL(id)
	a, err := c.get(ctx, kindOpen, path)
	if err != nil {
		return err
	}
	if a.status != http.StatusOK {
		return c.failed(a, "GET "+path)
	}
	c.done(a, outcomeOK)
	d, err := a.doc()
	if err != nil {
		return err
	}
	form := d.Find(`form[data-testid="workflow-form"]`)
	if form.Find(`button[data-testid="action-`+action+`"]`).Length() == 0 {
		return nil // not now: the case is in another status
	}
	vals := formValues(form)
	vals.Set("action", action)
	if reason != "" {
		vals.Set("reason", reason)
	}
	a, err = c.postForm(ctx, kindStep, path+"/status", vals, false)
	if err != nil {
		return err
	}
	switch a.status {
	case http.StatusSeeOther:
		c.done(a, outcomeOK)
		led.stepped()
	case http.StatusConflict:
		c.done(a, outcomeConflict)
	default:
		return c.failed(a, "POST "+path+"/status ("+action+")")
	}
	return nil
}

// runIntake uploads the plan's file, waits for the check, accepts the file and waits until it
// is accepted; it returns the number of tumors the page offered to import.
func runIntake(ctx context.Context, c *client, p Plan) (int, error) {
	a, err := c.get(ctx, kindIntake, "/intake")
	if err != nil {
		return 0, err
	}
	if a.status != http.StatusOK {
		return 0, c.failed(a, "GET /intake")
	}
	c.done(a, outcomeOK)
	d, err := a.doc()
	if err != nil {
		return 0, err
	}
	token := d.Find(`form[data-testid="intake-form"] input[name="_csrf"]`).AttrOr("value", "")
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("_csrf", token)
	fw, err := mw.CreateFormFile("file", p.IntakeName)
	if err != nil {
		return 0, fmt.Errorf("loadtest: intake form: %w", err)
	}
	if _, err := fw.Write(p.IntakeFile); err != nil {
		return 0, fmt.Errorf("loadtest: intake form: %w", err)
	}
	if err := mw.Close(); err != nil {
		return 0, fmt.Errorf("loadtest: intake form: %w", err)
	}
	a, err = c.do(ctx, kindIntake, http.MethodPost, "/intake", &body, mw.FormDataContentType(), false)
	if err != nil {
		return 0, err
	}
	if a.status != http.StatusSeeOther || !strings.HasPrefix(a.header.Get("Location"), "/intake/") {
		return 0, c.failed(a, "POST /intake (upload)")
	}
	c.done(a, outcomeOK)
	page := a.header.Get("Location")

	// The check runs in the background on whichever process took the job; the page says when
	// it is done and offers the accept.
	var acceptURL, acceptToken string
	importable := 0
	for acceptURL == "" {
		if !sleep(ctx, 500*time.Millisecond) {
			return 0, ctx.Err()
		}
		d, err := c.intakePage(ctx, page)
		if err != nil {
			return 0, err
		}
		if msg := d.Find(`[data-testid="intake-failed"]`).Text(); msg != "" {
			err := fmt.Errorf("%s: intake %s failed: %s", c.name, page, strings.TrimSpace(msg))
			c.rec.failure(err)
			return 0, err
		}
		if d.Find(`[data-testid="intake-nothing-to-import"]`).Length() > 0 {
			return 0, nil
		}
		if btn := d.Find(`button[data-testid="intake-accept"]`); btn.Length() > 0 {
			f := btn.Closest("form")
			acceptURL, acceptToken = f.AttrOr("action", ""), f.Find(`input[name="_csrf"]`).AttrOr("value", "")
			importable, _ = strconv.Atoi(strings.TrimSpace(d.Find(`[data-testid="intake-importable"]`).Text()))
		}
	}
	a, err = c.postForm(ctx, kindIntake, acceptURL, url.Values{"_csrf": {acceptToken}}, false)
	if err != nil {
		return 0, err
	}
	if a.status != http.StatusSeeOther {
		return 0, c.failed(a, "POST "+acceptURL)
	}
	c.done(a, outcomeOK)
	d, err = c.intakePage(ctx, page)
	if err != nil {
		return 0, err
	}
	if d.Find(`[data-testid="intake-accepted"]`).Length() == 0 {
		err := fmt.Errorf("%s: intake %s: accepted, but its page does not say so", c.name, page)
		c.rec.failure(err)
		return 0, err
	}
	return importable, nil
}

func (c *client) intakePage(ctx context.Context, page string) (*goquery.Document, error) {
	a, err := c.get(ctx, kindIntake, page)
	if err != nil {
		return nil, err
	}
	if a.status != http.StatusOK {
		return nil, c.failed(a, "GET "+page)
	}
	c.done(a, outcomeOK)
	return a.doc()
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
