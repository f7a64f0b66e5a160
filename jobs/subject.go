package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/backorderd/backorderd/store"
)

// Subject says what a task is about, for people reading the monitor: the
// shop's domain, the item's SKU, the orders, the email's kind, the
// purchase order. Handlers never read it: a task's row id (or its args'
// ids) stays the key. It holds no personal data beyond ids — never a
// customer's name or address.
type Subject struct {
	Shop  string `json:"shop,omitempty"`
	Topic string `json:"topic,omitempty"`
	// Item is the platform's item (variant) id, SKU the merchant's.
	Item string `json:"item,omitempty"`
	SKU  string `json:"sku,omitempty"`
	// Orders are the first few orders of the task; OrderCount how many
	// it has in all.
	Orders     []string `json:"orders,omitempty"`
	OrderCount int      `json:"order_count,omitempty"`
	Email      string   `json:"email,omitempty"`
	PO         int64    `json:"po,omitempty"`

	shopID int64 // the shop whose domain Shop is filled in with
}

// subjectOrders is how many of a task's orders its subject names.
const subjectOrders = 5

// about is the subject of a task of shop shopID (its domain looked up).
func about(shopID int64) *Subject { return &Subject{shopID: shopID} }

// withItem names an item: its id, and its SKU looked up.
func (s *Subject) withItem(itemID string) *Subject { s.Item = itemID; return s }

// withOrders names the first few of orders and counts them.
func (s *Subject) withOrders(orders ...string) *Subject {
	s.Orders = orders[:min(len(orders), subjectOrders)]
	if len(orders) > 1 {
		s.OrderCount = len(orders)
	}
	return s
}

// subjected is implemented by the args whose rows carry a subject.
type subjected interface{ subject() *Subject }

// nameCacheTTL bounds how long a shop's domain or an item's SKU is
// trusted: a renamed one shows on the monitor within it.
const (
	nameCacheTTL  = 10 * time.Minute
	nameCacheSize = 50_000
)

// names caches shops' domains and items' SKUs, so that describing a task
// costs a query only the first time its shop or item is seen.
type names struct {
	mu      sync.Mutex
	entries map[string]string
	since   time.Time
}

func (n *names) lookup(key string, load func() (string, error)) string {
	if n == nil {
		v, _ := load()
		return v
	}
	n.mu.Lock()
	if time.Since(n.since) > nameCacheTTL || len(n.entries) >= nameCacheSize {
		n.entries, n.since = map[string]string{}, time.Now()
	}
	v, ok := n.entries[key]
	n.mu.Unlock()
	if ok {
		return v
	}
	v, err := load()
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return "" // not kept: the next task asks again
	}
	n.mu.Lock()
	n.entries[key] = v
	n.mu.Unlock()
	return v
}

// describe fills in s's shop domain and item SKU, from the cache or the
// transaction. A lookup that fails leaves the field empty (and is not
// cached): a subject is for people, and no task waits for it. An item the
// store never described has no SKU.
func (o *Outbox) describe(ctx context.Context, s *Subject) {
	if s == nil || s.shopID == 0 {
		return
	}
	shopKey := strconv.FormatInt(s.shopID, 10)
	if s.Shop == "" {
		s.Shop = o.names.lookup("shop:"+shopKey, func() (string, error) {
			shop, err := o.tx.Shop(ctx, s.shopID)
			return shop.Domain, err
		})
	}
	if s.Item != "" && s.SKU == "" {
		s.SKU = o.names.lookup("item:"+shopKey+":"+s.Item, func() (string, error) {
			it, err := o.tx.Item(ctx, s.shopID, s.Item)
			return it.SKU, err
		})
	}
}

// rowSubject is the subject a row's args carry, if any.
func rowSubject(t store.OutboxTask) *Subject {
	var args struct {
		Subject *Subject `json:"subject"`
	}
	if json.Unmarshal(t.Payload, &args) != nil {
		return nil
	}
	return args.Subject
}
