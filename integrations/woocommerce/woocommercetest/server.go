// Package woocommercetest is a stateful fake of a WooCommerce store's REST
// API (wc/v3) for tests: orders with their notes, refunds and meta,
// products and variations with their stock, and webhooks. It checks every
// request as WooCommerce would — the consumer key's HTTP Basic auth over
// HTTPS, its OAuth 1.0a signature over plain HTTP (verified for real and
// refused with 401), known paths, query parameters and body fields — and
// fails the test on anything a real store would not understand. It
// records every call, so a test can assert that a retried write wrote
// nothing, pages lists with X-WP-Total and X-WP-TotalPages, and can be
// told to fail a call with 429, 5xx or 4xx.
package woocommercetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// apiRoot is the REST API's root below the store URL.
const apiRoot = "/wp-json/wc/v3/"

// gmtLayout is WooCommerce's date layout: no zone designator.
const gmtLayout = "2006-01-02T15:04:05"

// siteZone is the store's own time zone: the dates without _gmt are in
// it, as is modified_after unless dates_are_gmt is true.
var siteZone = time.FixedZone("PST", -8*3600)

// Server is a fake WooCommerce store. URL is its store URL (home URL).
type Server struct {
	URL string
	// BeforeRequest, when set, runs before each request is served (outside
	// the fake's lock): a test changes the store there as a merchant would
	// while a client walks its lists.
	BeforeRequest func(method, path string, query url.Values)

	t      testing.TB
	srv    *httptest.Server
	key    string
	secret string

	mu       sync.Mutex
	clock    time.Time
	nextID   int64
	orders   map[int64]map[string]any
	notes    map[int64][]Note
	products map[int64]map[string]any // products and variations
	webhooks map[int64]*Webhook
	calls    []Call
	faults   []*fault
	nonces   map[string]bool
}

// Call is one authenticated request the store answered.
type Call struct {
	Method string
	Path   string     // below wc/v3/: "orders/42/notes"
	Query  url.Values // without the auth parameters
	Body   string
	Status int
}

// Webhook is a webhook of the store, secret included (the API never shows
// it).
type Webhook struct {
	ID          int64
	Name        string
	Status      string // active, paused, disabled
	Topic       string
	DeliveryURL string
	Secret      string
}

// Note is an order note.
type Note struct {
	ID           int64
	Note         string
	CustomerNote bool
	AddedByUser  bool // false for WooCommerce's own notes (status changes)
}

type fault struct {
	method, prefix string
	n, status      int
}

// New is a store over plain HTTP: requests must carry WooCommerce's OAuth
// 1.0a one-legged signature made with key and secret.
func New(t testing.TB, key, secret string) *Server {
	return start(t, key, secret, httptest.NewServer)
}

// NewTLS is a store over HTTPS: requests authenticate with HTTP Basic
// (key:secret). Client trusts its certificate.
func NewTLS(t testing.TB, key, secret string) *Server {
	return start(t, key, secret, httptest.NewTLSServer)
}

func start(t testing.TB, key, secret string, newServer func(http.Handler) *httptest.Server) *Server {
	t.Helper()
	s := &Server{
		t: t, key: key, secret: secret,
		clock:  time.Date(2025, 11, 20, 12, 0, 0, 0, time.UTC),
		nextID: 1000,
		orders: map[int64]map[string]any{}, notes: map[int64][]Note{},
		products: map[int64]map[string]any{}, webhooks: map[int64]*Webhook{},
		nonces: map[string]bool{},
	}
	s.srv = newServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	t.Cleanup(s.srv.Close)
	return s
}

// Client is an HTTP client for the store (it trusts NewTLS's certificate).
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Now is the store's clock: each write moves it on a second, and
// date_modified_gmt of what was written is the new time.
func (s *Server) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.clock
}

// Advance moves the store's clock on by d.
func (s *Server) Advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clock = s.clock.Add(d)
}

// tick moves the clock on a second and stamps obj as modified then.
func (s *Server) tick(obj map[string]any) {
	s.clock = s.clock.Add(time.Second)
	stamp(obj, "date_modified", s.clock)
}

