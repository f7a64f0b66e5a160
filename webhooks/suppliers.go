package webhooks

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/backorderd/backorderd/integrations/supplier"
	"github.com/backorderd/backorderd/jobs"
	"github.com/backorderd/backorderd/store"
)

// SupplierStore reads what a supplier's callback is checked against.
type SupplierStore interface {
	Supplier(ctx context.Context, id int64) (store.Supplier, error)
	PurchaseOrder(ctx context.Context, id int64) (store.PurchaseOrder, []store.POLine, []store.POEvent, error)
}

// POAnswers applies a supplier's answer to a purchase order (jobs.Purchasing).
type POAnswers interface {
	Confirm(ctx context.Context, poID int64, c jobs.Confirmation) (store.PurchaseOrder, error)
	Cancel(ctx context.Context, poID int64, reason string) (store.PurchaseOrder, error)
}

// SupplierCallbacks receives suppliers' signed answers to purchase orders
// at POST /webhooks/suppliers/{id}. Unlike the stores' deliveries, an
// answer is applied in the request (it is small, and touches one order):
// with the database down the answer is 503 and the supplier retries.
type SupplierCallbacks struct {
	store   SupplierStore
	answers POAnswers
	maxBody int64
	metrics *Metrics
}

// NewSupplierCallbacks returns the receiver of suppliers' callbacks.
func NewSupplierCallbacks(s SupplierStore, a POAnswers, maxBody int64, m *Metrics) *SupplierCallbacks {
	return &SupplierCallbacks{store: s, answers: a, maxBody: maxBody, metrics: m}
}

// Mount adds POST /webhooks/suppliers/{id} to r.
func (s *SupplierCallbacks) Mount(r gin.IRouter) {
	r.POST("/webhooks/suppliers/:id", s.metrics.timed("supplier"), s.receive)
}

// callbackTimeout bounds the work after the body is read.
const callbackTimeout = 5 * time.Second

func (s *SupplierCallbacks) receive(c *gin.Context) {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, s.maxBody)
	body, err := c.GetRawData()
	if err != nil {
		s.answer(c, "too_large", http.StatusRequestEntityTooLarge, gin.H{"error": "body too large"})
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request.Context()), callbackTimeout)
	defer cancel()
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	var sp store.Supplier
	if err == nil {
		sp, err = s.store.Supplier(ctx, id)
	}
	switch {
	case err == nil && supplier.Verify(sp.Secret, c.GetHeader(supplier.HeaderSignature), body):
	case err == nil || errors.Is(err, store.ErrNotFound) || errors.Is(err, strconv.ErrSyntax) || errors.Is(err, strconv.ErrRange):
		// An unknown supplier is answered as a forged signature: the
		// answer does not tell which ids exist.
		c.Set("refused", "bad signature or unknown supplier")
		s.metrics.refused.WithLabelValues("supplier", "bad signature").Inc()
		s.answer(c, "unauthorized", http.StatusUnauthorized, gin.H{"error": "unauthorized"})
		return
	default:
		s.unavailable(c, err)
		return
	}
	c.Set("supplier_id", sp.ID)
	cb, err := supplier.ParseCallback(body)
	if err != nil {
		_ = c.Error(err)
		s.answer(c, "rejected", http.StatusBadRequest, gin.H{"error": err.Error()})
		return
	}
	c.Set("po_id", cb.PurchaseOrderID)
	po, lines, _, err := s.store.PurchaseOrder(ctx, cb.PurchaseOrderID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && po.SupplierID != sp.ID) {
		// Another supplier's order is as unknown as none: the id is the
		// caller's to choose.
		s.answer(c, "unknown_order", http.StatusNotFound, gin.H{"error": "no such purchase order of this supplier"})
		return
	}
	if err != nil {
		s.unavailable(c, err)
		return
	}
	if cb.Status == supplier.StatusCancelled {
		po, err = s.answers.Cancel(ctx, po.ID, cancelReason(cb.Reason))
	} else {
		po, err = s.answers.Confirm(ctx, po.ID, confirmation(cb, lines))
	}
	switch {
	case errors.Is(err, jobs.ErrConflict):
		s.answer(c, "conflict", http.StatusConflict, gin.H{"error": err.Error()})
	case errors.Is(err, jobs.ErrUnprocessable), errors.Is(err, jobs.ErrBadRequest):
		s.answer(c, "rejected", http.StatusUnprocessableEntity, gin.H{"error": err.Error()})
	case err != nil:
		s.unavailable(c, err)
	default:
		s.answer(c, "accepted", http.StatusOK, gin.H{"status": po.Status, "revision": po.Revision})
	}
}

// confirmation is the callback as a confirmation; a line named by the
// supplier's SKU is the order's line with that SKU.
func confirmation(cb supplier.Callback, lines []store.POLine) jobs.Confirmation {
	conf := jobs.Confirmation{ExpectedAt: cb.Expected()}
	for _, l := range cb.Lines {
		item := l.ItemID
		for _, pl := range lines {
			if item == "" && pl.SupplierSKU == l.SupplierSKU {
				item = pl.ItemID
			}
		}
		if item == "" {
			item = "supplier_sku:" + l.SupplierSKU // no such line: Confirm refuses it, naming it
		}
		conf.Lines = append(conf.Lines, jobs.LineChange{ItemID: item, Quantity: l.Quantity, ExpectedAt: l.Expected()})
	}
	return conf
}

func cancelReason(r string) string {
	if r == "" {
		return "cancelled by the supplier"
	}
	return "the supplier: " + r
}

func (s *SupplierCallbacks) unavailable(c *gin.Context, err error) {
	_ = c.Error(err)
	s.answer(c, "unavailable", http.StatusServiceUnavailable, gin.H{"error": "cannot apply the answer now; retry later"})
}

func (s *SupplierCallbacks) answer(c *gin.Context, outcome string, status int, body gin.H) {
	c.Set("outcome", outcome)
	s.metrics.delivered(c, "supplier", outcome)
	c.AbortWithStatusJSON(status, body)
}
