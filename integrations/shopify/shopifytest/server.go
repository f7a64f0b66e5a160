// Package shopifytest is a stateful fake of one shop's Shopify Admin
// GraphQL API, for tests of the Shopify client and of the jobs that drive
// it. It holds orders (tags, note, metafields, fulfillment orders and
// their holds, cancellation), products with variants and inventory
// levels, and webhook subscriptions; it answers the operations the client
// in integrations/shopify sends, checking each request as Shopify would
// (POST, path and API version, access token, variables' shape), records
// every call, and can be told to fail.
//
// A request is dispatched on its root field (the first field of the
// operation: order, tagsAdd, productVariants…). A root field the fake
// does not know, or variables of the wrong shape, get a GraphQL error and
// fail the test: they are the client's bugs.
package shopifytest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"
)

// APIVersion is the only Admin API version the fake serves; others get a
// 404, like a version Shopify no longer supports.
const APIVersion = "2026-10"

// Fault is a failure the fake can be told to answer with.
type Fault int

// The faults. Throttled answers 200 with errors[].extensions.code
// THROTTLED for a query that cost 752 points with 2 available restoring
// at 100 a second (a wait of 7.5 s); Status429 has Retry-After: 2;
// UserError is a mutation's userErrors (on a query, an ACCESS_DENIED
// GraphQL error).
const (
	Throttled Fault = iota + 1
	Status429
	Status500
	Status400
	Status403
	UserError
)

// Call is one request the fake received.
type Call struct {
	Root      string          // the root field: "tagsAdd"
	Name      string          // the operation's name: "TagsAdd"
	Mutation  bool            // a mutation, not a query
	Query     string          // the query text
	Variables json.RawMessage // as sent
}

// Server is the fake shop: an httptest server (URL is the shop's base
// URL, to pass to shopify.NewClient) and its state.
type Server struct {
	*httptest.Server
	// PageSize caps a page's nodes below what the query asks (first:),
	// so that tests page with few resources. 0: no cap.
	PageSize int

	t     testing.TB
	token string

	mu             sync.Mutex
	clock          time.Time
	seq            int
	orders         map[string]*Order
	products       map[string]*Product
	variantProduct map[string]string // variant id → product id
	itemVariant    map[string]string // inventory item id → variant id
	levels         map[levelKey]*Level
	itemLocations  map[string][]string
	subs           []*Subscription
	idempotent     map[string]idempotentCall // by @idempotent key
	calls          []Call
	faults         map[string][]Fault
}

// idempotentCall is a keyed mutation's input and the answer it got.
type idempotentCall struct {
	input, answer json.RawMessage
}

// New starts a fake shop that accepts token, closed when the test ends.
// Its clock starts at 2026-11-02T09:00:00Z.
func New(t testing.TB, token string) *Server {
	s := &Server{
		t: t, token: token,
		clock:          time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC),
		orders:         map[string]*Order{},
		products:       map[string]*Product{},
		variantProduct: map[string]string{},
		itemVariant:    map[string]string{},
		levels:         map[levelKey]*Level{},
		itemLocations:  map[string][]string{},
		idempotent:     map[string]idempotentCall{},
		faults:         map[string][]Fault{},
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// Fail makes the next n requests whose root field is root answer with
// kind, changing nothing.
func (s *Server) Fail(root string, n int, kind Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults[root] = append(s.faults[root], kind)
	}
}

// Calls are the requests received so far, in order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// Mutations are the mutations received so far, in order.
func (s *Server) Mutations() []Call {
	var out []Call
	for _, c := range s.Calls() {
		if c.Mutation {
			out = append(out, c)
		}
	}
	return out
}

// ResetCalls forgets the calls received so far.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
}

