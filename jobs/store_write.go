package jobs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/hibiken/asynq"

	"github.com/backorderd/backorderd/integrations/storeapi"
	"github.com/backorderd/backorderd/store"
)

// StoreClient is a shop's store Admin API, as the write-back and polling
// jobs use it (integrations/shopify and integrations/woocommerce). Its
// errors are *storeapi.Error: storeapi.IsPermanent and storeapi.RetryAfter
// say what a retry can do.
type StoreClient interface {
	Connect(ctx context.Context, callbackURL, secret string) (storeapi.ConnectReport, error)
	SyncOrder(ctx context.Context, o storeapi.Order, w storeapi.OrderWrites) error
	SetSelling(ctx context.Context, it storeapi.Item) error
	AddStock(ctx context.Context, r storeapi.Receipt) error
	CancelOrder(ctx context.Context, c storeapi.Cancel) error
	Changes(ctx context.Context, since time.Time, fn func(storeapi.Change) error) error
	Resolve(ctx context.Context, stockKey string) (storeapi.Change, error)
}

// StoreClients opens the store client of a shop from its credentials.
type StoreClients interface {
	// Client returns ErrNoStoreClient (wrapped) when the shop has no
	// credentials: it works on webhooks alone.
	Client(ctx context.Context, shop store.Shop) (StoreClient, error)
}

// ErrNoStoreClient is the error of a shop without store credentials.
var ErrNoStoreClient = errors.New("the shop has no store credentials")

// QueueStore is the queue of the writes to the stores and their polling:
// the lowest priority, so that a slow or throttled store never holds up
// intake or allocation.
const QueueStore = "store"

// TypeStoreWrite writes one row of store_writes to its shop's store.
const TypeStoreWrite = "store:write"

// storeWriteMaxRetry: a store down for a day is retried through the day
// (asynq's backoff grows to hours); what is archived stays pending with its
// last error, and is requeued with the shop's next poll (a new TaskID: each
// failed attempt moved the row's updated_at).
const storeWriteMaxRetry = 25

// StoreWriteArgs name a write and the state it was queued for.
type StoreWriteArgs struct {
	ID   int64  `json:"id"`
	Hash string `json:"hash"`
	// Kind and Of say what is written (an order's tags, an item's
	// policy) and to which order or item, for people: handlers ignore them.
	Kind string `json:"kind,omitempty"`
	Of   string `json:"of,omitempty"`
}

// NewStoreWriteTask is the task that writes w's wanted state, with its
// options. The TaskID names the row, the state and when the row last
// changed (version: its updated_at), so a burst of changes to one order
// that ends in one state queues one write, while the same state wanted
// again later (DENY, CONTINUE, DENY) is a new task, never a conflict with
// an archived one that would be taken for queued. Two tasks of one row are
// harmless: one writer at a time holds it, and a state written is not
// written again.
func NewStoreWriteTask(w store.WriteBack) (*asynq.Task, []asynq.Option) {
	id, hash, version := w.ID, w.WantedHash, w.UpdatedAt
	payload, _ := json.Marshal(StoreWriteArgs{ID: id, Hash: hash, Kind: w.Kind, Of: w.Subject}) // ints and strings always encode
	taskID := "store-write:" + strconv.FormatInt(id, 10) + ":" + hash + ":" + strconv.FormatInt(version.UnixNano(), 10)
	return asynq.NewTask(TypeStoreWrite, payload), []asynq.Option{asynq.TaskID(taskID), asynq.Queue(QueueStore),
		asynq.MaxRetry(storeWriteMaxRetry), asynq.Timeout(2 * time.Minute)}
}

// orderWant is the wanted state of an order write.
type orderWant struct {
	Order  storeapi.Order       `json:"order"`
	Writes storeapi.OrderWrites `json:"writes"`
}

// wantStoreWrite records, in the transaction that changed the facts, the
// state a shop's store should show of (kind, subject), and queues its
// write once the transaction commits, unless the state is the one written
// or queued already. Shops without credentials (or uninstalled) get none.
func wantStoreWrite(ctx context.Context, tx *store.Tx, out *Outbox, shopID int64, kind, subject string, wanted any) error {
	ok, err := out.canWrite(ctx, shopID)
	if err != nil || !ok {
		return err
	}
	raw, err := json.Marshal(wanted)
	if err != nil {
		return fmt.Errorf("encode %s write of %s: %w", kind, subject, err)
	}
	sum := sha256.Sum256(append([]byte(kind+"\x00"), raw...))
	hash := hex.EncodeToString(sum[:16])
	w, changed, err := tx.WantStoreWrite(ctx, shopID, kind, subject, string(raw), hash)
	if err != nil || !changed {
		return err
	}
	out.writes = append(out.writes, w)
	return nil
}

// canWrite reports whether the shop's store may be written to: it has
// credentials and is active. Asked once per shop per transaction.
func (o *Outbox) canWrite(ctx context.Context, shopID int64) (bool, error) {
	if ok, seen := o.credentials[shopID]; seen {
		return ok, nil
	}
	ok, err := o.tx.ShopHasCredentials(ctx, shopID)
	if err != nil {
		return false, err
	}
	if o.credentials == nil {
		o.credentials = map[int64]bool{}
	}
	o.credentials[shopID] = ok
	return ok, nil
}

