package api_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/backorderd/backorderd/backorder"
	"github.com/backorderd/backorderd/store"
)

// seeded names what seedEverything recorded.
type seeded struct {
	woo, shopify                   int64 // shops
	processed, undecodable, failed int64 // deliveries
	backorder                      int64
	sent, unaddressed              int64 // emails
	suppressed                     string
}

// seedEverything records, in the store, something of everything the
// admin API shows: two shops sharing an item id, deliveries processed,
// rejected and failed, privacy requests with and without a document, a
// waiting backorder with an ETA, an item with levels and a ledger, emails
// sent, held and failed, an address that bounced, store writes failed and
// pending.
func seedEverything(t *testing.T, s *store.Store) seeded {
	t.Helper()
	ctx := context.Background()
	woo := shopWaitingForAprons(t, s) // https://b.example/, item 1517, order 48213
	shopify, err := s.AddShop(ctx, store.NewShop(store.Shopify, "a.myshopify.com", "s"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	eta := time.Date(2026, 12, 15, 0, 0, 0, 0, time.UTC)
	available := -2
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	processed, _, err := s.RecordDelivery(ctx, store.Delivery{ShopID: woo.ID, Topic: "order.created", DedupeKey: "1",
		Body: []byte(`{}`), ReceivedAt: now})
	must(err)
	rejected, _, err := s.RecordDelivery(ctx, store.Delivery{ShopID: shopify.ID, Topic: "customers/data_request",
		DedupeKey: "2", Body: []byte(`{}`), ReceivedAt: now})
	must(err)
	undecodable, _, err := s.RecordDelivery(ctx, store.Delivery{ShopID: woo.ID, Topic: "order.created",
		DedupeKey: "3", Body: []byte(`not json`), ReceivedAt: now})
	must(err)
	failed, _, err := s.RecordDelivery(ctx, store.Delivery{ShopID: woo.ID, Topic: "order.created",
		DedupeKey: "4", Body: []byte(`{}`), ReceivedAt: now})
	must(err)
	must(s.FailInbox(ctx, failed, "archived after 25 retries"))
	entries, err := s.ListBackorders(ctx, store.BackorderFilter{ShopID: woo.ID, Limit: 1})
	if err != nil || len(entries) != 1 {
		t.Fatalf("the seeded backorder: %v %v", entries, err)
	}
	must(s.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.FinishInbox(ctx, processed, store.InboxProcessed, ""); err != nil {
			return err
		}
		if err := tx.FinishInbox(ctx, rejected, store.InboxRejected, "customer: missing"); err != nil {
			return err
		}
		if err := tx.FinishInbox(ctx, undecodable, store.InboxRejected, "not JSON"); err != nil {
			return err
		}
		if err := tx.AddPrivacyRecord(ctx, store.PrivacyRecord{ShopID: shopify.ID, InboxID: rejected,
			Kind: "customer_data", CustomerID: "7", Document: `{"customer":{"id":"7"}}`, Orders: 1}); err != nil {
			return err
		}
		if err := tx.AddPrivacyRecord(ctx, store.PrivacyRecord{ShopID: shopify.ID, InboxID: processed,
			Kind: "customer_redact", CustomerID: "8"}); err != nil {
			return err
		}
		if err := tx.SetETAs(ctx, []store.ETAWrite{{BackorderID: entries[0].ID, ETA: &eta, Kind: "confirmed"}}); err != nil {
			return err
		}
		// Item 1517 described by both shops: its id alone names two.
		yes := true
		for _, shopID := range []int64{woo.ID, shopify.ID} {
			if _, err := tx.ApplyItem(ctx, shopID, backorder.Item{ItemID: "1517", ProductID: "1500", StockKey: "1517",
				SKU: "LW-APRON-CHR", Title: "Apron — Charcoal", ContinueSelling: &yes, Quantity: &available,
				Version: backorder.Version{At: now}}); err != nil {
				return err
			}
		}
		if _, err := tx.ApplyLevel(ctx, woo.ID, backorder.StockLevel{StockKey: "1517", Available: &available,
			Version: backorder.Version{At: now}}); err != nil {
			return err
		}
		if _, err := tx.MarkItems(ctx, woo.ID, []string{"1517"}, now, time.Time{}, "inbox:1"); err != nil {
			return err
		}
		return tx.SaveLedger(ctx, store.LedgerRow{ShopID: woo.ID, ItemID: "1517", Level: &available, LevelAt: &now,
			Projected: -2, Owed: 2, Waiting: 2, Shortfall: 2})
	}))
	var sent, unaddressed int64
	must(s.InTx(ctx, func(tx *store.Tx) (err error) {
		sent, _, err = tx.AddEmail(ctx, store.Email{ShopID: woo.ID, Kind: "backordered", DedupeKey: "order:48213:backordered:1",
			OrderID: "48213", ToEmail: "jordan@example.com", Subject: "Your order 48213", TextBody: "text", HTMLBody: "<p>html</p>",
			Data: "{}"})
		if err != nil {
			return err
		}
		if err := tx.SetEmailStatus(ctx, sent, store.EmailSent, "msg-1", ""); err != nil {
			return err
		}
		_, _, err = tx.AddEmail(ctx, store.Email{ShopID: woo.ID, Kind: "merchant_digest", DedupeKey: "digest:1",
			ToEmail: "owner@b.example", Subject: "Digest", Data: "{}", Status: store.EmailHeld, Reason: "no sender"})
		if err != nil {
			return err
		}
		// A message whose recipient a redaction erased.
		unaddressed, _, err = tx.AddEmail(ctx, store.Email{ShopID: woo.ID, Kind: "ready", DedupeKey: "order:1:ready",
			OrderID: "1", Subject: "Ready", Data: "{}", Status: store.EmailFailed, Reason: "400: bad address"})
		if err != nil {
			return err
		}
		// The sent message bounced: its address is suppressed.
		_, err = tx.ApplyEmailEvents(ctx, []store.EmailEvent{{SGMessageID: "msg-1.filter0", MessageID: "msg-1",
			EmailID: sent, Event: "bounce", Timestamp: now.Unix(), Reason: "550 no such user", Suppress: true}})
		return err
	}))
	var refused store.WriteBack
	must(s.InTx(ctx, func(tx *store.Tx) (err error) {
		if refused, _, err = tx.WantStoreWrite(ctx, woo.ID, store.StoreWriteOrder, "48213", `{}`, "h1"); err != nil {
			return err
		}
		_, _, err = tx.WantStoreWrite(ctx, woo.ID, store.StoreWriteSelling, "1517", `{}`, "h2")
		return err
	}))
	must(s.StoreWriteFailed(ctx, refused.ID, refused.WantedHash, "status 400: closed", true))
	return seeded{woo: woo.ID, shopify: shopify.ID, processed: processed, undecodable: undecodable, failed: failed,
		backorder: entries[0].ID, sent: sent, unaddressed: unaddressed, suppressed: "jordan@example.com"}
}

// draftPOFor drafts a purchase order of 10 of item 1517 for the shop at
// https://b.example/ from supplier, and returns its id.
func draftPOFor(t *testing.T, s *store.Store, supplier string) string {
	t.Helper()
	ctx := context.Background()
	shop, err := s.ShopByDomain(ctx, store.WooCommerce, "https://b.example/")
	if err != nil {
		t.Fatal(err)
	}
	supplierID, _ := strconv.ParseInt(supplier, 10, 64)
	var id int64
	err = s.InTx(ctx, func(tx *store.Tx) error {
		po, err := tx.DraftPO(ctx, shop.ID, supplierID, "USD")
		if err != nil {
			return err
		}
		id = po.ID
		return tx.AddToPOLine(ctx, po.ID, store.POLine{ItemID: "1517", SKU: "LW-APRON-CHR", Title: "Apron — Charcoal",
			SupplierSKU: "LC-APR-9", Quantity: 10, UnitCost: "12.50"})
	})
	if err != nil {
		t.Fatal(err)
	}
	return strconv.FormatInt(id, 10)
}
