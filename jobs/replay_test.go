package jobs

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

const fixtureOrderID = "6120458839152" // testdata/shopify/orders-create.json

// inboxStatus reads a delivery's status and reason.
func inboxStatus(t *testing.T, s *store.Store, id int64) (string, string) {
	t.Helper()
	row, err := s.Inbox(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return row.Status, row.Reason
}

// deadLetter records an order delivery whose task asynq archived and
// which the relay marked failed: what an operator finds after a long
// database outage.
func deadLetter(t *testing.T, h *Harness, shopID int64, key string) int64 {
	t.Helper()
	ctx := context.Background()
	id, _, err := h.Store.RecordDelivery(ctx, store.Delivery{ShopID: shopID, Topic: "orders/create", DedupeKey: key,
		Body: Fixture(t, "shopify/orders-create"), ReceivedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Dispatcher.EnqueueDelivery(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := h.Inspector.ArchiveTask(QueueIntake, TaskID(TableInbox, id)); err != nil {
		t.Fatal(err)
	}
	if st, err := h.Relay.RunOnce(ctx); err != nil || st.Failed != 1 {
		// The relay only looks at rows older than its age; the harness's
		// relay looks at every row.
		t.Fatalf("relay = %+v, %v; want the archived delivery marked failed", st, err)
	}
	if status, _ := inboxStatus(t, h.Store, id); status != store.InboxFailed {
		t.Fatalf("status after the relay = %s, want failed", status)
	}
	return id
}

func TestReplayedDeadLetterIsAppliedOnceAndASecondReplayQueuesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		h := NewHarness(t, s)
		shop, err := s.AddShop(ctx, store.NewShop(store.Shopify, "harbor-kiln-supply.myshopify.com", "s"))
		if err != nil {
			t.Fatal(err)
		}
		id := deadLetter(t, h, shop.ID, "order-1")
		ops := NewOperations(s, h.Dispatcher, h.Inspector)

		r, err := ops.ReplayDelivery(ctx, id)
		if err != nil || r.Result != ReplayQueued {
			t.Fatalf("replay = %+v, %v; want queued", r, err)
		}
		// The archived task itself runs again: no second task beside it.
		info, err := h.Inspector.GetTaskInfo(QueueIntake, TaskID(TableInbox, id))
		if err != nil || info.State != asynq.TaskStatePending {
			t.Fatalf("task after replay = %v, %v; want pending", info, err)
		}
		if status, reason := inboxStatus(t, s, id); status != store.InboxAccepted {
			t.Fatalf("status after replay = %s (%s), want accepted", status, reason)
		}
		// A second click before the worker ran finds the task waiting.
		if r, err := ops.ReplayDelivery(ctx, id); err != nil || r.Result != ReplayAlreadyQueued {
			t.Fatalf("second replay = %+v, %v; want already_queued", r, err)
		}

		h.StartWorker()
		h.WaitFor("delivery processed", func() bool { status, _ := inboxStatus(t, s, id); return status == store.InboxProcessed })
		order, err := s.Order(ctx, shop.ID, fixtureOrderID)
		if err != nil || len(order.Lines) == 0 {
			t.Fatalf("order after replay = %+v, %v; want it applied with its lines", order, err)
		}

		r, err = ops.ReplayDelivery(ctx, id)
		if err != nil || r.Result != ReplayApplied {
			t.Fatalf("replay of the processed delivery = %+v, %v; want applied (nothing queued)", r, err)
		}
		if info, err := h.Inspector.GetTaskInfo(QueueIntake, TaskID(TableInbox, id)); !errors.Is(err, asynq.ErrTaskNotFound) {
			t.Fatalf("task after replaying a processed delivery = %+v, %v; want none", info, err)
		}
		if again, err := s.Order(ctx, shop.ID, fixtureOrderID); err != nil || len(again.Lines) != len(order.Lines) {
			t.Fatalf("order lines after the second replay = %d, %v; want %d", len(again.Lines), err, len(order.Lines))
		}
	})
}

func TestReplayOfARejectedDeliveryThatStillCannotDecodeLeavesItRejectedWithTheReason(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		h := NewHarness(t, s)
		shop, err := s.AddShop(ctx, store.NewShop(store.Shopify, "a.myshopify.com", "s"))
		if err != nil {
			t.Fatal(err)
		}
		h.StartWorker()
		h.Record(shop.ID, "orders/create", "broken", []byte(`{"id": "not a number", "line_items": 7`))
		const id = 1
		h.WaitFor("delivery rejected", func() bool { status, _ := inboxStatus(t, s, id); return status == store.InboxRejected })
		_, reason := inboxStatus(t, s, id)

		ops := NewOperations(s, h.Dispatcher, h.Inspector)
		r, err := ops.ReplayDelivery(ctx, id)
		if err != nil || r.Result != ReplayStillRejected || r.Reason != reason || reason == "" {
			t.Fatalf("replay = %+v, %v; want still_rejected with the reason %q", r, err, reason)
		}
		if status, got := inboxStatus(t, s, id); status != store.InboxRejected || got != reason {
			t.Fatalf("row after replay = %s (%s), want rejected (%s)", status, got, reason)
		}
		if _, err := h.Inspector.GetTaskInfo(QueueIntake, TaskID(TableInbox, id)); !errors.Is(err, asynq.ErrTaskNotFound) {
			t.Fatalf("task after the refused replay: %v, want none queued", err)
		}
	})
}

