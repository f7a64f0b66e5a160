package shopify

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/backorderd/backorderd/integrations/storeapi"
)

// complianceTopics are set in the app's configuration: the API cannot
// subscribe to them.
var complianceTopics = map[string]bool{
	"customers/data_request": true,
	"customers/redact":       true,
	"shop/redact":            true,
}

// WebhookTopics are the topics Connect subscribes to: every topic the
// decoders read, but the compliance ones, so that what is subscribed and
// what is decoded cannot drift apart.
var WebhookTopics = webhookTopics()

func webhookTopics() []string {
	var topics []string
	for t := range decoders {
		if !complianceTopics[t] {
			topics = append(topics, t)
		}
	}
	slices.Sort(topics)
	return topics
}

// topicEnum is a topic's WebhookSubscriptionTopic value:
// inventory_levels/update → INVENTORY_LEVELS_UPDATE.
func topicEnum(topic string) string {
	return strings.ToUpper(strings.ReplaceAll(topic, "/", "_"))
}

// webhookSub is a webhookSubscriptions node.
type webhookSub struct {
	ID     string `json:"id"`
	Topic  string `json:"topic"`
	URI    string `json:"uri"`
	Format string `json:"format"`
}

const listWebhooksQuery = `query WebhookSubscriptions($after: String) {
  webhookSubscriptions(first: 100, after: $after) {
    nodes { id topic uri format }
    pageInfo { hasNextPage endCursor }
  }
}`

const createWebhookMutation = `mutation WebhookSubscriptionCreate($topic: WebhookSubscriptionTopic!, $webhookSubscription: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $webhookSubscription) {
    webhookSubscription { id }
    userErrors { field message }
  }
}`

const updateWebhookMutation = `mutation WebhookSubscriptionUpdate($id: ID!, $webhookSubscription: WebhookSubscriptionInput!) {
  webhookSubscriptionUpdate(id: $id, webhookSubscription: $webhookSubscription) {
    webhookSubscription { id }
    userErrors { field message }
  }
}`

const deleteWebhookMutation = `mutation WebhookSubscriptionDelete($id: ID!) {
  webhookSubscriptionDelete(id: $id) {
    deletedWebhookSubscriptionId
    userErrors { field message }
  }
}`

// Connect subscribes the shop to every topic of WebhookTopics at
// callbackURL, idempotently: a right subscription is reused, one of ours
// with a wrong address or format is corrected in place, duplicates are
// deleted. secret is unused: Shopify signs with the app's secret.
//
// A subscription is ours when its address is callbackURL, or has
// callbackURL's path on another host (backorderd moved). Subscriptions
// elsewhere, and topics backorderd does not handle, are left alone.
func (c *Client) Connect(ctx context.Context, callbackURL, _ string) (storeapi.ConnectReport, error) {
	var report storeapi.ConnectReport
	want, err := url.Parse(callbackURL)
	if err != nil || want.Scheme != "https" && want.Scheme != "http" || want.Host == "" {
		return report, invalid("webhookSubscriptionCreate", "callback URL %q is not an absolute http(s) URL", callbackURL)
	}
	subs, err := c.webhooks(ctx)
	if err != nil {
		return report, err
	}
	byTopic := map[string][]webhookSub{}
	for _, s := range subs {
		if ours(s.URI, want) {
			byTopic[s.Topic] = append(byTopic[s.Topic], s)
		}
	}
	for _, topic := range WebhookTopics {
		if err := c.connectTopic(ctx, topic, callbackURL, byTopic[topicEnum(topic)], &report); err != nil {
			return report, err
		}
	}
	return report, nil
}

// connectTopic makes the topic's subscriptions of ours exactly one right
// one.
func (c *Client) connectTopic(ctx context.Context, topic, callbackURL string, mine []webhookSub, report *storeapi.ConnectReport) error {
	right := func(s webhookSub) bool { return s.URI == callbackURL && s.Format == "JSON" }
	keep := slices.IndexFunc(mine, right)
	switch {
	case keep >= 0:
		report.Found = append(report.Found, subscription(topic, mine[keep].ID, callbackURL))
	case len(mine) > 0:
		keep = 0
		if err := c.updateWebhook(ctx, mine[0].ID, callbackURL); err != nil {
			return err
		}
		report.Replaced = append(report.Replaced, subscription(topic, mine[0].ID, callbackURL))
	default:
		id, err := c.createWebhook(ctx, topic, callbackURL)
		if err != nil {
			return err
		}
		report.Created = append(report.Created, subscription(topic, id, callbackURL))
		return nil
	}
	for i, s := range mine {
		if i == keep {
			continue
		}
		if err := c.deleteWebhook(ctx, s.ID); err != nil {
			return err
		}
		report.Removed = append(report.Removed, subscription(topic, s.ID, s.URI))
	}
	return nil
}

