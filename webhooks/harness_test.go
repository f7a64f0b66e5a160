package webhooks_test

// The one test harness of package webhooks: the receiver and the SendGrid
// Event Webhook mounted on one gin router over a real store and the test's
// own Redis, the fixture shops registered, and every job handler wired
// through one jobs.Handlers, so that settle runs what a worker would.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/backorderd/backorderd/api"
	"github.com/backorderd/backorderd/integrations/sendgrid"
	"github.com/backorderd/backorderd/jobs"
	"github.com/backorderd/backorderd/jobs/jobstest"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/webhooks"
)

var farFuture = time.Now().Add(24 * time.Hour)

const (
	redisDB       = 2
	shopifySecret = "fixture-secret-shopify-do-not-use"
	shopDomain    = "harbor-kiln-supply.myshopify.com"
	wooSecret     = "fixture-secret-woo-do-not-use"
	wooStore      = "https://larchwood-goods.example/"
	// eventsTimestamp is the X-Twilio-Email-Event-Webhook-Timestamp of
	// every signed SendGrid post.
	eventsTimestamp = "1764115200"
)

type harness struct {
	store      *store.Store
	rc         redis.UniversalClient // nil when offline
	insp       *asynq.Inspector      // nil when offline
	dispatcher *jobs.Dispatcher
	handlers   jobs.Handlers // every job, as the worker serves them
	periodic   *jobs.PeriodicMessages
	registry   *prometheus.Registry
	wm         *webhooks.Metrics
	handler    http.Handler
	eventsKey  *ecdsa.PrivateKey // signs what SendGrid posts
	shop       store.Shop        // the Shopify fixture shop
	woo        store.Shop        // the WooCommerce fixture shop
	purchasing *jobs.Purchasing  // answers suppliers' callbacks
}

type harnessConfig struct {
	offline   bool
	enqueuer  webhooks.Enqueuer
	recorder  webhooks.Recorder
	batching  webhooks.Batching
	events    webhooks.EventRecorder
	sender    jobs.MailSender
	log       *slog.Logger
	asServed  bool
	maxBody   int64
	shopCache time.Duration
}

// option says what differs from the default harness.
type option func(*harnessConfig)

// offline enqueues into a Redis that refuses every task: the outbox rows
// are the record, and the test claims no Redis database.
func offline() option { return func(c *harnessConfig) { c.offline = true } }

// withEnqueuer gives the receiver enq instead of the dispatcher.
func withEnqueuer(enq webhooks.Enqueuer) option { return func(c *harnessConfig) { c.enqueuer = enq } }

// withRecorder gives the receiver r instead of the store.
func withRecorder(r webhooks.Recorder) option { return func(c *harnessConfig) { c.recorder = r } }

// withBatching groups the receiver's inbox writes as b says.
func withBatching(b webhooks.Batching) option { return func(c *harnessConfig) { c.batching = b } }

// withEventRecorder gives the SendGrid Event Webhook r instead of the jobs'.
func withEventRecorder(r webhooks.EventRecorder) option {
	return func(c *harnessConfig) { c.events = r }
}

// withSender sends mail through sender.
func withSender(sender jobs.MailSender) option { return func(c *harnessConfig) { c.sender = sender } }

// withLog logs through log (the request log included).
func withLog(log *slog.Logger) option { return func(c *harnessConfig) { c.log = log } }

// asServed mounts the receiver as `backorderd serve` does: recovery and
// request log, a warm shop cache, the production body limit, gin in
// release mode, logs at warn.
func asServed() option {
	return func(c *harnessConfig) { c.asServed, c.maxBody, c.shopCache = true, 10<<20, 30*time.Second }
}

