package jobs

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/backorderd/backorderd/backorder"
	"github.com/backorderd/backorderd/email"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

// TestItemsWithoutASKUEachGetTheirCapAlert: two items with no SKU reach
// their cap on one day; the merchant hears of each.
func TestItemsWithoutASKUEachGetTheirCapAlert(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		shop, err := st.AddShop(ctx, store.NewShop(store.Shopify, "a.myshopify.com", "s"))
		if err != nil {
			t.Fatal(err)
		}
		limit := 1
		shop.MerchantEmail, shop.WaitingCap = "owner@a.example", &limit
		if _, err := st.UpdateShop(ctx, shop); err != nil {
			t.Fatal(err)
		}
		t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
		zero := 0
		err = st.InTx(ctx, func(tx *store.Tx) error {
			v := backorder.Version{At: t0}
			for _, id := range []string{"1", "2"} {
				if _, err := tx.ApplyItem(ctx, shop.ID, backorder.Item{ItemID: id, StockKey: "k" + id, Quantity: &zero, Version: v}); err != nil {
					return err
				}
			}
			o := backorder.Order{OrderID: "1", Status: backorder.OrderOpen, PlacedAt: t0.Add(time.Minute),
				Lines: []backorder.Line{{LineID: "11", ItemID: "1", Quantity: 1, OpenUnits: 1},
					{LineID: "12", ItemID: "2", Quantity: 1, OpenUnits: 1}},
				Version: backorder.Version{At: t0.Add(time.Minute)}}
			if _, err := tx.ApplyOrder(ctx, shop.ID, o); err != nil {
				return err
			}
			_, err := tx.MarkItems(ctx, shop.ID, []string{"1", "2"}, t0, time.Time{}, "inbox:1")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		h := NewHarness(t, st, Offline(), WithClock(func() time.Time { return t0.Add(time.Hour) }))
		d, r := h.Dispatcher, h.Reconciler
		for _, item := range []string{"1", "2"} {
			payload, _ := json.Marshal(ReconcileArgs{ShopID: shop.ID, ItemID: item})
			if err := d.InTx(ctx, st, func(tx *store.Tx, out *Outbox) error {
				return r.run(ctx, tx, out, store.OutboxTask{Payload: payload})
			}); err != nil {
				t.Fatal(err)
			}
		}
		alerts, err := st.ListEmails(ctx, store.EmailFilter{Kind: string(email.CapReached), Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(alerts) != 2 {
			t.Fatalf("cap alerts = %d, want one for each item", len(alerts))
		}
	})
}
