package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/backorderd/backorderd/integrations/shopify"
	"github.com/backorderd/backorderd/integrations/storeapi"
	"github.com/backorderd/backorderd/integrations/woocommerce"
	"github.com/backorderd/backorderd/store"
)

// Polling the stores recovers what their webhooks missed: each change the
// store reports since the shop's watermark is recorded in the inbox as a
// delivery of the webhook topic it stands for, and applied by the same
// job, dedupe and stale-state rule as a webhook.

// Task types of polling.
const (
	// TypeStorePollDue enqueues a poll of every shop with credentials
	// (periodic), and requeues their pending writes.
	TypeStorePollDue = "periodic:store-poll-due"
	// TypeStorePoll polls one shop's store.
	TypeStorePoll = "store:poll"
)

// HeaderSource marks a delivery polling recorded: "poll". Webhooks never
// carry it, so a topic's last webhook can be told from its last poll.
const HeaderSource = "X-Backorderd-Source"

// pollOverlap is read again before the watermark: the store's updated_at
// is its clock, not ours, and a change committed late may carry an earlier
// time. What is read twice is deduplicated.
const pollOverlap = time.Minute

// StorePollArgs name the shop a poll task polls, and the period it stands
// for.
type StorePollArgs struct {
	ShopID int64 `json:"shop_id"`
	Period int64 `json:"period,omitempty"`
	// Shop is the shop's domain, for people: handlers ignore it.
	Shop string `json:"shop,omitempty"`
}

// StorePollTask is the periodic entry of the polls, every interval
// (RECONCILE_INTERVAL): the integrator adds it to PeriodicTasks' list.
func StorePollTask(every time.Duration) Periodic {
	return Periodic{Type: TypeStorePollDue, Queue: QueueStore, Every: every,
		About: "poll each connected store for missed orders; requeue pending writes"}
}

// PollStore is the part of the store polling uses.
type PollStore interface {
	StoreWriteStore
	ShopsWithCredentials(ctx context.Context) ([]store.Shop, error)
	PendingStoreWrites(ctx context.Context, shopID int64, before time.Time, afterID int64, limit int) ([]store.WriteBack, error)
	StorePoll(ctx context.Context, shopID int64) (store.PollState, error)
	SaveStorePoll(ctx context.Context, p store.PollState) error
	LastWebhook(ctx context.Context, shopID int64, topic, marker string) (*time.Time, error)
	RecentOrderTimes(ctx context.Context, shopID int64, n int) ([]time.Time, error)
	OrdersPlacedAfter(ctx context.Context, shopID int64, t time.Time) (int, error)
	NoteSilence(ctx context.Context, shopID int64, lastWebhook time.Time) (bool, error)
}

// Poller polls the shops' stores.
type Poller struct {
	store      PollStore
	clients    StoreClients
	dispatcher *Dispatcher
	lookback   time.Duration
	log        *slog.Logger
	now        func() time.Time
}

// NewPoller returns the poller; a shop's first poll reads lookback
// (RECONCILE_LOOKBACK) back.
func NewPoller(s PollStore, clients StoreClients, d *Dispatcher, lookback time.Duration, log *slog.Logger) *Poller {
	return &Poller{store: s, clients: clients, dispatcher: d, lookback: lookback, log: log, now: time.Now}
}

// SetClock sets the poller's clock (tests).
func (p *Poller) SetClock(now func() time.Time) { p.now = now }

// PollReport says what one poll of a shop fetched and recorded.
type PollReport struct {
	Since    time.Time // read from (the watermark less the overlap)
	Seen     int       // changes the store reported
	Recorded int       // of them new to the inbox (the rest were duplicates)
	// Watermark is the latest updated_at seen (nil: none seen).
	Watermark *time.Time
	// Silent is set when the poll found that the order webhooks fell
	// silent, a silence not noted before (and told the merchant, when the
	// shop has an address).
	Silent bool
}

// pollRequeueAge is how long before a poll-due's period a pending write
// was last changed for its task to be requeued: a task enqueued after its
// commit is running by then.
const pollRequeueAge = time.Minute

// DueHandler is the handler of TypeStorePollDue: a poll task per active
// shop with credentials, named for its period (replicas enqueue it once),
// and each such shop's writes left pending requeued (a reactivated shop's,
// or one whose task Redis lost).
func (p *Poller) DueHandler() asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		now := p.now()
		period := periodOf(t, now)
		shops, err := p.store.ShopsWithCredentials(ctx)
		if err != nil {
			return err
		}
		var errs []error
		for _, shop := range shops {
			payload, _ := json.Marshal(StorePollArgs{ShopID: shop.ID, Period: period.Unix(), Shop: shop.Domain}) // ints always encode
			id := "store-poll:" + strconv.FormatInt(shop.ID, 10) + ":" + strconv.FormatInt(period.Unix(), 10)
			errs = append(errs, p.dispatcher.enqueue(ctx, asynq.NewTask(TypeStorePoll, payload), asynq.TaskID(id),
				asynq.Queue(QueueStore), asynq.MaxRetry(periodicMaxRetry), asynq.Timeout(taskTimeout)))
			errs = append(errs, p.RequeueWrites(ctx, shop.ID, period.Add(-pollRequeueAge)))
		}
		return errors.Join(errs...)
	})
}

// RequeueWrites enqueues the task of each of the shop's writes pending
// since before.
func (p *Poller) RequeueWrites(ctx context.Context, shopID int64, before time.Time) error {
	var after int64
	for {
		ws, err := p.store.PendingStoreWrites(ctx, shopID, before, after, 500)
		if err != nil || len(ws) == 0 {
			return err
		}
		for _, w := range ws {
			if err := p.dispatcher.EnqueueStoreWrite(ctx, w); err != nil {
				return err
			}
			after = w.ID
		}
	}
}

