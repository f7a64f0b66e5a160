// Package sendgrid sends email through SendGrid's v3 mail/send API and
// verifies its signed Event Webhook. It says whether a failure is worth
// retrying; what to send and when is decided elsewhere.
package sendgrid

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sendgrid/rest"
	sg "github.com/sendgrid/sendgrid-go"
	"github.com/sendgrid/sendgrid-go/helpers/mail"
)

// Client sends mail. Its HTTP client has a timeout: sendgrid-go's default
// has none.
type Client struct {
	key     string
	baseURL string
	rest    *rest.Client
	now     func() time.Time
}

// New returns a client for the API at baseURL (https://api.sendgrid.com, or
// a test's fake) with key, giving up on a call after timeout.
func New(key, baseURL string, timeout time.Duration) *Client {
	return &Client{key: key, baseURL: strings.TrimRight(baseURL, "/"),
		rest: &rest.Client{HTTPClient: &http.Client{Timeout: timeout}}, now: time.Now}
}

// Mail is one message. With TemplateID the message is SendGrid's dynamic
// template rendered from TemplateData; without it, Text and HTML are sent.
type Mail struct {
	FromEmail    string
	FromName     string
	ReplyTo      string
	ToEmail      string
	ToName       string
	Subject      string
	Text         string
	HTML         string
	TemplateID   string
	TemplateData map[string]any
	// Categories and CustomArgs travel with the message and come back on
	// its events: ids only, never personal data.
	Categories []string
	CustomArgs map[string]string
	// Attachments go with Text and HTML (a dynamic template's too).
	Attachments []Attachment
}

// Attachment is a file sent with a message: Content is the file's bytes
// (sent base64, as SendGrid wants), Type its MIME type.
type Attachment struct {
	Filename string
	Type     string
	Content  []byte
}

// Error is a send SendGrid refused or that did not complete.
type Error struct {
	Status int // 0 for a transport error
	Detail string
	// Permanent failures (400, 413) are this message's: retrying cannot
	// fix them.
	Permanent bool
	// Account failures (401, 403) are the account's (credits exhausted,
	// key revoked, sender unverified): every message waits until the
	// account is fixed, none is at fault.
	Account bool
	// NotSent, for a transport error, says the request never left (no
	// connection was made): SendGrid certainly did not accept it. Any
	// other transport error leaves the outcome unknown.
	NotSent bool
	// RetryAfter, for 429, is when SendGrid's rate limit resets.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if e.Status == 0 {
		return "sendgrid: " + e.Detail
	}
	return fmt.Sprintf("sendgrid: %d: %s", e.Status, e.Detail)
}

// Send posts m to /v3/mail/send and returns SendGrid's X-Message-Id. A 2xx
// means queued by SendGrid, not delivered.
func (c *Client) Send(ctx context.Context, m Mail) (string, error) {
	req := sg.GetRequest(c.key, "/v3/mail/send", c.baseURL)
	req.Method = rest.Post
	req.Body = mail.GetRequestBody(build(m))
	// Whether a connection was ever made tells a request that never left
	// from one that may have reached SendGrid.
	var connected atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) { connected.Store(true) }})
	resp, err := c.rest.SendWithContext(ctx, req)
	if err != nil {
		return "", &Error{Detail: err.Error(), NotSent: !connected.Load()}
	}
	// sendgrid-go returns no error for 4xx and 5xx: the status decides.
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return header(resp.Headers, "X-Message-Id"), nil
	}
	e := &Error{Status: resp.StatusCode, Detail: firstError(resp.Body)}
	switch resp.StatusCode {
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		e.Permanent = true
	case http.StatusUnauthorized, http.StatusForbidden:
		e.Account = true
	case http.StatusTooManyRequests:
		e.RetryAfter = c.retryAfter(header(resp.Headers, "X-RateLimit-Reset"))
	}
	return "", e
}

// IsPermanent reports whether err is a send that retrying cannot fix.
func IsPermanent(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Permanent
}

// IsAccount reports whether err is SendGrid refusing the account rather
// than the message.
func IsAccount(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Account
}

// Unknown reports whether err leaves it unknown whether SendGrid accepted
// the message: the request may have reached it, and no answer came. An
// error that is not SendGrid's own is unknown too.
func Unknown(err error) bool {
	var e *Error
	if err == nil {
		return false
	}
	return !errors.As(err, &e) || e.Status == 0 && !e.NotSent
}

// RetryAfter is how long to wait before retrying err (0: the caller's own
// backoff).
func RetryAfter(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}

func build(m Mail) *mail.SGMailV3 {
	v := mail.NewV3Mail()
	v.SetFrom(mail.NewEmail(m.FromName, m.FromEmail))
	if m.ReplyTo != "" {
		v.SetReplyTo(mail.NewEmail("", m.ReplyTo))
	}
	p := mail.NewPersonalization()
	p.AddTos(mail.NewEmail(m.ToName, m.ToEmail))
	for k, val := range m.TemplateData {
		p.SetDynamicTemplateData(k, val)
	}
	v.AddPersonalizations(p)
	if m.TemplateID != "" {
		v.SetTemplateID(m.TemplateID)
	} else {
		v.Subject = m.Subject
		v.AddContent(mail.NewContent("text/plain", m.Text), mail.NewContent("text/html", m.HTML))
	}
	for _, a := range m.Attachments {
		att := mail.NewAttachment()
		att.SetContent(base64.StdEncoding.EncodeToString(a.Content))
		att.SetType(a.Type)
		att.SetFilename(a.Filename)
		att.SetDisposition("attachment")
		v.AddAttachment(att)
	}
	v.AddCategories(m.Categories...)
	for k, val := range m.CustomArgs {
		v.SetCustomArg(k, val)
	}
	return v
}

// retryAfter reads X-RateLimit-Reset: the Unix time the limit resets.
func (c *Client) retryAfter(reset string) time.Duration {
	sec, err := strconv.ParseInt(reset, 10, 64)
	if err != nil {
		return time.Second
	}
	return max(time.Second, time.Unix(sec, 0).Sub(c.now()))
}

func header(h map[string][]string, name string) string {
	if vs := http.Header(h).Values(name); len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// firstError is the first error message in SendGrid's error body.
func firstError(body string) string {
	var b struct {
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if json.Unmarshal([]byte(body), &b) == nil && len(b.Errors) > 0 {
		return b.Errors[0].Message
	}
	if len(body) > 200 {
		body = body[:200]
	}
	return body
}
