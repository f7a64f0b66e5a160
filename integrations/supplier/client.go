package supplier

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Client POSTs purchase orders to suppliers' URLs.
type Client struct {
	http *http.Client
	now  func() time.Time
}

// New returns a client that gives up on a POST after timeout. It does not
// follow redirects: a supplier's URL that moved is a setting to fix, and a
// redirected POST may arrive as a GET.
func New(timeout time.Duration) *Client {
	return &Client{now: time.Now, http: &http.Client{Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// Error is a POST the supplier refused or that did not complete.
type Error struct {
	Status int // 0 when no answer came
	// Detail is the supplier's answer (its body, cut short) or the
	// transport's error: the reason an operator reads.
	Detail string
	// Permanent failures (4xx but 429, a bad URL, a redirect) are this
	// order's or this supplier's setting's: retrying cannot fix them.
	Permanent bool
	// RetryAfter, for 429, is the supplier's Retry-After.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if e.Status == 0 {
		return "supplier: " + e.Detail
	}
	return fmt.Sprintf("supplier: %d: %s", e.Status, e.Detail)
}

// maxDetail bounds the part of a supplier's answer kept as Detail: it is
// stored on the purchase order and shown to operators.
const maxDetail = 300

// SendPO POSTs body (a PODocument as JSON) to url, signed with secret and
// named deliveryID. A 2xx accepts it; 429, 5xx and transport errors are
// retryable; anything else is permanent (see IsPermanent).
func (c *Client) SendPO(ctx context.Context, url, secret, deliveryID string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return &Error{Detail: "bad url: " + err.Error(), Permanent: true}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "backorderd")
	req.Header.Set(HeaderSignature, Sign(secret, body))
	req.Header.Set(HeaderDelivery, deliveryID)
	resp, err := c.http.Do(req)
	if err != nil {
		return &Error{Detail: err.Error()}
	}
	defer func() { _ = resp.Body.Close() }()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 4*maxDetail))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	e := &Error{Status: resp.StatusCode, Detail: detail(answer)}
	if e.Detail == "" {
		e.Detail = http.StatusText(resp.StatusCode)
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		e.RetryAfter = c.retryAfter(resp.Header.Get("Retry-After"))
	case resp.StatusCode >= 500:
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		e.Permanent = true
		e.Detail = "redirected to " + resp.Header.Get("Location") + ": update the supplier's url"
	default:
		e.Permanent = true
	}
	return e
}

// IsPermanent reports whether err is a send that retrying cannot fix.
func IsPermanent(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Permanent
}

// RetryAfter is how long the supplier asked to wait before retrying err
// (0: the caller's own backoff).
func RetryAfter(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}

// retryAfter reads Retry-After: seconds, or an HTTP date.
func (c *Client) retryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if sec, err := strconv.Atoi(v); err == nil {
		return max(0, time.Duration(sec)*time.Second)
	}
	if at, err := http.ParseTime(v); err == nil {
		return max(0, at.Sub(c.now()))
	}
	return 0
}

// detail is a supplier's answer as one short line of valid text.
func detail(body []byte) string {
	s := strings.Join(strings.Fields(strings.ToValidUTF8(string(body), "\uFFFD")), " ")
	if len(s) <= maxDetail {
		return s
	}
	cut := maxDetail
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
