package simulate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// admin reads the instance's admin API (docs/api.md): bearer token,
// lists paged newest first by a cursor.
type admin struct {
	base, token, shop string
	client            *http.Client
	// emailFloor is the newest email id before the run sent anything: the
	// run's rows are above it, so no scan reads further.
	emailFloor int64
}

// errNotFound is the API's 404: an item not described yet.
var errNotFound = errors.New("not found")

// get reads path with query into out.
func (a *admin) get(ctx context.Context, path string, query url.Values, out any) error {
	_, err := a.do(ctx, http.MethodGet, path, query, nil, out, http.StatusOK)
	return err
}

// do sends a request with body (JSON; nil for none) and decodes the
// answer into out when its status is one of ok, which it returns. A 404
// is errNotFound; any other status an error with the API's message.
func (a *admin) do(ctx context.Context, method, path string, query url.Values, body, out any, ok ...int) (int, error) {
	u := strings.TrimRight(a.base, "/") + path + "?" + query.Encode()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, fmt.Errorf("encode %s %s: %w", method, path, err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, r)
	if err != nil {
		return 0, fmt.Errorf("build admin request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", strings.ToLower(method), path, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound:
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, errNotFound
	case !slices.Contains(ok, resp.StatusCode):
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return resp.StatusCode, fmt.Errorf("%s %s: %s: %s", strings.ToLower(method), path, resp.Status, strings.TrimSpace(string(b)))
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return resp.StatusCode, fmt.Errorf("decode %s: %w", path, err)
	}
	return resp.StatusCode, nil
}

// itemView is the part of GET /api/v1/items/{id} the simulator reads.
type itemView struct {
	ItemID string `json:"item_id"`
	Levels []struct {
		Available *int `json:"available"`
	} `json:"levels"`
	Settling bool `json:"settling"` // facts waiting for their reconcile
}

// level is the item's level summed over its locations; false when none
// was reported.
func (v itemView) level() (int, bool) {
	sum, known := 0, false
	for _, l := range v.Levels {
		if l.Available != nil {
			sum, known = sum+*l.Available, true
		}
	}
	return sum, known
}

// item reads one item of the shop.
func (a *admin) item(ctx context.Context, id string) (itemView, error) {
	var v itemView
	err := a.get(ctx, "/api/v1/items/"+url.PathEscape(id), url.Values{"shop": {a.shop}}, &v)
	return v, err
}

// backorderView is the part of a backorder the simulator compares.
type backorderView struct {
	ID        int64  `json:"id"`
	OrderID   string `json:"order_id"`
	LineID    string `json:"line_id"`
	ItemID    string `json:"item_id"`
	Waiting   int    `json:"waiting"`
	Allocated int    `json:"allocated"`
	Status    string `json:"status"`
	ETAKind   string `json:"eta_kind"`
}

// emailView is the part of an email row the simulator reads.
type emailView struct {
	ID      int64  `json:"id"`
	OrderID string `json:"order_id"`
	Kind    string `json:"kind"`
	Status  string `json:"status"`
}

// lateRowMargin is how far below the newest id read a row committed
// late may still appear: far more than the transactions in flight at once.
const lateRowMargin = 2000

// page is one page of a list.
type page[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// backorders reads every backorder of one item.
func (a *admin) backorders(ctx context.Context, itemID string) ([]backorderView, error) {
	var all []backorderView
	q := url.Values{"shop": {a.shop}, "item": {itemID}, "limit": {"500"}}
	for {
		var p page[backorderView]
		if err := a.get(ctx, "/api/v1/backorders", q, &p); err != nil {
			return nil, err
		}
		all = append(all, p.Items...)
		if p.NextCursor == nil {
			return all, nil
		}
		q.Set("cursor", *p.NextCursor)
	}
}

// confirmations adds to seen the orders with a confirmation email
// (kind backordered), reading newest first down to since less a margin:
// rows are never deleted, so what a previous read saw stays, but a row
// whose transaction committed late can have a smaller id than one read
// before it. It returns the newest id read.
func (a *admin) confirmations(ctx context.Context, since int64, seen map[string]bool) (int64, error) {
	q := url.Values{"shop": {a.shop}, "kind": {"backordered"}, "limit": {"500"}}
	newest := since
	for {
		var p page[emailView]
		if err := a.get(ctx, "/api/v1/emails", q, &p); err != nil {
			return since, err
		}
		for _, e := range p.Items {
			if e.ID <= max(since-lateRowMargin, a.emailFloor) {
				return newest, nil
			}
			newest = max(newest, e.ID)
			seen[e.OrderID] = true
		}
		if p.NextCursor == nil {
			return newest, nil
		}
		q.Set("cursor", *p.NextCursor)
	}
}

// confirmed reports whether order has a confirmation email row: asked
// one order at a time for the few a scan of the list did not find.
func (a *admin) confirmed(ctx context.Context, order string) (bool, error) {
	var p page[emailView]
	q := url.Values{"shop": {a.shop}, "kind": {"backordered"}, "order": {order}, "limit": {"1"}}
	if err := a.get(ctx, "/api/v1/emails", q, &p); err != nil {
		return false, err
	}
	return len(p.Items) > 0, nil
}

// newestEmail is the id of the shop's newest email row, 0 for none.
func (a *admin) newestEmail(ctx context.Context) (int64, error) {
	var p page[emailView]
	if err := a.get(ctx, "/api/v1/emails", url.Values{"shop": {a.shop}, "limit": {"1"}}, &p); err != nil {
		return 0, err
	}
	if len(p.Items) == 0 {
		return 0, nil
	}
	return p.Items[0].ID, nil
}

// quiet reports whether the instance has applied every delivery of the
// shop (none still accepted in its inbox) and reconciled every fact of
// items (none settling): an outcome that matched before the last facts
// were reconciled could still move.
func (a *admin) quiet(ctx context.Context, items []item) (bool, error) {
	var p page[struct {
		ID int64 `json:"id"`
	}]
	q := url.Values{"shop": {a.shop}, "status": {"accepted"}, "limit": {"1"}}
	if err := a.get(ctx, "/api/v1/inbox", q, &p); err != nil || len(p.Items) > 0 {
		return false, err
	}
	for _, it := range items {
		v, err := a.item(ctx, it.id)
		if err != nil || v.Settling {
			return false, err
		}
	}
	return true, nil
}
