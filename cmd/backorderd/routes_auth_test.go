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
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
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
	return routerWith(t, r, nil)
}

// routerWith is routerOf with more of the environment set.
func routerWith(t *testing.T, r role, more map[string]string) *gin.Engine {
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
	maps.Copy(env, more)
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

// loginAt posts the login form to router as a browser at the address from
// (a proxy's, with forwardedFor in X-Forwarded-For when not empty) would.
func loginAt(router http.Handler, from, forwardedFor, password string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, api.LoginPath, strings.NewReader(url.Values{"password": {password}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.RemoteAddr = from + ":50000"
	if forwardedFor != "" {
		req.Header.Set("X-Forwarded-For", forwardedFor)
	}
	rec := httptest.NewRecorder()
	router.ServeHTTP(rec, req)
	return rec
}

func TestTheLoginCookieIsSecureBehindAnHTTPSPublicURLAndALogoutEndsItForEveryRoute(t *testing.T) {
	router := routerOf(t, roleRun) // PUBLIC_URL=https://backorderd.example
	// The proxy terminates TLS and does not say so: the request is plain.
	rec := loginAt(router, "192.0.2.10", "", monitorToken)
	cookies := rec.Result().Cookies()
	if rec.Code != http.StatusSeeOther || len(cookies) != 1 || !cookies[0].Secure || !cookies[0].HttpOnly {
		t.Fatalf("login = %d, cookies %v; want a Secure, HttpOnly session", rec.Code, cookies)
	}
	get := func(path string) int {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.AddCookie(cookies[0])
		rec := httptest.NewRecorder()
		router.ServeHTTP(rec, req)
		return rec.Code
	}
	for _, path := range []string{"/", "/api/v1/backorders", "/metrics"} {
		if code := get(path); code != http.StatusOK {
			t.Fatalf("GET %s with the session = %d, want 200", path, code)
		}
	}
	req := httptest.NewRequest(http.MethodPost, "/logout", nil)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.AddCookie(cookies[0])
	rec = httptest.NewRecorder()
	router.ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("logout = %d %s", rec.Code, rec.Body)
	}
	// A copy of the cookie kept from before the logout.
	for _, path := range []string{"/", "/api/v1/backorders", "/metrics", "/monitor/api/queues"} {
		if code := get(path); code != http.StatusUnauthorized {
			t.Errorf("GET %s with the logged-out session = %d, want 401", path, code)
		}
	}
}

func TestTheLoginThrottleCountsTheConnectionsAddressUnlessAProxyIsTrusted(t *testing.T) {
	const proxy, attacker, merchant = "10.1.2.3", "198.51.100.7", "192.0.2.10"
	t.Run("no proxy trusted: a forged X-Forwarded-For changes nothing", func(t *testing.T) {
		router := routerOf(t, roleRun)
		for i := range 4 {
			if rec := loginAt(router, attacker, fmt.Sprintf("203.0.113.%d", i), "guess"); rec.Code != http.StatusUnauthorized {
				t.Fatalf("wrong token %d = %d, want 401", i+1, rec.Code)
			}
		}
		rec := loginAt(router, attacker, "203.0.113.99", "guess")
		if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" {
			t.Errorf("a fifth wrong token under yet another X-Forwarded-For = %d (Retry-After %q), want 429",
				rec.Code, rec.Header().Get("Retry-After"))
		}
		if rec := loginAt(router, merchant, "", monitorToken); rec.Code != http.StatusSeeOther {
			t.Errorf("the right token from another address = %d, want 303", rec.Code)
		}
	})
	t.Run("behind a trusted proxy: its X-Forwarded-For names the client", func(t *testing.T) {
		router := routerWith(t, roleRun, map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8"})
		for range 6 {
			loginAt(router, proxy, "203.0.113.9, "+attacker, "guess")
		}
		if rec := loginAt(router, proxy, attacker, monitorToken); rec.Code != http.StatusTooManyRequests {
			t.Errorf("the attacker through the proxy = %d, want 429", rec.Code)
		}
		if rec := loginAt(router, proxy, merchant, monitorToken); rec.Code != http.StatusSeeOther {
			t.Errorf("the merchant through the same proxy = %d, want 303", rec.Code)
		}
	})
}
