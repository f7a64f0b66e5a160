package shopify

import (
	"context"
	"slices"
	"strings"

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
