package dashboard

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/backorderd/backorderd/store"
)

// recentEmails is how many messages the overview lists.
const recentEmails = 15

type overviewData struct {
	page
	Empty       bool // no shop registered yet
	Waiting     int
	Orders      int
	OldestAge   string
	OpenPOs     int
	OverduePOs  int
	Alerts      []alert
	Items       []itemRow
	ItemHeaders []header
	Chart       chart
	POs         []poRow
	POHeaders   []header
	Emails      []emailRow
	MailCounts  string
}

type itemRow struct {
	store.ItemQueue
	Name       string
	Link       string
	OldestAge  string
	OldestAt   string
	OldestUnix int64
	ETADate    string
	ETAUnix    int64
}

type poRow struct {
	store.OpenPO
	Next        string
	NextUnix    int64
	Missed      string
	MissedUnix  int64
	Overdue     bool
	DaysOverdue int
}

type emailRow struct {
	Created  string
	Kind     string
	To       string
	Subject  string
	Status   string
	Delivery string
	Reason   string
}

var itemColumns = []column[itemRow]{
	{Key: "sku", Label: "Item", Compare: func(a, b itemRow) int { return cmp.Compare(a.Name, b.Name) }},
	{Key: "waiting", Label: "Units waiting", Numeric: true, Compare: func(a, b itemRow) int { return cmp.Compare(a.Waiting, b.Waiting) }},
	{Key: "orders", Label: "Orders", Numeric: true, Compare: func(a, b itemRow) int { return cmp.Compare(a.Orders, b.Orders) }},
	{Key: "oldest", Label: "Oldest wait", Compare: func(a, b itemRow) int { return byTime(a.Oldest, b.Oldest) }},
	{Key: "eta", Label: "ETA", Compare: func(a, b itemRow) int { return cmp.Compare(a.ETAUnix, b.ETAUnix) }},
}

var poColumns = []column[poRow]{
	{Key: "id", Label: "PO", Numeric: true, Compare: func(a, b poRow) int { return cmp.Compare(a.ID, b.ID) }},
	{Key: "supplier", Label: "Supplier", Compare: func(a, b poRow) int { return cmp.Compare(a.Supplier, b.Supplier) }},
	{Key: "status", Label: "Status", Compare: func(a, b poRow) int { return cmp.Compare(a.Status, b.Status) }},
	{Key: "due", Label: "Units due", Numeric: true, Compare: func(a, b poRow) int { return cmp.Compare(a.UnitsDue, b.UnitsDue) }},
	{Key: "expected", Label: "Next expected", Compare: func(a, b poRow) int { return cmp.Compare(a.NextUnix, b.NextUnix) }},
	{Key: "overdue", Label: "Overdue", Numeric: true, Compare: func(a, b poRow) int { return cmp.Compare(a.DaysOverdue, b.DaysOverdue) }},
}

// overview serves GET /: the shop at a glance.
func (d *Dashboard) overview(c *gin.Context) {
	ctx := c.Request.Context()
	shops, err := d.store.Shops(ctx)
	if err != nil {
		d.fail(c, http.StatusServiceUnavailable, "The database cannot be read now.", err)
		return
	}
	shop, opts, ok := chooseShop(c, shops)
	data := overviewData{page: page{Title: "Overview", LoggedIn: true, Nav: "overview", Shops: opts}}
	if !ok {
		data.Empty = true
		d.render(c, http.StatusOK, "overview", data)
		return
	}
	data.ShopID, data.ShopName = shop.ID, shopName(shop)
	r, err := d.read(ctx, shop)
	if err != nil {
		d.fail(c, http.StatusServiceUnavailable, "The database cannot be read now.", err)
		return
	}
	if len(r.mail) > 0 {
		r.facts.newest = &r.mail[0] // newest first
	}
	data.Alerts = alerts(r.facts)
	data.Chart = demandChart(r.hours, r.now, r.facts.loc)
	data.layoutItems(c, r)
	data.layoutPOs(c, r)
	for _, e := range r.mail {
		data.Emails = append(data.Emails, emailRow{Created: timeIn(e.CreatedAt, r.facts.loc), Kind: label(e.Kind),
			To: e.ToEmail, Subject: e.Subject, Status: e.Status, Delivery: e.Delivery, Reason: e.Reason})
	}
	data.MailCounts = mailCounts(r.facts.mail)
	d.render(c, http.StatusOK, "overview", data)
}

