package shopifytest

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// The mutations the fake answers on orders: tags, holds, metafields,
// note, cancellation.

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
