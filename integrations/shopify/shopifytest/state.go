package shopifytest

import (
	"slices"
	"strings"
	"time"
)

// Order is an order of the fake shop. Ids are legacy (REST) ids, digits;
// the fake answers with gids built from them.
type Order struct {
	ID                string
	Name              string // "#1001"
	Email, Phone      string
	CreatedAt         time.Time // zero: the fake's clock when added
	UpdatedAt         time.Time // zero: CreatedAt; every mutation moves it
	CancelledAt       *time.Time
	CancelReason      string // OrderCancelReason, set by orderCancel
	StaffNote         string
	Refunded          bool // orderCancel refunded to the original payment methods
	Restocked         bool
	NotifiedCustomer  bool
	FinancialStatus   string // displayFinancialStatus: PAID (default), REFUNDED…
	FulfillmentStatus string // displayFulfillmentStatus: UNFULFILLED (default)…
	Customer          *Customer
	ShippingTitle     string
	Tags              []string
	Note              string
	// Metafields are keyed "namespace.key".
	Metafields map[string]Metafield
	Lines      []LineItem
	// FulfillmentOrders: nil is one OPEN fulfillment order of every line.
	FulfillmentOrders []FulfillmentOrder
}

// Customer is an order's customer.
type Customer struct {
	ID, Email, FirstName, LastName, Phone string
}

// LineItem is one line of an Order. VariantID "" is a custom line.
type LineItem struct {
	ID, VariantID, ProductID, SKU, Name, Title string
	Quantity                                   int
	// CurrentQuantity and Unfulfilled default (nil) to Quantity.
	CurrentQuantity, Unfulfilled *int
}

// FulfillmentOrder is a group of an order's lines shipped together.
type FulfillmentOrder struct {
	ID      string // digits; "" is assigned
	Status  string // OPEN (default), ON_HOLD, CLOSED…
	LineIDs []string
	Holds   []Hold
}

// Hold is a fulfillment hold. Ours: placed by the app calling the fake
// (heldByRequestingApp); seed Ours false for another app's hold.
type Hold struct {
	ID          string // gid; "" is assigned
	Handle      string
	Reason      string
	ReasonNotes string
	Ours        bool
}

// Metafield is a metafield's type and value.
type Metafield struct {
	ID, Type, Value string
}

// Product is a product of the fake shop with its variants.
type Product struct {
	ID, Title string
	UpdatedAt time.Time // zero: the fake's clock when added
	Variants  []Variant
}

// Variant is a product variant; InventoryPolicy is CONTINUE or DENY.
type Variant struct {
	ID, Title, SKU, InventoryItemID, InventoryPolicy string
	UpdatedAt                                        time.Time // zero: the product's
}

// Level is an inventory item's available quantity at one location.
type Level struct {
	Available int
	UpdatedAt time.Time
}

// Subscription is a webhook subscription; Topic is the enum value
// (ORDERS_CREATE), Format JSON or XML.
type Subscription struct {
	ID, Topic, URI, Format string
}

// levelKey names a level.
type levelKey struct{ item, location string }

// tick advances the fake's clock by a second and returns it: each change
// gets its own updatedAt, as on Shopify.
func (s *Server) tick() time.Time {
	s.clock = s.clock.Add(time.Second)
	return s.clock
}

// Now is the fake's clock: the updatedAt of its latest change.
func (s *Server) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.clock
}

// AddOrder adds (or replaces) an order, filling in the defaults above.
func (s *Server) AddOrder(o Order) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o = cloneOrder(o)
	if o.CreatedAt.IsZero() {
		o.CreatedAt = s.tick()
	}
	if o.UpdatedAt.IsZero() {
		o.UpdatedAt = o.CreatedAt
	}
	if o.FinancialStatus == "" {
		o.FinancialStatus = "PAID"
	}
	if o.FulfillmentStatus == "" {
		o.FulfillmentStatus = "UNFULFILLED"
	}
	if o.FulfillmentOrders == nil {
		fo := FulfillmentOrder{}
		for _, l := range o.Lines {
			fo.LineIDs = append(fo.LineIDs, l.ID)
		}
		o.FulfillmentOrders = []FulfillmentOrder{fo}
	}
	for i := range o.FulfillmentOrders {
		fo := &o.FulfillmentOrders[i]
		if fo.ID == "" {
			fo.ID = s.newID()
		}
		if fo.Status == "" {
			fo.Status = "OPEN"
			if len(fo.Holds) > 0 {
				fo.Status = "ON_HOLD"
			}
		}
		for j := range fo.Holds {
			if fo.Holds[j].ID == "" {
				fo.Holds[j].ID = "gid://shopify/FulfillmentHold/" + s.newID()
			}
		}
	}
	if o.Metafields == nil {
		o.Metafields = map[string]Metafield{}
	}
	s.orders[o.ID] = &o
}

