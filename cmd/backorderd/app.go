package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/hibiken/asynq"
	asynqmetrics "github.com/hibiken/asynq/x/metrics"
	"github.com/hibiken/asynqmon"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"

	"github.com/backorderd/backorderd/api"
	"github.com/backorderd/backorderd/api/dashboard"
	"github.com/backorderd/backorderd/config"
	"github.com/backorderd/backorderd/integrations/sendgrid"
	"github.com/backorderd/backorderd/integrations/supplier"
	"github.com/backorderd/backorderd/jobs"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/webhooks"
)

// role is what one process does.
type role string

const (
	roleRun   role = "run"   // everything; the only role allowed the embedded defaults
	roleServe role = "serve" // HTTP: receiver, admin API, monitor
	roleWork  role = "work"  // asynq worker, relays, scheduler; health on HTTP_ADDR
)

func (r role) serves() bool { return r != roleWork }
func (r role) works() bool  { return r != roleServe }

// redisLogEvery is how often one kind of go-redis line may be logged.
const redisLogEvery = 30 * time.Second

// shopCacheTTL is how long a receiver trusts its cached copy of a shop.
const shopCacheTTL = 30 * time.Second

// runRole starts the process of role r and blocks until ctx ends (a signal)
// or a component fails, then shuts down in order within the grace period.
func runRole(ctx context.Context, r role, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	if r != roleRun && (cfg.DatabaseURL == "" || !cfg.ExternalRedis()) {
		return fmt.Errorf("%s needs DATABASE_URL and REDIS_URL (or REDIS_CLUSTER_URLS): the embedded defaults are only for `backorderd run`", r)
	}
	log := newLogger(cfg, stderr)
	sealer, err := newSealer(cfg)
	if err != nil {
		return err
	}
	// go-redis logs by itself (failed dials, twice a second with Redis
	// down): through our logger, rate-limited. The setting is global.
	redis.SetLogger(newRedisLog(log, redisLogEvery))
	adminToken, tokenShown, err := adminToken(cfg, r, stdout)
	if err != nil {
		return err
	}
	summary := cfg.Summary()
	if tokenShown != "" {
		summary = replaceValue(summary, "ADMIN_TOKEN", tokenShown)
	}
	log.Info("starting backorderd", append([]any{"version", version, "role", string(r)}, summary...)...)

	st, err := openStore(cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	rds, err := openRedis(cfg, log)
	if err != nil {
		return err
	}
	defer rds.close()
	// Enqueues made at the same time (a burst of deliveries) travel to
	// Redis in one pipeline.
	client := asynq.NewClientFromRedisClient(jobs.PipelineScripts(rds.client, jobs.ScriptPipelining))
	defer client.Close()
	inspector := asynq.NewInspectorFromRedisClient(rds.client)
	defer inspector.Close()
	dispatcher := jobs.NewDispatcher(client, log)
	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	registry.MustRegister(newTxRetries(st), newDBGauges(st, log),
		// asynq's queue sizes, latency and counts, read from Redis per scrape.
		asynqmetrics.NewQueueMetricsCollector(inspector))

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	schema := &schemaState{}
	schema.set(errors.New("not checked yet"))
	shops := webhooks.NewShops(st, shopCacheTTL)
	jm := jobs.NewMetrics(registry)
	// One purchasing service: the admin API and the supplier webhook
	// change purchase orders through it, the worker sends and reorders.
	purchasing := jobs.NewPurchasing(st, dispatcher, supplier.New(supplierTimeout), jm, log)
	h := &httpParts{cfg: cfg, role: r, log: log, store: st, redis: rds, schema: schema,
		shops: shops, dispatcher: dispatcher, adminToken: adminToken, registry: registry, mail: jm.MailAccount(),
		purchasing: purchasing, sealer: sealer, ops: jobs.NewOperations(st, dispatcher, inspector),
		// The install hands the shop to the connect task, through the outbox:
		// the merchant's browser does not wait for the store's API.
		connectShop: func(ctx context.Context, shopID int64) error {
			return dispatcher.InTx(ctx, st, func(_ *store.Tx, out *jobs.Outbox) error {
				return jobs.QueueConnect(ctx, out, shopID)
			})
		}}
	srv, monitor, err := h.start(ctx, cancel)
	if err != nil {
		return err
	}
	if monitor != nil {
		defer monitor.Close()
	}

	var wg sync.WaitGroup
	var worker *asynq.Server
	err = prepare(ctx, r, cfg, st, sealer, shops, schema, log)
	if err == nil && r.works() {
		clients := newStoreClients(cfg, st, sealer)
		worker, err = startWorker(ctx, &wg, cfg, st, rds, client, inspector, dispatcher, purchasing, clients, jm, log)
	}
	if err == nil {
		log.Info("backorderd ready", "role", string(r))
		<-ctx.Done()
		err = context.Cause(ctx)
	}
	if errors.Is(err, context.Canceled) {
		err = nil // a signal: the normal way to stop
	}
	shutdown(cfg.ShutdownGrace, srv, worker, &wg, log)
	return err
}

// prepare brings the database to the schema this binary knows (run), or
// checks that it is there (serve, work), waiting for a database that is not
// up yet; then it checks that SECRETS_KEY opens the shops' store
// credentials and registers the shops named in the environment.
func prepare(ctx context.Context, r role, cfg config.Config, st *store.Store, sealer *store.Sealer,
	shops *webhooks.Shops, schema *schemaState, log *slog.Logger) error {
	if err := waitFor(ctx, "database", "DATABASE_URL", st.Ping, schema.set, log); err != nil {
		return err
	}
	if r == roleRun {
		v, err := st.Migrate(ctx)
		if err != nil {
			return err
		}
		log.Info("database schema up to date", "engine", string(st.Engine()), "version", v)
	} else if err := st.CheckSchema(ctx); err != nil {
		return err
	}
	if err := checkCredentials(ctx, st, sealer); err != nil {
		return err
	}
	if err := registerEnvShops(ctx, cfg, st, log); err != nil {
		return err
	}
	// Ready only now: a delivery for a shop named in the environment that
	// came before it was registered would be refused (401).
	schema.set(nil)
	if err := shops.Warm(ctx); err != nil {
		log.Warn("shop cache not warmed", "err", err)
	}
	return nil
}

func startWorker(ctx context.Context, wg *sync.WaitGroup, cfg config.Config, st *store.Store, rds *redisConn,
	client *asynq.Client, inspector *asynq.Inspector, dispatcher *jobs.Dispatcher, purchasing *jobs.Purchasing,
	clients jobs.StoreClients, m *jobs.Metrics, log *slog.Logger) (*asynq.Server, error) {
	// asynq's server refuses to start without Redis: wait for it, as for the
	// database (readiness pings Redis itself).
	if err := waitFor(ctx, "redis", redisVariable(cfg), rds.ping, func(error) {}, log); err != nil {
		return nil, err
	}
	relay := jobs.NewRelay(st, dispatcher, inspector, cfg.RelayAfter, log)
	worker := jobs.NewServer(rds.client, jobs.WorkerConfig{
		Concurrency:     cfg.WorkerConcurrency,
		ShutdownTimeout: cfg.ShutdownGrace * 2 / 3,
	}, log)
	settle := jobs.Settle{Quiet: cfg.SettleQuiet, Max: cfg.SettleMax}
	poller := jobs.NewPoller(st, clients, dispatcher, cfg.ReconcileLookback, log)
	periodic := append(jobs.PeriodicTasks(cfg.RelayInterval, cfg.FullCheckInterval, cfg.NoticeWindow, cfg.ReorderInterval),
		jobs.StorePollTask(cfg.ReconcileInterval))
	scheduler := jobs.NewScheduler(client, log, periodic...)
	mux := jobs.NewMux(jobs.Handlers{
		Delivery:         jobs.NewDeliveryHandler(st, dispatcher, settle, m, log),
		Spool:            dispatcher.SpoolHandler(st),
		Relay:            relay.Handler(),
		Reconcile:        jobs.NewReconciler(st, dispatcher, settle, m, log).Handler(),
		FullCheck:        dispatcher.FullCheckHandler(st),
		OrderMessages:    jobs.NewOrderMessages(st, dispatcher, settle, log).Handler(),
		SendEmail:        jobs.NewMailer(st, dispatcher, mailSender(cfg), m, log).Handler(),
		PeriodicMessages: jobs.NewPeriodicMessages(st, dispatcher, cfg.NoticeWindow, log).Handler(),
		Privacy:          jobs.NewPrivacyScanner(st, dispatcher).Handler(),
		ReorderItem:      purchasing.ReorderItemHandler(),
		SendPO:           purchasing.SendPOHandler(),
		Supply:           purchasing.SupplyHandler(),
		StoreOrders:      dispatcher.StoreOrdersHandler(st),
		StoreWrite:       jobs.NewStoreWriter(st, clients, dispatcher, m, log),
		StoreConnect:     dispatcher.ConnectHandler(st, clients, cfg.PublicURL),
		StorePollDue:     poller.DueHandler(),
		StorePoll:        poller.Handler(),
	}, log)
	mux.Use(scheduler.Ticks(time.Now))
	if err := worker.Start(mux); err != nil {
		return nil, fmt.Errorf("start worker: %w", err)
	}
	stopScheduler, err := scheduler.Start(rds.connOpt)
	if err != nil {
		worker.Shutdown()
		return nil, err
	}
	wg.Add(2)
	go func() {
		defer wg.Done()
		// At start, so that what a crash or a lost Redis left behind goes
		// now, not at the first period.
		if _, err := relay.RunOnce(ctx); err != nil && ctx.Err() == nil {
			log.Warn("relay at start failed; the periodic relay will retry", "err", err)
		}
	}()
	go func() {
		defer wg.Done()
		<-ctx.Done()
		stopScheduler()
	}()
	return worker, nil
}

// shutdown stops accepting requests and lets those in flight finish, then
// lets asynq finish its tasks, all within grace.
func shutdown(grace time.Duration, srv *http.Server, worker *asynq.Server, wg *sync.WaitGroup, log *slog.Logger) {
	log.Info("shutting down", "grace", grace.String())
	ctx, cancel := context.WithTimeout(context.Background(), grace/3)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		log.Warn("http shutdown cut short", "err", err)
	}
	if worker != nil {
		worker.Shutdown()
	}
	wg.Wait()
	log.Info("stopped")
}

