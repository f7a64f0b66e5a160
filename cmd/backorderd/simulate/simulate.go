// Package simulate generates a store scenario — a flash sale of many orders
// over a few items, with a share of the units going short, cancellations,
// refunds, edits, duplicate, out-of-order and dropped deliveries, and an
// optional restock — signs every delivery as the store would, sends it to a
// running backorderd, and compares what the admin API reports against its own
// small model of the outcome ("newest units wait, oldest are served first").
//
// It is a client of the service: it imports none of its packages, so its
// expectation is independent of the code it checks.
//
// The scenario, in phases, each sent whole and its outcome awaited before
// the next (an outcome that depended on when the engine reconciles could not
// be predicted):
//
//   - Setup: each item described (Shopify products/create with its variant
//     and inventory item; WooCommerce product.created of a simple product
//     managing its stock, backorders "notify"), then its stock reported
//     (Shopify inventory_levels/update at one location; WooCommerce
//     product.updated); the items are awaited in the admin API.
//   - Sale: orders of 1–3 lines of distinct items, 1–3 units each, placed a
//     second apart (Shopify's timestamps have whole seconds; a level reported
//     in an order's second reflects it and the orders before). Each item's
//     stock is its demand less the short share, rounded. Each order is
//     followed by the new level of each of its items (negative past stock),
//     sent once the order is answered, as a store that sends in order would.
//   - Changes: shares of the orders cancelled (Shopify orders/cancelled;
//     WooCommerce order.updated, status cancelled), partly refunded (Shopify
//     refunds/create, orders/updated with current_quantity, restocked) or
//     edited by one or two units up or down (Shopify orders/edited and
//     orders/updated; WooCommerce order.updated), each followed by the
//     levels it moved. WooCommerce refunds leave an order's lines as they
//     were, so there is nothing to model: New refuses them.
//   - Receipts (POReceipts): a supplier added and every item given terms
//     through the admin API; the purchase orders the instance's reorder
//     run makes for the items customers wait for are awaited, approved and
//     confirmed (the waiting lines' ETA is then "confirmed"), and received
//     through the admin API — some lines partly, some wholly, some in two
//     receipts, one receipt retried — which counts at once (design.md,
//     "Receiving"). The store reports the level raised by what it received
//     of half the items at once, in the receipts' second (as after
//     backorderd's own stock write), and of the others once the receipts
//     have settled (as after the merchant's entry): each report replaces
//     the receipts' provisional count, and the outcome must not move
//     (nothing counted twice).
//   - Restock: every item's level raised to cover every unit owed, and a
//     little more.
//
// Duplicates repeat a delivery (same event id, same body) a little later;
// out-of-order moves a delivery within a window of 32; a dropped delivery is
// never sent and the oracle models only what was. WooCommerce stamps a
// product's state with its arrival, so after each phase each item's final
// level is sent once more, after everything else of the phase was answered.
//
// The oracle (oracle.go) keeps each resource's newest delivered state and,
// at the end of each phase, assigns every item's owed units to the newest
// open lines; units that waited and are covered are allocated and stay
// committed. After each phase every line that waited must have its
// backorder with those waiting and allocated units and that status, every
// other line none, and (sale and changes) every order with a line that
// waited its "backordered" confirmation email in any status.
package simulate

import (
	"io"
	"net/http"
	"time"
)

// Options describe the scenario.
type Options struct {
	Platform   string  // "shopify" (default) or "woocommerce"
	Orders     int     // orders in the sale
	Items      int     // distinct items (variants)
	Short      float64 // share of the sale's units beyond stock (0.3 = 30% of units short)
	Duplicates float64 // share of deliveries sent twice (1 = every delivery twice)
	OutOfOrder float64 // share of deliveries moved within a shuffled window
	Drop       float64 // share of deliveries never sent (the oracle models what was delivered)
	Cancel     float64 // share of orders cancelled after creation
	Refund     float64 // share of orders partly refunded after creation
	Edit       float64 // share of orders edited after creation
	Restock    bool    // after the sale settles, restock every item to cover all waiting units
	// POReceipts, after the changes, has every item supplied through the
	// admin API (a supplier, terms), awaits the purchase orders the
	// instance's reorder run makes, approves, confirms and receives them
	// (partly, wholly, in two receipts, one receipt retried), then sends
	// the levels the store reports once the units are in its stock. The
	// instance's REORDER_INTERVAL must come round within the settle
	// timeout.
	POReceipts bool
	Seed       uint64
	RunID      string // namespaces ids so repeated runs against one instance never collide (default: from time)
	// Start is the time of the store's first event; the sale's orders are
	// placed a second apart after it (default: now less the scenario's
	// length).
	Start time.Time
}

// Target is the running instance.
type Target struct {
	URL        string       // base URL of serve/run, e.g. http://127.0.0.1:8080 (webhooks POSTed here); several, comma-separated, share the deliveries round-robin
	AdminURL   string       // base of the admin API if different (default URL)
	AdminToken string       // bearer token of the admin API
	ShopDomain string       // Shopify shop domain or WooCommerce store URL registered in the instance
	Secret     string       // its webhook secret
	Client     *http.Client // optional
}

// RunOptions tune how the scenario is sent and how long its outcome is awaited.
type RunOptions struct {
	Rate          float64               // deliveries/s; 0 = as fast as Connections allow
	Connections   int                   // default 16
	SettleTimeout time.Duration         // how long to wait for the expected outcome (default 2 min)
	OnSent        func(sent, total int) // called as deliveries are answered 2xx (total counts every phase, setup included), from the sending goroutines, concurrently
	Log           io.Writer             // progress lines; nil = quiet
	// RetryFor is how long a delivery not answered 2xx is retried, with
	// backoff from 50 ms to 2 s, before it is given up and reported
	// (default 2 min).
	RetryFor time.Duration
}

// The platforms a scenario can be sent as.
const (
	Shopify     = "shopify"
	WooCommerce = "woocommerce"
)

// Scenario is a generated sale: every delivery, in sending order per
// phase, and the store's side of it.
type Scenario struct {
	opts  Options
	items []item
	out   []delivery
	plans [phaseCount]plan
	sh    *shop  // the store, for the phases built as the run gets there
	early []plan // sent within a phase's steps (the levels right after receipts)
}

// New generates everything up front, deterministic per Seed and RunID:
// ids, quantities, what is dropped, repeated and moved, and the order of
// sending. Timestamps count from Options.Start (default: now, less the
// scenario's length, so that every order is placed in the past).
func New(o Options) (*Scenario, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	sh := newShop(o)
	sh.generate()
	s := &Scenario{opts: o, items: sh.items, out: sh.out, sh: sh}
	s.plans = planPhases(s.out, o, sh.rng)
	return s, nil
}

// Options returns the options the scenario was made with, defaults filled.
func (s *Scenario) Options() Options { return s.opts }
