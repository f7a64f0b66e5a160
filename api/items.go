package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/backorderd/backorderd/store"
)

type levelView struct {
	LocationID string    `json:"location_id"`
	Available  *int      `json:"available"`
	At         time.Time `json:"at"`
}

// itemView is an item with its ledger: what the store reports and what the
// last reconcile found.
type itemView struct {
	ShopID          int64       `json:"shop_id"`
	ItemID          string      `json:"item_id"`
	SKU             string      `json:"sku"`
	Title           string      `json:"title"`
	StockKey        string      `json:"stock_key"`
	ContinueSelling *bool       `json:"continue_selling"`
	StoreQuantity   *int        `json:"store_quantity"`
	Levels          []levelView `json:"levels"`
	Level           *int        `json:"level"`
	LevelAt         *time.Time  `json:"level_at"`
	Projected       int         `json:"projected_available"`
	Owed            int         `json:"owed"`
	Waiting         int         `json:"waiting"`
	Shortfall       int         `json:"shortfall"`
	AtCap           bool        `json:"at_cap"`
	OverCap         int         `json:"over_cap"`
	Drift           int         `json:"drift_corrected"`
	Settling        bool        `json:"settling"`
	ReconciledAt    *time.Time  `json:"reconciled_at"`
	// Suppliers are the item's terms, the preferred supplier's first.
	Suppliers []termsView `json:"suppliers"`
}

// getItem serves GET /api/v1/items/{id}[?shop=…] and GET /api/v1/items?sku=…[&shop=…].
func getItem(st AdminStore) gin.HandlerFunc {
	return func(c *gin.Context) {
		shopID, err := shopFilter(c, st)
		if err != nil {
			fail(c, err)
			return
		}
		its, err := findItems(c, st, shopID)
		if err != nil {
			fail(c, err)
			return
		}
		switch len(its) {
		case 0:
			fail(c, errNotFound("no such item"))
			return
		case 1:
		default:
			fail(c, errBadRequest("more than one item matches: add shop=…"))
			return
		}
		view, err := itemLedger(c, st, its[0])
		if err != nil {
			fail(c, err)
			return
		}
		c.JSON(http.StatusOK, view)
	}
}

// findItems finds the items the request names, whether a product or
// inventory delivery described them or only order lines name them so far.
func findItems(c *gin.Context, st AdminStore, shopID int64) ([]store.ItemRecord, error) {
	ctx := c.Request.Context()
	var described, ordered []store.ItemRecord
	var err error
	switch id, sku := c.Param("id"), c.Query("sku"); {
	case id != "":
		if described, err = st.ItemsByID(ctx, shopID, id); err == nil {
			ordered, err = st.OrderedItemsByID(ctx, shopID, id)
		}
	case sku != "":
		if described, err = st.ItemsBySKU(ctx, shopID, sku); err == nil {
			ordered, err = st.OrderedItemsBySKU(ctx, shopID, sku)
		}
	default:
		err = errBadRequest("name the item: /api/v1/items/{id} or /api/v1/items?sku=…")
	}
	return append(described, ordered...), err
}

func itemLedger(c *gin.Context, st AdminStore, it store.ItemRecord) (itemView, error) {
	v := itemView{ShopID: it.ShopID, ItemID: it.ItemID, SKU: it.SKU, Title: it.Title, StockKey: it.StockKey,
		ContinueSelling: it.ContinueSelling, StoreQuantity: it.Quantity, Levels: []levelView{}}
	if it.StockKey != "" {
		levels, err := st.Levels(c.Request.Context(), it.ShopID, it.StockKey)
		if err != nil {
			return itemView{}, err
		}
		for _, l := range levels {
			v.Levels = append(v.Levels, levelView{LocationID: l.LocationID, Available: l.Available, At: l.StateAt})
		}
	}
	terms, err := itemTerms(c, st, it.ShopID, it.ItemID)
	if err != nil {
		return itemView{}, err
	}
	v.Suppliers = terms
	led, err := st.Ledger(c.Request.Context(), it.ShopID, it.ItemID)
	if errors.Is(err, store.ErrNotFound) {
		return v, nil // never reconciled: no orders for it yet
	}
	if err != nil {
		return itemView{}, err
	}
	v.Level, v.LevelAt, v.Projected, v.Owed, v.Waiting = led.Level, led.LevelAt, led.Projected, led.Owed, led.Waiting
	v.Shortfall, v.AtCap, v.OverCap, v.Drift = led.Shortfall, led.AtCap, led.OverCap, led.Drift
	v.Settling, v.ReconciledAt = led.FirstFactAt != nil, led.ReconciledAt
	return v, nil
}
