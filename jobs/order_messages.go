package jobs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/backorderd/backorderd/backorder"
	"github.com/backorderd/backorderd/email"
	"github.com/backorderd/backorderd/store"
)

// TypeOrderMessages writes the customer emails an order's settled backorders
// call for: one message per order, listing every line it concerns.
const TypeOrderMessages = "email:order-messages"

// OrderMessagesArgs name the orders (ids only).
type OrderMessagesArgs struct {
	ShopID   int64    `json:"shop_id"`
	OrderIDs []string `json:"order_ids"`
	Subject  *Subject `json:"subject,omitempty"` // for people: handlers ignore it
}

func (a OrderMessagesArgs) subject() *Subject { return a.Subject }

// orderMessagesBatch is how many orders one order-messages task handles.
const orderMessagesBatch = 500

// OrderMessages turns backorders into customer emails.
type OrderMessages struct {
	dispatcher *Dispatcher
	store      TxStore
	settle     Settle
	log        *slog.Logger
	now        func() time.Time
}

// NewOrderMessages returns the writer of the per-order customer messages;
// an order's wait until its items have settled by settle.
func NewOrderMessages(s TxStore, d *Dispatcher, settle Settle, log *slog.Logger) *OrderMessages {
	return &OrderMessages{dispatcher: d, store: s, settle: settle, log: log, now: time.Now}
}

// Handler is the asynq handler of TypeOrderMessages.
func (n *OrderMessages) Handler() asynq.Handler {
	return n.dispatcher.OutboxHandler(n.store, n.run)
}

// orderMessage is one message an order's state calls for.
type orderMessage struct {
	kind email.Kind
	key  string
	data email.Order
}

// run writes the messages the order's backorders call for, each once: the
// dedupe key names the order and what the message says
// (order:{id}:backordered:{the lines it announces},
// order:{id}:allocated:{units allocated so far}, order:{id}:cancelled), so
// a message already written is not written again.
func (n *OrderMessages) run(ctx context.Context, tx *store.Tx, out *Outbox, task store.OutboxTask) error {
	var args OrderMessagesArgs
	if err := json.Unmarshal(task.Payload, &args); err != nil || args.ShopID == 0 {
		return fmt.Errorf("decode order messages args %q: %w", task.Payload, asynq.SkipRetry)
	}
	shop, err := tx.Shop(ctx, args.ShopID)
	if err != nil {
		return err
	}
	orders, err := n.settledOrders(ctx, tx, out, args)
	if err != nil {
		return err
	}
	for _, orderID := range orders {
		if err := n.writeOrder(ctx, tx, out, shop, orderID); err != nil {
			return err
		}
	}
	return nil
}

// writeOrder writes the messages one order's backorders call for. An order
// with no address (never given, or erased by customers/redact) gets none.
func (n *OrderMessages) writeOrder(ctx context.Context, tx *store.Tx, out *Outbox, shop store.Shop, orderID string) error {
	o, bos, err := orderToTell(ctx, tx, shop.ID, orderID)
	if err != nil || o == nil {
		return err
	}
	announced, err := announcedLines(ctx, tx, shop.ID, orderID)
	if err != nil {
		return err
	}
	byStore, err := tx.HasStoreWrite(ctx, shop.ID, store.StoreWriteCancel, orderID)
	if err != nil {
		return err
	}
	for _, nt := range orderMessagesOf(shop, *o, bos, announced) {
		if nt.kind == email.Cancelled && byStore && shop.MaxWaitDays != nil {
			nt.data.Reason = fmt.Sprintf("it waited longer than %d days, the longest the shop lets a backorder wait, "+
				"so the order was cancelled and what you paid for it is refunded", *shop.MaxWaitDays)
		}
		id, created, err := writeEmail(ctx, tx, out, shop, nt.kind, nt.key, customer(*o), nt.data)
		if err != nil {
			return err
		}
		if created {
			kind := nt.kind
			out.AfterCommit(func() {
				n.log.Info("email written", "email_id", id, "kind", kind, "shop_id", shop.ID, "order_id", o.OrderID)
			})
		}
	}
	return nil
}

// orderToTell reads an order and its backorders for a customer message;
// nil when it has no address (never given, or erased by customers/redact).
func orderToTell(ctx context.Context, tx *store.Tx, shopID int64, orderID string) (*store.OrderRecord, []store.BackorderEntry, error) {
	orders, err := tx.CustomerOrders(ctx, shopID, "", "", []string{orderID})
	if err != nil || len(orders) == 0 || orders[0].Email == "" {
		return nil, nil, err
	}
	bos, err := tx.OrderBackorders(ctx, shopID, orderID)
	if err != nil {
		return nil, nil, err
	}
	return &orders[0], bos, nil
}

// customer is the recipient of an order's customer messages.
func customer(o store.OrderRecord) recipient {
	return recipient{email: o.Email, name: strings.TrimSpace(o.FirstName + " " + o.LastName), orderID: o.OrderID}
}

// announcedLines are the lines of an order that a confirmation has
// already announced: each confirmation's data names its lines.
func announcedLines(ctx context.Context, tx *store.Tx, shopID int64, orderID string) (map[string]bool, error) {
	data, err := tx.OrderEmailData(ctx, shopID, orderID, string(email.Backordered))
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, d := range data {
		var o email.Order
		_ = json.Unmarshal([]byte(d), &o) // written from email.Order; a redacted row ({}) names none
		for _, l := range o.Lines {
			seen[l.LineID] = true
		}
	}
	return seen, nil
}

