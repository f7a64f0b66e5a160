package woocommercetest

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// route is one endpoint: the query parameters and body fields it knows.
type route struct {
	method  string
	pattern *regexp.Regexp
	query   map[string]func(string) bool
	fields  map[string]bool
	handle  func(s *Server, w http.ResponseWriter, ids []int64, q url.Values, body map[string]any)
}

var (
	isInt      = func(v string) bool { n, err := strconv.Atoi(v); return err == nil && n >= 1 }
	isPerPage  = func(v string) bool { n, err := strconv.Atoi(v); return err == nil && n >= 1 && n <= 100 }
	isBool     = oneOf("true", "false", "1", "0")
	isDateTime = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}(:?\d{2})?)?$`).MatchString
	listQuery  = map[string]func(string) bool{
		"per_page": isPerPage, "page": isInt, "order": oneOf("asc", "desc"),
		"modified_after": isDateTime, "dates_are_gmt": isBool,
	}
)

func oneOf(vs ...string) func(string) bool {
	return func(v string) bool {
		for _, w := range vs {
			if v == w {
				return true
			}
		}
		return false
	}
}

func with(base map[string]func(string) bool, more map[string]func(string) bool) map[string]func(string) bool {
	m := map[string]func(string) bool{}
	for k, v := range base {
		m[k] = v
	}
	for k, v := range more {
		m[k] = v
	}
	return m
}

func fields(names ...string) map[string]bool {
	m := map[string]bool{}
	for _, n := range names {
		m[n] = true
	}
	return m
}

var productFields = fields("backorders", "stock_quantity", "manage_stock", "meta_data")

var routes = []route{
	{http.MethodGet, regexp.MustCompile(`^webhooks$`), map[string]func(string) bool{
		"per_page": isPerPage, "page": isInt, "order": oneOf("asc", "desc"),
		"orderby": oneOf("date", "id", "title"), "status": oneOf("all", "active", "paused", "disabled"),
	}, nil, (*Server).listWebhooks},
	{http.MethodPost, regexp.MustCompile(`^webhooks$`), nil, fields("name", "topic", "delivery_url", "secret", "status"), (*Server).createWebhook},
	{http.MethodPut, regexp.MustCompile(`^webhooks/(\d+)$`), nil, fields("name", "topic", "delivery_url", "secret", "status"), (*Server).updateWebhook},
	{http.MethodDelete, regexp.MustCompile(`^webhooks/(\d+)$`), map[string]func(string) bool{"force": isBool}, nil, (*Server).deleteWebhook},

	{http.MethodGet, regexp.MustCompile(`^orders$`), with(listQuery, map[string]func(string) bool{
		"orderby": oneOf("date", "id", "include", "title", "slug", "modified"),
	}), nil, (*Server).listOrders},
	{http.MethodGet, regexp.MustCompile(`^orders/(\d+)$`), nil, nil, (*Server).getOrder},
	{http.MethodPut, regexp.MustCompile(`^orders/(\d+)$`), nil, fields("status", "meta_data"), (*Server).updateOrder},
	{http.MethodGet, regexp.MustCompile(`^orders/(\d+)/notes$`), map[string]func(string) bool{"type": oneOf("any", "customer", "internal")}, nil, (*Server).listNotes},
	{http.MethodPost, regexp.MustCompile(`^orders/(\d+)/notes$`), nil, fields("note", "customer_note"), (*Server).createNote},
	{http.MethodPost, regexp.MustCompile(`^orders/(\d+)/refunds$`), nil, fields("amount", "reason", "api_refund"), (*Server).createRefund},

	{http.MethodGet, regexp.MustCompile(`^products$`), with(listQuery, map[string]func(string) bool{
		"orderby": oneOf("date", "id", "include", "title", "slug", "modified", "price", "popularity", "rating", "menu_order"),
		"type":    oneOf("simple", "grouped", "external", "variable"),
	}), nil, (*Server).listProducts},
	{http.MethodGet, regexp.MustCompile(`^products/(\d+)$`), nil, nil, (*Server).getProduct},
	{http.MethodPut, regexp.MustCompile(`^products/(\d+)$`), nil, productFields, (*Server).updateProduct},
	{http.MethodGet, regexp.MustCompile(`^products/(\d+)/variations$`), with(listQuery, map[string]func(string) bool{
		"orderby": oneOf("date", "id", "include", "title", "slug", "modified", "menu_order"),
	}), nil, (*Server).listVariations},
	{http.MethodGet, regexp.MustCompile(`^products/(\d+)/variations/(\d+)$`), nil, nil, (*Server).getVariation},
	{http.MethodPut, regexp.MustCompile(`^products/(\d+)/variations/(\d+)$`), nil, productFields, (*Server).updateVariation},
}

// route finds the endpoint, checks the query and body against what it
// knows (anything else fails the test: a real store would ignore or
// refuse it), and calls its handler.
func (s *Server) route(w http.ResponseWriter, method, path string, q url.Values, body []byte) {
	pathKnown := false
	for _, rt := range routes {
		m := rt.pattern.FindStringSubmatch(path)
		if m == nil {
			continue
		}
		pathKnown = true
		if rt.method != method {
			continue
		}
		for k, v := range q {
			check := rt.query[k]
			if check == nil || len(v) != 1 || !check(v[0]) {
				s.t.Errorf("woocommercetest: %s %s: query parameter %s=%q is not valid here", method, path, k, v)
				writeError(w, http.StatusBadRequest, "rest_invalid_param", "Invalid parameter(s): "+k)
				return
			}
		}
		var obj map[string]any
		if rt.fields != nil {
			var err error
			if obj, err = decodeObject(body); err != nil {
				s.t.Errorf("woocommercetest: %s %s: body: %v", method, path, err)
				writeError(w, http.StatusBadRequest, "rest_invalid_json", "Invalid JSON body passed.")
				return
			}
			for k := range obj {
				if !rt.fields[k] {
					s.t.Errorf("woocommercetest: %s %s: body field %q is not known here", method, path, k)
					writeError(w, http.StatusBadRequest, "rest_invalid_param", "Invalid parameter(s): "+k)
					return
				}
			}
		} else if len(strings.TrimSpace(string(body))) > 0 {
			s.t.Errorf("woocommercetest: %s %s: unexpected body %q", method, path, body)
		}
		var ids []int64
		for _, m := range m[1:] {
			id, _ := strconv.ParseInt(m, 10, 64)
			ids = append(ids, id)
		}
		rt.handle(s, w, ids, q, obj)
		return
	}
	if pathKnown {
		s.t.Errorf("woocommercetest: %s %s: method not allowed", method, path)
	} else {
		s.t.Errorf("woocommercetest: %s %s: no such route", method, path)
	}
	writeError(w, http.StatusNotFound, "rest_no_route", "No route was found matching the URL and request method.")
}

// badRequest refuses a body WooCommerce's schema would refuse, failing the
// test: the client sent something a real store would not take.
func (s *Server) badRequest(w http.ResponseWriter, format string, args ...any) {
	s.t.Errorf("woocommercetest: "+format, args...)
	writeError(w, http.StatusBadRequest, "rest_invalid_param", "Invalid parameter(s)")
}
