package shopifytest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// operation is a root field the fake answers: handle returns the root
// field's value, or an error for variables of the wrong shape. It runs
// with the server's lock held.
type operation struct {
	root     string
	mutation bool
	handle   func(s *Server, c Call, vars json.RawMessage) (any, error)
}

// operations are the root fields the fake knows, queries and mutations.
var operations = map[string]operation{}

func init() {
	for _, op := range []operation{
		{"webhookSubscriptions", false, (*Server).webhookSubscriptions},
		{"order", false, (*Server).order},
		{"orders", false, (*Server).ordersPage},
		{"productVariant", false, (*Server).productVariant},
		{"productVariants", false, (*Server).productVariantsPage},
		{"inventoryItem", false, (*Server).inventoryItem},
		{"webhookSubscriptionCreate", true, (*Server).webhookSubscriptionCreate},
		{"webhookSubscriptionUpdate", true, (*Server).webhookSubscriptionUpdate},
		{"webhookSubscriptionDelete", true, (*Server).webhookSubscriptionDelete},
		{"tagsAdd", true, (*Server).tagsAdd},
		{"tagsRemove", true, (*Server).tagsRemove},
		{"fulfillmentOrderHold", true, (*Server).fulfillmentOrderHold},
		{"fulfillmentOrderReleaseHold", true, (*Server).fulfillmentOrderReleaseHold},
		{"metafieldsSet", true, (*Server).metafieldsSet},
		{"metafieldsDelete", true, (*Server).metafieldsDelete},
		{"orderUpdate", true, (*Server).orderUpdate},
		{"productVariantsBulkUpdate", true, (*Server).productVariantsBulkUpdate},
		{"inventoryAdjustQuantities", true, (*Server).inventoryAdjustQuantities},
		{"orderCancel", true, (*Server).orderCancel},
	} {
		operations[op.root] = op
	}
}

// decodeVars decodes variables strictly: a variable the operation does
// not take is the client's mistake.
func decodeVars(vars json.RawMessage, v any) error {
	d := json.NewDecoder(bytes.NewReader(vars))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("decode variables: %w", err)
	}
	return nil
}

// legacy is the digits of a gid of kind ("gid://shopify/Order/12" → "12").
func legacy(kind, gid string) (string, error) {
	id, ok := strings.CutPrefix(gid, "gid://shopify/"+kind+"/")
	if !ok || id == "" || strings.Trim(id, "0123456789") != "" {
		return "", fmt.Errorf("id %q is not a gid://shopify/%s/…", gid, kind)
	}
	return id, nil
}

func gid(kind, id string) string { return "gid://shopify/" + kind + "/" + id }

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }

var firstRe = regexp.MustCompile(`\(\s*first:\s*(\d+)`)

// page is one page of n nodes after the cursor "after" (the index of the
// next node): first from the query text, capped by PageSize.
func (s *Server) page(query string, after *string, n int) (lo, hi int, info map[string]any, err error) {
	size := 250
	if m := firstRe.FindStringSubmatch(query); m != nil {
		size, _ = strconv.Atoi(m[1])
	}
	if size < 1 || size > 250 {
		return 0, 0, nil, fmt.Errorf("first: %d is not in 1..250", size)
	}
	if s.PageSize > 0 {
		size = min(size, s.PageSize)
	}
	if after != nil {
		i, err := strconv.Atoi(strings.TrimPrefix(*after, "cursor:"))
		if err != nil || !strings.HasPrefix(*after, "cursor:") || i < 0 || i > n {
			return 0, 0, nil, fmt.Errorf("after %q is not a cursor the fake gave", *after)
		}
		lo = i
	}
	hi = min(lo+size, n)
	return lo, hi, map[string]any{"hasNextPage": hi < n, "endCursor": "cursor:" + strconv.Itoa(hi)}, nil
}

func (s *Server) webhookSubscriptions(c Call, vars json.RawMessage) (any, error) {
	var v struct {
		After *string `json:"after"`
	}
	if err := decodeVars(vars, &v); err != nil {
		return nil, err
	}
	lo, hi, info, err := s.page(c.Query, v.After, len(s.subs))
	if err != nil {
		return nil, err
	}
	nodes := []any{}
	for _, sub := range s.subs[lo:hi] {
		nodes = append(nodes, map[string]any{"id": sub.ID, "topic": sub.Topic, "uri": sub.URI, "format": sub.Format})
	}
	return map[string]any{"nodes": nodes, "pageInfo": info}, nil
}

