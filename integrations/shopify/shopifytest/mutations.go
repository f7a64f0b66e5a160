package shopifytest

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// payload is a mutation's answer: its fields and userErrors.
func payload(fields map[string]any, userErrors ...string) map[string]any {
	ue := []any{}
	for _, m := range userErrors {
		ue = append(ue, map[string]any{"field": nil, "message": m, "code": nil})
	}
	if fields == nil {
		fields = map[string]any{}
	}
	fields["userErrors"] = ue
	return fields
}

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

// orderByGID finds an order by its gid.
func (s *Server) orderByGID(id string) (*Order, error) {
	lid, err := legacy("Order", id)
	if err != nil {
		return nil, err
	}
	return s.orders[lid], nil
}

type tagsVars struct {
	ID   string   `json:"id"`
	Tags []string `json:"tags"`
}

func (s *Server) tagsAdd(_ Call, vars json.RawMessage) (any, error) {
	return s.tags(vars, true)
}

func (s *Server) tagsRemove(_ Call, vars json.RawMessage) (any, error) {
	return s.tags(vars, false)
}

func (s *Server) tags(vars json.RawMessage, add bool) (any, error) {
	var v tagsVars
	if err := decodeVars(vars, &v); err != nil {
		return nil, err
	}
	if len(v.Tags) == 0 {
		return nil, errors.New("tags is empty")
	}
	o, err := s.orderByGID(v.ID)
	if err != nil {
		return nil, err
	}
	if o == nil {
		return payload(map[string]any{"node": nil}, "Order does not exist"), nil
	}
	for _, t := range v.Tags {
		has := slices.IndexFunc(o.Tags, func(x string) bool { return strings.EqualFold(x, t) })
		switch {
		case add && has < 0:
			o.Tags = append(o.Tags, t)
		case !add && has >= 0:
			o.Tags = slices.Delete(o.Tags, has, has+1)
		}
	}
	o.UpdatedAt = s.tick()
	return payload(map[string]any{"node": map[string]any{"id": v.ID}}), nil
}

// fulfillmentOrder finds a fulfillment order by gid, with its order.
func (s *Server) fulfillmentOrder(id string) (*Order, *FulfillmentOrder, error) {
	lid, err := legacy("FulfillmentOrder", id)
	if err != nil {
		return nil, nil, err
	}
	for _, o := range s.orders {
		for i := range o.FulfillmentOrders {
			if o.FulfillmentOrders[i].ID == lid {
				return o, &o.FulfillmentOrders[i], nil
			}
		}
	}
	return nil, nil, nil
}

var holdReasons = map[string]bool{
	"AWAITING_PAYMENT": true, "AWAITING_RETURN_ITEMS": true, "HIGH_RISK_OF_FRAUD": true, "INCORRECT_ADDRESS": true,
	"INVENTORY_OUT_OF_STOCK": true, "ONLINE_STORE_POST_PURCHASE_CROSS_SELL": true, "OTHER": true, "UNKNOWN_DELIVERY_DATE": true,
}

func (s *Server) fulfillmentOrderHold(_ Call, vars json.RawMessage) (any, error) {
	var v struct {
		ID   string `json:"id"`
		Hold struct {
			Reason         string `json:"reason"`
			ReasonNotes    string `json:"reasonNotes"`
			Handle         string `json:"handle"`
			NotifyMerchant bool   `json:"notifyMerchant"`
		} `json:"fulfillmentHold"`
	}
	if err := decodeVars(vars, &v); err != nil {
		return nil, err
	}
	if !holdReasons[v.Hold.Reason] {
		return nil, fmt.Errorf("fulfillmentHold.reason %q is not a FulfillmentHoldReason", v.Hold.Reason)
	}
	o, fo, err := s.fulfillmentOrder(v.ID)
	if err != nil {
		return nil, err
	}
	switch {
	case fo == nil:
		return payload(map[string]any{"fulfillmentHold": nil}, "Fulfillment order does not exist."), nil
	case fo.Status != "OPEN" && fo.Status != "ON_HOLD" && fo.Status != "SCHEDULED":
		return payload(map[string]any{"fulfillmentHold": nil}, "The fulfillment order's status is "+fo.Status+": it cannot be held."), nil
	case slices.ContainsFunc(fo.Holds, func(h Hold) bool { return h.Ours && h.Handle == v.Hold.Handle }):
		return payload(map[string]any{"fulfillmentHold": nil}, "The handle provided for the fulfillment hold is already in use by this app for another hold on this fulfillment order."), nil
	}
	h := Hold{ID: gid("FulfillmentHold", s.newID()), Handle: v.Hold.Handle, Reason: v.Hold.Reason, ReasonNotes: v.Hold.ReasonNotes, Ours: true}
	fo.Holds = append(fo.Holds, h)
	fo.Status = "ON_HOLD"
	o.UpdatedAt = s.tick()
	return payload(map[string]any{"fulfillmentHold": map[string]any{"id": h.ID}}), nil
}

