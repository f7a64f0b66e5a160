package jobs

// The one test harness of package jobs: a store on a given engine, the
// test's own Redis, the dispatcher, every task handler wired in one place,
// the real asynq server when a test starts it, and a fake SendGrid. The
// white-box tests use it directly; the black-box tests of package jobs_test
// reach it as jobs.Harness (exported here, in a _test file, so that it
// exists only in test builds).

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/redis/go-redis/v9"

	"github.com/backorderd/backorderd/integrations/sendgrid"
	"github.com/backorderd/backorderd/jobs/jobstest"
	"github.com/backorderd/backorderd/store"
)

// redisDB is the offset of this package's Redis database (see jobstest).
const redisDB = 1

// TypeTestEffect is the task type of the test effect: a row in effects.
const TypeTestEffect = "test:effect"

// Harness is one store, one Redis and the jobs package's real handlers.
type Harness struct {
	T          testing.TB
	Store      *store.Store
	Redis      redis.UniversalClient // nil when the harness is offline
	Client     *asynq.Client         // nil when the harness is offline
	Inspector  *asynq.Inspector      // nil when the harness is offline
	Dispatcher *Dispatcher
	Relay      *Relay
	Registry   *prometheus.Registry
	Metrics    *Metrics
	Log        *slog.Logger
	Reconciler *Reconciler // the reconcile behind Handlers, on the harness's clock
	Purchasing *Purchasing // the purchasing service on the harness's store and dispatcher
	Handlers   Handlers
	// Stores is the fake store Admin API every shop's client talks to,
	// and Poller the poller on it (the harness's clock).
	Stores *FakeStores
	Poller *Poller

	cfg  harnessConfig
	logs lockedBuffer
	mu   sync.Mutex
	fail bool // the test effect fails, so that asynq archives it
}

type harnessConfig struct {
	enqueuer Enqueuer
	settle   Settle
	now      func() time.Time
	sender   MailSender
	// supplierSender POSTs purchase orders (nil: none configured).
	supplierSender SupplierSender
	logLevel       *slog.Level
	concurrency    int
}

// HarnessOption says what differs from the default harness: a real Redis,
// no settle delay, the wall clock, no mail provider, no logs, four workers.
type HarnessOption func(*harnessConfig)

// Offline enqueues into a Redis that refuses every task: the rows stay for
// the relay, and the test claims no Redis database.
func Offline() HarnessOption { return WithEnqueuer(downRedis{}) }

// WithEnqueuer enqueues through e instead of a Redis.
func WithEnqueuer(e Enqueuer) HarnessOption { return func(c *harnessConfig) { c.enqueuer = e } }

// WithSettle sets the settle times of deliveries and reconciles.
func WithSettle(s Settle) HarnessOption { return func(c *harnessConfig) { c.settle = s } }

// WithClock sets the reconcile's clock.
func WithClock(now func() time.Time) HarnessOption { return func(c *harnessConfig) { c.now = now } }

// WithSender sends mail through sender (a FakeSendGrid's client).
func WithSender(sender MailSender) HarnessOption { return func(c *harnessConfig) { c.sender = sender } }

// WithSupplierSender POSTs purchase orders through sender.
func WithSupplierSender(sender SupplierSender) HarnessOption {
	return func(c *harnessConfig) { c.supplierSender = sender }
}

// WithLogs keeps the log lines at level and above, for Logs.
func WithLogs(level slog.Level) HarnessOption { return func(c *harnessConfig) { c.logLevel = &level } }

// WithConcurrency sets each worker's concurrency.
func WithConcurrency(n int) HarnessOption { return func(c *harnessConfig) { c.concurrency = n } }

