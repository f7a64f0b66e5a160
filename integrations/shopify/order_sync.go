package shopify

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/backorderd/backorderd/integrations/storeapi"
)

// Names backorderd writes under in the shop.
const (
	// BackorderTag is the order tag while a line waits.
	BackorderTag = "backordered"
	// HoldHandle names backorderd's fulfillment holds among an order's.
	HoldHandle = "backorderd"
	// MetafieldNamespace and MetafieldKey name the order's ETA metafield.
	MetafieldNamespace = "backorderd"
	MetafieldKey       = "eta"
)

// foFields are what SyncOrder reads of a fulfillment order. Five of them
// with 50 lines each keep the read near 530 of the 1,000 points one query
// may cost; more are read on with the paging queries below.
const foFields = `id
        status
        fulfillmentHolds { id handle heldByRequestingApp }
        lineItems(first: 50) { nodes { lineItem { id } } pageInfo { hasNextPage endCursor } }`

const orderStateQuery = `query OrderState($id: ID!) {
  order(id: $id) {
    id
    tags
    note
    metafield(namespace: "backorderd", key: "eta") { id value }
    fulfillmentOrders(first: 5) {
      nodes { ` + foFields + ` }
      pageInfo { hasNextPage endCursor }
    }
  }
}`

const moreFulfillmentOrdersQuery = `query OrderFulfillmentOrders($id: ID!, $after: String) {
  order(id: $id) {
    fulfillmentOrders(first: 5, after: $after) {
      nodes { ` + foFields + ` }
      pageInfo { hasNextPage endCursor }
    }
  }
}`

const moreFOLinesQuery = `query FulfillmentOrderLineItems($id: ID!, $after: String) {
  fulfillmentOrder(id: $id) {
    lineItems(first: 100, after: $after) { nodes { lineItem { id } } pageInfo { hasNextPage endCursor } }
  }
}`

// orderState is what SyncOrder reads of an order.
type orderState struct {
	ID        string   `json:"id"`
	Tags      []string `json:"tags"`
	Note      *string  `json:"note"`
	Metafield *struct {
		ID    string `json:"id"`
		Value string `json:"value"`
	} `json:"metafield"`
	FulfillmentOrders foPage `json:"fulfillmentOrders"`
}

// foPage is a page of an order's fulfillment orders.
type foPage struct {
	Nodes    []fulfillmentOrder `json:"nodes"`
	PageInfo pageInfo           `json:"pageInfo"`
}

type fulfillmentOrder struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Holds  []struct {
		ID     string `json:"id"`
		Handle string `json:"handle"`
		Mine   bool   `json:"heldByRequestingApp"`
	} `json:"fulfillmentHolds"`
	LineItems foLines `json:"lineItems"`
}

// foLines is a page of a fulfillment order's lines.
type foLines struct {
	Nodes    []foLineItem `json:"nodes"`
	PageInfo pageInfo     `json:"pageInfo"`
}

// foLineItem is a fulfillment order's line: the order line it ships.
type foLineItem struct {
	LineItem struct {
		ID string `json:"id"`
	} `json:"lineItem"`
}

