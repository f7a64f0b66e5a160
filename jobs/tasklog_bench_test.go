package jobs

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hibiken/asynq"
)

// BenchmarkTaskLog measures what TaskLog adds to a task: decoding its
// payload for the ids and subject, and writing the JSON line (to
// io.Discard), against the bare handler. Payloads: a reconcile's (the
// commonest task), an order-messages task naming five orders, and a
// spooled delivery carrying a Shopify order's 9 KB body. "level-off" is a
// logger whose level is above info: nothing is decoded.
//
//	go test -run '^$' -bench TaskLog -benchmem ./jobs/
func BenchmarkTaskLog(b *testing.B) {
	order, err := os.ReadFile(filepath.Join("..", "testdata", "shopify", "orders-create.json"))
	if err != nil {
		b.Fatal(err)
	}
	spool, _ := json.Marshal(spoolPayload{ShopID: 3, Topic: "orders/create", DedupeKey: "b54557a4-6ba5-4b1c-9b3a-e1b5a0b4c1d2",
		Headers: map[string]string{"X-Shopify-Topic": "orders/create", "X-Shopify-Event-Id": "b54557a4"},
		Body:    order, ReceivedAt: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)})
	reconcile := newRowTask(TypeReconcile, 33,
		&Subject{Shop: "harbor-kiln-supply.myshopify.com", Item: "44102231", SKU: "KETTLE-CU-1L"}).Payload()
	messages := newRowTask(TypeOrderMessages, 35,
		(&Subject{Shop: "harbor-kiln-supply.myshopify.com"}).withOrders("48213", "48214", "48215", "48216", "48217", "48218")).Payload()
	info := slog.New(slog.NewJSONHandler(io.Discard, nil))
	quiet := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn}))
	done := asynq.HandlerFunc(func(context.Context, *asynq.Task) error { return nil })
	for _, bc := range []struct {
		name    string
		payload []byte
		log     *slog.Logger
	}{
		{"reconcile", reconcile, info},
		{"order-messages", messages, info},
		{"spool-9KB", spool, info},
		{"level-off/spool-9KB", spool, quiet},
	} {
		task := asynq.NewTask("bench:task", bc.payload)
		ctx := context.Background()
		b.Run(bc.name+"/bare", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = done.ProcessTask(ctx, task)
			}
		})
		logged := TaskLog(bc.log)(done)
		b.Run(bc.name+"/logged", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = logged.ProcessTask(ctx, task)
			}
		})
		attrs := make([]slog.Attr, 0, 16)
		b.Run(bc.name+"/facts", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = appendTaskFacts(attrs[:0], bc.payload)
			}
		})
	}
}
