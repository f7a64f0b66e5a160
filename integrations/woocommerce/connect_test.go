package woocommerce_test

import (
	"context"
	"slices"
	"strconv"
	"testing"

	"github.com/backorderd/backorderd/integrations/storeapi"
	"github.com/backorderd/backorderd/integrations/woocommerce"
	"github.com/backorderd/backorderd/integrations/woocommerce/woocommercetest"
)

const (
	deliveryURL   = "https://backorderd.example/webhooks/woocommerce?shop=larchwood"
	webhookSecret = "whsec-larchwood-1"
)

// writesOf are the writes the store took, as "METHOD path".
func writesOf(s *woocommercetest.Server) []string {
	var ws []string
	for _, c := range s.Writes() {
		ws = append(ws, c.Method+" "+c.Path)
	}
	return ws
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func topicsOf(subs []storeapi.Subscription) []string {
	var ts []string
	for _, s := range subs {
		ts = append(ts, s.Topic)
	}
	slices.Sort(ts)
	return ts
}

// ourWebhooks are the store's webhooks pointing at deliveryURL, by topic;
// the test fails unless each is active with webhookSecret.
func ourWebhooks(t *testing.T, s *woocommercetest.Server) map[string]woocommercetest.Webhook {
	t.Helper()
	got := map[string]woocommercetest.Webhook{}
	for _, wh := range s.Webhooks() {
		if wh.DeliveryURL != deliveryURL {
			continue
		}
		if _, dup := got[wh.Topic]; dup {
			t.Errorf("webhooks: two for %s", wh.Topic)
		}
		if wh.Status != "active" || wh.Secret != webhookSecret {
			t.Errorf("webhook %d (%s): got status %q secret %q, want active %q", wh.ID, wh.Topic, wh.Status, wh.Secret, webhookSecret)
		}
		got[wh.Topic] = wh
	}
	for _, topic := range woocommerce.WebhookTopics {
		if _, ok := got[topic]; !ok {
			t.Errorf("webhooks: none for %s", topic)
		}
	}
	return got
}

func TestWebhookTopicsAreEveryHandledTopic(t *testing.T) {
	want := []string{"order.created", "order.deleted", "order.restored", "order.updated",
		"product.created", "product.deleted", "product.restored", "product.updated"}
	if !slices.Equal(woocommerce.WebhookTopics, want) {
		t.Errorf("WebhookTopics: got %v, want %v", woocommerce.WebhookTopics, want)
	}
	for _, topic := range woocommerce.WebhookTopics {
		if !woocommerce.Handled(topic) {
			t.Errorf("%s is subscribed but not handled", topic)
		}
	}
}

func TestConnectOnAnEmptyStoreCreatesEveryTopicAndASecondRunChangesNothing(t *testing.T) {
	s, c := newStore(t)
	c.PerPage = 3 // the second run reads three pages
	foreign := s.AddWebhook(woocommercetest.Webhook{Name: "ERP", Topic: "order.created", DeliveryURL: "https://erp.example/hook", Secret: "erp"})

	report, err := c.Connect(context.Background(), deliveryURL, webhookSecret)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	if got := topicsOf(report.Created); !slices.Equal(got, woocommerce.WebhookTopics) {
		t.Errorf("Created: got %v, want %v", got, woocommerce.WebhookTopics)
	}
	if len(report.Found)+len(report.Replaced)+len(report.Reenabled)+len(report.Removed) != 0 {
		t.Errorf("report: got %+v, want only Created", report)
	}
	ourWebhooks(t, s)

	s.ResetCalls()
	again, err := c.Connect(context.Background(), deliveryURL, webhookSecret)
	if err != nil {
		t.Fatalf("second Connect: %v", err)
	}
	if again.Changed() || !slices.Equal(topicsOf(again.Found), woocommerce.WebhookTopics) {
		t.Errorf("second run: got %+v, want every topic Found and nothing changed", again)
	}
	if w := writesOf(s); len(w) != 0 {
		t.Errorf("second run wrote %v, want nothing", w)
	}
	if n := len(s.Calls()); n != 3 {
		t.Errorf("second run: got %d calls, want 3 (9 webhooks, 3 a page)", n)
	}
	if wh := s.Webhooks()[0]; wh.ID != foreign || wh.Secret != "erp" || wh.Status != "active" {
		t.Errorf("foreign webhook: got %+v, want it untouched", wh)
	}
}

func TestConnectReenablesRepairsAndDeduplicates(t *testing.T) {
	s, c := newStore(t)
	if _, err := c.Connect(context.Background(), deliveryURL, webhookSecret); err != nil {
		t.Fatalf("Connect: %v", err)
	}
	byTopic := map[string]int64{}
	for _, wh := range s.Webhooks() {
		byTopic[wh.Topic] = wh.ID
	}
	s.DisableWebhook(byTopic["order.updated"])
	// An old webhook of backorderd's for product.updated, whose secret the
	// API cannot show: its name has no fingerprint of the current one.
	dup := s.AddWebhook(woocommercetest.Webhook{Name: "backorderd product.updated", Topic: "product.updated", DeliveryURL: deliveryURL, Secret: "old"})
	// A paused one beside the right order.deleted.
	stale := s.AddWebhook(woocommercetest.Webhook{Name: "backorderd order.deleted", Topic: "order.deleted", DeliveryURL: deliveryURL, Secret: "old", Status: "paused"})
	report, err := c.Connect(context.Background(), deliveryURL, webhookSecret)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	if got := topicsOf(report.Reenabled); !slices.Equal(got, []string{"order.updated"}) || report.Reenabled[0].Status != "disabled" {
		t.Errorf("Reenabled: got %+v, want order.updated as it was (disabled)", report.Reenabled)
	}
	if got := topicsOf(report.Removed); !slices.Equal(got, []string{"order.deleted", "product.updated"}) {
		t.Errorf("Removed: got %v, want the duplicates of order.deleted and product.updated", got)
	}
	for _, r := range report.Removed {
		if r.ID != itoa(dup) && r.ID != itoa(stale) {
			t.Errorf("Removed %s (%s): want the duplicate with the old secret removed, not the right one", r.ID, r.Topic)
		}
	}
	if len(report.Created)+len(report.Replaced) != 0 {
		t.Errorf("report: got Created %v Replaced %v, want none", report.Created, report.Replaced)
	}
	ourWebhooks(t, s)

	s.ResetCalls()
	again, err := c.Connect(context.Background(), deliveryURL, webhookSecret)
	if err != nil || again.Changed() || len(s.Writes()) != 0 {
		t.Errorf("third run: got %+v, %v, writes %v; want nothing changed", again, err, writesOf(s))
	}
}

func TestConnectGivesANewSecretToWebhooksThatLackIt(t *testing.T) {
	s, c := newStore(t)
	old := s.AddWebhook(woocommercetest.Webhook{Name: "backorderd order.created", Topic: "order.created", DeliveryURL: deliveryURL, Secret: "old", Status: "disabled"})
	report, err := c.Connect(context.Background(), deliveryURL, webhookSecret)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	if len(report.Replaced) != 1 || report.Replaced[0].ID != itoa(old) || report.Replaced[0].Status != "active" {
		t.Errorf("Replaced: got %+v, want webhook %d given the secret and active", report.Replaced, old)
	}
	if len(report.Reenabled) != 1 || report.Reenabled[0].ID != itoa(old) {
		t.Errorf("Reenabled: got %+v, want webhook %d", report.Reenabled, old)
	}
	if len(report.Created) != len(woocommerce.WebhookTopics)-1 {
		t.Errorf("Created: got %d, want %d", len(report.Created), len(woocommerce.WebhookTopics)-1)
	}
	ourWebhooks(t, s)

	// A new secret: every webhook is given it, in place.
	report, err = c.Connect(context.Background(), deliveryURL, "whsec-larchwood-2")
	if err != nil {
		t.Fatalf("Connect with a new secret: %v", err)
	}
	if len(report.Replaced) != len(woocommerce.WebhookTopics) || len(report.Created)+len(report.Removed) != 0 {
		t.Errorf("new secret: got %+v, want every webhook Replaced", report)
	}
	for _, wh := range s.Webhooks() {
		if wh.Secret != "whsec-larchwood-2" {
			t.Errorf("webhook %d: secret %q, want the new one", wh.ID, wh.Secret)
		}
	}
}
