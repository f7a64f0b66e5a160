package supplier

import "time"

// PODocument is the purchase order a supplier on the http channel is sent,
// as JSON. A changed order is sent again with a higher Revision.
type PODocument struct {
	PurchaseOrderID int64       `json:"purchase_order_id"`
	Revision        int         `json:"revision"`
	Shop            string      `json:"shop"` // the ordering shop's name
	Currency        string      `json:"currency"`
	CreatedAt       time.Time   `json:"created_at"`
	Lines           []PODocLine `json:"lines"`
}

// PODocLine is one item ordered. UnitCost is a decimal string ("12.50"),
// never a float.
type PODocLine struct {
	ItemID      string `json:"item_id"`
	SKU         string `json:"sku"`
	SupplierSKU string `json:"supplier_sku"`
	Title       string `json:"title"`
	Quantity    int    `json:"quantity"`
	UnitCost    string `json:"unit_cost"`
}
