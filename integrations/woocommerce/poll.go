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
	if err := c.listChanged(ctx, "orders", since, emit("order", "order.updated", fn)); err != nil {
		return fmt.Errorf("poll orders: %w", err)
	}
	var variable []string
	products := emit("product", "product.updated", fn)
	if err := c.listChanged(ctx, "products", since, products); err != nil {
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
		err := c.listChanged(ctx, "products/"+parent+"/variations", since, func(raw json.RawMessage) error {
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

// listChanged hands fn each resource of path modified after since, oldest
// change first. It walks by time, not by page number: a resource modified
// during the walk moves to the end of the list, and a walk by page number
// would skip the one that slid back into a page already read (its time
// then below the watermark for good). Each query asks for what changed
// after the latest time read less a second (the API's precision), and a
// state read already is skipped; a page that brings nothing new is asked
// for again larger (up to 100), and only more than 100 resources within
// one second are paged by number. It ends at a page that is not full, or
// at the last page X-WP-TotalPages names.
func (c *Client) listChanged(ctx context.Context, path string, since time.Time, fn func(json.RawMessage) error) error {
	cursor, page, size := since.UTC(), 1, c.perPage()
	seen := map[string]string{} // id → date_modified_gmt handed on
	for {
		q := url.Values{
			"modified_after": {cursor.Format(gmtLayout)}, "dates_are_gmt": {"true"},
			"orderby": {"modified"}, "order": {"asc"},
			"per_page": {strconv.Itoa(size)}, "page": {strconv.Itoa(page)},
		}
		var items []json.RawMessage
		ans, err := c.call(ctx, http.MethodGet, path, q, nil, &items)
		if err != nil {
			return err
		}
		latest, fresh := cursor, false
		for _, raw := range items {
			var p polled
			if err := json.Unmarshal(raw, &p); err != nil || p.ID == "" {
				return &storeapi.Error{Op: "GET " + path, StatusCode: http.StatusOK, Message: fmt.Sprintf("a resource without an id: %.80s", raw)}
			}
			at, err := payload.ParseTime(path, "date_modified_gmt", p.DateModifiedGMT, gmtLayout, time.RFC3339)
			if err != nil {
				return &storeapi.Error{Op: "GET " + path, StatusCode: http.StatusOK, Message: err.Error()}
			}
			if at.After(latest) {
				latest = at
			}
			if seen[string(p.ID)] == p.DateModifiedGMT {
				continue
			}
			seen[string(p.ID)], fresh = p.DateModifiedGMT, true
			if err := fn(raw); err != nil {
				return err
			}
		}
		if len(items) < size || (ans.totalPages > 0 && page >= ans.totalPages) {
			return nil
		}
		switch next := latest.Add(-time.Second); {
		case fresh && next.After(cursor):
			cursor, page = next, 1
		case size < maxPerPage:
			size = min(2*size, maxPerPage) // nothing new in the page: a larger one
		default:
			page++ // more than a full page within one second: the next by number
		}
	}
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
