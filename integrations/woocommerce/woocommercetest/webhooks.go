package woocommercetest

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// AddWebhook seeds a webhook (status defaults to active) and returns its
// id.
func (s *Server) AddWebhook(wh Webhook) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	wh.ID = s.nextID
	if wh.Status == "" {
		wh.Status = "active"
	}
	s.webhooks[wh.ID] = &wh
	return wh.ID
}

// DisableWebhook disables a webhook, as WooCommerce does after more than
// five failed deliveries in a row.
func (s *Server) DisableWebhook(id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if wh := s.webhooks[id]; wh != nil {
		wh.Status = "disabled"
	} else {
		s.t.Fatalf("woocommercetest: DisableWebhook: no webhook %d", id)
	}
}

// Webhooks are the store's webhooks, by id.
func (s *Server) Webhooks() []Webhook {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Webhook
	for _, wh := range s.webhooks {
		out = append(out, *wh)
	}
	slices.SortFunc(out, func(a, b Webhook) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// webhookJSON is a webhook as wc/v3 shows it: never its secret.
func webhookJSON(wh *Webhook) map[string]any {
	resource, event, _ := strings.Cut(wh.Topic, ".")
	return map[string]any{
		"id": wh.ID, "name": wh.Name, "status": wh.Status, "topic": wh.Topic,
		"resource": resource, "event": event, "delivery_url": wh.DeliveryURL,
	}
}

// validTopic is wc_is_webhook_valid_topic for the resources WooCommerce
// has.
func validTopic(t string) bool {
	resource, event, ok := strings.Cut(t, ".")
	if !ok {
		return false
	}
	switch resource {
	case "order", "product", "customer", "coupon":
		return event == "created" || event == "updated" || event == "deleted" || event == "restored"
	case "action":
		return event != ""
	}
	return false
}

func validURL(u string) bool {
	p, err := url.Parse(u)
	return err == nil && (p.Scheme == "http" || p.Scheme == "https") && p.Host != ""
}

func (s *Server) listWebhooks(w http.ResponseWriter, _ []int64, q url.Values, _ map[string]any) {
	var objs []map[string]any
	for _, wh := range s.webhooks {
		if st := q.Get("status"); st == "" || st == "all" || st == wh.Status {
			objs = append(objs, webhookJSON(wh))
		}
	}
	s.page(w, q, objs)
}

func (s *Server) createWebhook(w http.ResponseWriter, _ []int64, _ url.Values, body map[string]any) {
	wh := Webhook{Status: "active"}
	if !s.applyWebhook(w, &wh, body) {
		return
	}
	if !validTopic(wh.Topic) || !validURL(wh.DeliveryURL) {
		s.badRequest(w, "POST webhooks: topic %q or delivery_url %q missing or invalid", wh.Topic, wh.DeliveryURL)
		return
	}
	s.nextID++
	wh.ID = s.nextID
	s.webhooks[wh.ID] = &wh
	writeJSON(w, http.StatusCreated, webhookJSON(&wh))
}

func (s *Server) updateWebhook(w http.ResponseWriter, ids []int64, _ url.Values, body map[string]any) {
	wh := s.webhooks[ids[0]]
	if wh == nil {
		writeError(w, http.StatusBadRequest, "woocommerce_rest_shop_webhook_invalid_id", "ID is invalid.")
		return
	}
	updated := *wh
	if s.applyWebhook(w, &updated, body) {
		*wh = updated
		writeJSON(w, http.StatusOK, webhookJSON(wh))
	}
}

// applyWebhook sets the string fields body has (empty ones are ignored, as
// update_item does).
func (s *Server) applyWebhook(w http.ResponseWriter, wh *Webhook, body map[string]any) bool {
	for k, v := range body {
		str, ok := v.(string)
		if !ok {
			s.badRequest(w, "webhook field %s is %T, not a string", k, v)
			return false
		}
		if str == "" {
			continue
		}
		switch k {
		case "name":
			wh.Name = str
		case "topic":
			wh.Topic = str
		case "delivery_url":
			wh.DeliveryURL = str
		case "secret":
			wh.Secret = str
		case "status":
			if str != "active" && str != "paused" && str != "disabled" {
				s.badRequest(w, "webhook status %q is not valid", str)
				return false
			}
			wh.Status = str
		}
	}
	if body["topic"] != nil && !validTopic(wh.Topic) {
		s.badRequest(w, "webhook topic %q is not valid", wh.Topic)
		return false
	}
	return true
}

func (s *Server) deleteWebhook(w http.ResponseWriter, ids []int64, q url.Values, _ map[string]any) {
	if q.Get("force") != "true" && q.Get("force") != "1" {
		writeError(w, http.StatusNotImplemented, "woocommerce_rest_trash_not_supported", "Webhooks do not support trashing.")
		return
	}
	wh := s.webhooks[ids[0]]
	if wh == nil {
		writeError(w, http.StatusNotFound, "woocommerce_rest_shop_webhook_invalid_id", "Invalid ID.")
		return
	}
	delete(s.webhooks, ids[0])
	writeJSON(w, http.StatusOK, webhookJSON(wh))
}