// ours reports whether a subscription's address is backorderd's.
func ours(uri string, want *url.URL) bool {
	u, err := url.Parse(uri)
	if err != nil {
		return false
	}
	if u.String() == want.String() {
		return true
	}
	path := strings.TrimRight(want.Path, "/")
	return path != "" && strings.TrimRight(u.Path, "/") == path
}

func subscription(topic, id, uri string) storeapi.Subscription {
	return storeapi.Subscription{ID: id, Topic: topic, URL: uri, Status: "active"}
}

// webhooks lists the app's subscriptions, every page.
func (c *Client) webhooks(ctx context.Context) ([]webhookSub, error) {
	var all []webhookSub
	var after *string
	for {
		var data struct {
			WebhookSubscriptions struct {
				Nodes    []webhookSub `json:"nodes"`
				PageInfo pageInfo     `json:"pageInfo"`
			} `json:"webhookSubscriptions"`
		}
		if err := c.do(ctx, "webhookSubscriptions", listWebhooksQuery, map[string]any{"after": after}, &data); err != nil {
			return nil, err
		}
		all = append(all, data.WebhookSubscriptions.Nodes...)
		p := data.WebhookSubscriptions.PageInfo
		if !p.HasNextPage {
			return all, nil
		}
		after = &p.EndCursor
	}
}

// pageInfo is a connection's paging.
type pageInfo struct {
	HasNextPage bool   `json:"hasNextPage"`
	EndCursor   string `json:"endCursor"`
}

func webhookInput(callbackURL string) map[string]any {
	return map[string]any{"uri": callbackURL, "format": "JSON"}
}

func (c *Client) createWebhook(ctx context.Context, topic, callbackURL string) (string, error) {
	const op = "webhookSubscriptionCreate"
	var data struct {
		R struct {
			WebhookSubscription *struct {
				ID string `json:"id"`
			} `json:"webhookSubscription"`
			UserErrors []userError `json:"userErrors"`
		} `json:"webhookSubscriptionCreate"`
	}
	vars := map[string]any{"topic": topicEnum(topic), "webhookSubscription": webhookInput(callbackURL)}
	if err := c.do(ctx, op, createWebhookMutation, vars, &data); err != nil {
		return "", err
	}
	if err := userErrors(op, data.R.UserErrors); err != nil {
		return "", fmt.Errorf("subscribe to %s: %w", topic, err)
	}
	if data.R.WebhookSubscription == nil {
		return "", &storeapi.Error{Op: op, StatusCode: 200, Message: "no subscription in the answer for " + topic}
	}
	return data.R.WebhookSubscription.ID, nil
}

func (c *Client) updateWebhook(ctx context.Context, id, callbackURL string) error {
	const op = "webhookSubscriptionUpdate"
	var data struct {
		R struct {
			UserErrors []userError `json:"userErrors"`
		} `json:"webhookSubscriptionUpdate"`
	}
	vars := map[string]any{"id": id, "webhookSubscription": webhookInput(callbackURL)}
	if err := c.do(ctx, op, updateWebhookMutation, vars, &data); err != nil {
		return err
	}
	return userErrors(op, data.R.UserErrors)
}

func (c *Client) deleteWebhook(ctx context.Context, id string) error {
	const op = "webhookSubscriptionDelete"
	var data struct {
		R struct {
			UserErrors []userError `json:"userErrors"`
		} `json:"webhookSubscriptionDelete"`
	}
	if err := c.do(ctx, op, deleteWebhookMutation, map[string]any{"id": id}, &data); err != nil {
		return err
	}
	return userErrors(op, data.R.UserErrors)
}