// readOrderState reads the order with all its fulfillment orders and all
// their lines: deciding on a part would hold or release wrongly. nil: no
// such order.
func (c *Client) readOrderState(ctx context.Context, orderID string) (*orderState, error) {
	var data struct {
		Order *orderState `json:"order"`
	}
	if err := c.do(ctx, "order", orderStateQuery, map[string]any{"id": gid("Order", orderID)}, &data); err != nil {
		return nil, err
	}
	st := data.Order
	if st == nil {
		return nil, nil
	}
	for p := st.FulfillmentOrders.PageInfo; p.HasNextPage; {
		var more struct {
			Order *struct {
				FulfillmentOrders foPage `json:"fulfillmentOrders"`
			} `json:"order"`
		}
		if err := c.do(ctx, "order", moreFulfillmentOrdersQuery, map[string]any{"id": st.ID, "after": p.EndCursor}, &more); err != nil {
			return nil, err
		}
		if more.Order == nil {
			return nil, nil
		}
		st.FulfillmentOrders.Nodes = append(st.FulfillmentOrders.Nodes, more.Order.FulfillmentOrders.Nodes...)
		p = more.Order.FulfillmentOrders.PageInfo
	}
	for i := range st.FulfillmentOrders.Nodes {
		fo := &st.FulfillmentOrders.Nodes[i]
		for p := fo.LineItems.PageInfo; p.HasNextPage; {
			var more struct {
				FO *struct {
					LineItems foLines `json:"lineItems"`
				} `json:"fulfillmentOrder"`
			}
			if err := c.do(ctx, "fulfillmentOrder", moreFOLinesQuery, map[string]any{"id": fo.ID, "after": p.EndCursor}, &more); err != nil {
				return nil, err
			}
			if more.FO == nil {
				return nil, notFound("fulfillmentOrder", "fulfillment order", fo.ID)
			}
			fo.LineItems.Nodes = append(fo.LineItems.Nodes, more.FO.LineItems.Nodes...)
			p = more.FO.LineItems.PageInfo
		}
	}
	return st, nil
}

// SyncOrder makes the order in Shopify show what backorderd knows of it,
// for the writes the shop wants: the backordered tag while a line waits,
// a fulfillment hold on each fulfillment order with a waiting line
// (released once none waits), and the lines' ETAs in the backorderd.eta
// metafield and in backorderd's block of the order note. It reads the
// order once and sends only the writes that differ, so the same Order
// written twice sends no mutation the second time.
func (c *Client) SyncOrder(ctx context.Context, o storeapi.Order, w storeapi.OrderWrites) error {
	if o.OrderID == "" {
		return invalid("order", "order has no id")
	}
	st, err := c.readOrderState(ctx, o.OrderID)
	if err != nil {
		return err
	}
	if st == nil {
		return notFound("order", "order", o.OrderID)
	}
	if w.Tag {
		if err := c.syncTag(ctx, st, o.Waiting()); err != nil {
			return err
		}
	}
	if w.Hold {
		if err := c.syncHolds(ctx, st, o); err != nil {
			return err
		}
	}
	if w.ETA {
		if err := c.syncMetafield(ctx, st, o); err != nil {
			return err
		}
		if err := c.syncNote(ctx, st, o); err != nil {
			return err
		}
	}
	return nil
}

const tagsAddMutation = `mutation TagsAdd($id: ID!, $tags: [String!]!) {
  tagsAdd(id: $id, tags: $tags) { node { id } userErrors { field message } }
}`

const tagsRemoveMutation = `mutation TagsRemove($id: ID!, $tags: [String!]!) {
  tagsRemove(id: $id, tags: $tags) { node { id } userErrors { field message } }
}`

func (c *Client) syncTag(ctx context.Context, st *orderState, waiting bool) error {
	has := slices.ContainsFunc(st.Tags, func(t string) bool { return strings.EqualFold(strings.TrimSpace(t), BackorderTag) })
	op, mutation := "tagsAdd", tagsAddMutation
	switch {
	case waiting == has:
		return nil
	case has:
		op, mutation = "tagsRemove", tagsRemoveMutation
	}
	var res map[string]struct {
		UserErrors []userError `json:"userErrors"`
	}
	if err := c.do(ctx, op, mutation, map[string]any{"id": st.ID, "tags": []string{BackorderTag}}, &res); err != nil {
		return err
	}
	return userErrors(op, res[op].UserErrors)
}

const holdMutation = `mutation FulfillmentOrderHold($id: ID!, $fulfillmentHold: FulfillmentOrderHoldInput!) {
  fulfillmentOrderHold(id: $id, fulfillmentHold: $fulfillmentHold) {
    fulfillmentHold { id }
    userErrors { field message code }
  }
}`