func (s *Server) fulfillmentOrderReleaseHold(_ Call, vars json.RawMessage) (any, error) {
	var v struct {
		ID      string   `json:"id"`
		HoldIDs []string `json:"holdIds"`
	}
	if err := decodeVars(vars, &v); err != nil {
		return nil, err
	}
	o, fo, err := s.fulfillmentOrder(v.ID)
	if err != nil {
		return nil, err
	}
	if fo == nil {
		return payload(map[string]any{"fulfillmentOrder": nil}, "Fulfillment order does not exist."), nil
	}
	release := v.HoldIDs
	if release == nil { // all the app's holds
		for _, h := range fo.Holds {
			if h.Ours {
				release = append(release, h.ID)
			}
		}
	}
	for _, id := range release {
		i := slices.IndexFunc(fo.Holds, func(h Hold) bool { return h.ID == id })
		if i < 0 || !fo.Holds[i].Ours {
			return payload(map[string]any{"fulfillmentOrder": nil}, "Hold "+id+" was not placed by this app on this fulfillment order."), nil
		}
	}
	fo.Holds = slices.DeleteFunc(fo.Holds, func(h Hold) bool { return slices.Contains(release, h.ID) })
	if len(fo.Holds) == 0 && fo.Status == "ON_HOLD" {
		fo.Status = "OPEN"
	}
	o.UpdatedAt = s.tick()
	return payload(map[string]any{"fulfillmentOrder": map[string]any{"id": v.ID, "status": fo.Status}}), nil
}

func (s *Server) metafieldsSet(_ Call, vars json.RawMessage) (any, error) {
	var v struct {
		Metafields []struct {
			OwnerID   string `json:"ownerId"`
			Namespace string `json:"namespace"`
			Key       string `json:"key"`
			Type      string `json:"type"`
			Value     string `json:"value"`
		} `json:"metafields"`
	}
	if err := decodeVars(vars, &v); err != nil {
		return nil, err
	}
	if len(v.Metafields) == 0 || len(v.Metafields) > 25 {
		return nil, fmt.Errorf("metafields holds %d, want 1..25", len(v.Metafields))
	}
	var out []any
	for _, m := range v.Metafields {
		if m.Namespace == "" || m.Key == "" || m.Value == "" {
			return nil, errors.New("metafields[]: namespace, key and value are required")
		}
		o, err := s.orderByGID(m.OwnerID)
		if err != nil {
			return nil, err
		}
		if o == nil {
			return payload(map[string]any{"metafields": nil}, "Owner does not exist."), nil
		}
		k := m.Namespace + "." + m.Key
		mf, had := o.Metafields[k]
		if m.Type == "" {
			m.Type = mf.Type
		}
		if m.Type == "json" && !json.Valid([]byte(m.Value)) {
			return payload(map[string]any{"metafields": nil}, "Value is invalid JSON."), nil
		}
		if m.Type == "" {
			return payload(map[string]any{"metafields": nil}, "Type can't be blank."), nil
		}
		if !had {
			mf.ID = gid("Metafield", s.newID())
		}
		mf.Type, mf.Value = m.Type, m.Value
		o.Metafields[k] = mf
		o.UpdatedAt = s.tick()
		out = append(out, map[string]any{"id": mf.ID, "key": m.Key, "namespace": m.Namespace, "value": m.Value})
	}
	return payload(map[string]any{"metafields": out}), nil
}