// schemaState is the database's readiness: nil once the schema is right.
type schemaState struct {
	mu  sync.Mutex
	err error
}

func (s *schemaState) set(err error) {
	s.mu.Lock()
	s.err = err
	s.mu.Unlock()
}

func (s *schemaState) get() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// httpParts is what the HTTP server of a role is built from.
type httpParts struct {
	cfg        config.Config
	role       role
	log        *slog.Logger
	store      *store.Store
	redis      *redisConn
	schema     *schemaState
	shops      *webhooks.Shops
	dispatcher *jobs.Dispatcher
	adminToken string
	registry   *prometheus.Registry
	mail       *jobs.MailAccount
	// purchasing approves, confirms, cancels and receives purchase orders
	// for the admin API and the supplier webhook.
	purchasing *jobs.Purchasing
	// ops are the operator's actions of the admin API: replays, resends,
	// held mail released, shops connected.
	ops *jobs.Operations
	// sealer seals the store credentials the Shopify install obtains (nil
	// without SECRETS_KEY).
	sealer *store.Sealer
	// connectShop starts connecting a shop the Shopify install just gave a
	// token (the connect job); nil: the install's page tells the merchant
	// to run `backorderd shop connect`.
	connectShop webhooks.ConnectShop
}

// installTimeout bounds the install's token request to Shopify.
const installTimeout = 15 * time.Second

