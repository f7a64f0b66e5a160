package jobs

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/backorderd/backorderd/email"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

// TestAnOrdersConfirmationWaitsUntilAllItsItemsHaveSettled: an order of two
// short items, one reconciled while the other still has facts to take in:
// the order-messages task writes nothing and puts the order off; once the
// second item is reconciled, one confirmation lists both lines.
func TestAnOrdersConfirmationWaitsUntilAllItsItemsHaveSettled(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		h := NewHarness(t, s, Offline())
		ctx := context.Background()
		shop := h.MailShop()
		t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		for i, d := range []struct {
			topic string
			body  []byte
		}{
			{"products/update", []byte(TwoItems)},
			{"inventory_levels/update", LevelOf(7770, 0, t0)},
			{"inventory_levels/update", LevelOf(8880, 0, t0)},
			{"orders/create", TwoLineOrder(601, "wren@example.net", t0.Add(time.Second))},
		} {
			id, _, err := s.RecordDelivery(ctx, store.Delivery{ShopID: shop.ID, Topic: d.topic, DedupeKey: fmt.Sprint(i),
				Body: d.body, ReceivedAt: time.Now()})
			if err != nil {
				t.Fatal(err)
			}
			if err := h.Handlers.Delivery.ProcessTask(ctx, NewDeliveryTask(id, nil)); err != nil {
				t.Fatal(err)
			}
		}
		runMessages := func() {
			t.Helper()
			tasks, err := s.UnfinishedOutbox(ctx, time.Now().Add(time.Hour), 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			for _, task := range tasks {
				if task.TaskType != TypeOrderMessages {
					continue
				}
				err := h.Handlers.OrderMessages.ProcessTask(ctx, asynq.NewTask(TypeOrderMessages, []byte(fmt.Sprintf(`{"id":%d}`, task.ID))))
				if err != nil {
					t.Fatal(err)
				}
			}
		}
		h.Reconcile(shop.ID, "777")
		runMessages()
		if es := h.Emails(shop.ID, string(email.Backordered), "601"); len(es) != 0 {
			t.Fatalf("confirmations while the teapot has facts to take in: %+v, want none yet", es)
		}
		h.Reconcile(shop.ID, "888")
		runMessages()
		es := h.Emails(shop.ID, string(email.Backordered), "601")
		if len(es) != 1 || es[0].DedupeKey != "order:601:backordered:1+2" {
			t.Fatalf("confirmations = %+v, want one announcing lines 1 and 2", es)
		}
	})
}
