package shopify

import (
	"context"
	"time"

	"github.com/backorderd/backorderd/integrations/storeapi"
)

// The store writes other than an order's (SyncOrder, in order_sync.go):
// each reads before it writes, or hands Shopify the write's key, so that a
// retried job changes nothing twice.

const variantPolicyQuery = `query VariantPolicy($id: ID!) {
  productVariant(id: $id) { id inventoryPolicy product { id } }
}`

const variantsUpdateMutation = `mutation ProductVariantsBulkUpdate($productId: ID!, $variants: [ProductVariantsBulkInput!]!) {
  productVariantsBulkUpdate(productId: $productId, variants: $variants) {
    productVariants { id }
    userErrors { field message code }
  }
}`

// SetSelling sets the variant's inventoryPolicy: DENY stops selling it
// out of stock at its cap on waiting units, CONTINUE sells on again. A
// variant already so is left alone.
func (c *Client) SetSelling(ctx context.Context, it storeapi.Item) error {
	const op = "productVariantsBulkUpdate"
	if it.ItemID == "" {
		return invalid(op, "item has no variant id")
	}
	var data struct {
		Variant *struct {
			ID              string `json:"id"`
			InventoryPolicy string `json:"inventoryPolicy"`
			Product         struct {
				ID string `json:"id"`
			} `json:"product"`
		} `json:"productVariant"`
	}
	if err := c.do(ctx, "productVariant", variantPolicyQuery, map[string]any{"id": gid("ProductVariant", it.ItemID)}, &data); err != nil {
		return err
	}
	if data.Variant == nil {
		return notFound("productVariant", "variant", it.ItemID)
	}
	want := "CONTINUE"
	if it.StopSelling {
		want = "DENY"
	}
	if data.Variant.InventoryPolicy == want {
		return nil
	}
	var res struct {
		R struct {
			UserErrors []userError `json:"userErrors"`
		} `json:"productVariantsBulkUpdate"`
	}
	vars := map[string]any{
		"productId": data.Variant.Product.ID,
		"variants":  []map[string]any{{"id": data.Variant.ID, "inventoryPolicy": want}},
	}
	if err := c.do(ctx, op, variantsUpdateMutation, vars, &res); err != nil {
		return err
	}
	return userErrors(op, res.R.UserErrors)
}

const firstLocationQuery = `query InventoryItemLocation($id: ID!) {
  inventoryItem(id: $id) { id inventoryLevels(first: 1) { nodes { location { id } } } }
}`

const adjustMutation = `mutation InventoryAdjustQuantities($input: InventoryAdjustQuantitiesInput!, $key: String!) {
  inventoryAdjustQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { id }
    userErrors { field message code }
  }
}`

// AddStock adds a receipt's units to the inventory item's available
// quantity at its location (empty: the first the item is stocked at).
// The receipt's key is Shopify's idempotency key: the same receipt sent
// twice adds once.
func (c *Client) AddStock(ctx context.Context, r storeapi.Receipt) error {
	const op = "inventoryAdjustQuantities"
	switch {
	case r.Key == "":
		return invalid(op, "receipt has no key")
	case r.StockKey == "":
		return invalid(op, "receipt %s names no inventory item", r.Key)
	case r.Units == 0:
		return nil
	}
	location := r.LocationID
	if location == "" {
		var err error
		if location, err = c.firstLocation(ctx, r.StockKey); err != nil {
			return err
		}
	}
	var res struct {
		R struct {
			UserErrors []userError `json:"userErrors"`
		} `json:"inventoryAdjustQuantities"`
	}
	vars := map[string]any{
		"key": r.Key,
		"input": map[string]any{
			"name":   "available",
			"reason": "received",
			"changes": []map[string]any{{
				"inventoryItemId": gid("InventoryItem", r.StockKey),
				"locationId":      gid("Location", location),
				"delta":           r.Units,
				// Required since 2026-04: the quantity expected before the
				// change, or null to add whatever the store holds (a receipt
				// adds its units to the count as it is; the key above keeps a
				// retry from adding them twice).
				"changeFromQuantity": nil,
			}},
		},
	}
	if err := c.do(ctx, op, adjustMutation, vars, &res); err != nil {
		return err
	}
	return userErrors(op, res.R.UserErrors)
}