// newHarness serves the receiver on s and a real Redis, with the fixture
// shops registered.
func newHarness(tb testing.TB, s *store.Store, opts ...option) *harness {
	tb.Helper()
	cfg := harnessConfig{maxBody: 1 << 20, batching: webhooks.DefaultBatching, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.asServed {
		cfg.log = slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	ctx := context.Background()
	shop, err := s.AddShop(ctx, store.NewShop(store.Shopify, shopDomain, shopifySecret))
	if err != nil {
		tb.Fatal(err)
	}
	woo, err := s.AddShop(ctx, store.NewShop(store.WooCommerce, wooStore, wooSecret))
	if err != nil {
		tb.Fatal(err)
	}
	h := &harness{store: s, registry: prometheus.NewRegistry(), shop: shop, woo: woo}
	var enq jobs.Enqueuer = downRedis{}
	if !cfg.offline {
		h.rc, _ = jobstest.Redis(tb, redisDB)
		h.insp = asynq.NewInspectorFromRedisClient(h.rc)
		enq = asynq.NewClientFromRedisClient(h.rc)
		if cfg.asServed { // as serve enqueues: concurrent enqueues in one pipeline
			enq = asynq.NewClientFromRedisClient(jobs.PipelineScripts(h.rc, jobs.ScriptPipelining))
		}
	}
	h.dispatcher = jobs.NewDispatcher(enq, cfg.log)
	jm := jobs.NewMetrics(h.registry)
	h.purchasing = jobs.NewPurchasing(s, h.dispatcher, nil, jm, cfg.log)
	h.handlers, h.periodic = newHandlers(s, h.dispatcher, h.insp, h.purchasing, jm, cfg)
	h.wm = webhooks.NewMetrics(h.registry)
	h.handler = h.mount(tb, cfg)
	return h
}

// newHandlers wires every job handler on s: a new handler is added here.
func newHandlers(s *store.Store, d *jobs.Dispatcher, insp *asynq.Inspector, p *jobs.Purchasing, m *jobs.Metrics,
	cfg harnessConfig) (jobs.Handlers, *jobs.PeriodicMessages) {
	var ti jobs.TaskInspector
	if insp != nil {
		ti = insp
	}
	periodic := jobs.NewPeriodicMessages(s, d, time.Hour, cfg.log)
	return jobs.Handlers{
		Spool:            d.SpoolHandler(s),
		Delivery:         jobs.NewDeliveryHandler(s, d, jobs.Settle{}, m, cfg.log),
		Relay:            jobs.NewRelay(s, d, ti, 0, cfg.log).Handler(),
		Reconcile:        jobs.NewReconciler(s, d, jobs.Settle{}, m, cfg.log).Handler(),
		FullCheck:        d.FullCheckHandler(s),
		OrderMessages:    jobs.NewOrderMessages(s, d, jobs.Settle{}, cfg.log).Handler(),
		SendEmail:        jobs.NewMailer(s, d, cfg.sender, m, cfg.log).Handler(),
		PeriodicMessages: periodic.Handler(),
		Privacy:          jobs.NewPrivacyScanner(s, d).Handler(),
		ReorderItem:      p.ReorderItemHandler(),
		SendPO:           p.SendPOHandler(),
		Supply:           p.SupplyHandler(),
	}, periodic
}

// mount is the router: the receiver, the SendGrid Event Webhook and the
// suppliers' callbacks.
func (h *harness) mount(tb testing.TB, cfg harnessConfig) http.Handler {
	tb.Helper()
	shops := webhooks.NewShops(h.store, cfg.shopCache)
	gin.SetMode(gin.TestMode)
	if cfg.asServed {
		gin.SetMode(gin.ReleaseMode)
	}
	r := gin.New()
	if cfg.asServed {
		if err := shops.Warm(context.Background()); err != nil {
			tb.Fatal(err)
		}
		r.Use(api.Recover(cfg.log))
		r.ContextWithFallback = true
	}
	r.Use(api.RequestLog(cfg.log))
	var recorder webhooks.Recorder = h.store
	if cfg.recorder != nil {
		recorder = cfg.recorder
	}
	var enq webhooks.Enqueuer = h.dispatcher
	if cfg.enqueuer != nil {
		enq = cfg.enqueuer
	}
	webhooks.NewReceiver(shops, recorder, cfg.batching, enq, cfg.maxBody, h.wm).Mount(r)
	var events webhooks.EventRecorder = jobs.NewEmailEvents(h.store, h.dispatcher, cfg.log)
	if cfg.events != nil {
		events = cfg.events
	}
	h.eventsKey, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	webhooks.NewSendGridEvents(&h.eventsKey.PublicKey, events, 1<<20, h.wm).Mount(r)
	webhooks.NewSupplierCallbacks(h.store, h.purchasing, cfg.maxBody, h.wm).Mount(r)
	return r
}

// fixture reads a signed sample delivery: its exact body bytes and headers.
func fixture(t testing.TB, name string) (http.Header, []byte) {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("..", "testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join("..", "testdata", name+".headers"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := http.Header{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ": "); ok {
			h.Set(k, v)
		}
	}
	return h, body
}

// reSigned is the fixture with replacements made, signed afresh.
func reSigned(t *testing.T, name, secret, header string, replace ...string) (http.Header, []byte) {
	t.Helper()
	headers, body := fixture(t, name)
	s := string(body)
	for i := 0; i+1 < len(replace); i += 2 {
		if !strings.Contains(s, replace[i]) {
			t.Fatalf("%s has no %q", name, replace[i])
		}
		s = strings.ReplaceAll(s, replace[i], replace[i+1])
	}
	headers.Set(header, sign(secret, []byte(s)))
	return headers, []byte(s)
}

func sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// signEvents signs a SendGrid Event Webhook body as SendGrid does.
func signEvents(t *testing.T, key *ecdsa.PrivateKey, ts string, body []byte) string {
	t.Helper()
	h := sha256.Sum256(append([]byte(ts), body...))
	sig, err := ecdsa.SignASN1(rand.Reader, key, h[:])
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

func (h *harness) post(h2 http.Header, body []byte) *httptest.ResponseRecorder {
	return h.postTo("/webhooks/shopify", h2, body)
}

func (h *harness) postTo(path string, h2 http.Header, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	for k, v := range h2 {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.handler.ServeHTTP(rec, req)
	return rec
}

// deliver posts a delivery that must be accepted.
func (h *harness) deliver(t *testing.T, path string, headers http.Header, body []byte) {
	t.Helper()
	if rec := h.postTo(path, headers, body); rec.Code != http.StatusOK {
		t.Fatalf("delivery answered %d %s", rec.Code, rec.Body)
	}
}

// sendShopify posts a Shopify delivery of topic, signed for the fixture
// shop, that must be accepted.
func (h *harness) sendShopify(t *testing.T, topic, eventID, body string) {
	t.Helper()
	hd := http.Header{}
	hd.Set("X-Shopify-Shop-Domain", shopDomain)
	hd.Set("X-Shopify-Topic", topic)
	hd.Set("X-Shopify-Event-Id", eventID)
	hd.Set("X-Shopify-Hmac-Sha256", sign(shopifySecret, []byte(body)))
	if rec := h.post(hd, []byte(body)); rec.Code != http.StatusOK {
		t.Fatalf("%s %s answered %d %s", topic, eventID, rec.Code, rec.Body)
	}
}

// postEvents posts SendGrid events signed by signer and returns the
// answer's status.
func (h *harness) postEvents(t *testing.T, signer *ecdsa.PrivateKey, body string) int {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/webhooks/sendgrid", bytes.NewReader([]byte(body)))
	req.Header.Set("X-Twilio-Email-Event-Webhook-Timestamp", eventsTimestamp)
	req.Header.Set("X-Twilio-Email-Event-Webhook-Signature", signEvents(t, signer, eventsTimestamp, []byte(body)))
	rec := httptest.NewRecorder()
	h.handler.ServeHTTP(rec, req)
	return rec.Code
}

// mailingShop gives the Shopify fixture shop a name, a sender and a
// merchant address, and returns it.
func (h *harness) mailingShop(t *testing.T) store.Shop {
	t.Helper()
	shop := h.shop
	shop.MerchantEmail, shop.FromEmail, shop.Name = "owner@harborkiln.example", "shop@harborkiln.example", "Harbor & Kiln"
	if _, err := h.store.UpdateShop(context.Background(), shop); err != nil {
		t.Fatal(err)
	}
	return shop
}

// sentEmail writes an order confirmation to address that SendGrid
// accepted as message msg-1, and returns its id.
func (h *harness) sentEmail(t *testing.T, shopID int64, address string) int64 {
	t.Helper()
	ctx := context.Background()
	var id int64
	err := h.store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if id, _, err = tx.AddEmail(ctx, store.Email{ShopID: shopID, Kind: "backordered", DedupeKey: "order:1:backordered",
			OrderID: "1", ToEmail: address, Subject: "s", TextBody: "t", HTMLBody: "h"}); err != nil {
			return err
		}
		if err := tx.BeginSend(ctx, id); err != nil {
			return err
		}
		return tx.SetEmailStatus(ctx, id, store.EmailSent, "msg-1", "")
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// suppressed says whether the shop no longer mails address.
func suppressed(t *testing.T, s *store.Store, shopID int64, address string) bool {
	t.Helper()
	var yes bool
	err := s.InTx(context.Background(), func(tx *store.Tx) error {
		var err error
		yes, err = tx.Suppressed(context.Background(), shopID, address)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return yes
}

// process runs the real delivery job on every delivery still accepted.
func (h *harness) process(t *testing.T) {
	t.Helper()
	ids, err := h.store.UnfinishedInbox(context.Background(), farFuture, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if err := h.handlers.Delivery.ProcessTask(context.Background(), jobs.NewDeliveryTask(id, nil)); err != nil {
			t.Fatalf("process inbox %d: %v", id, err)
		}
	}
}

// settle processes the recorded deliveries, then runs every task the
// outbox holds until none is left, as the worker would.
func (h *harness) settle(t *testing.T) {
	t.Helper()
	h.process(t)
	mux := jobs.NewMux(h.handlers, slog.New(slog.NewTextHandler(io.Discard, nil)))
	for round := 0; ; round++ {
		tasks, err := h.store.UnfinishedOutbox(context.Background(), farFuture, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(tasks) == 0 {
			return
		}
		if round > 8 {
			t.Fatalf("reconciles keep scheduling more: %+v", tasks)
		}
		for _, task := range tasks {
			payload := []byte(fmt.Sprintf(`{"id":%d}`, task.ID))
			if err := mux.ProcessTask(context.Background(), asynq.NewTask(task.TaskType, payload)); err != nil {
				t.Fatalf("%s %s: %v", task.TaskType, task.Payload, err)
			}
		}
	}
}

// sendQueued runs the send task of every email waiting in the outbox.
func (h *harness) sendQueued(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	tasks, err := h.store.UnfinishedOutbox(ctx, time.Now().Add(time.Hour), 0, 10)
	if err != nil || len(tasks) != 1 {
		t.Fatalf("send tasks = %v, %v", tasks, err)
	}
	task := asynq.NewTask(jobs.TypeSendEmail, []byte(fmt.Sprintf(`{"id":%d}`, tasks[0].ID)))
	if err := h.handlers.SendEmail.ProcessTask(ctx, task); err != nil {
		t.Fatal(err)
	}
}

// only returns the one inbox entry there is.
func (h *harness) only(t *testing.T) store.InboxEntry {
	t.Helper()
	es, err := h.store.ListInbox(context.Background(), store.InboxFilter{Limit: 10})
	if err != nil || len(es) != 1 {
		t.Fatalf("inbox = %+v, %v; want one delivery", es, err)
	}
	return es[0]
}

func (h *harness) inboxCount(t *testing.T) int {
	t.Helper()
	ids, err := h.store.UnfinishedInbox(context.Background(), farFuture, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return len(ids)
}

// backorderOf is the backorder of one order line, by SKU.
func (h *harness) backorderOf(t *testing.T, shopID int64, sku string) store.BackorderEntry {
	t.Helper()
	es, err := h.store.ListBackorders(context.Background(), store.BackorderFilter{ShopID: shopID, SKU: sku, Limit: 10})
	if err != nil || len(es) != 1 {
		t.Fatalf("backorders of %s = %+v, %v; want one", sku, es, err)
	}
	return es[0]
}

func (h *harness) noBackorder(t *testing.T, shopID int64, sku string) {
	t.Helper()
	es, _ := h.store.ListBackorders(context.Background(), store.BackorderFilter{ShopID: shopID, SKU: sku, Limit: 10})
	if len(es) != 0 {
		t.Fatalf("%s has backorders %+v, want none (served from stock)", sku, es)
	}
}

// snapshot is the engine's state as text: every backorder, and the ledger
// of items 501 and 502.
func (h *harness) snapshot(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	es, err := h.store.ListBackorders(ctx, store.BackorderFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, b := range es {
		lines = append(lines, fmt.Sprintf("%s/%s %s ordered=%d backordered=%d allocated=%d waiting=%d",
			b.OrderID, b.LineID, b.Status, b.Ordered, b.Backordered, b.Allocated, b.Waiting))
	}
	for _, item := range []string{"501", "502"} {
		led, err := h.store.Ledger(ctx, h.shop.ID, item)
		if err != nil {
			continue // no order ever named it
		}
		if led.Waiting+led.Shortfall != led.Owed {
			t.Fatalf("item %s: waiting %d + shortfall %d != owed %d", item, led.Waiting, led.Shortfall, led.Owed)
		}
		lines = append(lines, fmt.Sprintf("item %s owed=%d waiting=%d shortfall=%d", item, led.Owed, led.Waiting, led.Shortfall))
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

func (h *harness) counter(t *testing.T, platform, outcome string) float64 {
	t.Helper()
	return h.metric(t, "backorderd_webhook_deliveries_total", "platform", platform, "outcome", outcome)
}

// metric reads a counter of the harness's registry by name and labels,
// summed over the series that have them (a histogram: its count).
func (h *harness) metric(t *testing.T, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := h.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			got := map[string]string{}
			for _, l := range m.GetLabel() {
				got[l.GetName()] = l.GetValue()
			}
			for i := 0; i+1 < len(labels); i += 2 {
				if got[labels[i]] != labels[i+1] {
					continue next
				}
			}
			if m.GetHistogram() != nil {
				sum += float64(m.GetHistogram().GetSampleCount())
			} else {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}

// fakeSendGrid accepts every message and counts them.
type fakeSendGrid struct{ accepted atomic.Int32 }

func (f *fakeSendGrid) start(t *testing.T) *sendgrid.Client {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n := f.accepted.Add(1)
		w.Header().Set("X-Message-Id", fmt.Sprint("msg-", n+1))
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(srv.Close)
	return sendgrid.New("SG.test", srv.URL, time.Second)
}

// downRedis refuses every task at once.
type downRedis struct{}

func (downRedis) EnqueueContext(context.Context, *asynq.Task, ...asynq.Option) (*asynq.TaskInfo, error) {
	return nil, errors.New("dial tcp: connection refused")
}

// downEnqueuer is the receiver's Redis, down.
type downEnqueuer struct{}

func (downEnqueuer) EnqueueDeliveryOf(context.Context, int64, string, string) error {
	return errors.New("redis: connection refused")
}

func (downEnqueuer) SpoolDelivery(context.Context, store.Delivery) error {
	return errors.New("redis: connection refused")
}

// downRecorder is a database that does not answer.
type downRecorder struct{}

func (downRecorder) RecordDeliveries(context.Context, []store.Delivery) ([]store.Recorded, error) {
	return nil, errors.New("dial tcp 127.0.0.1:5432: connection refused")
}

// downEvents is a database that cannot take events.
type downEvents struct{}

func (downEvents) RecordEmailEvents(context.Context, []store.EmailEvent) error {
	return errors.New("dial tcp 127.0.0.1:5432: connection refused")
}

// countingReader counts the bytes read from it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// deliverEvents posts SendGrid events signed by the harness's key, which
// must be answered 200.
func (h *harness) deliverEvents(t *testing.T, body string) {
	t.Helper()
	if code := h.postEvents(t, h.eventsKey, body); code != http.StatusOK {
		t.Fatalf("events answered %d", code)
	}
}
