package api_test

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

func TestTheOpenAPIDocumentNamesEveryRouteGinHasAndNoOther(t *testing.T) {
	d := newDocumentedAPI(t, storetest.New(t, store.SQLite))
	routes := map[string]bool{}
	for _, r := range d.router.Routes() {
		if strings.HasPrefix(r.Path, "/api/") {
			routes[r.Method+" "+openAPIPath(r.Path)] = true
		}
	}
	for key := range routes {
		if d.doc.ops[key] == nil {
			t.Errorf("gin serves %s; the OpenAPI document does not describe it", key)
		}
	}
	for key := range d.doc.ops {
		if !routes[key] {
			t.Errorf("the OpenAPI document describes %s; gin has no such route", key)
		}
	}
	if len(routes) < 20 {
		t.Errorf("found %d admin routes, want the whole admin API", len(routes))
	}
}

func TestTheOpenAPIDocumentIsConsistent(t *testing.T) {
	d := newDocumentedAPI(t, storetest.New(t, store.SQLite))
	ids := map[string]string{}
	pathParam := regexp.MustCompile(`\{([^}]+)\}`)
	tags := map[string]bool{}
	for _, tag := range asList(d.doc.doc["tags"]) {
		tags[fmt.Sprint(tag.(map[string]any)["name"])] = true
	}
	for key, op := range d.doc.ops {
		method, path, _ := strings.Cut(key, " ")
		raw := d.doc.doc["paths"].(map[string]any)[path].(map[string]any)[strings.ToLower(method)].(map[string]any)
		id, _ := raw["operationId"].(string)
		if id == "" || ids[id] != "" {
			t.Errorf("%s: operationId %q is missing or also %s's", key, id, ids[id])
		}
		ids[id] = key
		if s, _ := raw["summary"].(string); s == "" {
			t.Errorf("%s has no summary", key)
		}
		opTags := asList(raw["tags"])
		if len(opTags) == 0 {
			t.Errorf("%s has no tag", key)
		}
		for _, tag := range opTags {
			if !tags[fmt.Sprint(tag)] {
				t.Errorf("%s: tag %v is not among the document's tags", key, tag)
			}
		}
		// Path parameters: exactly those the path names, each required.
		var inPath []string
		for _, m := range pathParam.FindAllStringSubmatch(path, -1) {
			inPath = append(inPath, m[1])
		}
		var declared []string
		for _, p := range op.params {
			if p.in == "path" {
				declared = append(declared, p.name)
				if !p.required {
					t.Errorf("%s: path parameter %s is not required", key, p.name)
				}
			}
		}
		sort.Strings(inPath)
		sort.Strings(declared)
		if !slices.Equal(inPath, declared) {
			t.Errorf("%s: path parameters %v, declared %v", key, inPath, declared)
		}
		// Every route is behind the token; a state change is refused
		// from another site; reads are not.
		if op.responses[http.StatusUnauthorized] == nil {
			t.Errorf("%s does not document 401", key)
		}
		changes := method != http.MethodGet && method != http.MethodHead && method != http.MethodOptions
		if _, has := op.responses[http.StatusForbidden]; has != changes {
			t.Errorf("%s: documents 403 = %v, want %v (only state changes are refused from another site)", key, has, changes)
		}
		var success bool
		for status := range op.responses {
			success = success || status/100 == 2
		}
		if !success {
			t.Errorf("%s documents no success", key)
		}
	}
}

func TestTheOpenAPIDocumentsExamplesAreWhatItsSchemasDescribe(t *testing.T) {
	d := newDocumentedAPI(t, storetest.New(t, store.SQLite))
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(docURL, d.doc.doc); err != nil {
		t.Fatal(err)
	}
	schemas, _ := d.doc.doc["components"].(map[string]any)["schemas"].(map[string]any)
	checked := 0
	for name, v := range schemas {
		for i, ex := range asList(v.(map[string]any)["examples"]) {
			checked++
			if err := compile(t, c, "/components/schemas/"+name).Validate(ex); err != nil {
				t.Errorf("schema %s, example %d: %v", name, i, err)
			}
		}
	}
	if checked < 5 {
		t.Errorf("%d examples checked, want those of the main schemas", checked)
	}
}

// TestEveryAdminRouteAnswersAsItsOpenAPIDocumentSays drives every route of
// the admin API, on a real store and Redis, to every answer its
// documentation lists — the successes with data that fill every field,
// each client error, the token missing or wrong, a cross-site state
// change, the database down — and checks each answer against the document
// the API serves.
func TestEveryAdminRouteAnswersAsItsOpenAPIDocumentSays(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		d := newDocumentedAPI(t, s)
		seed := seedEverything(t, s)
		d.driveReads()
		d.driveOperations(seed)
		d.driveShops(seed)
		d.driveSupply()
		d.sweep()
		down := storetest.New(t, s.Engine())
		if err := down.Close(); err != nil {
			t.Fatal(err)
		}
		d.mount(down)
		d.sweepDatabaseDown()
		if missing := d.unseen(); len(missing) > 0 {
			t.Errorf("documented answers no request drew (drive them, or stop documenting them):\n  %s",
				strings.Join(missing, "\n  "))
		}
	})
}