func (s *Server) order(c Call, vars json.RawMessage) (any, error) {
	var v struct {
		ID string `json:"id"`
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
	return orderNode(o, c.Query), nil
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
	lo, hi, info, err := s.page(c.Query, v.After, len(list))
	if err != nil {
		return nil, err
	}
	nodes := []any{}
	for _, o := range list[lo:hi] {
		nodes = append(nodes, orderNode(o, c.Query))
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

func orderNode(o *Order, query string) map[string]any {
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
	for _, fo := range o.FulfillmentOrders {
		holds := []any{}
		for _, h := range fo.Holds {
			holds = append(holds, map[string]any{"id": h.ID, "handle": nilIfEmpty(h.Handle), "heldByRequestingApp": h.Ours, "reason": h.Reason, "reasonNotes": h.ReasonNotes})
		}
		items := []any{}
		for _, id := range fo.LineIDs {
			items = append(items, map[string]any{"lineItem": map[string]any{"id": gid("LineItem", id)}})
		}
		fos = append(fos, map[string]any{"id": gid("FulfillmentOrder", fo.ID), "status": fo.Status, "fulfillmentHolds": holds, "lineItems": map[string]any{"nodes": items}})
	}
	n := map[string]any{
		"id": gid("Order", o.ID), "legacyResourceId": o.ID, "name": o.Name,
		"email": nilIfEmpty(o.Email), "phone": nilIfEmpty(o.Phone),
		"createdAt": ts(o.CreatedAt), "updatedAt": ts(o.UpdatedAt), "cancelledAt": nil,
		"displayFinancialStatus": o.FinancialStatus, "displayFulfillmentStatus": o.FulfillmentStatus,
		"tags": append([]string{}, o.Tags...), "note": nilIfEmpty(o.Note), "metafield": nil, "customer": nil, "shippingLine": nil,
		"lineItems": map[string]any{"nodes": lines}, "fulfillmentOrders": map[string]any{"nodes": fos},
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
	return n
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

func (s *Server) productVariant(_ Call, vars json.RawMessage) (any, error) {
	var v struct {
		ID string `json:"id"`
	}
	if err := decodeVars(vars, &v); err != nil {
		return nil, err
	}
	id, err := legacy("ProductVariant", v.ID)
	if err != nil {
		return nil, err
	}
	p, i := s.variant(id)
	if p == nil {
		return nil, nil
	}
	return s.variantNode(p, &p.Variants[i], true), nil
}

// variant finds a variant and its product.
func (s *Server) variant(id string) (*Product, int) {
	p := s.products[s.variantProduct[id]]
	if p == nil {
		return nil, -1
	}
	i := slices.IndexFunc(p.Variants, func(v Variant) bool { return v.ID == id })
	if i < 0 {
		return nil, -1
	}
	return p, i
}

// variantNode is a variant with its inventory item's levels and, if
// withProduct, its product with every variant.
func (s *Server) variantNode(p *Product, v *Variant, withProduct bool) map[string]any {
	total := 0
	levels := []any{}
	for _, loc := range s.itemLocations[v.InventoryItemID] {
		l := s.levels[levelKey{v.InventoryItemID, loc}]
		total += l.Available
		levels = append(levels, map[string]any{
			"updatedAt":  ts(l.UpdatedAt),
			"location":   map[string]any{"id": gid("Location", loc), "legacyResourceId": loc},
			"quantities": []any{map[string]any{"name": "available", "quantity": l.Available}},
		})
	}
	n := map[string]any{
		"id": gid("ProductVariant", v.ID), "legacyResourceId": v.ID, "title": v.Title, "sku": nilIfEmpty(v.SKU),
		"inventoryPolicy": v.InventoryPolicy, "inventoryQuantity": total, "updatedAt": ts(v.UpdatedAt), "inventoryItem": nil,
	}
	if v.InventoryItemID != "" {
		n["inventoryItem"] = map[string]any{"id": gid("InventoryItem", v.InventoryItemID), "legacyResourceId": v.InventoryItemID, "inventoryLevels": map[string]any{"nodes": levels}}
	}
	if withProduct {
		variants := []any{}
		for i := range p.Variants {
			variants = append(variants, s.variantNode(p, &p.Variants[i], false))
		}
		n["product"] = map[string]any{
			"id": gid("Product", p.ID), "legacyResourceId": p.ID, "title": p.Title, "updatedAt": ts(p.UpdatedAt),
			"variants": map[string]any{"nodes": variants},
		}
	}
	return n
}

func (s *Server) productVariantsPage(c Call, vars json.RawMessage) (any, error) {
	var v pollVars
	if err := decodeVars(vars, &v); err != nil {
		return nil, err
	}
	after, err := since(v.Query)
	if err != nil {
		return nil, err
	}
	type pv struct {
		p *Product
		i int
	}
	var list []pv
	for _, p := range s.products {
		for i, vr := range p.Variants {
			if vr.UpdatedAt.After(after) {
				list = append(list, pv{p, i})
			}
		}
	}
	slices.SortFunc(list, func(a, b pv) int { return cmpID(a.p.Variants[a.i].ID, b.p.Variants[b.i].ID) })
	lo, hi, info, err := s.page(c.Query, v.After, len(list))
	if err != nil {
		return nil, err
	}
	nodes := []any{}
	for _, x := range list[lo:hi] {
		nodes = append(nodes, s.variantNode(x.p, &x.p.Variants[x.i], true))
	}
	return map[string]any{"nodes": nodes, "pageInfo": info}, nil
}

func (s *Server) inventoryItem(_ Call, vars json.RawMessage) (any, error) {
	var v struct {
		ID string `json:"id"`
	}
	if err := decodeVars(vars, &v); err != nil {
		return nil, err
	}
	id, err := legacy("InventoryItem", v.ID)
	if err != nil {
		return nil, err
	}
	p, i := s.variant(s.itemVariant[id])
	if p == nil {
		if len(s.itemLocations[id]) == 0 {
			return nil, nil
		}
		// Stocked but no variant of the fake's: levels only.
		return map[string]any{"id": v.ID, "legacyResourceId": id, "variant": nil, "inventoryLevels": s.levelNodes(id)}, nil
	}
	vn := s.variantNode(p, &p.Variants[i], true)
	item := vn["inventoryItem"].(map[string]any)
	return map[string]any{"id": v.ID, "legacyResourceId": id, "variant": vn, "inventoryLevels": item["inventoryLevels"]}, nil
}

func (s *Server) levelNodes(item string) map[string]any {
	nodes := []any{}
	for _, loc := range s.itemLocations[item] {
		l := s.levels[levelKey{item, loc}]
		nodes = append(nodes, map[string]any{
			"updatedAt": ts(l.UpdatedAt), "location": map[string]any{"id": gid("Location", loc), "legacyResourceId": loc},
			"quantities": []any{map[string]any{"name": "available", "quantity": l.Available}},
		})
	}
	return map[string]any{"nodes": nodes}
}
