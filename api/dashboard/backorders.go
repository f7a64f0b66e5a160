package dashboard

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/backorderd/backorderd/backorder"
	"github.com/backorderd/backorderd/jobs"
	"github.com/backorderd/backorderd/store"
)

const backorderPage = 50

var statuses = []string{string(backorder.StatusWaiting), string(backorder.StatusPartiallyAllocated),
	string(backorder.StatusAllocated), string(backorder.StatusShipped), string(backorder.StatusCancelled)}

type backordersData struct {
	page
	Item     string
	ItemName string // the item's SKU when the rows show it
	SKU      string
	Status   string
	Order    string
	Statuses []string
	Rows     []backorderRow
	Headers  []header
	Older    string // the next page's link, "" on the last
}

type backorderRow struct {
	store.BackorderEntry
	Link      string
	Placed    string
	Age       string
	ETADate   string
	ETAUnix   int64
	Open      bool
	ShortName string
}

var backorderColumns = []column[backorderRow]{
	{Key: "order", Label: "Order", Compare: func(a, b backorderRow) int { return cmp.Compare(a.OrderName, b.OrderName) }},
	{Key: "sku", Label: "Item", Compare: func(a, b backorderRow) int { return cmp.Compare(a.ShortName, b.ShortName) }},
	{Key: "waiting", Label: "Waiting", Numeric: true, Compare: func(a, b backorderRow) int { return cmp.Compare(a.Waiting, b.Waiting) }},
	{Key: "status", Label: "Status", Compare: func(a, b backorderRow) int { return cmp.Compare(a.Status, b.Status) }},
	{Key: "placed", Label: "Placed", Compare: func(a, b backorderRow) int { return a.PlacedAt.Compare(b.PlacedAt) }},
	{Key: "eta", Label: "ETA", Compare: func(a, b backorderRow) int { return cmp.Compare(a.ETAUnix, b.ETAUnix) }},
}

// backorders serves GET /backorders: a shop's backorders, newest first,
// by item, status or order, a page at a time.
func (d *Dashboard) backorders(c *gin.Context) {
	ctx := c.Request.Context()
	shops, err := d.store.Shops(ctx)
	if err != nil {
		d.fail(c, http.StatusServiceUnavailable, "The database cannot be read now.", err)
		return
	}
	shop, opts, _ := chooseShop(c, shops)
	data := backordersData{page: page{Title: "Backorders", LoggedIn: true, Nav: "backorders", Shops: opts,
		ShopID: shop.ID, ShopName: shopName(shop)},
		Item: c.Query("item"), SKU: strings.TrimSpace(c.Query("sku")), Status: c.Query("status"), Order: strings.TrimSpace(c.Query("order")), Statuses: statuses}
	if data.Status != "" && !slices.Contains(statuses, data.Status) {
		data.Status = ""
	}
	before, _ := strconv.ParseInt(c.Query("cursor"), 10, 64)
	rows, err := d.store.ListBackorders(ctx, store.BackorderFilter{ShopID: shop.ID, ItemID: data.Item,
		SKU: data.SKU, Status: data.Status, Order: data.Order, Before: max(before, 0), Limit: backorderPage})
	if err != nil {
		d.fail(c, http.StatusServiceUnavailable, "The database cannot be read now.", err)
		return
	}
	now, loc := d.now(), location(shop)
	for _, b := range rows {
		data.Rows = append(data.Rows, backorderRowOf(b, now, loc))
	}
	if data.SKU != "" {
		data.ItemName = data.SKU
	}
	if data.Item != "" {
		data.ItemName = "item " + data.Item
		if len(data.Rows) > 0 {
			data.ItemName = data.Rows[0].ShortName
		}
	}
	if len(rows) == backorderPage {
		q := c.Request.URL.Query()
		q.Set("cursor", strconv.FormatInt(rows[len(rows)-1].ID, 10))
		data.Older = "?" + q.Encode()
	}
	data.Headers = sortRows(c, "sort", "", backorderColumns, data.Rows)
	d.render(c, http.StatusOK, "backorders", data)
}

func backorderRowOf(b store.BackorderEntry, now time.Time, loc *time.Location) backorderRow {
	row := backorderRow{BackorderEntry: b, Link: fmt.Sprintf("/backorders/%d", b.ID), Placed: timeIn(b.PlacedAt, loc),
		ETADate: dateOf(b.ETA), ETAUnix: unix(b.ETA), Open: b.Waiting > 0, ShortName: b.SKU}
	if row.ShortName == "" {
		row.ShortName = "item " + b.ItemID
	}
	if b.Waiting > 0 {
		row.Age = age(now, b.PlacedAt)
	}
	return row
}

type backorderData struct {
	page
	B         backorderRow
	Lines     []backorderRow
	Events    []eventRow
	CanAct    bool   // units wait: it may be cancelled or served first
	Form      string // the form the reason and error belong to: "cancel" or "prioritize"
	Reason    string
	Error     string
	MaxReason int
}

type eventRow struct {
	store.EventEntry
	At   string
	Kind string
}

// backorder serves GET /backorders/{id}: one backorder, the order's other
// lines, its trail and the forms that act on it.
func (d *Dashboard) backorder(c *gin.Context) {
	data, ok := d.backorderData(c)
	if !ok {
		return
	}
	switch c.Query("done") {
	case "cancelled":
		data.Flash = "Cancelled. The customer is told, and its units go to the next orders in line. " +
			storeNotes[jobs.StoreEffect(c.Query("store"))]
	case "prioritized":
		data.Flash = "Moved to the front of its item's queue: the next units that arrive go to it first."
	}
	d.render(c, http.StatusOK, "backorder", data)
}

func (d *Dashboard) backorderData(c *gin.Context) (backorderData, bool) {
	ctx := c.Request.Context()
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id < 1 {
		d.fail(c, http.StatusNotFound, "There is no such backorder.", nil)
		return backorderData{}, false
	}
	b, events, err := d.store.Backorder(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		d.fail(c, http.StatusNotFound, "There is no such backorder.", nil)
		return backorderData{}, false
	}
	var shops []store.Shop
	var lines []store.BackorderEntry
	if err == nil {
		shops, err = d.store.Shops(ctx)
	}
	if err == nil {
		lines, err = d.store.ListBackorders(ctx, store.BackorderFilter{ShopID: b.ShopID, Order: b.OrderID, Limit: 100})
	}
	if err != nil {
		d.fail(c, http.StatusServiceUnavailable, "The database cannot be read now.", err)
		return backorderData{}, false
	}
	var shop store.Shop
	for _, s := range shops {
		if s.ID == b.ShopID {
			shop = s
		}
	}
	now, loc := d.now(), location(shop)
	data := backorderData{page: page{Title: fmt.Sprintf("Backorder %d", b.ID), LoggedIn: true, Nav: "backorders",
		ShopID: shop.ID, ShopName: shopName(shop)},
		B: backorderRowOf(b, now, loc), MaxReason: jobs.MaxReasonLength}
	data.CanAct = d.actions != nil && b.Waiting > 0
	for _, l := range lines {
		if l.ID != b.ID {
			data.Lines = append(data.Lines, backorderRowOf(l, now, loc))
		}
	}
	for _, e := range events {
		data.Events = append(data.Events, eventRow{EventEntry: e, At: timeIn(e.CreatedAt, loc), Kind: label(e.Kind)})
	}
	return data, true
}
