package jobs

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/backorderd/backorderd/integrations/sendgrid"
	"github.com/backorderd/backorderd/integrations/storeapi"
	"github.com/backorderd/backorderd/integrations/supplier"
	"github.com/backorderd/backorderd/store"
)

// WorkerConfig sizes the asynq server.
type WorkerConfig struct {
	Concurrency     int
	ShutdownTimeout time.Duration
}

// How often an idle worker looks for a task, and how often it moves the
// delayed tasks that are due (a settling item's reconcile, an order's
// messages) to their queue. asynq's defaults, 1 s and 5 s, put up to 5 s
// between a delayed task's time and its run at each step of the chain
// from an item's last fact to its customers' confirmations; each check is
// a few Redis scripts, so a worker checking 10 and 5 times a second adds
// some 60 cheap Redis calls a second.
const (
	taskCheckInterval        = 100 * time.Millisecond
	delayedTaskCheckInterval = 200 * time.Millisecond
)

// NewServer returns the asynq server on rc, logging through log. Each
// task's outcome is logged once, by the mux's TaskLog.
func NewServer(rc redis.UniversalClient, cfg WorkerConfig, log *slog.Logger) *asynq.Server {
	return asynq.NewServerFromRedisClient(rc, asynq.Config{
		Concurrency:              cfg.Concurrency,
		TaskCheckInterval:        taskCheckInterval,
		DelayedTaskCheckInterval: delayedTaskCheckInterval,
		Queues:                   Queues(),
		RetryDelayFunc:           retryDelay,
		IsFailure:                isFailure,
		ShutdownTimeout:          cfg.ShutdownTimeout,
		Logger:                   asynqLogger{log: log.With("component", "asynq")},
	})
}

// Handlers are the task handlers the worker serves.
type Handlers struct {
	Delivery         asynq.Handler
	Spool            asynq.Handler
	Relay            asynq.Handler
	Reconcile        asynq.Handler
	FullCheck        asynq.Handler
	OrderMessages    asynq.Handler
	SendEmail        asynq.Handler
	PeriodicMessages asynq.Handler
	Privacy          asynq.Handler
	ReorderItem      asynq.Handler
	SendPO           asynq.Handler
	Supply           asynq.Handler
	// The stores' Admin APIs (nil: not served, as for a worker built
	// without store clients).
	StoreOrders  asynq.Handler
	StoreWrite   asynq.Handler
	StoreConnect asynq.Handler
	StorePollDue asynq.Handler
	StorePoll    asynq.Handler
}

// NewMux routes each task type to its handler, logging each task's
// outcome through log.
func NewMux(h Handlers, log *slog.Logger) *asynq.ServeMux {
	mux := asynq.NewServeMux()
	mux.Use(TaskLog(log))
	mux.Handle(TypeDelivery, h.Delivery)
	mux.Handle(TypeSpool, h.Spool)
	mux.Handle(TypeRelay, h.Relay)
	mux.Handle(TypeReconcile, h.Reconcile)
	mux.Handle(TypeFullCheck, h.FullCheck)
	mux.Handle(TypeOrderMessages, h.OrderMessages)
	mux.Handle(TypeSendEmail, h.SendEmail)
	mux.Handle(TypePeriodicMessages, h.PeriodicMessages)
	mux.Handle(TypePrivacyScan, h.Privacy)
	mux.Handle(TypeReorderItem, h.ReorderItem)
	mux.Handle(TypeSendPO, h.SendPO)
	mux.Handle(TypeSupply, h.Supply)
	for typ, handler := range map[string]asynq.Handler{TypeStoreOrders: h.StoreOrders, TypeStoreWrite: h.StoreWrite, TypeStoreConnect: h.StoreConnect,
		TypeStorePollDue: h.StorePollDue, TypeStorePoll: h.StorePoll} {
		if handler != nil {
			mux.Handle(typ, handler)
		}
	}
	// The names these tasks had before they were renamed: tasks an older
	// release left in Redis still run (their outbox rows were renamed by
	// migration 00010).
	mux.Handle(legacyTypeOrderMessages, h.OrderMessages)
	mux.Handle(legacyTypePeriodicMessages, h.PeriodicMessages)
	return mux
}

// Task types of an older release, still served.
const (
	legacyTypeOrderMessages    = "email:notify-order"
	legacyTypePeriodicMessages = "periodic:notices"
)

// asynqLogger adapts slog to asynq's Logger.
type asynqLogger struct{ log *slog.Logger }

func (l asynqLogger) Debug(args ...any) { l.log.Debug(fmt.Sprint(args...)) }
func (l asynqLogger) Info(args ...any)  { l.log.Info(fmt.Sprint(args...)) }
func (l asynqLogger) Warn(args ...any)  { l.log.Warn(fmt.Sprint(args...)) }
func (l asynqLogger) Error(args ...any) { l.log.Error(fmt.Sprint(args...)) }

// Fatal is logged as an error: the process's own shutdown decides exits.
func (l asynqLogger) Fatal(args ...any) { l.log.Error(fmt.Sprint(args...)) }

// retryDelay spaces retries: a rate-limited email waits for SendGrid's
// reset, a rate-limited purchase order for the supplier's Retry-After; an email whose account SendGrid refuses backs off with the
// refusals in a row (n does not grow: they are no failures), at most
// accountMaxDelay apart; a spooled delivery waits for the database at most
// spoolMaxDelay apart, and so does any task that found the database
// unreachable or restarting; everything else backs off as asynq does. A wait an
// outside service asked for is a second longer: asynq keeps a retry's time
// to the whole second, and its forwarder, checking every
// delayedTaskCheckInterval, runs it up to a second before the time asked.
func retryDelay(n int, err error, t *asynq.Task) time.Duration {
	// SendGrid's rate limit reset, the supplier's Retry-After, the store's
	// Retry-After or Shopify's points over its restore rate.
	if d := cmp.Or(sendgrid.RetryAfter(err), supplier.RetryAfter(err), storeapi.RetryAfter(err)); d > 0 {
		return d + time.Second
	}
	var busy *writeBusyError
	if errors.As(err, &busy) {
		return writeBusyDelay(n)
	}
	var held *deliveryBusyError
	if errors.As(err, &held) {
		return deliveryBusyDelay
	}
	var refusal *accountRefusal
	if errors.As(err, &refusal) {
		return accountDelay(refusal.streak)
	}
	if t.Type() == TypeSpool || store.Unavailable(err) {
		// The database was away (restarted, failed over): back within
		// seconds once it answers, not after asynq's 15–45 s and more.
		return min(time.Duration(1<<min(n, 10))*time.Second, spoolMaxDelay)
	}
	return asynq.DefaultRetryDelayFunc(n, err, t)
}
