package api

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/backorderd/backorderd/backorder"
	"github.com/backorderd/backorderd/store"
)

type backorderView struct {
	ID             int64     `json:"id"`
	ShopID         int64     `json:"shop_id"`
	Shop           string    `json:"shop"`
	OrderID        string    `json:"order_id"`
	OrderName      string    `json:"order_name"`
	LineID         string    `json:"line_id"`
	ItemID         string    `json:"item_id"`
	SKU            string    `json:"sku"`
	Title          string    `json:"title"`
	Ordered        int       `json:"ordered"`
	Backordered    int       `json:"backordered"`
	Allocated      int       `json:"allocated"`
	Waiting        int       `json:"waiting"`
	Status         string    `json:"status"`
	PlacedAt       time.Time `json:"placed_at"`
	CustomerEmail  string    `json:"customer_email"`
	CustomerName   string    `json:"customer_name"`
	ShippingMethod string    `json:"shipping_method"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
	// The ETA is not shown yet: it is shown as a date ("2026-12-15"),
	// which the view will format.
	ETA     *time.Time `json:"-"`
	ETAKind string     `json:"-"`
}

type eventView struct {
	ID        int64     `json:"id"`
	Kind      string    `json:"kind"`
	Quantity  int       `json:"quantity"`
	Detail    string    `json:"detail"`
	Cause     string    `json:"cause"`
	CreatedAt time.Time `json:"created_at"`
}

// listBackorders serves GET /api/v1/backorders.
func listBackorders(st AdminStore) gin.HandlerFunc {
	statuses := []string{string(backorder.StatusWaiting), string(backorder.StatusPartiallyAllocated),
		string(backorder.StatusAllocated), string(backorder.StatusShipped), string(backorder.StatusCancelled)}
	return list(st, statuses, func(c *gin.Context, q listQuery) ([]store.BackorderEntry, error) {
		return st.ListBackorders(c.Request.Context(), store.BackorderFilter{ShopID: q.shopID, SKU: c.Query("sku"),
			ItemID: c.Query("item"), Status: q.status, Order: c.Query("order"), Before: q.before, Limit: q.limit})
	}, func(b store.BackorderEntry) (any, int64) { return backorderView(b), b.ID })
}

// getBackorder serves GET /api/v1/backorders/{id}: one backorder with its
// audit trail.
func getBackorder(st AdminStore) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := strconv.ParseInt(c.Param("id"), 10, 64)
		if err != nil {
			fail(c, errBadRequest("id must be a backorder id"))
			return
		}
		b, events, err := st.Backorder(c.Request.Context(), id)
		if errors.Is(err, store.ErrNotFound) {
			c.JSON(http.StatusNotFound, gin.H{"error": "no such backorder"})
			return
		}
		if err != nil {
			fail(c, err)
			return
		}
		trail := make([]eventView, len(events))
		for i, e := range events {
			trail[i] = eventView(e)
		}
		c.JSON(http.StatusOK, gin.H{"backorder": backorderView(b), "events": trail})
	}
}
