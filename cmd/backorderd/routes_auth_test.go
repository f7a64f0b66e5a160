package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/backorderd/backorderd/api"
	"github.com/backorderd/backorderd/config"
	"github.com/backorderd/backorderd/jobs"
	"github.com/backorderd/backorderd/webhooks"
)

// publicRoutes are the only routes served without the admin token, each
// for its reason. Every other route — the admin API, the monitor, the
// metrics, and any route added later — must refuse a request without the
// token or with a wrong one, and a browser's cross-site state change.
var publicRoutes = map[string]string{
	"GET /healthz":                        "the liveness probe",
	"GET /readyz":                         "the readiness probe",
	"POST /webhooks/shopify":              "signed by the store (HMAC)",
	"POST /webhooks/woocommerce":          "signed by the store (HMAC)",
	"POST /webhooks/sendgrid":             "signed by SendGrid (ECDSA)",
	"POST /webhooks/suppliers/:id":        "signed by the supplier (HMAC)",
	"GET " + webhooks.InstallPath:         "Shopify's OAuth install, signed by Shopify",
	"GET " + webhooks.InstallCallbackPath: "Shopify's OAuth callback, signed by Shopify",
	"GET /login":                          "the login form itself",
	"POST /login":                         "where the token is given; cross-site posts refused (its own test)",
	"POST /logout":                        "ends the caller's own session; behind api.SameOrigin",
	"GET /assets/dashboard.css":           "the dashboard's style sheet, the same for everyone",
	"GET /assets/dashboard.js":            "the dashboard's table sorting, the same for everyone",
}

// routerOf builds role's HTTP routes as the process does, with every
// optional part configured: the Shopify app install, SendGrid's events,
// the admin token.
func routerOf(t *testing.T, r role) *gin.Engine {
	t.Helper()
	_, redisAt := testRedis(t)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	env := map[string]string{
		"ADMIN_TOKEN":                 monitorToken,
		"DATABASE_URL":                "sqlite://" + filepath.Join(t.TempDir(), "routes.db"),
		"REDIS_URL":                   redisAt,
		"SHOPIFY_API_KEY":             "client-id",
		"SHOPIFY_API_SECRET":          "app-secret",
		"PUBLIC_URL":                  "https://backorderd.example",
		"SECRETS_KEY":                 base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{3}, 32)),
		"SENDGRID_WEBHOOK_PUBLIC_KEY": base64.StdEncoding.EncodeToString(der),
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	st, err := openStore(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	rds, err := openRedis(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rds.close)
	sealer, err := newSealer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	client := asynq.NewClientFromRedisClient(rds.client)
	t.Cleanup(func() { _ = client.Close() })
	dispatcher := jobs.NewDispatcher(client, log)
	registry := prometheus.NewRegistry()
	jm := jobs.NewMetrics(registry)
	schema := &schemaState{}
	h := &httpParts{cfg: cfg, role: r, log: log, store: st, redis: rds, schema: schema,
		shops: webhooks.NewShops(st, shopCacheTTL), dispatcher: dispatcher, adminToken: monitorToken,
		registry: registry, mail: jm.MailAccount(), purchasing: jobs.NewPurchasing(st, dispatcher, nil, jm, log),
		sealer: sealer, ops: jobs.NewOperations(st, dispatcher, asynq.NewInspectorFromRedisClient(rds.client)),
		connectShop: func(context.Context, int64) error { return nil }}
	router, monitor := h.router()
	if monitor != nil {
		t.Cleanup(func() { _ = monitor.Close() })
	}
	return router
}

var routeParam = regexp.MustCompile(`:[A-Za-z_]+|\*[A-Za-z_]+`)

// requestPath is a path that gin's route path matches: :id is 1, a
// catch-all is /x.
func requestPath(route string) string {
	return routeParam.ReplaceAllStringFunc(route, func(p string) string {
		if p[0] == '*' {
			return "x"
		}
		return "1"
	})
}

func changesState(method string) bool {
	return method != http.MethodGet && method != http.MethodHead && method != http.MethodOptions
}

func TestEveryRouteButThePublicOnesRefusesWithoutTheTokenAndFromAnotherSite(t *testing.T) {
	for _, r := range []role{roleRun, roleWork} {
		t.Run(string(r), func(t *testing.T) {
			router := routerOf(t, r)
			routes := router.Routes()
			guarded := 0
			for _, rt := range routes {
				key := rt.Method + " " + rt.Path
				if _, public := publicRoutes[key]; public {
					continue
				}
				guarded++
				t.Run(key, func(t *testing.T) { checkGuarded(t, router, rt.Method, requestPath(rt.Path)) })
			}
			has := func(method, path string) bool {
				return slices.ContainsFunc(routes, func(rt gin.RouteInfo) bool { return rt.Method == method && rt.Path == path })
			}
			// What each role must serve, so that the loop above saw it.
			want := []string{"GET /metrics", "GET /healthz"}
			if r == roleRun {
				want = append(want, "GET /api/v1/backorders", "POST /monitor/*path", "GET "+api.OpenAPIPath)
				for key := range publicRoutes {
					want = append(want, key) // and the public list names real routes
				}
			}
			for _, key := range want {
				method, path, _ := strings.Cut(key, " ")
				if !has(method, path) {
					t.Errorf("the %s router has no %s", r, key)
				}
			}
			t.Logf("%d routes, %d behind the token", len(routes), guarded)
		})
	}
}

