// Package storeapi is the contract between backorderd's jobs and the two
// store clients (integrations/shopify, integrations/woocommerce): what the
// store should show of an order, an item's selling state, a receipt to add
// to the store's stock, an order to cancel, a change found by polling, and
// the errors the clients return, which say whether a retry can help.
//
// Each write is keyed by what it writes: a client given the same value
// twice changes the store once (it reads before it writes, or hands the
// platform an idempotency key), so a retried job repeats nothing visible.
package storeapi

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Order is what the store should show of one order: whether any of its
// lines waits, and each backordered line's waiting units and ETA.
type Order struct {
	// OrderID is the store's order id as its webhooks send it (Shopify's
	// legacy REST id, WooCommerce's order id).
	OrderID string
	Name    string // as the store names it: "#1001"
	Lines   []Line // the lines with a backorder record, in line order
}

// Line is one backordered line of an Order.
type Line struct {
	LineID  string // the store's line item id
	ItemID  string // variant id (Shopify), product or variation id (WooCommerce)
	SKU     string
	Title   string
	Ordered int
	Waiting int // units still waiting; 0 once all are allocated
	// ETA is the date the line's last waiting unit is expected to ship
	// (nil: unknown), and ETAKind what it rests on: confirmed, expected,
	// estimate or unknown.
	ETA     *time.Time
	ETAKind string
}

// Waiting reports whether any line of the order still waits.
func (o Order) Waiting() bool {
	for _, l := range o.Lines {
		if l.Waiting > 0 {
			return true
		}
	}
	return false
}

// WaitingLines are the lines that still wait.
func (o Order) WaitingLines() []Line {
	var ls []Line
	for _, l := range o.Lines {
		if l.Waiting > 0 {
			ls = append(ls, l)
		}
	}
	return ls
}

// Note is what backorderd tells of the order in the store, one line per
// backordered line: the same order in the same state always gives the same
// text, so a client can tell whether it has already written it.
func (o Order) Note() string {
	var b strings.Builder
	if o.Waiting() {
		b.WriteString("Backordered (backorderd):")
	} else {
		b.WriteString("Backorder allocated (backorderd): every unit is in stock.")
	}
	for _, l := range o.WaitingLines() {
		b.WriteString("\n- ")
		b.WriteString(strconv.Itoa(l.Waiting))
		b.WriteString(" × ")
		b.WriteString(describe(l))
		b.WriteString(": ")
		b.WriteString(l.ETAText())
	}
	return b.String()
}

// ETAText is the line's ETA in words: "expected by 2026-12-09 (confirmed)",
// or "no date yet".
func (l Line) ETAText() string {
	if l.ETA == nil {
		return "no date yet"
	}
	return fmt.Sprintf("expected by %s (%s)", l.ETA.UTC().Format(time.DateOnly), l.ETAKind)
}

func describe(l Line) string {
	name := l.Title
	if name == "" {
		name = "item " + l.ItemID
	}
	if l.SKU != "" {
		name += " (" + l.SKU + ")"
	}
	return name
}

// OrderWrites says which of an order's writes the shop wants; each is a
// shop setting.
type OrderWrites struct {
	// Tag: Shopify's `backordered` order tag while a line waits.
	Tag bool
	// Hold: Shopify's fulfillment hold (INVENTORY_OUT_OF_STOCK) on the
	// fulfillment orders with waiting lines, released once allocated.
	Hold bool
	// ETA: Shopify's `backorderd.eta` metafield and note line;
	// WooCommerce's order note.
	ETA bool
	// CustomerNote makes WooCommerce's order note visible to the customer.
	CustomerNote bool
	// Status: WooCommerce's `on-hold` while a line waits, `processing`
	// once all are allocated.
	Status bool
}

