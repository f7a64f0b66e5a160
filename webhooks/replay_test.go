package webhooks_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

// The HMAC covers the body only: the topic, shop domain and event id
// headers are not signed, so a captured body can be resent under any
// topic. Each topic's decoder must refuse a body of another shape.
func TestSignedBodyReplayedUnderAnotherTopicIsRejectedAndChangesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		h := newHarness(t, s)
		ctx := context.Background()
		oh, ob := fixture(t, "shopify/orders-create")
		wh, wb := fixture(t, "woocommerce/order-created")
		if rec := h.post(oh, ob); rec.Code != http.StatusOK {
			t.Fatal(rec.Code)
		}
		if rec := h.postTo("/webhooks/woocommerce", wh, wb); rec.Code != http.StatusOK {
			t.Fatal(rec.Code)
		}
		h.process(t)

		replays := 0
		for _, topic := range []string{"shop/redact", "app/uninstalled", "customers/redact", "customers/data_request",
			"products/update", "inventory_levels/update", "refunds/create", "orders/edited"} {
			hd := oh.Clone()
			hd.Set("X-Shopify-Topic", topic)
			hd.Set("X-Shopify-Event-Id", "replay-"+topic)
			if rec := h.post(hd, ob); rec.Code != http.StatusOK {
				t.Fatalf("replay as %s: answer %d, want 200 (recorded, then rejected)", topic, rec.Code)
			}
			replays++
		}
		for _, topic := range []string{"order.deleted", "product.updated", "product.deleted"} {
			hd := wh.Clone()
			hd.Set("X-WC-Webhook-Topic", topic)
			if rec := h.postTo("/webhooks/woocommerce", hd, wb); rec.Code != http.StatusOK {
				t.Fatalf("replay as %s: answer %d, want 200 (recorded, then rejected)", topic, rec.Code)
			}
			replays++
		}
		h.process(t)

		rejected, err := s.ListInbox(ctx, store.InboxFilter{Status: store.InboxRejected, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if len(rejected) != replays {
			all, _ := s.ListInbox(ctx, store.InboxFilter{Limit: 100})
			for _, e := range all {
				t.Logf("%s: %s %s", e.Topic, e.Status, e.Reason)
			}
			t.Fatalf("rejected: got %d deliveries, want all %d replays", len(rejected), replays)
		}
		for _, e := range rejected {
			if !strings.HasPrefix(e.Reason, e.Topic+": ") {
				t.Errorf("replay as %s: reason %q, want one naming the topic and what is wrong", e.Topic, e.Reason)
			}
		}
		o, err := s.Order(ctx, h.shop.ID, "6120458839152")
		if err != nil || o.Email != "wren.okafor@example.net" || o.LastName != "Okafor" || o.RedactedAt != nil {
			t.Errorf("shopify order = %+v, %v; want the customer's data intact", o, err)
		}
		if rs, _ := s.PrivacyRecords(ctx, h.shop.ID, 0, 10); len(rs) != 0 {
			t.Errorf("privacy records = %+v, want none", rs)
		}
		if shop, _ := s.Shop(ctx, h.shop.ID); shop.Status != "active" {
			t.Errorf("shop status = %q, want active", shop.Status)
		}
		if wo, err := s.Order(ctx, h.woo.ID, "48213"); err != nil || len(wo.Lines) != 3 {
			t.Errorf("woocommerce order = %+v, %v; want it still there with its lines", wo, err)
		}
		if _, err := s.Item(ctx, h.woo.ID, "48213"); err == nil {
			t.Error("the order's id became an item")
		}
	})
}

// A privacy request names its shop; one naming another shop is not this
// shop's to carry out, whoever signed it.
func TestPrivacyRequestNamingAnotherShopIsRejected(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		h := newHarness(t, s)
		ctx := context.Background()
		oh, ob := fixture(t, "shopify/orders-create")
		if rec := h.post(oh, ob); rec.Code != http.StatusOK {
			t.Fatal(rec.Code)
		}
		for _, name := range []string{"shopify/shop-redact", "shopify/customers-redact", "shopify/customers-data_request"} {
			hd, body := reSigned(t, name, shopifySecret, "X-Shopify-Hmac-Sha256", shopDomain, "other-shop.myshopify.com")
			if rec := h.post(hd, body); rec.Code != http.StatusOK {
				t.Fatal(rec.Code)
			}
		}
		h.process(t)
		rejected, _ := s.ListInbox(ctx, store.InboxFilter{Status: store.InboxRejected, Limit: 10})
		if len(rejected) != 3 {
			t.Fatalf("rejected = %+v, want the three requests for another shop", rejected)
		}
		for _, e := range rejected {
			if !strings.Contains(e.Reason, "other-shop.myshopify.com") {
				t.Errorf("%s: reason %q, want it to name the other shop", e.Topic, e.Reason)
			}
		}
		if o, _ := s.Order(ctx, h.shop.ID, "6120458839152"); o.Email != "wren.okafor@example.net" {
			t.Errorf("order email = %q, want it intact", o.Email)
		}
	})
}
