package jobs_test

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/backorderd/backorderd/jobs"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

func TestTheSupplyRunOrdersEachShortfallOnceFromTheSupplierItMayUse(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		h := jobs.NewHarness(t, s, jobs.Offline())
		ctx := context.Background()
		shop := store.NewShop(store.Shopify, "reorder.myshopify.com", "secret")
		shop.MerchantEmail = "owner@example.com"
		shop, err := s.AddShop(ctx, shop)
		if err != nil {
			t.Fatal(err)
		}
		a, b, c := h.Supplier("alder", 10), h.Supplier("birch", 5), h.Supplier("cedar", 20)
		tests := []struct {
			item          string
			waiting       int
			terms         store.ItemSupplier
			alternate     int64 // an alternate supplier, if any
			onOrder       int   // units on a sent order to cedar
			cancelledFrom int64 // the supplier whose last order of the item was cancelled
			want          map[int64]int
		}{
			{item: "plain", waiting: 3, terms: store.ItemSupplier{SupplierID: a.ID, SupplierSKU: "A-1", UnitCost: "12.50"}, want: map[int64]int{a.ID: 3}},
			{item: "moq", waiting: 3, terms: store.ItemSupplier{SupplierID: a.ID, MOQ: 10}, want: map[int64]int{a.ID: 10}},
			{item: "pack", waiting: 7, terms: store.ItemSupplier{SupplierID: a.ID, PackSize: 6}, want: map[int64]int{a.ID: 12}},
			{item: "safety", waiting: 2, terms: store.ItemSupplier{SupplierID: a.ID, SafetyStock: 3}, want: map[int64]int{a.ID: 5}},
			{item: "safety-only", waiting: 0, terms: store.ItemSupplier{SupplierID: a.ID, SafetyStock: 2}, want: map[int64]int{a.ID: 2}},
			{item: "nothing", waiting: 0, terms: store.ItemSupplier{SupplierID: a.ID}},
			{item: "part-coming", waiting: 5, onOrder: 3, terms: store.ItemSupplier{SupplierID: a.ID}, want: map[int64]int{a.ID: 2}},
			{item: "all-coming", waiting: 2, onOrder: 5, terms: store.ItemSupplier{SupplierID: a.ID}},
			{item: "birch", waiting: 4, terms: store.ItemSupplier{SupplierID: b.ID}, want: map[int64]int{b.ID: 4}},
			{item: "alternate", waiting: 4, terms: store.ItemSupplier{SupplierID: a.ID}, alternate: b.ID, cancelledFrom: a.ID, want: map[int64]int{b.ID: 4}},
			{item: "stranded", waiting: 4, terms: store.ItemSupplier{SupplierID: a.ID}, cancelledFrom: a.ID},
		}
		for _, tt := range tests {
			terms := tt.terms
			terms.ShopID, terms.ItemID, terms.Preferred = shop.ID, tt.item, true
			h.Terms(terms)
			if tt.alternate != 0 {
				h.Terms(store.ItemSupplier{ShopID: shop.ID, ItemID: tt.item, SupplierID: tt.alternate})
			}
			if tt.onOrder > 0 {
				h.SentPO(shop.ID, c.ID, tt.item, tt.onOrder, time.Now())
			}
			if tt.cancelledFrom != 0 {
				po := h.DraftPO(shop.ID, tt.cancelledFrom, store.POLine{ItemID: tt.item, Quantity: 9})
				h.SetPO(po.ID, func(p *store.PurchaseOrder) { p.Status = store.POCancelled })
			}
			h.Waiting(shop.ID, tt.item, tt.waiting)
		}

		for run := 1; run <= 2; run++ {
			if run == 1 {
				if err := h.Purchasing.RunSupply(ctx, time.Now()); err != nil {
					t.Fatal(err)
				}
			} else {
				h.RunPeriodic(jobs.TypeSupply, time.Now()) // as the scheduler runs it
			}
			drafts := h.POs(shop.ID, store.PODraft)
			if len(drafts) != 2 {
				t.Fatalf("run %d: drafts to %d suppliers, want one to alder and one to birch", run, len(drafts))
			}
			for _, tt := range tests {
				got := map[int64]int{}
				for supplierID, lines := range drafts {
					for _, l := range lines {
						if l.ItemID == tt.item {
							got[supplierID] += l.Quantity
						}
					}
				}
				if len(got) != len(tt.want) || got[a.ID] != tt.want[a.ID] || got[b.ID] != tt.want[b.ID] {
					t.Errorf("run %d: %s ordered %v (supplier: units), want %v", run, tt.item, got, tt.want)
				}
			}
			for _, l := range drafts[a.ID] {
				if l.ItemID == "plain" && (l.SupplierSKU != "A-1" || l.UnitCost != "12.50") {
					t.Errorf("plain's line = %+v, want the terms' supplier SKU and unit cost", l)
				}
			}
			told := h.Emails(shop.ID, "merchant_supply_needed", "")
			if len(told) != 1 || told[0].ToEmail != "owner@example.com" {
				t.Fatalf("run %d: merchant told %d times, want once of the stranded item", run, len(told))
			}
		}
	})
}

