package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
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

// docURL is where the compiler files the OpenAPI document: its schemas'
// "#/components/..." references resolve within it.
const docURL = "https://backorderd.invalid/openapi.json"

// openAPI is the admin API's OpenAPI document, as the API serves it, with
// every schema compiled (JSON Schema 2020-12, formats asserted).
type openAPI struct {
	doc map[string]any
	ops map[string]*operation // by "METHOD /path/{param}"
}

// operation is one documented route.
type operation struct {
	key       string
	params    map[string]parameter // by "in:name"
	body      *jsonschema.Schema   // the JSON body's schema; nil: the route takes no body
	bodyTypes []string             // the media types the body may come as
	responses map[int]*response
	seen      map[int]bool // the statuses the route answered during the test
	// example is a request the route accepted (2xx): the sweeps send it
	// again, without the token, from another site, with a bad id, to a
	// store that is down.
	example *example
}

type example struct {
	target, body string
}

type parameter struct {
	name, in string
	required bool
	schema   *jsonschema.Schema
	integer  bool     // the value is validated as a JSON integer
	enum     []string // the values it takes, when the document lists them
}

type response struct {
	schema *jsonschema.Schema // nil: no content
}

// readOpenAPI fetches the document from r, as a client would, and compiles
// it.
func readOpenAPI(t *testing.T, r http.Handler) *openAPI {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, api.OpenAPIPath, nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("GET %s = %d %s, want 200 JSON", api.OpenAPIPath, rec.Code, rec.Header().Get("Content-Type"))
	}
	raw, err := jsonschema.UnmarshalJSON(bytes.NewReader(rec.Body.Bytes()))
	if err != nil {
		t.Fatalf("the OpenAPI document is not JSON: %v", err)
	}
	doc, _ := raw.(map[string]any)
	if doc["openapi"] != "3.1.0" {
		t.Fatalf("openapi = %v, want 3.1.0", doc["openapi"])
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(docURL, doc); err != nil {
		t.Fatal(err)
	}
	o := &openAPI{doc: doc, ops: map[string]*operation{}}
	paths, _ := doc["paths"].(map[string]any)
	if len(paths) == 0 {
		t.Fatal("the OpenAPI document has no paths")
	}
	for path, item := range paths {
		for method, v := range item.(map[string]any) {
			if !slices.Contains(httpMethods, method) {
				t.Errorf("%s: %q is not an HTTP method", path, method)
				continue
			}
			ptr := "/paths/" + escapeToken(path) + "/" + method
			op := o.compileOperation(t, c, strings.ToUpper(method)+" "+path, ptr, v.(map[string]any))
			o.ops[op.key] = op
		}
	}
	return o
}

var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

func (o *openAPI) compileOperation(t *testing.T, c *jsonschema.Compiler, key, ptr string, v map[string]any) *operation {
	t.Helper()
	op := &operation{key: key, params: map[string]parameter{}, responses: map[int]*response{}, seen: map[int]bool{}}
	params, _ := v["parameters"].([]any)
	for i := range params {
		p, pptr := o.deref(t, params[i], ptr+"/parameters/"+strconv.Itoa(i))
		pm := parameter{name: fmt.Sprint(p["name"]), in: fmt.Sprint(p["in"]), required: p["required"] == true}
		pm.schema = compile(t, c, pptr+"/schema")
		schema, _ := o.deref(t, p["schema"], pptr+"/schema")
		pm.integer = schema["type"] == "integer"
		for _, v := range asList(schema["enum"]) {
			pm.enum = append(pm.enum, fmt.Sprint(v))
		}
		k := pm.in + ":" + pm.name
		if _, dup := op.params[k]; dup {
			t.Errorf("%s: parameter %s twice", key, k)
		}
		op.params[k] = pm
	}
	if rb, ok := v["requestBody"]; ok {
		b, bptr := o.deref(t, rb, ptr+"/requestBody")
		content, _ := b["content"].(map[string]any)
		for mt := range content {
			op.bodyTypes = append(op.bodyTypes, mt)
		}
		if _, ok := content["application/json"]; !ok {
			t.Fatalf("%s: the body is not documented as JSON", key)
		}
		op.body = compile(t, c, bptr+"/content/application~1json/schema")
	}
	responses, _ := v["responses"].(map[string]any)
	if len(responses) == 0 {
		t.Errorf("%s: no responses", key)
	}
	for code, rv := range responses {
		status, err := strconv.Atoi(code)
		if err != nil {
			t.Errorf("%s: response %q is not a status", key, code)
			continue
		}
		r, rptr := o.deref(t, rv, ptr+"/responses/"+code)
		resp := &response{}
		if content, ok := r["content"].(map[string]any); ok {
			if _, ok := content["application/json"]; !ok || len(content) != 1 {
				t.Errorf("%s %d: content %v, want application/json only", key, status, content)
			}
			resp.schema = compile(t, c, rptr+"/content/application~1json/schema")
		}
		op.responses[status] = resp
	}
	return op
}

// deref follows an OpenAPI reference object ({"$ref": "#/components/..."})
// to what it names, and says where that is.
func (o *openAPI) deref(t *testing.T, v any, ptr string) (map[string]any, string) {
	t.Helper()
	m, _ := v.(map[string]any)
	ref, ok := m["$ref"].(string)
	if !ok {
		return m, ptr
	}
	target := strings.TrimPrefix(ref, "#")
	var cur any = o.doc
	for _, tok := range strings.Split(strings.TrimPrefix(target, "/"), "/") {
		obj, _ := cur.(map[string]any)
		cur = obj[strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")]
	}
	found, ok := cur.(map[string]any)
	if !strings.HasPrefix(ref, "#/components/") || !ok {
		t.Fatalf("%s: reference %q names nothing in the document", ptr, ref)
	}
	return found, target
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func compile(t *testing.T, c *jsonschema.Compiler, ptr string) *jsonschema.Schema {
	t.Helper()
	var frag strings.Builder
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		frag.WriteString("/" + url.PathEscape(tok))
	}
	s, err := c.Compile(docURL + "#" + frag.String())
	if err != nil {
		t.Fatalf("schema at %s: %v", ptr, err)
	}
	return s
}

func escapeToken(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

var ginParam = regexp.MustCompile(`[:*]([A-Za-z_]+)`)

// openAPIPath is gin's route path as OpenAPI writes it: /items/:id is
// /items/{id}.
func openAPIPath(ginPath string) string {
	return ginParam.ReplaceAllString(ginPath, "{$1}")
}

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