// NewHarness builds the stack on s (nil: Redis only).
func NewHarness(tb testing.TB, s *store.Store, opts ...HarnessOption) *Harness {
	tb.Helper()
	h := &Harness{T: tb, Store: s, cfg: harnessConfig{concurrency: 4}}
	for _, o := range opts {
		o(&h.cfg)
	}
	h.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	if h.cfg.logLevel != nil {
		h.Log = slog.New(slog.NewTextHandler(&h.logs, &slog.HandlerOptions{Level: h.cfg.logLevel}))
	}
	enq := h.cfg.enqueuer
	if enq == nil {
		h.Redis, _ = jobstest.Redis(tb, redisDB)
		h.Client = asynq.NewClientFromRedisClient(h.Redis)
		h.Inspector = asynq.NewInspectorFromRedisClient(h.Redis)
		enq = h.Client
	}
	h.Dispatcher = NewDispatcher(enq, h.Log)
	h.Stores = NewFakeStores()
	h.Registry = prometheus.NewRegistry()
	h.Metrics = NewMetrics(h.Registry)
	h.Handlers, h.Relay, h.Reconciler = h.handlers(s, h.Dispatcher, h.Metrics, h.cfg.sender)
	h.Purchasing = NewPurchasing(s, h.Dispatcher, h.cfg.supplierSender, h.Metrics, h.Log)
	if s != nil {
		ctx := context.Background()
		err := s.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.ExecContext(ctx, `CREATE TABLE effects (outbox_id BIGINT NOT NULL)`)
			return err
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	return h
}

// handlers wires every task handler on s through d: a new handler is added
// here, and every test's worker serves it.
func (h *Harness) handlers(s *store.Store, d *Dispatcher, m *Metrics, sender MailSender) (Handlers, *Relay, *Reconciler) {
	var insp TaskInspector
	if h.Inspector != nil {
		insp = h.Inspector
	}
	relay := NewRelay(s, d, insp, 0, h.Log)
	reconciler := NewReconciler(s, d, h.cfg.settle, m, h.Log)
	if h.cfg.now != nil {
		reconciler.now = h.cfg.now
	}
	purchasing := NewPurchasing(s, d, h.cfg.supplierSender, m, h.Log)
	poller := NewPoller(s, h.Stores, d, 24*time.Hour, h.Log)
	writer := NewStoreWriter(s, h.Stores, d, h.Log)
	if h.cfg.now != nil {
		poller.now, writer.now = h.cfg.now, h.cfg.now
	}
	if h.Poller == nil {
		h.Poller = poller
	}
	return Handlers{
		Spool:            d.SpoolHandler(s),
		Delivery:         NewDeliveryHandler(s, d, h.cfg.settle, m, h.Log),
		Relay:            relay.Handler(),
		Reconcile:        reconciler.Handler(),
		FullCheck:        d.FullCheckHandler(s),
		OrderMessages:    NewOrderMessages(s, d, h.cfg.settle, h.Log).Handler(),
		SendEmail:        NewMailer(s, d, sender, m, h.Log).Handler(),
		PeriodicMessages: NewPeriodicMessages(s, d, time.Minute, h.Log).Handler(),
		Privacy:          NewPrivacyScanner(s, d).Handler(),
		ReorderItem:      purchasing.ReorderItemHandler(),
		SendPO:           purchasing.SendPOHandler(),
		Supply:           purchasing.SupplyHandler(),
		StoreOrders:      d.StoreOrdersHandler(s),
		StoreWrite:       writer,
		StoreConnect:     d.ConnectHandler(s, h.Stores, FakePublicURL),
		StorePollDue:     poller.DueHandler(),
		StorePoll:        poller.Handler(),
	}, relay, reconciler
}

// StartWorker runs the real asynq server with the harness's handlers (and
// the test effect) until the test ends.
func (h *Harness) StartWorker() {
	h.T.Helper()
	h.serve(h.Handlers, h.Dispatcher, h.Store)
}

// StartWorkerOn runs one more worker, as another process would: its own
// store s, dispatcher and metrics, on the harness's Redis.
func (h *Harness) StartWorkerOn(s *store.Store) {
	h.T.Helper()
	d := NewDispatcher(h.Client, h.Log)
	handlers, _, _ := h.handlers(s, d, NewMetrics(prometheus.NewRegistry()), h.cfg.sender)
	h.serve(handlers, d, s)
}

func (h *Harness) serve(handlers Handlers, d *Dispatcher, s *store.Store) {
	if h.Redis == nil {
		h.T.Fatal("an offline harness has no worker")
	}
	srv := NewServer(h.Redis, WorkerConfig{Concurrency: h.cfg.concurrency, ShutdownTimeout: 5 * time.Second}, h.Log)
	mux := NewMux(handlers)
	mux.Handle(TypeTestEffect, d.OutboxHandler(s, h.effect))
	if err := srv.Start(mux); err != nil {
		h.T.Fatalf("start worker: %v", err)
	}
	h.T.Cleanup(srv.Shutdown)
}

// Logs returns what was logged (WithLogs).
func (h *Harness) Logs() string { return h.logs.String() }

// SetFailing makes the test effect fail without retry, or succeed again.
func (h *Harness) SetFailing(fail bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.fail = fail
}

// effect is the test task's effect: a row in effects, in the task's
// transaction.
func (h *Harness) effect(ctx context.Context, tx *store.Tx, _ *Outbox, task store.OutboxTask) error {
	h.mu.Lock()
	fail := h.fail
	h.mu.Unlock()
	if fail {
		return fmt.Errorf("effect refused: %w", asynq.SkipRetry)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO effects (outbox_id) VALUES (?)`, task.ID)
	return err
}

// EffectHandler is the test effect's outbox handler, to run by hand.
func (h *Harness) EffectHandler() asynq.Handler { return h.Dispatcher.OutboxHandler(h.Store, h.effect) }

// Effects counts the effects of outbox row id.
func (h *Harness) Effects(id int64) int {
	h.T.Helper()
	var n int
	ctx := context.Background()
	err := h.Store.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE effects SET outbox_id = outbox_id WHERE outbox_id = ?`, id)
		if err != nil {
			return err
		}
		c, err := res.RowsAffected()
		n = int(c)
		return err
	})
	if err != nil {
		h.T.Fatal(err)
	}
	return n
}