func stamp(obj map[string]any, field string, at time.Time) {
	obj[field+"_gmt"] = at.UTC().Format(gmtLayout)
	obj[field] = at.In(siteZone).Format(gmtLayout)
}

// Fail makes the next n requests whose method (any when "") and path below
// wc/v3/ (by prefix: "orders/42") match answer status, with the body
// WooCommerce or its host sends for it (429 with Retry-After: 7).
func (s *Server) Fail(method, pathPrefix string, n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &fault{method: method, prefix: strings.TrimPrefix(pathPrefix, "/"), n: n, status: status})
}

// Calls are the requests the store answered, in order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// Writes are the calls that were not GETs and succeeded.
func (s *Server) Writes() []Call {
	var ws []Call
	for _, c := range s.Calls() {
		if c.Method != http.MethodGet && c.Status < 300 {
			ws = append(ws, c)
		}
	}
	return ws
}

// ResetCalls forgets the calls recorded so far.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
}

// serve authenticates, applies faults, records and routes a request.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.URL.Path, apiRoot) {
		s.t.Errorf("woocommercetest: request to %s %s, outside %s", r.Method, r.URL.Path, apiRoot)
		writeError(w, http.StatusNotFound, "rest_no_route", "No route was found matching the URL and request method.")
		return
	}
	path := strings.TrimPrefix(r.URL.Path, apiRoot)
	body, _ := io.ReadAll(r.Body)
	if s.BeforeRequest != nil {
		s.BeforeRequest(r.Method, path, r.URL.Query())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if status, code, msg := s.authenticate(r); status != 0 {
		writeError(w, status, code, msg)
		return
	}
	query := r.URL.Query()
	for k := range query {
		if strings.HasPrefix(k, "oauth_") || k == "consumer_key" || k == "consumer_secret" {
			query.Del(k)
		}
	}
	call := Call{Method: r.Method, Path: path, Query: query, Body: string(body)}
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	if f := s.fault(r.Method, path); f != nil {
		writeFault(rec, f.status)
	} else {
		s.route(rec, r.Method, path, query, body)
	}
	call.Status = rec.status
	s.calls = append(s.calls, call)
}

type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

func (s *Server) fault(method, path string) *fault {
	for _, f := range s.faults {
		if f.n > 0 && (f.method == "" || f.method == method) && strings.HasPrefix(path, f.prefix) {
			f.n--
			return f
		}
	}
	return nil
}

// writeFault answers as WooCommerce (4xx) or the host in front of it (429,
// 5xx) would.
func writeFault(w http.ResponseWriter, status int) {
	switch {
	case status == http.StatusTooManyRequests:
		w.Header().Set("Retry-After", "7")
		writeError(w, status, "too_many_requests", "Too many requests.")
	case status >= 500:
		writeError(w, status, "internal_server_error", "There has been a critical error on this website.")
	case status == http.StatusUnauthorized:
		writeError(w, status, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources.")
	case status == http.StatusNotFound:
		writeError(w, status, "woocommerce_rest_invalid_id", "Invalid ID.")
	default:
		writeError(w, status, "rest_invalid_param", "Invalid parameter(s): id")
	}
}

// writeError writes WordPress's WP_Error answer.
func writeError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, map[string]any{"code": code, "message": message, "data": map[string]int{"status": status}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// decodeObject reads a JSON object keeping numbers as json.Number.
func decodeObject(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return nil, fmt.Errorf("decode JSON object: %w", err)
	}
	if obj == nil {
		return nil, fmt.Errorf("decode JSON object: null")
	}
	return obj, nil
}

// idOf is obj's "id" (0 when it has none).
func idOf(obj map[string]any) int64 {
	n, _ := strconv.ParseInt(fmt.Sprint(obj["id"]), 10, 64)
	return n
}

// clone is a deep copy of a JSON object.
func clone(obj map[string]any) map[string]any {
	b, _ := json.Marshal(obj)
	c, _ := decodeObject(b)
	return c
}