// Order is the order with legacy id id, as the fake holds it now.
func (s *Server) Order(id string) (Order, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[id]
	if !ok {
		return Order{}, false
	}
	return cloneOrder(*o), true
}

// AddProduct adds (or replaces) a product and its variants.
func (s *Server) AddProduct(p Product) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p.Variants = slices.Clone(p.Variants)
	if p.UpdatedAt.IsZero() {
		p.UpdatedAt = s.tick()
	}
	for i := range p.Variants {
		v := &p.Variants[i]
		if v.UpdatedAt.IsZero() {
			v.UpdatedAt = p.UpdatedAt
		}
		if v.InventoryPolicy == "" {
			v.InventoryPolicy = "DENY"
		}
		s.variantProduct[v.ID] = p.ID
		if v.InventoryItemID != "" {
			s.itemVariant[v.InventoryItemID] = v.ID
		}
	}
	s.products[p.ID] = &p
}

// Product is the product with legacy id id, as the fake holds it now.
func (s *Server) Product(id string) (Product, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.products[id]
	if !ok {
		return Product{}, false
	}
	c := *p
	c.Variants = slices.Clone(p.Variants)
	return c, true
}

// SetLevel stocks an inventory item at a location with available units,
// updated at at (zero: the fake's clock moves on). The first location set
// for an item is its first stocked location. It does not touch the
// variant: seed its UpdatedAt for polling to see the change.
func (s *Server) SetLevel(itemID, locationID string, available int, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if at.IsZero() {
		at = s.tick()
	}
	k := levelKey{itemID, locationID}
	if _, ok := s.levels[k]; !ok {
		s.itemLocations[itemID] = append(s.itemLocations[itemID], locationID)
	}
	s.levels[k] = &Level{Available: available, UpdatedAt: at.UTC()}
}

// Level is the item's level at a location.
func (s *Server) Level(itemID, locationID string) (Level, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.levels[levelKey{itemID, locationID}]
	if !ok {
		return Level{}, false
	}
	return *l, true
}

// AddSubscription adds a webhook subscription (as if an earlier run or
// another app made it) and returns its id.
func (s *Server) AddSubscription(topic, uri, format string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub := &Subscription{ID: "gid://shopify/WebhookSubscription/" + s.newID(), Topic: topic, URI: uri, Format: format}
	s.subs = append(s.subs, sub)
	return sub.ID
}

// Subscriptions are the shop's webhook subscriptions, oldest first.
func (s *Server) Subscriptions() []Subscription {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Subscription, 0, len(s.subs))
	for _, sub := range s.subs {
		out = append(out, *sub)
	}
	return out
}

func (s *Server) newID() string {
	s.seq++
	return "9" + strings.Repeat("0", 9) + itoa(s.seq)
}

func cloneOrder(o Order) Order {
	o.Tags = slices.Clone(o.Tags)
	o.Lines = slices.Clone(o.Lines)
	fos := make([]FulfillmentOrder, len(o.FulfillmentOrders))
	for i, fo := range o.FulfillmentOrders {
		fo.LineIDs = slices.Clone(fo.LineIDs)
		fo.Holds = slices.Clone(fo.Holds)
		fos[i] = fo
	}
	if o.FulfillmentOrders != nil {
		o.FulfillmentOrders = fos
	}
	if o.Metafields != nil {
		m := make(map[string]Metafield, len(o.Metafields))
		for k, v := range o.Metafields {
			m[k] = v
		}
		o.Metafields = m
	}
	if o.CancelledAt != nil {
		t := *o.CancelledAt
		o.CancelledAt = &t
	}
	return o
}