const releaseMutation = `mutation FulfillmentOrderReleaseHold($id: ID!, $holdIds: [ID!]) {
  fulfillmentOrderReleaseHold(id: $id, holdIds: $holdIds) {
    fulfillmentOrder { id }
    userErrors { field message code }
  }
}`

// syncHolds holds each open fulfillment order with a waiting line that
// backorderd does not hold yet (another app's hold does not stop it), and
// releases backorderd's holds (only those) on held fulfillment orders
// with no waiting line.
func (c *Client) syncHolds(ctx context.Context, st *orderState, o storeapi.Order) error {
	waiting := map[string]bool{}
	for _, l := range o.WaitingLines() {
		waiting[l.LineID] = true
	}
	for _, fo := range st.FulfillmentOrders.Nodes {
		var mine []string
		for _, h := range fo.Holds {
			if h.Mine && h.Handle == HoldHandle {
				mine = append(mine, h.ID)
			}
		}
		hasWaiting := slices.ContainsFunc(fo.LineItems.Nodes, func(n foLineItem) bool {
			return waiting[legacyID(n.LineItem.ID)]
		})
		switch {
		case hasWaiting && len(mine) == 0 && (fo.Status == "OPEN" || fo.Status == "ON_HOLD"):
			if err := c.hold(ctx, fo.ID, holdNotes(o)); err != nil {
				return err
			}
		case !hasWaiting && len(mine) > 0 && fo.Status == "ON_HOLD":
			// A closed or cancelled fulfillment order cannot be released,
			// and ships nothing anyway.
			if err := c.release(ctx, fo.ID, mine); err != nil {
				return err
			}
		}
	}
	return nil
}

// holdNotes tells the merchant why the fulfillment order is held.
func holdNotes(o storeapi.Order) string {
	units := 0
	for _, l := range o.WaitingLines() {
		units += l.Waiting
	}
	return "backorderd: " + itoa(units) + " unit(s) waiting for stock; released when allocated"
}

func (c *Client) hold(ctx context.Context, foID, notes string) error {
	const op = "fulfillmentOrderHold"
	var res struct {
		R struct {
			UserErrors []userError `json:"userErrors"`
		} `json:"fulfillmentOrderHold"`
	}
	vars := map[string]any{"id": foID, "fulfillmentHold": map[string]any{
		"reason": "INVENTORY_OUT_OF_STOCK", "reasonNotes": notes, "handle": HoldHandle,
	}}
	if err := c.do(ctx, op, holdMutation, vars, &res); err != nil {
		return err
	}
	return userErrors(op, res.R.UserErrors)
}

func (c *Client) release(ctx context.Context, foID string, holdIDs []string) error {
	const op = "fulfillmentOrderReleaseHold"
	var res struct {
		R struct {
			UserErrors []userError `json:"userErrors"`
		} `json:"fulfillmentOrderReleaseHold"`
	}
	if err := c.do(ctx, op, releaseMutation, map[string]any{"id": foID, "holdIds": holdIDs}, &res); err != nil {
		return err
	}
	return userErrors(op, res.R.UserErrors)
}

// etaLine is one waiting line in the backorderd.eta metafield: a stable
// shape for the merchant's themes and flows to read.
type etaLine struct {
	LineID  string `json:"line_id"`
	SKU     string `json:"sku"`
	Waiting int    `json:"waiting"`
	ETA     string `json:"eta"` // YYYY-MM-DD, "" when unknown
	Kind    string `json:"kind"`
}

// etaValue is the metafield's JSON for the order's waiting lines; "" when
// none waits.
func etaValue(o storeapi.Order) string {
	lines := o.WaitingLines()
	if len(lines) == 0 {
		return ""
	}
	out := make([]etaLine, 0, len(lines))
	for _, l := range lines {
		e := etaLine{LineID: l.LineID, SKU: l.SKU, Waiting: l.Waiting, Kind: l.ETAKind}
		if l.ETA != nil {
			e.ETA = l.ETA.UTC().Format(time.DateOnly)
		}
		out = append(out, e)
	}
	b, _ := json.Marshal(out) // a slice of plain structs always encodes
	return string(b)
}

