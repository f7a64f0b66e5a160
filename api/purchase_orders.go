package api

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/backorderd/backorderd/jobs"
	"github.com/backorderd/backorderd/store"
)

// Purchasing is the part of the purchasing service (jobs.Purchasing) the
// admin API calls: every change of a purchase order goes through it.
type Purchasing interface {
	Approve(ctx context.Context, poID int64) (store.PurchaseOrder, error)
	Confirm(ctx context.Context, poID int64, c jobs.Confirmation) (store.PurchaseOrder, error)
	Cancel(ctx context.Context, poID int64, reason string) (store.PurchaseOrder, error)
	Receive(ctx context.Context, poID int64, r store.Receipt) (store.PurchaseOrder, bool, error)
	TermsChanged(ctx context.Context, shopID int64, itemID string) error
}

// PurchaseOrderStore is the part of the store the purchase order
// endpoints read.
type PurchaseOrderStore interface {
	PurchaseOrder(ctx context.Context, id int64) (store.PurchaseOrder, []store.POLine, []store.POEvent, error)
	ListPurchaseOrders(ctx context.Context, f store.POFilter) ([]store.PurchaseOrder, error)
}

var poStatuses = []string{store.PODraft, store.POSent, store.POConfirmed, store.POPartiallyReceived,
	store.POReceived, store.POCancelled}

// listPurchaseOrders serves GET /api/v1/purchase-orders.
func listPurchaseOrders(st AdminStore) gin.HandlerFunc {
	return list(st, poStatuses, func(c *gin.Context, q listQuery) ([]poView, error) {
		f := store.POFilter{ShopID: q.shopID, Status: q.status, Before: q.before, Limit: q.limit}
		if v := c.Query("supplier_id"); v != "" {
			if _, err := fmt.Sscan(v, &f.SupplierID); err != nil || f.SupplierID < 1 {
				return nil, errBadRequest("supplier_id must be a supplier id")
			}
		}
		pos, err := st.ListPurchaseOrders(c.Request.Context(), f)
		if err != nil {
			return nil, err
		}
		names := map[int64]string{}
		views := make([]poView, len(pos))
		for i, po := range pos {
			if _, ok := names[po.SupplierID]; !ok {
				sp, err := st.Supplier(c.Request.Context(), po.SupplierID)
				if err != nil {
					return nil, err
				}
				names[po.SupplierID] = sp.Name
			}
			views[i] = viewPO(po, names[po.SupplierID])
		}
		return views, nil
	}, func(v poView) (any, int64) { return v, v.ID })
}

// getPurchaseOrder serves GET /api/v1/purchase-orders/{id}.
func getPurchaseOrder(st AdminStore) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := idParam(c, "id", "a purchase order id")
		if err != nil {
			fail(c, err)
			return
		}
		showPO(c, st, id, http.StatusOK, nil)
	}
}

// showPO answers with purchase order id, its lines and trail, and extra.
func showPO(c *gin.Context, st AdminStore, id int64, status int, extra gin.H) {
	po, lines, events, err := st.PurchaseOrder(c.Request.Context(), id)
	if err != nil {
		fail(c, notFoundAs(err, "no such purchase order"))
		return
	}
	sp, err := st.Supplier(c.Request.Context(), po.SupplierID)
	if err != nil {
		fail(c, err)
		return
	}
	v := viewPO(po, sp.Name)
	v.Lines = make([]poLineView, len(lines))
	for i, l := range lines {
		v.Lines[i] = poLineView{ItemID: l.ItemID, SKU: l.SKU, SupplierSKU: l.SupplierSKU, Title: l.Title,
			Quantity: l.Quantity, Received: l.Received, UnitCost: l.UnitCost, ExpectedAt: dayOf(l.ExpectedAt)}
	}
	v.Events = make([]poEventView, len(events))
	for i, e := range events {
		v.Events[i] = poEventView{ID: e.ID, Revision: e.Revision, Kind: e.Kind, Detail: e.Detail, CreatedAt: e.CreatedAt}
	}
	body := gin.H{"purchase_order": v}
	for k, x := range extra {
		body[k] = x
	}
	c.JSON(status, body)
}

// poAction serves POST /api/v1/purchase-orders/{id}/{action}: it decodes
// the body into a new R (when R has fields), runs act, and shows the order.
func poAction[R any](st AdminStore, act func(c *gin.Context, id int64, req R) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := idParam(c, "id", "a purchase order id")
		if err != nil {
			fail(c, err)
			return
		}
		var req R
		if c.Request.ContentLength != 0 {
			if err := bindJSON(c, &req); err != nil {
				fail(c, err)
				return
			}
		}
		if err := act(c, id, req); err != nil {
			fail(c, notFoundAs(err, "no such purchase order"))
			return
		}
		showPO(c, st, id, http.StatusOK, nil)
	}
}

// mountPurchaseOrders adds the purchase order routes to g.
func mountPurchaseOrders(g gin.IRouter, st AdminStore, p Purchasing) {
	g.GET("/purchase-orders", listPurchaseOrders(st))
	g.GET("/purchase-orders/:id", getPurchaseOrder(st))
	g.POST("/purchase-orders/:id/approve", poAction(st, func(c *gin.Context, id int64, _ struct{}) error {
		_, err := p.Approve(c.Request.Context(), id)
		return err
	}))
	g.POST("/purchase-orders/:id/confirm", poAction(st, func(c *gin.Context, id int64, req confirmRequest) error {
		conf, err := req.confirmation()
		if err == nil {
			_, err = p.Confirm(c.Request.Context(), id, conf)
		}
		return err
	}))
	g.POST("/purchase-orders/:id/cancel", poAction(st, func(c *gin.Context, id int64, req struct {
		Reason string `json:"reason"`
	}) error {
		if req.Reason == "" {
			return &FieldError{"reason", "must say why the order is cancelled"}
		}
		_, err := p.Cancel(c.Request.Context(), id, req.Reason)
		return err
	}))
	g.POST("/purchase-orders/:id/receipts", receive(st, p))
}

