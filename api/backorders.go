package api

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
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
	// Withdrawn are the units whose wait an operator cancelled, at
	// WithdrawnAt (null: never); PrioritizedAt is when an operator last
	// moved it to the front of its item's queue (null: never).
	Withdrawn     int        `json:"withdrawn"`
	WithdrawnAt   *time.Time `json:"withdrawn_at"`
	PrioritizedAt *time.Time `json:"prioritized_at"`
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

// etaKinds are the kinds of ETA a backorder's can be.
var etaKinds = []string{string(backorder.ETAConfirmed), string(backorder.ETAExpected), string(backorder.ETAEstimate),
	string(backorder.ETAUnknown)}

// listBackorders serves GET /api/v1/backorders: by shop, sku, item, order,
// status, eta_kind and age (older_than: orders placed longer ago than a
// duration such as 72h or 3d).
func listBackorders(st AdminStore) gin.HandlerFunc {
	statuses := []string{string(backorder.StatusWaiting), string(backorder.StatusPartiallyAllocated),
		string(backorder.StatusAllocated), string(backorder.StatusShipped), string(backorder.StatusCancelled)}
	return list(st, statuses, func(c *gin.Context, q listQuery) ([]store.BackorderEntry, error) {
		f := store.BackorderFilter{ShopID: q.shopID, SKU: c.Query("sku"), ItemID: c.Query("item"), Status: q.status,
			Order: c.Query("order"), ETAKind: c.Query("eta_kind"), Before: q.before, Limit: q.limit}
		if f.ETAKind != "" && !slices.Contains(etaKinds, f.ETAKind) {
			return nil, errBadRequest("eta_kind must be one of " + strings.Join(etaKinds, ", "))
		}
		if v := c.Query("older_than"); v != "" {
			age, err := parseAge(v)
			if err != nil {
				return nil, err
			}
			f.PlacedBefore = time.Now().Add(-age)
		}
		return st.ListBackorders(c.Request.Context(), f)
	}, func(b store.BackorderEntry) (any, int64) { return viewBackorder(b), b.ID })
}

// agePattern is what older_than takes, as api/openapi.json says: whole
// days, or a Go duration without a sign.
var agePattern = regexp.MustCompile(`^([0-9]+d|([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)$`)

// parseAge reads an age: a Go duration (72h, 90m) or whole days (3d).
func parseAge(v string) (time.Duration, error) {
	bad := errBadRequest("older_than must be a duration such as 72h or 3d")
	if !agePattern.MatchString(v) {
		return 0, bad
	}
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > 36500 {
			return 0, bad
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, bad
	}
	return d, nil
}

// getBackorder serves GET /api/v1/backorders/{id}: one backorder with its
// audit trail and the operators' actions on it, newest first.
func getBackorder(st AdminStore) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := strconv.ParseInt(c.Param("id"), 10, 64)
		if err != nil {
			fail(c, errBadRequest("id must be a backorder id"))
			return
		}
		showBackorder(c, st, id, nil)
	}
}
