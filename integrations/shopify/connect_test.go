package shopify_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/backorderd/backorderd/integrations/shopify"
	"github.com/backorderd/backorderd/integrations/shopify/shopifytest"
	"github.com/backorderd/backorderd/integrations/storeapi"
)

const callback = "https://backorderd.example.com/webhooks/shopify"

func enum(topic string) string {
	return strings.ToUpper(strings.ReplaceAll(topic, "/", "_"))
}

func TestWebhookTopicsAreTheHandledOnesButCompliance(t *testing.T) {
	for _, tc := range []struct {
		topic string
		want  bool
	}{
		{"orders/create", true},
		{"orders/updated", true},
		{"orders/edited", true},
		{"refunds/create", true},
		{"inventory_levels/update", true},
		{"products/update", true},
		{"app/uninstalled", true},
		{"customers/data_request", false},
		{"customers/redact", false},
		{"shop/redact", false},
	} {
		t.Run(tc.topic, func(t *testing.T) {
			if got := slices.Contains(shopify.WebhookTopics, tc.topic); got != tc.want {
				t.Errorf("WebhookTopics contains %s: got %v, want %v", tc.topic, got, tc.want)
			}
		})
	}
	for _, topic := range shopify.WebhookTopics {
		if !shopify.Handled(topic) {
			t.Errorf("WebhookTopics: got %s, which no decoder handles", topic)
		}
	}
}

func TestConnectOnAnEmptyShopCreatesEveryTopicAndASecondRunChangesNothing(t *testing.T) {
	s, c := newShop(t)
	s.PageSize = 4 // the listing pages
	report, err := c.Connect(context.Background(), callback, "unused")
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	if got, want := len(report.Created), len(shopify.WebhookTopics); got != want {
		t.Errorf("created: got %d, want %d (%v)", got, want, report.Created)
	}
	subs := s.Subscriptions()
	var gotTopics, wantTopics []string
	for _, sub := range subs {
		gotTopics = append(gotTopics, sub.Topic)
		if sub.URI != callback || sub.Format != "JSON" {
			t.Errorf("subscription %s: got %s %s, want %s JSON", sub.Topic, sub.URI, sub.Format, callback)
		}
	}
	for _, topic := range shopify.WebhookTopics {
		wantTopics = append(wantTopics, enum(topic))
	}
	slices.Sort(gotTopics)
	slices.Sort(wantTopics)
	if !slices.Equal(gotTopics, wantTopics) {
		t.Errorf("subscribed topics: got %v, want %v", gotTopics, wantTopics)
	}

	s.ResetCalls()
	again, err := c.Connect(context.Background(), callback, "unused")
	if err != nil {
		t.Fatalf("Connect again: %v", err)
	}
	if again.Changed() {
		t.Errorf("second Connect changed: got %+v, want nothing changed", again)
	}
	if got, want := len(again.Found), len(shopify.WebhookTopics); got != want {
		t.Errorf("second Connect found: got %d, want %d", got, want)
	}
	if m := s.Mutations(); len(m) != 0 {
		t.Errorf("second Connect mutations: got %v, want none", roots(m))
	}
	if got := roots(s.Calls()); len(got) < 2 {
		t.Errorf("listing calls with %d subscriptions and pages of 4: got %v, want several pages", len(subs), got)
	}
}

func TestConnectCorrectsOursAndLeavesOthersAlone(t *testing.T) {
	s, c := newShop(t)
	oldHost := s.AddSubscription("ORDERS_CREATE", "https://old-host.example.net/webhooks/shopify", "JSON")
	xml := s.AddSubscription("PRODUCTS_UPDATE", callback, "XML")
	keep := s.AddSubscription("ORDERS_UPDATED", callback, "JSON")
	dup := s.AddSubscription("ORDERS_UPDATED", callback+"/", "JSON")
	otherApp := s.AddSubscription("ORDERS_PAID", "https://erp.example.org/hooks/orders", "JSON")
	unhandled := s.AddSubscription("ORDERS_DELETE", callback, "JSON")

	report, err := c.Connect(context.Background(), callback, "")
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	ids := func(subs []storeapi.Subscription) []string {
		var out []string
		for _, s := range subs {
			out = append(out, s.Topic+" "+s.ID)
		}
		slices.Sort(out)
		return out
	}
	for _, tc := range []struct {
		what string
		got  []storeapi.Subscription
		want []string
	}{
		{"replaced", report.Replaced, []string{"orders/create " + oldHost, "products/update " + xml}},
		{"removed", report.Removed, []string{"orders/updated " + dup}},
	} {
		t.Run(tc.what, func(t *testing.T) {
			if got := ids(tc.got); !slices.Equal(got, tc.want) {
				t.Errorf("%s: got %v, want %v", tc.what, got, tc.want)
			}
		})
	}
	if !slices.ContainsFunc(report.Found, func(sub storeapi.Subscription) bool { return sub.ID == keep }) {
		t.Errorf("found: got %v, want the right orders/updated %s reused", report.Found, keep)
	}
	if got, want := len(report.Created), len(shopify.WebhookTopics)-3; got != want {
		t.Errorf("created: got %d, want %d", got, want)
	}
	byID := map[string]shopifytest.Subscription{}
	perTopic := map[string]int{}
	for _, sub := range s.Subscriptions() {
		byID[sub.ID] = sub
		if sub.URI == callback {
			perTopic[sub.Topic]++
		}
	}
	for _, tc := range []struct {
		name, id, uri, format string
	}{
		{"old host corrected in place", oldHost, callback, "JSON"},
		{"XML corrected to JSON", xml, callback, "JSON"},
		{"another app's subscription untouched", otherApp, "https://erp.example.org/hooks/orders", "JSON"},
		{"unhandled topic untouched", unhandled, callback, "JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := byID[tc.id]
			if !ok || got.URI != tc.uri || got.Format != tc.format {
				t.Errorf("subscription %s: got %+v (present %v), want %s %s", tc.id, got, ok, tc.uri, tc.format)
			}
		})
	}
	if _, ok := byID[dup]; ok {
		t.Errorf("duplicate %s: got present, want deleted", dup)
	}
	for _, topic := range shopify.WebhookTopics {
		if n := perTopic[enum(topic)]; n != 1 {
			t.Errorf("subscriptions of %s at the callback: got %d, want 1", topic, n)
		}
	}
}

func TestConnectRefusesARelativeCallback(t *testing.T) {
	s, c := newShop(t)
	_, err := c.Connect(context.Background(), "/webhooks/shopify", "")
	if !storeapi.IsPermanent(err) {
		t.Errorf("error: got %v, want a permanent store error", err)
	}
	if calls := s.Calls(); len(calls) != 0 {
		t.Errorf("calls: got %v, want none", roots(calls))
	}
}