// orderMessagesOf decides which messages the order's backorders call for now. A
// confirmation announces the waiting lines no earlier confirmation
// announced, and only those: lines go short at different times, and each
// gets its message once. A ready message tells of the lines an earlier
// confirmation announced: a line that waited and was allocated before its
// confirmation was written (a store's webhooks arrived further apart than
// the settle window allows, and a reconcile put it on backorder for a few
// seconds) was never news to the customer, and "ready" would be the first
// they hear of it.
func orderMessagesOf(shop store.Shop, o store.OrderRecord, bos []store.BackorderEntry, announced map[string]bool) []orderMessage {
	base := email.Order{Shop: emailShop(shop), OrderName: o.Name, CustomerName: o.FirstName}
	// current lists every line still concerned (ready or waiting), once.
	var fresh, waiting, current, cancelled []email.Line
	allocatedUnits := 0
	for _, b := range bos {
		line := emailLine(b)
		// A line whose wait an operator cancelled was told so then (its
		// units allocated before stay ready); one the store cancelled is
		// told here.
		if b.Status == string(backorder.StatusCancelled) && b.WithdrawnAt == nil {
			// What was on backorder and never came is what is cancelled.
			if line.Cancelled = b.Backordered - b.Allocated; line.Cancelled > 0 {
				line.Waiting = 0
				cancelled = append(cancelled, line)
			}
			continue
		}
		if b.Waiting > 0 {
			waiting = append(waiting, line)
			if !announced[b.LineID] {
				fresh = append(fresh, line)
			}
		}
		if !announced[b.LineID] && b.Waiting == 0 {
			continue // allocated before a confirmation told of its wait
		}
		if b.Waiting > 0 || b.Allocated > 0 {
			current = append(current, line)
		}
		if announced[b.LineID] {
			allocatedUnits += b.Allocated
		}
	}
	var ns []orderMessage
	key := "order:" + o.OrderID + ":"
	if len(fresh) > 0 {
		d := base
		d.Lines = fresh
		ns = append(ns, orderMessage{email.Backordered, key + "backordered:" + linesKey(fresh), d})
	}
	if allocatedUnits > 0 {
		d := base
		d.Lines = current
		d.AllReady = len(waiting) == 0
		ns = append(ns, orderMessage{email.Ready, key + "allocated:" + strconv.Itoa(allocatedUnits), d})
	}
	if len(cancelled) > 0 && o.Status == string(backorder.OrderCancelled) {
		d := base
		d.Lines = cancelled
		d.Reason = "the order was cancelled"
		ns = append(ns, orderMessage{email.Cancelled, key + "cancelled", d})
	}
	return ns
}

// linesKey names a set of lines in a dedupe key: their ids, or, for a
// long list, a digest of them (the key is indexed).
func linesKey(lines []email.Line) string {
	ids := make([]string, len(lines))
	for i, l := range lines {
		ids[i] = l.LineID
	}
	sort.Strings(ids)
	k := strings.Join(ids, "+")
	if len(k) <= 100 {
		return k
	}
	sum := sha256.Sum256([]byte(k))
	return "sha256-" + hex.EncodeToString(sum[:12])
}

// recipient is who an email goes to, and the order it is about, if any.
type recipient struct {
	email, name, orderID string
}

// writeEmail renders one message and writes it, with its attachments
// (JSON, content in base64), and its send task, unless the shop already
// has one with its dedupe key. With a SendGrid dynamic
// template named for the kind, the same data goes as the template's data.
func writeEmail(ctx context.Context, tx *store.Tx, out *Outbox, shop store.Shop, kind email.Kind, key string,
	to recipient, data any) (int64, bool, error) {
	msg, err := email.Render(kind, data)
	if err != nil {
		return 0, false, err
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return 0, false, fmt.Errorf("encode %s data: %w", kind, err)
	}
	files := []byte("[]")
	if len(msg.Attachments) > 0 {
		if files, err = json.Marshal(msg.Attachments); err != nil {
			return 0, false, fmt.Errorf("encode %s attachments: %w", kind, err)
		}
	}
	var templates map[string]string
	_ = json.Unmarshal([]byte(shop.TemplateIDs), &templates) // validated when set
	id, created, err := tx.AddEmail(ctx, store.Email{
		ShopID: shop.ID, Kind: string(kind), DedupeKey: key, OrderID: to.orderID, ToEmail: to.email, ToName: to.name,
		Subject: msg.Subject, TextBody: msg.Text, HTMLBody: msg.HTML, Data: string(raw), TemplateID: templates[string(kind)],
		Attachments: string(files),
	})
	if err != nil || !created {
		return id, created, err
	}
	return id, true, QueueEmail(ctx, out, id, shop.ID, string(kind), to.orderID)
}

// scheduleOrderMessages gathers orders' messages once their items have settled.
func scheduleOrderMessages(ctx context.Context, out *Outbox, shopID int64, orderIDs []string, at time.Time) error {
	_, err := out.Add(ctx, TypeOrderMessages, QueueDefault, OrderMessagesArgs{ShopID: shopID, OrderIDs: orderIDs,
		Subject: about(shopID).withOrders(orderIDs...)}, at)
	return err
}
