package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/backorderd/backorderd/email"
	"github.com/backorderd/backorderd/store"
)

// TypePeriodicMessages writes the periodic messages (once per period across
// replicas): each merchant's new backorders of the window just ended and
// daily digest, and a status update to every customer with units still
// waiting who has heard nothing for the shop's cadence (default 7 days).
const TypePeriodicMessages = "periodic:messages"

// PeriodicMessages writes the periodic messages.
type PeriodicMessages struct {
	dispatcher *Dispatcher
	store      TxStore
	window     time.Duration
	now        func() time.Time
	log        *slog.Logger
}

// NewPeriodicMessages returns the writer of the periodic messages, with
// merchants' new-backorder notices gathered over windows of window.
func NewPeriodicMessages(s TxStore, d *Dispatcher, window time.Duration, log *slog.Logger) *PeriodicMessages {
	return &PeriodicMessages{dispatcher: d, store: s, window: window, now: time.Now, log: log}
}

// Handler is the asynq handler of TypePeriodicMessages: it runs for the
// period its task stands for, however late it starts.
func (n *PeriodicMessages) Handler() asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		return n.RunAt(ctx, periodOf(t, n.now()))
	})
}

// Run writes the notices of the window that ended last.
func (n *PeriodicMessages) Run(ctx context.Context) error {
	return n.RunAt(ctx, n.now())
}

// maxCatchUp bounds how far back a run looks for windows the merchant was
// not told of (a day, and at most maxCatchUpWindows windows): older ones
// are skipped, since news that late is no longer news.
const (
	maxCatchUp        = 24 * time.Hour
	maxCatchUpWindows = 96
)

// RunAt writes the notices of the run due at period: the new backorders of
// every window that ended by then since the shop's watermark (the last
// window noticed), so that a late, failed or retried run loses none and
// repeats none, and the status updates and digest due by then.
func (n *PeriodicMessages) RunAt(ctx context.Context, period time.Time) error {
	period = period.UTC()
	end := period.Truncate(n.window)
	return n.dispatcher.InTx(ctx, n.store, func(tx *store.Tx, out *Outbox) error {
		shops, err := tx.ActiveShops(ctx)
		if err != nil {
			return err
		}
		for _, shop := range shops {
			if err := n.catchUp(ctx, tx, out, shop, end); err != nil {
				return err
			}
			if err := n.statusUpdates(ctx, tx, out, shop, period); err != nil {
				return err
			}
			if err := n.digest(ctx, tx, out, shop, period); err != nil {
				return err
			}
		}
		return nil
	})
}

// catchUp notices the new backorders of each window from the shop's
// watermark to end (only the last window before the first run), and
// moves the watermark to end.
func (n *PeriodicMessages) catchUp(ctx context.Context, tx *store.Tx, out *Outbox, shop store.Shop, end time.Time) error {
	mark, ok, err := tx.NoticeWatermark(ctx, shop.ID)
	if err != nil {
		return err
	}
	if !ok {
		mark = end.Add(-n.window)
	}
	if oldest := end.Add(-min(maxCatchUp, maxCatchUpWindows*n.window)); mark.Before(oldest) {
		n.log.Warn("new-backorder notices skipped: their windows are over a day old", "shop_id", shop.ID,
			"from", mark, "to", oldest)
		mark = oldest
	}
	for start := mark; start.Before(end); start = start.Add(n.window) {
		stop := start.Add(n.window)
		if stop.After(end) {
			stop = end // a window shortened by a change of NOTICE_WINDOW
		}
		if err := n.newBackorders(ctx, tx, out, shop, start, stop); err != nil {
			return err
		}
	}
	return tx.AdvanceNoticeWatermark(ctx, shop.ID, end)
}

func (n *PeriodicMessages) newBackorders(ctx context.Context, tx *store.Tx, out *Outbox, shop store.Shop, start, end time.Time) error {
	if shop.MerchantEmail == "" {
		return nil
	}
	counts, err := tx.NewBackorders(ctx, shop.ID, start, end)
	if err != nil || len(counts) == 0 {
		return err
	}
	data := email.Merchant{Shop: emailShop(shop),
		Window: start.Format("2006-01-02 15:04") + "–" + end.Format("15:04") + " UTC"}
	for _, c := range counts {
		data.Items = append(data.Items, email.ItemCount{SKU: c.SKU, Title: c.Title, Orders: c.Orders, Units: c.Units})
	}
	key := "new-backorders:" + strconv.FormatInt(start.Unix(), 10)
	_, _, err = writeEmail(ctx, tx, out, shop, email.NewBackorders, key, recipient{email: shop.MerchantEmail, name: shop.Name}, data)
	return err
}