func (s *Server) metafieldsDelete(_ Call, vars json.RawMessage) (any, error) {
	var v struct {
		Metafields []struct {
			OwnerID   string `json:"ownerId"`
			Namespace string `json:"namespace"`
			Key       string `json:"key"`
		} `json:"metafields"`
	}
	if err := decodeVars(vars, &v); err != nil {
		return nil, err
	}
	var out []any
	for _, m := range v.Metafields {
		o, err := s.orderByGID(m.OwnerID)
		if err != nil {
			return nil, err
		}
		if m.Namespace == "" || m.Key == "" {
			return nil, errors.New("metafields[]: namespace and key are required")
		}
		k := m.Namespace + "." + m.Key
		if o == nil || o.Metafields[k].ID == "" {
			out = append(out, nil)
			continue
		}
		delete(o.Metafields, k)
		o.UpdatedAt = s.tick()
		out = append(out, map[string]any{"ownerId": m.OwnerID, "namespace": m.Namespace, "key": m.Key})
	}
	return payload(map[string]any{"deletedMetafields": out}), nil
}

func (s *Server) orderUpdate(_ Call, vars json.RawMessage) (any, error) {
	var v struct {
		Input struct {
			ID   string  `json:"id"`
			Note *string `json:"note"`
		} `json:"input"`
	}
	if err := decodeVars(vars, &v); err != nil {
		return nil, err
	}
	o, err := s.orderByGID(v.Input.ID)
	if err != nil {
		return nil, err
	}
	if o == nil {
		return payload(map[string]any{"order": nil}, "Order does not exist"), nil
	}
	if v.Input.Note != nil {
		o.Note = *v.Input.Note
	}
	o.UpdatedAt = s.tick()
	return payload(map[string]any{"order": map[string]any{"id": v.Input.ID}}), nil
}

func (s *Server) productVariantsBulkUpdate(_ Call, vars json.RawMessage) (any, error) {
	var v struct {
		ProductID string `json:"productId"`
		Variants  []struct {
			ID              string `json:"id"`
			InventoryPolicy string `json:"inventoryPolicy"`
		} `json:"variants"`
	}
	if err := decodeVars(vars, &v); err != nil {
		return nil, err
	}
	pid, err := legacy("Product", v.ProductID)
	if err != nil {
		return nil, err
	}
	p := s.products[pid]
	if p == nil {
		return payload(map[string]any{"productVariants": nil}, "Product does not exist"), nil
	}
	var out []any
	for _, in := range v.Variants {
		if in.InventoryPolicy != "DENY" && in.InventoryPolicy != "CONTINUE" {
			return nil, fmt.Errorf("variants[].inventoryPolicy %q is not DENY or CONTINUE", in.InventoryPolicy)
		}
		vid, err := legacy("ProductVariant", in.ID)
		if err != nil {
			return nil, err
		}
		i := slices.IndexFunc(p.Variants, func(x Variant) bool { return x.ID == vid })
		if i < 0 {
			return payload(map[string]any{"productVariants": nil}, "Product variant does not exist on this product"), nil
		}
		now := s.tick()
		p.Variants[i].InventoryPolicy = in.InventoryPolicy
		p.Variants[i].UpdatedAt, p.UpdatedAt = now, now
		out = append(out, map[string]any{"id": in.ID})
	}
	return payload(map[string]any{"productVariants": out}), nil
}

var adjustReasons = map[string]bool{
	"correction": true, "cycle_count_available": true, "damaged": true, "movement_created": true,
	"movement_updated": true, "movement_received": true, "movement_canceled": true, "other": true,
	"promotion": true, "quality_control": true, "received": true, "reservation_created": true,
	"reservation_deleted": true, "reservation_updated": true, "restock": true, "safety_stock": true,
	"shrinkage": true,
}