// AddTask writes a test effect task through d's transaction; with a
// dispatcher whose Redis is down only the row exists.
func (h *Harness) AddTask(d *Dispatcher) store.OutboxTask {
	h.T.Helper()
	ctx := context.Background()
	var task store.OutboxTask
	err := d.InTx(ctx, h.Store, func(tx *store.Tx, out *Outbox) error {
		var err error
		task, err = out.Add(ctx, TypeTestEffect, QueueDefault, map[string]int64{"item": 7}, time.Time{})
		return err
	})
	if err != nil {
		h.T.Fatalf("add task: %v", err)
	}
	return task
}

// DownDispatcher is a dispatcher whose Redis refuses every task.
func (h *Harness) DownDispatcher() *Dispatcher { return NewDispatcher(downRedis{}, h.Log) }

// OutboxStatus is outbox row id's status.
func (h *Harness) OutboxStatus(id int64) string {
	h.T.Helper()
	row, err := h.Store.Outbox(context.Background(), id)
	if err != nil {
		h.T.Fatal(err)
	}
	return row.Status
}

// WaitFor waits up to 60 s for cond: a bound for a test that fails, not a
// speed. Under -race, with the other packages' tests on both cores, a
// chain of delayed tasks (a settle, a confirmation, its email), each
// picked up by asynq's forwarder every few seconds, took over 30 s in CI.
func (h *Harness) WaitFor(what string, cond func() bool) {
	h.T.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			h.T.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Record writes a delivery and enqueues its task, as the receiver does.
func (h *Harness) Record(shopID int64, topic, key string, body []byte) {
	h.T.Helper()
	ctx := context.Background()
	id, _, err := h.Store.RecordDelivery(ctx, store.Delivery{ShopID: shopID, Topic: topic, DedupeKey: key,
		Body: body, ReceivedAt: time.Now()})
	if err != nil {
		h.T.Fatal(err)
	}
	if err := h.Dispatcher.EnqueueDelivery(ctx, id); err != nil {
		h.T.Fatal(err)
	}
}

// RunOutbox adds a task of taskType with args and waits for the worker to
// have run it.
func (h *Harness) RunOutbox(taskType string, args any) {
	h.T.Helper()
	ctx := context.Background()
	var task store.OutboxTask
	err := h.Dispatcher.InTx(ctx, h.Store, func(tx *store.Tx, out *Outbox) error {
		var err error
		task, err = out.Add(ctx, taskType, QueueDefault, args, time.Time{})
		return err
	})
	if err != nil {
		h.T.Fatal(err)
	}
	h.WaitFor(taskType+" task done", func() bool { return h.OutboxStatus(task.ID) == store.OutboxDone })
}

// RunPeriodic runs the task of taskType for the period ending at period,
// now, as the scheduler enqueues it.
func (h *Harness) RunPeriodic(taskType string, period time.Time) {
	h.T.Helper()
	mux := NewMux(h.Handlers)
	if err := mux.ProcessTask(context.Background(), NewPeriodicTask(taskType, period)); err != nil {
		h.T.Fatal(err)
	}
}

// Emails lists the shop's emails of kind about order ("": any).
func (h *Harness) Emails(shopID int64, kind, order string) []store.Email {
	h.T.Helper()
	es, err := h.Store.ListEmails(context.Background(), store.EmailFilter{ShopID: shopID, Kind: kind, Order: order, Limit: 100})
	if err != nil {
		h.T.Fatal(err)
	}
	return es
}

// Metric reads a gauge or counter without labels from the registry.
func (h *Harness) Metric(name string) float64 {
	h.T.Helper()
	mfs, err := h.Registry.Gather()
	if err != nil {
		h.T.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if m.GetGauge() != nil {
				return m.GetGauge().GetValue()
			}
			return m.GetCounter().GetValue()
		}
	}
	h.T.Fatalf("no metric %s", name)
	return 0
}

