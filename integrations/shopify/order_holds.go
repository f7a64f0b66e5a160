package shopify

import (
	"context"
	"slices"
	"strconv"

	"github.com/backorderd/backorderd/integrations/storeapi"
)

// Fulfillment holds keep Shopify (and the merchant's fulfillment apps)
// from shipping a fulfillment order while one of its lines waits.

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
	return "backorderd: " + strconv.Itoa(units) + " unit(s) waiting for stock; released when allocated"
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
