package webhooks_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

// BenchmarkShopifyDelivery measures one accepted Shopify delivery through
// the receiver as `backorderd serve` mounts it (recovery and request-log
// middleware, the log at warn level, a warm shop cache), in process with
// httptest: read, look up the shop, verify the HMAC, insert the inbox row,
// enqueue its task, answer. Every iteration sends a new X-Shopify-Event-Id,
// so every one is a new row, never a duplicate. It runs on SQLite and an
// in-process Redis by default; with TEST_DATABASE_URL and TEST_REDIS_URL
// set, on PostgreSQL and Redis as well. See docs/performance.md.
//
// Sub-benchmarks: receiver/serial is one delivery at a time (its latency);
// receiver/parallel keeps 16 per CPU in flight (ns/op is then the inverse
// of throughput); bare/* make the same two calls (RecordDelivery,
// EnqueueDelivery) directly, without HTTP or the receiver, to show what the
// database and Redis cost alone. Nothing here asserts a timing.
func BenchmarkShopifyDelivery(b *testing.B) {
	for _, engine := range storetest.Engines() {
		b.Run(string(engine), func(b *testing.B) {
			benchDelivery(b, engine)
		})
	}
}

func benchDelivery(b *testing.B, engine store.Engine) {
	ctx := context.Background()
	s := storetest.New(b, engine)
	h := newHarness(b, s, asServed())
	shop, rc, d, r := h.shop, h.rc, h.dispatcher, h.handler

	header, body := fixture(b, "shopify/orders-create")
	var seq atomic.Int64 // event ids stay unique across every run of every sub-benchmark
	// next numbers a delivery. Every 1,000 it empties Redis, as a worker
	// draining the queue would: the in-process miniredis prepends to a list
	// by copying it, so a queue left to grow makes every enqueue slower and
	// the benchmark would measure miniredis. Real Redis does not care.
	next := func() string {
		n := seq.Add(1)
		if n%1000 == 0 {
			_ = rc.FlushDB(ctx).Err()
		}
		return strconv.FormatInt(n, 10)
	}
	post := func(h http.Header) error {
		h.Set("X-Shopify-Event-Id", "bench-"+next())
		req := httptest.NewRequest(http.MethodPost, "/webhooks/shopify", bytes.NewReader(body))
		req.Header = h
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"accepted"`) {
			return &benchError{code: rec.Code, body: rec.Body.String()}
		}
		return nil
	}
	bare := func() error {
		topic := header.Get("X-Shopify-Topic")
		id, _, err := s.RecordDelivery(ctx, store.Delivery{
			ShopID: shop.ID, Topic: topic, DedupeKey: topic + "|event:bare-" + next(),
			Headers: map[string]string{"X-Shopify-Topic": topic}, Body: body, ReceivedAt: time.Now(),
		})
		if err != nil {
			return err
		}
		return d.EnqueueDelivery(ctx, id)
	}

	b.Run("receiver/serial", func(b *testing.B) {
		h := header.Clone()
		b.ReportAllocs()
		for b.Loop() {
			if err := post(h); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("receiver/parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.SetParallelism(16)
		b.RunParallel(func(pb *testing.PB) {
			h := header.Clone()
			for pb.Next() {
				if err := post(h); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("bare/serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := bare(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("bare/parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.SetParallelism(16)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := bare(); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

type benchError struct {
	code int
	body string
}

func (e *benchError) Error() string {
	return "receiver answered " + strconv.Itoa(e.code) + " " + e.body + ", want 200 accepted"
}
