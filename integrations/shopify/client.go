package shopify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/backorderd/backorderd/integrations/storeapi"
)

// APIVersion is the Admin API version every call names: Shopify's versions
// are quarterly and each is supported for a year, so it is pinned, never
// "latest".
const APIVersion = "2026-10"

// Client calls one shop's Admin GraphQL API with its access token (a custom
// app's Admin API token or the token an OAuth install gave).
type Client struct {
	hc       *http.Client
	endpoint string
	token    string
}

// NewClient is a client of the shop at baseURL ("https://{shop}.myshopify.com",
// or SHOPIFY_API_BASE_URL for tests and proxies). hc should have a timeout;
// nil is http.DefaultClient.
func NewClient(hc *http.Client, baseURL, token string) *Client {
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Client{
		hc:       hc,
		endpoint: strings.TrimRight(baseURL, "/") + "/admin/api/" + APIVersion + "/graphql.json",
		token:    token,
	}
}

// gqlError is one of a GraphQL answer's top-level errors.
type gqlError struct {
	Message    string `json:"message"`
	Extensions struct {
		Code string `json:"code"`
	} `json:"extensions"`
}

// gqlAnswer is a GraphQL answer: data for the caller, errors and the
// cost extension for the client.
type gqlAnswer struct {
	Data       json.RawMessage `json:"data"`
	Errors     []gqlError      `json:"errors"`
	Extensions struct {
		Cost struct {
			RequestedQueryCost float64 `json:"requestedQueryCost"`
			ThrottleStatus     struct {
				CurrentlyAvailable float64 `json:"currentlyAvailable"`
				RestoreRate        float64 `json:"restoreRate"`
			} `json:"throttleStatus"`
		} `json:"cost"`
	} `json:"extensions"`
}

// userError is a mutation's userErrors entry: the input was refused.
type userError struct {
	Field   []string `json:"field"`
	Message string   `json:"message"`
	Code    string   `json:"code"`
}

// do posts query with vars and decodes the answer's data into data. op
// names the call in errors (the root field: "tagsAdd"). Every failure is
// a *storeapi.Error that says whether a retry can help.
func (c *Client) do(ctx context.Context, op, query string, vars map[string]any, data any) error {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return &storeapi.Error{Op: op, Message: "encode request: " + err.Error()}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return &storeapi.Error{Op: op, Message: "build request: " + err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-Shopify-Access-Token", c.token)
	resp, err := c.hc.Do(req)
	if err != nil {
		// A cancelled context is not the store's failure, but a retry may
		// still succeed; the job decides with ctx.Err() if it cares.
		return &storeapi.Error{Op: op, Message: err.Error(), Retryable: true}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return &storeapi.Error{Op: op, StatusCode: resp.StatusCode, Message: "read answer: " + err.Error(), Retryable: true}
	}
	if resp.StatusCode != http.StatusOK {
		return statusError(op, resp, raw)
	}
	var ans gqlAnswer
	if err := json.Unmarshal(raw, &ans); err != nil {
		return &storeapi.Error{Op: op, StatusCode: resp.StatusCode, Message: "answer is not GraphQL JSON: " + err.Error()}
	}
	if len(ans.Errors) > 0 {
		return graphQLError(op, ans)
	}
	if data != nil {
		if err := json.Unmarshal(ans.Data, data); err != nil {
			return &storeapi.Error{Op: op, StatusCode: resp.StatusCode, Message: "decode data: " + err.Error()}
		}
	}
	return nil
}

// statusError is a non-200 answer: 429 and 5xx are worth retrying, any
// other status (401 bad token, 403 missing scope, 404 unknown shop or
// version) is not.
func statusError(op string, resp *http.Response, raw []byte) *storeapi.Error {
	e := &storeapi.Error{Op: op, StatusCode: resp.StatusCode, Message: answerMessage(raw)}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		e.Retryable = true
		if s, err := strconv.ParseFloat(resp.Header.Get("Retry-After"), 64); err == nil && s > 0 {
			e.Wait = time.Duration(s * float64(time.Second))
		}
	case resp.StatusCode >= 500:
		e.Retryable = true
	}
	return e
}

// answerMessage is what a non-200 answer says: Shopify's {"errors": "…"}
// or {"errors": {…}}, else the body's start.
func answerMessage(raw []byte) string {
	var v struct {
		Errors json.RawMessage `json:"errors"`
	}
	if json.Unmarshal(raw, &v) == nil && len(v.Errors) > 0 {
		var s string
		if json.Unmarshal(v.Errors, &s) == nil {
			return s
		}
		return string(v.Errors)
	}
	s := strings.TrimSpace(string(raw))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// graphQLError is a 200 answer with top-level errors. THROTTLED waits for
// the points the query asked for to be restored; INTERNAL_SERVER_ERROR is
// Shopify's and may pass; anything else (a query the version does not
// know, ACCESS_DENIED) will fail again.
func graphQLError(op string, ans gqlAnswer) *storeapi.Error {
	first := ans.Errors[0]
	msgs := make([]string, 0, len(ans.Errors))
	for _, e := range ans.Errors {
		msgs = append(msgs, e.Message)
	}
	e := &storeapi.Error{Op: op, StatusCode: http.StatusOK, Code: first.Extensions.Code, Message: strings.Join(msgs, "; ")}
	switch first.Extensions.Code {
	case "THROTTLED":
		e.Retryable = true
		e.Wait = restoreWait(ans)
	case "INTERNAL_SERVER_ERROR":
		e.Retryable = true
	}
	return e
}

// restoreWait is how long the bucket takes to hold the points the query
// asked for, at least a second.
func restoreWait(ans gqlAnswer) time.Duration {
	cost := ans.Extensions.Cost
	rate := cost.ThrottleStatus.RestoreRate
	if rate <= 0 {
		return time.Second
	}
	secs := (cost.RequestedQueryCost - cost.ThrottleStatus.CurrentlyAvailable) / rate
	return max(time.Second, time.Duration(math.Ceil(secs*1000))*time.Millisecond)
}

// userErrors is a mutation's refusal, permanent: the same input is
// refused again.
func userErrors(op string, errs []userError) error {
	if len(errs) == 0 {
		return nil
	}
	msgs := make([]string, 0, len(errs))
	for _, e := range errs {
		m := e.Message
		if len(e.Field) > 0 {
			m = strings.Join(e.Field, ".") + ": " + m
		}
		msgs = append(msgs, m)
	}
	return &storeapi.Error{Op: op, StatusCode: http.StatusOK, Code: errs[0].Code, Message: strings.Join(msgs, "; ")}
}

// notFound is a read that found nothing: the resource is gone or never
// was, which no retry changes.
func notFound(op, what, id string) error {
	return &storeapi.Error{Op: op, StatusCode: http.StatusOK, Code: "NOT_FOUND", Message: what + " " + id + " not found"}
}

// gid is the global id of a resource of kind with a legacy (REST) id; an
// id that is already a gid is kept.
func gid(kind, id string) string {
	if strings.HasPrefix(id, "gid://") {
		return id
	}
	return "gid://shopify/" + kind + "/" + id
}

// legacyID is a gid's numeric tail ("gid://shopify/LineItem/12" → "12"),
// without any query part.
func legacyID(g string) string {
	g, _, _ = strings.Cut(g, "?")
	return g[strings.LastIndexByte(g, '/')+1:]
}

// invalid is a call the client refuses before sending: the job's input
// cannot work, so a retry would not either.
func invalid(op, format string, args ...any) error {
	return &storeapi.Error{Op: op, Message: fmt.Sprintf(format, args...)}
}
