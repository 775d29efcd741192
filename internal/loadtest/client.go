package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"time"

	"github.com/PuerkitoBio/goquery"
)

// client is one simulated person's browser: its own cookie jar (the sign-in pre-session, then
// the session), no redirects followed (the status of each answer is what the test reads), and
// every request timed into the recorder under its kind.
type client struct {
	base string
	http *http.Client
	rec  *recorder
	name string
}

func newClient(base string, tr http.RoundTripper, rec *recorder, name string) (*client, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, fmt.Errorf("loadtest: cookie jar: %w", err)
	}
	hc := &http.Client{
		Transport: tr,
		Jar:       jar,
		Timeout:   time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	return &client{base: strings.TrimRight(base, "/"), http: hc, rec: rec, name: name}, nil
}

// answer is a response read whole.
type answer struct {
	status  int
	header  http.Header
	body    string
	kind    string
	elapsed time.Duration
}

// doc parses the answer's HTML.
func (a *answer) doc() (*goquery.Document, error) {
	d, err := goquery.NewDocumentFromReader(strings.NewReader(a.body))
	if err != nil {
		return nil, fmt.Errorf("parse HTML: %w", err)
	}
	return d, nil
}

// do sends one request and reads the whole answer. A transport error is recorded as an error of
// kind and returned; any status is an answer, which the caller judges and records (c.done).
func (c *client) do(ctx context.Context, kind, method, path string, body io.Reader, contentType string, htmx bool) (*answer, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if htmx {
		req.Header.Set("HX-Request", "true")
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		c.rec.add(kind, time.Since(start), outcomeError)
		err = fmt.Errorf("%s: %s %s: %w", c.name, method, path, err)
		c.rec.failure(err)
		return nil, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	elapsed := time.Since(start)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		c.rec.add(kind, elapsed, outcomeError)
		err = fmt.Errorf("%s: %s %s: read answer: %w", c.name, method, path, err)
		c.rec.failure(err)
		return nil, err
	}
	return &answer{status: resp.StatusCode, header: resp.Header, body: string(b), kind: kind, elapsed: elapsed}, nil
}

// done records an answer's time and outcome.
func (c *client) done(a *answer, o outcome) { c.rec.add(a.kind, a.elapsed, o) }

// failed records an answer as an error and returns it, with the start of the page's text.
func (c *client) failed(a *answer, what string) error {
	c.done(a, outcomeError)
	err := fmt.Errorf("%s: %s: status %d: %s", c.name, what, a.status, snippet(a.body))
	c.rec.failure(err)
	return err
}

// snippet is the start of an answer's visible text, for an error message.
func snippet(body string) string {
	text := body
	if d, err := goquery.NewDocumentFromReader(strings.NewReader(body)); err == nil {
		if t := d.Find("main").Text(); strings.TrimSpace(t) != "" {
			text = t
		} else {
			text = d.Text()
		}
	}
	text = strings.Join(strings.Fields(text), " ")
	if len(text) > 200 {
		text = text[:200] + "…"
	}
	return text
}

func (c *client) get(ctx context.Context, kind, path string) (*answer, error) {
	return c.do(ctx, kind, http.MethodGet, path, nil, "", false)
}

func (c *client) postForm(ctx context.Context, kind, path string, v url.Values, htmx bool) (*answer, error) {
	return c.do(ctx, kind, http.MethodPost, path, strings.NewReader(v.Encode()), "application/x-www-form-urlencoded", htmx)
}

// login signs in as the browser does: the sign-in form gives a pre-session cookie and its CSRF
// token, the post of name, password and token gives the session cookie and a redirect.
func (c *client) login(ctx context.Context, username, password string) error {
	a, err := c.get(ctx, kindLogin, "/login")
	if err != nil {
		return err
	}
	if a.status != http.StatusOK {
		return c.failed(a, "GET /login")
	}
	c.done(a, outcomeOK)
	d, err := a.doc()
	if err != nil {
		return err
	}
	token, ok := d.Find(`input[name="_csrf"]`).First().Attr("value")
	if !ok || token == "" {
		return errors.New("GET /login: no CSRF token in the sign-in form")
	}
	a, err = c.postForm(ctx, kindLogin, "/login", url.Values{"username": {username}, "password": {password}, "_csrf": {token}}, false)
	if err != nil {
		return err
	}
	if a.status != http.StatusSeeOther {
		return c.failed(a, "POST /login as "+username+" (not the redirect of a sign-in)")
	}
	c.done(a, outcomeOK)
	return nil
}

// formValues is what a browser posts for a form: its named inputs (checked boxes only), the
// selected option of each select (else its first), each textarea's text. Submit buttons are
// left out: the caller adds the one pressed.
func formValues(form *goquery.Selection) url.Values {
	v := url.Values{}
	form.Find("input[name], select[name], textarea[name]").Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		if _, off := s.Attr("disabled"); off {
			return
		}
		switch goquery.NodeName(s) {
		case "input":
			typ := strings.ToLower(s.AttrOr("type", "text"))
			switch typ {
			case "submit", "button", "image", "reset", "file":
				return
			case "checkbox", "radio":
				if _, on := s.Attr("checked"); !on {
					return
				}
				v.Add(name, s.AttrOr("value", "on"))
				return
			}
			v.Add(name, s.AttrOr("value", ""))
		case "select":
			opt := s.Find("option[selected]").First()
			if opt.Length() == 0 {
				opt = s.Find("option").First()
			}
			if opt.Length() > 0 {
				val, ok := opt.Attr("value")
				if !ok {
					val = opt.Text()
				}
				v.Add(name, val)
			}
		case "textarea":
			// The HTML parser drops the one newline that may follow <textarea>, as browsers do.
			v.Add(name, s.Text())
		}
	})
	return v
}
