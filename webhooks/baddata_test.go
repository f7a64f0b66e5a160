package webhooks_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

// PostgreSQL refuses a NUL character in text; a delivery carrying one in an
// order's field was retried for days and died. It is cleaned when decoded:
// NULs are dropped and invalid UTF-8 becomes U+FFFD.
func TestNulAndInvalidUTF8InAnOrderAreCleanedNotRetried(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		h := newHarness(t, s)
		ctx := context.Background()
		sh, sb := reSigned(t, "shopify/orders-create", shopifySecret, "X-Shopify-Hmac-Sha256",
			`"first_name":"Wren"`, `"first_name":"Wr\u0000en"`,
			`"name":"Slate Stoneware Mug - 12 oz"`, "\"name\":\"Slate \\u0000Mug\xff\xfe - 12 oz\"")
		if rec := h.post(sh, sb); rec.Code != http.StatusOK {
			t.Fatalf("shopify: answer %d, want 200", rec.Code)
		}
		wh, wb := reSigned(t, "woocommerce/order-created", wooSecret, "X-WC-Webhook-Signature",
			`"name":"Walnut Serving Board"`, `"name":"Walnut\u0000 Serving Board\u0000"`)
		if rec := h.postTo("/webhooks/woocommerce", wh, wb); rec.Code != http.StatusOK {
			t.Fatalf("woocommerce: answer %d, want 200", rec.Code)
		}
		h.process(t) // fails the test if a delivery's job returns an error (a retry)
		es, err := s.ListInbox(ctx, store.InboxFilter{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			if e.Status != store.InboxProcessed {
				t.Errorf("%s: status %s (%s), want processed", e.Topic, e.Status, e.Reason)
			}
		}
		o, err := s.Order(ctx, h.shop.ID, "6120458839152")
		if err != nil {
			t.Fatal(err)
		}
		if o.FirstName != "Wren" {
			t.Errorf("first name = %q, want %q", o.FirstName, "Wren")
		}
		if title := o.Lines[0].Title; title != "Slate Mug\uFFFD\uFFFD - 12 oz" {
			t.Errorf("line title = %q, want the NUL dropped and the invalid bytes replaced", title)
		}
		wo, err := s.Order(ctx, h.woo.ID, "48213")
		if err != nil {
			t.Fatal(err)
		}
		if title := wo.Lines[0].Title; strings.ContainsRune(title, 0) || title != "Walnut Serving Board" {
			t.Errorf("woocommerce line title = %q, want %q", title, "Walnut Serving Board")
		}
	})
}