// confirmRequest is the body of POST …/confirm.
type confirmRequest struct {
	ExpectedAt string `json:"expected_at"`
	Lines      []struct {
		ItemID     string `json:"item_id"`
		Quantity   *int   `json:"quantity"`
		ExpectedAt string `json:"expected_at"`
	} `json:"lines"`
}

func (r confirmRequest) confirmation() (jobs.Confirmation, error) {
	var conf jobs.Confirmation
	var err error
	if conf.ExpectedAt, err = parseDay("expected_at", r.ExpectedAt); err != nil {
		return conf, err
	}
	for i, l := range r.Lines {
		field := fmt.Sprintf("lines[%d]", i)
		if l.ItemID == "" {
			return conf, &FieldError{field + ".item_id", "must be given"}
		}
		if l.Quantity != nil && *l.Quantity < 0 {
			return conf, &FieldError{field + ".quantity", "must be 0 or more"}
		}
		at, err := parseDay(field+".expected_at", l.ExpectedAt)
		if err != nil {
			return conf, err
		}
		conf.Lines = append(conf.Lines, jobs.LineChange{ItemID: l.ItemID, Quantity: l.Quantity, ExpectedAt: at})
	}
	return conf, nil
}

// parseDay reads a "YYYY-MM-DD" date at 00:00 UTC; nil when empty.
func parseDay(field, s string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return nil, &FieldError{field, fmt.Sprintf("is %q, must be a date YYYY-MM-DD", s)}
	}
	return &t, nil
}

// receive serves POST /api/v1/purchase-orders/{id}/receipts: 201 for a
// new receipt, 200 with "duplicate": true for a receipt_id already taken.
func receive(st AdminStore, p Purchasing) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := idParam(c, "id", "a purchase order id")
		if err != nil {
			fail(c, err)
			return
		}
		var req struct {
			ReceiptID string `json:"receipt_id"`
			Lines     []struct {
				ItemID   string `json:"item_id"`
				Quantity int    `json:"quantity"`
			} `json:"lines"`
		}
		if err := bindJSON(c, &req); err != nil {
			fail(c, err)
			return
		}
		r := store.Receipt{POID: id, ReceiptID: req.ReceiptID}
		for _, l := range req.Lines {
			r.Lines = append(r.Lines, store.ReceiptLine(l))
		}
		_, dup, err := p.Receive(c.Request.Context(), id, r)
		if err != nil {
			fail(c, notFoundAs(err, "no such purchase order"))
			return
		}
		status := http.StatusCreated
		if dup {
			status = http.StatusOK
		}
		showPO(c, st, id, status, gin.H{"duplicate": dup})
	}
}

// poView is a purchase order as the API shows it; Lines and Events only
// when one order is shown.
type poView struct {
	ID           int64         `json:"id"`
	Status       string        `json:"status"`
	SupplierID   int64         `json:"supplier_id"`
	Supplier     string        `json:"supplier"`
	ShopID       int64         `json:"shop_id"`
	Revision     int           `json:"revision"`
	Currency     string        `json:"currency"`
	ExpectedAt   *day          `json:"expected_at"`
	SendError    string        `json:"send_error"`
	CancelReason string        `json:"cancel_reason"`
	CreatedAt    time.Time     `json:"created_at"`
	UpdatedAt    time.Time     `json:"updated_at"`
	SentAt       *time.Time    `json:"sent_at"`
	ConfirmedAt  *time.Time    `json:"confirmed_at"`
	ReceivedAt   *time.Time    `json:"received_at"`
	CancelledAt  *time.Time    `json:"cancelled_at"`
	Lines        []poLineView  `json:"lines,omitempty"`
	Events       []poEventView `json:"events,omitempty"`
}

type poLineView struct {
	ItemID      string `json:"item_id"`
	SKU         string `json:"sku"`
	SupplierSKU string `json:"supplier_sku"`
	Title       string `json:"title"`
	Quantity    int    `json:"quantity"`
	Received    int    `json:"received"`
	UnitCost    string `json:"unit_cost"`
	ExpectedAt  *day   `json:"expected_at"`
}

type poEventView struct {
	ID        int64     `json:"id"`
	Revision  int       `json:"revision"`
	Kind      string    `json:"kind"`
	Detail    string    `json:"detail"`
	CreatedAt time.Time `json:"created_at"`
}

func viewPO(po store.PurchaseOrder, supplier string) poView {
	return poView{ID: po.ID, Status: po.Status, SupplierID: po.SupplierID, Supplier: supplier, ShopID: po.ShopID,
		Revision: po.Revision, Currency: po.Currency, ExpectedAt: dayOf(po.ExpectedAt), SendError: po.SendError,
		CancelReason: po.CancelReason, CreatedAt: po.CreatedAt, UpdatedAt: po.UpdatedAt, SentAt: po.SentAt,
		ConfirmedAt: po.ConfirmedAt, ReceivedAt: po.ReceivedAt, CancelledAt: po.CancelledAt}
}