// mountShopifyInstall serves the public app's OAuth install when the app,
// PUBLIC_URL and SECRETS_KEY are all set, and says why not when only some
// are.
func (h *httpParts) mountShopifyInstall(router gin.IRouter) {
	if h.cfg.OAuthInstall() {
		app := webhooks.ShopifyApp{APIKey: h.cfg.ShopifyAPIKey, APISecret: h.cfg.ShopifyAPISecret,
			PublicURL: h.cfg.PublicURL, APIBaseURL: h.cfg.ShopifyAPIBaseURL}
		webhooks.NewShopifyInstall(h.store, app, h.sealer, h.connectShop, &http.Client{Timeout: installTimeout}).Mount(router)
		h.log.Info("Shopify app install is on", "install_url", h.cfg.PublicURL+webhooks.InstallPath+"?shop=…",
			"redirect_url", h.cfg.PublicURL+webhooks.InstallCallbackPath)
		return
	}
	if h.cfg.ShopifyAPIKey != "" {
		h.log.Warn("Shopify app install is off: it needs SHOPIFY_API_KEY, SHOPIFY_API_SECRET, PUBLIC_URL and SECRETS_KEY",
			"public_url_set", h.cfg.PublicURL != "", "secrets_key_set", h.cfg.SecretsKey != nil)
	}
}

// start listens on HTTP_ADDR and serves until shut down; a serving error
// cancels the process through fail.
func (h *httpParts) start(ctx context.Context, fail context.CancelCauseFunc) (*http.Server, *asynqmon.HTTPHandler, error) {
	router, monitor := h.router()
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", h.cfg.HTTPAddr)
	if err != nil {
		if monitor != nil {
			monitor.Close()
		}
		return nil, nil, fmt.Errorf("HTTP_ADDR: cannot listen on %s: %w", h.cfg.HTTPAddr, err)
	}
	srv := &http.Server{
		Handler:           router,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fail(fmt.Errorf("http server: %w", err))
		}
	}()
	h.log.Info("listening", "addr", ln.Addr().String(), "monitor", monitor != nil)
	return srv, monitor, nil
}