var (
	headerRe = regexp.MustCompile(`^\s*(query|mutation)\s+(\w+)\s*(\([^)]*\))?\s*\{\s*(\w+)`)
	endpoint = "/admin/api/" + APIVersion + "/graphql.json"
)

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"errors": "Method Not Allowed"})
		return
	}
	if r.URL.Path != endpoint {
		writeJSON(w, http.StatusNotFound, map[string]any{"errors": "Not Found"})
		return
	}
	if r.Header.Get("X-Shopify-Access-Token") != s.token {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"})
		return
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"errors": "unreadable body"})
		return
	}
	var req struct {
		Query     string          `json:"query"`
		Variables json.RawMessage `json:"variables"`
	}
	if err := json.Unmarshal(raw, &req); err != nil || req.Query == "" {
		s.t.Errorf("shopifytest: request body: got %q, want JSON with a query", raw)
		writeJSON(w, http.StatusBadRequest, map[string]any{"errors": map[string]any{"query": "Required parameter missing or invalid"}})
		return
	}
	m := headerRe.FindStringSubmatch(req.Query)
	if m == nil {
		s.t.Errorf("shopifytest: query %q: want a named operation (query Name(…) { root(…) … })", req.Query)
		writeGraphQLError(w, "Parse error: anonymous or malformed operation", "")
		return
	}
	call := Call{Root: m[4], Name: m[2], Mutation: m[1] == "mutation", Query: req.Query, Variables: req.Variables}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, call)
	op, ok := operations[call.Root]
	if !ok || op.mutation != call.Mutation {
		s.t.Errorf("shopifytest: %s %s: root field %q is not an operation the fake knows", m[1], call.Name, call.Root)
		writeGraphQLError(w, "Field '"+call.Root+"' doesn't exist on type '"+map[bool]string{true: "Mutation", false: "QueryRoot"}[call.Mutation]+"'", "undefinedField")
		return
	}
	if fs := s.faults[call.Root]; len(fs) > 0 {
		s.faults[call.Root] = fs[1:]
		s.writeFault(w, fs[0], op)
		return
	}
	vars := req.Variables
	if len(vars) == 0 || string(vars) == "null" {
		vars = json.RawMessage("{}")
	}
	data, err := op.handle(s, call, vars)
	if err != nil {
		s.t.Errorf("shopifytest: %s: %v (variables %s)", call.Root, err, vars)
		writeGraphQLError(w, "Variable error: "+err.Error(), "INVALID_VARIABLE")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{call.Root: data}, "extensions": cost(10, 1990)})
}

// cost is the cost extension of an answer.
func cost(requested, available float64) map[string]any {
	return map[string]any{"cost": map[string]any{
		"requestedQueryCost": requested,
		"throttleStatus":     map[string]any{"maximumAvailable": 2000.0, "currentlyAvailable": available, "restoreRate": 100.0},
	}}
}

func (s *Server) writeFault(w http.ResponseWriter, f Fault, op operation) {
	switch f {
	case Throttled:
		writeJSON(w, http.StatusOK, map[string]any{
			"errors":     []any{map[string]any{"message": "Throttled", "extensions": map[string]any{"code": "THROTTLED"}}},
			"extensions": cost(752, 2),
		})
	case Status429:
		w.Header().Set("Retry-After", "2")
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"errors": "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."})
	case Status500:
		writeJSON(w, http.StatusInternalServerError, map[string]any{"errors": "Internal Server Error"})
	case Status400:
		writeJSON(w, http.StatusBadRequest, map[string]any{"errors": map[string]any{"query": "Required parameter missing or invalid"}})
	case Status403:
		writeJSON(w, http.StatusForbidden, map[string]any{"errors": "[API] This action requires merchant approval for the needed scope."})
	case UserError:
		if !op.mutation {
			writeGraphQLError(w, "Access denied for this field.", "ACCESS_DENIED")
			return
		}
		ue := []any{map[string]any{"field": []string{"id"}, "message": "injected failure", "code": "INVALID"}}
		writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{op.root: map[string]any{"userErrors": ue, "orderCancelUserErrors": ue}}, "extensions": cost(10, 1990)})
	default:
		s.t.Errorf("shopifytest: unknown fault %d", f)
		writeJSON(w, http.StatusInternalServerError, map[string]any{"errors": "unknown fault"})
	}
}

func writeGraphQLError(w http.ResponseWriter, msg, code string) {
	e := map[string]any{"message": msg}
	if code != "" {
		e["extensions"] = map[string]any{"code": code}
	}
	writeJSON(w, http.StatusOK, map[string]any{"errors": []any{e}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func itoa(n int) string { return strconv.Itoa(n) }
