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
		{"fulfillmentOrder", false, (*Server).fulfillmentOrderQuery},
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

// paging is one connection's page in a request: how many nodes the
// query asks for and after which cursor. A connection the query does not
// page (or does not name) is answered whole.
type paging struct {
	first, offset int
}

// pagingOf reads conn's first: from the query text and, when the query
// passes $after to conn, the cursor in after (the index of the next node,
// as the fake gives it).
func pagingOf(query, conn string, after *string) (paging, error) {
	re := regexp.MustCompile(`\b` + conn + `\(\s*first:\s*(\d+)(\s*,\s*after:\s*\$after)?`)
	m := re.FindStringSubmatch(query)
	if m == nil {
		return paging{first: -1}, nil
	}
	pg := paging{}
	pg.first, _ = strconv.Atoi(m[1])
	if pg.first < 1 || pg.first > 250 {
		return pg, fmt.Errorf("%s(first: %d): want 1..250", conn, pg.first)
	}
	if m[2] != "" && after != nil {
		i, err := strconv.Atoi(strings.TrimPrefix(*after, "cursor:"))
		if err != nil || !strings.HasPrefix(*after, "cursor:") || i < 0 {
			return pg, fmt.Errorf("after %q is not a cursor the fake gave", *after)
		}
		pg.offset = i
	}
	return pg, nil
}

// window is the page's range of n nodes, capped at size when size > 0,
// and its pageInfo.
func (pg paging) window(n, size int) (lo, hi int, info map[string]any) {
	first := pg.first
	if first < 0 {
		first = n
	}
	if size > 0 {
		first = min(first, size)
	}
	lo = min(pg.offset, n)
	hi = min(lo+first, n)
	return lo, hi, map[string]any{"hasNextPage": hi < n, "endCursor": "cursor:" + strconv.Itoa(hi)}
}

// connection is nodes paged as the query asks for conn.
func connection(query, conn string, after *string, nodes []any) (map[string]any, error) {
	pg, err := pagingOf(query, conn, after)
	if err != nil {
		return nil, err
	}
	lo, hi, info := pg.window(len(nodes), 0)
	return map[string]any{"nodes": nodes[lo:hi], "pageInfo": info}, nil
}

// page is a top-level list's page of n nodes: it must name first:, and
// PageSize caps it.
func (s *Server) page(query, conn string, after *string, n int) (lo, hi int, info map[string]any, err error) {
	pg, err := pagingOf(query, conn, after)
	if err != nil {
		return 0, 0, nil, err
	}
	if pg.first < 0 {
		return 0, 0, nil, fmt.Errorf("%s: want first: and after: $after", conn)
	}
	lo, hi, info = pg.window(n, s.PageSize)
	return lo, hi, info, nil
}

func (s *Server) webhookSubscriptions(c Call, vars json.RawMessage) (any, error) {
	var v struct {
		After *string `json:"after"`
	}
	if err := decodeVars(vars, &v); err != nil {
		return nil, err
	}
	lo, hi, info, err := s.page(c.Query, "webhookSubscriptions", v.After, len(s.subs))
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
	lo, hi, info, err := s.page(c.Query, "orders", v.After, len(list))
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
	lo, hi, info, err := s.page(c.Query, "productVariants", v.After, len(list))
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