// router is the role's every route: health, and for serving roles the
// receivers; with ADMIN_TOKEN the admin API, the monitor (the caller
// closes it) and the metrics behind it.
func (h *httpParts) router() (*gin.Engine, *asynqmon.HTTPHandler) {
	gin.SetMode(gin.ReleaseMode)
	router := gin.New()
	// gin trusts every X-Forwarded-For by default: any client could name
	// itself another address (in the request log, and to the login's
	// throttle). Only the proxies TRUSTED_PROXIES names are believed;
	// config.Load checked them.
	_ = router.SetTrustedProxies(h.cfg.TrustedProxies)
	router.Use(api.Recover(h.log), api.RequestLog(h.log))
	router.ContextWithFallback = true
	api.MountHealth(router, h.readiness())
	var monitor *asynqmon.HTTPHandler
	if h.role.serves() {
		wm := webhooks.NewMetrics(h.registry)
		webhooks.NewReceiver(h.shops, h.store, webhooks.DefaultBatching, h.dispatcher, h.cfg.MaxBodyBytes, wm).Mount(router)
		webhooks.NewSupplierCallbacks(h.store, h.purchasing, h.cfg.MaxBodyBytes, wm).Mount(router)
		h.mountShopifyInstall(router)
		if h.cfg.SendGridWebhookKey != "" {
			key, _ := sendgrid.ParsePublicKey(h.cfg.SendGridWebhookKey) // Load validated it
			events := jobs.NewEmailEvents(h.store, h.dispatcher, h.log)
			webhooks.NewSendGridEvents(key, events, h.cfg.MaxBodyBytes, wm).Mount(router)
		}
	}
	if h.adminToken != "" {
		// One set of sessions for the guard and the login: a logout ends
		// the session for every route, kept in the database for every
		// replica.
		sessions := api.NewSessionsWith(h.adminToken, api.SessionOptions{Secure: h.cfg.SecureCookies(),
			Revocations: h.store})
		guard := api.RequireLogin(sessions)
		if h.role.serves() {
			api.MountAdmin(router, guard, h.store, h.purchasing, h.registry)
			backorders := jobs.NewBackorders(h.store, h.dispatcher, h.log)
			// Operators' actions are counted on the routes that act.
			acting := router.Group("", api.NewOperatorActions(h.registry).Use)
			api.MountBackorderActions(acting, guard, h.store, backorders)
			api.MountOperations(acting, guard, h.store, h.store, h.ops, h.sealer)
			monitor = asynqmon.New(asynqmon.Options{RootPath: api.MonitorPath, RedisConnOpt: h.redis.connOpt,
				ReadOnly: h.cfg.MonitorReadOnly})
			api.MountMonitor(router, guard, monitor)
			dashboard.New(h.store, backorders, sessions, h.log).Mount(acting, guard)
		} else {
			api.MountMetrics(router, guard, h.registry)
		}
	} else {
		h.log.Info("admin API, dashboard, monitor and metrics are off: ADMIN_TOKEN is not set")
	}
	return router, monitor
}

// readiness: run and work need both servers; a receiver is ready while it
// can make a delivery durable in either (in the database, its task left to
// the relay while Redis is down; in Redis, recorded when the database is
// back).
func (h *httpParts) readiness() api.Readiness {
	database := api.Check{Name: "database", Check: func(ctx context.Context) error {
		if err := h.schema.get(); err != nil {
			return err
		}
		return h.store.Ping(ctx)
	}}
	redisCheck := api.Check{Name: "redis", Check: h.redis.ping}
	ready := api.Readiness{Checks: []api.Check{database, redisCheck}, Any: h.role == roleServe}
	if h.role.works() && h.cfg.SendGridAPIKey != "" {
		// A detail, not a check: a refused account is fixed in SendGrid,
		// and restarting or unlisting this process would not help.
		ready.Details = []api.Check{{Name: "sendgrid", Check: h.mail.Check}}
	}
	return ready
}

// supplierTimeout bounds one purchase order POST to a supplier; a timeout
// is retried.
const supplierTimeout = 30 * time.Second

// mailSender is SendGrid when a key is configured; without one, mail is
// kept rendered in the emails table (status not_sent), never dropped.
func mailSender(cfg config.Config) jobs.MailSender {
	if cfg.SendGridAPIKey == "" {
		return nil
	}
	return sendgrid.New(cfg.SendGridAPIKey, cfg.SendGridAPIURL, 10*time.Second)
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// replaceValue sets the value of key in a list of key/value pairs.
func replaceValue(pairs []any, key string, value any) []any {
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i] == key {
			pairs[i+1] = value
		}
	}
	return pairs
}
