// Package backorder is backorderd's domain: the platform-neutral facts the
// stores report, and the pure rules that decide from them (the stock ledger,
// first-come-first-served allocation, ETAs, reorders, policies). It does no
// I/O of any kind.
package backorder

import "time"

// Version orders successive states of one resource, so that a state older
// than the one applied never overwrites it. At is the store's own time for
// the state (Shopify's updated_at, whole seconds) or, where the store sends
// state as of sending (WooCommerce), the delivery's arrival; Seq breaks ties
// (Shopify's X-Shopify-Triggered-At in nanoseconds, or the inbox id).
type Version struct {
	At  time.Time
	Seq int64
}

// After reports whether v is newer than w.
func (v Version) After(w Version) bool {
	if !v.At.Equal(w.At) {
		return v.At.After(w.At)
	}
	return v.Seq > w.Seq
}

// OrderStatus is an order's state as far as stock is concerned.
type OrderStatus string

// Order statuses.
const (
	// OrderOpen has units that still count against stock.
	OrderOpen OrderStatus = "open"
	// OrderFulfilled was shipped in the store: nothing left to ship.
	OrderFulfilled OrderStatus = "fulfilled"
	// OrderCancelled was cancelled, refunded or failed in the store.
	OrderCancelled OrderStatus = "cancelled"
	// OrderPending was placed but took no stock yet (WooCommerce "pending
	// payment"); its lines are not open.
	OrderPending OrderStatus = "pending"
	// OrderDeleted was deleted in the store (WooCommerce order.deleted):
	// its lines drop out like a cancelled order's.
	OrderDeleted OrderStatus = "deleted"
)

// Customer is who placed an order: personal data, erased on redaction.
type Customer struct {
	ID        string
	Email     string
	FirstName string
	LastName  string
	Phone     string
}

// Line is one order line.
type Line struct {
	LineID string
	// ItemID is the store's item identity: Shopify's variant id,
	// WooCommerce's variation id, or its product id for a simple product.
	ItemID    string
	ProductID string
	SKU       string // a label for people; may be empty or repeated
	Title     string
	// Quantity is the line's current quantity (after edits and refunds).
	Quantity int
	// OpenUnits are the units not yet fulfilled in the store; zero for a
	// line of an order that is not open.
	OpenUnits int
}

// Order is the whole state of an order as the store reported it.
type Order struct {
	OrderID string
	// Name is the order's name as the customer knows it ("#2417", "48213").
	Name           string
	Status         OrderStatus
	StoreStatus    string // the store's own word (financial/fulfillment or WooCommerce status)
	Customer       Customer
	ShippingMethod string
	PlacedAt       time.Time // UTC
	UpdatedAt      time.Time // UTC, the store's
	Lines          []Line
	Version        Version
}

// LineDelta is a change of one line's quantity in an order edit.
type LineDelta struct {
	LineID string
	ItemID string
	Delta  int
}

// OrderEdit is a Shopify order edit: quantity changes and removed lines.
// The order's new state follows as an orders/updated delivery.
type OrderEdit struct {
	EditID   string
	OrderID  string
	EditedAt time.Time
	Changes  []LineDelta
}

// RefundLine is the units of one line a refund took back.
type RefundLine struct {
	LineID   string
	Quantity int
	// RestockType is Shopify's restock_type: no_restock, cancel, return or
	// legacy_restock. Restocked units come back through a level report.
	RestockType string
}

// Refund is one refund of an order.
type Refund struct {
	RefundID  string
	OrderID   string
	CreatedAt time.Time
	Lines     []RefundLine
}

// StockLevel is the available quantity a store reported for an item at one
// location. StockKey is the key the store reports stock under: Shopify's
// inventory item id (which orders do not carry: items map it to a variant),
// or the WooCommerce item id. Available is nil when the store reported none
// (Shopify null, WooCommerce stock not managed).
type StockLevel struct {
	StockKey   string
	LocationID string
	Available  *int
	Version    Version
}

// Item is what the store says about one sellable item.
type Item struct {
	ItemID    string
	ProductID string
	// StockKey maps the item to its stock level reports.
	StockKey string
	SKU      string
	Title    string
	// ContinueSelling is true when the store keeps selling it out of stock
	// (Shopify inventory_policy "continue", WooCommerce backorders
	// "notify"/"yes"); nil when not said.
	ContinueSelling *bool
	// Quantity is the store's total for the item (Shopify variant
	// inventory_quantity, WooCommerce stock_quantity), used only where no
	// per-location level is known; nil when not managed.
	Quantity *int
	Version  Version
}

// PrivacyKind names a privacy request.
type PrivacyKind string

// Privacy requests (Shopify's mandatory topics).
const (
	CustomerDataRequest PrivacyKind = "customer_data"
	CustomerRedact      PrivacyKind = "customer_redact"
	ShopRedact          PrivacyKind = "shop_redact"
)

// PrivacyRequest asks for a customer's data, or for a customer's or the
// whole shop's personal data to be erased.
type PrivacyRequest struct {
	Kind      PrivacyKind
	RequestID string
	Customer  Customer // ID, Email and Phone as the store sent them
	OrderIDs  []string
}

// Facts are what one delivery says, platform-neutral.
type Facts struct {
	Orders        []Order
	DeletedOrders []string // order ids the store deleted
	Edits         []OrderEdit
	Refunds       []Refund
	Items         []Item
	DeletedItems  []string // item ids the store deleted
	Levels        []StockLevel
	Privacy       *PrivacyRequest
	Uninstalled   bool
}
