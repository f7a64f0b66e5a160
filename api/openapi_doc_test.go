package api_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/backorderd/backorderd/api"
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
	// several: the parameter is a list, given repeated or separated by
	// commas; enum is then what each element takes.
	several bool
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
		if schema["type"] == "array" {
			pm.several = true
			schema, _ = o.deref(t, schema["items"], pptr+"/schema/items")
		}
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

// keys lists the documented routes in order.
func (o *openAPI) keys() []string {
	keys := make([]string, 0, len(o.ops))
	for k := range o.ops {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
