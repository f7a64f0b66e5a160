package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

func TestRunOnTheEmbeddedDefaultReceivesAndProcessesADelivery(t *testing.T) {
	t.Chdir(t.TempDir())
	p := start(t, []string{"run"}, map[string]string{
		"SHOPIFY_SHOP_DOMAIN": shopDomain, "SHOPIFY_WEBHOOK_SECRET": shopifySecret,
		"WOOCOMMERCE_STORE_URL": "https://larchwood-goods.example/", "WOOCOMMERCE_WEBHOOK_SECRET": "fixture-secret-woo-do-not-use",
		"SETTLE_QUIET": "0s",
	})
	p.waitReady(t)
	if resp := postFixture(t, p.addr, "shopify/orders-create"); resp.StatusCode != http.StatusOK {
		t.Fatalf("delivery answered %d", resp.StatusCode)
	}
	waitProcessed(t, "sqlite", "backorderd.db")
	for _, name := range []string{"woocommerce/order-created", "woocommerce/product-updated-variation", "shopify/customers-data_request"} {
		if resp := postFixture(t, p.addr, name); resp.StatusCode != http.StatusOK {
			t.Fatalf("%s answered %d", name, resp.StatusCode)
		}
	}
	_, token, ok := strings.Cut(strings.TrimSpace(p.stdout.String()), "set ADMIN_TOKEN to choose one): ")
	if !ok {
		t.Fatalf("run on the embedded default printed no admin token:\n%s", p.stdout)
	}
	waitInbox(t, "sqlite", "backorderd.db", 4, store.InboxProcessed)
	waitBackorder(t, "sqlite", "backorderd.db")
	for path, want := range map[string]string{
		"/api/v1/backorders?sku=LW-APRON-CHR":                                  `"waiting":2`,
		"/api/v1/backorders/1":                                                 `"kind":"started_waiting"`,
		"/api/v1/emails?kind=backordered&order=48213":                          `"dedupe_key":"order:48213:backordered:`,
		"/api/v1/emails/1":                                                     `LW-APRON-CHR`,
		"/api/v1/items/1517?shop=https://larchwood-goods.example/":             `"owed":2`,
		"/api/v1/items?sku=LW-APRON-CHR&shop=https://larchwood-goods.example/": `"projected_available":-2`,
		"/api/v1/inbox?shop=https://larchwood-goods.example/":                  `"topic":"order.created"`,
		"/api/v1/privacy-requests":                                             `"kind":"customer_data"`,
		"/metrics":                                                             `backorderd_webhook_deliveries_total{outcome="accepted",platform="woocommerce"} 2`,
		"/metrics?for=the-store":                                               `backorderd_db_transaction_retries_total{cause="40P01"} 0`,
	} {
		// The notices and emails follow the reconcile as tasks of their
		// own: give the worker a few polls.
		var status int
		var body []byte
		for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			req, _ := http.NewRequest(http.MethodGet, "http://"+p.addr+path, nil)
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			if status = resp.StatusCode; status == http.StatusOK && strings.Contains(string(body), want) {
				break
			}
		}
		if status != http.StatusOK || !strings.Contains(string(body), want) {
			t.Errorf("GET %s = %d, want it to show %s:\n%.500s", path, status, want, body)
		}
	}
	// An operator cancels the apron's wait: the route is mounted, and the
	// customer's message is written with the cancellation.
	for _, step := range []struct{ method, path, body, want string }{
		{http.MethodPost, "/api/v1/backorders/1/cancel", `{"reason":"the customer asked"}`, `"status":"cancelled"`},
		{http.MethodGet, "/api/v1/emails?kind=cancelled&order=48213", "", `"dedupe_key":"order:48213:cancelled:`},
		{http.MethodGet, "/api/v1/operator-actions", "", `"reason":"the customer asked"`},
	} {
		req, _ := http.NewRequest(step.method, "http://"+p.addr+step.path, strings.NewReader(step.body))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), step.want) {
			t.Errorf("%s %s = %d, want it to show %s:\n%.500s", step.method, step.path, resp.StatusCode, step.want, body)
		}
	}
	logs := p.stderr.String()
	for _, want := range []string{"embedded in-process Redis", `"msg":"delivery processed"`, `"outcome":"accepted"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
	if err := p.stopped(t); err != nil {
		t.Fatalf("run after SIGTERM returned %v, want nil", err)
	}
}

func TestServeAndWorkOnPostgreSQLAndRedis(t *testing.T) {
	_, dsn := storetest.DSN(t, store.Postgres) // skips, outside CI, without TEST_DATABASE_URL
	_, redisAt := testRedis(t)
	env := func() map[string]string {
		return map[string]string{"DATABASE_URL": dsn, "REDIS_URL": redisAt,
			"SHOPIFY_SHOP_DOMAIN": shopDomain, "SHOPIFY_WEBHOOK_SECRET": shopifySecret}
	}
	// serve and work refuse a database with no schema.
	for _, r := range []string{"serve", "work"} {
		err := run(context.Background(), []string{r}, func(k string) string { return env()[k] }, &syncBuffer{}, &syncBuffer{})
		if err == nil || !strings.Contains(err.Error(), "run `backorderd migrate`") {
			t.Fatalf("%s on an empty database = %v, want a schema error saying to migrate", r, err)
		}
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"migrate"}, func(k string) string { return env()[k] }, &out, &out); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	serve := start(t, []string{"serve"}, env())
	work := start(t, []string{"work"}, env())
	serve.waitReady(t)
	work.waitReady(t)
	if resp := postFixture(t, serve.addr, "shopify/orders-create"); resp.StatusCode != http.StatusOK {
		t.Fatalf("delivery answered %d", resp.StatusCode)
	}
	waitProcessed(t, "postgres", dsn)
	if !strings.Contains(work.stderr.String(), `"msg":"delivery processed"`) {
		t.Errorf("work logged no processed delivery:\n%s", work.stderr)
	}
	if strings.Contains(serve.stdout.String(), "admin token") {
		t.Error("serve generated an admin token: only run on the embedded default may")
	}
	// work has no webhook routes, only health.
	resp, err := http.Post("http://"+work.addr+"/webhooks/shopify", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("work answered a webhook with %d, want 404", resp.StatusCode)
	}
	for _, p := range []*process{serve, work} {
		if err := p.stopped(t); err != nil {
			t.Errorf("stop: %v", err)
		}
	}
}

func TestMalformedSettingStopsStartupNamingIt(t *testing.T) {
	tests := []struct{ key, value string }{
		{"DATABASE_URL", "mysql://localhost/backorderd"},
		{"DATABASE_URL", "postgres://localhost"},
		{"REDIS_URL", "localhost:6379"},
		{"REDIS_URL", "redis://localhost:6379/x"},
		{"WORKER_CONCURRENCY", "many"},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			var stderr bytes.Buffer
			err := run(context.Background(), []string{"run"}, func(k string) string {
				if k == tt.key {
					return tt.value
				}
				return ""
			}, &stderr, &stderr)
			if err == nil {
				t.Fatal("run started")
			}
			if !strings.Contains(err.Error(), tt.key+":") || strings.Contains(err.Error(), "\n") {
				t.Errorf("error = %q, want one line naming %s", err, tt.key)
			}
		})
	}
}

func TestServeAndWorkNeedRealServers(t *testing.T) {
	for _, r := range []string{"serve", "work"} {
		err := run(context.Background(), []string{r}, func(string) string { return "" }, &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), "DATABASE_URL and REDIS_URL") {
			t.Errorf("%s with no servers = %v, want a refusal naming both", r, err)
		}
	}
}

func TestShopCommands(t *testing.T) {
	t.Chdir(t.TempDir())
	sh := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(context.Background(), append([]string{"shop"}, args...), func(string) string { return "" }, &out, &out)
		return out.String(), err
	}
	if _, err := sh("add", "--platform", "woocommerce", "--domain", "https://Larchwood-Goods.example", "--secret", "first-secret-x1",
		"--name", "Larchwood", "--time-zone", "America/New_York"); err != nil {
		t.Fatalf("add: %v", err)
	}
	if _, err := sh("add", "--platform", "woocommerce", "--domain", "https://larchwood-goods.example/", "--secret", "second-secret-x2"); err == nil ||
		!strings.Contains(err.Error(), "already registered") {
		t.Fatalf("second add of the same store = %v, want already registered", err)
	}
	bad := [][]string{
		{"set", "1", "--time-zone", "Mars/Olympus"},
		{"set", "1", "--merchant-email", "not an address"},
		{"set", "1", "--handling-days", "-2"},
		{"set", "1", "--templates", "[1]"},
		{"set", "1", "--waiting-cap", "-1"},
		{"item-cap", "1", "1517", "lots"},
		{"set", "nope.example"},
		{"add", "--platform", "magento", "--domain", "x", "--secret", "y"},
	}
	for _, args := range bad {
		if _, err := sh(args...); err == nil {
			t.Errorf("shop %v succeeded, want an error", args)
		}
	}
	if _, err := sh("set", "https://larchwood-goods.example/", "--secret", "third-secret-x3", "--merchant-email", "ops@larchwood-goods.example",
		"--templates", `{"backordered":"d-1"}`, "--waiting-cap", "50"); err != nil {
		t.Fatalf("set: %v", err)
	}
	if _, err := sh("item-cap", "1", "1517", "5"); err != nil {
		t.Fatalf("item-cap: %v", err)
	}
	// The app is uninstalled (shop/redact may follow), then installed again.
	uninstall, err := store.Open("sqlite", "backorderd.db")
	if err != nil {
		t.Fatal(err)
	}
	err = uninstall.InTx(context.Background(), func(tx *store.Tx) error { return tx.UninstallShop(context.Background(), 1) })
	_ = uninstall.Close()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sh("set", "1", "--reactivate"); err != nil {
		t.Fatalf("reactivate: %v", err)
	}
	out, err := sh("list")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"https://larchwood-goods.example/", "Larchwood", "ops@larchwood-goods.example", "America/New_York", " 2 "} {
		if !strings.Contains(out, want) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "third-secret-x3") || strings.Contains(out, "first-secret-x1") {
		t.Errorf("list shows a secret:\n%s", out)
	}
	s, err := store.Open("sqlite", "backorderd.db")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	shop, err := s.Shop(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if shop.WebhookSecret != "third-secret-x3" || shop.WebhookSecretPrevious != "first-secret-x1" || shop.TemplateIDs != `{"backordered":"d-1"}` ||
		shop.WaitingCap == nil || *shop.WaitingCap != 50 || shop.Status != "active" {
		t.Errorf("shop after set = %+v, want s3 with s1 kept for rotation and a cap of 50", shop)
	}
}

func TestHealthcheckAndVersion(t *testing.T) {
	t.Chdir(t.TempDir())
	p := start(t, []string{"run"}, map[string]string{})
	p.waitReady(t)
	env := func(k string) string {
		if k == "HTTP_ADDR" {
			return p.addr
		}
		return ""
	}
	if err := run(context.Background(), []string{"healthcheck"}, env, &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
		t.Fatalf("healthcheck against a running process: %v", err)
	}
	if err := p.stopped(t); err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), []string{"healthcheck"}, env, &bytes.Buffer{}, &bytes.Buffer{}); err == nil {
		t.Fatal("healthcheck against a stopped process succeeded")
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"version"}, env, &out, &out); err != nil || !strings.HasPrefix(out.String(), "backorderd ") {
		t.Fatalf("version = %q, %v", out.String(), err)
	}
	if err := run(context.Background(), []string{"frobnicate"}, env, &out, &out); !errors.Is(err, errUsage) {
		t.Fatalf("unknown command = %v, want usage", err)
	}
}

func TestUnreachableServersAreRetriedWhileReadinessNamesThem(t *testing.T) {
	t.Chdir(t.TempDir())
	dead := freeAddr(t) // nothing listens there
	for _, tt := range []struct{ key, value, down string }{
		{"DATABASE_URL", "postgres://postgres@" + dead + "/test?sslmode=disable", "database"},
		{"REDIS_URL", "redis://" + dead + "/0", "redis"},
	} {
		t.Run(tt.down, func(t *testing.T) {
			p := start(t, []string{"run"}, map[string]string{tt.key: tt.value})
			deadline := time.Now().Add(10 * time.Second)
			for {
				resp, err := http.Get("http://" + p.addr + "/readyz")
				if err == nil {
					var body struct {
						Down []string `json:"down"`
					}
					_ = json.NewDecoder(resp.Body).Decode(&body)
					resp.Body.Close()
					if resp.StatusCode == http.StatusServiceUnavailable && strings.Join(body.Down, ",") == tt.down {
						break
					}
				}
				if time.Now().After(deadline) {
					t.Fatalf("readyz never said %s is down:\n%s", tt.down, p.stderr)
				}
				time.Sleep(50 * time.Millisecond)
			}
			select {
			case err := <-p.done:
				t.Fatalf("process gave up on an unreachable %s: %v", tt.down, err)
			case <-time.After(time.Second):
			}
			if !strings.Contains(p.stderr.String(), tt.down+" unreachable; retrying") {
				t.Errorf("logs do not say it retries:\n%s", p.stderr)
			}
			if tt.down == "redis" {
				// go-redis's own complaints go through the process's
				// logger, as JSON, not to the process's stderr as text.
				if !strings.Contains(p.stderr.String(), `"msg":"redis client"`) {
					t.Errorf("the Redis client's lines are not in the log:\n%s", p.stderr)
				}
				// The server comes up: the process carries on by itself.
				_ = startRedisServer(t, dead)
				p.waitReady(t)
			}
			if err := p.stopped(t); err != nil {
				t.Errorf("stop while waiting: %v", err)
			}
		})
	}
}