// sameJSON reports whether two JSON texts hold the same value, however
// Shopify respaced or reordered them.
func sameJSON(a, b string) bool {
	var va, vb any
	if json.Unmarshal([]byte(a), &va) != nil || json.Unmarshal([]byte(b), &vb) != nil {
		return a == b
	}
	ja, _ := json.Marshal(va)
	jb, _ := json.Marshal(vb)
	return bytes.Equal(ja, jb)
}

const metafieldsSetMutation = `mutation MetafieldsSet($metafields: [MetafieldsSetInput!]!) {
  metafieldsSet(metafields: $metafields) { metafields { id } userErrors { field message code } }
}`

const metafieldsDeleteMutation = `mutation MetafieldsDelete($metafields: [MetafieldIdentifierInput!]!) {
  metafieldsDelete(metafields: $metafields) { deletedMetafields { key } userErrors { field message } }
}`

// syncMetafield sets backorderd.eta to the waiting lines, or deletes it
// once none waits.
func (c *Client) syncMetafield(ctx context.Context, st *orderState, o storeapi.Order) error {
	want := etaValue(o)
	switch {
	case want == "" && st.Metafield == nil:
		return nil
	case want != "" && st.Metafield != nil && sameJSON(st.Metafield.Value, want):
		return nil
	}
	ident := map[string]any{"ownerId": st.ID, "namespace": MetafieldNamespace, "key": MetafieldKey}
	op, mutation := "metafieldsSet", metafieldsSetMutation
	if want == "" {
		op, mutation = "metafieldsDelete", metafieldsDeleteMutation
	} else {
		ident["type"], ident["value"] = "json", want
	}
	var res map[string]struct {
		UserErrors []userError `json:"userErrors"`
	}
	if err := c.do(ctx, op, mutation, map[string]any{"metafields": []map[string]any{ident}}, &res); err != nil {
		return err
	}
	return userErrors(op, res[op].UserErrors)
}

const orderUpdateMutation = `mutation OrderUpdate($input: OrderInput!) {
  orderUpdate(input: $input) { order { id } userErrors { field message } }
}`

// syncNote writes backorderd's block of the order note, keeping the
// merchant's own text.
func (c *Client) syncNote(ctx context.Context, st *orderState, o storeapi.Order) error {
	const op = "orderUpdate"
	current := ""
	if st.Note != nil {
		current = *st.Note
	}
	want := withNoteBlock(current, o.Note())
	if want == current {
		return nil
	}
	var res struct {
		R struct {
			UserErrors []userError `json:"userErrors"`
		} `json:"orderUpdate"`
	}
	if err := c.do(ctx, op, orderUpdateMutation, map[string]any{"input": map[string]any{"id": st.ID, "note": want}}, &res); err != nil {
		return err
	}
	return userErrors(op, res.R.UserErrors)
}

// noteBlockStarts are how storeapi.Order.Note's text begins: backorderd's
// block runs from a line starting so to the next blank line.
var noteBlockStarts = []string{"Backordered (backorderd):", "Backorder allocated (backorderd):"}

// withNoteBlock is note with backorderd's block replaced by block (added
// after a blank line when there is none): the merchant's text before and
// after it is kept as it was.
func withNoteBlock(note, block string) string {
	lines := strings.Split(note, "\n")
	start := slices.IndexFunc(lines, func(l string) bool {
		return slices.ContainsFunc(noteBlockStarts, func(p string) bool { return strings.HasPrefix(l, p) })
	})
	if start < 0 {
		if strings.TrimSpace(note) == "" {
			return block
		}
		return strings.TrimRight(note, "\n ") + "\n\n" + block
	}
	end := start + 1
	for end < len(lines) && strings.TrimSpace(lines[end]) != "" {
		end++
	}
	out := slices.Concat(lines[:start], strings.Split(block, "\n"), lines[end:])
	return strings.Join(out, "\n")
}