// counterValue reads one counter.
func counterValue(t testing.TB, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// Fixture reads a sample body of testdata, e.g. "shopify/orders-create".
func Fixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", name+".json"))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// downRedis refuses every task at once.
type downRedis struct{}

func (downRedis) EnqueueContext(context.Context, *asynq.Task, ...asynq.Option) (*asynq.TaskInfo, error) {
	return nil, errors.New("dial tcp: connection refused")
}

// lockedBuffer collects log lines from many goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// NoAnswer is a FakeSendGrid reply that never comes: the request hangs
// until the client gives up.
const NoAnswer = 0

// FakeSendGrid answers each send with the next status of Replies (the last
// repeats), counts the calls and the messages it accepted, and records the
// from address of each.
type FakeSendGrid struct {
	Replies  []int
	Timeout  time.Duration // the client's; 2 s if zero
	Calls    atomic.Int32
	Accepted atomic.Int32

	mu       sync.Mutex
	froms    []string
	files    []SentAttachment
	emailIDs []string
}

// SentAttachment is a file as SendGrid received it: content in base64.
type SentAttachment struct {
	Filename string `json:"filename"`
	Type     string `json:"type"`
	Content  string `json:"content"`
}

// Attachments returns every file sent, in order.
func (f *FakeSendGrid) Attachments() []SentAttachment {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]SentAttachment(nil), f.files...)
}

