package woocommerce

import (
	"cmp"
	"html"

	"github.com/backorderd/backorderd/backorder"
	"github.com/backorderd/backorderd/integrations/payload"
)

// backorderWords are the product backorders words: "notify" and "yes" both
// keep selling out of stock.
var backorderWords = map[string]bool{"notify": true, "yes": true, "no": false}

// decodeProduct is product.created, product.updated and product.restored: a
// simple product, a variable product or one variation (type "variation",
// with its parent_id), and its stock when WooCommerce manages it.
func decodeProduct(d delivery) (backorder.Facts, error) {
	var in struct {
		ID            payload.ID  `json:"id"`
		ParentID      payload.ID  `json:"parent_id"`
		Type          string      `json:"type"` // simple, variable, variation, …
		Name          string      `json:"name"`
		SKU           string      `json:"sku"` // may be null
		ManageStock   manageStock `json:"manage_stock"`
		StockQuantity *int        `json:"stock_quantity"` // may be negative or null
		Backorders    string      `json:"backorders"`
	}
	if err := payload.Decode(d.topic, d.body, &in); err != nil {
		return backorder.Facts{}, err
	}
	if in.ID == "" || in.Type == "" {
		return backorder.Facts{}, payload.Rejectf(d.topic, "product lacks its id or type")
	}
	var quantity *int
	if in.ManageStock {
		quantity = in.StockQuantity
	}
	facts := backorder.Facts{Items: []backorder.Item{{
		ItemID: string(in.ID), ProductID: string(cmp.Or(in.ParentID, in.ID)), StockKey: string(in.ID),
		SKU: in.SKU, Title: html.UnescapeString(in.Name), ContinueSelling: payload.KnownWord(backorderWords, in.Backorders),
		Quantity: quantity, Version: d.arrival,
	}}}
	if in.ManageStock {
		facts.Levels = []backorder.StockLevel{{StockKey: string(in.ID), Available: quantity, Version: d.arrival}}
	}
	return facts, nil
}

// manageStock is manage_stock: true when the product manages its own
// stock. A variation whose parent manages it says "parent": the stock is
// the parent's, so the variation has no level of its own.
type manageStock bool

// UnmarshalJSON takes only JSON true as true.
func (m *manageStock) UnmarshalJSON(b []byte) error {
	*m = string(b) == "true"
	return nil
}