// Handler is the handler of TypeStorePoll. A shop uninstalled, or without
// credentials by now, is not polled; a store refusing for good (revoked
// credentials) is not retried: the next period tries again.
func (p *Poller) Handler() asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		var args StorePollArgs
		if err := json.Unmarshal(t.Payload(), &args); err != nil || args.ShopID <= 0 {
			return fmt.Errorf("decode %s payload %q: %w", t.Type(), t.Payload(), asynq.SkipRetry)
		}
		shop, err := p.store.Shop(ctx, args.ShopID)
		if err != nil {
			return err
		}
		if shop.Status != store.ShopActive {
			return nil
		}
		_, err = p.ReconcileShop(ctx, shop, nil)
		switch {
		case errors.Is(err, ErrNoStoreClient):
			return nil
		case storeapi.IsPermanent(err):
			return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
		}
		return err
	})
}

// ReconcileShop reads the changes of the shop's store since `since` (nil:
// its watermark, or RECONCILE_LOOKBACK back on its first poll), less the
// overlap, and records each in the inbox, its delivery task enqueued as a
// webhook's is; a change recorded before is skipped. The watermark then
// moves to the latest change seen (never back); a poll that fails keeps
// it, and says why in the shop's poll state.
func (p *Poller) ReconcileShop(ctx context.Context, shop store.Shop, since *time.Time) (PollReport, error) {
	if shop.Status != store.ShopActive {
		return PollReport{}, fmt.Errorf("poll shop %d: it is %s", shop.ID, shop.Status)
	}
	client, err := p.clients.Client(ctx, shop)
	if err != nil {
		return PollReport{}, fmt.Errorf("poll shop %d: %w", shop.ID, err)
	}
	state, err := p.store.StorePoll(ctx, shop.ID)
	if err != nil {
		return PollReport{}, err
	}
	now := p.now()
	from := now.Add(-p.lookback)
	switch {
	case since != nil:
		from = *since
	case state.Watermark != nil:
		from = *state.Watermark
	}
	rep := PollReport{Since: from.Add(-pollOverlap).UTC()}
	err = client.Changes(ctx, rep.Since, func(c storeapi.Change) error {
		rep.Seen++
		recorded, err := recordChange(ctx, p.store, p.dispatcher, shop, c, now)
		if recorded {
			rep.Recorded++
		}
		if !c.UpdatedAt.IsZero() && (rep.Watermark == nil || c.UpdatedAt.After(*rep.Watermark)) {
			at := c.UpdatedAt.UTC()
			rep.Watermark = &at
		}
		return err
	})
	saved := store.PollState{ShopID: shop.ID, LastSeen: rep.Seen, LastRecorded: rep.Recorded}
	if err != nil {
		saved.LastError = err.Error()
	} else {
		saved.Watermark = rep.Watermark
	}
	if serr := p.store.SaveStorePoll(ctx, saved); serr != nil {
		return rep, errors.Join(err, serr)
	}
	if err != nil {
		return rep, fmt.Errorf("poll shop %d: %w", shop.ID, err)
	}
	rep.Silent, err = p.checkSilence(ctx, shop, now)
	return rep, err
}

// changeRecorder is the part of the store recording a change uses.
type changeRecorder interface {
	RecordDelivery(ctx context.Context, d store.Delivery) (id int64, duplicate bool, err error)
}

// recordChange records a change the store reported in the inbox, as a
// delivery of its topic with the headers the platform's decoder reads,
// and enqueues its task (or leaves it to the relay); it reports false for
// a change recorded before.
func recordChange(ctx context.Context, rec changeRecorder, d *Dispatcher, shop store.Shop, c storeapi.Change, now time.Time) (bool, error) {
	dl := changeDelivery(shop, c, now)
	id, dup, err := rec.RecordDelivery(ctx, dl)
	if err != nil {
		return false, fmt.Errorf("record polled %s: %w", c.Topic, err)
	}
	if dup {
		return false, nil
	}
	// Recorded: a task Redis does not take now is the relay's to enqueue.
	_ = d.EnqueueDeliveryOf(ctx, id, shop.Domain, c.Topic)
	return true, nil
}

// changeDelivery is a change as the webhook of its topic would have
// delivered it: the platform's shop and topic headers, its time, and the
// poll marker.
func changeDelivery(shop store.Shop, c storeapi.Change, now time.Time) store.Delivery {
	h := map[string]string{HeaderSource: "poll"}
	key := c.DedupeKey
	switch shop.Platform {
	case store.Shopify:
		h[shopify.HeaderShopDomain], h[shopify.HeaderTopic] = shop.Domain, c.Topic
		if !c.UpdatedAt.IsZero() {
			// The version the stale-state rule compares, as a webhook's.
			h[shopify.HeaderTriggeredAt] = c.UpdatedAt.UTC().Format(time.RFC3339Nano)
		}
		if key == "" {
			key = shopify.DedupeKey(c.Topic, "", "", c.Body)
		}
	case store.WooCommerce:
		resource, event, _ := strings.Cut(c.Topic, ".")
		h[woocommerce.HeaderSource], h[woocommerce.HeaderTopic] = shop.Domain, c.Topic
		h["X-WC-Webhook-Resource"], h["X-WC-Webhook-Event"] = resource, event
		if key == "" {
			key = woocommerce.DedupeKey(c.Topic, c.Body)
		}
	}
	return store.Delivery{ShopID: shop.ID, Topic: c.Topic, DedupeKey: key, Headers: h, Body: c.Body, ReceivedAt: now}
}
