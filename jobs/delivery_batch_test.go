package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

// TestOneTaskAppliesItsShopsWaitingDeliveriesAndTheirTasksThenDoNothing:
// the task of one delivery applies the shop's other waiting deliveries of
// orders, products and levels in its transaction, each with its own
// outcome and log line (an older state of an order or a level is stale); a delivery
// that does more than write facts (an uninstall), and another shop's, are
// left to their own tasks; a batched delivery's own task changes nothing.
func TestOneTaskAppliesItsShopsWaitingDeliveriesAndTheirTasksThenDoNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		h := NewHarness(t, s, Offline(), WithLogs(slog.LevelInfo))
		ctx := context.Background()
		shop, err := s.AddShop(ctx, store.NewShop(store.Shopify, "batch.myshopify.com", "secret"))
		if err != nil {
			t.Fatal(err)
		}
		other, err := s.AddShop(ctx, store.NewShop(store.Shopify, "other.myshopify.com", "secret"))
		if err != nil {
			t.Fatal(err)
		}
		t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		record := func(shopID int64, topic, key string, body []byte) int64 {
			id, _, err := s.RecordDelivery(ctx, store.Delivery{ShopID: shopID, Topic: topic, DedupeKey: key,
				Body: body, ReceivedAt: time.Now()})
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		created := record(shop.ID, "orders/create", "create", TwoLineOrder(601, "wren@example.net", t0.Add(2*time.Second)))
		older := record(shop.ID, "orders/updated", "older", TwoLineOrder(601, "wren@example.net", t0.Add(time.Second)))
		product := record(shop.ID, "products/update", "product", []byte(TwoItems))
		earlier := record(shop.ID, "inventory_levels/update", "earlier", LevelOf(7770, 3, t0.Add(-time.Second)))
		level := record(shop.ID, "inventory_levels/update", "level", LevelOf(7770, 0, t0))
		uninstall := record(shop.ID, "app/uninstalled", "bye", []byte(`{"id":1,"myshopify_domain":"batch.myshopify.com"}`))
		elsewhere := record(other.ID, "orders/create", "create", TwoLineOrder(602, "ash@example.net", t0))

		if err := h.Handlers.Delivery.ProcessTask(ctx, NewDeliveryTask(created, nil)); err != nil {
			t.Fatal(err)
		}
		want := map[int64]string{created: "processed", older: "processed", product: "processed", level: "processed", earlier: "processed",
			uninstall: "accepted", elsewhere: "accepted"}
		for id, status := range want {
			if row, err := s.Inbox(ctx, id); err != nil || row.Status != status {
				t.Errorf("delivery %d: %q, %v; want %s", id, row.Status, err, status)
			}
		}
		for _, id := range []int64{older, earlier} {
			if row, _ := s.Inbox(ctx, id); !strings.HasPrefix(row.Reason, "stale:") {
				t.Errorf("the older state %d's reason = %q, want stale", id, row.Reason)
			}
		}
		if row, _ := s.Inbox(ctx, level); row.Reason != "" {
			t.Errorf("the newest level's reason = %q, want none", row.Reason)
		}
		logs := h.Logs()
		for id, line := range map[int64]string{created: "delivery processed", older: "delivery stale", earlier: "delivery stale",
			product: "delivery processed", level: "delivery processed"} {
			if n := strings.Count(logs, fmt.Sprintf("inbox_id=%d ", id)); n != 1 || !strings.Contains(logs, "msg=\""+line+"\" inbox_id="+fmt.Sprint(id)+" ") {
				t.Errorf("delivery %d logged %d times, want once as %q:\n%s", id, n, line, logs)
			}
		}
		led, err := s.Ledger(ctx, shop.ID, "777")
		if err != nil || led.FirstFactAt == nil || led.LastCause != TaskID(TableInbox, level) {
			t.Errorf("ledger of 777 = %+v, %v; want marked, caused by the batch's newest delivery %d", led, err, level)
		}
		if newest, _ := s.Inbox(ctx, level); led.LastArrivedAt == nil || !led.LastArrivedAt.Equal(newest.ReceivedAt) {
			t.Errorf("ledger of 777 last arrived %v, want when the batch's newest delivery arrived, %v", led.LastArrivedAt, newest.ReceivedAt)
		}

		first, _ := s.Inbox(ctx, older)
		if err := h.Handlers.Delivery.ProcessTask(ctx, NewDeliveryTask(older, nil)); err != nil {
			t.Fatal(err)
		}
		if again, _ := s.Inbox(ctx, older); !again.ProcessedAt.Equal(*first.ProcessedAt) || again.Reason != first.Reason {
			t.Errorf("the batched delivery's own task changed it: %+v, was %+v", again, first)
		}
		// An uninstall is applied alone: a later order of the shop waits
		// for its own task.
		later := record(shop.ID, "orders/create", "later", TwoLineOrder(603, "wren@example.net", t0.Add(3*time.Second)))
		if err := h.Handlers.Delivery.ProcessTask(ctx, NewDeliveryTask(uninstall, nil)); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Shop(ctx, shop.ID); got.Status != store.ShopUninstalled {
			t.Errorf("shop status = %q after the uninstall's own task, want uninstalled", got.Status)
		}
		if row, _ := s.Inbox(ctx, later); row.Status != store.InboxAccepted {
			t.Errorf("a later order applied with the uninstall: %q, want accepted", row.Status)
		}
	})
}

// TestADeliveryAnotherBatchHoldsIsTriedAgainShortlyWithoutUsingARetry: a
// task whose delivery another transaction holds does not wait for it; it
// is retried after deliveryBusyDelay without counting as a failure, and
// then applies the delivery.
func TestADeliveryAnotherBatchHoldsIsTriedAgainShortlyWithoutUsingARetry(t *testing.T) {
	s := storetest.New(t, store.Postgres)
	h := NewHarness(t, s, Offline())
	ctx := context.Background()
	shop, err := s.AddShop(ctx, store.NewShop(store.Shopify, "held.myshopify.com", "secret"))
	if err != nil {
		t.Fatal(err)
	}
	id, _, err := s.RecordDelivery(ctx, store.Delivery{ShopID: shop.ID, Topic: "products/update", DedupeKey: "p",
		Body: []byte(TwoItems), ReceivedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	held, release, done := make(chan struct{}), make(chan struct{}), make(chan error)
	go func() {
		done <- s.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.ClaimInbox(ctx, id); err != nil {
				return err
			}
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	task := NewDeliveryTask(id, nil)
	err = h.Handlers.Delivery.ProcessTask(ctx, task)
	var busy *deliveryBusyError
	if !errors.As(err, &busy) || isFailure(err) || retryDelay(0, err, task) != deliveryBusyDelay {
		t.Errorf("held delivery: err = %v, failure %v, retried after %v; want busy, no failure, after %v",
			err, isFailure(err), retryDelay(0, err, task), deliveryBusyDelay)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := h.Handlers.Delivery.ProcessTask(ctx, task); err != nil {
		t.Fatal(err)
	}
	if row, _ := s.Inbox(ctx, id); row.Status != store.InboxProcessed {
		t.Errorf("delivery %q after its retry, want processed", row.Status)
	}
}