func TestRangeReplayRunsTheFailedAndRejectedDeliveriesOfTheRangeAndSaysWhereItStopped(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		h := NewHarness(t, s)
		shop, err := s.AddShop(ctx, store.NewShop(store.Shopify, "harbor-kiln-supply.myshopify.com", "s"))
		if err != nil {
			t.Fatal(err)
		}
		other, err := s.AddShop(ctx, store.NewShop(store.Shopify, "other.myshopify.com", "s"))
		if err != nil {
			t.Fatal(err)
		}
		record := func(shopID int64, key, status string) int64 {
			id, _, err := s.RecordDelivery(ctx, store.Delivery{ShopID: shopID, Topic: "orders/create", DedupeKey: key,
				Body: Fixture(t, "shopify/orders-create"), ReceivedAt: time.Now()})
			if err == nil && status == store.InboxFailed {
				err = s.FailInbox(ctx, id, "archived by asynq after 20 retries: database down")
			}
			if err == nil && status != store.InboxFailed && status != store.InboxAccepted {
				// Rejected by an older decoder, or processed.
				err = s.InTx(ctx, func(tx *store.Tx) error { return tx.FinishInbox(ctx, id, status, "older decoder") })
			}
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		var mine []int64
		for i := range 4 {
			status := store.InboxFailed
			if i == 2 {
				status = store.InboxRejected
			}
			mine = append(mine, record(shop.ID, fmt.Sprint("d", i), status))
		}
		processed := record(shop.ID, "done", store.InboxProcessed)
		elsewhere := record(other.ID, "other", store.InboxFailed)

		ops := NewOperations(s, h.Dispatcher, h.Inspector)
		f := store.ReplayFilter{ShopID: shop.ID, Statuses: []string{store.InboxFailed, store.InboxRejected},
			FromID: 1, ToID: elsewhere, Limit: 3}
		sum, err := ops.ReplayDeliveries(ctx, f)
		if err != nil || sum.Matched != 3 || sum.Queued != 3 || sum.NextFromID != mine[3] {
			t.Fatalf("first page = %+v, %v; want 3 matched and queued, next from %d", sum, err, mine[3])
		}
		f.FromID = sum.NextFromID
		sum, err = ops.ReplayDeliveries(ctx, f)
		if err != nil || sum.Matched != 1 || sum.Queued != 1 || sum.NextFromID != 0 {
			t.Fatalf("second page = %+v, %v; want the last one queued and nothing left", sum, err)
		}
		// A replayed row is accepted: the same request finds nothing more.
		if sum, err := ops.ReplayDeliveries(ctx, f); err != nil || sum.Matched != 0 {
			t.Fatalf("third call = %+v, %v; want nothing matched", sum, err)
		}

		h.StartWorker()
		for _, id := range mine {
			h.WaitFor(fmt.Sprint("delivery ", id, " processed"), func() bool {
				status, _ := inboxStatus(t, s, id)
				return status == store.InboxProcessed
			})
		}
		if status, _ := inboxStatus(t, s, elsewhere); status != store.InboxFailed {
			t.Errorf("the other shop's delivery is %s, want failed still: it is out of the filter", status)
		}
		if status, reason := inboxStatus(t, s, processed); status != store.InboxProcessed || reason != "older decoder" {
			t.Errorf("the processed delivery is %s (%s), want untouched", status, reason)
		}
	})
}