func TestAShopThatReordersAtOnceSendsItsSupplierThePurchaseOrderWithItsCSV(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		fake := &jobs.FakeSendGrid{Replies: []int{202}}
		h := jobs.NewHarness(t, s, jobs.WithSender(fake.Start(t)))
		ctx := context.Background()
		shop := store.NewShop(store.Shopify, "auto.myshopify.com", "secret")
		shop.Name, shop.FromEmail = "Harbor & Kiln", "shop@example.com"
		shop.Reorder, shop.POApproval = store.ReorderImmediate, store.POApprovalAuto
		shop, err := s.AddShop(ctx, shop)
		if err != nil {
			t.Fatal(err)
		}
		sp := h.Supplier("kiln", 10)
		h.Terms(store.ItemSupplier{ShopID: shop.ID, ItemID: "777", SupplierID: sp.ID, Preferred: true,
			SupplierSKU: "K-777", UnitCost: "12.50", PackSize: 4})
		h.StartWorker()
		t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		h.Record(shop.ID, "products/update", "product", []byte(jobs.TwoItems))
		h.Record(shop.ID, "inventory_levels/update", "kettle-0", jobs.LevelOf(7770, 0, t0))
		h.Record(shop.ID, "orders/create", "order", jobs.TwoLineOrder(601, "wren@example.net", t0.Add(time.Second)))

		// The kettle waits: it is ordered at once, in a pack of 4, and sent.
		h.WaitFor("the supplier's email sent", func() bool { return len(fake.Attachments()) == 1 })
		sent := h.POs(shop.ID, store.POSent)[sp.ID]
		if len(sent) != 1 || sent[0].Quantity != 4 || sent[0].SKU != "KETTLE" {
			t.Fatalf("sent lines = %+v, want 4 kettles", sent)
		}
		es := h.Emails(shop.ID, "supplier_purchase_order", "")
		if len(es) != 1 || es[0].ToEmail != "orders@kiln.example" {
			t.Fatalf("supplier emails = %+v, want one to the supplier", es)
		}
		f := fake.Attachments()[0]
		csv, err := base64.StdEncoding.DecodeString(f.Content)
		if err != nil || f.Type != "text/csv" || !strings.HasSuffix(f.Filename, ".csv") ||
			!strings.Contains(string(csv), "KETTLE,K-777,Kiln set - Kettle,4,12.50,USD") {
			t.Fatalf("attachment %s (%s):\n%s\n%v; want the order's CSV", f.Filename, f.Type, csv, err)
		}
		// The customer's confirmation says the order is expected.
		h.WaitFor("the confirmation", func() bool { return len(h.Emails(shop.ID, "backordered", "601")) == 1 })
		if k := kettles(t, s, shop.ID)["601"]; k.ETAKind != "expected" {
			t.Errorf("the kettle's ETA = %s, want expected: an order was sent", k.ETAKind)
		}
	})
}
