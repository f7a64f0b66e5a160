package shopifytest

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// webhookTopics are the WebhookSubscriptionTopic values the fake accepts.
// The compliance topics are not among them: Shopify's API cannot
// subscribe to them.
var webhookTopics = map[string]bool{}

func init() {
	for _, t := range strings.Fields(`ORDERS_CREATE ORDERS_UPDATED ORDERS_CANCELLED ORDERS_FULFILLED
		ORDERS_PARTIALLY_FULFILLED ORDERS_PAID ORDERS_EDITED ORDERS_DELETE REFUNDS_CREATE
		INVENTORY_LEVELS_UPDATE INVENTORY_LEVELS_CONNECT INVENTORY_ITEMS_UPDATE PRODUCTS_CREATE
		PRODUCTS_UPDATE PRODUCTS_DELETE APP_UNINSTALLED FULFILLMENT_ORDERS_HOLD_RELEASED`) {
		webhookTopics[t] = true
	}
}

type webhookInput struct {
	URI    string `json:"uri"`
	Format string `json:"format"`
}

func (in webhookInput) check() error {
	if in.URI == "" {
		return errors.New("webhookSubscription.uri is required (callbackUrl is gone since 2025-10)")
	}
	if in.Format != "" && in.Format != "JSON" && in.Format != "XML" {
		return fmt.Errorf("webhookSubscription.format %q is not JSON or XML", in.Format)
	}
	return nil
}

func subNode(sub *Subscription) map[string]any {
	return map[string]any{"id": sub.ID, "topic": sub.Topic, "uri": sub.URI, "format": sub.Format}
}

func (s *Server) webhookSubscriptionCreate(_ Call, vars json.RawMessage) (any, error) {
	var v struct {
		Topic string       `json:"topic"`
		Sub   webhookInput `json:"webhookSubscription"`
	}
	if err := decodeVars(vars, &v); err != nil {
		return nil, err
	}
	if !webhookTopics[v.Topic] {
		return nil, fmt.Errorf("topic %q is not a WebhookSubscriptionTopic the API can subscribe to", v.Topic)
	}
	if err := v.Sub.check(); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(v.Sub.URI, "https://") {
		return payload(map[string]any{"webhookSubscription": nil}, "Address protocol http:// is not supported"), nil
	}
	for _, sub := range s.subs {
		if sub.Topic == v.Topic && sub.URI == v.Sub.URI {
			return payload(map[string]any{"webhookSubscription": nil}, "Address for this topic has already been taken"), nil
		}
	}
	sub := &Subscription{ID: gid("WebhookSubscription", s.newID()), Topic: v.Topic, URI: v.Sub.URI, Format: v.Sub.Format}
	if sub.Format == "" {
		sub.Format = "JSON"
	}
	s.subs = append(s.subs, sub)
	return payload(map[string]any{"webhookSubscription": subNode(sub)}), nil
}

func (s *Server) findSub(id string) int {
	return slices.IndexFunc(s.subs, func(sub *Subscription) bool { return sub.ID == id })
}

func (s *Server) webhookSubscriptionUpdate(_ Call, vars json.RawMessage) (any, error) {
	var v struct {
		ID  string       `json:"id"`
		Sub webhookInput `json:"webhookSubscription"`
	}
	if err := decodeVars(vars, &v); err != nil {
		return nil, err
	}
	if err := v.Sub.check(); err != nil {
		return nil, err
	}
	i := s.findSub(v.ID)
	if i < 0 {
		return payload(map[string]any{"webhookSubscription": nil}, "Webhook subscription does not exist"), nil
	}
	s.subs[i].URI = v.Sub.URI
	if v.Sub.Format != "" {
		s.subs[i].Format = v.Sub.Format
	}
	return payload(map[string]any{"webhookSubscription": subNode(s.subs[i])}), nil
}

func (s *Server) webhookSubscriptionDelete(_ Call, vars json.RawMessage) (any, error) {
	var v struct {
		ID string `json:"id"`
	}
	if err := decodeVars(vars, &v); err != nil {
		return nil, err
	}
	i := s.findSub(v.ID)
	if i < 0 {
		return payload(map[string]any{"deletedWebhookSubscriptionId": nil}, "Webhook subscription does not exist"), nil
	}
	s.subs = slices.Delete(s.subs, i, i+1)
	return payload(map[string]any{"deletedWebhookSubscriptionId": v.ID}), nil
}

func (s *Server) webhookSubscriptions(c Call, vars json.RawMessage) (any, error) {
	var v struct {
		After *string `json:"after"`
	}
	if err := decodeVars(vars, &v); err != nil {
		return nil, err
	}
	lo, hi, info, err := s.page(c.Query, "webhookSubscriptions", v.After, len(s.subs))
	if err != nil {
		return nil, err
	}
	nodes := []any{}
	for _, sub := range s.subs[lo:hi] {
		nodes = append(nodes, map[string]any{"id": sub.ID, "topic": sub.Topic, "uri": sub.URI, "format": sub.Format})
	}
	return map[string]any{"nodes": nodes, "pageInfo": info}, nil
}
