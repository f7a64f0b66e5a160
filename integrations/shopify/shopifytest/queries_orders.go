package shopifytest

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// The queries the fake answers on orders and fulfillment orders.

func (s *Server) order(c Call, vars json.RawMessage) (any, error) {
	var v struct {
		ID    string  `json:"id"`
		After *string `json:"after"`
	}
	if err := decodeVars(vars, &v); err != nil {
		return nil, err
	}
	id, err := legacy("Order", v.ID)
	if err != nil {
		return nil, err
	}
	o, ok := s.orders[id]
	if !ok {
		return nil, nil
	}
	return orderNode(o, c.Query, v.After)
}

var filterRe = regexp.MustCompile(`^updated_at:>'([^']+)'$`)

// since reads the search syntax the client polls with.
func since(query string) (time.Time, error) {
	m := filterRe.FindStringSubmatch(query)
	if m == nil {
		return time.Time{}, fmt.Errorf("query %q: want updated_at:>'<RFC 3339 time>'", query)
	}
	t, err := time.Parse(time.RFC3339, m[1])
	if err != nil {
		return time.Time{}, fmt.Errorf("query %q: %w", query, err)
	}
	return t, nil
}

type pollVars struct {
	Query string  `json:"query"`
	After *string `json:"after"`
}

func (s *Server) ordersPage(c Call, vars json.RawMessage) (any, error) {
	var v pollVars
	if err := decodeVars(vars, &v); err != nil {
		return nil, err
	}
	after, err := since(v.Query)
	if err != nil {
		return nil, err
	}
	if !strings.Contains(c.Query, "sortKey: UPDATED_AT") {
		return nil, fmt.Errorf("orders: want sortKey: UPDATED_AT, so that paging cannot skip an order")
	}
	var list []*Order
	for _, o := range s.orders {
		if o.UpdatedAt.After(after) {
			list = append(list, o)
		}
	}
	slices.SortFunc(list, func(a, b *Order) int {
		if c := a.UpdatedAt.Compare(b.UpdatedAt); c != 0 {
			return c
		}
		return cmpID(a.ID, b.ID)
	})
	keys := make([]string, len(list))
	for i, o := range list {
		keys[i] = fmt.Sprintf("%020d:%s", o.UpdatedAt.UnixNano(), idKey(o.ID))
	}
	lo, hi, info, err := s.keysetPage(c.Query, "orders", v.After, keys)
	if err != nil {
		return nil, err
	}
	nodes := []any{}
	for _, o := range list[lo:hi] {
		n, err := orderNode(o, c.Query, nil)
		if err != nil {
			return nil, err
		}
		nodes = append(nodes, n)
	}
	return map[string]any{"nodes": nodes, "pageInfo": info}, nil
}

// cmpID orders numeric ids as numbers.
func cmpID(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}

var metafieldRe = regexp.MustCompile(`metafield\(namespace:\s*"([^"]+)",\s*key:\s*"([^"]+)"\)`)