// reading is what the overview read of a shop, as of now.
type reading struct {
	facts alertFacts
	hours []store.DemandHour
	mail  []store.Email
	// orders is how many orders wait (the items' counts add an order
	// waiting for two items twice).
	orders int
	now    time.Time
	today  time.Time // now's date in UTC, as purchase orders keep dates
}

func (d *Dashboard) read(ctx context.Context, shop store.Shop) (reading, error) {
	now := d.now()
	r := reading{facts: alertFacts{shop: shop, loc: location(shop)}, now: now,
		today: time.Date(now.UTC().Year(), now.UTC().Month(), now.UTC().Day(), 0, 0, 0, 0, time.UTC)}
	f := &r.facts
	err := firstError(
		func() (err error) { f.items, err = d.store.ItemQueues(ctx, shop.ID); return },
		func() (err error) { r.orders, err = d.store.WaitingOrders(ctx, shop.ID); return },
		func() (err error) { f.pos, err = d.store.OpenPOs(ctx, shop.ID, r.today); return },
		func() (err error) { f.mail, err = d.store.EmailCounts(ctx, shop.ID); return },
		func() (err error) { f.account, err = d.store.MailWaitingForAccount(ctx, shop.ID); return },
		func() (err error) { f.silent, err = webhooksSilent(ctx, d.store, shop); return },
		func() (err error) {
			r.hours, err = d.store.HourlyDemand(ctx, shop.ID, now.AddDate(0, 0, -chartDays-1))
			return
		},
		func() (err error) {
			r.mail, err = d.store.ListEmails(ctx, store.EmailFilter{ShopID: shop.ID, Limit: recentEmails})
			return
		},
	)
	return r, err
}

// layoutItems fills the at-a-glance counts and the items' table.
func (data *overviewData) layoutItems(c *gin.Context, r reading) {
	var oldest *time.Time
	data.Orders = r.orders
	for _, it := range r.facts.items {
		data.Waiting += it.Waiting
		if it.Oldest != nil && (oldest == nil || it.Oldest.Before(*oldest)) {
			oldest = it.Oldest
		}
		data.Items = append(data.Items, itemRowOf(r.facts.shop, it, r.now, r.facts.loc))
	}
	if oldest != nil {
		data.OldestAge = age(r.now, *oldest)
	}
	data.ItemHeaders = sortRows(c, "sort", "-waiting", itemColumns, data.Items)
}

// layoutPOs fills the purchase orders' table, overdue first.
func (data *overviewData) layoutPOs(c *gin.Context, r reading) {
	for _, po := range r.facts.pos {
		row := poRow{OpenPO: po, Next: dateOf(po.NextExpected), NextUnix: unix(po.NextExpected), Missed: dateOf(po.MissedAt)}
		if po.MissedAt != nil {
			row.Overdue, row.DaysOverdue = true, daysBetween(*po.MissedAt, r.today)
			data.OverduePOs++
		}
		data.POs = append(data.POs, row)
	}
	data.OpenPOs = len(data.POs)
	data.POHeaders = sortRows(c, "po_sort", "-overdue", poColumns, data.POs)
}

func itemRowOf(shop store.Shop, it store.ItemQueue, now time.Time, loc *time.Location) itemRow {
	row := itemRow{ItemQueue: it, Name: itemName(it), ETADate: dateOf(it.ETA), ETAUnix: unix(it.ETA)}
	if it.ETAKind == "unknown" {
		row.ETAUnix = 1<<53 + 1 // after every date
	}
	q := url.Values{"shop": {fmt.Sprint(shop.ID)}, "item": {it.ItemID}}
	row.Link = "/backorders?" + q.Encode()
	// An item with nothing waiting sorts after every wait, in the script's
	// sorting as on the server's (byTime).
	row.OldestUnix = unix(it.Oldest)
	if it.Oldest != nil {
		row.OldestAge, row.OldestAt = age(now, *it.Oldest), timeIn(*it.Oldest, loc)
	}
	return row
}

// mailCounts says how many messages are in each status, most first.
func mailCounts(counts map[string]int) string {
	var parts []string
	for _, s := range []string{store.EmailSent, store.EmailPending, store.EmailSending, store.EmailNotSent,
		store.EmailHeld, store.EmailFailed, store.EmailSuppressed, store.EmailDropped} {
		if n := counts[s]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, label(s)))
		}
	}
	return strings.Join(parts, " · ")
}

// firstError runs the reads in order and stops at the first that fails.
func firstError(reads ...func() error) error {
	for _, read := range reads {
		if err := read(); err != nil {
			return err
		}
	}
	return nil
}
