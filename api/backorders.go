package api

import (
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
	// The ETA is shown by backorderJSON, as a date.
	ETA     *time.Time `json:"-"`
	ETAKind string     `json:"-"`
}

// backorderJSON is a backorder as the API shows it: with its ETA as a
// date ("2026-12-15", null when unknown) and how sure it is.
type backorderJSON struct {
	backorderView
	ETA     *day   `json:"eta"`
	ETAKind string `json:"eta_kind"`
}

func viewBackorder(b store.BackorderEntry) backorderJSON {
	return backorderJSON{backorderView: backorderView(b), ETA: dayOf(b.ETA), ETAKind: b.ETAKind}
}

// day is a calendar date (stored at 00:00 UTC), shown as "2026-12-15".
type day time.Time

// MarshalJSON writes the date as "YYYY-MM-DD".
func (d day) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Time(d).UTC().Format(time.DateOnly) + `"`), nil
}

// dayOf is t as a date, nil when t is.
func dayOf(t *time.Time) *day {
	if t == nil {
		return nil
	}
	d := day(*t)
	return &d
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
	}, func(b store.BackorderEntry) (any, int64) { return viewBackorder(b), b.ID })
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
		if err != nil {
			fail(c, notFoundAs(err, "no such backorder"))
			return
		}
		trail := make([]eventView, len(events))
		for i, e := range events {
			trail[i] = eventView(e)
		}
		c.JSON(http.StatusOK, gin.H{"backorder": viewBackorder(b), "events": trail})
	}
}
