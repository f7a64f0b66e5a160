package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/backorderd/backorderd/jobs/jobstest"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

const (
	redisDB       = 4
	shopifySecret = "fixture-secret-shopify-do-not-use"
	shopDomain    = "harbor-kiln-supply.myshopify.com"
)

// testdata is resolved before any test changes the working directory.
var testdata, _ = filepath.Abs(filepath.Join("..", "..", "testdata"))

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func redisURL(opts *redis.Options) string {
	u := url.URL{Scheme: "redis", Host: opts.Addr, Path: fmt.Sprintf("/%d", opts.DB)}
	if opts.Password != "" {
		u.User = url.UserPassword(opts.Username, opts.Password)
	}
	return u.String()
}

// syncBuffer is a log sink the process and the test read concurrently.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// process is backorderd running in this test, through the same run() main
// calls.
type process struct {
	addr   string
	stdout *syncBuffer
	stderr *syncBuffer
	stop   context.CancelFunc
	done   chan error
}

func start(t *testing.T, args []string, env map[string]string) *process {
	t.Helper()
	p := &process{addr: freeAddr(t), stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan error, 1)}
	env["HTTP_ADDR"] = p.addr
	env["SHUTDOWN_GRACE"] = "3s"
	ctx, cancel := context.WithCancel(context.Background())
	p.stop = cancel
	go func() { p.done <- run(ctx, args, func(k string) string { return env[k] }, p.stdout, p.stderr) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-p.done:
			if err != nil {
				t.Errorf("process exited with %v\n%s", err, p.stderr)
			}
		case <-time.After(15 * time.Second):
			t.Error("process did not stop within 15s")
		}
	})
	return p
}

func (p *process) waitReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-p.done:
			p.done <- err // for the cleanup
			t.Fatalf("process exited: %v\n%s", err, p.stderr)
		default:
		}
		resp, err := http.Get("http://" + p.addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("not ready within 20s:\n%s", p.stderr)
}

// stopped cancels the process (as SIGTERM does) and returns run's error.
func (p *process) stopped(t *testing.T) error {
	t.Helper()
	p.stop()
	select {
	case err := <-p.done:
		p.done <- err // for the cleanup
		return err
	case <-time.After(15 * time.Second):
		t.Fatal("process did not stop within 15s")
		return nil
	}
}

func postFixture(t *testing.T, addr, name string) *http.Response {
	t.Helper()
	return postFixtureWith(t, addr, name, nil)
}

// postFixtureWith posts a signed fixture with some headers replaced (those
// the signature does not cover).
func postFixtureWith(t *testing.T, addr, name string, override map[string]string) *http.Response {
	t.Helper()
	body, err := os.ReadFile(filepath.Join(testdata, name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	platform, _, _ := strings.Cut(name, "/")
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/webhooks/"+platform, bytes.NewReader(body))
	f, err := os.Open(filepath.Join(testdata, name+".headers"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ": "); ok {
			req.Header.Set(k, v)
		}
	}
	for k, v := range override {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// waitProcessed opens the process's database beside it and waits for the
// one delivery to be processed.
func waitProcessed(t *testing.T, engine, dsn string) {
	t.Helper()
	s, err := store.Open(engine, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		row, err := s.Inbox(context.Background(), 1)
		if err == nil && row.Status == store.InboxProcessed {
			if row.Topic != "orders/create" {
				t.Fatalf("processed row topic = %q", row.Topic)
			}
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("delivery not processed within 20s")
}

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
	_, opts := jobstest.Redis(t, redisDB)
	env := func() map[string]string {
		return map[string]string{"DATABASE_URL": dsn, "REDIS_URL": redisURL(opts),
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

// waitBackorder waits for the first backorder to exist.
func waitBackorder(t *testing.T, engine, dsn string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		s, err := store.Open(engine, dsn)
		if err == nil {
			es, err := s.ListBackorders(context.Background(), store.BackorderFilter{Limit: 1})
			_ = s.Close()
			if err == nil && len(es) == 1 {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("no backorder within 20s")
}
