package shopify

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/backorderd/backorderd/integrations/payload"
	"github.com/backorderd/backorderd/integrations/storeapi"
)

// Polling recovers what missed webhooks would have said: each order and
// variant changed since a watermark is shaped as the REST body of the
// webhook that would have carried it, for the package's own decoders to
// read through the same inbox.

// orderLineFields are what decodeOrder reads of a line item.
const orderLineFields = `id name title sku quantity currentQuantity unfulfilledQuantity
          variant { legacyResourceId }
          product { legacyResourceId }`

// changedOrdersQuery asks for 10 orders of up to 25 lines each, under
// Shopify's 1,000-point cap on one query's cost (each line costs 3: the
// line, its variant and its product); orders with more lines are read
// on with orderLinesQuery.
const changedOrdersQuery = `query ChangedOrders($query: String!, $after: String) {
  orders(first: 10, after: $after, sortKey: UPDATED_AT, query: $query) {
    nodes {
      id legacyResourceId name email phone createdAt updatedAt cancelledAt
      displayFinancialStatus displayFulfillmentStatus
      customer { legacyResourceId firstName lastName defaultEmailAddress { emailAddress } defaultPhoneNumber { phoneNumber } }
      shippingLine { title }
      lineItems(first: 25) {
        nodes { ` + orderLineFields + ` }
        pageInfo { hasNextPage endCursor }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}`

const orderLinesQuery = `query OrderLineItems($id: ID!, $after: String) {
  order(id: $id) {
    lineItems(first: 100, after: $after) {
      nodes { ` + orderLineFields + ` }
      pageInfo { hasNextPage endCursor }
    }
  }
}`

// gqlOrder is an orders node.
type gqlOrder struct {
	ID                string  `json:"id"`
	LegacyResourceID  string  `json:"legacyResourceId"`
	Name              string  `json:"name"`
	Email             *string `json:"email"`
	Phone             *string `json:"phone"`
	CreatedAt         string  `json:"createdAt"`
	UpdatedAt         string  `json:"updatedAt"`
	CancelledAt       *string `json:"cancelledAt"`
	FinancialStatus   string  `json:"displayFinancialStatus"`
	FulfillmentStatus string  `json:"displayFulfillmentStatus"`
	Customer          *struct {
		LegacyResourceID string  `json:"legacyResourceId"`
		FirstName        *string `json:"firstName"`
		LastName         *string `json:"lastName"`
		Email            *struct {
			EmailAddress string `json:"emailAddress"`
		} `json:"defaultEmailAddress"`
		Phone *struct {
			PhoneNumber string `json:"phoneNumber"`
		} `json:"defaultPhoneNumber"`
	} `json:"customer"`
	ShippingLine *struct {
		Title string `json:"title"`
	} `json:"shippingLine"`
	LineItems gqlLines `json:"lineItems"`
}

// gqlLines is a page of an order's line items.
type gqlLines struct {
	Nodes    []gqlLine `json:"nodes"`
	PageInfo pageInfo  `json:"pageInfo"`
}

type gqlLine struct {
	ID                  string     `json:"id"`
	Name                string     `json:"name"`
	Title               string     `json:"title"`
	SKU                 *string    `json:"sku"`
	Quantity            int        `json:"quantity"`
	CurrentQuantity     int        `json:"currentQuantity"`
	UnfulfilledQuantity int        `json:"unfulfilledQuantity"`
	Variant             *legacyRef `json:"variant"`
	Product             *legacyRef `json:"product"`
}

type legacyRef struct {
	LegacyResourceID string `json:"legacyResourceId"`
}

// Changes calls fn with every order, then every variant's product and
// stock levels, that Shopify changed after since, oldest order first. An
// error from fn stops the walk and is returned. Without the
// read_all_orders scope Shopify shows orders of the last 60 days only.
func (c *Client) Changes(ctx context.Context, since time.Time, fn func(storeapi.Change) error) error {
	filter := "updated_at:>'" + since.UTC().Format(time.RFC3339) + "'"
	if err := c.changedOrders(ctx, filter, fn); err != nil {
		return err
	}
	return c.changedVariants(ctx, filter, fn)
}

func (c *Client) changedOrders(ctx context.Context, filter string, fn func(storeapi.Change) error) error {
	var after *string
	for {
		var data struct {
			Orders struct {
				Nodes    []gqlOrder `json:"nodes"`
				PageInfo pageInfo   `json:"pageInfo"`
			} `json:"orders"`
		}
		if err := c.do(ctx, "orders", changedOrdersQuery, map[string]any{"query": filter, "after": after}, &data); err != nil {
			return err
		}
		for _, o := range data.Orders.Nodes {
			if err := c.restOfLines(ctx, &o); err != nil {
				return err
			}
			ch, err := orderChange(o)
			if err != nil {
				return err
			}
			if err := fn(ch); err != nil {
				return fmt.Errorf("feed order %s: %w", o.LegacyResourceID, err)
			}
		}
		p := data.Orders.PageInfo
		if !p.HasNextPage {
			return nil
		}
		after = &p.EndCursor
	}
}

