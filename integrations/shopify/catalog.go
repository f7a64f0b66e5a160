package shopify

import (
	"cmp"
	"time"

	"github.com/backorderd/backorderd/backorder"
	"github.com/backorderd/backorderd/integrations/payload"
)

// decodeLevel is inventory_levels/update: one item's level at one location.
func decodeLevel(d delivery) (backorder.Facts, error) {
	var in struct {
		InventoryItemID payload.ID `json:"inventory_item_id"`
		LocationID      payload.ID `json:"location_id"`
		Available       *int       `json:"available"` // null: Shopify no longer tracks it
		UpdatedAt       string     `json:"updated_at"`
	}
	if err := payload.Decode(d.topic, d.body, &in); err != nil {
		return backorder.Facts{}, err
	}
	if in.InventoryItemID == "" || in.LocationID == "" || in.UpdatedAt == "" {
		return backorder.Facts{}, payload.Rejectf(d.topic, "level lacks its inventory_item_id, location_id or updated_at")
	}
	at, err := payload.ParseTime(d.topic, "updated_at", in.UpdatedAt, time.RFC3339)
	if err != nil {
		return backorder.Facts{}, err
	}
	return backorder.Facts{Levels: []backorder.StockLevel{{
		StockKey: string(in.InventoryItemID), LocationID: string(in.LocationID),
		Available: in.Available, Version: backorder.Version{At: withinSecond(at, d.seq), Seq: d.seq},
	}}}, nil
}

// withinSecond is a report's time to the nanosecond: updated_at has whole
// seconds, and X-Shopify-Triggered-At (seq), when it falls in that second,
// says when in it. A receipt counts until a level newer than it
// (design.md, "Receiving"): the level that backorderd's own stock write
// brings, often in the receipt's second, must be seen as after it, or the
// received units are counted twice. Outside that second (absent, or a
// polled state) updated_at stands.
func withinSecond(at time.Time, seq int64) time.Time {
	if t := time.Unix(0, seq).UTC(); seq > 0 && !t.Before(at) && t.Before(at.Add(time.Second)) {
		return t
	}
	return at
}

// decodeProduct is products/create|update: one item per variant, keyed to
// its stock levels by the variant's inventory item.
func decodeProduct(d delivery) (backorder.Facts, error) {
	var in struct {
		ID        payload.ID `json:"id"`
		Title     string     `json:"title"`
		UpdatedAt string     `json:"updated_at"`
		Variants  []struct {
			ID                payload.ID `json:"id"`
			Title             string     `json:"title"`
			SKU               string     `json:"sku"`
			InventoryItemID   payload.ID `json:"inventory_item_id"`
			InventoryPolicy   string     `json:"inventory_policy"`
			InventoryQuantity *int       `json:"inventory_quantity"`
			UpdatedAt         string     `json:"updated_at"`
		} `json:"variants"`
	}
	if err := payload.Decode(d.topic, d.body, &in); err != nil {
		return backorder.Facts{}, err
	}
	if in.ID == "" || in.Variants == nil {
		return backorder.Facts{}, payload.Rejectf(d.topic, "product lacks its id or variants")
	}
	var facts backorder.Facts
	for i, v := range in.Variants {
		if v.ID == "" {
			return backorder.Facts{}, payload.Rejectf(d.topic, "variants[%d] of product %s has no id", i, in.ID)
		}
		at, err := payload.ParseTime(d.topic, "updated_at", cmp.Or(v.UpdatedAt, in.UpdatedAt), time.RFC3339)
		if err != nil {
			return backorder.Facts{}, err
		}
		title := in.Title
		if v.Title != "" && v.Title != "Default Title" { // Shopify's title for a product without options
			title += " - " + v.Title
		}
		facts.Items = append(facts.Items, backorder.Item{
			ItemID: string(v.ID), ProductID: string(in.ID), StockKey: string(v.InventoryItemID),
			SKU: v.SKU, Title: title, ContinueSelling: payload.KnownWord(policies, v.InventoryPolicy),
			Quantity: v.InventoryQuantity, Version: backorder.Version{At: at, Seq: d.seq},
		})
	}
	return facts, nil
}

// policies are the inventory_policy words: "continue" sells on out
// of stock.
var policies = map[string]bool{"continue": true, "deny": false}
