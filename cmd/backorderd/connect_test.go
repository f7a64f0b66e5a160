package main

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/backorderd/backorderd/integrations/storeapi"
	"github.com/backorderd/backorderd/jobs"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

// cliStores is a store client for the commands' tests: Connect answers
// report and records its arguments; Changes reports changes.
type cliStores struct {
	report   storeapi.ConnectReport
	changes  []storeapi.Change
	callback string
	secret   string
	since    time.Time
	without  bool
}

func (c *cliStores) Client(context.Context, store.Shop) (jobs.StoreClient, error) {
	if c.without {
		return nil, jobs.ErrNoStoreClient
	}
	return c, nil
}

func (c *cliStores) Connect(_ context.Context, callbackURL, secret string) (storeapi.ConnectReport, error) {
	c.callback, c.secret = callbackURL, secret
	return c.report, nil
}
func (c *cliStores) SyncOrder(context.Context, storeapi.Order, storeapi.OrderWrites) error {
	return nil
}
func (c *cliStores) SetSelling(context.Context, storeapi.Item) error    { return nil }
func (c *cliStores) AddStock(context.Context, storeapi.Receipt) error   { return nil }
func (c *cliStores) CancelOrder(context.Context, storeapi.Cancel) error { return nil }
func (c *cliStores) Changes(_ context.Context, since time.Time, fn func(storeapi.Change) error) error {
	c.since = since
	for _, ch := range c.changes {
		if err := fn(ch); err != nil {
			return err
		}
	}
	return nil
}
func (c *cliStores) Resolve(context.Context, string) (storeapi.Change, error) {
	return storeapi.Change{}, &storeapi.Error{Op: "resolve", StatusCode: 404, Message: "none"}
}

// countingEnqueuer takes every task and counts them.
type countingEnqueuer struct{ n int }

func (e *countingEnqueuer) EnqueueContext(context.Context, *asynq.Task, ...asynq.Option) (*asynq.TaskInfo, error) {
	e.n++
	return &asynq.TaskInfo{}, nil
}

func TestShopConnectSavesAWooCommerceSecretAndPrintsWhatItDid(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t, store.SQLite)
	shop, err := st.AddShop(ctx, store.NewShop(store.WooCommerce, "https://larch.example/", ""))
	if err != nil {
		t.Fatal(err)
	}
	url := "https://larch.example/wp-json/backorderd"
	clients := &cliStores{report: storeapi.ConnectReport{
		Found:     []storeapi.Subscription{{ID: "3", Topic: "order.updated", URL: url}},
		Created:   []storeapi.Subscription{{ID: "4", Topic: "product.updated", URL: url}},
		Reenabled: []storeapi.Subscription{{ID: "5", Topic: "order.created", URL: url, Status: "active"}},
	}}
	deps := storeDeps{clients: clients, dispatcher: jobs.NewDispatcher(&countingEnqueuer{}, slog.New(slog.DiscardHandler)),
		publicURL: "https://backorderd.example/"}
	var out bytes.Buffer
	if err := shopConnect(ctx, st, deps, []string{"https://larch.example"}, &out); err != nil {
		t.Fatal(err)
	}
	saved, err := st.Shop(ctx, shop.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(saved.WebhookSecret) != 43 || clients.secret != saved.WebhookSecret {
		t.Errorf("secret saved %q, given to the store %q; want one 32-byte base64url secret, the same", saved.WebhookSecret, clients.secret)
	}
	if clients.callback != "https://backorderd.example/webhooks/woocommerce" {
		t.Errorf("callback = %q, want PUBLIC_URL's /webhooks/woocommerce", clients.callback)
	}
	for _, want := range []string{"found       order.updated", "created     product.updated", "re-enabled  order.created", "webhooks connected"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output %q lacks %q", out.String(), want)
		}
	}
	// Again: the secret is kept.
	if err := shopConnect(ctx, st, deps, []string{"1"}, &out); err != nil || clients.secret != saved.WebhookSecret {
		t.Errorf("second connect: %v, secret %q; want the saved one %q", err, clients.secret, saved.WebhookSecret)
	}
	clients.without = true
	if err := shopConnect(ctx, st, deps, []string{"1"}, &out); err == nil || !strings.Contains(err.Error(), "no store credentials") {
		t.Errorf("connect without credentials = %v, want it said", err)
	}
}

func TestReconcileReadsSinceWhatItIsToldAndPrintsWhatItRecorded(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t, store.SQLite)
	if _, err := st.AddShop(ctx, store.NewShop(store.Shopify, "rec.myshopify.com", "s")); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	clients := &cliStores{changes: []storeapi.Change{{Topic: "orders/updated", Body: []byte(`{"id":1}`),
		DedupeKey: "orders/updated|poll:1", UpdatedAt: now.Add(-time.Hour)}}}
	enq := &countingEnqueuer{}
	deps := storeDeps{clients: clients, dispatcher: jobs.NewDispatcher(enq, slog.New(slog.DiscardHandler)), lookback: 24 * time.Hour}
	tests := []struct {
		name      string
		args      []string
		wantSince time.Time
		wantOut   string
	}{
		{"a duration", []string{"rec.myshopify.com", "--since", "48h"}, now.Add(-48*time.Hour - time.Minute), "1 fetched, 1 recorded"},
		{"a time, again", []string{"1", "--since", "2026-11-30T00:00:00Z"}, time.Date(2026, 11, 29, 23, 59, 0, 0, time.UTC),
			"1 fetched, 0 recorded (1 already in the inbox)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := reconcileCommand(ctx, st, deps, tt.args, &out, now); err != nil {
				t.Fatal(err)
			}
			if !clients.since.Equal(tt.wantSince) {
				t.Errorf("read since %v, want %v", clients.since, tt.wantSince)
			}
			if !strings.Contains(out.String(), tt.wantOut) {
				t.Errorf("output %q, want %q", out.String(), tt.wantOut)
			}
		})
	}
	if enq.n != 1 {
		t.Errorf("deliveries enqueued = %d, want 1", enq.n)
	}
	for _, bad := range [][]string{{}, {"1", "--since", "yesterday"}, {"1", "extra"}} {
		if err := reconcileCommand(ctx, st, deps, bad, &bytes.Buffer{}, now); err == nil {
			t.Errorf("reconcile %q: no error, want one", bad)
		}
	}
}