// restOfLines reads the order's lines past the first page: a body short
// of lines would tell the decoder they were removed.
func (c *Client) restOfLines(ctx context.Context, o *gqlOrder) error {
	for p := o.LineItems.PageInfo; p.HasNextPage; {
		var data struct {
			Order *struct {
				LineItems gqlLines `json:"lineItems"`
			} `json:"order"`
		}
		if err := c.do(ctx, "order", orderLinesQuery, map[string]any{"id": o.ID, "after": p.EndCursor}, &data); err != nil {
			return err
		}
		if data.Order == nil {
			return notFound("order", "order", o.LegacyResourceID)
		}
		o.LineItems.Nodes = append(o.LineItems.Nodes, data.Order.LineItems.Nodes...)
		p = data.Order.LineItems.PageInfo
	}
	return nil
}

// restOrder is the REST order of the orders/* webhooks, with the fields
// decodeOrder reads.
type restOrder struct {
	ID                json.Number    `json:"id"`
	Name              string         `json:"name"`
	Email             *string        `json:"email"`
	Phone             *string        `json:"phone"`
	CreatedAt         string         `json:"created_at"`
	UpdatedAt         string         `json:"updated_at"`
	CancelledAt       *string        `json:"cancelled_at"`
	FinancialStatus   string         `json:"financial_status"`
	FulfillmentStatus *string        `json:"fulfillment_status"`
	Customer          *restCustomer  `json:"customer"`
	ShippingLines     []restShipping `json:"shipping_lines"`
	LineItems         []restLineItem `json:"line_items"`
}

type restCustomer struct {
	ID        json.Number `json:"id"`
	Email     string      `json:"email,omitempty"`
	FirstName string      `json:"first_name,omitempty"`
	LastName  string      `json:"last_name,omitempty"`
	Phone     string      `json:"phone,omitempty"`
}

type restShipping struct {
	Title string `json:"title"`
}

type restLineItem struct {
	ID                  json.Number  `json:"id"`
	VariantID           *json.Number `json:"variant_id"`
	ProductID           *json.Number `json:"product_id"`
	SKU                 *string      `json:"sku"`
	Name                string       `json:"name"`
	Title               string       `json:"title"`
	Quantity            int          `json:"quantity"`
	CurrentQuantity     int          `json:"current_quantity"`
	FulfillableQuantity int          `json:"fulfillable_quantity"`
}

// orderChange is an orders node as an orders/updated delivery: a
// cancelled order is orders/updated with cancelled_at set, which the
// decoder reads as cancelled.
func orderChange(o gqlOrder) (storeapi.Change, error) {
	updated, err := time.Parse(time.RFC3339, o.UpdatedAt)
	if err != nil {
		return storeapi.Change{}, &storeapi.Error{Op: "orders", StatusCode: 200, Message: fmt.Sprintf("order %s: updatedAt %q: %v", o.LegacyResourceID, o.UpdatedAt, err)}
	}
	body := restOrder{
		ID: json.Number(o.LegacyResourceID), Name: o.Name, Email: o.Email, Phone: o.Phone,
		CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt, CancelledAt: o.CancelledAt,
		FinancialStatus:   strings.ToLower(o.FinancialStatus),
		FulfillmentStatus: restFulfillmentStatus(o.FulfillmentStatus),
		ShippingLines:     []restShipping{},
		LineItems:         []restLineItem{},
	}
	if cu := o.Customer; cu != nil {
		rc := &restCustomer{ID: json.Number(cu.LegacyResourceID)}
		if cu.FirstName != nil {
			rc.FirstName = *cu.FirstName
		}
		if cu.LastName != nil {
			rc.LastName = *cu.LastName
		}
		if cu.Email != nil {
			rc.Email = cu.Email.EmailAddress
		}
		if cu.Phone != nil {
			rc.Phone = cu.Phone.PhoneNumber
		}
		body.Customer = rc
	}
	if o.ShippingLine != nil {
		body.ShippingLines = append(body.ShippingLines, restShipping{Title: o.ShippingLine.Title})
	}
	for _, li := range o.LineItems.Nodes {
		rl := restLineItem{
			ID: json.Number(legacyID(li.ID)), SKU: li.SKU, Name: li.Name, Title: li.Title,
			Quantity: li.Quantity, CurrentQuantity: li.CurrentQuantity, FulfillableQuantity: li.UnfulfilledQuantity,
		}
		if li.Variant != nil {
			v := json.Number(li.Variant.LegacyResourceID)
			rl.VariantID = &v
		}
		if li.Product != nil {
			p := json.Number(li.Product.LegacyResourceID)
			rl.ProductID = &p
		}
		body.LineItems = append(body.LineItems, rl)
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return storeapi.Change{}, fmt.Errorf("encode order %s: %w", o.LegacyResourceID, err)
	}
	return storeapi.Change{
		Topic: "orders/updated", Body: raw, UpdatedAt: updated.UTC(),
		DedupeKey: "poll:orders/updated:" + o.LegacyResourceID + ":" + updated.UTC().Format(time.RFC3339Nano) + ":" + stateHash(raw),
	}, nil
}

// restFulfillmentStatus is displayFulfillmentStatus in REST's words:
// fulfilled, partial, restocked, or null for the rest.
func restFulfillmentStatus(s string) *string {
	words := map[string]string{"FULFILLED": "fulfilled", "PARTIALLY_FULFILLED": "partial", "RESTOCKED": "restocked"}
	if w, ok := words[s]; ok {
		return &w
	}
	return nil
}

// stateHash names a polled body's content in its dedupe key: Shopify's
// updatedAt has whole seconds, and two states of one resource within a
// second must not be taken for one.
func stateHash(body []byte) string { return payload.Hash(body)[:16] }