func (s *Server) inventoryAdjustQuantities(c Call, vars json.RawMessage) (any, error) {
	var v struct {
		Key   string `json:"key"`
		Input struct {
			Name                 string `json:"name"`
			Reason               string `json:"reason"`
			ReferenceDocumentURI string `json:"referenceDocumentUri"`
			Changes              []struct {
				InventoryItemID string `json:"inventoryItemId"`
				LocationID      string `json:"locationId"`
				Delta           *int   `json:"delta"`
			} `json:"changes"`
		} `json:"input"`
	}
	if err := decodeVars(vars, &v); err != nil {
		return nil, err
	}
	if !strings.Contains(c.Query, "@idempotent(key: $key)") || v.Key == "" {
		return nil, errors.New("inventoryAdjustQuantities needs @idempotent(key: $key) with a key since 2026-04")
	}
	if answer, ok := s.idempotent[v.Key]; ok {
		var prior any
		_ = json.Unmarshal(answer, &prior)
		return prior, nil
	}
	if v.Input.Name != "available" && v.Input.Name != "on_hand" {
		return nil, fmt.Errorf("input.name %q: want available or on_hand", v.Input.Name)
	}
	if !adjustReasons[v.Input.Reason] {
		return nil, fmt.Errorf("input.reason %q is not a reason Shopify knows", v.Input.Reason)
	}
	if len(v.Input.Changes) == 0 {
		return nil, errors.New("input.changes is empty")
	}
	type change struct {
		k     levelKey
		delta int
	}
	var changes []change
	for _, ch := range v.Input.Changes {
		item, err := legacy("InventoryItem", ch.InventoryItemID)
		if err != nil {
			return nil, err
		}
		loc, err := legacy("Location", ch.LocationID)
		if err != nil {
			return nil, err
		}
		if ch.Delta == nil {
			return nil, errors.New("changes[].delta is required")
		}
		k := levelKey{item, loc}
		if s.levels[k] == nil {
			return payload(map[string]any{"inventoryAdjustmentGroup": nil}, "The specified inventory item is not stocked at the location."), nil
		}
		changes = append(changes, change{k, *ch.Delta})
	}
	now := s.tick()
	for _, ch := range changes {
		l := s.levels[ch.k]
		l.Available += ch.delta
		l.UpdatedAt = now
		if p, i := s.variant(s.itemVariant[ch.k.item]); p != nil {
			p.Variants[i].UpdatedAt = now
		}
	}
	answer := payload(map[string]any{"inventoryAdjustmentGroup": map[string]any{"id": gid("InventoryAdjustmentGroup", s.newID())}})
	raw, _ := json.Marshal(answer)
	s.idempotent[v.Key] = raw
	return answer, nil
}

var cancelReasons = map[string]bool{"CUSTOMER": true, "DECLINED": true, "FRAUD": true, "INVENTORY": true, "OTHER": true, "STAFF": true}

func (s *Server) orderCancel(_ Call, vars json.RawMessage) (any, error) {
	var v struct {
		OrderID      string `json:"orderId"`
		Reason       string `json:"reason"`
		RefundMethod *struct {
			OriginalPaymentMethodsRefund bool `json:"originalPaymentMethodsRefund"`
		} `json:"refundMethod"`
		Restock        *bool   `json:"restock"`
		NotifyCustomer *bool   `json:"notifyCustomer"`
		StaffNote      *string `json:"staffNote"`
	}
	if err := decodeVars(vars, &v); err != nil {
		return nil, err
	}
	switch {
	case !cancelReasons[v.Reason]:
		return nil, fmt.Errorf("reason %q is not an OrderCancelReason", v.Reason)
	case v.RefundMethod == nil:
		return nil, errors.New("refundMethod is required")
	case v.Restock == nil:
		return nil, errors.New("restock is required")
	}
	o, err := s.orderByGID(v.OrderID)
	if err != nil {
		return nil, err
	}
	fail := func(msg string) map[string]any {
		return map[string]any{"job": nil, "orderCancelUserErrors": []any{map[string]any{"field": []string{"orderId"}, "message": msg, "code": "INVALID"}}}
	}
	switch {
	case o == nil:
		return fail("Order does not exist"), nil
	case o.CancelledAt != nil:
		return fail("Cannot cancel an order that has already been cancelled"), nil
	}
	now := s.tick()
	o.CancelledAt, o.UpdatedAt, o.CancelReason = &now, now, v.Reason
	o.Refunded, o.Restocked = v.RefundMethod.OriginalPaymentMethodsRefund, *v.Restock
	o.NotifiedCustomer = v.NotifyCustomer != nil && *v.NotifyCustomer
	if v.StaffNote != nil {
		o.StaffNote = *v.StaffNote
	}
	if o.Refunded {
		o.FinancialStatus = "REFUNDED"
	}
	for i := range o.FulfillmentOrders {
		o.FulfillmentOrders[i].Status = "CLOSED"
	}
	for i := range o.Lines {
		zero := 0
		o.Lines[i].Unfulfilled = &zero
	}
	return map[string]any{"job": map[string]any{"id": gid("Job", s.newID()), "done": false}, "orderCancelUserErrors": []any{}}, nil
}