// Start serves the fake until the test ends and returns a client of it.
func (f *FakeSendGrid) Start(tb testing.TB) *sendgrid.Client {
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(f.Calls.Add(1)) - 1
		var body struct {
			From struct {
				Email string `json:"email"`
			} `json:"from"`
			Attachments []SentAttachment  `json:"attachments"`
			CustomArgs  map[string]string `json:"custom_args"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		f.mu.Lock()
		f.froms = append(f.froms, body.From.Email)
		f.emailIDs = append(f.emailIDs, body.CustomArgs["email_id"])
		f.files = append(f.files, body.Attachments...)
		f.mu.Unlock()
		status := f.Replies[min(n, len(f.Replies)-1)]
		switch {
		case status == NoAnswer:
			select {
			case <-done:
			case <-r.Context().Done():
			}
			return
		case status == http.StatusTooManyRequests:
			w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(time.Second).Unix(), 10))
		case status < 300:
			f.Accepted.Add(1)
			w.Header().Set("X-Message-Id", fmt.Sprint("msg-", n))
		}
		w.WriteHeader(status)
		if status == http.StatusUnauthorized {
			_, _ = w.Write([]byte(`{"errors":[{"field":null,"message":"Maximum credits exceeded"}]}`))
		}
	}))
	tb.Cleanup(srv.Close)
	tb.Cleanup(func() { close(done) })
	timeout := f.Timeout
	if timeout == 0 {
		timeout = 2 * time.Second
	}
	return sendgrid.New("SG.test", srv.URL, timeout)
}

// Froms returns the from address of every message sent, in order.
func (f *FakeSendGrid) Froms() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.froms...)
}

// EmailIDs returns the email_id custom argument of every message sent, in
// order: what SendGrid's events name the message by.
func (f *FakeSendGrid) EmailIDs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.emailIDs...)
}

// MailShop adds a shop with a name and a sender, for mail.
func (h *Harness) MailShop() store.Shop {
	h.T.Helper()
	shop := store.NewShop(store.Shopify, "m.myshopify.com", "s")
	shop.Name, shop.FromEmail, shop.ReplyTo = "Harbor & Kiln", "shop@example.com", "orders@example.com"
	shop, err := h.Store.AddShop(context.Background(), shop)
	if err != nil {
		h.T.Fatal(err)
	}
	return shop
}

// QueueEmail writes an email of the shop and its send task; it returns
// both ids.
func (h *Harness) QueueEmail(shopID int64, key string) (emailID, outboxID int64) {
	h.T.Helper()
	ctx := context.Background()
	err := h.Dispatcher.InTx(ctx, h.Store, func(tx *store.Tx, out *Outbox) error {
		id, _, err := tx.AddEmail(ctx, store.Email{ShopID: shopID, Kind: "backordered", DedupeKey: key, OrderID: "1",
			ToEmail: "wren@example.net", Subject: "Your order #1", TextBody: "t", HTMLBody: "<p>h</p>"})
		if err != nil {
			return err
		}
		emailID = id
		return QueueEmail(ctx, out, id)
	})
	if err != nil {
		h.T.Fatal(err)
	}
	tasks, err := h.Store.UnfinishedOutbox(ctx, time.Now().Add(time.Hour), 0, 100)
	if err != nil || len(tasks) == 0 {
		h.T.Fatalf("send task: %v", err)
	}
	return emailID, tasks[len(tasks)-1].ID
}

// SendTask is the send task of outbox row outboxID, as asynq delivers it.
func SendTask(outboxID int64) *asynq.Task {
	return asynq.NewTask(TypeSendEmail, []byte(fmt.Sprintf(`{"id":%d}`, outboxID)))
}

// Send runs the send task of outbox row outboxID through the harness's
// mailer.
func (h *Harness) Send(outboxID int64) error {
	return h.Handlers.SendEmail.ProcessTask(context.Background(), SendTask(outboxID))
}

// SendWith runs the send task through a mailer of its own on sender.
func (h *Harness) SendWith(sender MailSender, outboxID int64) error {
	handlers, _, _ := h.handlers(h.Store, h.Dispatcher, NewMetrics(prometheus.NewRegistry()), sender)
	return handlers.SendEmail.ProcessTask(context.Background(), SendTask(outboxID))
}

// Email reads email row id.
func (h *Harness) Email(id int64) store.Email {
	h.T.Helper()
	e, err := h.Store.Email(context.Background(), id)
	if err != nil {
		h.T.Fatal(err)
	}
	return e
}

// SetFrom sets the shop's sender ("": none).
func (h *Harness) SetFrom(shopID int64, from string) {
	h.T.Helper()
	ctx := context.Background()
	shop, err := h.Store.Shop(ctx, shopID)
	if err != nil {
		h.T.Fatal(err)
	}
	shop.FromEmail = from
	if _, err := h.Store.UpdateShop(ctx, shop); err != nil {
		h.T.Fatal(err)
	}
}

// ReleaseHeld re-queues the shop's held mail as setting a sender does, and
// returns the send tasks it wrote.
func (h *Harness) ReleaseHeld(shopID int64, now time.Time) []store.OutboxTask {
	h.T.Helper()
	ctx := context.Background()
	before, err := h.Store.UnfinishedOutbox(ctx, time.Now().Add(time.Hour), 0, 100)
	if err != nil {
		h.T.Fatal(err)
	}
	err = h.Store.InTx(ctx, func(tx *store.Tx) error {
		_, err := ReleaseHeld(ctx, tx, shopID, now)
		return err
	})
	if err != nil {
		h.T.Fatal(err)
	}
	after, err := h.Store.UnfinishedOutbox(ctx, time.Now().Add(time.Hour), 0, 100)
	if err != nil {
		h.T.Fatal(err)
	}
	return after[len(before):]
}

// TwoItems is a product of two variants: 777 (stock key 7770, SKU KETTLE)
// and 888 (8880, TEAPOT).
const TwoItems = `{"id":77,"title":"Kiln set","updated_at":"2026-01-01T00:00:00Z","variants":[` +
	`{"id":777,"product_id":77,"title":"Kettle","sku":"KETTLE","inventory_item_id":7770,"inventory_policy":"continue","inventory_quantity":0},` +
	`{"id":888,"product_id":77,"title":"Teapot","sku":"TEAPOT","inventory_item_id":8880,"inventory_policy":"continue","inventory_quantity":1}]}`

// LevelOf is an inventory_levels/update body: available units of stockKey at at.
func LevelOf(stockKey, available int, at time.Time) []byte {
	return []byte(fmt.Sprintf(`{"inventory_item_id":%d,"location_id":1,"available":%d,"updated_at":%q}`,
		stockKey, available, at.Format(time.RFC3339)))
}

// TwoLineOrder is an order of one kettle and one teapot, to address.
func TwoLineOrder(id int, address string, placed time.Time) []byte {
	return []byte(fmt.Sprintf(`{"id":%d,"name":"#%d","email":%q,"created_at":%q,"updated_at":%q,"financial_status":"paid",`+
		`"customer":{"id":5,"email":%q,"first_name":"Wren"},"line_items":[`+
		`{"id":1,"variant_id":777,"product_id":77,"sku":"KETTLE","name":"Kettle","quantity":1,"fulfillable_quantity":1},`+
		`{"id":2,"variant_id":888,"product_id":77,"sku":"TEAPOT","name":"Teapot","quantity":1,"fulfillable_quantity":1}]}`,
		id, id, address, placed.Format(time.RFC3339), placed.Format(time.RFC3339), address))
}

// Settled waits until item 777 of the shop has no facts left to reconcile
// and cond holds of the shop's backorders and the item's ledger; it
// returns the backorders.
func (h *Harness) Settled(what string, cond func([]store.BackorderEntry, store.LedgerRow) bool, shopID int64) []store.BackorderEntry {
	h.T.Helper()
	var es []store.BackorderEntry
	var led store.LedgerRow
	h.WaitFor(what, func() bool {
		// The ledger first: a reconcile that commits between the two reads
		// then shows its backorders too. Read the other way round, a new
		// ledger could pass cond with the backorders of before.
		led, _ = h.Store.Ledger(context.Background(), shopID, "777")
		var err error
		if es, err = h.Store.ListBackorders(context.Background(), store.BackorderFilter{ShopID: shopID, Limit: 500}); err != nil {
			h.T.Fatal(err)
		}
		return led.FirstFactAt == nil && cond(es, led)
	})
	return es
}

// Reconcile reconciles the shop's item now (forced), as its outbox task
// would, through the harness's reconcile handler.
func (h *Harness) Reconcile(shopID int64, itemID string) {
	h.T.Helper()
	ctx := context.Background()
	var task store.OutboxTask
	err := h.Dispatcher.InTx(ctx, h.Store, func(_ *store.Tx, out *Outbox) error {
		var err error
		task, err = out.Add(ctx, TypeReconcile, QueueDefault, ReconcileArgs{ShopID: shopID, ItemID: itemID, Force: true}, time.Time{})
		return err
	})
	if err != nil {
		h.T.Fatal(err)
	}
	if err := h.Handlers.Reconcile.ProcessTask(ctx, asynq.NewTask(TypeReconcile, []byte(fmt.Sprintf(`{"id":%d}`, task.ID)))); err != nil {
		h.T.Fatal(err)
	}
}

// BackorderedAt starts the worker and makes one backorder, stamped at, in a
// shop with a merchant address; it returns the shop.
func (h *Harness) BackorderedAt(at time.Time) store.Shop {
	h.T.Helper()
	ctx := context.Background()
	shop := store.NewShop(store.Shopify, "notice.myshopify.com", "secret")
	shop.MerchantEmail = "owner@example.com"
	shop, err := h.Store.AddShop(ctx, shop)
	if err != nil {
		h.T.Fatal(err)
	}
	// Every row is stamped at: set before the worker starts, never after.
	h.Store.SetClock(func() time.Time { return at })
	h.StartWorker()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	h.Record(shop.ID, "products/update", "product", []byte(TwoItems))
	h.Record(shop.ID, "inventory_levels/update", "kettle-0", LevelOf(7770, 0, t0))
	h.Record(shop.ID, "orders/create", "order", TwoLineOrder(601, "wren@example.net", t0.Add(time.Second)))
	h.WaitFor("a backorder", func() bool {
		bos, _ := h.Store.ListBackorders(ctx, store.BackorderFilter{ShopID: shop.ID, Limit: 10})
		return len(bos) == 1
	})
	return shop
}

// LateSupply runs the overdue purchase-order check at now.
func (h *Harness) LateSupply(now time.Time) {
	h.T.Helper()
	if err := h.Purchasing.lateSupply(context.Background(), now); err != nil {
		h.T.Fatal(err)
	}
}

// PastMaxWait runs the maximum-wait check at now.
func (h *Harness) PastMaxWait(now time.Time) {
	h.T.Helper()
	if err := h.Purchasing.pastMaxWait(context.Background(), now); err != nil {
		h.T.Fatal(err)
	}
}