// checkGuarded: without the token, with a wrong bearer token or Basic
// password, 401 asking for credentials; a browser's cross-site state
// change, even with the token, 403; with the token, past the guard.
func checkGuarded(t *testing.T, router http.Handler, method, path string) {
	t.Helper()
	send := func(headers ...string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(`{}`))
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		if user, pass, ok := strings.Cut(req.Header.Get("X-Test-Basic"), ":"); ok {
			req.Header.Del("X-Test-Basic")
			req.SetBasicAuth(user, pass)
		}
		rec := httptest.NewRecorder()
		router.ServeHTTP(rec, req)
		return rec
	}
	for name, headers := range map[string][]string{
		"no credentials": nil,
		"wrong bearer":   {"Authorization", "Bearer " + monitorToken + "x"},
		"wrong basic":    {"X-Test-Basic", "operator:" + strings.ToUpper(monitorToken)},
		"empty bearer":   {"Authorization", "Bearer "},
		"forged session": {"Cookie", sessionCookie + "=4102444800.forged"},
	} {
		rec := send(headers...)
		if rec.Code != http.StatusUnauthorized {
			t.Errorf("%s: %d %s, want 401", name, rec.Code, rec.Body)
			continue
		}
		if rec.Header().Get("WWW-Authenticate") == "" {
			t.Errorf("%s: 401 without WWW-Authenticate", name)
		}
		if method != http.MethodHead && !isErrorShape(rec.Body.Bytes(), "unauthorized") {
			t.Errorf("%s: body %s, want the admin API's error shape", name, rec.Body)
		}
	}
	// A browser opening a page without credentials is refused too: 401,
	// or sent to the login page.
	if !changesState(method) {
		rec := send("Sec-Fetch-Mode", "navigate", "Sec-Fetch-Site", "none", "Accept", "text/html")
		if redirect := rec.Header().Get("Location"); rec.Code != http.StatusUnauthorized &&
			(rec.Code != http.StatusSeeOther || !strings.HasPrefix(redirect, "/login?")) {
			t.Errorf("a browser's page without credentials: %d (Location %q), want 401 or 303 to the login", rec.Code, redirect)
		}
	}
	bearer := "Bearer " + monitorToken
	if changesState(method) {
		for name, headers := range map[string][]string{
			"cross-site with the token":   {"Authorization", bearer, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"},
			"same-site with basic":        {"X-Test-Basic", "operator:" + monitorToken, "Sec-Fetch-Site", "same-site", "Origin", "https://shop.example.com"},
			"foreign origin, old browser": {"Authorization", bearer, "Origin", "https://evil.example"},
		} {
			if rec := send(headers...); rec.Code != http.StatusForbidden || !isErrorShape(rec.Body.Bytes(), "forbidden") {
				t.Errorf("%s: %d %s, want 403 forbidden", name, rec.Code, rec.Body)
			}
		}
	}
	for name, headers := range map[string][]string{
		"bearer":      {"Authorization", bearer},
		"basic":       {"X-Test-Basic", "operator:" + monitorToken},
		"same origin": {"Authorization", bearer, "Sec-Fetch-Site", "same-origin", "Origin", "http://example.com"},
	} {
		if rec := send(headers...); rec.Code == http.StatusUnauthorized || rec.Code == http.StatusForbidden {
			t.Errorf("with the token (%s): %d %s, want past the guard", name, rec.Code, rec.Body)
		}
	}
}

// sessionCookie is the browser login's cookie: a forged one opens
// nothing.
const sessionCookie = "backorderd_session"

func isErrorShape(body []byte, code string) bool {
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	return json.Unmarshal(body, &e) == nil && e.Error.Code == code && e.Error.Message != ""
}

func TestTheOpenAPIDocumentDescribesTheAdminRoutesTheProcessServes(t *testing.T) {
	router := routerOf(t, roleServe)
	req := httptest.NewRequest(http.MethodGet, api.OpenAPIPath, nil)
	req.Header.Set("Authorization", "Bearer "+monitorToken)
	rec := httptest.NewRecorder()
	router.ServeHTTP(rec, req)
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); rec.Code != http.StatusOK || err != nil {
		t.Fatalf("GET %s = %d %v", api.OpenAPIPath, rec.Code, err)
	}
	var documented, served []string
	for path, ops := range doc.Paths {
		for method := range ops {
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	for _, rt := range router.Routes() {
		if strings.HasPrefix(rt.Path, "/api/") {
			served = append(served, rt.Method+" "+regexp.MustCompile(`:([A-Za-z_]+)`).ReplaceAllString(rt.Path, "{$1}"))
		}
	}
	sort.Strings(documented)
	sort.Strings(served)
	if !slices.Equal(documented, served) {
		t.Errorf("documented:\n  %s\nserved:\n  %s", strings.Join(documented, "\n  "), strings.Join(served, "\n  "))
	}
}
