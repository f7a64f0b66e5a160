// Command intakebench exists only for the measurements in
// docs/performance.md; it is not part of the service and nothing imports it.
//
// It has three modes:
//
//	intakebench baseline [-addr 127.0.0.1:18081]
//
// serves the bare baseline the receiver is compared with: a gin handler
// (gin.New() in release mode, no middleware) whose POST /webhooks/shopify
// reads the body, writes one inbox row with store.RecordDelivery and
// enqueues its task with jobs.Dispatcher.EnqueueDelivery, then answers 200.
// No shop lookup, no signature check, no logging, no metrics. It takes
// DATABASE_URL (PostgreSQL) and REDIS_URL as `backorderd serve` does,
// migrates the database and registers the sample Shopify shop if missing.
//
//	intakebench bare [-addr 127.0.0.1:18082]
//
// serves a leaner bare handler, the one `backorderd serve` is to beat by
// 1.5x: net/http alone (no gin), and per request one INSERT through a pgx
// pool (no database/sql, no sqlx, no batching) and one asynq enqueue. Its
// statement counts a known key as a duplicate, as the inbox does. Same
// environment as baseline; the database must be migrated (baseline or
// `backorderd migrate` does it).
//
//	intakebench targets [-url URL] [-fixture testdata/shopify/orders-create] [-n 0] [-no-body]
//
// writes vegeta JSON targets (`vegeta attack -lazy -format=json`) to stdout:
// the signed sample delivery with its headers, each target with its own
// X-Shopify-Event-Id, so that every request is a new inbox row rather than
// a duplicate (the inbox deduplicates on topic and event id; the signature
// covers only the body, which stays as signed). -n 0 writes until stdout is
// closed. With -no-body the targets carry no body, and vegeta is given the
// fixture's body once with -body, which saves vegeta decoding ~12 KB of
// base64 JSON per request.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/gin-gonic/gin"

	"github.com/backorderd/backorderd/config"
	"github.com/backorderd/backorderd/store"
)

// The sample shop of testdata/shopify, with its test-only secret.
const (
	sampleShopDomain = "harbor-kiln-supply.myshopify.com"
	sampleSecret     = "fixture-secret-shopify-do-not-use"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "intakebench: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New("usage: intakebench baseline|bare|targets [flags]")
	}
	switch args[0] {
	case "baseline":
		fs := flag.NewFlagSet("baseline", flag.ContinueOnError)
		addr := fs.String("addr", "127.0.0.1:18081", "listen address")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		return baseline(ctx, *addr, os.Getenv("DATABASE_URL"), os.Getenv("REDIS_URL"))
	case "bare":
		fs := flag.NewFlagSet("bare", flag.ContinueOnError)
		addr := fs.String("addr", "127.0.0.1:18082", "listen address")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		return bare(ctx, *addr, os.Getenv("DATABASE_URL"), os.Getenv("REDIS_URL"))
	case "targets":
		fs := flag.NewFlagSet("targets", flag.ContinueOnError)
		target := fs.String("url", "http://127.0.0.1:18080/webhooks/shopify", "URL every target posts to")
		fixture := fs.String("fixture", "testdata/shopify/orders-create", "signed sample delivery: FIXTURE.json and FIXTURE.headers")
		n := fs.Int("n", 0, "number of targets (0: until stdout is closed)")
		noBody := fs.Bool("no-body", false, "leave the body out of the targets: pass it once with vegeta's -body FILE (much less CPU in vegeta)")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		return targets(os.Stdout, *target, *fixture, *n, *noBody)
	default:
		return fmt.Errorf("unknown mode %q: want baseline, bare or targets", args[0])
	}
}

func baseline(ctx context.Context, addr, databaseURL, redisURL string) error {
	if databaseURL == "" || redisURL == "" {
		return errors.New("baseline needs DATABASE_URL and REDIS_URL")
	}
	engine, dsn, err := config.ParseDatabaseURL(databaseURL)
	if err != nil {
		return fmt.Errorf("DATABASE_URL: %w", err)
	}
	st, err := store.Open(engine, dsn)
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		return err
	}
	shop, err := st.ShopByDomain(ctx, store.Shopify, sampleShopDomain)
	if errors.Is(err, store.ErrNotFound) {
		shop, err = st.AddShop(ctx, store.NewShop(store.Shopify, sampleShopDomain, sampleSecret))
	}
	if err != nil {
		return fmt.Errorf("sample shop: %w", err)
	}

	dispatcher, closeRedis, err := newDispatcher(redisURL)
	if err != nil {
		return err
	}
	defer closeRedis()

	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.POST("/webhooks/shopify", func(c *gin.Context) {
		body, err := c.GetRawData()
		if err != nil {
			c.AbortWithStatus(http.StatusBadRequest)
			return
		}
		// Like the receiver, finish the work even if the client hangs up.
		ctx := context.WithoutCancel(c.Request.Context())
		id, duplicate, err := st.RecordDelivery(ctx, sampleDelivery(c.Request, shop.ID, body))
		if err != nil {
			c.AbortWithStatus(http.StatusServiceUnavailable)
			return
		}
		if !duplicate {
			if err := dispatcher.EnqueueDelivery(ctx, id); err != nil {
				c.AbortWithStatus(http.StatusInternalServerError)
				return
			}
		}
		c.JSON(http.StatusOK, gin.H{"status": "accepted"})
	})

	fmt.Fprintf(os.Stderr, "intakebench baseline listening on %s (shop %d)\n", addr, shop.ID)
	return serveUntil(ctx, addr, r)
}

// target is one request in vegeta's JSON target format.
type target struct {
	Method string              `json:"method"`
	URL    string              `json:"url"`
	Body   []byte              `json:"body,omitempty"` // encoding/json writes base64, as vegeta reads it
	Header map[string][]string `json:"header"`
}

func targets(w io.Writer, url, fixture string, n int, noBody bool) error {
	body, err := os.ReadFile(fixture + ".json") //nolint:gosec // the operator names the fixture
	if err != nil {
		return err
	}
	raw, err := os.ReadFile(fixture + ".headers") //nolint:gosec // the operator names the fixture
	if err != nil {
		return err
	}
	header := map[string][]string{}
	for line := range strings.Lines(string(raw)) {
		if k, v, ok := strings.Cut(strings.TrimRight(line, "\r\n"), ": "); ok {
			header[k] = []string{v}
		}
	}
	// Encode the fixed part once; only the event id changes per target.
	const placeholder = "EVENT-ID-PLACEHOLDER"
	header["X-Shopify-Event-Id"] = []string{placeholder}
	t := target{Method: http.MethodPost, URL: url, Body: body, Header: header}
	if noBody {
		t.Body = nil
	}
	line, err := json.Marshal(t)
	if err != nil {
		return err
	}
	before, after, _ := strings.Cut(string(line), placeholder)
	var run [6]byte
	_, _ = rand.Read(run[:])
	prefix := "vegeta-" + hex.EncodeToString(run[:]) + "-"

	bw := bufio.NewWriterSize(w, 1<<16)
	for i := 1; n == 0 || i <= n; i++ {
		_, _ = bw.WriteString(before)
		_, _ = bw.WriteString(prefix)
		_, _ = fmt.Fprint(bw, i)
		_, _ = bw.WriteString(after)
		if err := bw.WriteByte('\n'); err != nil {
			return err // vegeta stopped reading (or SIGPIPE ended us first)
		}
	}
	return bw.Flush()
}