// EnqueueStoreWrite enqueues the write of w's wanted state; a task for it
// that exists already is success.
func (d *Dispatcher) EnqueueStoreWrite(ctx context.Context, w store.WriteBack) error {
	task, opts := NewStoreWriteTask(w)
	return d.enqueue(ctx, task, opts...)
}

// StoreWriteStore is the part of the store the write handler uses.
type StoreWriteStore interface {
	TxStore
	Shop(ctx context.Context, id int64) (store.Shop, error)
	StoreWrite(ctx context.Context, id int64) (store.WriteBack, error)
	StoreWritten(ctx context.Context, id int64, hash string) (store.WriteBack, error)
	StoreWriteFailed(ctx context.Context, id int64, hash, reason string, permanent bool) error
	StoreWriteBlocked(ctx context.Context, id int64, reason string) error
	LeaseStoreWrite(ctx context.Context, id int64, d time.Duration) (bool, error)
	ReleaseStoreWrite(ctx context.Context, id int64) error
	RecordDelivery(ctx context.Context, d store.Delivery) (id int64, duplicate bool, err error)
	StockKeyMapped(ctx context.Context, shopID int64, key string) (bool, error)
}

// StoreWriter makes the writes of store_writes in the shops' stores.
type StoreWriter struct {
	store      StoreWriteStore
	clients    StoreClients
	dispatcher *Dispatcher
	metrics    *Metrics
	log        *slog.Logger
	now        func() time.Time
}

// NewStoreWriter returns the handler of TypeStoreWrite.
func NewStoreWriter(s StoreWriteStore, clients StoreClients, d *Dispatcher, m *Metrics, log *slog.Logger) *StoreWriter {
	return &StoreWriter{store: s, clients: clients, dispatcher: d, metrics: m, log: log, now: time.Now}
}

// Why a pending write waits without a try.
const (
	blockedUninstalled   = "not written: the shop is uninstalled; written once it is reactivated"
	blockedNoCredentials = "not written: the shop has no store credentials; written once it has"
)

// ProcessTask writes one row's wanted state. A task for a state no longer
// wanted does nothing (the newer state's task writes that one). The store
// is called outside any transaction: a slow store holds no lock.
func (sw *StoreWriter) ProcessTask(ctx context.Context, t *asynq.Task) error {
	var args StoreWriteArgs
	if err := json.Unmarshal(t.Payload(), &args); err != nil || args.ID <= 0 {
		return fmt.Errorf("decode %s payload %q: %w", t.Type(), t.Payload(), asynq.SkipRetry)
	}
	w, err := sw.store.StoreWrite(ctx, args.ID)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("store write %d is gone: %w", args.ID, asynq.SkipRetry)
	}
	if err != nil {
		return err
	}
	if w.Status != store.StoreWritePending || (args.Hash != "" && args.Hash != w.WantedHash) {
		return nil
	}
	shop, err := sw.store.Shop(ctx, w.ShopID)
	if err != nil {
		return err
	}
	if shop.Status != store.ShopActive {
		return sw.store.StoreWriteBlocked(ctx, w.ID, blockedUninstalled)
	}
	client, err := sw.clients.Client(ctx, shop)
	if errors.Is(err, ErrNoStoreClient) {
		return sw.store.StoreWriteBlocked(ctx, w.ID, blockedNoCredentials)
	}
	if err != nil {
		return fmt.Errorf("open store client of shop %d: %w", shop.ID, err)
	}
	// One writer at a time per row: a task that started on an older state
	// must not land it after a newer one's task.
	leased, err := sw.store.LeaseStoreWrite(ctx, w.ID, storeWriteLease)
	if err != nil {
		return err
	}
	if !leased {
		return &writeBusyError{id: w.ID}
	}
	defer func() {
		if err := sw.store.ReleaseStoreWrite(context.WithoutCancel(ctx), w.ID); err != nil {
			sw.log.Warn("store write lease not released; it expires by itself", "store_write_id", w.ID, "err", err)
		}
	}()
	if w, err = sw.store.StoreWrite(ctx, w.ID); err != nil {
		return err
	}
	if w.Status != store.StoreWritePending || (args.Hash != "" && args.Hash != w.WantedHash) {
		return nil // written meanwhile, or the task of the state now wanted writes it
	}
	if w.Kind == store.StoreWriteOrder {
		// The state was decided from what was committed then; the store gets
		// what is committed now (a later change's task may not have run).
		fresh, err := sw.refreshOrder(ctx, shop, w)
		if err != nil {
			return err
		}
		if fresh.Status != store.StoreWritePending || fresh.WantedHash != w.WantedHash {
			return nil // written already, or the task of the state now wanted writes it
		}
	}
	if err := sw.write(ctx, client, shop, w); err != nil {
		outcome := "retry"
		if storeapi.IsPermanent(err) {
			outcome = "failed"
		}
		sw.metrics.countStoreWrite(w.Kind, outcome)
		return sw.failed(ctx, shop, w, err)
	}
	sw.metrics.countStoreWrite(w.Kind, "written")
	now, err := sw.store.StoreWritten(ctx, w.ID, w.WantedHash)
	if err != nil {
		return err
	}
	if now.Status == store.StoreWritePending && now.WantedHash != w.WantedHash {
		// Another state was wanted while this one was written, and its
		// task may have finished before this write: it is written again
		// after this one, so the store ends with the newest.
		return sw.dispatcher.EnqueueStoreWrite(ctx, now)
	}
	return nil
}