// orderNode is an order with every field the client may ask for; its
// line items and fulfillment orders (and theirs) are paged as the query
// asks, after is the cursor of the one the query passes $after to.
func orderNode(o *Order, query string, after *string) (map[string]any, error) {
	lines := []any{}
	for _, l := range o.Lines {
		n := map[string]any{
			"id": gid("LineItem", l.ID), "name": l.Name, "title": l.Title, "sku": nilIfEmpty(l.SKU),
			"quantity": l.Quantity, "currentQuantity": orQuantity(l.CurrentQuantity, l.Quantity),
			"unfulfilledQuantity": orQuantity(l.Unfulfilled, l.Quantity), "variant": nil, "product": nil,
		}
		if l.VariantID != "" {
			n["variant"] = map[string]any{"id": gid("ProductVariant", l.VariantID), "legacyResourceId": l.VariantID}
		}
		if l.ProductID != "" {
			n["product"] = map[string]any{"id": gid("Product", l.ProductID), "legacyResourceId": l.ProductID}
		}
		lines = append(lines, n)
	}
	fos := []any{}
	for i := range o.FulfillmentOrders {
		// The fulfillment orders' lines page on in fulfillmentOrder(id:).
		fo, err := foNode(&o.FulfillmentOrders[i], query, nil)
		if err != nil {
			return nil, err
		}
		fos = append(fos, fo)
	}
	lineConn, err := connection(query, "lineItems", after, lines)
	if err != nil {
		return nil, err
	}
	foConn, err := connection(query, "fulfillmentOrders", after, fos)
	if err != nil {
		return nil, err
	}
	n := map[string]any{
		"id": gid("Order", o.ID), "legacyResourceId": o.ID, "name": o.Name,
		"email": nilIfEmpty(o.Email), "phone": nilIfEmpty(o.Phone),
		"createdAt": ts(o.CreatedAt), "updatedAt": ts(o.UpdatedAt), "cancelledAt": nil,
		"displayFinancialStatus": o.FinancialStatus, "displayFulfillmentStatus": o.FulfillmentStatus,
		"tags": append([]string{}, o.Tags...), "note": nilIfEmpty(o.Note), "metafield": nil, "customer": nil, "shippingLine": nil,
		"lineItems": lineConn, "fulfillmentOrders": foConn,
	}
	if o.CancelledAt != nil {
		n["cancelledAt"] = ts(*o.CancelledAt)
	}
	if m := metafieldRe.FindStringSubmatch(query); m != nil {
		if mf, ok := o.Metafields[m[1]+"."+m[2]]; ok {
			n["metafield"] = map[string]any{"id": mf.ID, "type": mf.Type, "value": mf.Value}
		}
	}
	if cu := o.Customer; cu != nil {
		n["customer"] = map[string]any{
			"id": gid("Customer", cu.ID), "legacyResourceId": cu.ID,
			"firstName": nilIfEmpty(cu.FirstName), "lastName": nilIfEmpty(cu.LastName),
			"defaultEmailAddress": nil, "defaultPhoneNumber": nil,
		}
		if cu.Email != "" {
			n["customer"].(map[string]any)["defaultEmailAddress"] = map[string]any{"emailAddress": cu.Email}
		}
		if cu.Phone != "" {
			n["customer"].(map[string]any)["defaultPhoneNumber"] = map[string]any{"phoneNumber": cu.Phone}
		}
	}
	if o.ShippingTitle != "" {
		n["shippingLine"] = map[string]any{"title": o.ShippingTitle}
	}
	return n, nil
}

// foNode is a fulfillment order with its holds and lines.
func foNode(fo *FulfillmentOrder, query string, after *string) (map[string]any, error) {
	holds := []any{}
	for _, h := range fo.Holds {
		holds = append(holds, map[string]any{"id": h.ID, "handle": nilIfEmpty(h.Handle), "heldByRequestingApp": h.Ours, "reason": h.Reason, "reasonNotes": h.ReasonNotes})
	}
	items := []any{}
	for _, id := range fo.LineIDs {
		items = append(items, map[string]any{"lineItem": map[string]any{"id": gid("LineItem", id)}})
	}
	lineConn, err := connection(query, "lineItems", after, items)
	if err != nil {
		return nil, err
	}
	return map[string]any{"id": gid("FulfillmentOrder", fo.ID), "status": fo.Status, "fulfillmentHolds": holds, "lineItems": lineConn}, nil
}

func (s *Server) fulfillmentOrderQuery(c Call, vars json.RawMessage) (any, error) {
	var v struct {
		ID    string  `json:"id"`
		After *string `json:"after"`
	}
	if err := decodeVars(vars, &v); err != nil {
		return nil, err
	}
	_, fo, err := s.fulfillmentOrder(v.ID)
	if err != nil || fo == nil {
		return nil, err
	}
	return foNode(fo, c.Query, v.After)
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func orQuantity(n *int, def int) int {
	if n == nil {
		return def
	}
	return *n
}
