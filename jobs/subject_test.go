package jobs

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/backorderd/backorderd/backorder"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

// TestTasksNameWhatTheyAreAboutOnTheMonitorAndNoCustomer: an email's send
// task and an item's reconcile carry, beside their row id, the shop's
// domain, the email's kind and order, the item and its SKU — what an
// operator reads on the monitor — and nothing of the customer; the relay's
// copy of a lost task says the same, and so does a delivery it enqueues.
func TestTasksNameWhatTheyAreAboutOnTheMonitorAndNoCustomer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		h := NewHarness(t, s)
		ctx := context.Background()
		shop := h.MailShop()
		err := s.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.ApplyItem(ctx, shop.ID, backorder.Item{ItemID: "4410", SKU: "KETTLE-CU-1L", Title: "Copper kettle"})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		emailID, sendID := h.QueueEmail(shop.ID, "confirm-1")
		var reconcileID int64
		err = h.Dispatcher.InTx(ctx, s, func(_ *store.Tx, out *Outbox) error {
			if err := scheduleReconcile(ctx, out, ReconcileArgs{ShopID: shop.ID, ItemID: "4410"}, time.Time{}); err != nil {
				return err
			}
			reconcileID = out.added[0].ID
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}

		want := map[string]RowPayload{
			TaskID(TableOutbox, sendID):      {ID: sendID, Subject: &Subject{Shop: "m.myshopify.com", Email: "backordered", Orders: []string{"1"}}},
			TaskID(TableOutbox, reconcileID): {ID: reconcileID, Subject: &Subject{Shop: "m.myshopify.com", Item: "4410", SKU: "KETTLE-CU-1L"}},
		}
		check := func(when string) {
			t.Helper()
			tasks, err := h.Inspector.ListPendingTasks(QueueDefault)
			if err != nil {
				t.Fatal(err)
			}
			if len(tasks) != len(want) {
				t.Fatalf("%s: %d pending tasks, want %d", when, len(tasks), len(want))
			}
			for _, task := range tasks {
				w, ok := want[task.ID]
				wantJSON, _ := json.Marshal(w)
				if !ok || string(task.Payload) != string(wantJSON) {
					t.Errorf("%s: task %s payload %s, want %s", when, task.ID, task.Payload, wantJSON)
				}
				if strings.Contains(string(task.Payload), "wren") || strings.Contains(string(task.Payload), "@") {
					t.Errorf("%s: task %s payload %s names the customer", when, task.ID, task.Payload)
				}
			}
		}
		check("enqueued after commit")

		// Redis lost them, and a delivery's task never got there: the
		// relay enqueues them from their rows, saying the same.
		if _, err := h.Inspector.DeleteAllPendingTasks(QueueDefault); err != nil {
			t.Fatal(err)
		}
		inboxID, _, err := s.RecordDelivery(ctx, store.Delivery{ShopID: shop.ID, Topic: "orders/create", DedupeKey: "d-1",
			Headers: map[string]string{}, Body: []byte(`{"id":1}`), ReceivedAt: time.Now().Add(-time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		h.Relay.after = 0
		if _, err := h.Relay.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		check("enqueued again by the relay")
		intake, err := h.Inspector.ListPendingTasks(QueueIntake)
		wantDelivery, _ := json.Marshal(RowPayload{ID: inboxID, Subject: &Subject{Shop: "m.myshopify.com", Topic: "orders/create"}})
		if err != nil || len(intake) != 1 || string(intake[0].Payload) != string(wantDelivery) {
			t.Fatalf("relayed delivery tasks %v, %v; want one with payload %s", intake, err, wantDelivery)
		}
		if got := h.Email(emailID); got.Status != store.EmailPending {
			t.Errorf("email status %s, want pending", got.Status)
		}
	})
}
