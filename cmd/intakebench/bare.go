package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/backorderd/backorderd/config"
	"github.com/backorderd/backorderd/jobs"
	"github.com/backorderd/backorderd/store"
)

// The headers the receiver keeps with a delivery; the bare handlers keep
// the same, so that all write rows of the same size.
var keptHeaders = []string{
	"X-Shopify-Topic", "X-Shopify-Shop-Domain", "X-Shopify-API-Version", "X-Shopify-Webhook-Id",
	"X-Shopify-Event-Id", "X-Shopify-Triggered-At", "X-Shopify-Name", "X-Shopify-Sub-Topic",
}

// Timeouts as `backorderd serve` sets them on its Redis client.
const (
	redisDialTimeout = 2 * time.Second
	redisIOTimeout   = 3 * time.Second
)

// poolSize is the store's PostgreSQL pool size, for the pgx pool too.
const poolSize = 32

// bare serves the leaner bare handler: net/http, one pgx INSERT, one asynq
// enqueue per request.
func bare(ctx context.Context, addr, databaseURL, redisURL string) error {
	if databaseURL == "" || redisURL == "" {
		return errors.New("bare needs DATABASE_URL and REDIS_URL")
	}
	engine, dsn, err := config.ParseDatabaseURL(databaseURL)
	if err != nil {
		return fmt.Errorf("DATABASE_URL: %w", err)
	}
	if engine != string(store.Postgres) {
		return errors.New("bare needs a PostgreSQL DATABASE_URL")
	}
	pcfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return fmt.Errorf("DATABASE_URL: %w", err)
	}
	pcfg.MaxConns = poolSize
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return fmt.Errorf("connect to postgres: %w", err)
	}
	defer pool.Close()
	var shopID int64
	if err := pool.QueryRow(ctx, `SELECT id FROM shops WHERE platform = 'shopify' AND domain = $1`,
		sampleShopDomain).Scan(&shopID); err != nil {
		return fmt.Errorf("sample shop (run `intakebench baseline` once to register it): %w", err)
	}
	dispatcher, closeRedis, err := newDispatcher(redisURL)
	if err != nil {
		return err
	}
	defer closeRedis()

	const insert = `INSERT INTO inbox (shop_id, topic, dedupe_key, headers, body, status, received_at)
	VALUES ($1, $2, $3, $4, $5, 'accepted', $6)
	ON CONFLICT (shop_id, dedupe_key) DO UPDATE SET duplicates = inbox.duplicates + 1
	RETURNING id, xmax <> 0`
	mux := http.NewServeMux()
	mux.HandleFunc("POST /webhooks/shopify", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "unreadable", http.StatusBadRequest)
			return
		}
		d := sampleDelivery(r, shopID, body)
		headers, _ := json.Marshal(d.Headers)
		// Like the receiver, finish the work even if the client hangs up.
		ctx := context.WithoutCancel(r.Context())
		var id int64
		var duplicate bool
		if err := pool.QueryRow(ctx, insert, d.ShopID, d.Topic, d.DedupeKey, string(headers), d.Body,
			d.ReceivedAt.UTC()).Scan(&id, &duplicate); err != nil {
			http.Error(w, "database", http.StatusServiceUnavailable)
			return
		}
		if !duplicate {
			if err := dispatcher.EnqueueDelivery(ctx, id); err != nil {
				http.Error(w, "redis", http.StatusInternalServerError)
				return
			}
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = io.WriteString(w, `{"status":"accepted"}`)
	})
	fmt.Fprintf(os.Stderr, "intakebench bare listening on %s (shop %d)\n", addr, shopID)
	return serveUntil(ctx, addr, mux)
}

// sampleDelivery is what a bare handler records of a request: the
// receiver's dedupe key (topic and event id) and kept headers.
func sampleDelivery(r *http.Request, shopID int64, body []byte) store.Delivery {
	topic := r.Header.Get("X-Shopify-Topic")
	headers := make(map[string]string, len(keptHeaders))
	for _, n := range keptHeaders {
		if v := r.Header.Get(n); v != "" {
			headers[n] = v
		}
	}
	return store.Delivery{ShopID: shopID, Topic: topic, DedupeKey: topic + "|event:" + r.Header.Get("X-Shopify-Event-Id"),
		Headers: headers, Body: body, ReceivedAt: time.Now()}
}

// newDispatcher connects to Redis as `backorderd serve` does.
func newDispatcher(redisURL string) (*jobs.Dispatcher, func(), error) {
	opts, err := config.ParseRedisURL(redisURL)
	if err != nil {
		return nil, nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout = redisDialTimeout, redisIOTimeout, redisIOTimeout
	rc := redis.NewClient(opts)
	client := asynq.NewClientFromRedisClient(rc)
	closeAll := func() {
		_ = client.Close()
		_ = rc.Close()
	}
	return jobs.NewDispatcher(client, slog.New(slog.NewTextHandler(os.Stderr, nil))), closeAll, nil
}

// serveUntil serves h on addr until ctx ends, then shuts down.
func serveUntil(ctx context.Context, addr string, h http.Handler) error {
	srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}