// firstLocation is the first location the inventory item is stocked at.
func (c *Client) firstLocation(ctx context.Context, stockKey string) (string, error) {
	const op = "inventoryItem"
	var data struct {
		Item *struct {
			InventoryLevels struct {
				Nodes []struct {
					Location struct {
						ID string `json:"id"`
					} `json:"location"`
				} `json:"nodes"`
			} `json:"inventoryLevels"`
		} `json:"inventoryItem"`
	}
	if err := c.do(ctx, op, firstLocationQuery, map[string]any{"id": gid("InventoryItem", stockKey)}, &data); err != nil {
		return "", err
	}
	if data.Item == nil {
		return "", notFound(op, "inventory item", stockKey)
	}
	if len(data.Item.InventoryLevels.Nodes) == 0 {
		return "", &storeapi.Error{Op: op, StatusCode: 200, Code: "NOT_STOCKED", Message: "inventory item " + stockKey + " is stocked at no location"}
	}
	return data.Item.InventoryLevels.Nodes[0].Location.ID, nil
}

const orderCancelledQuery = `query OrderCancelled($id: ID!) {
  order(id: $id) { id cancelledAt }
}`

const orderCancelMutation = `mutation OrderCancel($orderId: ID!, $reason: OrderCancelReason!, $refundMethod: OrderCancelRefundMethodInput!, $restock: Boolean!, $notifyCustomer: Boolean, $staffNote: String) {
  orderCancel(orderId: $orderId, reason: $reason, refundMethod: $refundMethod, restock: $restock, notifyCustomer: $notifyCustomer, staffNote: $staffNote) {
    job { id done }
    orderCancelUserErrors { field message code }
  }
}`

// CancelOrder cancels an order that waited past the shop's maximum wait,
// refunding it to the original payment methods. Its unfulfilled units are
// restocked: the order's sale took them from the level even where they were
// never there (a level below zero), and without the restock the level
// would keep counting them as owed to nobody — the next reconcile would put
// as many of other customers' units on backorder. WooCommerce does the same
// when an order is cancelled. Shopify tells the customer nothing:
// backorderd's own message does. An order already cancelled is left
// alone. Shopify cancels in a background job; an answer without user
// errors is taken as done.
func (c *Client) CancelOrder(ctx context.Context, cn storeapi.Cancel) error {
	const op = "orderCancel"
	if cn.OrderID == "" {
		return invalid(op, "cancel %s names no order", cn.Key)
	}
	id := gid("Order", cn.OrderID)
	var data struct {
		Order *struct {
			CancelledAt *time.Time `json:"cancelledAt"`
		} `json:"order"`
	}
	if err := c.do(ctx, "order", orderCancelledQuery, map[string]any{"id": id}, &data); err != nil {
		return err
	}
	if data.Order == nil {
		return notFound("order", "order", cn.OrderID)
	}
	if data.Order.CancelledAt != nil {
		return nil
	}
	var res struct {
		R struct {
			UserErrors []userError `json:"orderCancelUserErrors"`
		} `json:"orderCancel"`
	}
	vars := map[string]any{
		"orderId":        id,
		"reason":         "INVENTORY",
		"refundMethod":   map[string]any{"originalPaymentMethodsRefund": true},
		"restock":        true,
		"notifyCustomer": false,
		"staffNote":      cn.Reason,
	}
	if err := c.do(ctx, op, orderCancelMutation, vars, &res); err != nil {
		return err
	}
	if err := userErrors(op, res.R.UserErrors); err != nil {
		// orderCancel runs as a job in Shopify: a retry whose first attempt's
		// answer was lost may be refused while that job finishes. Cancelled
		// by then is done.
		if rerr := c.do(ctx, "order", orderCancelledQuery, map[string]any{"id": id}, &data); rerr == nil &&
			data.Order != nil && data.Order.CancelledAt != nil {
			return nil
		}
		return err
	}
	return nil
}
