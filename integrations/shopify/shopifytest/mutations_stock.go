package shopifytest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// The mutations the fake answers on products and stock.

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
				// Required since 2026-04 (null: no compare-and-swap).
				ChangeFromQuantity json.RawMessage `json:"changeFromQuantity"`
			} `json:"changes"`
		} `json:"input"`
	}
	if err := decodeVars(vars, &v); err != nil {
		return nil, err
	}
	if !strings.Contains(c.Query, "@idempotent(key: $key)") || v.Key == "" {
		return nil, errors.New("inventoryAdjustQuantities needs @idempotent(key: $key) with a key since 2026-04")
	}
	input, _ := json.Marshal(v.Input)
	if prior, ok := s.idempotent[v.Key]; ok {
		// Shopify answers a repeated key with the first answer, and
		// refuses it with other input.
		if !bytes.Equal(prior.input, input) {
			return nil, fmt.Errorf("idempotency key %q was used with other input", v.Key)
		}
		var answer any
		_ = json.Unmarshal(prior.answer, &answer)
		return answer, nil
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
		if ch.ChangeFromQuantity == nil {
			return nil, errors.New("input.changes[].changeFromQuantity is required since 2026-04 (null to opt out)")
		}
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
	s.idempotent[v.Key] = idempotentCall{input: input, answer: raw}
	return answer, nil
}
