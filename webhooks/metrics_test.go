package webhooks_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

// TestDeliveriesAreCountedByTopicOnceVerifiedAndTimedToTheir2xx: an
// accepted delivery is counted under its topic and timed; one with a bad
// signature is counted with no topic (its header is anyone's word, never
// a label) and, answered 401, not timed; signed ones of topics backorderd
// ignores are counted under "other" (the topic header is not signed).
func TestDeliveriesAreCountedByTopicOnceVerifiedAndTimedToTheir2xx(t *testing.T) {
	h := newHarness(t, storetest.New(t, store.SQLite))
	h.sendShopify(t, "orders/create", "e-1", `{"id":1,"line_items":[]}`)
	forged := http.Header{}
	forged.Set("X-Shopify-Shop-Domain", shopDomain)
	forged.Set("X-Shopify-Topic", "made-up/topic-of-the-day")
	forged.Set("X-Shopify-Hmac-Sha256", "d3Jvbmc=")
	if rec := h.post(forged, []byte(`{}`)); rec.Code != http.StatusUnauthorized {
		t.Fatalf("forged delivery answered %d, want 401", rec.Code)
	}
	for _, tt := range []struct {
		labels []string
		want   float64
	}{
		{[]string{"platform", "shopify", "topic", "orders/create", "outcome", "accepted"}, 1},
		{[]string{"platform", "shopify", "topic", "", "outcome", "unauthorized"}, 1},
		{[]string{"topic", "made-up/topic-of-the-day"}, 0},
	} {
		if got := h.metric(t, "backorderd_webhook_deliveries_total", tt.labels...); got != tt.want {
			t.Errorf("deliveries %v = %v, want %v", tt.labels, got, tt.want)
		}
	}
	if got := h.metric(t, "backorderd_webhook_time_to_2xx_seconds", "platform", "shopify"); got != 1 {
		t.Errorf("shopify answers timed = %v, want 1 (the 2xx only)", got)
	}

	// A signed body resent under invented topics (the topic header is not
	// signed): ignored, and counted under one label value, not one each.
	for i, topic := range []string{"made-up/topic-1", "made-up/topic-2", "made-up/topic-3"} {
		h.sendShopify(t, topic, fmt.Sprint("e-x", i), `{"id":1,"line_items":[]}`)
	}
	if got := h.metric(t, "backorderd_webhook_deliveries_total", "platform", "shopify", "topic", "other", "outcome", "ignored_topic"); got != 3 {
		t.Errorf("ignored deliveries under the topic other = %v, want 3", got)
	}
	for _, topic := range []string{"made-up/topic-1", "made-up/topic-2", "made-up/topic-3"} {
		if got := h.metric(t, "backorderd_webhook_deliveries_total", "topic", topic); got != 0 {
			t.Errorf("deliveries under the unsigned topic %s = %v, want none: a label per invented topic", topic, got)
		}
	}
}