func (n *PeriodicMessages) statusUpdates(ctx context.Context, tx *store.Tx, out *Outbox, shop store.Shop, now time.Time) error {
	if shop.UpdateCadenceDays <= 0 {
		return nil
	}
	due, err := tx.OrdersDueUpdate(ctx, shop.ID, now.AddDate(0, 0, -shop.UpdateCadenceDays))
	if err != nil {
		return err
	}
	for _, orderID := range due {
		orders, err := tx.CustomerOrders(ctx, shop.ID, "", "", []string{orderID})
		if err != nil || len(orders) == 0 {
			return err
		}
		bos, err := tx.OrderBackorders(ctx, shop.ID, orderID)
		if err != nil {
			return err
		}
		o := orders[0]
		if o.Email == "" {
			continue // never given, or erased: nobody to write to
		}
		data := email.Order{Shop: emailShop(shop), OrderName: o.Name, CustomerName: o.FirstName}
		for _, b := range bos {
			if b.Waiting > 0 {
				data.Lines = append(data.Lines, email.Line{LineID: b.LineID, Title: b.Title, SKU: b.SKU, Ordered: b.Ordered,
					Backordered: b.Backordered, Waiting: b.Waiting, Allocated: b.Allocated})
			}
		}
		key := fmt.Sprintf("order:%s:update:%s", orderID, now.Format(time.DateOnly))
		to := recipient{email: o.Email, name: strings.TrimSpace(o.FirstName + " " + o.LastName), orderID: orderID}
		if _, _, err := writeEmail(ctx, tx, out, shop, email.StatusUpdate, key, to, data); err != nil {
			return err
		}
	}
	return nil
}

// digestHour is the local hour from which a shop's daily digest is written.
const digestHour = 7

// digest writes the merchant's daily digest once per local day, at the
// first run from digestHour in the shop's time zone.
func (n *PeriodicMessages) digest(ctx context.Context, tx *store.Tx, out *Outbox, shop store.Shop, now time.Time) error {
	loc, err := time.LoadLocation(shop.TimeZone)
	if err != nil {
		loc = time.UTC // validated when set; a zone the binary lost is no reason to skip the digest
	}
	local := now.In(loc)
	if shop.MerchantEmail == "" || local.Hour() < digestHour {
		return nil
	}
	date := local.Format(time.DateOnly)
	key := "digest:" + date
	if done, err := tx.EmailExists(ctx, shop.ID, key); err != nil || done {
		return err
	}
	items, err := tx.Digest(ctx, shop.ID, now)
	if err != nil {
		return err
	}
	data := email.Merchant{Shop: emailShop(shop), Date: date}
	for _, it := range items {
		line := email.DigestLine{SKU: it.SKU, Title: it.Title, Waiting: it.Waiting, Orders: it.Orders,
			Demand7: it.Demand7, Demand30: it.Demand30, Shortfall: it.Shortfall, Drift: it.Drift}
		if it.Oldest != nil {
			line.OldestDays = int(now.Sub(*it.Oldest).Hours() / 24)
		}
		data.Digest = append(data.Digest, line)
	}
	today := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, time.UTC)
	if err := supplyDigest(ctx, tx, shop.ID, today, now, &data); err != nil {
		return err
	}
	_, _, err = writeEmail(ctx, tx, out, shop, email.Digest, key, recipient{email: shop.MerchantEmail, name: shop.Name}, data)
	return err
}

// digestListMax bounds the digest's lists of overdue orders and slipping
// ETAs: the merchant reads the rest through the API.
const digestListMax = 20

// supplyDigest adds the digest's supply sections to data: the shop's open
// purchase orders, those past an expected date with units still due as of
// today (the shop's calendar day), and the ETAs that moved later over the
// day before now.
func supplyDigest(ctx context.Context, tx *store.Tx, shopID int64, today, now time.Time, data *email.Merchant) error {
	pos, err := tx.OpenPOs(ctx, shopID, today)
	if err != nil {
		return err
	}
	data.OpenPOs = len(pos)
	for _, po := range pos {
		if po.MissedAt != nil && len(data.OverduePOs) < digestListMax {
			data.OverduePOs = append(data.OverduePOs, email.POSummary{ID: po.ID, Supplier: po.Supplier,
				ExpectedAt: po.MissedAt.Format(time.DateOnly), UnitsDue: po.UnitsDue})
		}
	}
	slipping, err := tx.SlippingETAs(ctx, shopID, now.Add(-24*time.Hour), digestListMax)
	if err != nil {
		return err
	}
	for _, s := range slipping {
		data.SlippingETAs = append(data.SlippingETAs, email.SlippingETA{OrderName: s.OrderName, SKU: s.SKU,
			From: s.From.Format(time.DateOnly), To: s.To.Format(time.DateOnly)})
	}
	return nil
}

// emailShop is what a message shows of a shop.
func emailShop(shop store.Shop) email.Shop {
	return email.Shop{Name: shopName(shop), Domain: shop.Domain, ReplyTo: shop.ReplyTo,
		BackorderPolicy: shop.BackorderPolicy, Incentive: shop.Incentive}
}

// shopName is the name a message gives the shop: its own, or, for a shop
// nobody named (`shop set --name`), its address without the scheme — never
// "a purchase order from ".
func shopName(shop store.Shop) string {
	if shop.Name != "" {
		return shop.Name
	}
	host := strings.TrimPrefix(strings.TrimPrefix(shop.Domain, "https://"), "http://")
	return strings.TrimSuffix(host, "/")
}
