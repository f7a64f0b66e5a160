package woocommerce

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/backorderd/backorderd/integrations/payload"
	"github.com/backorderd/backorderd/integrations/storeapi"
)

// polled is what Changes reads of a resource to name its Change.
type polled struct {
	ID              payload.ID `json:"id"`
	Type            string     `json:"type"`
	DateModifiedGMT string     `json:"date_modified_gmt"`
}

// Changes hands fn every order, then every product and variation, the
// store changed after since, as the order.updated or product.updated
// delivery that would carry it: WooCommerce's webhook body is the REST GET
// of the resource, which is what the lists return.
//
// A variation is a product of its own to WooCommerce's webhooks
// (product.updated with type "variation" and parent_id, the body of GET
// products/{variation id}), and changing one need not touch its parent's
// date_modified: so every variable product's variations are asked for
// what changed since, and each changed one is read as its webhook would
// carry it.
func (c *Client) Changes(ctx context.Context, since time.Time, fn func(storeapi.Change) error) error {
	// modified_after is sent without a zone designator and read as GMT
	// (dates_are_gmt): WordPress's date query would read a zone's offset
	// into the site's time zone.
	changed := url.Values{
		"modified_after": {since.UTC().Format(gmtLayout)}, "dates_are_gmt": {"true"},
		"orderby": {"modified"}, "order": {"asc"},
	}
	if err := c.list(ctx, "orders", changed, emit("order", "order.updated", fn)); err != nil {
		return fmt.Errorf("poll orders: %w", err)
	}
	var variable []string
	products := emit("product", "product.updated", fn)
	if err := c.list(ctx, "products", changed, products); err != nil {
		return fmt.Errorf("poll products: %w", err)
	}
	err := c.list(ctx, "products", url.Values{"type": {"variable"}, "orderby": {"id"}, "order": {"asc"}}, func(raw json.RawMessage) error {
		var p polled
		if err := json.Unmarshal(raw, &p); err != nil {
			return &storeapi.Error{Op: "GET products", Message: "decode product: " + err.Error()}
		}
		variable = append(variable, string(p.ID))
		return nil
	})
	if err != nil {
		return fmt.Errorf("list variable products: %w", err)
	}
	for _, parent := range variable {
		err := c.list(ctx, "products/"+parent+"/variations", changed, func(raw json.RawMessage) error {
			var v polled
			if err := json.Unmarshal(raw, &v); err != nil {
				return &storeapi.Error{Op: "GET products/" + parent + "/variations", Message: "decode variation: " + err.Error()}
			}
			ch, err := c.Resolve(ctx, string(v.ID))
			if err != nil {
				return err
			}
			return fn(ch)
		})
		if err != nil {
			return fmt.Errorf("poll variations of product %s: %w", parent, err)
		}
	}
	return nil
}

// emit turns each raw resource of a list into its Change for fn.
func emit(kind, topic string, fn func(storeapi.Change) error) func(json.RawMessage) error {
	return func(raw json.RawMessage) error {
		ch, err := change(kind, topic, raw)
		if err != nil {
			return err
		}
		return fn(ch)
	}
}

// change names one resource's state: its topic, its body as the store
// sent it, a dedupe key that is the same for the same state, and when it
// last changed (date_modified_gmt, UTC without a zone).
func change(kind, topic string, body []byte) (storeapi.Change, error) {
	var p polled
	if err := json.Unmarshal(body, &p); err != nil || p.ID == "" {
		return storeapi.Change{}, &storeapi.Error{Op: "poll " + kind, StatusCode: http.StatusOK, Message: fmt.Sprintf("%s without an id: %.80s", kind, body)}
	}
	at, err := payload.ParseTime(topic, "date_modified_gmt", p.DateModifiedGMT, gmtLayout, time.RFC3339)
	if err != nil {
		return storeapi.Change{}, &storeapi.Error{Op: "poll " + kind, StatusCode: http.StatusOK, Message: err.Error()}
	}
	return storeapi.Change{
		Topic: topic, Body: body, UpdatedAt: at,
		DedupeKey: "poll:" + kind + ":" + string(p.ID) + ":" + payload.Hash(body),
	}, nil
}

// Resolve reads the product or variation stockKey (WooCommerce's stock key
// is the item's own id) as the product.updated delivery that would carry
// it, for an item a delivery named that backorderd does not know.
func (c *Client) Resolve(ctx context.Context, stockKey string) (storeapi.Change, error) {
	if _, err := strconv.ParseUint(stockKey, 10, 64); err != nil {
		return storeapi.Change{}, &storeapi.Error{Op: "resolve item", Message: fmt.Sprintf("stock key %q is not a product id", stockKey)}
	}
	ans, err := c.call(ctx, http.MethodGet, "products/"+stockKey, nil, nil, nil)
	if err != nil {
		return storeapi.Change{}, fmt.Errorf("resolve item %s: %w", stockKey, err)
	}
	return change("product", "product.updated", ans.body)
}
