package woocommerce

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/backorderd/backorderd/integrations/storeapi"
)

// apiPath is the REST API's root below the store URL.
const apiPath = "/wp-json/wc/v3/"

// maxPerPage is the most WooCommerce lists in one page.
const maxPerPage = 100

// maxBody bounds what is read of one answer: a page of 100 orders is a few
// megabytes at most.
const maxBody = 32 << 20

// Client calls one store's WooCommerce REST API (wc/v3) with a consumer key
// and secret: HTTP Basic when the store URL is https, OAuth 1.0a one-legged
// signatures in the query when it is plain http, as WooCommerce requires.
// Every failure it returns is a *storeapi.Error.
type Client struct {
	hc     *http.Client
	base   *url.URL // the store URL joined with apiPath
	key    string
	secret string
	basic  bool

	// PerPage is how many resources a list asks for per page (1–100; 0:
	// 100). Set it before the first call.
	PerPage int
	// now and nonce are OAuth's clock and nonce source (tests pin them).
	now   func() time.Time
	nonce func() string
}

// NewClient is a client of the store at storeURL (its home URL, as the
// merchant sees it: https://shop.example or http://shop.example/sub).
// hc should carry a timeout; nil uses one of 30 seconds.
func NewClient(hc *http.Client, storeURL, key, secret string) *Client {
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	// A redirect is answered, not followed (statusError says where to): Go
	// would follow a PUT's or POST's as a GET without its body.
	own := *hc
	own.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	hc = &own
	base, err := url.Parse(strings.TrimRight(storeURL, "/") + apiPath)
	if err != nil {
		// An unparsable store URL fails every call with this reason.
		base = &url.URL{Scheme: "invalid", Opaque: err.Error()}
	}
	return &Client{
		hc: hc, base: base, key: key, secret: secret, basic: base.Scheme == "https",
		now: time.Now, nonce: randomNonce,
	}
}

// randomNonce is 32 hex digits: WooCommerce refuses a nonce it saw in the
// last 15 minutes.
func randomNonce() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}

func (c *Client) perPage() int {
	if c.PerPage <= 0 || c.PerPage > maxPerPage {
		return maxPerPage
	}
	return c.PerPage
}

// answer is a successful response: its body and the paging headers.
type answer struct {
	body       []byte
	totalPages int
}

// call sends method to path (below wc/v3/) with query and, unless nil, in
// as its JSON body, and decodes a 2xx answer into out (unless nil).
func (c *Client) call(ctx context.Context, method, path string, query url.Values, in, out any) (answer, error) {
	op := method + " " + path
	if c.base.Scheme != "https" && c.base.Scheme != "http" {
		return answer{}, &storeapi.Error{Op: op, Message: "store URL is not an http or https URL: " + c.base.String()}
	}
	req, err := c.request(ctx, method, path, query, in)
	if err != nil {
		return answer{}, &storeapi.Error{Op: op, Message: err.Error()}
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		// Not the url.Error's own text: over plain http its URL carries the
		// signed query (the consumer key), and the message is shown to
		// operators.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return answer{}, &storeapi.Error{Op: op, Message: err.Error(), Retryable: true}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return answer{}, &storeapi.Error{Op: op, StatusCode: resp.StatusCode, Message: "read answer: " + err.Error(), Retryable: true}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return answer{}, statusError(op, resp, body)
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			return answer{}, &storeapi.Error{Op: op, StatusCode: resp.StatusCode, Message: "decode answer: " + err.Error()}
		}
	}
	pages, _ := strconv.Atoi(resp.Header.Get("X-WP-TotalPages"))
	return answer{body: body, totalPages: pages}, nil
}

// request builds the authenticated request.
func (c *Client) request(ctx context.Context, method, path string, query url.Values, in any) (*http.Request, error) {
	u := *c.base
	u.Path += path
	if query == nil {
		query = url.Values{}
	}
	if c.basic {
		u.RawQuery = query.Encode()
	} else {
		q := url.Values{}
		for k, v := range query {
			q[k] = v
		}
		endpoint := u.Scheme + "://" + u.Host + u.EscapedPath()
		oauthSign(method, endpoint, q, c.key, c.secret, c.nonce(), c.now().Unix())
		u.RawQuery = q.Encode()
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("encode request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.basic {
		req.SetBasicAuth(c.key, c.secret)
	}
	return req, nil
}

// statusError turns a non-2xx answer into a *storeapi.Error: 429 and 5xx
// can be retried, any other status cannot, and WooCommerce's WP_Error
// ({code, message}) says why.
func statusError(op string, resp *http.Response, body []byte) *storeapi.Error {
	var wpErr struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &wpErr) != nil || wpErr.Code == "" && wpErr.Message == "" {
		wpErr.Message = strings.TrimSpace(string(body[:min(len(body), 200)]))
	}
	if wpErr.Message == "" {
		wpErr.Message = http.StatusText(resp.StatusCode)
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		// Followed, a redirect would turn a PUT or POST into a GET that
		// answers 200 and writes nothing: it is refused instead.
		wpErr.Message = "the store URL redirects to " + resp.Header.Get("Location") +
			": the shop must be registered with the store's own URL, the one WooCommerce sends in X-WC-Webhook-Source"
	}
	e := &storeapi.Error{Op: op, StatusCode: resp.StatusCode, Code: wpErr.Code, Message: wpErr.Message}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
		e.Retryable = true
		e.Wait = retryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	return e
}

// retryAfter reads Retry-After: seconds or an HTTP date; 0 when absent.
func retryAfter(h string, now time.Time) time.Duration {
	if h == "" {
		return 0
	}
	if s, err := strconv.Atoi(h); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// list GETs every page of path with query, handing each page's raw
// elements to fn, until X-WP-TotalPages says there are no more.
func (c *Client) list(ctx context.Context, path string, query url.Values, fn func(json.RawMessage) error) error {
	for page := 1; ; page++ {
		q := url.Values{}
		for k, v := range query {
			q[k] = v
		}
		q.Set("per_page", strconv.Itoa(c.perPage()))
		q.Set("page", strconv.Itoa(page))
		var items []json.RawMessage
		ans, err := c.call(ctx, http.MethodGet, path, q, nil, &items)
		if err != nil {
			return err
		}
		for _, it := range items {
			if err := fn(it); err != nil {
				return err
			}
		}
		if page >= ans.totalPages || len(items) == 0 {
			return nil
		}
	}
}