// Item is an item's selling state in the store at its cap on waiting
// units: StopSelling sets Shopify's inventoryPolicy DENY (WooCommerce
// backorders "no"); false sets CONTINUE ("notify") again.
type Item struct {
	ItemID      string // variant id (Shopify), product or variation id (WooCommerce)
	ProductID   string // the variant's product (Shopify), the variation's parent (WooCommerce)
	StopSelling bool
}

// Receipt is units received on a purchase order, to add to the store's
// stock of an item.
type Receipt struct {
	// Key names the receipt (its write's key): the client adds the units
	// once per key (Shopify's @idempotent key, WooCommerce's product meta).
	Key       string
	ItemID    string
	ProductID string
	// StockKey is Shopify's inventory item id (empty for WooCommerce), and
	// LocationID the location to add to (empty: the first the inventory
	// item is stocked at).
	StockKey   string
	LocationID string
	Units      int
}

// Cancel is an order to cancel in the store because a line waited past the
// shop's maximum wait, with its refund. The customer is told by
// backorderd's own message, not by the store.
type Cancel struct {
	Key     string
	OrderID string
	Reason  string // shown to the merchant in the store
}

// Change is one order or item the store changed since a time, as a
// delivery of the platform's webhook topic would carry it: polling feeds
// it through the same inbox, dedupe and stale-state rule as a webhook.
type Change struct {
	Topic string // the webhook topic whose body Body is (orders/updated, product.updated…)
	// Body is shaped as that topic's webhook body.
	Body []byte
	// DedupeKey names this state of the resource: the same state polled
	// twice is the same delivery.
	DedupeKey string
	// UpdatedAt is when the store last changed the resource.
	UpdatedAt time.Time
}

// Subscription is one webhook subscription of the store pointing at
// backorderd.
type Subscription struct {
	ID     string
	Topic  string // backorderd's spelling: orders/create, order.created…
	URL    string
	Status string // WooCommerce: active, paused, disabled; Shopify: active
}

// ConnectReport says what connecting a shop's webhooks found and did.
type ConnectReport struct {
	Found     []Subscription // already right: reused
	Created   []Subscription
	Replaced  []Subscription // wrong (URL, format, secret): replaced, or corrected in place
	Reenabled []Subscription // WooCommerce webhooks the store had disabled
	Removed   []Subscription // duplicates pointing at backorderd, deleted
}

// Changed reports whether connecting changed anything in the store.
func (r ConnectReport) Changed() bool {
	return len(r.Created)+len(r.Replaced)+len(r.Reenabled)+len(r.Removed) > 0
}

// Error is a store API call that failed: its status, what the platform
// said, and whether a retry can succeed.
type Error struct {
	Op         string // the call: "tagsAdd", "PUT orders/42"
	StatusCode int    // HTTP status; 200 for a GraphQL error in a 200 answer
	Code       string // the platform's error code: THROTTLED, woocommerce_rest_…
	Message    string
	// Retryable: a 429, a 5xx, a transport error or Shopify's THROTTLED.
	Retryable bool
	// Wait is how long the platform asks to wait before retrying (Shopify's
	// points over its restore rate, a Retry-After); 0: back off as usual.
	Wait time.Duration
}

func (e *Error) Error() string {
	s := e.Op + ": "
	if e.StatusCode != 0 {
		s += "status " + strconv.Itoa(e.StatusCode) + ": "
	}
	if e.Code != "" {
		s += e.Code + ": "
	}
	return s + e.Message
}

// Permanent reports whether retrying cannot help: any 4xx but 429, or a
// GraphQL user error.
func (e *Error) Permanent() bool { return !e.Retryable }

// RetryAfter is how long to wait before the next attempt (0: the usual
// backoff).
func (e *Error) RetryAfter() time.Duration { return e.Wait }

// IsPermanent reports whether err is a store API error that retrying
// cannot fix. Errors of other kinds (a cancelled context) are not.
func IsPermanent(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Permanent()
}

// RetryAfter is how long err asks to wait before a retry; 0 when it does
// not say.
func RetryAfter(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.Wait
	}
	return 0
}
