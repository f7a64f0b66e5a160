package api_test

import (
	"net/http"
	"slices"
	"sort"
	"strings"
)

// sweep sends every route's accepted request again: without the token,
// with a wrong one, from another site; with ids that are not ids and ids
// of nothing; to an unknown shop; with a page size out of range; with a
// body that is not JSON.
func (d *documentedAPI) sweep() {
	d.t.Helper()
	for _, key := range d.doc.keys() {
		op := d.doc.ops[key]
		if op.example == nil {
			d.t.Errorf("%s: no request of the test was accepted", key)
			continue
		}
		method, _, _ := strings.Cut(key, " ")
		ex := *op.example
		d.expect(key, d.call(method, ex.target, ex.body, "Authorization", ""), http.StatusUnauthorized)
		d.expect(key, d.call(method, ex.target, ex.body, "Authorization", "Bearer wrong-token-0123456789"), http.StatusUnauthorized)
		d.expect(key, d.call(method, ex.target, ex.body, "Authorization", "Basic b3BlcmF0b3I6Z3Vlc3M="), http.StatusUnauthorized)
		if _, refused := op.responses[http.StatusForbidden]; refused {
			d.expect(key, d.call(method, ex.target, ex.body, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"),
				http.StatusForbidden)
		}
		for name, p := range op.params {
			switch {
			case p.in == "path" && p.integer:
				d.expect(key, d.call(method, withPathParam(key, ex.target, p.name, "abc"), ex.body), http.StatusBadRequest)
				d.expect(key, d.call(method, withPathParam(key, ex.target, p.name, "999999"), ex.body), http.StatusNotFound)
			case name == "query:shop":
				d.expect(key, d.call(method, withQuery(ex.target, "shop", "nowhere.example"), ex.body), http.StatusNotFound)
			case name == "query:limit":
				d.expect(key, d.call(method, withQuery(ex.target, "limit", "0"), ex.body), http.StatusBadRequest)
			case p.in == "query" && p.enum != nil && method == http.MethodGet:
				d.checkEnum(key, ex.target, p)
			}
		}
		if op.body != nil {
			d.expect(key, d.call(method, ex.target, `{"not json`), http.StatusBadRequest)
		}
	}
}

// sweepDatabaseDown sends every route's accepted request to a store that
// is closed: 503, except the routes that need no database.
func (d *documentedAPI) sweepDatabaseDown() {
	d.t.Helper()
	for _, key := range d.doc.keys() {
		op := d.doc.ops[key]
		if op.example == nil {
			continue
		}
		method, _, _ := strings.Cut(key, " ")
		a := d.call(method, op.example.target, op.example.body)
		if _, documented := op.responses[http.StatusServiceUnavailable]; documented && a.status != http.StatusServiceUnavailable {
			d.t.Errorf("%s with the database down = %d %v, want 503", key, a.status, a.body)
		}
	}
}

// checkEnum: a list takes each value its documentation lists for a
// filter, and refuses another naming the values it takes, which are those
// documented.
func (d *documentedAPI) checkEnum(key, target string, p parameter) {
	d.t.Helper()
	for _, v := range p.enum {
		d.expect(key+" "+p.name+"="+v, d.call("GET", withQuery(target, p.name, v), ""), http.StatusOK)
	}
	if p.several && len(p.enum) > 1 {
		two := p.enum[0] + "," + p.enum[len(p.enum)-1]
		d.expect(key+" "+p.name+"="+two, d.call("GET", withQuery(target, p.name, two), ""), http.StatusOK)
	}
	a := d.call("GET", withQuery(target, p.name, "not-a-value"), "")
	_, msg := errorOf(a.body)
	_, values, ok := strings.Cut(msg, "must be one of ")
	taken := strings.Split(values, ", ")
	sort.Strings(taken)
	documented := slices.Sorted(slices.Values(p.enum))
	if a.status != http.StatusBadRequest || !ok || !slices.Equal(taken, documented) {
		d.t.Errorf("%s %s=not-a-value = %d %q, want 400 naming the documented values %v", key, p.name, a.status, msg, documented)
	}
}

// withPathParam is target with the path segment that the route key's
// {name} stands at replaced by value.
func withPathParam(key, target, name, value string) string {
	_, template, _ := strings.Cut(key, " ")
	path, query, _ := strings.Cut(target, "?")
	segs, tsegs := strings.Split(path, "/"), strings.Split(template, "/")
	for i := range tsegs {
		if tsegs[i] == "{"+name+"}" && i < len(segs) {
			segs[i] = value
		}
	}
	out := strings.Join(segs, "/")
	if query != "" {
		out += "?" + query
	}
	return out
}

// withQuery is target with its query parameter name set to value.
func withQuery(target, name, value string) string {
	path, query, _ := strings.Cut(target, "?")
	var kept []string
	for _, kv := range strings.Split(query, "&") {
		if kv != "" && !strings.HasPrefix(kv, name+"=") {
			kept = append(kept, kv)
		}
	}
	return path + "?" + strings.Join(append(kept, name+"="+value), "&")
}
