package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/backorderd/backorderd/cmd/backorderd/simulate"
)

// The embedded instance's shops: one per platform, so that either
// --platform runs against it.
const (
	embeddedShopify = "simulate-flash-sale.myshopify.com"
	embeddedWoo     = "https://simulate-flash-sale.example/"
)

// simulateEmbedded starts the run role in this process on the embedded
// defaults — SQLite in a temporary directory, the in-process Redis — with
// shops, secrets and an admin token of its own and a short settle, runs
// the scenario against it and stops it. Its log (warnings and errors) is shown only when it exits with an error
// or the outcome does not match: a run that goes well prints its report.
// SETTLE_QUIET and SETTLE_MAX are taken from getenv when set there.
func simulateEmbedded(ctx context.Context, sc *simulate.Scenario, r simulate.RunOptions, getenv func(string) string,
	stderr io.Writer) (rep *simulate.Report, err error) {
	dir, err := os.MkdirTemp("", "backorderd-simulate-")
	if err != nil {
		return nil, fmt.Errorf("make data directory: %w", err)
	}
	defer os.RemoveAll(dir)
	addr, err := freeLocalAddr(ctx)
	if err != nil {
		return nil, err
	}
	secret, token := randomToken(), randomToken()
	env := map[string]string{
		"HTTP_ADDR": addr, "DATABASE_URL": "sqlite:" + filepath.Join(dir, "backorderd.db"),
		"SHOPIFY_SHOP_DOMAIN": embeddedShopify, "SHOPIFY_WEBHOOK_SECRET": secret,
		"WOOCOMMERCE_STORE_URL": embeddedWoo, "WOOCOMMERCE_WEBHOOK_SECRET": secret,
		"ADMIN_TOKEN": token, "SETTLE_QUIET": cmp.Or(getenv("SETTLE_QUIET"), "1s"), "SETTLE_MAX": getenv("SETTLE_MAX"),
		"LOG_LEVEL": "warn", "SHUTDOWN_GRACE": "5s",
	}
	if sc.Options().POReceipts {
		// The purchase orders are the reorder run's to make: every second,
		// not every half hour.
		env["REORDER_INTERVAL"] = cmp.Or(getenv("REORDER_INTERVAL"), "1s")
	}
	logs := &tailBuffer{max: 64 << 10}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- run(runCtx, []string{"run"}, func(k string) string { return env[k] }, io.Discard, logs)
	}()
	defer func() {
		stop()
		exitErr := <-done
		if exitErr != nil && err == nil {
			err = fmt.Errorf("embedded instance: %w", exitErr)
		}
		if err != nil || !rep.OK() {
			fmt.Fprintf(stderr, "the embedded instance's log (at most its last %d bytes):\n%s", logs.max, logs.String())
		}
	}()
	base := "http://" + addr
	if err := awaitReady(ctx, base, done); err != nil {
		return nil, err
	}
	shop := embeddedShopify
	if sc.Options().Platform == simulate.WooCommerce {
		shop = embeddedWoo
	}
	return sc.Run(ctx, simulate.Target{URL: base, AdminToken: token, ShopDomain: shop, Secret: secret}, r)
}

// awaitReady waits for the instance's /readyz, or for it to exit.
func awaitReady(ctx context.Context, base string, done chan error) error {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			done <- err // for the deferred stop
			return fmt.Errorf("embedded instance exited: %w", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/readyz", nil)
		if err != nil {
			return fmt.Errorf("ask readiness: %w", err)
		}
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
	return fmt.Errorf("embedded instance not ready within a minute at %s", base)
}

// freeLocalAddr is a loopback address nothing listens on now.
func freeLocalAddr(ctx context.Context) (string, error) {
	ln, err := new(net.ListenConfig).Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// tailBuffer keeps the last max bytes written to it, safe for concurrent
// writers.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if over := len(t.b) - t.max; over > 0 {
		t.b = append(t.b[:0], t.b[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}
