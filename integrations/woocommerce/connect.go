package woocommerce

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/backorderd/backorderd/integrations/storeapi"
)

// WebhookTopics are the topics Connect subscribes: every topic the
// decoders handle, in a stable order.
var WebhookTopics = func() []string {
	topics := make([]string, 0, len(decoders))
	for t := range decoders {
		topics = append(topics, t)
	}
	slices.Sort(topics)
	return topics
}()

// webhook is a webhook as the REST API shows it. WooCommerce never returns
// a webhook's secret (v2 and v3 leave it out of every answer), so the name
// carries a fingerprint of the secret backorderd gave it: a webhook whose
// name lacks the current fingerprint has an unknown or old secret.
type webhook struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Status      string `json:"status"`
	Topic       string `json:"topic"`
	DeliveryURL string `json:"delivery_url"`
}

func (w webhook) subscription() storeapi.Subscription {
	return storeapi.Subscription{ID: strconv.FormatInt(w.ID, 10), Topic: w.Topic, URL: w.DeliveryURL, Status: w.Status}
}

// webhookName is "backorderd <topic> [<fingerprint>]": the fingerprint is
// the first 12 hex digits of HMAC-SHA256(secret, "backorderd webhook"),
// which tells secrets apart without revealing them.
func webhookName(topic, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("backorderd webhook"))
	return "backorderd " + topic + " [" + hex.EncodeToString(mac.Sum(nil))[:12] + "]"
}

// Connect makes the store deliver every topic in WebhookTopics to
// deliveryURL signed with secret, changing only what is not so already:
// a missing webhook is created, a paused or disabled one activated (the
// caller tells the merchant: WooCommerce disables a webhook after more
// than five failed deliveries, and what it did not deliver is lost until
// the next poll), one whose secret is not secret (by its name's
// fingerprint) given it, and duplicates deleted. A second run on the same
// store changes nothing.
func (c *Client) Connect(ctx context.Context, deliveryURL, secret string) (storeapi.ConnectReport, error) {
	var report storeapi.ConnectReport
	ours := map[string][]webhook{}
	err := c.list(ctx, "webhooks", url.Values{"status": {"all"}, "orderby": {"id"}, "order": {"asc"}}, func(raw json.RawMessage) error {
		var w webhook
		if err := json.Unmarshal(raw, &w); err != nil {
			return &storeapi.Error{Op: "GET webhooks", Message: "decode webhook: " + err.Error()}
		}
		if w.DeliveryURL == deliveryURL && Handled(w.Topic) {
			ours[w.Topic] = append(ours[w.Topic], w)
		}
		return nil
	})
	if err != nil {
		return report, fmt.Errorf("list webhooks: %w", err)
	}
	for _, topic := range WebhookTopics {
		if err := c.connectTopic(ctx, topic, ours[topic], deliveryURL, secret, &report); err != nil {
			return report, fmt.Errorf("connect %s: %w", topic, err)
		}
	}
	return report, nil
}

// connectTopic settles one topic: keeps the best of the webhooks already
// pointing at deliveryURL (active, right secret, oldest), deletes the
// rest, and corrects or creates the one kept.
func (c *Client) connectTopic(ctx context.Context, topic string, found []webhook, deliveryURL, secret string, report *storeapi.ConnectReport) error {
	name := webhookName(topic, secret)
	if len(found) == 0 {
		var w webhook
		body := map[string]string{"name": name, "topic": topic, "delivery_url": deliveryURL, "secret": secret, "status": "active"}
		if _, err := c.call(ctx, http.MethodPost, "webhooks", nil, body, &w); err != nil {
			return err
		}
		report.Created = append(report.Created, w.subscription())
		return nil
	}
	rank := func(w webhook) int {
		r := 0
		if w.Status != "active" {
			r += 2
		}
		if w.Name != name {
			r++
		}
		return r
	}
	slices.SortStableFunc(found, func(a, b webhook) int {
		return cmp.Or(cmp.Compare(rank(a), rank(b)), cmp.Compare(a.ID, b.ID))
	})
	for _, dup := range found[1:] {
		path := "webhooks/" + strconv.FormatInt(dup.ID, 10)
		if _, err := c.call(ctx, http.MethodDelete, path, url.Values{"force": {"true"}}, nil, nil); err != nil {
			return err
		}
		report.Removed = append(report.Removed, dup.subscription())
	}
	return c.correctWebhook(ctx, found[0], name, secret, report)
}

// correctWebhook activates keep and gives it secret, in one PUT, when it
// needs either.
func (c *Client) correctWebhook(ctx context.Context, keep webhook, name, secret string, report *storeapi.ConnectReport) error {
	update := map[string]string{}
	if keep.Status != "active" {
		update["status"] = "active"
	}
	if keep.Name != name {
		update["name"] = name
		update["secret"] = secret
	}
	if len(update) == 0 {
		report.Found = append(report.Found, keep.subscription())
		return nil
	}
	var w webhook
	if _, err := c.call(ctx, http.MethodPut, "webhooks/"+strconv.FormatInt(keep.ID, 10), nil, update, &w); err != nil {
		return err
	}
	if update["status"] != "" {
		was := keep.subscription()
		report.Reenabled = append(report.Reenabled, was)
	}
	if update["secret"] != "" {
		report.Replaced = append(report.Replaced, w.subscription())
	}
	return nil
}