// storeWriteLease is how long a writer may hold a row: longer than the
// task's timeout, so that only a writer that died loses it.
const storeWriteLease = 3 * time.Minute

// writeBusyError is a write whose row another writer holds: tried again
// shortly (retryDelay), after that writer has finished.
type writeBusyError struct{ id int64 }

func (e *writeBusyError) Error() string {
	return fmt.Sprintf("store write %d is being written by another task", e.id)
}

// writeBusyDelay is how long a busy write waits: 1s, doubling to 30s.
func writeBusyDelay(n int) time.Duration {
	return min(time.Duration(1<<min(n, 5))*time.Second, 30*time.Second)
}

// refreshOrder records the state wanted of w's order as it is committed
// now (queueing its write when it changed) and returns the row.
func (sw *StoreWriter) refreshOrder(ctx context.Context, shop store.Shop, w store.WriteBack) (store.WriteBack, error) {
	writes := orderWrites(shop)
	if writes == nil {
		return w, nil // the shop turned its order writes off: this task writes what it was given
	}
	if err := sw.dispatcher.InTx(ctx, sw.store, func(tx *store.Tx, out *Outbox) error {
		return wantOrderWrite(ctx, tx, out, shop, w.Subject, *writes)
	}); err != nil {
		return store.WriteBack{}, fmt.Errorf("refresh order write %d: %w", w.ID, err)
	}
	return sw.store.StoreWrite(ctx, w.ID)
}

// failed records a failed write: for good on a refusal a retry cannot fix
// (its reason shown to operators), otherwise retried, after the wait the
// store asked for (retryDelay).
func (sw *StoreWriter) failed(ctx context.Context, shop store.Shop, w store.WriteBack, err error) error {
	permanent := storeapi.IsPermanent(err)
	if rerr := sw.store.StoreWriteFailed(ctx, w.ID, w.WantedHash, err.Error(), permanent); rerr != nil {
		return rerr
	}
	if permanent && w.Kind == store.StoreWriteCancel {
		// The store will not cancel it: the customer, who was to hear of
		// the cancellation, hears that the wait passed the maximum instead.
		if terr := sw.dispatcher.InTx(ctx, sw.store, func(tx *store.Tx, out *Outbox) error {
			return tellWaitExceeded(ctx, tx, out, shop, w.Subject)
		}); terr != nil {
			return terr
		}
	}
	if permanent {
		return fmt.Errorf("write %s %s of shop %d: %w: %w", w.Kind, w.Subject, w.ShopID, err, asynq.SkipRetry)
	}
	return fmt.Errorf("write %s %s of shop %d: %w", w.Kind, w.Subject, w.ShopID, err)
}

// write calls the store with a row's wanted state.
func (sw *StoreWriter) write(ctx context.Context, client StoreClient, shop store.Shop, w store.WriteBack) error {
	decode := func(v any) error {
		if err := json.Unmarshal([]byte(w.Wanted), v); err != nil {
			// Written by wantStoreWrite: it cannot be refused by a store.
			return &storeapi.Error{Op: "decode " + w.Kind + " write", Message: err.Error()}
		}
		return nil
	}
	switch w.Kind {
	case store.StoreWriteOrder:
		var o orderWant
		if err := decode(&o); err != nil {
			return err
		}
		return client.SyncOrder(ctx, o.Order, o.Writes)
	case store.StoreWriteSelling:
		var it storeapi.Item
		if err := decode(&it); err != nil {
			return err
		}
		return client.SetSelling(ctx, it)
	case store.StoreWriteStock:
		var r storeapi.Receipt
		if err := decode(&r); err != nil {
			return err
		}
		return client.AddStock(ctx, r)
	case store.StoreWriteCancel:
		var c storeapi.Cancel
		if err := decode(&c); err != nil {
			return err
		}
		return client.CancelOrder(ctx, c)
	case store.StoreWriteResolve:
		// The product's own delivery may have come meanwhile (deliveries
		// race): then there is nothing to look up.
		if mapped, err := sw.store.StockKeyMapped(ctx, shop.ID, w.Subject); err != nil || mapped {
			return err
		}
		change, err := client.Resolve(ctx, w.Subject)
		if err != nil {
			return err
		}
		_, err = recordChange(ctx, sw.store, sw.dispatcher, shop, change, sw.now())
		return err
	}
	return &storeapi.Error{Op: "write", Message: "unknown write kind " + strconv.Quote(w.Kind)}
}
