package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/backorderd/backorderd/api"
	"github.com/backorderd/backorderd/jobs"
	"github.com/backorderd/backorderd/jobs/jobstest"
	"github.com/backorderd/backorderd/store"
)

// documentedAPI is the admin API on a real store and a real purchasing
// service (enqueueing into the test's Redis), whose every answer is
// checked against the OpenAPI document it serves.
type documentedAPI struct {
	t         *testing.T
	router    *gin.Engine
	route     string // gin's route of the last request
	st        *store.Store
	doc       *openAPI
	queue     *asynq.Client // the test's Redis
	inspector *asynq.Inspector
	sealer    *store.Sealer // seals shops' store credentials (nil: SECRETS_KEY unset)
}

func newDocumentedAPI(t *testing.T, s *store.Store) *documentedAPI {
	t.Helper()
	rc, _ := jobstest.Redis(t, redisDB)
	d := &documentedAPI{t: t, st: s, queue: asynq.NewClientFromRedisClient(rc),
		inspector: asynq.NewInspectorFromRedisClient(rc), sealer: testSealer(t)}
	d.mount(s)
	d.doc = readOpenAPI(t, d.router)
	return d
}

// mount serves the admin API from s (the tests send later requests to
// another store, one that is down).
func (d *documentedAPI) mount(s *store.Store) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dispatcher := jobs.NewDispatcher(d.queue, log)
	p := jobs.NewPurchasing(s, dispatcher, nil, jobs.NewMetrics(prometheus.NewRegistry()), log)
	gin.SetMode(gin.TestMode)
	d.router = gin.New()
	d.router.Use(func(c *gin.Context) { d.route = c.FullPath() })
	guard := api.RequireToken(adminToken)
	api.MountAdmin(d.router, guard, s, p, prometheus.NewRegistry())
	api.MountBackorderActions(d.router, guard, s, jobs.NewBackorders(s, dispatcher, log))
	api.MountOperations(d.router, guard, s, s, jobs.NewOperations(s, dispatcher, d.inspector), d.sealer)
}

// answer is what a route answered.
type answer struct {
	status int
	body   map[string]any
}

// id is the answer's field (or nested field, "purchase_order.id") as a
// path segment.
func (a answer) id(field string) string {
	var v any = a.body
	for _, k := range strings.Split(field, ".") {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	return jsonID(v)
}

// call sends a request with the admin token (headers may replace or, with
// "", remove it), checks the answer against the route's documentation and
// records the status the route answered.
func (d *documentedAPI) call(method, target, body string, headers ...string) answer {
	d.t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+adminToken)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	d.route = ""
	rec := httptest.NewRecorder()
	d.router.ServeHTTP(rec, req)
	a := answer{status: rec.Code}
	_ = json.Unmarshal(rec.Body.Bytes(), &a.body)
	if d.route == "" {
		d.t.Errorf("%s %s: no route answered (%d)", method, target, rec.Code)
		return a
	}
	op := d.doc.ops[method+" "+openAPIPath(d.route)]
	if op == nil {
		d.t.Errorf("%s %s: route %s %s is not in the OpenAPI document", method, target, method, d.route)
		return a
	}
	op.seen[rec.Code] = true
	if rec.Code < 300 && op.example == nil && (body == "" || req.Header.Get("Content-Type") == "application/json") {
		op.example = &example{target: target, body: body}
	}
	d.checkRequest(op, req, body, rec.Code)
	d.checkResponse(op, method+" "+target, rec)
	return a
}

// checkRequest: every query parameter sent is documented; a request the
// route accepted (2xx) is one its documentation accepts.
func (d *documentedAPI) checkRequest(op *operation, req *http.Request, body string, status int) {
	d.t.Helper()
	query := req.URL.Query()
	for name := range query {
		if _, ok := op.params["query:"+name]; !ok {
			d.t.Errorf("%s: query parameter %q is not documented", op.key, name)
		}
	}
	if status >= 300 {
		return
	}
	for _, p := range op.params {
		if p.in != "query" {
			continue
		}
		v, given := query[p.name]
		if !given {
			if p.required {
				d.t.Errorf("%s answered %d without its required parameter %q", op.key, status, p.name)
			}
			continue
		}
		var inst any = v[0]
		if p.several {
			var elems []any
			for _, s := range v {
				for e := range strings.SplitSeq(s, ",") {
					elems = append(elems, e)
				}
			}
			inst = elems
		}
		if p.integer {
			n, err := strconv.ParseInt(v[0], 10, 64)
			if err != nil {
				d.t.Errorf("%s answered %d to %s=%q, documented as an integer", op.key, status, p.name, v[0])
				continue
			}
			inst = json.Number(strconv.FormatInt(n, 10))
		}
		if err := p.schema.Validate(inst); err != nil {
			d.t.Errorf("%s answered %d to %s=%q, which its documentation refuses: %v", op.key, status, p.name, v[0], err)
		}
	}
	mediaType, _, _ := strings.Cut(req.Header.Get("Content-Type"), ";")
	switch {
	case body == "":
	case op.body == nil:
		d.t.Errorf("%s answered %d to a body, but documents none", op.key, status)
	case !slices.Contains(op.bodyTypes, mediaType):
		d.t.Errorf("%s answered %d to a body of %q, documented as %v", op.key, status, mediaType, op.bodyTypes)
	case mediaType != "application/json":
		// A form: its fields are strings, as its documented schema's.
	default:
		inst, err := jsonschema.UnmarshalJSON(strings.NewReader(body))
		if err == nil {
			err = op.body.Validate(inst)
		}
		if err != nil {
			d.t.Errorf("%s answered %d to a body its documentation refuses: %s\n%v", op.key, status, body, err)
		}
	}
}

// checkResponse: the status is documented for the route, and the body is
// what the documentation says it is.
func (d *documentedAPI) checkResponse(op *operation, call string, rec *httptest.ResponseRecorder) {
	d.t.Helper()
	resp, ok := op.responses[rec.Code]
	if !ok {
		d.t.Errorf("%s answered %d, which %s does not document: %s", call, rec.Code, op.key, rec.Body)
		return
	}
	if resp.schema == nil {
		if rec.Body.Len() != 0 {
			d.t.Errorf("%s answered %d with a body, documented as none: %s", call, rec.Code, rec.Body)
		}
		return
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		d.t.Errorf("%s answered %d as %q, documented as application/json", call, rec.Code, ct)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(rec.Body.Bytes()))
	if err == nil {
		err = resp.schema.Validate(inst)
	}
	if err != nil {
		d.t.Errorf("%s answered %d with a body its documentation refuses:\n%s\n%v", call, rec.Code, rec.Body, err)
	}
}

// unseen lists each documented answer no request of the test drew.
func (d *documentedAPI) unseen() []string {
	var missing []string
	for key, op := range d.doc.ops {
		for status := range op.responses {
			if !op.seen[status] {
				missing = append(missing, fmt.Sprintf("%s %d", key, status))
			}
		}
	}
	sort.Strings(missing)
	return missing
}

func (d *documentedAPI) expect(key string, a answer, status int) {
	d.t.Helper()
	if a.status != status {
		d.t.Errorf("%s: %d %v, want %d", key, a.status, a.body, status)
	}
}
